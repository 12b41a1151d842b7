/* sort.c - sorting malloc'd arrays: libc qsort with a comparator, a
 * hand-written top-down mergesort, insertion sort on small runs, sorting of
 * structs by a composite key, binary search, and checksums of the results.
 * Usage: sort [N]   (N = array length, default 120000). Deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint32_t next_u32(void) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 32);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

struct rec { uint32_t key; int16_t pri; uint16_t id; char tag[8]; };

/* total order (id breaks ties) so qsort's instability cannot show */
static int cmp_rec(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    if (x->pri != y->pri) return x->pri < y->pri ? -1 : 1;
    int c = strcmp(x->tag, y->tag);
    if (c) return c;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n) {
    if (n <= 16) { /* insertion sort */
        for (size_t i = 1; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
            a[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static uint64_t checksum(const uint32_t *a, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) { h ^= a[i]; h *= 1099511628211ULL; }
    return h;
}

static int is_sorted(const uint32_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) if (a[i - 1] > a[i]) return 0;
    return 1;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 120000;
    uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *t = malloc(n * sizeof *t);
    if (!a || !b || !t) { puts("out of memory"); return 1; }
    for (size_t i = 0; i < n; i++) a[i] = next_u32() % (uint32_t)(n * 4);
    memcpy(b, a, n * sizeof *a);
    printf("n=%zu input checksum %016" PRIx64 "\n", n, checksum(a, n));

    qsort(a, n, sizeof *a, cmp_u32);
    merge_sort(b, t, n);
    printf("qsort   sorted=%d checksum %016" PRIx64 "\n", is_sorted(a, n), checksum(a, n));
    printf("msort   sorted=%d checksum %016" PRIx64 "\n", is_sorted(b, n), checksum(b, n));
    printf("equal=%d min=%u median=%u max=%u\n", memcmp(a, b, n * sizeof *a) == 0,
           a[0], a[n / 2], a[n - 1]);

    size_t dups = 0, found = 0;
    for (size_t i = 1; i < n; i++) dups += a[i] == a[i - 1];
    for (uint32_t q = 0; q < 20000; q++) {
        uint32_t key = q * 24u;
        if (bsearch(&key, a, n, sizeof *a, cmp_u32)) found++;
    }
    printf("duplicates=%zu bsearch hits=%zu/20000\n", dups, found);

    /* already sorted and reverse-sorted inputs */
    for (size_t i = 0; i < n; i++) b[i] = a[n - 1 - i];
    merge_sort(b, t, n);
    qsort(a, n, sizeof *a, cmp_u32);
    printf("resort  equal=%d\n", memcmp(a, b, n * sizeof *a) == 0);

    size_t m = n / 4;
    struct rec *r = malloc(m * sizeof *r);
    if (!r) { puts("out of memory"); return 1; }
    for (size_t i = 0; i < m; i++) {
        uint32_t x = next_u32();
        r[i].key = x % 1000;
        r[i].pri = (int16_t)((int)(x >> 10) % 64 - 32);
        r[i].id = (uint16_t)i;
        snprintf(r[i].tag, sizeof r[i].tag, "t%03u", (unsigned)((x >> 20) % 500));
    }
    qsort(r, m, sizeof *r, cmp_rec);
    uint64_t h = 0;
    for (size_t i = 0; i < m; i++)
        h = h * 31 + (uint64_t)(r[i].key + (uint32_t)(r[i].pri + 32) * 1000u + r[i].id) + (unsigned char)r[i].tag[3];
    printf("records m=%zu first=(%d,%s,%u,%u) last=(%d,%s,%u,%u) hash %016" PRIx64 "\n", m,
           r[0].pri, r[0].tag, (unsigned)r[0].key, (unsigned)r[0].id,
           r[m - 1].pri, r[m - 1].tag, (unsigned)r[m - 1].key, (unsigned)r[m - 1].id, h);
    free(r); free(t); free(b); free(a);
    return 0;
}
