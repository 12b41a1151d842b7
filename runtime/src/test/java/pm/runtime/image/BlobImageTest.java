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
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import pm.runtime.StateMismatchException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Blobs;
import pm.runtime.wasi.BlobContent;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.WasiSession;

/**
 * Process images of a process whose preopen holds a file read from the host's blob: the image names
 * the blob instead of carrying it, and says so by its format version, so that a reader from before
 * blob references refuses it rather than restoring the file empty.
 */
class BlobImageTest {
    private static final Path GUEST = Paths.get("src", "test", "guest", "wasi");
    private static final long FS = 64L << 20;
    private static final int BLOB_BYTES = 4 << 20;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final byte[] stdin;
    private final CompiledModule module;
    private final Blobs.Store blobs = new Blobs.Store();
    private final BlobContent upload;

    BlobImageTest() throws Exception {
        stdin = Files.readAllBytes(GUEST.resolve("input/stdin.txt"));
        module = CompiledModule.compile(Files.readAllBytes(GUEST.resolve("wasm/stdin.wasm")));
        byte[] bytes = new byte[BLOB_BYTES];
        new Random(3).nextBytes(bytes);
        upload = blobs.put(bytes);
    }

    private WasiSession.Builder host() {
        return WasiSession.builder().stdout(stdout::write).stdin(InputSource.of(stdin));
    }

    /** Runs the stdin guest for a while, with {@code /data} holding the upload unless told not to, and writes an image. */
    private byte[] frozenImage(boolean withUpload) throws Exception {
        FileSystem data = new FileSystem(() -> 0L, FS);
        if (withUpload) {
            data.createFile(data.root(), "upload.bin", upload);
        }
        WasiSession session =
                host().args(List.of("stdin")).preopen("/data", data).build();
        WasiProcess process = WasiProcess.start(module, session, Limits.DEFAULT, FS);
        assertThat(process.run(50_000)).isEqualTo(WasiProcess.State.RUNNABLE);
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        process.writeImage(image, true);
        return image.toByteArray();
    }

    private static int version(byte[] image) {
        return ByteBuffer.wrap(image).getInt(8);
    }

    private WasiProcess restore(byte[] image, WasiSession.Builder host) throws Exception {
        return WasiProcess.restore(module, new ByteArrayInputStream(image), host, Limits.DEFAULT, FS);
    }

    @Test
    void anImageNamesAnUntouchedUploadByHashAtVersionThreeAndRestoresReadingTheBlob() throws Exception {
        byte[] image = frozenImage(true);
        stdout.reset();

        WasiProcess restored = restore(image, host().blobs(blobs));

        assertThat(image.length).isLessThan(BLOB_BYTES / 16);
        assertThat(version(image)).isEqualTo(ImageFormat.VERSION).isEqualTo(3);
        assertThat(ImageReader.read(new ByteArrayInputStream(image), module.sha256(), Limits.DEFAULT.memoryPages())
                        .header()
                        .getFormatVersion())
                .isEqualTo(3);
        FileSystem data = restored.session().preopen("/data");
        assertThat(data.resolve(data.root(), "upload.bin", false).blob()).containsSame(upload);
        assertThat(restored.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).endsWith("stdin done\n");
    }

    @Test
    void anImageWithoutBlobReferencesIsStillWrittenAndReadAsVersionTwo() throws Exception {
        byte[] image = frozenImage(false);
        stdout.reset();

        WasiProcess restored = restore(image, host());

        assertThat(version(image)).isEqualTo(ImageFormat.VERSION_WITHOUT_BLOBS).isEqualTo(2);
        assertThat(restored.run(Long.MAX_VALUE)).isEqualTo(WasiProcess.State.EXITED);
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .isEqualTo(Files.readString(GUEST.resolve("expected/stdin.out")));
    }

    @Test
    void aHostWithoutTheBlobRefusesTheImageNamingTheHash() throws Exception {
        byte[] image = frozenImage(true);

        assertThatThrownBy(() -> restore(image, host()))
                .isInstanceOf(StateMismatchException.class)
                .hasMessageContaining("names blob sha256:" + Blobs.hex(upload) + ", which this host does not hold");
    }

    @Test
    void aHostWhoseBlobOfThatHashHasAnotherSizeRefusesTheImage() throws Exception {
        byte[] image = frozenImage(true);
        Blobs.Store wrong = new Blobs.Store();
        byte[] sha = upload.sha256();
        BlobContent shorter = Blobs.pattern(BLOB_BYTES - 1, sha);
        wrong.put(shorter);

        assertThatThrownBy(() -> restore(image, host().blobs(wrong)))
                .isInstanceOf(StateMismatchException.class)
                .hasMessageContaining("names blob sha256:" + Blobs.hex(upload) + " of " + BLOB_BYTES
                        + " bytes, but this host's blob of that hash has " + (BLOB_BYTES - 1));
    }

    @Test
    void anImageThatNamesBlobsRelabelledAsVersionTwoIsRefused() throws Exception {
        byte[] image = frozenImage(true);
        ByteBuffer.wrap(image).putInt(8, 2);

        assertThatThrownBy(() -> ImageReader.read(
                        new ByteArrayInputStream(image), module.sha256(), Limits.DEFAULT.memoryPages()))
                .isInstanceOf(pm.runtime.StateFormatException.class)
                .hasMessage("image format version 2 but its header says 3");
    }
}
