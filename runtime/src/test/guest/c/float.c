/* float.c - double and float arithmetic: matrix multiply, Gauss-Jordan
 * inverse, numerical integration with libm (sin, cos, exp, log, sqrt, pow,
 * atan2, tanh, fmod, floor), a Mandelbrot count and printf of floating point
 * in %f/%e/%g forms. Output is rounded so that libm's last-ulp differences
 * between C libraries do not show. No long double.
 * Usage: float [N]   (matrix size, default 200). Deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <stdint.h>

static uint64_t rng = 42;
static double next_double(void) { /* in [0,1), exactly representable */
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static void matmul(int n, const double *a, const double *b, double *c) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) c[i * n + j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
}

/* Gauss-Jordan inverse with partial pivoting; returns 0 if singular */
static int invert(int n, double *a, double *inv) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) inv[i * n + j] = i == j;
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(a[r * n + col]) > fabs(a[piv * n + col])) piv = r;
        if (a[piv * n + col] == 0.0) return 0;
        if (piv != col)
            for (int j = 0; j < n; j++) {
                double t = a[col * n + j]; a[col * n + j] = a[piv * n + j]; a[piv * n + j] = t;
                t = inv[col * n + j]; inv[col * n + j] = inv[piv * n + j]; inv[piv * n + j] = t;
            }
        double d = a[col * n + col];
        for (int j = 0; j < n; j++) { a[col * n + j] /= d; inv[col * n + j] /= d; }
        for (int r = 0; r < n; r++) {
            if (r == col) continue;
            double f = a[r * n + col];
            if (f == 0.0) continue;
            for (int j = 0; j < n; j++) {
                a[r * n + j] -= f * a[col * n + j];
                inv[r * n + j] -= f * inv[col * n + j];
            }
        }
    }
    return 1;
}

static double simpson(double (*f)(double), double lo, double hi, int steps) {
    double h = (hi - lo) / steps, s = f(lo) + f(hi);
    for (int i = 1; i < steps; i++) s += f(lo + i * h) * (i % 2 ? 4.0 : 2.0);
    return s * h / 3.0;
}

static double f1(double x) { return sin(x) * exp(-x / 4.0); }
static double f2(double x) { return sqrt(1.0 + x * x) * log(1.0 + x); }
static double f3(double x) { return pow(x, 1.5) * cos(3.0 * x) + atan2(x, 1.0 + x) + tanh(x - 1.0); }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n), *inv = calloc((size_t)n * n, sizeof(double));
    double *w = malloc(sizeof(double) * n * n);
    if (!a || !b || !c || !inv || !w) { puts("out of memory"); return 1; }

    for (int i = 0; i < n * n; i++) { a[i] = next_double() - 0.5; b[i] = next_double() * 2.0; }
    for (int i = 0; i < n; i++) a[i * n + i] += n / 4.0; /* well conditioned */
    matmul(n, a, b, c);
    double tr = 0, sum = 0, sq = 0;
    for (int i = 0; i < n; i++) tr += c[i * n + i];
    for (int i = 0; i < n * n; i++) { sum += c[i]; sq += c[i] * c[i]; }
    /* +,-,*,/,sqrt are exactly rounded in IEEE 754: full precision is portable */
    printf("matmul %dx%d: trace=%.17g sum=%.17g frob=%.17g\n", n, n, tr, sum, sqrt(sq));
    printf("c[0][0]=%.6f c[n-1][n-1]=%.6e c[mid]=%g\n", c[0], c[n * n - 1], c[(n / 2) * n + n / 3]);

    for (int i = 0; i < n * n; i++) w[i] = a[i];
    if (!invert(n, w, inv)) { puts("singular"); return 1; }
    matmul(n, a, inv, c);
    double err = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) err = fmax(err, fabs(c[i * n + j] - (i == j)));
    printf("inverse: max |A*inv(A) - I| < 1e-12: %s, inv[0][0]=%.10f\n", err < 1e-12 ? "yes" : "no", inv[0]);

    /* libm: values rounded to 9-10 significant digits */
    printf("simpson sin*exp [0,10]   = %.9f\n", simpson(f1, 0.0, 10.0, 20000));
    printf("simpson sqrt*log [0,3]   = %.9f\n", simpson(f2, 0.0, 3.0, 20000));
    printf("simpson pow*cos+.. [0,2] = %.9f\n", simpson(f3, 0.0, 2.0, 20000));
    double s = 0;
    for (int i = 1; i <= 100000; i++) s += 1.0 / ((double)i * i);
    printf("basel sum = %.12f pi^2/6 = %.12f\n", s, M_PI * M_PI / 6.0);
    printf("exp(1)=%.15f log(10)=%.15f sqrt(2)=%.17g cbrt(27)=%.6f\n", exp(1.0), log(10.0), sqrt(2.0), cbrt(27.0));
    printf("fmod(10.5,3)=%.3f floor(-2.5)=%.1f ceil(-2.5)=%.1f round(2.5)=%.1f trunc(-2.7)=%.1f\n",
           fmod(10.5, 3.0), floor(-2.5), ceil(-2.5), round(2.5), trunc(-2.7));
    printf("hypot(3,4)=%.6f ldexp(0.75,10)=%.1f frexp exp: ", hypot(3.0, 4.0), ldexp(0.75, 10));
    int e;
    double m = frexp(1536.0, &e);
    printf("%.4f*2^%d\n", m, e);

    /* single precision: float ops are exactly rounded too */
    float fs = 0.0f, fp = 1.0f;
    for (int i = 1; i <= 200000; i++) { fs += 1.0f / (float)i; fp = fp * 1.0000001f; }
    printf("float harmonic=%.7g prod=%.9g sqrtf(2)=%.9g\n", (double)fs, (double)fp, (double)sqrtf(2.0f));

    /* Mandelbrot: only + and * -> exact, iteration counts are portable */
    long total = 0;
    for (int y = 0; y < 120; y++)
        for (int x = 0; x < 160; x++) {
            double cr = -2.2 + x * (3.2 / 160), ci = -1.2 + y * (2.4 / 120), zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                it++;
            }
            total += it;
        }
    printf("mandelbrot 160x120 iterations=%ld\n", total);

    /* printf corner cases */
    printf("%.3e %.0f %g %g %g %+.2f %08.3f %.3g\n", 123456.789, 0.5, 1e-5, 1e21, 0.1 + 0.2, -0.0, 3.14159, 1.0 / 3);
    printf("inf=%f -inf=%f nan?=%d\n", HUGE_VAL, -HUGE_VAL, isnan(sqrt(-1.0)) != 0);
    /* double <-> integer conversions (in range only) */
    long long ll = (long long)(1e15 + 0.5);
    unsigned u = (unsigned)3999999999.7;
    printf("conv %lld %u %d %.1f\n", ll, u, (int)-7.9, (double)(1ULL << 53) + 1.0);
    free(a); free(b); free(c); free(inv); free(w);
    return 0;
}
