package pm.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import pm.client.CheckpointOptions;
import pm.client.ClusterClient;
import pm.client.ListFilter;
import pm.client.testing.ClusterExtension;
import pm.client.testing.Guests;
import pm.client.testing.Logs;
import pm.client.testing.TestCluster;
import pm.v1.CheckpointInfo;
import pm.v1.ClusterProcess;
import pm.v1.ImportHeader;
import pm.v1.MigrationReport;
import pm.v1.ProcessState;

/** The SDK against a real cluster: a process's life from spawn to kill, and moves to every node. */
@ExtendWith(ClusterExtension.class)
class ClusterSdkTest {
    private final TestCluster cluster;
    private final ClusterClient client;
    private final List<String> spawned = new ArrayList<>();

    ClusterSdkTest(TestCluster cluster) {
        this.cluster = cluster;
        this.client = cluster.client();
    }

    @AfterEach
    void killWhatTheTestSpawned() {
        for (String id : spawned) {
            try {
                client.kill(id);
            } catch (RuntimeException ignored) {
                // it ended, or the test killed it already
            }
        }
    }

    private ClusterProcess spawnLongRunning(String id, String node) {
        spawned.add(id);
        return client.spawn(Guests.longRunning(id)
                .withLabel("test", "sdk")
                .onNode(node, false)
                .build());
    }

    @Test
    void spawnedProcessIsListedAndReadable() {
        spawned.add("sdk-spawn");
        ClusterProcess p = client.spawn(
                Guests.longRunning("sdk-spawn").withLabel("suite", "sdk-spawn").build());

        assertThat(p.getProcessId()).isEqualTo("sdk-spawn");
        assertThat(cluster.activeNodes()).contains(p.getNode());
        assertThat(p.getEpoch()).isPositive();
        assertThat(p.getLabelsMap()).containsEntry("suite", "sdk-spawn");
        assertThat(client.list(ListFilter.label("suite", "sdk-spawn")))
                .extracting(ClusterProcess::getProcessId)
                .containsExactly("sdk-spawn");
        assertThat(client.list(ListFilter.onNode(p.getNode())))
                .extracting(ClusterProcess::getProcessId)
                .contains("sdk-spawn");
        ClusterProcess got = client.get("sdk-spawn");
        assertThat(got.getNode()).isEqualTo(p.getNode());
        assertThat(got.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        Logs.awaitTick(client, "sdk-spawn", 3);
    }

    @Test
    void spawnHonoursTheNodeAsked() {
        for (String node : cluster.activeNodes()) {
            ClusterProcess p = spawnLongRunning("sdk-on-" + node, node);
            assertThat(p.getNode()).isEqualTo(node);
        }
    }

    @Test
    void migrateMovesAProcessToEachOtherNodeAndItKeepsRunning() {
        List<String> nodes = cluster.activeNodes();
        ClusterProcess p = spawnLongRunning("sdk-migrate", nodes.get(0));
        long epoch = p.getEpoch();
        int tick = 2;
        for (String target : rotation(nodes)) {
            Logs.awaitTick(client, "sdk-migrate", tick);
            MigrationReport report = client.migrate("sdk-migrate", target);

            assertThat(report.getTargetNode()).isEqualTo(target);
            assertThat(report.getEpoch()).isGreaterThan(epoch);
            ClusterProcess now = client.get("sdk-migrate");
            assertThat(now.getNode()).isEqualTo(target);
            assertThat(now.getEpoch()).isEqualTo(report.getEpoch());
            assertThat(now.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
            epoch = report.getEpoch();
            tick += 5;
        }
        Logs.awaitTick(client, "sdk-migrate", tick);
    }

    /** From the first node to each other one, then home again. */
    private static List<String> rotation(List<String> nodes) {
        List<String> targets = new ArrayList<>(nodes.subList(1, nodes.size()));
        targets.add(nodes.get(0));
        return targets;
    }

    @Test
    void freezeStopsAProcessAndThawLetsItGoOn() {
        spawnLongRunning("sdk-freeze", "");
        Logs.awaitTick(client, "sdk-freeze", 2);

        assertThat(client.freeze("sdk-freeze").getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        String frozenOutput = Logs.stdout(client, "sdk-freeze");
        await().pollDelay(Duration.ofMillis(300)).until(() -> true);
        assertThat(Logs.stdout(client, "sdk-freeze")).isEqualTo(frozenOutput);

        assertThat(client.thaw("sdk-freeze").getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> Logs.stdout(client, "sdk-freeze").length() > frozenOutput.length());
    }

    @Test
    void suspendStopsAProcessAndResumeBringsItBack() {
        List<String> nodes = cluster.activeNodes();
        spawnLongRunning("sdk-suspend", nodes.get(0));
        Logs.awaitTick(client, "sdk-suspend", 2);

        assertThat(client.suspend("sdk-suspend").getState()).isEqualTo(ProcessState.PROCESS_STATE_SUSPENDED);
        assertThat(client.get("sdk-suspend").getState()).isEqualTo(ProcessState.PROCESS_STATE_SUSPENDED);
        int suspendedAt = Logs.lastTick(Logs.stdout(client, "sdk-suspend"));

        ClusterProcess resumed = client.resume("sdk-suspend");
        assertThat(resumed.getNode()).isEqualTo(nodes.get(0));
        assertThat(resumed.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        Logs.awaitTick(client, "sdk-suspend", suspendedAt + 3);
    }

    @Test
    void resumeOnAnotherNodeMovesTheSuspendedProcessThere() {
        List<String> nodes = cluster.activeNodes();
        spawnLongRunning("sdk-resume-elsewhere", nodes.get(0));
        Logs.awaitTick(client, "sdk-resume-elsewhere", 2);
        client.suspend("sdk-resume-elsewhere");
        int suspendedAt = Logs.lastTick(Logs.stdout(client, "sdk-resume-elsewhere"));

        ClusterProcess resumed = client.resume("sdk-resume-elsewhere", nodes.get(1));

        assertThat(resumed.getNode()).isEqualTo(nodes.get(1));
        assertThat(resumed.getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
        Logs.awaitTick(client, "sdk-resume-elsewhere", suspendedAt + 3);
    }

    @Test
    void resumeOnAnotherNodeKeepsTheOutputPrintedBeforeTheSuspend() {
        List<String> nodes = cluster.activeNodes();
        spawnLongRunning("sdk-resume-output", nodes.get(0));
        Logs.awaitTick(client, "sdk-resume-output", 2);
        client.suspend("sdk-resume-output");
        String beforeSuspend = Logs.stdout(client, "sdk-resume-output");

        client.resume("sdk-resume-output", nodes.get(1));
        int suspendedAt = Logs.lastTick(beforeSuspend);
        Logs.awaitTick(client, "sdk-resume-output", suspendedAt + 1);

        assertThat(Logs.stdout(client, "sdk-resume-output")).startsWith(beforeSuspend);
    }

    @Test
    void killEndsAProcess() {
        spawnLongRunning("sdk-kill", "");
        Logs.awaitTick(client, "sdk-kill", 1);

        assertThat(client.kill("sdk-kill").getState()).isEqualTo(ProcessState.PROCESS_STATE_KILLED);
        assertThat(client.list())
                .filteredOn(p -> p.getProcessId().equals("sdk-kill"))
                .allMatch(p -> p.getState() == ProcessState.PROCESS_STATE_KILLED);
    }

    @Test
    void anIncrementalCheckpointBuildsOnTheLastOne() {
        spawnLongRunning("sdk-checkpoint", "");
        Logs.awaitTick(client, "sdk-checkpoint", 1);

        CheckpointInfo full = client.checkpoint("sdk-checkpoint");
        CheckpointInfo incremental = client.checkpoint("sdk-checkpoint", CheckpointOptions.incremental());

        assertThat(full.getCheckpointId()).isNotEmpty();
        assertThat(incremental.getBaseCheckpointId()).isEqualTo(full.getCheckpointId());
        assertThat(client.get("sdk-checkpoint").getLastCheckpointId()).isEqualTo(incremental.getCheckpointId());
    }

    @Test
    void anExportedImageImportsAsACopyThatComputesWhatTheOriginalDoes() {
        spawnLongRunning("sdk-export", "");
        spawned.add("sdk-imported");
        Logs.awaitTick(client, "sdk-export", 3);
        client.freeze("sdk-export");
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        List<Long> progress = new ArrayList<>();

        long bytes = client.exportImage("sdk-export", image, progress::add);

        assertThat(bytes).isEqualTo(image.size()).isPositive();
        assertThat(progress).isNotEmpty().isSorted().last().isEqualTo(bytes);
        ClusterProcess imported = client.importImage(
                new ByteArrayInputStream(image.toByteArray()),
                ImportHeader.newBuilder().setProcessId("sdk-imported").build(),
                b -> {});
        assertThat(imported.getProcessId()).isEqualTo("sdk-imported");
        if (imported.getState() == ProcessState.PROCESS_STATE_FROZEN) {
            client.thaw("sdk-imported");
        }
        client.thaw("sdk-export");
        // Both continue from the same state, so the same tick carries the same hash in both.
        String later = "tick " + (Logs.lastTick(Logs.stdout(client, "sdk-export")) + 5) + " ";
        Logs.awaitOutput(client, "sdk-imported", later);
        Logs.awaitOutput(client, "sdk-export", later);
        assertThat(line(Logs.stdout(client, "sdk-imported"), later))
                .isEqualTo(line(Logs.stdout(client, "sdk-export"), later));
    }

    private static String line(String output, String prefix) {
        return output.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
    }
}
