package pm.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/**
 * Where a command's results go: tables for people, or protobuf JSON for scripts, one object per result
 * and, for streams, one compact object per line. Owned by the command's thread (stream callbacks are
 * serialised by gRPC, so they never print at once).
 */
final class Output {
    enum Format {
        TABLE,
        JSON
    }

    private static final JsonFormat.Printer PRETTY = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
    private static final JsonFormat.Printer LINE = PRETTY.omittingInsignificantWhitespace();

    /** Home and clear the screen, so that a refresh replaces the last one on a terminal. */
    static final String CLEAR_SCREEN = "\033[H\033[2J";

    private final Format format;
    private final PrintStream out;
    private final boolean terminal;

    Output(Format format, PrintStream out, boolean terminal) {
        this.format = format;
        this.out = out;
        this.terminal = terminal;
    }

    boolean json() {
        return format == Format.JSON;
    }

    PrintStream stream() {
        return out;
    }

    /** Prints {@code table} for people, or {@code message} for scripts. */
    void print(MessageOrBuilder message, Table table) {
        if (json()) {
            out.println(print(PRETTY, message));
        } else {
            out.print(table.render());
        }
        out.flush();
    }

    /** Prints one result of a stream: {@code line} for people, one line of JSON for scripts. */
    void printLine(MessageOrBuilder message, String line) {
        out.println(json() ? print(LINE, message) : line);
        out.flush();
    }

    /**
     * Prints refresh number {@code index} (from 0) of a watching command: for scripts, {@code jsonLine} (one
     * line of JSON per refresh); for people, {@code text} in place of the last refresh on a terminal, else
     * after a blank line, so that refreshes piped to a file stay apart.
     */
    void printFrame(int index, String jsonLine, String text) {
        if (json()) {
            out.println(jsonLine);
        } else if (terminal) {
            out.print(CLEAR_SCREEN + text);
        } else {
            out.print(index == 0 ? text : "\n" + text);
        }
        out.flush();
    }

    /** {@code message} as one line of protobuf JSON. */
    static String compactJson(MessageOrBuilder message) {
        return print(LINE, message);
    }

    private static String print(JsonFormat.Printer printer, MessageOrBuilder message) {
        try {
            return printer.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }
}
