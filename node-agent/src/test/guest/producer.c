/*
 * producer: the channel tests' sender. Sends "msg I" for I = 1..N to process TO, doing SPIN hash
 * steps and sleeping PAUSE microseconds before each (so the stream lasts while agents move
 * processes, however fast the machine), retrying while the outbox is full; then waits for the
 * receiver's reply and prints it.
 *
 *   producer N TO SPIN [PAUSE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "pm_channel.h"

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10;
    const char *to = argc > 2 ? argv[2] : "consumer";
    long spin = argc > 3 ? atol(argv[3]) : 0;
    long pause_us = argc > 4 ? atol(argv[4]) : 0;
    unsigned long long h = 1469598103934665603ULL;
    for (long i = 1; i <= n; i++) {
        for (long k = 0; k < spin; k++) {
            h = (h ^ (unsigned long long)k) * 1099511628211ULL;
        }
        if (pause_us > 0) {
            struct timespec pause = {pause_us / 1000000, (pause_us % 1000000) * 1000};
            nanosleep(&pause, NULL);
        }
        char msg[32];
        int len = snprintf(msg, sizeof msg, "msg %ld", i);
        int e;
        while ((e = pm_send(to, msg, (size_t)len)) == EAGAIN) {
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
        if (e != 0) {
            fprintf(stderr, "producer: send %ld failed: %d\n", i, e);
            return 1;
        }
    }
    char buf[256];
    char from[256];
    size_t len, from_len;
    int e = pm_recv("", buf, sizeof buf - 1, &len, from, sizeof from - 1, &from_len);
    if (e != 0) {
        fprintf(stderr, "producer: recv failed: %d\n", e);
        return 1;
    }
    buf[len] = 0;
    from[from_len] = 0;
    printf("producer %016llx: %s from %s\n", h, buf, from);
    return 0;
}
