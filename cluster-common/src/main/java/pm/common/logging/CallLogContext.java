package pm.common.logging;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.MDC;
import pm.common.cluster.ClusterLayout;

/**
 * Puts what a call is about into the log context (SLF4J's MDC) of every line written while the call is
 * handled: {@code epoch} from the {@code pm-epoch} header, {@code process} and {@code migration} from the
 * request's own {@code process_id} and {@code migration_id} fields (read from the message's
 * descriptor, so every RPC is covered without a table). Each callback of a call runs on one gRPC thread
 * at a time; the context is set around it and the thread's earlier context put back after, so a thread
 * that serves other calls in between never carries this one's ids.
 */
public final class CallLogContext implements ServerInterceptor {
    private static final Map<String, String> FIELDS = Map.of("process_id", "process", "migration_id", "migration");

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        Map<String, String> context = new LinkedHashMap<>();
        String epoch = headers.get(ClusterLayout.EPOCH_HEADER);
        if (epoch != null) {
            context.put("epoch", epoch);
        }
        ServerCall.Listener<Q> listener = within(context, () -> next.startCall(call, headers));
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                if (message instanceof Message m) {
                    read(m, context);
                }
                within(context, () -> {
                    super.onMessage(message);
                    return null;
                });
            }

            @Override
            public void onHalfClose() {
                within(context, () -> {
                    super.onHalfClose();
                    return null;
                });
            }

            @Override
            public void onCancel() {
                within(context, () -> {
                    super.onCancel();
                    return null;
                });
            }

            @Override
            public void onComplete() {
                within(context, () -> {
                    super.onComplete();
                    return null;
                });
            }
        };
    }

    /** The ids a request names at its top level (a stream's later messages may add what its first lacked). */
    private static void read(Message m, Map<String, String> context) {
        for (Map.Entry<String, String> f : FIELDS.entrySet()) {
            FieldDescriptor field = m.getDescriptorForType().findFieldByName(f.getKey());
            if (field != null && field.getJavaType() == FieldDescriptor.JavaType.STRING && !field.isRepeated()) {
                String value = (String) m.getField(field);
                if (!value.isEmpty()) {
                    context.putIfAbsent(f.getValue(), value);
                }
            }
        }
    }

    private static <T> T within(Map<String, String> context, Supplier<T> step) {
        if (context.isEmpty()) {
            return step.get();
        }
        Map<String, String> before = MDC.getCopyOfContextMap();
        context.forEach(MDC::put);
        try {
            return step.get();
        } finally {
            if (before == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(before);
            }
        }
    }
}
