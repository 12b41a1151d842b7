/* Copies stdin into a file under the preopened /data and says how much it wrote.
 *
 *   store NAME       writes /data/NAME (created or truncated)
 *
 * Prints "stored N bytes in /data/NAME" and exits 0; on any failure prints
 * "store: <what>: <reason>" on stderr and exits 1.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: store NAME\n");
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
