/* Reads all of standard input (WASI fd_read on fd 0) and prints its size,
 * line count (number of '\n'), FNV-1a hash, first line (escaped) and the
 * length of the longest line. No arguments.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    static unsigned char buf[3000]; /* not a power of two: reads straddle lines */
    uint32_t h = 2166136261u;
    uint64_t bytes = 0, lines = 0, cur = 0, longest = 0;
    char first[128];
    size_t first_len = 0;
    int first_done = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = buf[i];
            h ^= c;
            h *= 16777619u;
            if (!first_done) {
                if (c == '\n') first_done = 1;
                else if (first_len < sizeof first - 1) first[first_len++] = (char)c;
            }
            if (c == '\n') {
                lines++;
                if (cur > longest) longest = cur;
                cur = 0;
            } else {
                cur++;
            }
        }
        bytes += n;
    }
    if (cur > longest) longest = cur;
    if (ferror(stdin)) {
        printf("FAIL read error\n");
        return 1;
    }
    printf("bytes=%" PRIu64 " lines=%" PRIu64 " fnv1a=%08" PRIx32 "\n", bytes, lines, h);
    printf("last line %s newline\n", cur == 0 ? "ends with" : "has no");
    printf("longest line=%" PRIu64 "\n", longest);
    printf("first line=\"");
    for (size_t i = 0; i < first_len; i++) {
        unsigned char c = (unsigned char)first[i];
        if (c == '\\' || c == '"') printf("\\%c", c);
        else if (c >= 32 && c < 127) putchar(c);
        else printf("\\x%02x", c);
    }
    printf("\"\n");
    printf("fread after EOF=%zu feof=%s\n", fread(buf, 1, 1, stdin), feof(stdin) ? "yes" : "no");
    printf("stdin done\n");
    return 0;
}
