// test_team_mt.c — stage teams on this machine: each OpenMP thread of each team sits on its
// own PU (read back with hwloc_get_cpubind and sched_getcpu), two stages connected by a
// pipeline keep their bindings, errors from binding and from the stage come back through
// team_join, and NUMA-bound buffers (or their first-touch fallback) are usable.
#define _GNU_SOURCE // sched_getcpu
#include "bind.h"
#include "error.h"
#include "pipeline.h"
#include "placement.h"
#include "team.h"
#include "topology.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_main.h"

enum { MAX_THREADS = 64, BATCHES = 200 };

static topology *this_machine(void) {
    topology *t = topology_load_this_system();
    if (!t) fail_msg("%s", w2s_error_message());
    return t;
}

// What one stage saw of its own threads.
typedef struct {
    const topology *topo;
    const unsigned *pus;
    int n;
    int team_size;
    int bound_ok[MAX_THREADS];   // hwloc_get_cpubind(THREAD) == exactly {pus[i]}
    int cpu[MAX_THREADS];        // sched_getcpu() at the end of the stage
    long tid[MAX_THREADS];       // kernel thread id of OpenMP thread i
    pipeline *p;                 // NULL: no pipeline work
    bool producer;
    int errors;
    const char *fail_with;       // the stage fails with this message after recording
} stage_probe;

static void record(stage_probe *s) {
#pragma omp parallel
    {
        int i = omp_get_thread_num();
#pragma omp single
        s->team_size = omp_get_num_threads();
        if (i < MAX_THREADS) {
            hwloc_bitmap_t set = hwloc_bitmap_alloc();
            s->bound_ok[i] = hwloc_get_cpubind(s->topo->hw, set, HWLOC_CPUBIND_THREAD) == 0 &&
                             hwloc_bitmap_weight(set) == 1 && hwloc_bitmap_isset(set, s->pus[i]);
            hwloc_bitmap_free(set);
            s->cpu[i] = sched_getcpu();
            s->tid[i] = (long)syscall(SYS_gettid);
        }
    }
}

// Moves BATCHES batches through the pipeline with a parallel region per batch, so the binding
// must survive libgomp reusing its pool between regions.
static int stage_body(void *arg) {
    stage_probe *s = arg;
    for (int b = 0; s->p && b < BATCHES; b++) {
        pipeline_slot *slot;
        if (s->producer) {
            if (pipeline_acquire_write(s->p, &slot) < 0) return -1;
            slot->batch = 1;
#pragma omp parallel for
            for (int j = 0; j < 64; j++) slot->tokens[j] = b + j;
            if (pipeline_commit_write(s->p, slot) < 0) return -1;
        } else {
            int got = pipeline_acquire_read(s->p, &slot);
            if (got <= 0) return got < 0 ? -1 : W2S_FAIL("stream ended after %d batches", b);
            int bad = 0;
#pragma omp parallel for reduction(+ : bad)
            for (int j = 0; j < 64; j++) bad += slot->tokens[j] != b + j;
            s->errors += bad;
            if (pipeline_release_read(s->p, slot) < 0) return -1;
        }
    }
    if (s->p && s->producer) pipeline_close(s->p);
    record(s);
    if (s->fail_with) return W2S_FAIL("%s", s->fail_with);
    return 0;
}

static void on_error(void *arg, const char *message) {
    stage_probe *s = arg;
    if (s->p) pipeline_fail(s->p, message);
}

static team *start(const char *name, stage_probe *s, bool bind) {
    team *tm = team_start(&(team_config){.name = name, .topo = s->topo, .pus = s->pus, .n_threads = s->n, .bind = bind,
                                         .fn = stage_body, .on_error = on_error, .arg = s});
    if (!tm) fail_msg("%s", w2s_error_message());
    return tm;
}

static void check_probe(const char *name, const stage_probe *s) {
    assert_int_equal(s->team_size, s->n);
    for (int i = 0; i < s->n; i++) {
        if (!s->bound_ok[i]) fail_msg("%s thread %d is not bound to exactly PU %u", name, i, s->pus[i]);
        if (s->cpu[i] != (int)s->pus[i])
            fail_msg("%s thread %d runs on CPU %d, not PU %u", name, i, s->cpu[i], s->pus[i]);
    }
}

// ---- tests

static void test_two_stages(void **state) {
    topology *t = this_machine();
    placement pl;
    assert_int_equal(placement_plan(t, &(placement_request){0}, &pl), 0);
    placement_print(stdout, &pl);
    if (pl.sequential) {
        printf("one core only: the two-stage binding check needs two\n");
        placement_free(&pl);
        topology_destroy(t);
        skip();
    }
    pipeline *p = pipeline_create(&(pipeline_config){.slots = 2, .max_b = 1, .max_t = 64, .max_k = 2, .topo = t,
                                                     .node = pl.ring_node});
    assert_non_null(p);
    stage_probe lab = {.topo = t, .pus = pl.stage[PLACEMENT_LABEL].pus, .n = pl.stage[PLACEMENT_LABEL].n_threads,
                       .p = p, .producer = true};
    stage_probe trn = {
        .topo = t, .pus = pl.stage[PLACEMENT_TRAIN].pus, .n = pl.stage[PLACEMENT_TRAIN].n_threads, .p = p};
    team *a = start("label", &lab, true), *b = start("train", &trn, true);
    int ra = team_join(a);
    if (ra < 0) fail_msg("%s", w2s_error_message());
    int rb = team_join(b);
    if (rb < 0) fail_msg("%s", w2s_error_message());
    check_probe("label", &lab);
    check_probe("train", &trn);
    assert_int_equal(trn.errors, 0);
    // The teams' PUs and threads are disjoint: separate libgomp pools per root thread.
    for (int i = 0; i < lab.n; i++)
        for (int j = 0; j < trn.n; j++) {
            assert_int_not_equal(lab.cpu[i], trn.cpu[j]);
            assert_int_not_equal(lab.tid[i], trn.tid[j]);
        }
    printf("label team on CPU %d, train team on CPU %d\n", lab.cpu[0], trn.cpu[0]);
    pipeline_destroy(p);
    placement_free(&pl);
    topology_destroy(t);
}

static void test_one_team_all_pus(void **state) {
    topology *t = this_machine();
    placement pl;
    assert_int_equal(placement_plan(t, &(placement_request){.sequential = true}, &pl), 0);
    int n = pl.stage[PLACEMENT_TRAIN].n_threads < MAX_THREADS ? pl.stage[PLACEMENT_TRAIN].n_threads : MAX_THREADS;
    stage_probe s = {.topo = t, .pus = pl.stage[PLACEMENT_TRAIN].pus, .n = n};
    team *tm = start("train", &s, true);
    if (team_join(tm) < 0) fail_msg("%s", w2s_error_message());
    check_probe("train", &s);
    placement_free(&pl);
    topology_destroy(t);
}

static void test_errors(void **state) {
    topology *t = this_machine();
    // A PU that does not exist: binding fails on the team thread, join reports it.
    unsigned bad_pu = 4000;
    stage_probe s = {.topo = t, .pus = &bad_pu, .n = 1};
    team *tm = start("label", &s, true);
    assert_int_equal(team_join(tm), -1);
    const char *msg = w2s_error_message();
    if (!strstr(msg, "label stage: ") || !strstr(msg, "PU 4000")) fail_msg("message: %s", msg);

    // The stage function fails: join carries its message.
    stage_probe f = {.topo = t, .pus = t->pus, .n = 1, .fail_with = "weights file truncated"};
    tm = start("train", &f, true);
    assert_int_equal(team_join(tm), -1);
    assert_string_equal(w2s_error_message(), "train stage: weights file truncated");

    // A synthetic topology is never bound to; unbound teams still get their thread count.
    topology *syn = topology_load_synthetic("core:3 pu:1");
    stage_probe u = {.topo = syn, .pus = syn->pus, .n = 3};
    tm = start("label", &u, false);
    assert_int_equal(team_join(tm), 0);
    assert_int_equal(u.team_size, 3);
    tm = start("label", &u, true);
    assert_int_equal(team_join(tm), -1);
    assert_non_null(strstr(w2s_error_message(), "not this machine"));
    assert_null(team_start(&(team_config){.name = "x", .topo = t, .pus = t->pus, .n_threads = 0, .fn = stage_body}));
    topology_destroy(syn);
    topology_destroy(t);
}

static void test_memory(void **state) {
    topology *t = this_machine();
    bind_buffer b;
    size_t bytes = (size_t)3 << 20;
    assert_int_equal(bind_alloc(&b, t, bytes, &t->nodes[0].os_index, 1), 0);
    assert_non_null(b.ptr);
    assert_int_equal((uintptr_t)b.ptr % 64, 0);
    const unsigned char *c = b.ptr;
    for (size_t i = 0; i < bytes; i += 4096) assert_int_equal(c[i], 0);
    memset(b.ptr, 0xab, bytes);
    printf("buffer on node %u: %s%s\n", t->nodes[0].os_index, b.bound ? "bound" : "not bound: ", b.note);
    if (b.bound) {
        // Read the policy back: hwloc reports where the range's memory is bound.
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        hwloc_membind_policy_t pol;
        assert_int_equal(hwloc_get_area_membind(t->hw, b.ptr, bytes, set, &pol, HWLOC_MEMBIND_BYNODESET), 0);
        assert_int_equal(pol, HWLOC_MEMBIND_BIND);
        assert_true(hwloc_bitmap_isset(set, t->nodes[0].os_index));
        hwloc_bitmap_free(set);
    }
    bind_free(&b);
    bind_free(&b);

    topology *syn = topology_load_synthetic("numa:2 core:2 pu:1");
    unsigned node = 1;
    assert_int_equal(bind_alloc(&b, syn, 1000, &node, 1), 0);
    assert_false(b.bound);
    assert_non_null(strstr(b.note, "not this machine"));
    bind_free(&b);
    topology_destroy(syn);
    topology_destroy(t);
}

W2S_TEST_MAIN(NULL, NULL, test_two_stages, test_one_team_all_pus, test_errors, test_memory)
