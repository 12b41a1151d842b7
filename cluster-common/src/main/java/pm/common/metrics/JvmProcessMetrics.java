package pm.common.metrics;

import com.sun.management.GcInfo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The daemon's own JVM and OS process, for agents and coordinators alike: Micrometer's heap, GC,
 * heap-pressure, thread and open-file meters, plus {@code pm.jvm.heap.after.gc} (bytes): the heap in
 * use right after the most recent collection of any collector, from that collection's own record.
 *
 * <p>Why our own gauge: on G1 (JDK 17) a young collection does not update the old generation pool's
 * {@code getCollectionUsage()}, and {@code jvm.memory.usage.after.gc} is a ratio of the long-lived
 * pool alone. The last {@link GcInfo} holds every pool's usage after that collection, which is what a
 * leak check wants to watch. The JvmGcMetrics and heap-pressure binders hold GC listeners:
 * {@link #close()} removes them.
 */
public final class JvmProcessMetrics implements MeterBinder, AutoCloseable {
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final JvmHeapPressureMetrics pressure = new JvmHeapPressureMetrics();

    @Override
    public void bindTo(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        gc.bindTo(registry);
        pressure.bindTo(registry);
        Gauge.builder("pm.jvm.heap.after.gc", JvmProcessMetrics::heapAfterLastGc)
                .baseUnit("bytes")
                .description("heap in use right after the most recent garbage collection")
                .register(registry);
    }

    /** Heap bytes in use after the most recent collection (NaN before the first one). */
    public static double heapAfterLastGc() {
        Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getName)
                .collect(Collectors.toSet());
        GcInfo latest = null;
        for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (bean instanceof com.sun.management.GarbageCollectorMXBean hotspot) {
                GcInfo info = hotspot.getLastGcInfo();
                if (info != null && (latest == null || info.getEndTime() > latest.getEndTime())) {
                    latest = info;
                }
            }
        }
        if (latest == null) {
            return Double.NaN;
        }
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool :
                latest.getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        return used;
    }

    @Override
    public void close() {
        gc.close();
        pressure.close();
    }
}
