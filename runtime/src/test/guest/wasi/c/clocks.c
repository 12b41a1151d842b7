/* Clocks and sleeping (WASI clock_time_get, clock_res_get, poll_oneoff).
 * Prints only facts that hold on any working host, never times. Any failed
 * check prints "FAIL ..." and exits 1. No arguments.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void fact(const char *what, int ok) {
    printf("%-56s %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

static int64_t ns(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t) != 0) {
        printf("FAIL clock_gettime(%d)\n", (int)c);
        exit(1);
    }
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

#define MS 1000000LL
/* A wait may end up to SLACK early: Node's WASI (libuv timers) rounds to whole
 * milliseconds and wakes up to ~2.3 ms early. A WASI host with exact sleeps
 * never needs it; the checks still show that a real wait happened. */
#define SLACK (5 * MS)

int main(void) {
    struct timespec t, r;

    /* CLOCK_REALTIME */
    fact("clock_gettime(CLOCK_REALTIME) returns 0", clock_gettime(CLOCK_REALTIME, &t) == 0);
    fact("realtime is after 2020-01-01", t.tv_sec > 1577836800);
    fact("realtime is before 2100-01-01", t.tv_sec < 4102444800LL);
    fact("realtime tv_nsec in [0, 1e9)", t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
    time_t now = time(NULL);
    fact("time() agrees with realtime (5 s)", now - t.tv_sec >= -5 && now - t.tv_sec <= 5);
    struct timeval tv;
    fact("gettimeofday() agrees with realtime (5 s)",
         gettimeofday(&tv, NULL) == 0 && tv.tv_sec - t.tv_sec >= -5 && tv.tv_sec - t.tv_sec <= 5 &&
             tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    /* resolutions */
    fact("clock_getres(CLOCK_REALTIME) in (0, 1 s]",
         clock_getres(CLOCK_REALTIME, &r) == 0 && (r.tv_sec > 0 || r.tv_nsec > 0) &&
             (r.tv_sec == 0 || (r.tv_sec == 1 && r.tv_nsec == 0)));
    fact("clock_getres(CLOCK_MONOTONIC) in (0, 1 s]",
         clock_getres(CLOCK_MONOTONIC, &r) == 0 && (r.tv_sec > 0 || r.tv_nsec > 0) &&
             (r.tv_sec == 0 || (r.tv_sec == 1 && r.tv_nsec == 0)));

    /* CLOCK_MONOTONIC never goes back, and moves */
    fact("clock_gettime(CLOCK_MONOTONIC) returns 0", clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    int64_t first = ns(CLOCK_MONOTONIC), prev = first;
    int backwards = 0;
    for (int i = 0; i < 100000; i++) {
        int64_t v = ns(CLOCK_MONOTONIC);
        if (v < prev) backwards++;
        prev = v;
    }
    fact("monotonic non-decreasing over 100000 reads", backwards == 0);
    long spins = 0;
    while (ns(CLOCK_MONOTONIC) == prev && spins < 100000000L) spins++;
    fact("monotonic advances", ns(CLOCK_MONOTONIC) > first);

    /* sleeps: each must last at least the time asked for */
    int64_t rt0 = ns(CLOCK_REALTIME);
    int64_t t0 = ns(CLOCK_MONOTONIC);
    struct timespec req = {0, 20 * MS};
    fact("nanosleep(20 ms) returns 0", nanosleep(&req, NULL) == 0);
    int64_t t1 = ns(CLOCK_MONOTONIC);
    fact("nanosleep(20 ms) slept >= 20 ms - slack", t1 - t0 >= 20 * MS - SLACK);

    fact("usleep(20000) returns 0", usleep(20000) == 0);
    int64_t t2 = ns(CLOCK_MONOTONIC);
    fact("usleep(20000) slept >= 20 ms - slack", t2 - t1 >= 20 * MS - SLACK);

    req.tv_nsec = 15 * MS;
    fact("clock_nanosleep(MONOTONIC, 15 ms) returns 0", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0);
    int64_t t3 = ns(CLOCK_MONOTONIC);
    fact("clock_nanosleep(MONOTONIC, 15 ms) slept >= 15 ms - slack", t3 - t2 >= 15 * MS - SLACK);

    /* An absolute wake-up time on CLOCK_REALTIME. (Not CLOCK_MONOTONIC: Node's
     * WASI (uvwasi) turns every absolute time into a delay from the realtime
     * clock, so a monotonic deadline there means sleeping for decades.) */
    int64_t target = ns(CLOCK_REALTIME) + 25 * MS;
    struct timespec abs_t = {(time_t)(target / 1000000000), (long)(target % 1000000000)};
    fact("clock_nanosleep(REALTIME, ABSTIME +25 ms) returns 0",
         clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs_t, NULL) == 0);
    int64_t t4 = ns(CLOCK_MONOTONIC);
    fact("clock_nanosleep(ABSTIME) woke at target - slack or later", ns(CLOCK_REALTIME) >= target - SLACK);
    fact("clock_nanosleep(ABSTIME) slept >= 20 ms - slack", t4 - t3 >= 20 * MS - SLACK);

    req.tv_nsec = 10 * MS;
    fact("clock_nanosleep(REALTIME, 10 ms) returns 0", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL) == 0);
    int64_t t5 = ns(CLOCK_MONOTONIC);
    fact("clock_nanosleep(REALTIME, 10 ms) slept >= 10 ms - slack", t5 - t4 >= 10 * MS - SLACK);

    req.tv_nsec = 0;
    fact("nanosleep(0) returns 0", nanosleep(&req, NULL) == 0);
    fact("sleep(0) returns 0", sleep(0) == 0);

    int64_t rt1 = ns(CLOCK_REALTIME);
    fact("realtime advanced >= 50 ms over the sleeps", rt1 - rt0 >= 50 * MS);
    fact("all sleeps took under 10 s", ns(CLOCK_MONOTONIC) - t0 < 10000 * MS);

    printf("clocks done: %d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
