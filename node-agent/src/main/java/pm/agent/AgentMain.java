package pm.agent;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.KeyFileException;
import pm.common.cli.DaemonLauncher;
import pm.common.cli.LoggingOptions;
import pm.common.cli.NetworkOptions;
import pm.common.cli.TlsOptions;
import pm.common.cli.TracingOptions;
import pm.common.cli.ZooKeeperOptions;
import pm.common.cluster.ParentWatch;
import pm.common.net.GrpcTransport;
import pm.common.security.Role;
import pm.common.security.SecurityConfigException;
import pm.common.tracing.DaemonTracing;

/**
 * {@code pm agent}: runs one node agent until the JVM is stopped. Prints one line,
 * {@code agent NAME listening on HOST:PORT metrics PORT}, once it serves (HOST:PORT is what it
 * advertises). With {@code --exit-with-stdin} it exits when its standard input closes, so an agent a
 * test started never outlives the test's JVM. Without {@code --zookeeper} it runs standalone.
 */
@Command(
        name = "pm agent",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Runs a node agent: hosts WebAssembly processes, checkpoints them, moves them to and from other agents.")
public final class AgentMain implements Callable<Integer> {
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "This node's name in the cluster.")
    String name;

    @Option(
            names = "--data",
            required = true,
            paramLabel = "DIR",
            description = "Where checkpoints, modules and records live.")
    Path data;

    @Mixin
    NetworkOptions network;

    @Mixin
    TlsOptions tls;

    @Mixin
    LoggingOptions logging;

    @Mixin
    TracingOptions tracingOptions;

    @Option(
            names = "--image-key",
            paramLabel = "FILE",
            description =
                    "The cluster's image key ring (pm certs init makes one): checkpoints, replicas, staging and exports sealed"
                            + " with AES-GCM. Without it images are plaintext.")
    Path imageKey;

    @Mixin
    ZooKeeperOptions cluster;

    @Option(
            names = "--zk-session-timeout-ms",
            paramLabel = "MS",
            defaultValue = "10000",
            description = "ZooKeeper session timeout (default: ${DEFAULT-VALUE}).")
    int sessionTimeoutMillis;

    @Option(
            names = "--capacity-mib",
            paramLabel = "N",
            defaultValue = "4096",
            description = "Guest memory offered to the cluster (default: ${DEFAULT-VALUE}).")
    long capacityMiB;

    @Option(names = "--labels", paramLabel = "K=V,...", split = ",", description = "Labels placement can select on.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(
            names = "--workers",
            paramLabel = "N",
            defaultValue = "2",
            description = "Scheduler threads (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(
            names = "--fuel-per-slice",
            paramLabel = "N",
            defaultValue = "100000",
            description = "Instructions a process runs per scheduler slice in the interpreter; compiled code runs"
                    + " 40 times as many, in about the same time (default: ${DEFAULT-VALUE}).")
    long fuelPerSlice;

    @Option(
            names = "--fs-bytes",
            paramLabel = "BYTES",
            defaultValue = "67108864",
            description = "A process's file-system limit unless its spec says otherwise (default: ${DEFAULT-VALUE}).")
    long fsBytes;

    @Option(
            names = "--log-retain-bytes",
            paramLabel = "BYTES",
            defaultValue = "67108864",
            description = "Output kept per process on disk for logs, oldest dropped first (default: ${DEFAULT-VALUE}); "
                    + "the last MiB of it is also in memory.")
    int logRetainBytes;

    @Option(
            names = "--input-grace-minutes",
            paramLabel = "N",
            defaultValue = "15",
            description =
                    "A stored input (file, stdin) no process, checkpoint or replica here names is deleted this long "
                            + "after its last use; an upload waits this long for its spawn (default: ${DEFAULT-VALUE}).")
    long inputGraceMinutes;

    @Option(
            names = "--max-message-bytes",
            paramLabel = "BYTES",
            defaultValue = "16777216",
            description = "Largest gRPC message accepted (default: ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(
            names = "--tier",
            paramLabel = "interp|compiled|auto",
            defaultValue = "auto",
            description =
                    "How guest code runs: interp only interpreted; auto compiles it to JVM bytecode off the process's"
                            + " thread and interprets until then; compiled before the first run (default: ${DEFAULT-VALUE}).")
    String tier;

    @Option(
            names = "--fault-point",
            hidden = true,
            defaultValue = "",
            description = "Halt at this point (the fault-injection suite).")
    String faultPoint;

    @Option(names = "--exit-with-stdin", hidden = true, description = "Exit when standard input closes.")
    boolean exitWithStdin;

    public static void main(String[] args) {
        int code = DaemonLauncher.run("pm agent", new AgentMain(), args, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws Exception {
        logging.apply();
        GrpcTransport transport = tls.transport("agent " + name, Set.of(Role.NODE));
        DaemonTracing tracing = tracingOptions.tracing("pm-agent", name);
        AgentConfig config = AgentConfig.defaults(name, data)
                .withNetwork(network.settings())
                .withTransport(transport)
                .withTelemetry(tracing.telemetry())
                .withWorkers(workers)
                .withProcessDefaults(fuelPerSlice, fsBytes, logRetainBytes, maxMessageBytes)
                .withFaultPoint(faultPoint)
                .withInputGrace(java.time.Duration.ofMinutes(inputGraceMinutes))
                .withTier(pm.runtime.interp.Machine.Tier.parse(tier));
        if (imageKey != null) {
            try {
                config = config.withImageKeys(ClusterKeys.load(imageKey));
            } catch (KeyFileException e) {
                throw new SecurityConfigException(e.getMessage(), e);
            }
        }
        if (cluster.zookeeper() != null) {
            config = config.withCluster(new AgentConfig.ClusterSettings(
                    cluster.zookeeper(),
                    cluster.root(),
                    capacityMiB << 20,
                    10_000,
                    labels,
                    sessionTimeoutMillis,
                    cluster.access(transport)));
        }
        NodeAgentServer server = new NodeAgentServer(config).start();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            tracing.close(); // after the server: its last spans go too
                        },
                        "pm-agent-shutdown"));
        org.slf4j.LoggerFactory.getLogger(AgentMain.class)
                .atInfo()
                .addKeyValue("node", name)
                .addKeyValue("address", server.address())
                .log(
                        "agent started: tier {}, {}",
                        config.tier(),
                        config.cluster() == null ? "standalone" : "member of " + cluster.zookeeper());
        System.out.println("agent " + name + " listening on " + server.address() + " metrics " + server.metricsPort());
        System.out.flush();
        if (exitWithStdin) {
            ParentWatch.exitWhenStdinCloses();
        }
        server.awaitTermination();
        return 0;
    }
}
