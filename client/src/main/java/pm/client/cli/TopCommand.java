package pm.client.cli;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import pm.client.ClusterClient;
import pm.v1.ClusterProcess;
import pm.v1.ProcessState;

/**
 * {@code pmctl top}: the processes that have not ended, busiest (or largest) first, refreshed every interval.
 * CPU is the rate of instructions retired between two refreshes (see {@link CpuRates}); the first refresh
 * measures over the interval or one second, whichever is shorter, so even {@code -n 1} shows rates.
 */
@Command(
        name = "top",
        description = "Show processes by CPU (instructions per second) and memory, refreshed every interval.")
final class TopCommand extends ClusterCommand {
    private static final long FIRST_WINDOW_MILLIS = 1000;

    @Option(
            names = "--sort",
            paramLabel = "KEY",
            defaultValue = "cpu",
            description = "cpu (busiest first) or mem (largest first) (default: ${DEFAULT-VALUE}).")
    Sort sort;

    @Option(names = "--label", paramLabel = "K=V", description = "Only processes carrying this label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--node", paramLabel = "NODE", defaultValue = "", description = "Only processes this node owns.")
    String node;

    @Mixin
    Refresh refresh;

    @Override
    void run(ClusterClient client, Output output) throws Exception {
        Refresh.Pacing pacing = refresh.pacing();
        CpuRates rates = new CpuRates(System::nanoTime);
        rates.sample(client.list(PsCommand.filter(labels, node)));
        Thread.sleep(Math.min(pacing.interval().toMillis(), FIRST_WINDOW_MILLIS));
        pacing.run(i -> {
            List<ClusterProcess> processes = client.list(PsCommand.filter(labels, node));
            Map<String, Double> cpu = rates.sample(processes);
            List<Row> rows = processes.stream()
                    .filter(p -> !WaitCommand.ended(p))
                    .map(p -> new Row(p, cpu.get(p.getProcessId())))
                    .sorted(sort.order)
                    .toList();
            long now = System.currentTimeMillis();
            output.printFrame(
                    i,
                    json(now, sort, rows),
                    summary(now, sort, rows) + "\n\n" + table(rows, now).render());
        });
    }

    /** A process with its CPU rate in instructions per second, or null when this refresh could not measure one. */
    record Row(ClusterProcess process, Double cpuRate) {
        long memoryBytes() {
            return Views.memoryBytes(process);
        }

        double cpuOrMinus() {
            return cpuRate == null ? -1 : cpuRate;
        }
    }

    /**
     * The orders top knows; ties go to the other measure, then to the id, so the order holds still between
     * refreshes. Lower case because picocli takes (and completes) the constants' names as typed.
     */
    enum Sort {
        cpu(Comparator.comparingDouble(Row::cpuOrMinus)
                .reversed()
                .thenComparing(Comparator.comparingLong(Row::memoryBytes).reversed())),
        mem(Comparator.comparingLong(Row::memoryBytes)
                .reversed()
                .thenComparing(Comparator.comparingDouble(Row::cpuOrMinus).reversed()));

        final Comparator<Row> order;

        Sort(Comparator<Row> first) {
            this.order = first.thenComparing(r -> r.process().getProcessId());
        }
    }

    /** The line above the table: when, how many processes in which states, and their totals. */
    static String summary(long nowMillis, Sort sort, List<Row> rows) {
        Map<ProcessState, Integer> byState = new EnumMap<>(ProcessState.class);
        rows.forEach(r -> byState.merge(r.process().getState(), 1, Integer::sum));
        String states = byState.entrySet().stream()
                .map(e -> e.getValue() + " " + Views.state(e.getKey()))
                .collect(Collectors.joining(", "));
        double cpu = rows.stream()
                .mapToDouble(r -> r.cpuRate() == null ? 0 : r.cpuRate())
                .sum();
        long memory = rows.stream().mapToLong(Row::memoryBytes).sum();
        return String.format(
                Locale.ROOT,
                "%s  %d process%s%s  cpu %s  memory %s  (by %s)",
                Instant.ofEpochMilli(nowMillis).truncatedTo(ChronoUnit.SECONDS),
                rows.size(),
                rows.size() == 1 ? "" : "es",
                states.isEmpty() ? "" : " (" + states + ")",
                Views.rate(cpu),
                Views.bytes(memory),
                sort);
    }

    static Table table(List<Row> rows, long nowMillis) {
        Table t = new Table("ID", "NODE", "STATE", "CPU", "MEMORY", "INSTRUCTIONS", "AGE");
        for (Row r : rows) {
            ClusterProcess p = r.process();
            t.add(
                    p.getProcessId(),
                    p.getNode(),
                    Views.state(p),
                    r.cpuRate() == null ? "-" : Views.rate(r.cpuRate()),
                    p.hasInfo() ? Views.bytes(r.memoryBytes()) : "-",
                    p.hasInfo() ? Long.toString(p.getInfo().getInstructionsRetired()) : "-",
                    p.getCreatedMillis() == 0 ? "-" : Views.age(nowMillis - p.getCreatedMillis()));
        }
        return t;
    }

    /**
     * One refresh for scripts, on one line: {@code {"timeMillis":..,"sort":"cpu","processes":[{"cpuRate":..,
     * "memoryBytes":..,"process":{the ClusterProcess as ps -o json prints it}}, ..]}}, in the table's order;
     * cpuRate is instructions per second, null when this refresh could not measure it.
     */
    static String json(long nowMillis, Sort sort, List<Row> rows) {
        List<String> entries = new ArrayList<>();
        for (Row r : rows) {
            entries.add("{\"cpuRate\":"
                    + (r.cpuRate() == null ? "null" : String.format(Locale.ROOT, "%.1f", r.cpuRate()))
                    + ",\"memoryBytes\":" + r.memoryBytes() + ",\"process\":" + Output.compactJson(r.process()) + "}");
        }
        return "{\"timeMillis\":" + nowMillis + ",\"sort\":\"" + sort + "\",\"processes\":[" + String.join(",", entries)
                + "]}";
    }
}
