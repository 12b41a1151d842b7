package pm.agent.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key file: generated owner-only with one fresh key, rotated with the old keys kept, refused with one clear line when wrong. */
class ClusterKeysTest {
    @TempDir
    Path dir;

    @Test
    void aGeneratedFileHoldsOneFreshKeyReadableByItsOwnerOnly() throws Exception {
        Path file = dir.resolve("image.keys");
        String id = ClusterKeys.generate(file);

        ClusterKeys keys = ClusterKeys.load(file);
        assertThat(keys.currentId()).isEqualTo(id);
        assertThat(keys.ids()).containsExactly(id);
        assertThat(keys.isNone()).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(ClusterKeys.generate(dir.resolve("other.keys"))).isNotEqualTo(id);
        assertThatThrownBy(() -> ClusterKeys.generate(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessageContaining("exists");
    }

    @Test
    void aRotationPutsANewCurrentKeyFirstAndKeepsTheOthers() {
        Path file = dir.resolve("image.keys");
        String first = ClusterKeys.generate(file);
        String second = ClusterKeys.rotate(file);

        ClusterKeys keys = ClusterKeys.load(file);
        assertThat(keys.currentId()).isEqualTo(second);
        assertThat(keys.ids()).containsExactly(second, first);
    }

    @Test
    void aMissingOrMalformedFileIsRefusedNamingTheFileAndLine() throws Exception {
        Path missing = dir.resolve("missing.keys");
        assertThatThrownBy(() -> ClusterKeys.load(missing))
                .isInstanceOf(KeyFileException.class)
                .hasMessage("image key file " + missing + " does not exist");
        Path empty = Files.writeString(dir.resolve("empty.keys"), "# nothing\n");
        assertThatThrownBy(() -> ClusterKeys.load(empty)).hasMessage("image key file " + empty + " holds no key");
        Path shortKey = Files.writeString(dir.resolve("short.keys"), "# c\nk1 AAAA\n");
        assertThatThrownBy(() -> ClusterKeys.load(shortKey))
                .hasMessage("image key file " + shortKey + ", line 2: key k1 has 3 bytes, not 32");
        Path badId = Files.writeString(dir.resolve("id.keys"), "k/1 AAAA\n");
        assertThatThrownBy(() -> ClusterKeys.load(badId)).hasMessageContaining(badId + ", line 1: a key id is");
        Path notBase64 = Files.writeString(dir.resolve("b64.keys"), "k1 !!!!\n");
        assertThatThrownBy(() -> ClusterKeys.load(notBase64)).hasMessageContaining("line 1: key k1 is not base64");
    }

    @Test
    void dataUnderAKeyNotInTheRingIsRefusedNamingTheKey() {
        Path a = dir.resolve("a.keys");
        Path b = dir.resolve("b.keys");
        String idA = ClusterKeys.generate(a);
        ClusterKeys.generate(b);
        byte[] sealed = new Sealer(ClusterKeys.load(a), "test").seal(new byte[0], new byte[] {1, 2, 3}, 0, 3);

        assertThat(new Sealer(ClusterKeys.load(a), "test").open(new byte[0], sealed, "x"))
                .containsExactly(1, 2, 3);
        assertThatThrownBy(() -> new Sealer(ClusterKeys.load(b), "test").open(new byte[0], sealed, "object x"))
                .isInstanceOf(UnknownKeyException.class)
                .hasMessageContaining("object x is sealed under image key '" + idA + "', which is not in " + b);
        assertThatThrownBy(() -> new Sealer(ClusterKeys.load(a), "test").open(new byte[] {9}, sealed, "object x"))
                .as("bound to something else")
                .isInstanceOf(TamperedDataException.class);
    }
}
