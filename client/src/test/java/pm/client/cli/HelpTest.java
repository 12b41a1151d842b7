package pm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import pm.client.testing.PmctlRunner;

/** Every subcommand explains itself: {@code pmctl SUB --help}, {@code -h} and {@code pmctl help SUB}, exit 0, no cluster needed. */
class HelpTest {
    private final PmctlRunner pmctl = new PmctlRunner("127.0.0.1:1"); // nothing listens: help must not call out

    static List<String> subcommands() {
        return new CommandLine(new Pmctl(java.util.Map.of(), System.out, System.err))
                .getSubcommands().keySet().stream()
                        .filter(name -> !name.equals("help"))
                        .toList();
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void everySubcommandTakesHelpInAllThreeForms(String sub) {
        for (String[] args :
                List.of(new String[] {sub, "--help"}, new String[] {sub, "-h"}, new String[] {"help", sub})) {
            PmctlRunner.Result r = pmctl.run(args);

            assertThat(r.exitCode()).as(String.join(" ", args) + "\n" + r).isZero();
            assertThat(r.stdout()).as(String.join(" ", args)).contains("Usage: pmctl " + sub);
        }
    }

    @Test
    void theListOfSubcommandsIsNotEmpty() {
        assertThat(subcommands()).contains("run", "ps", "logs", "migrate", "drain");
    }
}
