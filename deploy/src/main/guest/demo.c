/*
 * The demo guest: counts to N (default 40), one line every DELAY_MS milliseconds (default 250),
 * carrying a running checksum of everything it computed so far, so that a line printed after a
 * migration proves the state before it survived. WORK (default 20000) is the hashing per step;
 * 0 makes an almost idle process (the control-plane benchmark's). Usage: demo [N] [DELAY_MS] [WORK]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 40;
    int delay_ms = argc > 2 ? atoi(argv[2]) : 250;
    int work = argc > 3 ? atoi(argv[3]) : 20000;
    uint64_t checksum = 1469598103934665603ULL;
    for (int i = 1; i <= n; i++) {
        for (int k = 0; k < work; k++) {
            checksum = (checksum ^ (uint64_t)(i * 31 + k)) * 1099511628211ULL;
        }
        printf("step %3d of %d  checksum %016llx\n", i, n, (unsigned long long)checksum);
        fflush(stdout);
        struct timespec pause = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
    printf("done\n");
    return 0;
}
