package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import pm.v1.ClusterSpawnRequest;
import pm.v1.FileEntry;

/** How {@code pmctl run}'s command line becomes a spawn request. */
class RunCommandTest {
    @TempDir
    Path dir;

    private ClusterSpawnRequest parse(String... args) {
        CommandLine cmd = new CommandLine(new Pmctl(
                Map.of(), new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
        CommandLine.ParseResult result = cmd.parseArgs(args);
        RunCommand run = (RunCommand) result.subcommand().commandSpec().userObject();
        return run.options().toRequest();
    }

    private Path module() throws Exception {
        Path m = dir.resolve("prog.wasm");
        Files.write(m, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        return m;
    }

    @Test
    void argvIsTheProgramNameThenArgOptionsThenTrailingArguments() throws Exception {
        ClusterSpawnRequest r = parse("run", module().toString(), "--arg", "-v", "--", "one", "--two");

        assertThat(r.getSpec().getArgsList()).containsExactly("prog", "-v", "one", "--two");
        assertThat(r.getSpec().getModule().toByteArray()).hasSize(8);
        assertThat(r.getProcessId()).isEmpty();
    }

    @Test
    void envLabelsAndPlacementGoWhereTheClusterReadsThem() throws Exception {
        ClusterSpawnRequest r = parse(
                "run",
                module().toString(),
                "--id",
                "p1",
                "--env",
                "A=1",
                "--env",
                "B=x=y",
                "--label",
                "team=a",
                "--node",
                "n2",
                "--pin",
                "--node-label",
                "zone=z1",
                "--memory-limit-mib",
                "8",
                "--instructions-per-second",
                "5000000");

        assertThat(r.getProcessId()).isEqualTo("p1");
        assertThat(r.getSpec().getEnvMap()).containsExactly(Map.entry("A", "1"), Map.entry("B", "x=y"));
        assertThat(r.getSpec().getLabelsMap()).containsExactly(Map.entry("team", "a"));
        assertThat(r.getPlacement().getNode()).isEqualTo("n2");
        assertThat(r.getPlacement().getPinned()).isTrue();
        assertThat(r.getPlacement().getNodeLabelsMap()).containsExactly(Map.entry("zone", "z1"));
        assertThat(r.getSpec().getLimits().getMemoryPages()).isEqualTo(8 * 16);
        assertThat(r.getSpec().getLimits().getFuelPerSecond()).isEqualTo(5_000_000);
    }

    @Test
    void filesLandUnderDataAndStdinIsRead() throws Exception {
        Path local = dir.resolve("in.txt");
        Files.writeString(local, "hello");
        ClusterSpawnRequest r = parse(
                "run",
                module().toString(),
                "--file",
                local + "=/data/sub/in.txt",
                "--file",
                local + "=plain.txt",
                "--stdin",
                local.toString());

        assertThat(r.getSpec().getFilesList())
                .extracting(FileEntry::getPath)
                .containsExactly("sub/in.txt", "plain.txt");
        assertThat(r.getSpec().getFiles(0).getContents().toStringUtf8()).isEqualTo("hello");
        assertThat(r.getSpec().getStdin().toStringUtf8()).isEqualTo("hello");
    }

    @Test
    void noMemoryLimitLeavesTheNodesDefault() throws Exception {
        assertThat(parse("run", module().toString()).getSpec().hasLimits()).isFalse();
    }

    @Test
    void badLocalInputIsAUsageError() throws Exception {
        String m = module().toString();
        assertThatThrownBy(() -> parse("run", m, "--pin"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--pin needs --node");
        assertThatThrownBy(() -> parse("run", m, "--file", m + "=/etc/passwd"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("/data");
        assertThatThrownBy(() -> parse("run", m, "--file", m + "=../up"))
                .isInstanceOf(CommandLine.ParameterException.class);
        assertThatThrownBy(() -> parse("run", dir.resolve("missing.wasm").toString()))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("no such file");
    }

    @Test
    void outputBackpressureIsAskedForInTheSpec() throws Exception {
        String m = module().toString();
        assertThat(parse("run", m, "--output-backpressure").getSpec().getOutputBackpressure())
                .isTrue();
        assertThat(parse("run", m).getSpec().getOutputBackpressure()).isFalse();
    }

    @Test
    void checkpointPolicyFlagsBecomeTheSpecsPolicy() throws Exception {
        String m = module().toString();
        var policy = parse("run", m, "--checkpoint-every", "30s", "--checkpoint-on-migrate", "--checkpoint-on-suspend")
                .getSpec()
                .getCheckpointPolicy();
        assertThat(policy.getIntervalMillis()).isEqualTo(30_000);
        assertThat(policy.getOnMigrate()).isTrue();
        assertThat(policy.getOnSuspend()).isTrue();
        assertThat(parse("run", m, "--checkpoint-every", "250ms")
                        .getSpec()
                        .getCheckpointPolicy()
                        .getIntervalMillis())
                .isEqualTo(250);
        assertThat(parse("run", m).getSpec().hasCheckpointPolicy()).isFalse();
        assertThatThrownBy(() -> parse("run", m, "--checkpoint-every", "soon"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("positive duration");
        assertThatThrownBy(() -> parse("run", m, "--checkpoint-every", "0s"))
                .isInstanceOf(CommandLine.ParameterException.class);
    }
}
