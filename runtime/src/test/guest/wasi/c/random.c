/* Random bytes (WASI random_get) through getentropy and arc4random.
 * Prints only facts that hold for any working random source (the chance
 * that a check fails by bad luck is below 2^-200). Any failed check prints
 * FAIL and the exit status is 1. No arguments.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __wasi__
#include <sys/random.h>
#endif

static int failures;

static void fact(const char *what, int ok) {
    printf("%-50s %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

int main(void) {
    unsigned char a[32], b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    fact("getentropy(32) returns 0", getentropy(a, sizeof a) == 0);
    fact("getentropy(32) again returns 0", getentropy(b, sizeof b) == 0);
    fact("first draw is not all zero", !all_zero(a, sizeof a));
    fact("second draw is not all zero", !all_zero(b, sizeof b));
    fact("the two 32-byte draws differ", memcmp(a, b, sizeof a) != 0);

    static unsigned char e[256];
    fact("getentropy(256) returns 0", getentropy(e, sizeof e) == 0);
    fact("getentropy(256) is not all zero", !all_zero(e, sizeof e));
    static unsigned char e2[300];
    errno = 0;
    int rc = getentropy(e2, 257);
    fact("getentropy(257) fails with EIO", rc == -1 && errno == EIO);

    /* the buffer tail past the requested length is untouched */
    unsigned char c[16];
    memset(c, 0xAA, sizeof c);
    getentropy(c, 8);
    int tail_ok = 1;
    for (int i = 8; i < 16; i++) tail_ok &= c[i] == 0xAA;
    fact("getentropy(8) writes exactly 8 bytes", tail_ok);

    static unsigned char big[65536];
    arc4random_buf(big, sizeof big);
    int seen[256] = {0};
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof big; i++) {
        seen[big[i]]++;
        sum += big[i];
    }
    int distinct = 0;
    for (int i = 0; i < 256; i++) distinct += seen[i] > 0;
    fact("arc4random_buf(65536): all 256 byte values occur", distinct == 256);
    double mean = (double)sum / sizeof big;
    fact("arc4random_buf(65536): mean byte in [124, 131]", mean >= 124 && mean <= 131);

    int hits[10] = {0};
    for (int i = 0; i < 10000; i++) {
        uint32_t v = arc4random_uniform(10);
        if (v < 10) hits[v]++;
    }
    int all = 1;
    for (int i = 0; i < 10; i++) all &= hits[i] > 700;
    fact("arc4random_uniform(10): each value > 700 of 10000", all);
    fact("arc4random() twice differs (or a third time)",
         arc4random() != arc4random() || arc4random() != arc4random());

    printf("random done: %d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
