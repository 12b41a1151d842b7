package pm.coordinator.console;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import pm.common.security.AccessPolicy;
import pm.common.security.RoleAuthorizer;

/**
 * The console's door into the Cluster service: where the network server reads the caller from its
 * certificate, this reads it from the console session named in the call's header and applies the same
 * policy with the same check ({@link RoleAuthorizer#check}). Stateless; runs on gRPC's threads.
 */
final class SessionAuthorizer implements ServerInterceptor {
    static final Metadata.Key<String> SESSION = Metadata.Key.of("pm-console-session", Metadata.ASCII_STRING_MARSHALLER);

    private final ConsoleSessions sessions;
    private final AccessPolicy policy;

    SessionAuthorizer(ConsoleSessions sessions, AccessPolicy policy) {
        this.sessions = sessions;
        this.policy = policy;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        ConsoleSession session = sessions.find(headers.get(SESSION)).orElse(null);
        Status refused = session == null
                ? Status.UNAUTHENTICATED.withDescription(method + " needs a console session; log in again")
                : RoleAuthorizer.check(policy, session.identity(), method);
        if (!refused.isOk()) {
            call.close(refused, new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(
                Context.current().withValue(RoleAuthorizer.CALLER, session.identity()), call, headers, next);
    }
}
