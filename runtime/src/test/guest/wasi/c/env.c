/* Arguments and environment (WASI args_*, environ_*).
 * Prints argc, each argv[i] escaped, getenv of fixed names, and the whole
 * environment sorted. Output depends only on the arguments and environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void print_escaped(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\' || *p == '"') printf("\\%c", *p);
        else if (*p >= 32 && *p < 127) putchar(*p);
        else printf("\\x%02x", *p);
    }
    putchar('"');
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    size_t total = 0;
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=", i);
        print_escaped(argv[i]);
        printf(" (%zu bytes)\n", strlen(argv[i]));
        total += strlen(argv[i]) + 1;
    }
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    printf("argv bytes with NULs=%zu\n", total);

    const char *names[] = {"PM_A", "PM_B", "PM_EMPTY", "PM_EQ", "PM_MISSING", "PATH", "HOME"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("getenv(%s)=", names[i]);
        if (v) print_escaped(v);
        else printf("(null)");
        printf("\n");
    }

    size_t n = 0;
    while (environ && environ[n]) n++;
    char **copy = malloc((n + 1) * sizeof *copy);
    if (!copy) return 1;
    for (size_t i = 0; i < n; i++) copy[i] = environ[i];
    qsort(copy, n, sizeof *copy, cmp_str);
    printf("environ: %zu entries\n", n);
    for (size_t i = 0; i < n; i++) {
        printf("  ");
        print_escaped(copy[i]);
        printf("\n");
    }
    free(copy);

    /* setenv/unsetenv only change this process's copy */
    setenv("PM_NEW", "added", 1);
    unsetenv("PM_A");
    printf("after setenv/unsetenv: PM_NEW=%s PM_A=%s\n", getenv("PM_NEW"), getenv("PM_A") ? "set" : "(null)");
    printf("env done\n");
    return 0;
}
