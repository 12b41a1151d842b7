package pm.coordinator;

import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import pm.common.security.AccessPolicy;
import pm.common.security.Role;
import pm.v1.ClusterGrpc;

/**
 * Who may call the Cluster API: reads for viewers and operators, everything that starts, stops,
 * moves, exports or imports a process (or drains a node) for operators only. Export is a write
 * because an image is the process's whole memory. Any method not named here is refused. The web console's
 * sessions are held to this same table (its in-process door, {@code console.SessionAuthorizer}).
 */
final class ClusterAccess {
    static final AccessPolicy POLICY = AccessPolicy.builder()
            .service(ClusterGrpc.SERVICE_NAME, Role.OPERATOR)
            .method(ClusterGrpc.getListMethod(), Role.OPERATOR, Role.VIEWER)
            .method(ClusterGrpc.getGetMethod(), Role.OPERATOR, Role.VIEWER)
            .method(ClusterGrpc.getLogsMethod(), Role.OPERATOR, Role.VIEWER)
            .method(ClusterGrpc.getEventsMethod(), Role.OPERATOR, Role.VIEWER)
            .method(ClusterGrpc.getNodesMethod(), Role.OPERATOR, Role.VIEWER)
            .method(ClusterGrpc.getLeaderMethod(), Role.OPERATOR, Role.VIEWER, Role.NODE)
            .method(ClusterGrpc.getConsoleLoginMethod(), Role.OPERATOR, Role.VIEWER)
            .service(HealthGrpc.SERVICE_NAME, Role.NODE, Role.OPERATOR, Role.VIEWER)
            .service(ServerReflectionGrpc.SERVICE_NAME, Role.NODE, Role.OPERATOR, Role.VIEWER)
            .build();

    private ClusterAccess() {}
}
