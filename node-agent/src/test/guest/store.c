/* Moves bytes between stdin and a file under the preopened /data.
 *
 *   store NAME       copies stdin to /data/NAME (created or truncated);
 *                    prints "stored N bytes in /data/NAME"
 *   store -r NAME    reads /data/NAME; prints "read N bytes, fnv1a HHHHHHHH"
 *                    (32-bit FNV-1a of the content, lowercase hex)
 *   store -w NAME    waits (sleeping 20 ms at a time) until /data/NAME exists,
 *                    then reads it as -r does: a workload that stays alive
 *                    until someone puts a file in (pmctl cp)
 *   store -c NAME [WAIT]
 *                    writes /data/NAME to stdout; then, with WAIT, waits for
 *                    /data/WAIT as -w does (and prints nothing more)
 *
 * Exits 0; on any failure prints "store: <what>: <reason>" on stderr and
 * exits 1.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void await_file(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "/data/%s", name);
    FILE *f;
    while ((f = fopen(path, "rb")) == NULL) {
        usleep(20000);
    }
    fclose(f);
}

static int cat(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "/data/%s", name);
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        perror("store: open");
        return 1;
    }
    static char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n) {
            perror("store: write");
            return 1;
        }
    }
    fclose(in);
    fflush(stdout);
    return 0;
}

static int read_back(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "/data/%s", name);
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        perror("store: open");
        return 1;
    }
    static unsigned char buf[65536];
    unsigned long long total = 0;
    unsigned int hash = 2166136261u;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        for (size_t i = 0; i < n; i++) {
            hash = (hash ^ buf[i]) * 16777619u;
        }
        total += n;
    }
    fclose(in);
    printf("read %llu bytes, fnv1a %08x\n", total, hash);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-r") == 0) {
        return read_back(argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "-w") == 0) {
        await_file(argv[2]);
        return read_back(argv[2]);
    }
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "-c") == 0) {
        int status = cat(argv[2]);
        if (status == 0 && argc == 4) {
            await_file(argv[3]);
        }
        return status;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: store NAME | store -r NAME | store -w NAME | store -c NAME [WAIT]\n");
        return 2;
    }
    char path[512];
    snprintf(path, sizeof path, "/data/%s", argv[1]);
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        perror("store: open");
        return 1;
    }
    static char buf[65536];
    size_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            perror("store: write");
            return 1;
        }
        total += n;
    }
    if (fclose(out) != 0) {
        perror("store: close");
        return 1;
    }
    printf("stored %zu bytes in %s\n", total, path);
    return 0;
}
