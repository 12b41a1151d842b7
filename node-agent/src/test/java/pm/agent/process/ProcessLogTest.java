package pm.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.v1.LogChunk;

/** A log that continues another agent's, from the chunks that arrived with the process. */
class ProcessLogTest {
    private static LogChunk chunk(long offset, String text) {
        return LogChunk.newBuilder()
                .setStream(LogChunk.Stream.STREAM_STDOUT)
                .setOffset(offset)
                .setData(ByteString.copyFrom(text, StandardCharsets.UTF_8))
                .build();
    }

    private static String kept(ProcessLog log) {
        StringBuilder b = new StringBuilder();
        for (LogChunk c : log.retainedChunksFrom(0)) {
            b.append(c.getData().toStringUtf8());
        }
        return b.toString();
    }

    @Test
    void chunksSentTwiceOrOverlappingMakeOneLogWithoutRepeats() {
        List<LogChunk> tail =
                new ArrayList<>(List.of(chunk(0, "step 1\n"), chunk(7, "step 2\n"), chunk(7, "step 2\nstep 3\n")));

        ProcessLog log = new ProcessLog(tail, 21, 1 << 20);

        assertThat(log.memoryStart()).isZero();
        assertThat(kept(log)).isEqualTo("step 1\nstep 2\nstep 3\n");
    }

    @Test
    void aHoleKeepsWhatFollowsItInsteadOfNothing() {
        List<LogChunk> tail = List.of(chunk(0, "step 1\n"), chunk(14, "step 3\n"), chunk(21, "step 4\n"));

        ProcessLog log = new ProcessLog(tail, 28, 1 << 20);

        assertThat(log.memoryStart()).isEqualTo(14);
        assertThat(kept(log)).isEqualTo("step 3\nstep 4\n");
    }

    @Test
    void aChattyProcessKeepsExactlyItsLastBytesAcrossManyTrims() {
        ProcessLog log = new ProcessLog(0, 1000);
        byte[] line = "0123456789\n".getBytes(StandardCharsets.UTF_8); // 11 bytes
        for (int i = 0; i < 50_000; i++) {
            log.append(LogChunk.Stream.STREAM_STDOUT, line, 0, line.length);
        }

        assertThat(log.end()).isEqualTo(550_000);
        assertThat(log.memoryStart())
                .as("90 lines of 11 bytes are the most within 1000")
                .isEqualTo(550_000 - 90 * 11);
        assertThat(kept(log)).isEqualTo("0123456789\n".repeat(90));
        assertThat(log.retainedChunks()).hasSize(90);
        assertThat(log.retainedChunksFrom(550_000 - 11)).hasSize(1);
        List<LogChunk> read = new ArrayList<>();
        log.read(
                550_000 - 22,
                new ProcessLog.Follower() {
                    @Override
                    public boolean accept(LogChunk chunk) {
                        read.add(chunk);
                        return true;
                    }

                    @Override
                    public void closed() {}
                },
                false);
        assertThat(read).extracting(LogChunk::getOffset).containsExactly(550_000L - 22, 550_000L - 11);
    }
}
