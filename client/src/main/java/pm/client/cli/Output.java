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
    enum Format { TABLE, JSON }

    private static final JsonFormat.Printer PRETTY = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
    private static final JsonFormat.Printer LINE = PRETTY.omittingInsignificantWhitespace();

    private final Format format;
    private final PrintStream out;

    Output(Format format, PrintStream out) {
        this.format = format;
        this.out = out;
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

    private static String print(JsonFormat.Printer printer, MessageOrBuilder message) {
        try {
            return printer.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }
}
