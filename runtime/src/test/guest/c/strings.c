/* strings.c - string processing and heap churn: snprintf/strtol/strtoul,
 * strcmp/strncmp/strstr/strchr/strtok, memmove, ctype, a chained hash table
 * of malloc'd keys with inserts, lookups and deletes (malloc/realloc/free
 * churn), word counting and qsort of strings.
 * Usage: strings [N]   (number of operations, default 60000). Deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <stdint.h>

static uint32_t rs = 12345u;
static uint32_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 17; rs ^= rs << 5; return rs; }

struct entry { struct entry *next; char *key; long value; int hits; };
struct table { struct entry **b; size_t nb, count; };

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
    return h;
}

static void t_grow(struct table *t) {
    size_t nb = t->nb ? t->nb * 2 : 16;
    struct entry **b = calloc(nb, sizeof *b);
    for (size_t i = 0; i < t->nb; i++)
        for (struct entry *e = t->b[i], *n; e; e = n) {
            n = e->next;
            size_t k = fnv1a(e->key) & (nb - 1);
            e->next = b[k];
            b[k] = e;
        }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

static struct entry *t_find(struct table *t, const char *key) {
    if (!t->nb) return NULL;
    for (struct entry *e = t->b[fnv1a(key) & (t->nb - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e;
    return NULL;
}

static struct entry *t_put(struct table *t, const char *key, long v) {
    struct entry *e = t_find(t, key);
    if (e) { e->value += v; e->hits++; return e; }
    if (t->count >= t->nb * 3 / 4) t_grow(t);
    e = malloc(sizeof *e);
    e->key = malloc(strlen(key) + 1);
    strcpy(e->key, key);
    e->value = v;
    e->hits = 1;
    size_t k = fnv1a(key) & (t->nb - 1);
    e->next = t->b[k];
    t->b[k] = e;
    t->count++;
    return e;
}

static int t_del(struct table *t, const char *key) {
    if (!t->nb) return 0;
    struct entry **pp = &t->b[fnv1a(key) & (t->nb - 1)];
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->key, key) == 0) {
            struct entry *e = *pp;
            *pp = e->next;
            free(e->key);
            free(e);
            t->count--;
            return 1;
        }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *syll[] = {"ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "zu", "an", "el"};

static void make_word(char *buf, size_t cap, uint32_t r) {
    int n = 1 + (int)(r % 4);
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s", syll[(r >> (4 + 4 * i)) % 12]);
    }
}

int main(int argc, char **argv) {
    long ops = argc > 1 ? strtol(argv[1], NULL, 10) : 60000;
    struct table t = {0};
    char key[64], line[256];
    long puts_ = 0, dels = 0, finds = 0, found = 0;

    for (long i = 0; i < ops; i++) {
        uint32_t r = rnd();
        int kind = (int)(r % 10);
        snprintf(key, sizeof key, "k%u-%s", (unsigned)(r >> 8) % 5000u, kind & 1 ? "odd" : "even");
        if (kind < 6) { t_put(&t, key, (long)(r % 1000)); puts_++; }
        else if (kind < 8) { dels += t_del(&t, key); }
        else { finds++; found += t_find(&t, key) != NULL; }
    }
    long vsum = 0, hsum = 0;
    size_t maxchain = 0;
    for (size_t i = 0; i < t.nb; i++) {
        size_t len = 0;
        for (struct entry *e = t.b[i]; e; e = e->next) { vsum += e->value; hsum += e->hits; len++; }
        if (len > maxchain) maxchain = len;
    }
    printf("table: puts=%ld dels=%ld finds=%ld found=%ld count=%zu buckets=%zu maxchain=%zu vsum=%ld hits=%ld\n",
           puts_, dels, finds, found, t.count, t.nb, maxchain, vsum, hsum);

    /* collect keys, sort them, print a few */
    char **keys = malloc(t.count * sizeof *keys);
    size_t nk = 0;
    for (size_t i = 0; i < t.nb; i++)
        for (struct entry *e = t.b[i]; e; e = e->next) keys[nk++] = e->key;
    qsort(keys, nk, sizeof *keys, cmp_str);
    printf("sorted keys: first=%s second=%s last=%s\n", keys[0], keys[1], keys[nk - 1]);
    uint32_t kh = 0;
    for (size_t i = 0; i < nk; i++) kh = kh * 33u + fnv1a(keys[i]);
    printf("sorted key hash=%08x\n", kh);
    free(keys);

    /* text generation, tokenizing, word counting */
    struct table words = {0};
    size_t textcap = 1024, textlen = 0;
    char *text = malloc(textcap);
    long nwords = ops / 3;
    for (long i = 0; i < nwords; i++) {
        char w[40];
        make_word(w, sizeof w, rnd());
        if (i % 17 == 0) w[0] = (char)toupper((unsigned char)w[0]);
        size_t l = strlen(w);
        if (textlen + l + 2 > textcap) { textcap *= 2; text = realloc(text, textcap); }
        memcpy(text + textlen, w, l);
        textlen += l;
        text[textlen++] = i % 11 == 10 ? '\n' : (i % 5 == 4 ? ',' : ' ');
    }
    text[textlen] = 0;
    long tok = 0, upper = 0;
    for (char *p = strtok(text, " ,\n"); p; p = strtok(NULL, " ,\n")) {
        if (isupper((unsigned char)p[0])) { upper++; p[0] = (char)tolower((unsigned char)p[0]); }
        t_put(&words, p, 1);
        tok++;
    }
    struct entry *best = NULL;
    for (size_t i = 0; i < words.nb; i++)
        for (struct entry *e = words.b[i]; e; e = e->next)
            if (!best || e->hits > best->hits || (e->hits == best->hits && strcmp(e->key, best->key) < 0)) best = e;
    printf("text: %zu bytes, %ld tokens, %ld capitalized, %zu distinct, most common '%s' x%d\n",
           textlen, tok, upper, words.count, best->key, best->hits);
    free(text);

    /* number formatting and parsing round trips */
    long sum = 0, errs = 0;
    for (int i = 0; i < 20000; i++) {
        long v = (long)(rnd() % 2000001) - 1000000;
        int base = (int[]){10, 16, 8, 2, 36}[i % 5];
        switch (base) {
        case 10: snprintf(line, sizeof line, "  %ld;", v); break;
        case 16: snprintf(line, sizeof line, "%s0x%lx;", v < 0 ? "-" : "", v < 0 ? -v : v); break;
        case 8: snprintf(line, sizeof line, "%s0%lo;", v < 0 ? "-" : "", v < 0 ? -v : v); break;
        default: { /* manual base conversion */
            char tmp[70]; int n = 0; unsigned long u = (unsigned long)(v < 0 ? -v : v);
            do { tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[u % (unsigned)base]; u /= (unsigned)base; } while (u);
            int o = 0;
            if (v < 0) line[o++] = '-';
            while (n) line[o++] = tmp[--n];
            line[o++] = ';'; line[o] = 0;
        }
        }
        char *end;
        long back = strtol(line, &end, base == 16 || base == 8 ? 0 : base);
        if (back != v || *end != ';') errs++;
        sum += back;
    }
    printf("strtol round trips: sum=%ld errors=%ld\n", sum, errs);
    printf("strtoul(\"4294967295\")=%lu strtol(\"  -42xyz\")=%ld atoi(\"123abc\")=%d\n",
           strtoul("4294967295", NULL, 10), strtol("  -42xyz", NULL, 10), atoi("123abc"));

    /* misc string functions */
    char buf[128];
    strcpy(buf, "the quick brown fox jumps over the lazy dog");
    memmove(buf + 4, buf, 15);
    buf[19] = 0;
    printf("memmove: '%s' strstr: '%s' strchr: '%s' strrchr: '%s'\n", buf,
           strstr("haystack with needle inside", "needle"), strchr("a=b=c", '='), strrchr("a/b/c", '/'));
    printf("strcmp signs: %d %d %d strncmp: %d strlen: %zu strspn: %zu strcspn: %zu\n",
           strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("same", "same") == 0,
           strncmp("prefix-one", "prefix-two", 7), strlen(buf), strspn("aaabbc", "ab"), strcspn("hello, world", ",;"));
    volatile size_t cap = 10; /* volatile: truncation is intended, keep gcc quiet */
    int w = snprintf(buf, cap, "%s-%05d-%x", "truncated", 42, 255u);
    printf("snprintf ret=%d buf='%s' %-6s| %6s| %c%c %%\n", w, buf, "left", "right", 'o', 'k');

    /* free everything */
    for (size_t i = 0; i < t.nb; i++)
        for (struct entry *e = t.b[i], *n; e; e = n) { n = e->next; free(e->key); free(e); }
    for (size_t i = 0; i < words.nb; i++)
        for (struct entry *e = words.b[i], *n; e; e = n) { n = e->next; free(e->key); free(e); }
    free(t.b);
    free(words.b);
    return 0;
}
