/* lcg.c - 64-bit integer arithmetic: LCG/xorshift generators, mixing,
 * 64-bit multiply/divide/modulo, rotates, bit counting, histogram.
 * Usage: lcg [N]   (N = number of rounds, default 1000000). Deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <inttypes.h>

static uint64_t lcg_state = 0x853c49e6748fea9bULL;

static uint64_t lcg_next(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state;
}

static uint64_t xs_state = 88172645463325252ULL;

static uint64_t xorshift64(void) {
    uint64_t x = xs_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    xs_state = x;
    return x;
}

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static int popcount64(uint64_t x) {
    int c = 0;
    while (x) { x &= x - 1; c++; }
    return c;
}

static uint64_t mix64(uint64_t z) { /* splitmix64 finalizer */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t gcd64(uint64_t a, uint64_t b) {
    while (b) { uint64_t t = a % b; a = b; b = t; }
    return a;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    uint64_t sum = 0, xorv = 0, prod = 1, divsum = 0, gsum = 0;
    int64_t ssum = 0;
    uint32_t hist[16] = {0};
    long bits = 0;

    for (long i = 0; i < rounds; i++) {
        uint64_t a = lcg_next();
        uint64_t b = xorshift64();
        uint64_t m = mix64(a ^ rotl(b, (int)(i % 63) + 1));
        sum += m;
        xorv ^= rotl(m, (int)(a >> 58));
        prod = prod * (m | 1);
        divsum += a / ((b >> 40) | 1);
        divsum += b % ((a >> 33) | 7);
        ssum += (int64_t)(m >> 1) / (int64_t)((int32_t)(uint32_t)b | 1);
        hist[m >> 60]++;
        bits += popcount64(m);
        if ((i & 1023) == 0) gsum += gcd64(a >> 1, b >> 3);
        if (i > 0 && i % (rounds / 8 > 0 ? rounds / 8 : 1) == 0)
            printf("round %7ld: sum=%016" PRIx64 " xor=%016" PRIx64 " prod=%016" PRIx64 "\n",
                   i, sum, xorv, prod);
    }
    printf("final sum   = %" PRIu64 "\n", sum);
    printf("final xor   = 0x%016" PRIx64 "\n", xorv);
    printf("final prod  = 0x%016" PRIx64 "\n", prod);
    printf("divsum      = %" PRIu64 "\n", divsum);
    printf("ssum        = %" PRId64 "\n", ssum);
    printf("gcdsum      = %" PRIu64 "\n", gsum);
    printf("avg bits    = %ld/%ld\n", bits, rounds);
    for (int k = 0; k < 16; k++)
        printf("hist[%2d] = %u\n", k, (unsigned)hist[k]);
    return 0;
}
