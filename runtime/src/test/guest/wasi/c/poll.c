/* Waiting without file descriptors (WASI poll_oneoff with a clock
 * subscription, sched_yield). Prints only facts, never times. Any failed
 * check prints FAIL and the exit status is 1. No arguments.
 */
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <time.h>

static int failures;

static void fact(const char *what, int ok) {
    printf("%-56s %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

static int64_t mono(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
        printf("FAIL clock_gettime\n");
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
    int64_t t0 = mono();
    fact("poll(NULL, 0, 0) returns 0", poll(NULL, 0, 0) == 0);
    int64_t t1 = mono();
    fact("poll(NULL, 0, 0) returns within 1 s", t1 - t0 < 1000 * MS);

    fact("poll(NULL, 0, 30) returns 0", poll(NULL, 0, 30) == 0);
    int64_t t2 = mono();
    fact("poll(NULL, 0, 30) waited >= 30 ms - slack", t2 - t1 >= 30 * MS - SLACK);

    for (int i = 0; i < 3; i++) poll(NULL, 0, 10);
    int64_t t3 = mono();
    fact("3 x poll(NULL, 0, 10) waited >= 30 ms - 3 slack", t3 - t2 >= 30 * MS - 3 * SLACK);

    struct timespec req = {0, 20 * MS};
    fact("nanosleep(20 ms) returns 0", nanosleep(&req, NULL) == 0);
    int64_t t4 = mono();
    fact("nanosleep(20 ms) waited >= 20 ms - slack", t4 - t3 >= 20 * MS - SLACK);

    struct timeval tv = {0, 15000};
    fact("select(0, NULL, NULL, NULL, 15 ms) returns 0", select(0, NULL, NULL, NULL, &tv) == 0);
    int64_t t5 = mono();
    fact("select(15 ms) waited >= 15 ms - slack", t5 - t4 >= 15 * MS - SLACK);

    int yields_ok = 1;
    for (int i = 0; i < 1000; i++) yields_ok &= sched_yield() == 0;
    fact("sched_yield() x 1000 returns 0", yields_ok);
    fact("all waits took under 10 s", mono() - t0 < 10000 * MS);

    printf("poll done: %d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
