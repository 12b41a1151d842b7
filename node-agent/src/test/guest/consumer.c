/*
 * consumer: the channel tests' receiver. Receives N messages from its default mailbox, doing SPIN
 * hash steps after each, then replies "bye" to the sender of the last one and prints, in one
 * write, every message received with its sender, one per line, between "received:" and "end".
 *
 *   consumer N SPIN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pm_channel.h"

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10;
    long spin = argc > 2 ? atol(argv[2]) : 0;
    size_t cap = (size_t)n * 160 + 64;
    char *out = malloc(cap);
    if (out == NULL) {
        return 2;
    }
    size_t used = (size_t)snprintf(out, cap, "received:\n");
    char from[129];
    unsigned long long h = 1469598103934665603ULL;
    for (long i = 0; i < n; i++) {
        char buf[129];
        size_t len, from_len;
        int e = pm_recv("", buf, sizeof buf - 1, &len, from, sizeof from - 1, &from_len);
        if (e != 0) {
            fprintf(stderr, "consumer: recv %ld failed: %d\n", i, e);
            return 1;
        }
        buf[len] = 0;
        from[from_len] = 0;
        used += (size_t)snprintf(out + used, cap - used, "%s from %s\n", buf, from);
        for (long k = 0; k < spin; k++) {
            h = (h ^ (unsigned long long)k) * 1099511628211ULL;
        }
    }
    used += (size_t)snprintf(out + used, cap - used, "end %016llx\n", h);
    if (n > 0 && pm_send(from, "bye", 3) != 0) {
        return 3;
    }
    if (write(1, out, used) != (ssize_t)used) {
        return 4;
    }
    return 0;
}
