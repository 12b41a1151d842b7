package pm.common.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The one authorisation check of a TLS server: the caller's certificate (which the handshake already
 * proved the cluster CA issued) names a role, and {@link AccessPolicy} says whether that role may call
 * the method. No certificate: UNAUTHENTICATED; a role the method does not allow: PERMISSION_DENIED
 * naming both. The caller's identity is in {@link #CALLER} for the call's handlers. Stateless and
 * thread-safe.
 */
public final class RoleAuthorizer implements ServerInterceptor {
    /** Who is calling, for handlers that want to say so (audit lines, error messages). */
    public static final Context.Key<Identity> CALLER = Context.key("pm-caller");

    private final AccessPolicy policy;

    public RoleAuthorizer(AccessPolicy policy) {
        this.policy = policy;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Identity caller = caller(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (caller == null) {
            return refuse(
                    call,
                    Status.UNAUTHENTICATED.withDescription(
                            method + " needs a client certificate issued by the cluster CA"));
        }
        Status refused = check(policy, caller, method);
        if (!refused.isOk()) {
            return refuse(call, refused);
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }

    /**
     * The one role check, for every door into a server (this interceptor, and the coordinator's web console whose
     * callers carry a session instead of a certificate): OK, or PERMISSION_DENIED naming the roles the method is for.
     */
    public static Status check(AccessPolicy policy, Identity caller, String method) {
        Set<Role> allowed = policy.allowed(method).orElse(Set.of());
        if (allowed.contains(caller.role())) {
            return Status.OK;
        }
        String roles = allowed.isEmpty()
                ? "nobody"
                : allowed.stream().map(Role::label).sorted().collect(Collectors.joining(" or "));
        return Status.PERMISSION_DENIED.withDescription(method + " is for " + roles + "; " + caller.name()
                + " has role " + caller.role().label());
    }

    private static Identity caller(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return null;
            }
            return Identity.of(leaf);
        } catch (SSLPeerUnverifiedException | IllegalArgumentException e) {
            return null;
        }
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {};
    }
}
