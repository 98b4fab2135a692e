// test_stages_mt.c — labeler and trainer run together on their bound teams through the ring:
// data arrives whole and in order on the right PUs, and a failure in either stage (or a
// trainer that stops early) ends both promptly with the root cause as the error.
// Each run happens in a helper thread joined with a timeout, so a deadlock fails the test.
#define _GNU_SOURCE // sched_getcpu, pthread_timedjoin_np
#include "error.h"
#include "placement.h"
#include "stages.h"
#include "topology.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "test_main.h"

// Generous: a run moves a few hundred tiny batches; the machine is shared and may be slow.
#define RUN_TIMEOUT_S 30

enum { BATCHES = 300, MAX_B = 4, MAX_T = 16, MAX_K = 2 };

typedef struct {
    int fail_at;          // the stage fails at this batch (-1: never)
    int stop_at;          // the trainer returns 0 at this batch (-1: never)
    const char *message;
    int batches;          // batches handled
    int bad;              // content mismatches (trainer)
    int cpu_mismatch;     // threads found off their PU
    const placement_stage *where;
    bool check_cpu;
} body_state;

static void check_cpus(body_state *s) {
    if (!s->check_cpu) return;
    int bad = 0;
#pragma omp parallel reduction(+ : bad)
    bad += sched_getcpu() != (int)s->where->pus[omp_get_thread_num()];
    s->cpu_mismatch += bad;
}

static int label_body(pipeline *p, void *arg) {
    body_state *s = arg;
    for (int b = 0; b < BATCHES; b++) {
        if (b == s->fail_at) return W2S_FAIL("%s", s->message);
        pipeline_slot *slot;
        if (pipeline_acquire_write(p, &slot) < 0) return -1;
        slot->batch = 1 + (size_t)b % MAX_B;
#pragma omp parallel for
        for (int i = 0; i < MAX_B * MAX_T; i++) slot->tokens[i] = b * 1000 + i;
        for (size_t r = 0; r < slot->batch; r++) slot->indices[r] = b * MAX_B + (int64_t)r;
        if (pipeline_commit_write(p, slot) < 0) return -1;
        s->batches++;
    }
    check_cpus(s);
    return 0;
}

static int train_body(pipeline *p, void *arg) {
    body_state *s = arg;
    for (int b = 0;; b++) {
        if (b == s->fail_at) return W2S_FAIL("%s", s->message);
        if (b == s->stop_at) return 0;
        pipeline_slot *slot;
        int got = pipeline_acquire_read(p, &slot);
        if (got < 0) return -1;
        if (got == 0) break;
        int bad = slot->batch != 1 + (size_t)b % MAX_B;
#pragma omp parallel for reduction(+ : bad)
        for (int i = 0; i < MAX_B * MAX_T; i++) bad += slot->tokens[i] != b * 1000 + i;
        for (size_t r = 0; r < slot->batch; r++) bad += slot->indices[r] != b * MAX_B + (int64_t)r;
        s->bad += bad;
        if (pipeline_release_read(p, slot) < 0) return -1;
        s->batches++;
    }
    check_cpus(s);
    return 0;
}

typedef struct {
    stages_config cfg;
    pipeline_stats stats;
    int rc;
    char message[W2S_ERROR_MAX];
} run_args;

static void *run_thread(void *arg) {
    run_args *r = arg;
    r->rc = stages_run(&r->cfg, &r->stats);
    snprintf(r->message, sizeof r->message, "%s", r->rc < 0 ? w2s_error_message() : "");
    return NULL;
}

static void run(run_args *r) {
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_thread, r), 0);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += RUN_TIMEOUT_S;
    if (pthread_timedjoin_np(th, NULL, &deadline))
        fail_msg("stages_run did not finish in %d s (deadlock?)", RUN_TIMEOUT_S);
}

typedef struct {
    topology *t;
    placement pl;
    body_state lab, trn;
    run_args r;
} fixture;

static void setup(fixture *f, topology *t, bool bind) {
    memset(f, 0, sizeof *f);
    f->t = t;
    if (placement_plan(t, NULL, &f->pl) < 0) fail_msg("%s", w2s_error_message());
    f->lab = (body_state){.fail_at = -1, .stop_at = -1, .where = &f->pl.stage[PLACEMENT_LABEL], .check_cpu = bind};
    f->trn = (body_state){.fail_at = -1, .stop_at = -1, .where = &f->pl.stage[PLACEMENT_TRAIN], .check_cpu = bind};
    f->r.cfg = (stages_config){.topo = t, .plan = &f->pl, .bind = bind, .slots = 3, .max_b = MAX_B, .max_t = MAX_T,
                               .max_k = MAX_K, .label = label_body, .train = train_body,
                               .label_arg = &f->lab, .train_arg = &f->trn};
}

static void teardown(fixture *f) {
    placement_free(&f->pl);
    topology_destroy(f->t);
}

static topology *this_machine(void) {
    topology *t = topology_load_this_system();
    if (!t) fail_msg("%s", w2s_error_message());
    return t;
}

// Failure paths need two stages but no binding: a synthetic 2-core machine, so they run on
// any CI host (even a 1-core one, where this machine's plan would be sequential).
static topology *two_cores(void) {
    topology *t = topology_load_synthetic("core:2 pu:1");
    if (!t) fail_msg("%s", w2s_error_message());
    return t;
}

// ---- tests

static void test_both_stages_bound(void **state) {
    fixture f;
    setup(&f, this_machine(), true);
    if (f.pl.sequential) {
        teardown(&f);
        skip();
    }
    run(&f.r);
    if (f.r.rc) fail_msg("%s", f.r.message);
    assert_int_equal(f.lab.batches, BATCHES);
    assert_int_equal(f.trn.batches, BATCHES);
    assert_int_equal(f.trn.bad, 0);
    assert_int_equal(f.lab.cpu_mismatch, 0);
    assert_int_equal(f.trn.cpu_mismatch, 0);
    assert_int_equal(f.r.stats.committed, BATCHES);
    assert_int_equal(f.r.stats.consumed, BATCHES);
    printf("300 batches: producer blocked %.1f ms, consumer blocked %.1f ms, first batch after %.3f ms\n",
           f.r.stats.producer_blocked_s * 1e3, f.r.stats.consumer_blocked_s * 1e3, f.r.stats.first_commit_s * 1e3);
    teardown(&f);
}

static void test_unbound_synthetic(void **state) {
    fixture f;
    topology *t = topology_load_synthetic("numa:2 core:2 pu:1");
    assert_non_null(t);
    setup(&f, t, false);
    assert_int_equal(f.pl.stage[PLACEMENT_LABEL].n_threads, 2);
    run(&f.r);
    if (f.r.rc) fail_msg("%s", f.r.message);
    assert_int_equal(f.trn.batches, BATCHES);
    assert_int_equal(f.trn.bad, 0);
    teardown(&f);
}

static void test_label_fails(void **state) {
    fixture f;
    setup(&f, two_cores(), false);
    f.lab.fail_at = 50;
    f.lab.message = "tokenizer: byte 0xff at line 51";
    run(&f.r);
    assert_int_equal(f.r.rc, -1);
    assert_string_equal(f.r.message, "label stage: tokenizer: byte 0xff at line 51");
    assert_true(f.trn.batches <= 50);
    teardown(&f);
}

static void test_train_fails(void **state) {
    fixture f;
    setup(&f, two_cores(), false);
    f.trn.fail_at = 20;
    f.trn.message = "loss is NaN at step 20";
    run(&f.r);
    assert_int_equal(f.r.rc, -1);
    assert_string_equal(f.r.message, "train stage: loss is NaN at step 20");
    assert_true(f.lab.batches < BATCHES); // the labeler was stopped, not left to finish
    teardown(&f);
}

static void test_train_stops_early(void **state) {
    fixture f;
    setup(&f, two_cores(), false);
    f.trn.stop_at = 10;
    run(&f.r);
    assert_int_equal(f.r.rc, -1);
    assert_string_equal(f.r.message, "train stage: returned before the end of the labeled stream");
    teardown(&f);
}

static void test_sequential_plan_refused(void **state) {
    topology *t = this_machine();
    placement pl;
    assert_int_equal(placement_plan(t, &(placement_request){.sequential = true}, &pl), 0);
    stages_config cfg = {.topo = t, .plan = &pl, .slots = 2, .max_b = 1, .max_t = 1, .max_k = 1,
                         .label = label_body, .train = train_body};
    assert_int_equal(stages_run(&cfg, NULL), -1);
    assert_non_null(strstr(w2s_error_message(), "pipeline plan"));
    placement_free(&pl);
    topology_destroy(t);
}

W2S_TEST_MAIN(NULL, NULL, test_both_stages_bound, test_unbound_synthetic, test_label_fails, test_train_fails,
              test_train_stops_early, test_sequential_plan_refused)
