package pm.runtime.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.runtime.StateFormatException;
import pm.runtime.StateMismatchException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Wat;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.WasiSession;

/** Process images: a frozen WASI process written as chunks, read back and finished; bad images refused. */
class ProcessImageTest {
    private static final Path GUEST = Paths.get("src", "test", "guest", "wasi");
    private static final long FS = 64L << 20;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final byte[] stdin;
    private final CompiledModule module;

    ProcessImageTest() throws Exception {
        stdin = Files.readAllBytes(GUEST.resolve("input/stdin.txt"));
        module = CompiledModule.compile(Files.readAllBytes(GUEST.resolve("wasm/stdin.wasm")));
    }

    private WasiSession.Builder host() {
        return WasiSession.builder().stdout(stdout::write).stdin(InputSource.of(stdin));
    }

    /** Runs the stdin guest for a while and writes it as an image. */
    private byte[] frozenImage(boolean compress) throws Exception {
        WasiProcess process =
                WasiProcess.start(module, host().args(List.of("stdin")).build(), Limits.DEFAULT, FS);
        assertThat(process.run(50_000)).isEqualTo(WasiProcess.State.RUNNABLE);
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        process.writeImage(image, compress);
        return image.toByteArray();
    }

    private ImageReader.Image read(byte[] image) throws Exception {
        return ImageReader.read(new ByteArrayInputStream(image), module.sha256(), Limits.DEFAULT.memoryPages());
    }

    @Test
    void imageRestoresIntoANewProcessThatFinishesTheOutput() throws Exception {
        for (boolean compress : new boolean[] {false, true}) {
            stdout.reset();
            byte[] bytes = frozenImage(compress);

            WasiProcess restored =
                    WasiProcess.restore(module, new ByteArrayInputStream(bytes), host(), Limits.DEFAULT, FS);
            assertThat(restored.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);

            assertThat(stdout.toString(StandardCharsets.UTF_8))
                    .as(compress ? "compressed" : "plain")
                    .isEqualTo(Files.readString(GUEST.resolve("expected/stdin.out")));
        }
        assertThat(frozenImage(true).length).isLessThan(frozenImage(false).length);
    }

    @Test
    void truncatedImageIsRefusedAtEveryLength() throws Exception {
        byte[] image = frozenImage(true);
        for (int cut = 0; cut < image.length; cut += Math.max(1, image.length / 300)) {
            byte[] part = Arrays.copyOf(image, cut);
            assertThatThrownBy(() -> read(part)).as("cut at " + cut).isInstanceOf(StateFormatException.class);
        }
    }

    @Test
    void aFlippedByteInAnyChunkIsRefused() throws Exception {
        byte[] image = frozenImage(false);
        for (int at : chunkProbePositions(image)) {
            byte[] bad = image.clone();
            bad[at] ^= 0x01;
            assertThatThrownBy(() -> read(bad)).as("byte " + at).isInstanceOf(StateFormatException.class);
        }
    }

    @Test
    void wrongFormatVersionIsRefusedByNumber() throws Exception {
        byte[] image = frozenImage(false);
        ByteBuffer.wrap(image).putInt(8, 99);

        assertThatThrownBy(() -> read(image))
                .isInstanceOf(StateFormatException.class)
                .hasMessage("unsupported image format version 99 (expected 1 to 3)");
    }

    @Test
    void everyBitOfEveryFlagsByteIsChecked() throws Exception {
        for (boolean compress : new boolean[] {false, true}) {
            byte[] image = frozenImage(compress);
            for (int at : flagsPositions(image)) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] bad = image.clone();
                    bad[at] ^= (byte) (1 << bit);
                    assertThatThrownBy(() -> read(bad))
                            .as("flags at %d, bit %d", at, bit)
                            .isInstanceOf(StateFormatException.class)
                            .hasMessageMatching(
                                    bit == 0
                                            ? "chunk \\d+ \\(type \\d\\): checksum mismatch"
                                            : "chunk \\d+ \\(type \\d\\): unknown flags 0x[0-9a-f]+");
                }
            }
        }
    }

    @Test
    void bytesAfterTheTrailerAreRefused() throws Exception {
        byte[] image = frozenImage(false);
        byte[] longer = Arrays.copyOf(image, image.length + 1);

        assertThatThrownBy(() -> read(longer))
                .isInstanceOf(StateFormatException.class)
                .hasMessage("bytes after the trailer");
    }

    @Test
    void aVersionOneImageIsStillRead() throws Exception {
        byte[] image = asVersionOne(frozenImage(true));
        stdout.reset();

        WasiProcess restored = WasiProcess.restore(module, new ByteArrayInputStream(image), host(), Limits.DEFAULT, FS);

        assertThat(restored.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(stdout.size()).isPositive();
    }

    /** The same image as version 1 wrote it: each checksum over the stored bytes alone. */
    private static byte[] asVersionOne(byte[] image) {
        byte[] old = image.clone();
        ByteBuffer b = ByteBuffer.wrap(old);
        b.putInt(8, 1);
        for (int at = 12; at < old.length; at += ImageFormat.CHUNK_HEADER + b.getInt(at + 2)) {
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(old, at + ImageFormat.CHUNK_HEADER, b.getInt(at + 2));
            b.putInt(at + 10, (int) crc.getValue());
        }
        return old;
    }

    private static List<Integer> flagsPositions(byte[] image) {
        List<Integer> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image);
        for (int at = 12; at < image.length; at += ImageFormat.CHUNK_HEADER + b.getInt(at + 2)) {
            out.add(at + 1);
        }
        return out;
    }

    @Test
    void imageOfAnotherModuleIsRefused() throws Exception {
        byte[] image = frozenImage(false);
        byte[] other = CompiledModule.compile(Wat.toWasm("(module)")).sha256();

        assertThatThrownBy(() -> ImageReader.read(new ByteArrayInputStream(image), other, Limits.DEFAULT.memoryPages()))
                .isInstanceOf(StateMismatchException.class)
                .hasMessageMatching("image [-0-9a-f]+ is of module sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}");
    }

    /** First, middle and last byte of every chunk's frame and payload. */
    private static List<Integer> chunkProbePositions(byte[] image) {
        List<Integer> out = new ArrayList<>(List.of(0, 7, 8, 11));
        ByteBuffer b = ByteBuffer.wrap(image);
        int at = 12;
        while (at < image.length) {
            int stored = b.getInt(at + 2);
            int end = at + ImageFormat.CHUNK_HEADER + stored;
            out.addAll(List.of(at, at + 1, at + 2, at + 6, at + 10, at + ImageFormat.CHUNK_HEADER));
            if (stored > 0) {
                out.addAll(List.of(at + ImageFormat.CHUNK_HEADER + stored / 2, end - 1));
            }
            at = end;
        }
        return out;
    }
}
