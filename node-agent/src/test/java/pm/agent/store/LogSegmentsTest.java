package pm.agent.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.LogChunk;

/** A process's output on disk: rotation, reads of any range, a cut at a checkpoint, and what a crash leaves. */
class LogSegmentsTest {
    @TempDir
    Path dir;

    private static void write(LogSegments log, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        log.append(LogChunk.Stream.STREAM_STDOUT, log.end(), b, 0, b.length);
    }

    private static String read(LogSegments log, long from, long to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] expected = {from};
        log.read(from, to, c -> {
            assertThat(c.getOffset()).as("contiguous").isEqualTo(expected[0]);
            expected[0] += c.getData().size();
            out.writeBytes(c.getData().toByteArray());
        });
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String lines(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append("line ").append(i).append('\n');
        }
        return b.toString();
    }

    @Test
    void anyRangeReadsBackAcrossSegmentsAndAReopenContinues() {
        LogSegments log = LogSegments.open(dir.resolve("p"), 1 << 20);
        String all = lines(0, 30_000); // about 300 KB: several 64 KiB segments
        for (int i = 0; i < 30_000; i++) {
            write(log, "line " + i + "\n");
        }
        assertThat(read(log, 0, log.end())).isEqualTo(all);
        assertThat(read(log, 12_345, 200_000)).isEqualTo(all.substring(12_345, 200_000));
        log.close();

        LogSegments again = LogSegments.open(dir.resolve("p"), 1 << 20);
        assertThat(again.end()).isEqualTo(all.length());
        write(again, "more\n");
        assertThat(read(again, 0, again.end())).isEqualTo(all + "more\n");
    }

    @Test
    void theOldestSegmentsGoPastTheLimit() {
        LogSegments log = LogSegments.open(dir.resolve("p"), 256 << 10);
        for (int i = 0; i < 100_000; i++) {
            write(log, "line " + i + "\n");
        }
        assertThat(log.start()).isPositive();
        assertThat(log.end() - log.start()).isLessThan(2L * (256 << 10)).isGreaterThanOrEqualTo(256 << 10);
        String all = lines(0, 100_000);
        assertThat(read(log, log.start(), log.end())).isEqualTo(all.substring((int) log.start()));
    }

    @Test
    void aCutKeepsEverythingBeforeItEvenInsideARecord() {
        LogSegments log = LogSegments.open(dir.resolve("p"), 1 << 20);
        String all = lines(0, 20_000);
        for (int i = 0; i < 20_000; i++) {
            write(log, "line " + i + "\n");
        }
        long cut = 150_003; // inside a record, in a middle segment

        log.truncate(cut);
        write(log, "after\n");

        assertThat(log.end()).isEqualTo(cut + 6);
        assertThat(read(log, 0, log.end())).isEqualTo(all.substring(0, (int) cut) + "after\n");
        log.close();
        assertThat(read(LogSegments.open(dir.resolve("p"), 1 << 20), 0, cut + 6))
                .isEqualTo(all.substring(0, (int) cut) + "after\n");
    }

    @Test
    void outputThatStartsInsideWhatIsHeldReplacesOnlyWhatFollowsIt() {
        LogSegments log = LogSegments.open(dir.resolve("p"), 1 << 20);
        String all = lines(0, 20_000);
        for (int i = 0; i < 20_000; i++) {
            write(log, "line " + i + "\n");
        }
        long from = 150_003; // a second push, sent from where the first had reached when it asked

        byte[] again = all.substring((int) from, (int) from + 1000).getBytes(StandardCharsets.UTF_8);
        log.append(LogChunk.Stream.STREAM_STDOUT, from, again, 0, again.length);

        assertThat(log.start()).isZero();
        assertThat(log.end()).isEqualTo(from + 1000);
        assertThat(read(log, 0, log.end())).isEqualTo(all.substring(0, (int) from + 1000));
    }

    @Test
    void outputThatStartsPastTheEndBeginsTheDiskOver() {
        LogSegments log = LogSegments.open(dir.resolve("p"), 1 << 20);
        write(log, "before\n");

        byte[] later = "later\n".getBytes(StandardCharsets.UTF_8);
        log.append(LogChunk.Stream.STREAM_STDOUT, 100, later, 0, later.length);

        assertThat(log.start()).isEqualTo(100);
        assertThat(read(log, 100, log.end())).isEqualTo("later\n");
    }

    @Test
    void aRecordCutShortByACrashIsDroppedOnOpen() throws Exception {
        LogSegments log = LogSegments.open(dir.resolve("p"), 1 << 20);
        write(log, "whole\n");
        log.close();
        List<Path> segments = new ArrayList<>();
        try (var files = Files.list(dir.resolve("p"))) {
            files.forEach(segments::add);
        }
        // a header that promises 100 bytes, followed by 3
        Files.write(segments.get(0), new byte[] {1, 0, 0, 0, 100, 'a', 'b', 'c'}, StandardOpenOption.APPEND);

        LogSegments again = LogSegments.open(dir.resolve("p"), 1 << 20);

        assertThat(again.end()).isEqualTo(6);
        write(again, "next\n");
        assertThat(read(again, 0, again.end())).isEqualTo("whole\nnext\n");
    }
}
