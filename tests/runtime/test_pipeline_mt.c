// test_pipeline_mt.c — the label→train ring under real threads: FIFO order and content over
// 10k batches with seeded random delays, back-pressure, shutdown, failures injected on either
// side at random points (including while the other side is blocked), and API misuse.
// Deadlocks are caught with timed joins, so a hang fails the test instead of stalling CI.
#define _GNU_SOURCE // pthread_timedjoin_np
#include "error.h"
#include "pipeline.h"
#include "topology.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_main.h"

// A side that should finish in microseconds gets this long before we call it a deadlock;
// generous because the machine is shared and sanitizer builds are several times slower.
#define JOIN_TIMEOUT_S 20
// "Still blocked" is judged after this long: far above a wake-up on an idle machine.
#define BLOCK_PROBE_US 50000

enum { MAX_B = 4, MAX_T = 8, MAX_K = 3 };

static pipeline *make(size_t slots) {
    pipeline *p = pipeline_create(&(pipeline_config){.slots = slots, .max_b = MAX_B, .max_t = MAX_T, .max_k = MAX_K});
    if (!p) fail_msg("%s", w2s_error_message());
    return p;
}

static uint64_t mix(uint64_t x) { // splitmix64: a different value for every (batch, row, col)
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void fill(pipeline_slot *s, uint64_t i) {
    s->batch = 1 + i % MAX_B;
    for (size_t r = 0; r < s->batch; r++) {
        s->lengths[r] = (int32_t)(1 + mix(i * 131 + r) % MAX_T);
        s->indices[r] = (int64_t)(i * MAX_B + r);
        for (size_t j = 0; j < MAX_T; j++) s->tokens[r * MAX_T + j] = (int32_t)(mix(i * 7919 + r * 97 + j) & 0xffff);
        for (size_t k = 0; k < MAX_K; k++) s->labels[r * MAX_K + k] = (float)(mix(i + 17 * r + k) % 1000) / 1000.0f;
    }
}

// Returns the first mismatch description, or NULL.
static const char *verify(const pipeline_slot *s, uint64_t i) {
    if (s->seq != i) return "sequence number";
    if (s->batch != 1 + i % MAX_B) return "batch size";
    for (size_t r = 0; r < s->batch; r++) {
        if (s->lengths[r] != (int32_t)(1 + mix(i * 131 + r) % MAX_T)) return "length";
        if (s->indices[r] != (int64_t)(i * MAX_B + r)) return "example index";
        for (size_t j = 0; j < MAX_T; j++)
            if (s->tokens[r * MAX_T + j] != (int32_t)(mix(i * 7919 + r * 97 + j) & 0xffff)) return "token";
        for (size_t k = 0; k < MAX_K; k++)
            if (s->labels[r * MAX_K + k] != (float)(mix(i + 17 * r + k) % 1000) / 1000.0f) return "label";
    }
    return NULL;
}

// ---- threads with seeded delays and optional failure injection

typedef struct {
    pipeline *p;
    uint64_t n;          // batches to produce / expected
    uint64_t seed;
    int delay_pct;       // chance of a delay before each step
    int64_t fail_at;     // inject pipeline_fail at this step (-1: never)
    uint64_t done;       // steps completed
    int rc;              // 0 ok, -1 error from the pipeline, -2 injected failure, -3 data mismatch
    char message[W2S_ERROR_MAX];
} side;

static void maybe_delay(uint64_t *rng, int pct) {
    *rng = mix(*rng);
    if ((int)(*rng % 100) < pct) usleep((useconds_t)(*rng >> 32) % 200);
}

static void *producer(void *arg) {
    side *s = arg;
    uint64_t rng = s->seed;
    for (uint64_t i = 0; i < s->n; i++) {
        maybe_delay(&rng, s->delay_pct);
        if ((int64_t)i == s->fail_at) {
            pipeline_fail(s->p, "injected producer failure");
            s->rc = -2;
            return NULL;
        }
        pipeline_slot *slot;
        if (pipeline_acquire_write(s->p, &slot) < 0) goto error;
        fill(slot, i);
        if (pipeline_commit_write(s->p, slot) < 0) goto error;
        s->done = i + 1;
    }
    pipeline_close(s->p);
    return NULL;
error:
    s->rc = -1;
    snprintf(s->message, sizeof s->message, "%s", w2s_error_message());
    return NULL;
}

static void *consumer(void *arg) {
    side *s = arg;
    uint64_t rng = s->seed;
    for (uint64_t i = 0;; i++) {
        maybe_delay(&rng, s->delay_pct);
        if ((int64_t)i == s->fail_at) {
            pipeline_fail(s->p, "injected consumer failure");
            s->rc = -2;
            return NULL;
        }
        pipeline_slot *slot;
        int got = pipeline_acquire_read(s->p, &slot);
        if (got == 0) return NULL;
        if (got < 0) goto error;
        const char *bad = verify(slot, i);
        if (bad) {
            snprintf(s->message, sizeof s->message, "batch %llu: %s differs", (unsigned long long)i, bad);
            s->rc = -3;
            pipeline_fail(s->p, s->message);
            return NULL;
        }
        maybe_delay(&rng, s->delay_pct / 2);
        if (pipeline_release_read(s->p, slot) < 0) goto error;
        s->done = i + 1;
    }
error:
    s->rc = -1;
    snprintf(s->message, sizeof s->message, "%s", w2s_error_message());
    return NULL;
}

static void join_or_fail(pthread_t th, const char *what) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += JOIN_TIMEOUT_S;
    int err = pthread_timedjoin_np(th, NULL, &deadline);
    if (err) fail_msg("%s did not finish within %d s (deadlock?): %s", what, JOIN_TIMEOUT_S, strerror(err));
}

static void run_pair(side *prod, side *cons) {
    pthread_t tp, tc;
    assert_int_equal(pthread_create(&tc, NULL, consumer, cons), 0);
    assert_int_equal(pthread_create(&tp, NULL, producer, prod), 0);
    join_or_fail(tp, "producer");
    join_or_fail(tc, "consumer");
}

// ---- tests

static void test_fifo_10k(void **state) {
    enum { N = 10000 };
    pipeline *p = make(3);
    side prod = {.p = p, .n = N, .seed = 1, .delay_pct = 10, .fail_at = -1};
    side cons = {.p = p, .n = N, .seed = 2, .delay_pct = 10, .fail_at = -1};
    run_pair(&prod, &cons);
    if (prod.rc || cons.rc)
        fail_msg("producer %d '%s', consumer %d '%s'", prod.rc, prod.message, cons.rc, cons.message);
    assert_int_equal(prod.done, N);
    assert_int_equal(cons.done, N);
    pipeline_stats st = pipeline_get_stats(p);
    assert_int_equal(st.committed, N);
    assert_int_equal(st.consumed, N);
    assert_true(st.first_commit_s >= 0);
    assert_true(st.producer_blocked_s >= 0 && st.consumer_blocked_s >= 0);
    pipeline_destroy(p);
}

typedef struct {
    pipeline *p;
    atomic_int returned;
    int rc;
} blocked_call;

static void *blocked_write(void *arg) {
    blocked_call *b = arg;
    pipeline_slot *slot;
    b->rc = pipeline_acquire_write(b->p, &slot);
    if (b->rc == 0) {
        fill(slot, 2);
        b->rc = pipeline_commit_write(b->p, slot);
    }
    atomic_store(&b->returned, 1);
    return NULL;
}

static void *blocked_read(void *arg) {
    blocked_call *b = arg;
    pipeline_slot *slot;
    b->rc = pipeline_acquire_read(b->p, &slot);
    atomic_store(&b->returned, 1);
    return NULL;
}

static void write_one(pipeline *p, uint64_t i) {
    pipeline_slot *slot;
    assert_int_equal(pipeline_acquire_write(p, &slot), 0);
    fill(slot, i);
    assert_int_equal(pipeline_commit_write(p, slot), 0);
}

static void test_back_pressure(void **state) {
    pipeline *p = make(2);
    assert_true(pipeline_get_stats(p).first_commit_s < 0);
    write_one(p, 0);
    write_one(p, 1);
    blocked_call b = {.p = p};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_write, &b), 0);
    usleep(BLOCK_PROBE_US);
    assert_int_equal(atomic_load(&b.returned), 0); // full: the producer waits
    pipeline_slot *slot;
    assert_int_equal(pipeline_acquire_read(p, &slot), 1);
    assert_null(verify(slot, 0));
    usleep(BLOCK_PROBE_US);
    assert_int_equal(atomic_load(&b.returned), 0); // a slot being read is not free yet
    assert_int_equal(pipeline_release_read(p, slot), 0);
    join_or_fail(th, "blocked producer");
    assert_int_equal(b.rc, 0);
    pipeline_stats st = pipeline_get_stats(p);
    assert_true(st.producer_blocked_s >= 0.5 * 2 * BLOCK_PROBE_US * 1e-6);
    for (uint64_t i = 1; i < 3; i++) {
        assert_int_equal(pipeline_acquire_read(p, &slot), 1);
        assert_null(verify(slot, i));
        assert_int_equal(pipeline_release_read(p, slot), 0);
    }
    pipeline_destroy(p);
}

static void test_shutdown(void **state) {
    pipeline *p = make(4);
    // A consumer blocked on an empty ring is woken by close and sees end of stream.
    blocked_call b = {.p = p};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_read, &b), 0);
    usleep(BLOCK_PROBE_US);
    assert_int_equal(atomic_load(&b.returned), 0);
    pipeline_close(p);
    join_or_fail(th, "blocked consumer");
    assert_int_equal(b.rc, 0);
    pipeline_destroy(p);

    // Committed batches are drained after close; an uncommitted slot is dropped.
    p = make(4);
    for (uint64_t i = 0; i < 3; i++) write_one(p, i);
    pipeline_slot *slot;
    assert_int_equal(pipeline_acquire_write(p, &slot), 0);
    pipeline_close(p);
    pipeline_close(p);
    assert_int_equal(pipeline_acquire_write(p, &slot), -1);
    assert_non_null(strstr(w2s_error_message(), "closed"));
    for (uint64_t i = 0; i < 3; i++) {
        assert_int_equal(pipeline_acquire_read(p, &slot), 1);
        assert_null(verify(slot, i));
        assert_int_equal(pipeline_release_read(p, slot), 0);
    }
    assert_int_equal(pipeline_acquire_read(p, &slot), 0);
    assert_int_equal(pipeline_acquire_read(p, &slot), 0);
    pipeline_destroy(p);
}

static void test_fail_wakes_blocked(void **state) {
    // Producer blocked on a full ring; the consumer fails.
    pipeline *p = make(1);
    write_one(p, 0);
    blocked_call b = {.p = p};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_write, &b), 0);
    usleep(BLOCK_PROBE_US);
    assert_int_equal(atomic_load(&b.returned), 0);
    pipeline_fail(p, "trainer: loss is NaN at step 3");
    join_or_fail(th, "blocked producer");
    assert_int_equal(b.rc, -1);
    pipeline_slot *slot;
    assert_int_equal(pipeline_acquire_read(p, &slot), -1);
    assert_string_equal(w2s_error_message(), "pipeline failed: trainer: loss is NaN at step 3");
    pipeline_fail(p, "a later failure"); // the first message wins
    assert_int_equal(pipeline_acquire_write(p, &slot), -1);
    assert_non_null(strstr(w2s_error_message(), "loss is NaN"));
    pipeline_destroy(p);

    // Consumer blocked on an empty ring; the producer fails.
    p = make(2);
    blocked_call c = {.p = p};
    assert_int_equal(pthread_create(&th, NULL, blocked_read, &c), 0);
    usleep(BLOCK_PROBE_US);
    assert_int_equal(atomic_load(&c.returned), 0);
    pipeline_fail(p, "labeler: cannot read weights");
    join_or_fail(th, "blocked consumer");
    assert_int_equal(c.rc, -1);
    pipeline_destroy(p);

    // A consumer holding a slot learns of the failure at release.
    p = make(2);
    write_one(p, 0);
    assert_int_equal(pipeline_acquire_read(p, &slot), 1);
    pipeline_fail(p, "labeler died");
    assert_int_equal(pipeline_release_read(p, slot), -1);
    assert_non_null(strstr(w2s_error_message(), "labeler died"));
    pipeline_destroy(p);
}

static void test_random_failures(void **state) {
    enum { TRIALS = 300, N = 200 };
    uint64_t rng = 12345;
    for (int trial = 0; trial < TRIALS; trial++) {
        rng = mix(rng);
        bool producer_fails = rng & 1;
        int64_t at = (int64_t)((rng >> 8) % (N + 20)); // sometimes after the end: no failure seen
        pipeline *p = make(1 + (rng >> 40) % 4);
        side prod = {.p = p, .n = N, .seed = rng ^ 1, .delay_pct = 5, .fail_at = producer_fails ? at : -1};
        side cons = {.p = p, .n = N, .seed = rng ^ 2, .delay_pct = 5, .fail_at = producer_fails ? -1 : at};
        run_pair(&prod, &cons);
        side *failer = producer_fails ? &prod : &cons, *other = producer_fails ? &cons : &prod;
        if (cons.rc == -3) fail_msg("trial %d: %s", trial, cons.message);
        if (failer->rc == -2) {
            // The other side either had finished cleanly or saw the injected message.
            if (other->rc == -1 && !strstr(other->message, "injected"))
                fail_msg("trial %d: other side got '%s'", trial, other->message);
            if (producer_fails && cons.rc == 0) fail_msg("trial %d: consumer missed the producer's failure", trial);
        } else {
            if (prod.rc || cons.rc) fail_msg("trial %d: unexpected %d/%d '%s' '%s'", trial, prod.rc, cons.rc,
                                             prod.message, cons.message);
            assert_int_equal(cons.done, N);
        }
        pipeline_destroy(p);
    }
}

static void test_misuse(void **state) {
    pipeline *p = make(2);
    pipeline_slot *slot, *other;
    assert_null(pipeline_create(&(pipeline_config){.slots = 0, .max_b = 1, .max_t = 1, .max_k = 1}));
    assert_null(pipeline_create(&(pipeline_config){.slots = 2, .max_b = SIZE_MAX / 2, .max_t = 4, .max_k = 1}));
    assert_non_null(strstr(w2s_error_message(), "too large"));
    assert_int_equal(pipeline_acquire_write(p, &slot), 0);
    // Fresh slots carry NaN labels: a consumer reading unfilled rows cannot mistake them.
    assert_true(isnan(slot->labels[0]) && isnan(slot->labels[MAX_B * MAX_K - 1]));
    assert_int_equal(pipeline_acquire_write(p, &other), -1);
    assert_non_null(strstr(w2s_error_message(), "already holds"));
    slot->batch = 0;
    assert_int_equal(pipeline_commit_write(p, slot), -1);
    assert_non_null(strstr(w2s_error_message(), "batch 0"));
    assert_int_equal(pipeline_acquire_write(p, &slot), 0);
    fill(slot, 0);
    assert_int_equal(pipeline_commit_write(p, slot + 1), -1);
    assert_int_equal(pipeline_acquire_write(p, &slot), 0);
    fill(slot, 0);
    assert_int_equal(pipeline_commit_write(p, slot), 0);
    assert_int_equal(pipeline_release_read(p, slot), -1); // not acquired
    assert_int_equal(pipeline_acquire_read(p, &slot), 1);
    assert_int_equal(pipeline_acquire_read(p, &other), -1);
    assert_int_equal(pipeline_release_read(p, slot), 0);
    pipeline_destroy(p);
}

static void test_numa_slots(void **state) {
    topology *t = topology_load_this_system();
    if (!t) fail_msg("%s", w2s_error_message());
    pipeline *p = pipeline_create(&(pipeline_config){
        .slots = 3, .max_b = MAX_B, .max_t = MAX_T, .max_k = MAX_K, .topo = t, .node = t->nodes[0].os_index});
    assert_non_null(p);
    side prod = {.p = p, .n = 500, .seed = 3, .delay_pct = 0, .fail_at = -1};
    side cons = {.p = p, .n = 500, .seed = 4, .delay_pct = 0, .fail_at = -1};
    run_pair(&prod, &cons);
    assert_int_equal(cons.done, 500);
    pipeline_stats st = pipeline_get_stats(p);
    printf("slots on node %u: %s; producer blocked %.3f ms, consumer blocked %.3f ms, first commit %.3f ms\n",
           t->nodes[0].os_index, st.memory_bound ? "bound (mbind)" : "first touch", st.producer_blocked_s * 1e3,
           st.consumer_blocked_s * 1e3, st.first_commit_s * 1e3);
    pipeline_destroy(p);
    topology_destroy(t);
}

W2S_TEST_MAIN(NULL, NULL, test_fifo_10k, test_back_pressure, test_shutdown, test_fail_wakes_blocked,
              test_random_failures, test_misuse, test_numa_slots)
