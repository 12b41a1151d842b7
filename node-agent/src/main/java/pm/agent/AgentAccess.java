package pm.agent;

import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import pm.common.security.AccessPolicy;
import pm.common.security.Role;
import pm.v1.NodeAgentGrpc;

/**
 * Who may call an agent: every NodeAgent RPC moves, reads or ends processes on behalf of the cluster
 * (Transfer, CommitMigration, Deliver, Adopt, ExportImage, Kill, ...), so only node certificates
 * (coordinators and other agents) reach it; operators act through the coordinator, which checks their
 * role. Health and reflection answer anyone the CA certified.
 */
final class AgentAccess {
    static final AccessPolicy POLICY = AccessPolicy.builder()
            .service(NodeAgentGrpc.SERVICE_NAME, Role.NODE)
            .service(HealthGrpc.SERVICE_NAME, Role.NODE, Role.OPERATOR, Role.VIEWER)
            .service(ServerReflectionGrpc.SERVICE_NAME, Role.NODE, Role.OPERATOR, Role.VIEWER)
            .build();

    private AgentAccess() {}
}
