package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import pm.v1.ClusterProcess;
import pm.v1.OwnerHealth;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/** Tables for people: aligned columns and readable units. */
class ViewsTest {
    @Test
    void columnsAlignOnTheWidestCellWithoutTrailingBlanks() {
        String out = new Table("ID", "NODE", "LABELS")
                .add("p1", "node-long", "a=1")
                .add("process-2", "n", "-")
                .render();

        assertThat(out).isEqualTo("""
                ID         NODE       LABELS
                p1         node-long  a=1
                process-2  n          -
                """);
    }

    @Test
    void aProcessRowShowsStateMemoryAndSortedLabels() {
        ClusterProcess p = ClusterProcess.newBuilder()
                .setProcessId("p1")
                .setNode("a")
                .setEpoch(3)
                .setState(ProcessState.PROCESS_STATE_RUNNING)
                .putLabels("z", "1")
                .putLabels("a", "2")
                .setInfo(ProcessInfo.newBuilder().setMemoryPages(16).setInstructionsRetired(1234))
                .build();

        List<String> lines = Views.processes(List.of(p)).render().lines().toList();

        assertThat(lines.get(0)).isEqualTo("ID  NODE  STATE    AGE  EPOCH  MEMORY   INSTRUCTIONS  LABELS");
        assertThat(lines.get(1)).isEqualTo("p1  a     running  -    3      1.0 MiB  1234          a=2,z=1");
    }

    @Test
    void anEndedProcessShowsItsStatusAndAnUnansweredOneIsUnknown() {
        ClusterProcess exited = ClusterProcess.newBuilder()
                .setProcessId("p1")
                .setNode("a")
                .setState(ProcessState.PROCESS_STATE_EXITED)
                .setExitStatus(3)
                .setCreatedMillis(1_000)
                .build();
        ClusterProcess cutOff = ClusterProcess.newBuilder()
                .setProcessId("p2")
                .setNode("b")
                .setState(ProcessState.PROCESS_STATE_RUNNING)
                .setOwnerHealth(OwnerHealth.OWNER_HEALTH_NOT_ANSWERING)
                .build();
        ClusterProcess lost = cutOff.toBuilder()
                .setProcessId("p3")
                .setOwnerHealth(OwnerHealth.OWNER_HEALTH_LOST)
                .build();

        List<String> lines = Views.processes(List.of(exited, cutOff, lost), 1_000 + 3_725_000)
                .render()
                .lines()
                .toList();

        assertThat(lines.get(1)).startsWith("p1  a     exited(3)                   1h2m ");
        assertThat(lines.get(2)).startsWith("p2  b     unknown:node-not-answering  -  ");
        assertThat(lines.get(3)).startsWith("p3  b     unknown:node-lost           -  ");
    }

    @Test
    void agesUseTheLargestUnits() {
        assertThat(Views.age(59_999)).isEqualTo("59s");
        assertThat(Views.age(61_000)).isEqualTo("1m1s");
        assertThat(Views.age(7_200_000)).isEqualTo("2h");
        assertThat(Views.age(90_000_000)).isEqualTo("1d1h");
    }

    @Test
    void aProcessWhoseOwnerWasNotAskedShowsDashes() {
        ClusterProcess p = ClusterProcess.newBuilder()
                .setProcessId("p1")
                .setState(ProcessState.PROCESS_STATE_SUSPENDED)
                .build();

        assertThat(Views.processes(List.of(p))
                        .render()
                        .lines()
                        .skip(1)
                        .findFirst()
                        .orElseThrow())
                .contains("suspended", " - ");
    }

    @Test
    void unitsAreBinaryAndShort() {
        assertThat(Views.bytes(512)).isEqualTo("512 B");
        assertThat(Views.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Views.bytes(3L << 30)).isEqualTo("3.0 GiB");
        assertThat(Views.micros(250)).isEqualTo("250 us");
        assertThat(Views.micros(2500)).isEqualTo("2.5 ms");
        assertThat(Views.micros(2_500_000)).isEqualTo("2.50 s");
    }
}
