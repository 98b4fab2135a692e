// test_transfer_plan.c — the plan `w2s run`, the demo and `w2s bench pipeline` use
// (transfer_plan): a cost split when it idles no core, the interleaved plan when a split would
// (a cheap labeler holding a whole core), the request's own plan when it names cores or asks
// for the sequential schedule; on synthetic machines, against gains worked out by hand.
#include "error.h"
#include "placement.h"
#include "protocol_pipeline.h"
#include "topology.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "test_main.h"

// Gains are ratios of sums of a few doubles; anything past rounding noise is a bug.
#define GAIN_TOL 1e-12

// Per-example costs of gpt2 (124M) labeling and gpt2-medium (355M) training: 2·P vs 6·P.
static const double weak_params = 124e6, strong_params = 355e6;

static void gain_is(double got, double want) {
    if (fabs(got - want) > GAIN_TOL) fail_msg("gain %.17g, want %.17g", got, want);
}

static topology *synth(const char *desc) {
    topology *t = topology_load_synthetic(desc);
    if (!t) fail_msg("loading '%s': %s", desc, w2s_error_message());
    return t;
}

static void pus_are(const placement_stage *s, const char *want) {
    char got[256];
    topology_format_pus(got, sizeof got, s->pus, s->n_threads);
    if (strcmp(got, want)) fail_msg("PUs %s, want %s", got, want);
}

static placement_request gpt2_medium(void) {
    return (placement_request){.label_cost = placement_cost_label(weak_params, 1),
                               .train_cost = placement_cost_train(strong_params, 1)};
}

// 2 cores, gpt2 -> gpt2-medium: a 1 + 1 split gives (L + T)/2 / T = 0.558 < 0.95, so both
// stages get both cores and take turns.
static void test_two_cores_interleave(void **state) {
    (void)state;
    topology *t = synth("pack:1 [numa] core:2 pu:1");
    placement_request r = gpt2_medium();
    placement p;
    double gain = -1;
    assert_int_equal(transfer_plan(t, &r, &p, &gain), 0);
    double L = r.label_cost, T = r.train_cost;
    gain_is(gain, (L + T) / 2 / T);
    assert_true(p.interleaved);
    assert_false(p.sequential);
    pus_are(&p.stage[PLACEMENT_LABEL], "0-1");
    pus_are(&p.stage[PLACEMENT_TRAIN], "0-1");
    assert_non_null(strstr(p.rule, "interleaved"));
    gain_is(transfer_plan_gain(&p, &r), 0); // nothing to gain from a split that is not there
    placement_free(&p);
    topology_destroy(t);
}

// 8 cores, train 3x the label cost per example: 2 + 6 cores balance exactly (gain 1): split.
static void test_balanced_split_kept(void **state) {
    (void)state;
    topology *t = synth("pack:1 [numa] core:8 pu:1");
    placement_request r = {.label_cost = 1, .train_cost = 3};
    placement p;
    double gain = -1;
    assert_int_equal(transfer_plan(t, &r, &p, &gain), 0);
    gain_is(gain, 1.0);
    assert_false(p.interleaved);
    assert_false(p.sequential);
    pus_are(&p.stage[PLACEMENT_LABEL], "0-1");
    pus_are(&p.stage[PLACEMENT_TRAIN], "2-7");
    placement_free(&p);
    topology_destroy(t);
}

// Two packages of 8 cores: whole nodes (8 + 8) give (L + T)/16 / (T/8) = 0.558: interleaved on all 16.
static void test_two_packages_interleave(void **state) {
    (void)state;
    topology *t = synth("pack:2 [numa] core:8 pu:1");
    placement_request r = gpt2_medium();
    placement p;
    double gain = -1;
    assert_int_equal(transfer_plan(t, &r, &p, &gain), 0);
    gain_is(gain, (r.label_cost + r.train_cost) / 2 / r.train_cost);
    assert_true(p.interleaved);
    pus_are(&p.stage[PLACEMENT_LABEL], "0-15");
    pus_are(&p.stage[PLACEMENT_TRAIN], "0-15");
    placement_free(&p);
    topology_destroy(t);
}

// Cores named by the user: their split, however unbalanced; sequential asked: sequential.
static void test_requests_win(void **state) {
    (void)state;
    topology *t = synth("pack:1 [numa] core:2 pu:1");
    placement_request r = gpt2_medium();
    r.label_cores = 1;
    placement p;
    assert_int_equal(transfer_plan(t, &r, &p, NULL), 0);
    assert_false(p.interleaved);
    pus_are(&p.stage[PLACEMENT_LABEL], "0");
    pus_are(&p.stage[PLACEMENT_TRAIN], "1");
    placement_free(&p);
    r = gpt2_medium();
    r.sequential = true;
    assert_int_equal(transfer_plan(t, &r, &p, NULL), 0);
    assert_true(p.sequential);
    assert_false(p.interleaved);
    placement_free(&p);
    topology_destroy(t);
}

// One core: no split exists (placement_plan alone says sequential); the stages take turns on it.
static void test_one_core_interleaves(void **state) {
    (void)state;
    topology *t = synth("pack:1 [numa] core:1 pu:2");
    placement_request r = gpt2_medium();
    placement p;
    assert_int_equal(placement_plan(t, &r, &p), 0);
    assert_true(p.sequential);
    placement_free(&p);
    assert_int_equal(transfer_plan(t, &r, &p, NULL), 0);
    assert_true(p.interleaved);
    assert_false(p.sequential);
    pus_are(&p.stage[PLACEMENT_TRAIN], "0"); // one PU per core: SMT siblings add no FLOPs
    placement_free(&p);
    topology_destroy(t);
}

// An interleaved plan takes no cores; printing it names the rule and no imbalance.
static void test_interleaved_errors_and_print(void **state) {
    (void)state;
    topology *t = synth("pack:1 [numa] core:4 pu:1");
    placement_request r = {.interleaved = true, .train_cores = 2};
    placement p;
    assert_int_equal(placement_plan(t, &r, &p), -1);
    assert_non_null(strstr(w2s_error_message(), "interleaved plan gives both stages every core"));
    r = (placement_request){.interleaved = true};
    assert_int_equal(placement_plan(t, &r, &p), 0);
    char buf[1024] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    placement_print(f, &p);
    fclose(f);
    assert_non_null(strstr(buf, "placement: interleaved (every core, stages taking turns)\n"));
    assert_null(strstr(buf, "imbalance"));
    placement_free(&p);
    topology_destroy(t);
}

W2S_TEST_MAIN(NULL, NULL, test_two_cores_interleave, test_balanced_split_kept, test_two_packages_interleave,
              test_requests_win, test_one_core_interleaves, test_interleaved_errors_and_print)
