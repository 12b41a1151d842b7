/* recursion.c - deep and heavy recursion: naive fib, Ackermann (depth
 * ~2^(n+3)), Takeuchi, mutual recursion and a recursive list walk with a
 * depth of several thousand frames (ack(3,9) reaches 4094), plus a
 * recursion with an on-stack array (shadow stack in wasm) 400 deep.
 * Usage: recursion [FIB_N]   (default 27). Deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static long max_depth = 0;

static uint32_t ack(uint32_t m, uint32_t n, long depth) {
    if (depth > max_depth) max_depth = depth;
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1, depth + 1);
    return ack(m - 1, ack(m, n - 1, depth + 1), depth + 1);
}

static int tak(int x, int y, int z) {
    if (y < x) return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
    return z;
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

struct node { struct node *next; uint32_t val; };

/* non-tail recursive walk: result depends on the return path */
static uint32_t walk(const struct node *p, uint32_t depth) {
    if (!p) return 0x12345u;
    uint32_t r = walk(p->next, depth + 1);
    return (r * 31u) ^ (p->val + depth);
}

/* recursion with a local array on the frame (uses the shadow stack in wasm) */
static uint32_t framed(int n, uint32_t seed) {
    volatile uint32_t buf[16];
    for (int i = 0; i < 16; i++) buf[i] = seed * (uint32_t)(i + 1) + (uint32_t)n;
    if (n == 0) return buf[7];
    uint32_t r = framed(n - 1, buf[n & 15] ^ 0x9e3779b9u);
    return r + buf[(n * 7) & 15];
}

int main(int argc, char **argv) {
    int fn = argc > 1 ? atoi(argv[1]) : 27;
    for (int i = 0; i <= fn; i += 5)
        printf("fib(%d) = %u\n", i, fib((uint32_t)i));
    printf("fib(%d) = %u\n", fn, fib((uint32_t)fn));

    for (uint32_t n = 1; n <= 9; n++) {
        max_depth = 0;
        uint32_t a = ack(3, n, 0);
        printf("ack(3,%u) = %u  max depth %ld\n", n, a, max_depth);
    }
    max_depth = 0;
    uint32_t a2 = ack(2, 1500, 0); /* separate statement: argument order is unspecified */
    printf("ack(2,1500) = %u  max depth %ld\n", a2, max_depth);

    printf("tak(18,12,6) = %d\n", tak(18, 12, 6));
    printf("is_even(4000) = %d, is_odd(3999) = %d, is_even(3001) = %d\n",
           is_even(4000), is_odd(3999), is_even(3001));

    int len = 5000;
    struct node *head = NULL;
    for (int i = 0; i < len; i++) {
        struct node *nd = malloc(sizeof *nd);
        if (!nd) return 1;
        nd->val = (uint32_t)i * 2654435761u;
        nd->next = head;
        head = nd;
    }
    printf("walk(list of %d) = %08x\n", len, walk(head, 0));
    while (head) { struct node *n = head->next; free(head); head = n; }

    /* 400 frames of ~80 bytes: stays inside wasm-ld's default 64 KiB stack */
    printf("framed(400) = %08x\n", framed(400, 1));
    return 0;
}
