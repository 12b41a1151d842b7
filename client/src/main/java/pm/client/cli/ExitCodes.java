package pm.client.cli;

import picocli.CommandLine;
import pm.client.CoordinatorUnreachableException;

/**
 * pmctl's exit codes, decided here and nowhere else: 0 done; 1 the cluster refused or failed the request
 * (or a local file could not be written); 2 the command line was wrong (picocli's own code for usage
 * errors); 3 no coordinator could be reached, so nothing was asked.
 */
final class ExitCodes {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = CommandLine.ExitCode.USAGE;
    static final int UNREACHABLE = 3;

    private ExitCodes() {}

    static int of(Throwable t) {
        if (t instanceof CoordinatorUnreachableException) {
            return UNREACHABLE;
        }
        if (t instanceof CommandLine.ParameterException || t instanceof IllegalArgumentException) {
            return USAGE;
        }
        return FAILED;
    }

    /** The one line pmctl prints for {@code t}: the server's message and code, or what went wrong locally. */
    static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank()
                ? t.getClass().getSimpleName()
                : m.lines().findFirst().orElse(m);
    }
}
