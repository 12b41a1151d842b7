package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static pm.runtime.support.WasiGuest.PREOPEN;
import static pm.runtime.support.WasiGuest.slot;
import static pm.runtime.support.WasiOps.FD_READ;
import static pm.runtime.support.WasiOps.FD_SEEK;
import static pm.runtime.support.WasiOps.FD_TELL;
import static pm.runtime.support.WasiOps.O_TRUNC;
import static pm.runtime.support.WasiOps.READ_WRITE;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import pm.runtime.StateMismatchException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.Blobs;
import pm.runtime.support.WasiGuest;
import pm.runtime.support.WasiGuest.Op;
import pm.runtime.support.WasiOps;
import pm.runtime.support.Wat;
import pm.v1.FileSystemState;
import pm.v1.Inode;

/**
 * Files whose content is the host's blob: read in place, copied into the heap on the first change,
 * charged like any file, and named by hash in the file system's state.
 */
class FileSystemBlobTest {
    private static final long LIMIT = 4L << 20;
    /** Larger than any Java array: only a blob-backed file can be this big. */
    private static final long HUGE = 3L << 30;

    private final AtomicLong clock = new AtomicLong(1_000);
    private final FileSystem fs = new FileSystem(clock::get, LIMIT);
    private final Node root = fs.root();
    private final byte[] content = randomBytes(1 << 20);
    private final byte[] original = content.clone();
    private final Blobs.Store store = new Blobs.Store();
    private final BlobContent blob = store.put(content);

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    private static BlobContent huge() {
        byte[] sha = new byte[32];
        Arrays.fill(sha, (byte) 0x42);
        return Blobs.pattern(HUGE, sha);
    }

    private static void fails(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    private byte[] readAll(FileSystem in, Node file) {
        byte[] out = new byte[(int) in.size(file)];
        assertThat(in.read(file, 0, out, 0, out.length)).isEqualTo(out.length);
        return out;
    }

    @Nested
    class Content {
        @Test
        void aBlobFileReadsAsItsContentInAnyPieces() {
            Node file = fs.createFile(root, "input", blob);

            assertThat(fs.size(file)).isEqualTo(content.length);
            assertThat(readAll(fs, file)).isEqualTo(content);
            byte[] piece = new byte[100];
            assertThat(fs.read(file, content.length - 40, piece, 10, 90)).isEqualTo(40);
            assertThat(Arrays.copyOfRange(piece, 10, 50))
                    .isEqualTo(Arrays.copyOfRange(content, content.length - 40, content.length));
            assertThat(fs.read(file, content.length, piece, 0, 10)).isZero();
            assertThat(file.blob()).containsSame(blob);
        }

        @Test
        void aWriteGivesTheFileItsOwnCopyAndLeavesTheBlobUnchanged() {
            Node file = fs.createFile(root, "input", blob);
            long used = fs.bytesUsed();

            fs.write(file, 5, new byte[] {1, 2, 3}, 0, 3);

            assertThat(file.blob()).isEmpty();
            byte[] expected = original.clone();
            expected[5] = 1;
            expected[6] = 2;
            expected[7] = 3;
            assertThat(readAll(fs, file)).isEqualTo(expected);
            assertThat(content).isEqualTo(original);
            assertThat(fs.bytesUsed()).isEqualTo(used);
        }

        @Test
        void blobsNamesEachBlobStillReadFromOnceAndForgetsOneNoFileReadsAnyMore() {
            BlobContent other = store.put(randomBytes(1000));
            Node first = fs.createFile(root, "a", blob);
            fs.link(first, root, "a-again");
            fs.createFile(root, "b", blob);
            Node changed = fs.createFile(root, "c", other);
            assertThat(fs.blobs()).containsExactlyInAnyOrder(blob, other);

            fs.write(changed, 0, new byte[] {9}, 0, 1);

            assertThat(fs.blobs()).containsExactly(blob);
        }

        @Test
        void truncatingCopiesOnlyWhatRemainsEvenOfAFileLargerThanAnArray() {
            FileSystem big = new FileSystem(clock::get, HUGE + (1 << 20));
            Node file = big.createFile(big.root(), "huge", huge());
            clock.set(2_000);

            big.setSize(file, 10);

            assertThat(file.blob()).isEmpty();
            assertThat(file.mtim()).isEqualTo(2_000);
            byte[] expected = new byte[10];
            for (int i = 0; i < 10; i++) {
                expected[i] = Blobs.patternByte(i);
            }
            assertThat(readAll(big, file)).isEqualTo(expected);
            assertThat(big.bytesUsed()).isEqualTo(FileSystem.INODE_COST * 2 + 10 + FileSystem.entryCost("huge"));
        }

        @Test
        void aFileLargerThanAnArrayReadsToItsEnd() {
            FileSystem big = new FileSystem(clock::get, HUGE + (1 << 20));
            Node file = big.createFile(big.root(), "huge", huge());

            byte[] tail = new byte[10_000];
            assertThat(big.read(file, HUGE - 6_000, tail, 0, tail.length)).isEqualTo(6_000);
            for (int i = 0; i < 6_000; i++) {
                assertThat(tail[i]).as("byte %d", HUGE - 6_000 + i).isEqualTo(Blobs.patternByte(HUGE - 6_000 + i));
            }
            assertThat(big.size(file)).isEqualTo(HUGE);
            assertThat(big.bytesUsed()).isGreaterThan(HUGE);
        }

        @Test
        void writingToAFileLargerThanAnArrayIsEfbigAndLeavesItAsItWas() {
            FileSystem big = new FileSystem(clock::get, HUGE + (1 << 20));
            Node file = big.createFile(big.root(), "huge", huge());

            assertThatThrownBy(() -> big.write(file, 0, new byte[] {1}, 0, 1))
                    .isInstanceOfSatisfying(
                            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EFBIG))
                    .hasMessageContaining(String.valueOf(HUGE));
            fails(Errno.EFBIG, () -> big.setSize(file, HUGE + 1));

            assertThat(file.blob()).isPresent();
            assertThat(big.size(file)).isEqualTo(HUGE);
        }

        @Test
        void aHostReadFailureReachesTheGuestAsEio() {
            Node file = fs.createFile(root, "broken", Blobs.failing(100));

            assertThatThrownBy(() -> fs.read(file, 0, new byte[10], 0, 10))
                    .isInstanceOfSatisfying(
                            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO))
                    .hasMessageContaining("disk read error at 0");
        }
    }

    @Nested
    class Space {
        @Test
        void aBlobFileIsChargedItsSizeAndUnlinkingFreesIt() {
            long before = fs.bytesUsed();

            fs.createFile(root, "input", blob);
            assertThat(fs.bytesUsed())
                    .isEqualTo(before + FileSystem.INODE_COST + content.length + FileSystem.entryCost("input"));

            fs.unlinkFile(root, "input");
            assertThat(fs.bytesUsed()).isEqualTo(before);
        }

        @Test
        void aBlobLargerThanTheLimitIsRefusedNamingBothSizes() {
            FileSystem small = new FileSystem(clock::get, 1 << 16);

            assertThatThrownBy(() -> small.createFile(small.root(), "input", blob))
                    .isInstanceOfSatisfying(
                            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC))
                    .hasMessageContaining(content.length + " bytes")
                    .hasMessageContaining("limit is " + (1 << 16) + " bytes")
                    .hasMessageContaining(Blobs.hex(blob));
            assertThat(small.list(small.root())).hasSize(2);
        }
    }

    @Nested
    class State {
        private FileSystem restored(FileSystemState state) {
            return FileSystem.fromState(state, clock::get, LIMIT, store);
        }

        private Inode fileInode(FileSystemState state) {
            return state.getInodesList().stream()
                    .filter(i -> i.getIno() != state.getRootIno())
                    .findFirst()
                    .orElseThrow();
        }

        @Test
        void anUntouchedBlobFileIsWrittenAsItsHashAndComesBackReadingFromTheBlob() {
            Node file = fs.createFile(root, "input", blob);

            FileSystemState state = fs.toState();
            FileSystem again = restored(restored(state).toState());

            assertThat(state.getSerializedSize()).isLessThan(200);
            assertThat(fileInode(state).getData().isEmpty()).isTrue();
            assertThat(fileInode(state).getBlobSha256().toByteArray()).isEqualTo(blob.sha256());
            assertThat(fileInode(state).getBlobSize()).isEqualTo(content.length);
            Node back = again.resolve(again.root(), "input", false);
            assertThat(back.ino()).isEqualTo(file.ino());
            assertThat(back.blob()).containsSame(blob);
            assertThat(readAll(again, back)).isEqualTo(content);
            assertThat(again.bytesUsed()).isEqualTo(fs.bytesUsed());
        }

        @Test
        void aChangedBlobFileIsWrittenAsItsData() {
            Node file = fs.createFile(root, "input", blob);
            fs.write(file, 0, new byte[] {9}, 0, 1);

            FileSystemState state = fs.toState();

            assertThat(fileInode(state).getBlobSha256().isEmpty()).isTrue();
            assertThat(fileInode(state).getData().size()).isEqualTo(content.length);
            FileSystem back = FileSystem.fromState(state, clock::get, LIMIT);
            assertThat(back.resolve(back.root(), "input", false).blob()).isEmpty();
        }

        @Test
        void aFileLargerThanAnArrayTravelsAsItsHash() {
            Blobs.Store hugeStore = new Blobs.Store();
            FileSystem big = new FileSystem(clock::get, HUGE + (1 << 20));
            big.createFile(big.root(), "huge", hugeStore.put(huge()));

            FileSystem back = FileSystem.fromState(big.toState(), clock::get, HUGE + (1 << 20), hugeStore);

            assertThat(back.size(back.resolve(back.root(), "huge", false))).isEqualTo(HUGE);
        }

        @Test
        void aBlobThisHostDoesNotHoldFailsTheRestoreNamingItsHash() {
            Node file = fs.createFile(root, "input", blob);
            FileSystemState state = fs.toState();

            assertThatThrownBy(() -> FileSystem.fromState(state, clock::get, LIMIT, new Blobs.Store()))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessage("file system state: file inode " + file.ino() + " names blob sha256:" + Blobs.hex(blob)
                            + ", which this host does not hold");
            assertThatThrownBy(() -> FileSystem.fromState(state, clock::get, LIMIT))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessageContaining(Blobs.hex(blob));
        }

        @Test
        void aBlobOfAnotherSizeFailsTheRestoreNamingItsHash() {
            Node file = fs.createFile(root, "input", blob);
            FileSystemState state = fs.toState();
            FileSystemState longer = state.toBuilder()
                    .setInodes(
                            state.getInodesList().indexOf(fileInode(state)),
                            fileInode(state).toBuilder().setBlobSize(content.length + 1))
                    .build();

            assertThatThrownBy(() -> restored(longer))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessage("file system state: file inode " + file.ino() + " names blob sha256:" + Blobs.hex(blob)
                            + " of " + (content.length + 1) + " bytes, but this host's blob of that hash has "
                            + content.length);
        }

        @Test
        void aReferenceOnADirectoryOrBesideDataIsRefused() {
            fs.createFile(root, "input", blob);
            FileSystemState state = fs.toState();
            int at = state.getInodesList().indexOf(fileInode(state));
            FileSystemState both = state.toBuilder()
                    .setInodes(
                            at, fileInode(state).toBuilder().setData(com.google.protobuf.ByteString.copyFromUtf8("x")))
                    .build();
            FileSystemState onRoot = state.toBuilder()
                    .setInodes(
                            0,
                            state.getInodes(0).toBuilder()
                                    .setBlobSha256(fileInode(state).getBlobSha256()))
                    .build();

            assertThatThrownBy(() -> restored(both))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessageContaining("carries data too");
            assertThatThrownBy(() -> restored(onRoot))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessageContaining("carries fields of another kind");
        }

        @Test
        void aBlobThatNoLongerFitsTheLimitHereFailsTheRestore() {
            fs.createFile(root, "input", blob);

            assertThatThrownBy(() -> FileSystem.fromState(fs.toState(), clock::get, 1 << 16, store))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessageContaining("the limit here is " + (1 << 16));
        }
    }

    /** The same files seen by a guest through fd_pread, fd_seek, fd_read and fd_write. */
    @Nested
    class ThroughWasi {
        private static final long READ_ONLY = FD_READ | FD_SEEK | FD_TELL;

        private int exitOf(FileSystem preopen, List<Op> steps, Op probe) {
            WasiSession session = WasiSession.builder()
                    .args(List.of("blob"))
                    .preopen(WasiGuest.SANDBOX, preopen)
                    .build();
            CompiledModule module = CompiledModule.compile(Wat.toWasm(WasiGuest.module(steps, probe)));
            WasiProcess p = WasiProcess.start(module, session, Limits.DEFAULT, preopen.maxBytes());
            assertThat(p.run(Long.MAX_VALUE)).as("%s", p.failure()).isEqualTo(WasiProcess.State.EXITED);
            return p.exitStatus();
        }

        /** 0 if the last read moved {@code n} bytes, the first four of them {@code expected} (little-endian). */
        private static Op readGave(int n, byte[] expected) {
            int value = (expected[0] & 0xFF)
                    | (expected[1] & 0xFF) << 8
                    | (expected[2] & 0xFF) << 16
                    | (expected[3] & 0xFF) << 24;
            return g -> "(i32.or (i32.ne (i32.load (i32.const 40)) (i32.const " + n + "))"
                    + " (i32.ne (i32.load (i32.const 256)) (i32.const " + value + ")))";
        }

        private static byte[] patternAt(long position) {
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                b[i] = Blobs.patternByte(position + i);
            }
            return b;
        }

        @Test
        void preadAndReadGiveTheBlobsBytes() {
            fs.createFile(root, "input", blob);
            int at = 12_345;

            assertThat(exitOf(
                            fs,
                            List.of(WasiOps.open(PREOPEN, "input", 0, READ_ONLY, 0, 0), WasiOps.pread(slot(0), 64, at)),
                            readGave(64, Arrays.copyOfRange(content, at, at + 4))))
                    .isZero();
            assertThat(exitOf(
                            fs,
                            List.of(
                                    WasiOps.open(PREOPEN, "input", 0, READ_ONLY, 0, 0),
                                    WasiOps.seek(slot(0), -10, 2),
                                    WasiOps.read(slot(0), 64)),
                            readGave(10, Arrays.copyOfRange(content, content.length - 10, content.length - 6))))
                    .isZero();
        }

        @Test
        void aGuestReadsAFileLargerThanAnArrayUpToItsEnd() {
            FileSystem big = new FileSystem(clock::get, HUGE + (1 << 20));
            big.createFile(big.root(), "huge", huge());

            assertThat(exitOf(
                            big,
                            List.of(
                                    WasiOps.open(PREOPEN, "huge", 0, READ_ONLY, 0, 0),
                                    WasiOps.pread(slot(0), 64, HUGE - 4)),
                            readGave(4, patternAt(HUGE - 4))))
                    .isZero();
            assertThat(exitOf(
                            big,
                            List.of(
                                    WasiOps.open(PREOPEN, "huge", 0, READ_ONLY, 0, 0),
                                    WasiOps.seek(slot(0), (2L << 30) + 3, 0),
                                    WasiOps.read(slot(0), 64)),
                            readGave(64, patternAt((2L << 30) + 3))))
                    .isZero();
        }

        @Test
        void aGuestWriteToAFileLargerThanAnArrayIsEfbigButTruncatingItOnOpenWorks() {
            FileSystem big = new FileSystem(clock::get, HUGE + (1 << 20));
            Node file = big.createFile(big.root(), "huge", huge());

            assertThat(exitOf(
                            big,
                            List.of(WasiOps.open(PREOPEN, "huge", 0, READ_WRITE, 0, 0)),
                            WasiOps.write(slot(0), "x")))
                    .isEqualTo(Errno.EFBIG.code());
            assertThat(file.blob()).isPresent();

            assertThat(exitOf(
                            big,
                            List.of(
                                    WasiOps.open(PREOPEN, "huge", O_TRUNC, READ_WRITE, 0, 0),
                                    WasiOps.write(slot(0), "x")),
                            WasiOps.bytesMoved()))
                    .isEqualTo(1);
            assertThat(file.blob()).isEmpty();
            assertThat(big.size(file)).isEqualTo(1);
        }

        @Test
        void aGuestWriteCopiesTheFileAndLeavesTheBlobUnchanged() {
            Node file = fs.createFile(root, "input", blob);

            assertThat(exitOf(
                            fs,
                            List.of(WasiOps.open(PREOPEN, "input", 0, READ_WRITE, 0, 0), WasiOps.write(slot(0), "new")),
                            WasiOps.bytesMoved()))
                    .isEqualTo(3);

            assertThat(file.blob()).isEmpty();
            assertThat(new String(readAll(fs, file), 0, 3, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .isEqualTo("new");
            assertThat(content).isEqualTo(original);
        }
    }
}
