/*
 * counter: the node agent's test and benchmark guest. Fills MEM bytes of heap, then prints
 * "tick I HASH" for I = 0..N-1, doing SPIN steps of a hash walk over the first HOT bytes of that
 * heap between ticks (so it keeps dirtying a working set), and appends each tick to /data/ticks
 * when /data is mounted. At the end it prints the
 * number of lines /data/ticks holds, the bytes of /data/input and a sum over the whole heap
 * buffer, so a run that lost or repeated file writes, or lost memory pages it wrote once and never
 * again, shows a different output. Given a RELEASE path, it waits after the last tick (sleeping, 10 ms
 * at a time) until that file exists: a fault test keeps it alive that way until its fault has fired,
 * however fast this machine runs it.
 *
 *   counter N SPIN MEM [HOT [RELEASE]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    long spin = argc > 2 ? atol(argv[2]) : 10000;
    size_t mem = argc > 3 ? (size_t)atol(argv[3]) : (size_t)1 << 20;
    size_t hot = argc > 4 ? (size_t)atol(argv[4]) : mem;
    const char *release = argc > 5 ? argv[5] : NULL;
    unsigned char *buf = malloc(mem);
    if (buf == NULL || hot == 0 || hot > mem) {
        fprintf(stderr, "counter: cannot allocate %zu bytes with %zu hot\n", mem, hot);
        return 2;
    }
    memset(buf, 0x5a, mem); /* one memory.fill: every page touched, none zero */
    unsigned long long h = 1469598103934665603ULL;
    FILE *ticks = fopen("/data/ticks", "a");
    for (long i = 0; i < n; i++) {
        for (long k = 0; k < spin; k++) {
            size_t at = (size_t)((h >> 11) % hot);
            buf[at] = (unsigned char)(buf[at] + k + 1);
            h = (h ^ buf[at]) * 1099511628211ULL;
        }
        printf("tick %ld %016llx\n", i, h);
        fflush(stdout);
        if (ticks != NULL) {
            fprintf(ticks, "%ld\n", i);
            fflush(ticks);
        }
    }
    if (release != NULL) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        while (access(release, F_OK) != 0) {
            nanosleep(&pause, NULL);
        }
    }
    if (ticks != NULL) {
        fclose(ticks);
        FILE *in = fopen("/data/ticks", "r");
        long lines = 0;
        int c;
        while ((c = fgetc(in)) != EOF) {
            lines += c == '\n';
        }
        fclose(in);
        printf("ticks file: %ld lines\n", lines);
    }
    FILE *input = fopen("/data/input", "r");
    if (input != NULL) {
        long bytes = 0;
        unsigned long long sum = 0;
        int c;
        while ((c = fgetc(input)) != EOF) {
            bytes++;
            sum = sum * 31 + (unsigned)c;
        }
        fclose(input);
        printf("input: %ld bytes, sum %016llx\n", bytes, sum);
    }
    unsigned long long whole = 0;
    for (size_t i = 0; i < mem; i++) {
        whole = whole * 31 + buf[i];
    }
    printf("memory: %zu bytes, sum %016llx\n", mem, whole);
    printf("done\n");
    return 0;
}
