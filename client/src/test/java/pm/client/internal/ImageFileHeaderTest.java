package pm.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import pm.v1.ImageHeader;

/** The module reference read from an image file's first chunk, in the runtime's framing, leaving the stream unread. */
class ImageFileHeaderTest {
    private static final ImageHeader HEADER = ImageHeader.newBuilder()
            .setFormatVersion(1)
            .setModuleSha256(ByteString.copyFromUtf8("0123456789abcdef0123456789abcdef"))
            .setImageId("img-1")
            .build();

    private static byte[] image(boolean deflate) throws IOException {
        byte[] raw = HEADER.toByteArray();
        byte[] stored = raw;
        if (deflate) {
            Deflater d = new Deflater(Deflater.BEST_SPEED);
            d.setInput(raw);
            d.finish();
            byte[] buf = new byte[raw.length + 64];
            int n = d.deflate(buf);
            d.end();
            stored = java.util.Arrays.copyOf(buf, n);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(0x504D494D41474531L);
        out.writeInt(1);
        out.writeByte(1);
        out.writeByte(deflate ? 1 : 0);
        out.writeInt(stored.length);
        out.writeInt(raw.length);
        out.writeInt(0);
        out.write(stored);
        out.write(new byte[] {9, 9, 9}); // the rest of the image
        return bytes.toByteArray();
    }

    @Test
    void readsTheHeaderAndLeavesTheStreamAtItsStart() throws IOException {
        byte[] image = image(false);
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(image));

        assertThat(ImageFileHeader.peek(in)).contains(HEADER);
        assertThat(in.readAllBytes()).isEqualTo(image);
    }

    @Test
    void readsADeflatedHeader() throws IOException {
        assertThat(ImageFileHeader.peek(new BufferedInputStream(new ByteArrayInputStream(image(true)))))
                .contains(HEADER);
    }

    @Test
    void readsTheModuleOfASealedImageFromItsClearHeader() throws IOException {
        ImageHeader clear = ImageHeader.newBuilder()
                .setModuleSha256(HEADER.getModuleSha256())
                .build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x504D5358); // "PMSX", as the node agent's SealedImages writes it
        out.writeByte(6);
        out.write(java.util.Arrays.copyOf("key-01".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 32));
        out.write(new byte[16]); // salt
        out.writeInt(clear.getSerializedSize());
        out.write(clear.toByteArray());
        out.write(new byte[] {0, 0, 0, 17, 9, 9, 9}); // sealed records
        byte[] image = bytes.toByteArray();
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(image));

        assertThat(ImageFileHeader.peek(in)).contains(clear);
        assertThat(in.readAllBytes()).isEqualTo(image);
    }

    @Test
    void somethingElseHasNoHeader() throws IOException {
        byte[] text = "#!/bin/sh\necho hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(text));

        assertThat(ImageFileHeader.peek(in)).isEmpty();
        assertThat(in.readAllBytes()).isEqualTo(text);
        assertThat(ImageFileHeader.peek(new BufferedInputStream(new ByteArrayInputStream(new byte[3]))))
                .isEmpty();
    }
}
