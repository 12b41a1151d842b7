/*
 * sleeper: a guest that holds memory and does almost nothing, so hundreds of them fit on a busy
 * machine (the rebalancing tests). Fills MEM bytes of heap (every page touched), prints
 * "holding MEM bytes", then sleeps SECONDS at a time, forever, printing "awake I" after each sleep.
 *
 *   sleeper MEM [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    size_t mem = argc > 1 ? (size_t)atol(argv[1]) : (size_t)1 << 20;
    unsigned seconds = argc > 2 ? (unsigned)atol(argv[2]) : 3600;
    unsigned char *buf = malloc(mem);
    if (buf == NULL) {
        fprintf(stderr, "sleeper: cannot allocate %zu bytes\n", mem);
        return 2;
    }
    memset(buf, 0x5a, mem);
    printf("holding %zu bytes\n", mem);
    fflush(stdout);
    for (long i = 0;; i++) {
        sleep(seconds);
        printf("awake %ld %u\n", i, buf[i % mem]);
        fflush(stdout);
    }
}
