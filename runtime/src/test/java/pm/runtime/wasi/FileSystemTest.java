package pm.runtime.wasi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import pm.runtime.StateMismatchException;
import pm.runtime.wasi.FileSystem.DirEntry;
import pm.runtime.wasi.FileSystem.Located;
import pm.runtime.wasi.Node.Kind;
import pm.v1.DirectoryEntry;
import pm.v1.FileSystemState;
import pm.v1.Inode;
import pm.v1.InodeKind;

/** The in-memory file system behind WASI preopens, driven directly through its API with a hand-set clock. */
class FileSystemTest {
    private static final long LIMIT = 1 << 20;

    private final AtomicLong clock = new AtomicLong(1_000);
    private final FileSystem fs = new FileSystem(clock::get, LIMIT);
    private final Node root = fs.root();

    private static void fails(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    private Node file(Node dir, String name, String content) {
        Node f = fs.createFile(dir, name);
        byte[] bytes = content.getBytes(UTF_8);
        fs.write(f, 0, bytes, 0, bytes.length);
        return f;
    }

    private String content(Node file) {
        byte[] out = new byte[(int) fs.size(file)];
        assertThat(fs.read(file, 0, out, 0, out.length)).isEqualTo(out.length);
        return new String(out, UTF_8);
    }

    private List<String> names(Node dir) {
        return fs.list(dir).stream().map(DirEntry::name).toList();
    }

    @Test
    void errnoCodesAreTheWasiPreview1Abi() {
        assertThat(Errno.values()).hasSize(77);
        assertThat(Errno.ESUCCESS.code()).isZero();
        assertThat(Errno.EBADF.code()).isEqualTo(8);
        assertThat(Errno.ENOENT.code()).isEqualTo(44);
        assertThat(Errno.ENOSPC.code()).isEqualTo(51);
        assertThat(Errno.ENOTCAPABLE.code()).isEqualTo(76);
        assertThat(Arrays.stream(Errno.values())).allMatch(e -> e.code() == e.ordinal());
    }

    @Nested
    class Paths {
        @Test
        void nestedPathWithDotsAndRepeatedSlashesFindsTheFile() {
            Node a = fs.createDirectory(root, "a");
            Node b = fs.createDirectory(a, "b");
            Node f = file(b, "f", "x");

            assertThat(fs.resolve(root, "a//b/./f", true)).isSameAs(f);
            assertThat(fs.resolve(root, "a/b/../b/f", true)).isSameAs(f);
            assertThat(fs.resolve(b, "../../a", true)).isSameAs(a);
            assertThat(fs.resolve(root, ".", true)).isSameAs(root);
            assertThat(fs.resolve(root, "a/b/", true)).isSameAs(b);
        }

        @Test
        void dotDotAboveTheRootIsNotCapable() {
            fs.createDirectory(root, "a");

            fails(Errno.ENOTCAPABLE, () -> fs.resolve(root, "..", true));
            fails(Errno.ENOTCAPABLE, () -> fs.resolve(root, "a/../../a", true));
            fails(Errno.ENOTCAPABLE, () -> fs.resolveParent(root, "../x"));
        }

        @Test
        void absolutePathIsNotCapable() {
            fails(Errno.ENOTCAPABLE, () -> fs.resolve(root, "/etc/passwd", true));
            fails(Errno.ENOTCAPABLE, () -> fs.resolveParent(root, "/x"));
        }

        @Test
        void missingComponentIsEnoentAndFileInTheMiddleIsEnotdir() {
            file(root, "f", "x");

            fails(Errno.ENOENT, () -> fs.resolve(root, "nope/f", true));
            fails(Errno.ENOENT, () -> fs.resolve(root, "", true));
            fails(Errno.ENOTDIR, () -> fs.resolve(root, "f/x", true));
            fails(Errno.ENOTDIR, () -> fs.resolve(root, "f/", true));
        }

        @Test
        void nameOverTwoHundredFiftyFiveBytesIsTooLong() {
            String ok = "é".repeat(127); // 254 bytes
            fs.createFile(root, ok);

            assertThat(fs.resolve(root, ok, true).kind()).isEqualTo(Kind.FILE);
            fails(Errno.ENAMETOOLONG, () -> fs.resolve(root, "é".repeat(128), true));
            fails(Errno.ENAMETOOLONG, () -> fs.createFile(root, "x".repeat(256)));
        }

        @Test
        void symlinksAreFollowedInTheMiddleAndAtTheEndOnlyWhenAsked() {
            Node dir = fs.createDirectory(root, "dir");
            Node f = file(dir, "f", "x");
            fs.createSymlink(root, "d", "dir");
            Node toF = fs.createSymlink(root, "l", "d/f");

            assertThat(fs.resolve(root, "d/f", false)).isSameAs(f);
            assertThat(fs.resolve(root, "l", true)).isSameAs(f);
            assertThat(fs.resolve(root, "l", false)).isSameAs(toF);
            assertThat(fs.resolve(root, "d/", false)).isSameAs(dir);
        }

        @Test
        void symlinkTargetIsRelativeToItsOwnDirectory() {
            Node a = fs.createDirectory(root, "a");
            Node f = file(root, "f", "x");
            fs.createSymlink(a, "up", "../f");

            assertThat(fs.resolve(root, "a/up", true)).isSameAs(f);
        }

        @Test
        void symlinkOutOfTheSandboxIsNotCapable() {
            fs.createSymlink(root, "abs", "/etc");
            fs.createSymlink(root, "up", "../outside");

            fails(Errno.ENOTCAPABLE, () -> fs.resolve(root, "abs", true));
            fails(Errno.ENOTCAPABLE, () -> fs.resolve(root, "up/x", false));
        }

        @Test
        void symlinkLoopIsEloop() {
            fs.createSymlink(root, "a", "b");
            fs.createSymlink(root, "b", "a");

            fails(Errno.ELOOP, () -> fs.resolve(root, "a", true));
            assertThat(fs.resolve(root, "a", false).kind()).isEqualTo(Kind.SYMLINK);
        }

        @Test
        void thirtyTwoSymlinkHopsResolveButThirtyThreeAreEloop() {
            Node f = file(root, "f", "x");
            fs.createSymlink(root, "s0", "f");
            for (int i = 1; i <= 32; i++) {
                fs.createSymlink(root, "s" + i, "s" + (i - 1));
            }

            assertThat(fs.resolve(root, "s31", true)).isSameAs(f);
            fails(Errno.ELOOP, () -> fs.resolve(root, "s32", true));
        }

        @Test
        void resolveParentNamesTheFinalComponentWithoutFollowingIt() {
            Node a = fs.createDirectory(root, "a");
            fs.createSymlink(root, "s", "a");

            assertThat(fs.resolveParent(root, "s/new")).isEqualTo(new Located(a, "new"));
            assertThat(fs.resolveParent(root, "s")).isEqualTo(new Located(root, "s"));
            assertThat(fs.resolveParent(root, "a//b//")).isEqualTo(new Located(a, "b"));
            fails(Errno.ENOENT, () -> fs.resolveParent(root, "missing/new"));
        }

        @Test
        void trailingSlashOnAnExistingFileIsEnotdirForResolveParent() {
            file(root, "f", "x");

            fails(Errno.ENOTDIR, () -> fs.resolveParent(root, "f/"));
            fails(Errno.ENOTDIR, () -> fs.resolveParent(root, "f/x"));
        }
    }

    @Nested
    class Names {
        @Test
        void createdDirectoryCountsLinksLikePosix() {
            Node a = fs.createDirectory(root, "a");
            fs.createDirectory(a, "b");

            assertThat(root.nlink()).isEqualTo(3);
            assertThat(a.nlink()).isEqualTo(3);
            assertThat(fs.list(a).get(1)).isEqualTo(new DirEntry("..", root.ino(), Kind.DIRECTORY));
        }

        @Test
        void creatingAnExistingNameIsEexist() {
            fs.createFile(root, "f");

            fails(Errno.EEXIST, () -> fs.createFile(root, "f"));
            fails(Errno.EEXIST, () -> fs.createDirectory(root, "f"));
            fails(Errno.EEXIST, () -> fs.createSymlink(root, "f", "x"));
            fails(Errno.EEXIST, () -> fs.createDirectory(root, "."));
        }

        @Test
        void inodeNumbersAreUniqueAndFindable() {
            Node a = fs.createFile(root, "a");
            Node b = fs.createDirectory(root, "b");

            assertThat(List.of(root.ino(), a.ino(), b.ino())).doesNotHaveDuplicates();
            assertThat(fs.inode(b.ino())).containsSame(b);
        }

        @Test
        void unlinkRemovesAFileButRefusesADirectory() {
            file(root, "f", "x");
            fs.createDirectory(root, "d");

            fs.unlinkFile(root, "f");

            assertThat(names(root)).containsExactly(".", "..", "d");
            fails(Errno.EISDIR, () -> fs.unlinkFile(root, "d"));
            fails(Errno.ENOENT, () -> fs.unlinkFile(root, "f"));
        }

        @Test
        void hardLinkSharesContentUntilTheLastNameGoes() {
            Node f = file(root, "f", "shared");
            Node d = fs.createDirectory(root, "d");

            fs.link(f, d, "g");
            fs.unlinkFile(root, "f");

            assertThat(fs.resolve(root, "d/g", false)).isSameAs(f);
            assertThat(f.nlink()).isEqualTo(1);
            assertThat(content(f)).isEqualTo("shared");
            fs.unlinkFile(d, "g");
            assertThat(f.nlink()).isZero();
            assertThat(fs.inode(f.ino())).isEmpty();
        }

        @Test
        void hardLinkToDirectoryIsEpermAndAcrossFileSystemsIsExdev() {
            Node d = fs.createDirectory(root, "d");
            FileSystem other = new FileSystem(clock::get, LIMIT);
            Node f = fs.createFile(root, "f");

            fails(Errno.EPERM, () -> fs.link(d, root, "d2"));
            fails(Errno.EXDEV, () -> other.link(f, other.root(), "f"));
        }

        @Test
        void removeDirectoryRequiresAnEmptyDirectory() {
            Node d = fs.createDirectory(root, "d");
            fs.createFile(d, "f");
            fs.createFile(root, "g");

            fails(Errno.ENOTEMPTY, () -> fs.removeDirectory(root, "d"));
            fails(Errno.ENOTDIR, () -> fs.removeDirectory(root, "g"));
            fails(Errno.EINVAL, () -> fs.removeDirectory(d, "."));
            fs.unlinkFile(d, "f");
            fs.removeDirectory(root, "d");
            assertThat(names(root)).containsExactly(".", "..", "g");
            assertThat(root.nlink()).isEqualTo(2);
        }

        @Test
        void removedDirectoryAcceptsNoNewEntries() {
            Node d = fs.createDirectory(root, "d");
            fs.removeDirectory(root, "d");

            fails(Errno.ENOENT, () -> fs.createFile(d, "f"));
            fails(Errno.ENOENT, () -> fs.resolve(d, "..", true));
        }

        @Test
        void listingHasDotEntriesThenChildrenInNameOrder() {
            Node b = fs.createDirectory(root, "b");
            Node c = fs.createFile(root, "c");
            Node a = fs.createSymlink(root, "a", "c");

            assertThat(fs.list(root))
                    .containsExactly(
                            new DirEntry(".", root.ino(), Kind.DIRECTORY),
                            new DirEntry("..", root.ino(), Kind.DIRECTORY),
                            new DirEntry("a", a.ino(), Kind.SYMLINK),
                            new DirEntry("b", b.ino(), Kind.DIRECTORY),
                            new DirEntry("c", c.ino(), Kind.FILE));
            fails(Errno.ENOTDIR, () -> fs.list(c));
        }
    }

    @Nested
    class Rename {
        @Test
        void fileMovesBetweenDirectories() {
            Node f = file(root, "f", "x");
            Node d = fs.createDirectory(root, "d");

            fs.rename(root, "f", d, "g");

            assertThat(fs.resolve(root, "d/g", false)).isSameAs(f);
            assertThat(names(root)).containsExactly(".", "..", "d");
        }

        @Test
        void fileOverFileReplacesIt() {
            Node from = file(root, "from", "new");
            Node old = file(root, "to", "old");

            fs.rename(root, "from", root, "to");

            assertThat(fs.resolve(root, "to", false)).isSameAs(from);
            assertThat(old.nlink()).isZero();
            assertThat(names(root)).containsExactly(".", "..", "to");
        }

        @Test
        void directoryOverEmptyDirectoryReplacesItAndMovesItsDotDot() {
            Node a = fs.createDirectory(root, "a");
            Node parent = fs.createDirectory(root, "p");
            fs.createDirectory(parent, "empty");

            fs.rename(root, "a", parent, "empty");

            assertThat(fs.resolve(root, "p/empty", false)).isSameAs(a);
            assertThat(fs.resolve(a, "..", false)).isSameAs(parent);
            assertThat(parent.nlink()).isEqualTo(3);
            assertThat(root.nlink()).isEqualTo(3);
        }

        @Test
        void directoryOverNonEmptyDirectoryIsEnotempty() {
            fs.createDirectory(root, "a");
            Node b = fs.createDirectory(root, "b");
            fs.createFile(b, "f");

            fails(Errno.ENOTEMPTY, () -> fs.rename(root, "a", root, "b"));
        }

        @Test
        void fileOverDirectoryIsEisdirAndDirectoryOverFileIsEnotdir() {
            fs.createFile(root, "f");
            fs.createDirectory(root, "d");

            fails(Errno.EISDIR, () -> fs.rename(root, "f", root, "d"));
            fails(Errno.ENOTDIR, () -> fs.rename(root, "d", root, "f"));
        }

        @Test
        void directoryIntoItsOwnSubtreeIsEinval() {
            Node a = fs.createDirectory(root, "a");
            Node b = fs.createDirectory(a, "b");

            fails(Errno.EINVAL, () -> fs.rename(root, "a", b, "a"));
            fails(Errno.EINVAL, () -> fs.rename(root, "a", a, "self"));
        }

        @Test
        void renameOntoAnotherNameOfTheSameInodeChangesNothing() {
            Node f = fs.createFile(root, "f");
            fs.link(f, root, "g");

            fs.rename(root, "f", root, "g");
            fs.rename(root, "f", root, "f");

            assertThat(names(root)).containsExactly(".", "..", "f", "g");
            assertThat(f.nlink()).isEqualTo(2);
        }

        @Test
        void missingSourceIsEnoentAndAcrossFileSystemsIsExdev() {
            fs.createFile(root, "f");
            FileSystem other = new FileSystem(clock::get, LIMIT);

            fails(Errno.ENOENT, () -> fs.rename(root, "nope", root, "x"));
            fails(Errno.EXDEV, () -> fs.rename(root, "f", other.root(), "f"));
        }
    }

    @Nested
    class Content {
        @Test
        void writtenBytesReadBackAndReadingAtTheEndGivesZero() {
            Node f = file(root, "f", "hello world");
            byte[] buf = new byte[5];

            assertThat(fs.read(f, 6, buf, 0, 5)).isEqualTo(5);
            assertThat(new String(buf, UTF_8)).isEqualTo("world");
            assertThat(fs.read(f, 8, buf, 0, 5)).isEqualTo(3);
            assertThat(fs.read(f, 11, buf, 0, 5)).isZero();
            assertThat(fs.read(f, 1_000, buf, 0, 5)).isZero();
        }

        @Test
        void writePastTheEndFillsTheGapWithZeros() {
            Node f = file(root, "f", "ab");

            fs.write(f, 5, "cd".getBytes(UTF_8), 0, 2);

            assertThat(fs.size(f)).isEqualTo(7);
            assertThat(content(f)).isEqualTo("ab\0\0\0cd");
        }

        @Test
        void truncatedBytesReadAsZerosWhenTheFileGrowsAgain() {
            Node f = file(root, "f", "abcdefgh");

            fs.setSize(f, 2);
            assertThat(content(f)).isEqualTo("ab");
            fs.setSize(f, 5);

            assertThat(content(f)).isEqualTo("ab\0\0\0");
        }

        @Test
        void fileBeyondTheMaximumSizeIsEfbig() {
            Node f = fs.createFile(root, "f");

            fails(Errno.EFBIG, () -> fs.write(f, Node.MAX_FILE_SIZE, new byte[1], 0, 1));
            fails(Errno.EFBIG, () -> fs.setSize(f, Node.MAX_FILE_SIZE + 1L));
        }

        @Test
        void negativeOffsetsAndSizesAreEinval() {
            Node f = fs.createFile(root, "f");

            fails(Errno.EINVAL, () -> fs.read(f, -1, new byte[1], 0, 1));
            fails(Errno.EINVAL, () -> fs.write(f, -1, new byte[1], 0, 1));
            fails(Errno.EINVAL, () -> fs.setSize(f, -1));
        }

        @Test
        void dataOperationsOnADirectoryAreEisdir() {
            Node d = fs.createDirectory(root, "d");

            fails(Errno.EISDIR, () -> fs.read(d, 0, new byte[1], 0, 1));
            fails(Errno.EISDIR, () -> fs.write(d, 0, new byte[1], 0, 1));
        }

        @Test
        void unlinkedFileStaysReadableThroughItsNode() {
            Node f = file(root, "f", "still here");

            fs.unlinkFile(root, "f");

            assertThat(content(f)).isEqualTo("still here");
        }
    }

    @Nested
    class Space {
        @Test
        void bytesUsedCountsContentInodesAndNames() {
            long empty = fs.bytesUsed();
            file(root, "ab", "12345");

            assertThat(empty).isEqualTo(FileSystem.INODE_COST);
            assertThat(fs.bytesUsed()).isEqualTo(empty + FileSystem.INODE_COST + 5 + FileSystem.ENTRY_COST + 2);
            fs.unlinkFile(root, "ab");
            assertThat(fs.bytesUsed()).isEqualTo(empty);
        }

        @Test
        void writeThatDoesNotFitIsShortThenEnospc() {
            FileSystem small = new FileSystem(clock::get, 1_000);
            Node f = small.createFile(small.root(), "f");
            long free = 1_000 - small.bytesUsed();

            int written = small.write(f, 0, new byte[2_000], 0, 2_000);

            assertThat(written).isEqualTo(free);
            assertThat(small.bytesUsed()).isEqualTo(1_000);
            fails(Errno.ENOSPC, () -> small.write(f, written, new byte[1], 0, 1));
            fails(Errno.ENOSPC, () -> small.setSize(f, written + 1L));
            fails(Errno.ENOSPC, () -> small.createFile(small.root(), "g"));
        }

        @Test
        void overwritingInPlaceNeedsNoSpace() {
            FileSystem small = new FileSystem(clock::get, 1_000);
            Node f = small.createFile(small.root(), "f");
            small.write(f, 0, new byte[2_000], 0, 2_000);

            assertThat(small.write(f, 0, new byte[10], 0, 10)).isEqualTo(10);
        }

        @Test
        void hardLinksAreChargedForTheirNames() {
            FileSystem small = new FileSystem(clock::get, 1_000);
            Node f = small.createFile(small.root(), "f");

            fails(Errno.ENOSPC, () -> {
                for (int i = 0; ; i++) {
                    small.link(f, small.root(), "link" + i);
                }
            });
            assertThat(small.bytesUsed()).isLessThanOrEqualTo(1_000);
        }
    }

    @Nested
    class Times {
        @Test
        void newNodeAndItsParentTakeTheClock() {
            clock.set(5_000);
            Node f = fs.createFile(root, "f");

            assertThat(List.of(f.atim(), f.mtim(), f.ctim())).containsOnly(5_000L);
            assertThat(root.mtim()).isEqualTo(5_000);
            assertThat(root.ctim()).isEqualTo(5_000);
        }

        @Test
        void writeUpdatesMtimAndCtimButReadTouchesNothing() {
            Node f = fs.createFile(root, "f");
            clock.set(7_000);
            fs.write(f, 0, new byte[3], 0, 3);
            clock.set(9_000);
            fs.read(f, 0, new byte[3], 0, 3);

            assertThat(f.atim()).isEqualTo(1_000);
            assertThat(f.mtim()).isEqualTo(7_000);
            assertThat(f.ctim()).isEqualTo(7_000);
        }

        @Test
        void setTimesTakesGivenValuesOrNow() {
            Node f = fs.createFile(root, "f");
            clock.set(8_000);

            fs.setTimes(f, 111, 222, true, false, true, false);
            assertThat(List.of(f.atim(), f.mtim(), f.ctim())).containsExactly(111L, 222L, 8_000L);
            clock.set(9_000);
            fs.setTimes(f, 0, 0, false, true, false, false);
            assertThat(List.of(f.atim(), f.mtim(), f.ctim())).containsExactly(9_000L, 222L, 9_000L);
        }

        @Test
        void givenAndNowForTheSameTimestampIsEinval() {
            Node f = fs.createFile(root, "f");

            fails(Errno.EINVAL, () -> fs.setTimes(f, 1, 1, true, true, false, false));
            fails(Errno.EINVAL, () -> fs.setTimes(f, 1, 1, false, false, true, true));
        }
    }

    @Nested
    class State {
        private FileSystem roundTrip(FileSystem source) throws Exception {
            byte[] bytes = source.toState().toByteArray();
            return FileSystem.fromState(FileSystemState.parseFrom(bytes), clock::get, LIMIT);
        }

        @Test
        void roundTripKeepsContentStructureHardLinksAndInodeNumbers() throws Exception {
            Node docs = fs.createDirectory(root, "docs");
            Node readme = file(docs, "readme", "hello");
            fs.link(readme, root, "readme-link");
            fs.createSymlink(root, "to-docs", "docs");
            fs.createDirectory(docs, "empty");
            clock.set(42_000);
            fs.setTimes(readme, 7, 8, true, false, true, false);

            FileSystem copy = roundTrip(fs);

            Node copied = copy.resolve(copy.root(), "to-docs/readme", true);
            assertThat(content(copy, copied)).isEqualTo("hello");
            assertThat(copy.resolve(copy.root(), "readme-link", false)).isSameAs(copied);
            assertThat(copied.nlink()).isEqualTo(2);
            assertThat(copied.ino()).isEqualTo(readme.ino());
            assertThat(List.of(copied.atim(), copied.mtim(), copied.ctim())).containsExactly(7L, 8L, 42_000L);
            assertThat(copy.list(copy.resolve(copy.root(), "docs", false))).isEqualTo(fs.list(docs));
            assertThat(copy.resolve(copy.root(), "docs/empty/../..", false)).isSameAs(copy.root());
            assertThat(copy.bytesUsed()).isEqualTo(fs.bytesUsed());
            assertThat(copy.toState()).isEqualTo(fs.toState());
        }

        @Test
        void restoredFileSystemContinuesTheInodeNumbering() throws Exception {
            fs.createFile(root, "a");
            Node gone = fs.createFile(root, "b");
            fs.unlinkFile(root, "b");

            FileSystem copy = roundTrip(fs);

            assertThat(copy.createFile(copy.root(), "c").ino()).isGreaterThan(gone.ino());
        }

        private String content(FileSystem owner, Node file) {
            byte[] out = new byte[(int) owner.size(file)];
            owner.read(file, 0, out, 0, out.length);
            return new String(out, UTF_8);
        }

        private Inode dirInode(long ino, long nlink, DirectoryEntry... entries) {
            return Inode.newBuilder()
                    .setIno(ino)
                    .setKind(InodeKind.INODE_KIND_DIRECTORY)
                    .setNlink(nlink)
                    .addAllEntries(List.of(entries))
                    .build();
        }

        private Inode fileInode(long ino, long nlink) {
            return Inode.newBuilder()
                    .setIno(ino)
                    .setKind(InodeKind.INODE_KIND_FILE)
                    .setNlink(nlink)
                    .build();
        }

        private DirectoryEntry entry(String name, long ino) {
            return DirectoryEntry.newBuilder().setName(name).setIno(ino).build();
        }

        private void refused(String why, Inode... inodes) {
            FileSystemState state = FileSystemState.newBuilder()
                    .setRootIno(1)
                    .setNextIno(10)
                    .addAllInodes(List.of(inodes))
                    .build();
            assertThatThrownBy(() -> FileSystem.fromState(state, clock::get, LIMIT))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessageContaining(why);
        }

        @Test
        void wellFormedHandWrittenStateIsAccepted() {
            FileSystemState state = FileSystemState.newBuilder()
                    .setRootIno(1)
                    .setNextIno(10)
                    .addInodes(dirInode(1, 3, entry("d", 2), entry("f", 3), entry("g", 3)))
                    .addInodes(dirInode(2, 2))
                    .addInodes(fileInode(3, 2))
                    .build();

            FileSystem restored = FileSystem.fromState(state, clock::get, LIMIT);

            assertThat(restored.resolve(restored.root(), "g", false))
                    .isSameAs(restored.resolve(restored.root(), "f", false));
        }

        @Test
        void entryNamingAnUnknownInodeIsRefused() {
            refused("unknown inode 7", dirInode(1, 2, entry("f", 7)));
        }

        @Test
        void missingRootOrRootThatIsNotADirectoryIsRefused() {
            refused("root inode 1 is missing", dirInode(2, 2));
            refused("not a directory", fileInode(1, 0));
        }

        @Test
        void directoryCycleIsRefused() {
            refused("reached twice", dirInode(1, 3, entry("a", 2)), dirInode(2, 3, entry("back", 1)));
            refused("reached twice", dirInode(1, 4, entry("a", 2), entry("b", 2)), dirInode(2, 2));
        }

        @Test
        void duplicateNamesAndInvalidNamesAreRefused() {
            refused("two entries named 'f'", dirInode(1, 2, entry("f", 2), entry("f", 2)), fileInode(2, 2));
            refused("invalid entry name 'a/b'", dirInode(1, 2, entry("a/b", 2)), fileInode(2, 1));
        }

        @Test
        void wrongLinkCountIsRefused() {
            refused("has nlink 1 but 2 links", dirInode(1, 2, entry("f", 2), entry("g", 2)), fileInode(2, 1));
            refused("has nlink 2 but 3 links", dirInode(1, 2, entry("d", 2)), dirInode(2, 2));
        }

        @Test
        void unreachableOrDuplicatedInodeIsRefused() {
            refused("not reachable", dirInode(1, 2), fileInode(2, 1));
            refused("appears twice", dirInode(1, 2), dirInode(1, 2));
        }

        @Test
        void inodeNumberNotBelowNextInoIsRefused() {
            refused("not in 1..10", dirInode(1, 2, entry("f", 10)), fileInode(10, 1));
        }

        @Test
        void fieldsOfAnotherKindAreRefused() {
            Inode fileWithTarget =
                    fileInode(2, 1).toBuilder().setSymlinkTarget("x").build();
            refused("carries fields of another kind", dirInode(1, 2, entry("f", 2)), fileWithTarget);
        }

        @Test
        void stateLargerThanTheLimitHereIsRefused() {
            file(root, "big", "x".repeat(10_000));

            assertThatThrownBy(() -> FileSystem.fromState(fs.toState(), clock::get, 5_000))
                    .isInstanceOf(StateMismatchException.class)
                    .hasMessageContaining("limit here is 5000");
        }
    }
}
