// test_placement.c — placement plans on synthetic machines against plans written out by hand
// from the rule in placement.h: proportional core split, whole NUMA nodes, unequal nodes,
// SMT, sequential, overrides, and the errors for bad or impossible requests.
#include "error.h"
#include "placement.h"
#include "topology.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "test_main.h"

// Imbalance is a ratio of two small-integer quotients; anything past rounding noise is a bug.
#define IMBALANCE_TOL 1e-12

typedef struct {
    const char *label_pus, *train_pus; // hwloc list strings
    const char *label_nodes, *train_nodes;
    unsigned ring_node;
    const char *rule; // substring of placement.rule
} expected;

static topology *synth(const char *desc, const char *restrict_to) {
    topology *t = topology_load_synthetic(desc);
    if (!t) fail_msg("loading '%s': %s", desc, w2s_error_message());
    if (restrict_to && topology_restrict(t, restrict_to) < 0) fail_msg("restrict: %s", w2s_error_message());
    return t;
}

static void check_stage(const char *what, const placement_stage *s, const char *pus, const char *nodes) {
    char got[512], got_nodes[128];
    topology_format_pus(got, sizeof got, s->pus, s->n_threads);
    topology_format_pus(got_nodes, sizeof got_nodes, s->nodes, s->n_nodes);
    if (strcmp(got, pus)) fail_msg("%s PUs: got %s, want %s", what, got, pus);
    if (strcmp(got_nodes, nodes)) fail_msg("%s nodes: got %s, want %s", what, got_nodes, nodes);
}

static void expect_plan(const topology *t, const placement_request *r, const expected *e) {
    placement p;
    if (placement_plan(t, r, &p) < 0) fail_msg("%s: %s", t->source, w2s_error_message());
    check_stage("label", &p.stage[PLACEMENT_LABEL], e->label_pus, e->label_nodes);
    check_stage("train", &p.stage[PLACEMENT_TRAIN], e->train_pus, e->train_nodes);
    assert_int_equal(p.ring_node, e->ring_node);
    if (!strstr(p.rule, e->rule)) fail_msg("rule '%s', want '%s'", p.rule, e->rule);
    placement_free(&p);
}

static void expect_error(const topology *t, const placement_request *r, const char *needle) {
    placement p;
    assert_int_equal(placement_plan(t, r, &p), -1);
    if (!strstr(w2s_error_message(), needle)) fail_msg("error '%s' lacks '%s'", w2s_error_message(), needle);
    assert_null(p.stage[0].pus);
    assert_null(p.stage[1].pus);
}

// ---- one node: cores by cost

static void test_one_node_two_cores(void **state) {
    topology *t = synth("core:2 pu:1", NULL);
    expect_plan(t, &(placement_request){0}, &(expected){"0", "1", "0", "0", 0, "cores by cost"});
    // However lopsided the costs, each stage keeps one core.
    expect_plan(t, &(placement_request){.label_cost = 1, .train_cost = 100},
                &(expected){"0", "1", "0", "0", 0, "cores by cost"});
    topology_destroy(t);
}

static void test_one_node_proportional(void **state) {
    topology *t = synth("core:16 pu:1", NULL);
    // 1:3 on 16 cores: 4 | 12 balances exactly.
    placement p;
    assert_int_equal(placement_plan(t, &(placement_request){.label_cost = 1, .train_cost = 3}, &p), 0);
    assert_int_equal(p.stage[PLACEMENT_LABEL].n_threads, 4);
    assert_int_equal(p.stage[PLACEMENT_TRAIN].n_threads, 12);
    assert_true(p.imbalance - 1.0 < IMBALANCE_TOL);
    placement_free(&p);
    // gpt2 (124M) labelling for gpt2-medium (355M), T = 512: 2*124 vs 6*355 per token.
    // n=2 gives max(248/2, 2130/14) = 152.1; n=1 gives 248 and n=3 gives 163.8.
    double a = placement_cost_label(124e6, 512), b = placement_cost_train(355e6, 512);
    expect_plan(t, &(placement_request){.label_cost = a, .train_cost = b},
                &(expected){"0-1", "2-15", "0", "0", 0, "cores by cost"});
    topology_destroy(t);
}

static void test_tie_favours_trainer(void **state) {
    topology *t = synth("core:3 pu:1", NULL);
    // Equal costs on 3 cores: 1|2 and 2|1 both give max 1.0; the trainer gets the extra core.
    expect_plan(t, &(placement_request){0}, &(expected){"0", "1-2", "0", "0", 0, "cores by cost"});
    topology_destroy(t);
}

static void test_single_core_is_sequential(void **state) {
    topology *t = synth("core:1 pu:2", NULL);
    placement p;
    assert_int_equal(placement_plan(t, &(placement_request){0}, &p), 0);
    assert_true(p.sequential);
    assert_non_null(strstr(p.rule, "only 1 core"));
    placement_free(&p);
    expect_plan(t, &(placement_request){0}, &(expected){"0", "0", "0", "0", 0, "sequential"});
    topology_destroy(t);
}

// ---- several nodes: whole nodes

static void test_two_packages(void **state) {
    topology *t = synth("pack:2 [numa] core:8 pu:2", NULL);
    const char *n0 = "0,2,4,6,8,10,12,14", *n1 = "16,18,20,22,24,26,28,30";
    expect_plan(t, &(placement_request){0}, &(expected){n0, n1, "0", "1", 1, "whole NUMA nodes"});
    // Two nodes: one each, even at 1:3 (whole nodes beat a finer split across the interconnect).
    expect_plan(t, &(placement_request){.label_cost = 1, .train_cost = 3},
                &(expected){n0, n1, "0", "1", 1, "whole NUMA nodes"});
    expect_plan(t, &(placement_request){.use_smt = true}, &(expected){"0-15", "16-31", "0", "1", 1, "whole"});
    topology_destroy(t);
}

static void test_four_nodes_smt(void **state) {
    topology *t = synth("numa:4 core:4 pu:2", NULL);
    expect_plan(t, &(placement_request){0},
                &(expected){"0,2,4,6,8,10,12,14", "16,18,20,22,24,26,28,30", "0-1", "2-3", 2, "whole NUMA nodes"});
    // 1:3 -> 1 node | 3 nodes; the trainer's main node is the lowest of its equally used nodes.
    expect_plan(t, &(placement_request){.label_cost = 1, .train_cost = 3},
                &(expected){"0,2,4,6", "8,10,12,14,16,18,20,22,24,26,28,30", "0", "1-3", 1, "whole NUMA nodes"});
    // 3:1 -> 3 | 1; prefix and suffix for the labeler tie, the labeler keeps the prefix.
    expect_plan(t, &(placement_request){.label_cost = 3, .train_cost = 1},
                &(expected){"0,2,4,6,8,10,12,14,16,18,20,22", "24,26,28,30", "0-2", "3", 3, "whole NUMA nodes"});
    topology_destroy(t);
}

static void test_unequal_nodes(void **state) {
    // Node 0 keeps 4 cores, node 1 one core (PU 4).
    topology *t = synth("numa:2 core:4 pu:1", "0-4");
    // 1:4: labeler on the small node: max(1/1, 4/4) = 1 beats max(1/4, 4/1) = 4.
    expect_plan(t, &(placement_request){.label_cost = 1, .train_cost = 4},
                &(expected){"4", "0-3", "1", "0", 0, "whole NUMA nodes"});
    expect_plan(t, &(placement_request){.label_cost = 4, .train_cost = 1},
                &(expected){"0-3", "4", "0", "1", 1, "whole NUMA nodes"});
    topology_destroy(t);
    // Same shape through two packages with SMT: node 0 has cores {0,1},{2,3},{4,5}, node 1 {6,7}.
    t = synth("pack:2 [numa] core:3 pu:2", "0-7");
    expect_plan(t, &(placement_request){.label_cost = 3, .train_cost = 1},
                &(expected){"0,2,4", "6", "0", "1", 1, "whole NUMA nodes"});
    topology_destroy(t);
}

static void test_sequential(void **state) {
    topology *t = synth("pack:2 [numa] core:8 pu:2", NULL);
    const char *all = "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30";
    expect_plan(t, &(placement_request){.sequential = true}, &(expected){all, all, "0-1", "0-1", 0, "sequential"});
    topology_destroy(t);
}

// ---- overrides

static void test_core_counts(void **state) {
    topology *t = synth("pack:2 [numa] core:8 pu:2", NULL);
    expect_plan(t, &(placement_request){.label_cores = 3},
                &(expected){"0,2,4", "6,8,10,12,14,16,18,20,22,24,26,28,30", "0", "0-1", 1, "override"});
    expect_plan(t, &(placement_request){.train_cores = 2},
                &(expected){"0,2,4,6,8,10,12,14,16,18,20,22,24,26", "28,30", "0-1", "1", 1, "override"});
    expect_plan(t, &(placement_request){.label_cores = 2, .train_cores = 2},
                &(expected){"0,2", "28,30", "0", "1", 1, "override"});
    topology_destroy(t);
}

static void test_cpuset_strings(void **state) {
    topology *t = synth("pack:2 [numa] core:8 pu:2", NULL);
    // Explicit lists are taken as given (SMT siblings 0,1 and 2,3 included); the trainer gets
    // the first PU of every core the list does not touch (cores 0, 1, 4 are touched).
    expect_plan(t, &(placement_request){.label_cpuset = "0-3,8"},
                &(expected){"0-3,8", "4,6,10,12,14,16,18,20,22,24,26,28,30", "0", "0-1", 1, "override"});
    expect_plan(t, &(placement_request){.label_cpuset = "0-7", .train_cpuset = "16-23"},
                &(expected){"0-7", "16-23", "0", "1", 1, "override"});
    expect_plan(t, &(placement_request){.train_cpuset = "30", .label_cores = 2},
                &(expected){"0,2", "30", "0", "1", 1, "override"});
    topology_destroy(t);
}

static void test_errors(void **state) {
    topology *t = synth("pack:2 [numa] core:8 pu:2", NULL);
    expect_error(t, &(placement_request){.label_cpuset = "0-3x"}, "label cpuset: bad cpuset '0-3x'");
    expect_error(t, &(placement_request){.train_cpuset = "4-2"}, "train cpuset: bad cpuset");
    expect_error(t, &(placement_request){.label_cpuset = "0-40"}, "PU 32");
    expect_error(t, &(placement_request){.label_cpuset = "0-3", .train_cpuset = "3-5"}, "share PU 3");
    expect_error(t, &(placement_request){.label_cores = 10, .train_cores = 10}, "has 16 cores");
    expect_error(t, &(placement_request){.label_cores = 17}, "has 16 cores");
    expect_error(t, &(placement_request){.label_cores = 16}, "no cores left for the train stage");
    expect_error(t, &(placement_request){.label_cpuset = "0-31"}, "no cores left for the train stage");
    expect_error(t, &(placement_request){.label_cpuset = "0-5", .label_cores = 2}, "not both");
    expect_error(t, &(placement_request){.train_cpuset = "0-5", .label_cores = 14}, "13 are free");
    expect_error(t, &(placement_request){.label_cost = 1, .train_cost = 0}, "costs must both be positive");
    expect_error(t, &(placement_request){.label_cores = -1}, "must be positive");
    topology_destroy(t);
}

static void test_print(void **state) {
    topology *t = synth("numa:4 core:4 pu:2", NULL);
    placement p;
    assert_int_equal(placement_plan(t, &(placement_request){.label_cost = 1, .train_cost = 3}, &p), 0);
    char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    placement_print(f, &p);
    fclose(f);
    assert_non_null(strstr(buf, "label: 4 threads on 4 cores, PUs 0,2,4,6, memory on node 0 (main 0)"));
    assert_non_null(strstr(buf, "ring slots on node 1"));
    placement_free(&p);
    topology_destroy(t);
}

W2S_TEST_MAIN(NULL, NULL, test_one_node_two_cores, test_one_node_proportional, test_tie_favours_trainer,
              test_single_core_is_sequential, test_two_packages, test_four_nodes_smt, test_unequal_nodes,
              test_sequential, test_core_counts, test_cpuset_strings, test_errors, test_print)
