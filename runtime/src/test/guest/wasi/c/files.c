/* Filesystem calls inside one directory tree (WASI: a preopened directory).
 *
 *   files [ROOT]        ROOT defaults to "/data"
 *
 * ROOT must hold exactly in/input.txt (see README.md) and nothing else. The
 * program builds and removes a scratch tree ROOT/work, and leaves ROOT/out:
 *   out/big.bin               204800 bytes, byte i = (i * 7 + (i >> 10)) & 0xff
 *   out/empty/                an empty directory
 *   out/log.txt               "one\ntwo\nthree\nfour\n" (O_APPEND writes)
 *   out/nested/a/b/leaf.txt   "leaf via openat\n"
 *   out/result.txt            a summary computed from the steps below
 *   out/sparse.bin            21 bytes with a zero-filled hole
 * Output never contains ROOT, so a native run (ROOT = a temp dir) prints the
 * same bytes as a WASI run with ROOT = /data. Any failed check prints
 * "FAIL ..." and exits 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char *root = "/data";

/* ROOT "/" rel, in one of 8 rotating buffers. */
static const char *P(const char *rel) {
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", root, rel);
    return b;
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ESPIPE: return "ESPIPE";
    case EIO: return "EIO";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: {
        static char b[32];
        snprintf(b, sizeof b, "errno(%d)", e);
        return b;
    }
    }
}

#define CHECK(cond, what)                                                        \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("FAIL %s (line %d): %s\n", (what), __LINE__, errname(errno)); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

static uint32_t fnv1a(uint32_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
#define FNV_INIT 2166136261u

/* Prints "<label>: <errno name>" for a call that is expected to fail. */
static void expect_err(const char *label, int rc, int want) {
    int e = rc < 0 ? errno : 0;
    printf("%-40s %s%s\n", label, errname(e), e == want ? "" : "   <-- unexpected");
    if (e != want) exit(1);
}

static void write_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        CHECK(w > 0, "write");
        p += w;
        n -= (size_t)w;
    }
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open for write");
    write_all(fd, text, strlen(text));
    CHECK(close(fd) == 0, "close");
}

/* Reads a whole (small) file into buf, returns its length. */
static size_t read_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open for read");
    size_t n = 0;
    for (;;) {
        CHECK(n < cap, "file too big");
        ssize_t r = read(fd, buf + n, cap - n);
        CHECK(r >= 0, "read");
        if (r == 0) break;
        n += (size_t)r;
    }
    CHECK(close(fd) == 0, "close");
    return n;
}

static void print_escaped(const char *label, const char *s, size_t n) {
    printf("%s \"", label);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') printf("\\n");
        else if (c == '\\' || c == '"') printf("\\%c", c);
        else if (c >= 32 && c < 127) putchar(c);
        else printf("\\x%02x", c);
    }
    printf("\"\n");
}

static const char *type_of(const char *path) {
    struct stat st;
    CHECK(stat(path, &st) == 0, "stat");
    return S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other";
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directory entries of path except "." and "..", sorted; returns count. */
static int list_dir(const char *path, char **names, int cap, char *types) {
    DIR *d = opendir(path);
    CHECK(d != NULL, "opendir");
    int n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        CHECK(n < cap, "too many entries");
        /* name, NUL, then a d_type letter kept for after the sort */
        size_t len = strlen(e->d_name);
        names[n] = malloc(len + 2);
        CHECK(names[n] != NULL, "malloc");
        memcpy(names[n], e->d_name, len + 1);
        names[n][len + 1] =
            e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_UNKNOWN ? '?' : 'o';
        n++;
    }
    CHECK(errno == 0, "readdir");
    CHECK(closedir(d) == 0, "closedir");
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    if (types) {
        for (int i = 0; i < n; i++) types[i] = names[i][strlen(names[i]) + 1];
    }
    return n;
}

static uint32_t input_hash;
static size_t input_bytes, input_lines;

static void step_input(void) {
    printf("== input\n");
    char buf[4096];
    /* read(2) in small chunks */
    int fd = open(P("in/input.txt"), O_RDONLY);
    CHECK(fd >= 0, "open in/input.txt");
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, 7);
        CHECK(r >= 0, "read");
        if (r == 0) break;
        n += (size_t)r;
        CHECK(n + 7 <= sizeof buf, "input too big");
    }
    CHECK(close(fd) == 0, "close");
    input_bytes = n;
    input_hash = fnv1a(FNV_INIT, buf, n);
    for (size_t i = 0; i < n; i++) input_lines += buf[i] == '\n';
    printf("input.txt bytes=%zu lines=%zu fnv1a=%08" PRIx32 "\n", input_bytes, input_lines, input_hash);

    /* the same through stdio */
    FILE *f = fopen(P("in/input.txt"), "r");
    CHECK(f != NULL, "fopen in/input.txt");
    char line[256];
    int lines = 0;
    uint32_t h = FNV_INIT;
    while (fgets(line, sizeof line, f)) {
        if (lines == 0) {
            size_t l = strlen(line);
            print_escaped("first line", line, l);
        }
        h = fnv1a(h, line, strlen(line));
        lines++;
    }
    CHECK(!ferror(f), "fgets");
    fclose(f);
    printf("stdio: lines=%d same hash=%s\n", lines, h == input_hash ? "yes" : "no");

    struct stat st;
    CHECK(stat(P("in/input.txt"), &st) == 0, "stat");
    printf("stat in/input.txt: %s size=%lld\n", S_ISREG(st.st_mode) ? "file" : "not-file", (long long)st.st_size);
    CHECK(stat(P("in"), &st) == 0, "stat in");
    printf("stat in: %s\n", S_ISDIR(st.st_mode) ? "dir" : "not-dir");
    CHECK(stat(root, &st) == 0, "stat root");
    printf("stat root: %s\n", S_ISDIR(st.st_mode) ? "dir" : "not-dir");
}

static void step_mkdir(void) {
    printf("== mkdir\n");
    CHECK(mkdir(P("work"), 0755) == 0, "mkdir work");
    CHECK(mkdir(P("out"), 0755) == 0, "mkdir out");
    CHECK(mkdir(P("out/empty"), 0755) == 0, "mkdir out/empty");
    const char *nested[] = {"out/nested", "out/nested/a", "out/nested/a/b"};
    for (int i = 0; i < 3; i++) CHECK(mkdir(P(nested[i]), 0755) == 0, nested[i]);
    printf("created work out out/empty out/nested/a/b\n");
    expect_err("mkdir existing work", mkdir(P("work"), 0755), EEXIST);
    expect_err("mkdir under missing parent", mkdir(P("work/no/such"), 0755), ENOENT);
    printf("type out/nested/a/b: %s\n", type_of(P("out/nested/a/b")));
}

static void step_stdio(void) {
    printf("== stdio\n");
    FILE *f = fopen(P("work/stdio.txt"), "w");
    CHECK(f != NULL, "fopen w");
    for (int i = 1; i <= 100; i++) fprintf(f, "line %d: %d\n", i, i * i);
    size_t w = fwrite("tail-without-newline", 1, 20, f);
    CHECK(w == 20, "fwrite");
    CHECK(fclose(f) == 0, "fclose");

    struct stat st;
    CHECK(stat(P("work/stdio.txt"), &st) == 0, "stat");
    printf("stdio.txt size=%lld\n", (long long)st.st_size);

    f = fopen(P("work/stdio.txt"), "r");
    CHECK(f != NULL, "fopen r");
    char line[128];
    int lines = 0;
    long sum = 0;
    while (fgets(line, sizeof line, f)) {
        int a, b;
        if (sscanf(line, "line %d: %d", &a, &b) == 2) sum += b;
        lines++;
    }
    printf("fgets lines=%d sum of squares=%ld\n", lines, sum);
    CHECK(fseek(f, -20, SEEK_END) == 0, "fseek END");
    long pos = ftell(f);
    char tail[32] = {0};
    size_t r = fread(tail, 1, sizeof tail - 1, f);
    printf("ftell after fseek(-20, END)=%ld fread=%zu \"%s\"\n", pos, r, tail);
    CHECK(fseek(f, 5, SEEK_SET) == 0, "fseek SET");
    r = fread(tail, 1, 3, f);
    tail[r] = 0;
    printf("fseek(5, SET) fread(3)=\"%s\" ftell=%ld\n", tail, ftell(f));
    rewind(f);
    r = fread(tail, 1, 6, f);
    tail[r] = 0;
    printf("rewind fread(6)=\"%s\"\n", tail);
    fclose(f);

    /* fopen "r+" overwrites in place */
    f = fopen(P("work/stdio.txt"), "r+");
    CHECK(f != NULL, "fopen r+");
    CHECK(fputs("LINE", f) >= 0, "fputs");
    CHECK(fclose(f) == 0, "fclose");
    char buf[4096];
    size_t n = read_file(P("work/stdio.txt"), buf, sizeof buf);
    print_escaped("after r+ first 12", buf, 12);
    printf("size still %zu\n", n);
}

static void step_raw(void) {
    printf("== open/read/write/lseek\n");
    int fd = open(P("work/raw.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open raw.bin");
    write_all(fd, "0123456789abcdefghij", 20);
    char b[64];
    printf("lseek(0, CUR)=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek(5, SET)=%lld\n", (long long)lseek(fd, 5, SEEK_SET));
    ssize_t r = read(fd, b, 5);
    printf("read(5)=%zd \"%.*s\"\n", r, (int)r, b);
    printf("lseek(-3, CUR)=%lld\n", (long long)lseek(fd, -3, SEEK_CUR));
    r = read(fd, b, 3);
    printf("read(3)=%zd \"%.*s\"\n", r, (int)r, b);
    printf("lseek(-4, END)=%lld\n", (long long)lseek(fd, -4, SEEK_END));
    r = read(fd, b, 10);
    printf("read(10)=%zd \"%.*s\"\n", r, (int)r, b);
    r = read(fd, b, 10);
    printf("read at EOF=%zd\n", r);
    r = pread(fd, b, 4, 10);
    printf("pread(4, @10)=%zd \"%.*s\" pos=%lld\n", r, (int)r, b, (long long)lseek(fd, 0, SEEK_CUR));
    r = pwrite(fd, "XY", 2, 2);
    printf("pwrite(\"XY\", @2)=%zd pos=%lld\n", r, (long long)lseek(fd, 0, SEEK_CUR));
    r = pread(fd, b, 30, 0);
    printf("pread(30, @0)=%zd \"%.*s\"\n", r, (int)r, b);

    struct stat st;
    CHECK(ftruncate(fd, 12) == 0, "ftruncate 12");
    CHECK(fstat(fd, &st) == 0, "fstat");
    printf("ftruncate(12): fstat size=%lld %s\n", (long long)st.st_size, S_ISREG(st.st_mode) ? "file" : "?");
    printf("lseek(0, END)=%lld\n", (long long)lseek(fd, 0, SEEK_END));
    CHECK(ftruncate(fd, 16) == 0, "ftruncate 16");
    CHECK(fstat(fd, &st) == 0, "fstat");
    printf("ftruncate(16): fstat size=%lld\n", (long long)st.st_size);
    r = pread(fd, b, 64, 0);
    print_escaped("content", b, (size_t)r);
    /* a write past the end leaves a zero-filled hole */
    printf("lseek(4, END)=%lld\n", (long long)lseek(fd, 4, SEEK_END));
    write_all(fd, "Z", 1);
    CHECK(fstat(fd, &st) == 0, "fstat");
    printf("after write past end: size=%lld\n", (long long)st.st_size);
    r = pread(fd, b, 64, 0);
    print_escaped("content", b, (size_t)r);
    CHECK(fsync(fd) == 0, "fsync");
    CHECK(fdatasync(fd) == 0, "fdatasync");
    printf("fsync fdatasync ok\n");
    expect_err("lseek(-1, SET)", (int)lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK(close(fd) == 0, "close");
    expect_err("read on closed fd", (int)read(fd, b, 1), EBADF);
    expect_err("close closed fd", close(fd), EBADF);

    /* O_RDONLY file: open existing without O_TRUNC keeps content */
    fd = open(P("work/raw.bin"), O_RDONLY);
    CHECK(fd >= 0, "open ro");
    r = read(fd, b, 64);
    printf("reopen read=%zd\n", r);
    close(fd);
    /* O_TRUNC on an existing file */
    write_file(P("work/trunc.txt"), "long original content");
    write_file(P("work/trunc.txt"), "short");
    CHECK(stat(P("work/trunc.txt"), &st) == 0, "stat");
    printf("O_TRUNC rewrite size=%lld\n", (long long)st.st_size);
}

static void step_append(void) {
    printf("== append\n");
    int fd = open(P("out/log.txt"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    CHECK(fd >= 0, "open append");
    write_all(fd, "one\n", 4);
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    write_all(fd, "two\n", 4); /* O_APPEND: still goes to the end */
    CHECK(close(fd) == 0, "close");
    FILE *f = fopen(P("out/log.txt"), "a");
    CHECK(f != NULL, "fopen a");
    fputs("three\n", f);
    CHECK(fclose(f) == 0, "fclose");
    f = fopen(P("out/log.txt"), "a+");
    CHECK(f != NULL, "fopen a+");
    char b[64] = {0};
    size_t r = fread(b, 1, 4, f); /* a+ reads from the start */
    printf("a+ fread(4)=%zu ", r);
    print_escaped("content", b, r);
    fputs("four\n", f);
    CHECK(fclose(f) == 0, "fclose");
    char buf[256];
    size_t n = read_file(P("out/log.txt"), buf, sizeof buf);
    print_escaped("log.txt", buf, n);
}

#define BIG_SIZE 204800
static unsigned char big_byte(uint32_t i) { return (unsigned char)(i * 7u + (i >> 10)); }

static uint32_t big_hash;

static void step_big(void) {
    printf("== big file\n");
    static unsigned char buf[BIG_SIZE];
    for (uint32_t i = 0; i < BIG_SIZE; i++) buf[i] = big_byte(i);
    big_hash = fnv1a(FNV_INIT, buf, BIG_SIZE);
    int fd = open(P("out/big.bin"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open big");
    for (size_t off = 0; off < BIG_SIZE; off += 4099) {
        size_t n = BIG_SIZE - off < 4099 ? BIG_SIZE - off : 4099;
        write_all(fd, buf + off, n);
    }
    CHECK(close(fd) == 0, "close");
    struct stat st;
    CHECK(stat(P("out/big.bin"), &st) == 0, "stat");
    printf("big.bin size=%lld fnv1a=%08" PRIx32 "\n", (long long)st.st_size, big_hash);

    /* read back with fread in 1000-byte pieces */
    FILE *f = fopen(P("out/big.bin"), "rb");
    CHECK(f != NULL, "fopen big");
    unsigned char chunk[1000];
    size_t total = 0, bad = 0, r;
    uint32_t h = FNV_INIT;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        for (size_t i = 0; i < r; i++) bad += chunk[i] != big_byte((uint32_t)(total + i));
        h = fnv1a(h, chunk, r);
        total += r;
    }
    CHECK(!ferror(f), "fread");
    fclose(f);
    printf("fread total=%zu mismatches=%zu same hash=%s\n", total, bad, h == big_hash ? "yes" : "no");

    /* pread at a few offsets, one read of the whole file */
    fd = open(P("out/big.bin"), O_RDONLY);
    CHECK(fd >= 0, "open big ro");
    const long offs[] = {0, 4095, 65536, 131071, BIG_SIZE - 8, BIG_SIZE};
    for (int k = 0; k < 6; k++) {
        unsigned char b[16];
        ssize_t n = pread(fd, b, sizeof b, offs[k]);
        CHECK(n >= 0, "pread");
        printf("pread @%ld =%zd:", offs[k], n);
        for (ssize_t i = 0; i < n; i++) printf(" %02x", b[i]);
        printf("\n");
    }
    static unsigned char all[BIG_SIZE + 100];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, all + got, sizeof all - got)) > 0) got += (size_t)n;
    CHECK(n == 0, "read big");
    printf("read() total=%zu same=%s\n", got, got == BIG_SIZE && memcmp(all, buf, BIG_SIZE) == 0 ? "yes" : "no");
    close(fd);
}

static void step_rename(void) {
    printf("== rename/unlink\n");
    struct stat st;
    CHECK(rename(P("work/stdio.txt"), P("work/renamed.txt")) == 0, "rename file");
    expect_err("stat old name", stat(P("work/stdio.txt"), &st), ENOENT);
    CHECK(stat(P("work/renamed.txt"), &st) == 0, "stat new");
    printf("renamed.txt size=%lld\n", (long long)st.st_size);

    write_file(P("work/victim.txt"), "victim");
    CHECK(rename(P("work/raw.bin"), P("work/victim.txt")) == 0, "rename over existing");
    CHECK(stat(P("work/victim.txt"), &st) == 0, "stat");
    printf("rename over existing: size=%lld\n", (long long)st.st_size);
    expect_err("stat replaced source", stat(P("work/raw.bin"), &st), ENOENT);

    CHECK(mkdir(P("work/d1"), 0755) == 0, "mkdir d1");
    write_file(P("work/d1/inner.txt"), "inner\n");
    CHECK(rename(P("work/d1"), P("work/d2")) == 0, "rename dir");
    char buf[64];
    size_t n = read_file(P("work/d2/inner.txt"), buf, sizeof buf);
    print_escaped("d2/inner.txt", buf, n);
    expect_err("stat old dir", stat(P("work/d1"), &st), ENOENT);

    /* move across directories */
    CHECK(rename(P("work/victim.txt"), P("out/sparse.bin")) == 0, "rename across dirs");
    printf("moved to out/sparse.bin: %s\n", type_of(P("out/sparse.bin")));

    CHECK(unlink(P("work/renamed.txt")) == 0, "unlink");
    expect_err("stat unlinked", stat(P("work/renamed.txt"), &st), ENOENT);
    expect_err("unlink again", unlink(P("work/renamed.txt")), ENOENT);
}

#define MANY 300

static void step_readdir(void) {
    printf("== readdir\n");
    CHECK(mkdir(P("work/many"), 0755) == 0, "mkdir many");
    /* created in a scrambled order */
    for (int k = 0; k < MANY; k++) {
        int i = (k * 7) % MANY;
        char rel[64];
        snprintf(rel, sizeof rel, "work/many/entry-%03d.dat", i);
        int fd = open(P(rel), O_WRONLY | O_CREAT | O_EXCL, 0644);
        CHECK(fd >= 0, "create entry");
        if (i % 50 == 0) write_all(fd, rel, strlen(rel));
        close(fd);
    }
    CHECK(mkdir(P("work/many/sub"), 0755) == 0, "mkdir sub");

    static char *names[MANY + 10];
    static char types[MANY + 10];
    int n = list_dir(P("work/many"), names, MANY + 10, types);
    int ok = n == MANY + 1, files = 0, dirs = 0, unknown = 0;
    for (int i = 0; i < n; i++) {
        char want[32];
        if (i < MANY) snprintf(want, sizeof want, "entry-%03d.dat", i);
        else strcpy(want, "sub");
        if (strcmp(names[i], want) != 0) ok = 0;
        if (types[i] == '?') unknown++;
        else if (types[i] == 'd') dirs++;
        else if (types[i] == 'f') files++;
    }
    printf("work/many: %d entries, names %s\n", n, ok ? "ok" : "WRONG");
    /* d_type may be DT_UNKNOWN on some native filesystems; then check with stat */
    if (unknown > 0) {
        files = dirs = 0;
        for (int i = 0; i < n; i++) {
            char rel[64];
            snprintf(rel, sizeof rel, "work/many/%s", names[i]);
            const char *t = type_of(P(rel));
            files += strcmp(t, "file") == 0;
            dirs += strcmp(t, "dir") == 0;
        }
    }
    printf("d_type: %d files, %d dirs\n", files, dirs);

    /* rewinddir gives the same entries again */
    DIR *d = opendir(P("work/many"));
    CHECK(d != NULL, "opendir");
    int c1 = 0, c2 = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) c1 += e->d_name[0] != '.';
    rewinddir(d);
    while ((e = readdir(d)) != NULL) c2 += e->d_name[0] != '.';
    closedir(d);
    printf("readdir count=%d after rewinddir=%d\n", c1, c2);

    /* sizes via stat */
    long long total = 0;
    for (int i = 0; i < MANY; i += 50) {
        char rel[64];
        struct stat st;
        snprintf(rel, sizeof rel, "work/many/%s", names[i]);
        CHECK(stat(P(rel), &st) == 0, "stat entry");
        total += st.st_size;
    }
    printf("sizes of every 50th entry: %lld\n", total);

    /* remove them */
    for (int i = 0; i < n; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "work/many/%s", names[i]);
        if (strcmp(names[i], "sub") == 0) CHECK(rmdir(P(rel)) == 0, "rmdir sub");
        else CHECK(unlink(P(rel)) == 0, "unlink entry");
        free(names[i]);
    }
    n = list_dir(P("work/many"), names, MANY + 10, NULL);
    printf("after removal: %d entries\n", n);
    CHECK(rmdir(P("work/many")) == 0, "rmdir many");

    /* listing of the work directory, with types */
    n = list_dir(P("work"), names, MANY + 10, NULL);
    printf("work:");
    for (int i = 0; i < n; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "work/%s", names[i]);
        printf(" %s(%s)", names[i], type_of(P(rel)));
        free(names[i]);
    }
    printf("\n");
}

static void step_at(void) {
    printf("== *at calls\n");
    int dfd = open(P("out/nested/a/b"), O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open dir");
    int fd = openat(dfd, "leaf.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "openat");
    write_all(fd, "leaf via openat\n", 16);
    close(fd);
    struct stat st;
    CHECK(fstatat(dfd, "leaf.txt", &st, 0) == 0, "fstatat");
    printf("fstatat leaf.txt size=%lld\n", (long long)st.st_size);
    CHECK(fstat(dfd, &st) == 0, "fstat dir");
    printf("fstat dir fd: %s\n", S_ISDIR(st.st_mode) ? "dir" : "not-dir");
    CHECK(mkdirat(dfd, "c", 0755) == 0, "mkdirat");
    fd = openat(dfd, "c/tmp.txt", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0, "openat c/tmp.txt");
    close(fd);
    expect_err("unlinkat(dir, AT_REMOVEDIR) non-empty", unlinkat(dfd, "c", AT_REMOVEDIR), ENOTEMPTY);
    CHECK(unlinkat(dfd, "c/tmp.txt", 0) == 0, "unlinkat file");
    CHECK(unlinkat(dfd, "c", AT_REMOVEDIR) == 0, "unlinkat dir");
    expect_err("fstatat removed", fstatat(dfd, "c", &st, 0), ENOENT);
    CHECK(renameat(dfd, "leaf.txt", dfd, "leaf2.txt") == 0, "renameat");
    CHECK(renameat(dfd, "leaf2.txt", dfd, "leaf.txt") == 0, "renameat back");
    CHECK(close(dfd) == 0, "close dir");
    printf("mkdirat/openat/unlinkat/renameat ok\n");
}

static void step_times(void) {
    printf("== timestamps\n");
    struct stat st;
    struct timespec now;
    CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0, "clock_gettime");
    write_file(P("work/times.txt"), "t");
    CHECK(stat(P("work/times.txt"), &st) == 0, "stat");
    long long d = (long long)st.st_mtim.tv_sec - (long long)now.tv_sec;
    printf("new file mtime within 60 s of now: %s\n", d > -60 && d < 60 ? "yes" : "no");
    int fd = open(P("work/times.txt"), O_RDWR);
    CHECK(fd >= 0, "open");
    struct timespec ts[2] = {{1500000000, 0}, {1600000000, 250000000}};
    CHECK(futimens(fd, ts) == 0, "futimens");
    CHECK(fstat(fd, &st) == 0, "fstat");
    printf("futimens: atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    close(fd);
    struct timespec ts2[2] = {{0, UTIME_OMIT}, {1700000000, 0}};
    CHECK(utimensat(AT_FDCWD, P("work/times.txt"), ts2, 0) == 0, "utimensat");
    CHECK(stat(P("work/times.txt"), &st) == 0, "stat");
    printf("utimensat: atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    CHECK(unlink(P("work/times.txt")) == 0, "unlink");
}

static void step_errors(void) {
    printf("== errors\n");
    struct stat st;
    write_file(P("work/file.txt"), "x");
    CHECK(mkdir(P("work/full"), 0755) == 0, "mkdir full");
    write_file(P("work/full/x"), "x");

    expect_err("open missing file", open(P("work/missing.txt"), O_RDONLY), ENOENT);
    expect_err("open in missing dir", open(P("work/missing/x.txt"), O_RDONLY), ENOENT);
    expect_err("fopen missing file", fopen(P("work/missing.txt"), "r") ? 0 : -1, ENOENT);
    expect_err("stat missing", stat(P("work/missing.txt"), &st), ENOENT);
    expect_err("open O_CREAT|O_EXCL existing", open(P("work/file.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    expect_err("mkdir existing file name", mkdir(P("work/file.txt"), 0755), EEXIST);
    expect_err("rmdir non-empty", rmdir(P("work/full")), ENOTEMPTY);
    expect_err("rmdir missing", rmdir(P("work/missing")), ENOENT);
    expect_err("rmdir a file", rmdir(P("work/file.txt")), ENOTDIR);
    expect_err("unlink a directory", unlink(P("work/full")), EISDIR);
    expect_err("unlink missing", unlink(P("work/missing.txt")), ENOENT);
    expect_err("open dir O_WRONLY", open(P("work/full"), O_WRONLY), EISDIR);
    expect_err("opendir a file", opendir(P("work/file.txt")) ? 0 : -1, ENOTDIR);
    expect_err("open O_DIRECTORY on a file", open(P("work/file.txt"), O_RDONLY | O_DIRECTORY), ENOTDIR);
    expect_err("open file/child", open(P("work/file.txt/x"), O_RDONLY), ENOTDIR);
    expect_err("rename missing", rename(P("work/missing.txt"), P("work/other.txt")), ENOENT);
    expect_err("rename dir onto non-empty dir", rename(P("work/d2"), P("work/full")), ENOTEMPTY);

    CHECK(unlink(P("work/full/x")) == 0, "unlink");
    CHECK(rmdir(P("work/full")) == 0, "rmdir full");
    CHECK(unlink(P("work/file.txt")) == 0, "unlink");
}

static void step_cleanup(void) {
    printf("== cleanup\n");
    struct stat st;
    CHECK(unlink(P("work/trunc.txt")) == 0, "unlink trunc");
    expect_err("rmdir work (not empty)", rmdir(P("work")), ENOTEMPTY);
    CHECK(unlink(P("work/d2/inner.txt")) == 0, "unlink inner");
    CHECK(rmdir(P("work/d2")) == 0, "rmdir d2");
    CHECK(rmdir(P("work")) == 0, "rmdir work");
    expect_err("stat work after rmdir", stat(P("work"), &st), ENOENT);
}

/* Recursive sorted listing (names, "/" for directories, file sizes), appended to tbuf. */
static char tbuf[8192];
static size_t tlen;

static void tree(const char *rel, int depth) {
    char *names[64];
    int n = list_dir(P(rel), names, 64, NULL);
    for (int i = 0; i < n; i++) {
        char sub[256];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", rel, names[i]);
        CHECK(stat(P(sub), &st) == 0, "stat");
        CHECK(tlen + 300 < sizeof tbuf, "tree too big");
        if (S_ISDIR(st.st_mode)) {
            tlen += (size_t)snprintf(tbuf + tlen, sizeof tbuf - tlen, "%*s%s/\n", depth * 2, "", names[i]);
            tree(sub, depth + 1);
        } else {
            tlen += (size_t)snprintf(tbuf + tlen, sizeof tbuf - tlen, "%*s%s %lld\n", depth * 2, "", names[i],
                                     (long long)st.st_size);
        }
        free(names[i]);
    }
}

static void step_result(void) {
    printf("== result\n");
    tlen = 0;
    tree("out", 1);
    FILE *f = fopen(P("out/result.txt"), "w");
    CHECK(f != NULL, "fopen result");
    fprintf(f, "input.txt bytes=%zu lines=%zu fnv1a=%08" PRIx32 "\n", input_bytes, input_lines, input_hash);
    fprintf(f, "big.bin bytes=%d fnv1a=%08" PRIx32 "\n", BIG_SIZE, big_hash);
    fprintf(f, "out/ before this file was created:\n%s", tbuf);
    CHECK(fclose(f) == 0, "fclose");
    char buf[4096];
    size_t n = read_file(P("out/result.txt"), buf, sizeof buf);
    printf("result.txt (%zu bytes):\n%.*s", n, (int)n, buf);
    tlen = 0;
    tree(".", 1);
    printf("final tree:\n%s", tbuf);
}

int main(int argc, char **argv) {
    if (argc > 1) root = argv[1];
    step_input();
    step_mkdir();
    step_stdio();
    step_raw();
    step_append();
    step_big();
    step_rename();
    step_readdir();
    step_at();
    step_times();
    step_errors();
    step_cleanup();
    step_result();
    printf("files done\n");
    return 0;
}
