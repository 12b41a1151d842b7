package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.client.testing.PmctlRunner;

/** {@code pmctl completion}: a bash script, made from pmctl's own command model, that completes in a real bash. */
class CompletionCommandTest {
    private final PmctlRunner pmctl = new PmctlRunner("127.0.0.1:1"); // nothing listens: completion must not call out

    @Test
    void theBashScriptNamesEverySubcommandAndRegistersItself() {
        PmctlRunner.Result r = pmctl.run("completion", "bash");

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout())
                .startsWith("#!/usr/bin/env bash")
                .contains("complete -F _complete_pmctl")
                .contains("top", "ps", "nodes", "migrate", "drain", "completion");
    }

    @Test
    void zshGetsTheSameScriptAndAnotherShellIsAUsageError() {
        assertThat(pmctl.run("completion", "zsh").stdout())
                .isEqualTo(pmctl.run("completion").stdout());

        PmctlRunner.Result fish = pmctl.run("completion", "fish");
        assertThat(fish.exitCode()).isEqualTo(2);
        assertThat(fish.stdout()).isEmpty();
    }

    /** What bash offers for the words typed so far ({@code pmctl ...}, the last one being completed). */
    private static List<String> complete(Path script, String... words) throws IOException, InterruptedException {
        StringBuilder array = new StringBuilder("pmctl");
        for (String w : words) {
            array.append(" '").append(w).append('\'');
        }
        String line = "source '" + script + "'; COMP_WORDS=(" + array + "); COMP_CWORD=" + words.length
                + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _complete_pmctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process bash = new ProcessBuilder("bash", "-c", line)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start(); // compopt complains outside a real completion
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(bash.exitValue()).as(out).isZero();
        return out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void bashCompletesSubcommandsTheirOptionsAndFixedValues(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("pmctl.bash");
        Files.writeString(script, pmctl.run("completion", "bash").stdout());

        assertThat(complete(script, "t")).containsExactlyInAnyOrder("top", "thaw");
        assertThat(complete(script, "top", "--s")).containsExactly("--sort");
        assertThat(complete(script, "top", "--sort", "")).containsExactlyInAnyOrder("cpu", "mem");
        assertThat(complete(script, "ps", "--w")).containsExactly("--watch");
        assertThat(complete(script, "migrate", "--pro")).containsExactly("--progress");
    }
}
