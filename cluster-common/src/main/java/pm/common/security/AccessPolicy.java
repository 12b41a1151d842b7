package pm.common.security;

import io.grpc.MethodDescriptor;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one table of who may call what on a server: gRPC method (full name) → the roles allowed, with a
 * fallback per service. A method in no entry and no service is refused to everyone, so a new RPC is
 * closed until someone writes down who may call it. Immutable once built; read by every gRPC thread.
 */
public final class AccessPolicy {
    private final Map<String, Set<Role>> methods;
    private final Map<String, Set<Role>> services;

    private AccessPolicy(Map<String, Set<Role>> methods, Map<String, Set<Role>> services) {
        this.methods = Map.copyOf(methods);
        this.services = Map.copyOf(services);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The roles allowed to call {@code fullMethodName}, if the table names it. */
    public Optional<Set<Role>> allowed(String fullMethodName) {
        Set<Role> m = methods.get(fullMethodName);
        if (m != null) {
            return Optional.of(m);
        }
        return Optional.ofNullable(services.get(MethodDescriptor.extractFullServiceName(fullMethodName)));
    }

    /** Collects the entries; later entries for the same key replace earlier ones. */
    public static final class Builder {
        private final Map<String, Set<Role>> methods = new HashMap<>();
        private final Map<String, Set<Role>> services = new HashMap<>();

        /** Every method of {@code serviceName} (e.g. {@code grpc.health.v1.Health}) not listed on its own. */
        public Builder service(String serviceName, Role first, Role... rest) {
            services.put(serviceName, Set.copyOf(EnumSet.of(first, rest)));
            return this;
        }

        public Builder method(MethodDescriptor<?, ?> method, Role first, Role... rest) {
            methods.put(method.getFullMethodName(), Set.copyOf(EnumSet.of(first, rest)));
            return this;
        }

        public AccessPolicy build() {
            return new AccessPolicy(methods, services);
        }
    }
}
