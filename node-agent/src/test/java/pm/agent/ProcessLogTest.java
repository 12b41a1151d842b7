package pm.agent;

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
}
