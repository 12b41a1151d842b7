package pm.runtime.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import pm.runtime.StateFormatException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Wat;
import pm.runtime.wasi.WasiSession;
import pm.v1.ImageHeader;

/** Splitting an image into framed chunks and joining them back gives the same bytes; bad framing is refused. */
class ImageFramesTest {
    /** Fills three pages, each with its own byte, then loops forever. */
    private static final String FILLER = "(module (memory 3)"
            + " (func (export \"_start\")"
            + "  (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536))"
            + "  (memory.fill (i32.const 65536) (i32.const 2) (i32.const 65536))"
            + "  (memory.fill (i32.const 131072) (i32.const 3) (i32.const 65536))"
            + "  (loop $l (br $l))))";

    private static byte[] image(boolean compress) throws Exception {
        WasiProcess p = WasiProcess.start(
                CompiledModule.compile(Wat.toWasm(FILLER)),
                WasiSession.builder().build(),
                Limits.DEFAULT,
                1 << 20);
        p.run(100);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.writeImage(out, compress);
        return out.toByteArray();
    }

    @Test
    void splitThenJoinGivesTheSameBytes() throws Exception {
        for (boolean compress : new boolean[] {false, true}) {
            byte[] image = image(compress);
            ImageFrames.Splitter splitter = ImageFrames.split(new ByteArrayInputStream(image));
            List<ImageFrames.Frame> frames = splitter.rest();

            assertThat(frames.get(0).isHeader()).isTrue();
            assertThat(frames.get(frames.size() - 1).isTrailer()).isTrue();
            assertThat(frames).extracting(ImageFrames.Frame::type).contains(ImageFormat.PAGES, ImageFormat.EXECUTION);
            assertThat(splitter.next()).isNull();
            assertThat(ImageFrames.joinFrames(splitter.preamble(), frames).readAllBytes())
                    .isEqualTo(image);
        }
    }

    @Test
    void theHeaderFrameDecodesToTheImageIds() throws Exception {
        byte[] image = image(true);
        ImageFrames.Frame first =
                ImageFrames.split(new ByteArrayInputStream(image)).next();
        ImageHeader header = ImageFrames.header(first);

        assertThat(header)
                .isEqualTo(ImageReader.read(new ByteArrayInputStream(image), null, 16)
                        .header());
    }

    @Test
    void joinOpensEachFrameOnlyWhenReached() throws Exception {
        byte[] image = image(false);
        ImageFrames.Splitter splitter = ImageFrames.split(new ByteArrayInputStream(image));
        List<ImageFrames.Frame> frames = splitter.rest();
        List<Integer> opened = new ArrayList<>();
        List<ImageFrames.FrameSource> sources = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            int index = i;
            sources.add(() -> {
                opened.add(index);
                return new ByteArrayInputStream(frames.get(index).bytes());
            });
        }
        InputStream joined = ImageFrames.join(splitter.preamble(), sources);

        byte[] start = joined.readNBytes(ImageFrames.PREAMBLE_BYTES + 1);
        assertThat(opened).containsExactly(0);
        byte[] rest = joined.readAllBytes();
        assertThat(opened).hasSize(frames.size());
        assertThat(start.length + rest.length).isEqualTo(image.length);
    }

    @Test
    void badFramingIsRefused() throws Exception {
        byte[] image = image(false);
        byte[] badMagic = image.clone();
        badMagic[0] ^= 1;
        byte[] badLength = image.clone();
        badLength[ImageFrames.PREAMBLE_BYTES + 2] = (byte) 0x7F; // the header chunk's stored length
        byte[] truncated = Arrays.copyOf(image, image.length - 3);

        assertThatThrownBy(() -> ImageFrames.split(new ByteArrayInputStream(badMagic)))
                .isInstanceOf(StateFormatException.class)
                .hasMessage("not a process image: bad magic");
        assertThatThrownBy(() ->
                        ImageFrames.split(new ByteArrayInputStream(badLength)).next())
                .isInstanceOf(StateFormatException.class)
                .hasMessage("chunk 0 (type 1): implausible length");
        assertThatThrownBy(() ->
                        ImageFrames.split(new ByteArrayInputStream(truncated)).rest())
                .isInstanceOf(StateFormatException.class)
                .hasMessageStartingWith("image truncated");
    }

    @Test
    void aCorruptHeaderFrameFailsItsChecksum() throws Exception {
        byte[] image = image(false);
        image[ImageFrames.PREAMBLE_BYTES + ImageFrames.FRAME_HEADER_BYTES + 3] ^= 0x10;
        ImageFrames.Frame first =
                ImageFrames.split(new ByteArrayInputStream(image)).next();

        assertThatThrownBy(() -> ImageFrames.header(first))
                .isInstanceOf(StateFormatException.class)
                .hasMessage("chunk 0 (type 1): checksum mismatch");
    }
}
