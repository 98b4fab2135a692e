// placement.c — the placement rule of placement.h, on the plain topology view.
// Every path ends in plan_finish(), which turns each stage's chosen PUs into sorted PU,
// core and node lists; the choosing code only decides which cores or PUs a stage gets.
#include "placement.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

// Two stage times closer than this (relative) are a tie, so ties are broken by the documented
// preferences and not by floating-point noise in cost / cores.
#define PLACEMENT_TIE_REL 1e-9

static bool time_less(double a, double b) { return a < b * (1.0 - PLACEMENT_TIE_REL); }

// A stage under construction: a PU mask indexed like topology.pus (position, not OS index).
typedef struct {
    bool *pu_on; // (t->n_pus)
} stage_draft;

static void draft_add_core(const topology *t, stage_draft *d, int core, bool smt) {
    const topology_core *c = &t->cores[core];
    int n = smt ? c->n_pus : 1;
    for (int j = 0; j < n; j++) d->pu_on[c->pu_first + j] = true;
}

static int cmp_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

// Fills the stage's PU, core and node lists from its draft mask.
static int stage_finish(const topology *t, const stage_draft *d, placement_stage *s) {
    int n = 0;
    for (int i = 0; i < t->n_pus; i++) n += d->pu_on[i];
    s->pus = calloc((size_t)(n > 0 ? n : 1), sizeof *s->pus);
    s->nodes = calloc((size_t)t->n_nodes, sizeof *s->nodes);
    int *per_node = calloc((size_t)t->n_nodes, sizeof *per_node);
    if (!s->pus || !s->nodes || !per_node) {
        free(per_node);
        return W2S_FAIL("out of memory planning placement (%d PUs)", t->n_pus);
    }
    s->n_threads = 0;
    s->n_cores = 0;
    for (int c = 0; c < t->n_cores; c++) {
        const topology_core *core = &t->cores[c];
        bool used = false;
        for (int j = 0; j < core->n_pus; j++) {
            if (!d->pu_on[core->pu_first + j]) continue;
            s->pus[s->n_threads++] = t->pus[core->pu_first + j];
            per_node[core->node]++;
            used = true;
        }
        s->n_cores += used;
    }
    qsort(s->pus, (size_t)s->n_threads, sizeof *s->pus, cmp_unsigned);
    int best = -1;
    s->n_nodes = 0;
    for (int i = 0; i < t->n_nodes; i++) {
        if (!per_node[i]) continue;
        s->nodes[s->n_nodes++] = t->nodes[i].os_index;
        if (best < 0 || per_node[i] > per_node[best]) best = i;
    }
    qsort(s->nodes, (size_t)s->n_nodes, sizeof *s->nodes, cmp_unsigned);
    s->main_node = best >= 0 ? t->nodes[best].os_index : t->nodes[0].os_index;
    free(per_node);
    return 0;
}

void placement_free(placement *p) {
    if (!p) return;
    for (int s = 0; s < PLACEMENT_STAGES; s++) {
        free(p->stage[s].pus);
        free(p->stage[s].nodes);
    }
    memset(p, 0, sizeof *p);
}

// ---- automatic choices

// Whole NUMA nodes: one cut of the CPU-bearing nodes into prefix | suffix; see placement.h.
static void choose_nodes(const topology *t, double a, double b, const int *cpu_nodes, int m, bool smt,
                         stage_draft *label, stage_draft *train) {
    int best_cut = 1, best_side = 0, best_train = -1;
    double best_time = 0;
    int prefix = 0;
    for (int k = 1; k < m; k++) {
        prefix += t->nodes[cpu_nodes[k - 1]].n_cores;
        int suffix = t->n_cores - prefix;
        for (int side = 0; side < 2; side++) { // side 0: labeler takes the prefix
            int lc = side == 0 ? prefix : suffix, tc = t->n_cores - lc;
            double time = a / lc > b / tc ? a / lc : b / tc;
            bool better = best_train < 0 || time_less(time, best_time) ||
                          (!time_less(best_time, time) && (side < best_side || (side == best_side && tc > best_train)));
            if (better) {
                best_cut = k;
                best_side = side;
                best_train = tc;
                best_time = time;
            }
        }
    }
    for (int k = 0; k < m; k++) {
        bool in_prefix = k < best_cut;
        stage_draft *d = (in_prefix == (best_side == 0)) ? label : train;
        const topology_node *nd = &t->nodes[cpu_nodes[k]];
        for (int i = 0; i < nd->n_cores; i++) draft_add_core(t, d, nd->cores[i], smt);
    }
}

// Cores by cost on one node: label_cores n minimising max(a/n, b/(N-n)); ties favour the trainer.
static int choose_core_count(int n_cores, double a, double b) {
    int best = 1;
    double best_time = 0;
    for (int n = 1; n < n_cores; n++) { // ascending, so a tie keeps the larger trainer share
        double time = a / n > b / (n_cores - n) ? a / n : b / (n_cores - n);
        if (n == 1 || time_less(time, best_time)) {
            best = n;
            best_time = time;
        }
    }
    return best;
}

// ---- overrides

static int stage_from_list(const topology *t, const char *list, const char *what, stage_draft *d) {
    hwloc_bitmap_t set = topology_parse_cpulist(t, list);
    if (!set) return w2s_error_wrap("%s cpuset", what);
    for (int i = 0; i < t->n_pus; i++) d->pu_on[i] = hwloc_bitmap_isset(set, t->pus[i]);
    hwloc_bitmap_free(set);
    return 0;
}

static bool core_touched(const topology *t, const stage_draft *d, int core) {
    const topology_core *c = &t->cores[core];
    for (int j = 0; j < c->n_pus; j++)
        if (d->pu_on[c->pu_first + j]) return true;
    return false;
}

// Gives `d` `want` cores (0 = all free ones) not touched by `other`, from the front or the back.
static int stage_fill(const topology *t, stage_draft *d, const stage_draft *other, int want, bool from_back,
                      bool smt, const char *what) {
    int free_cores = 0;
    for (int c = 0; c < t->n_cores; c++) free_cores += !core_touched(t, other, c);
    if (free_cores == 0)
        return W2S_FAIL("no cores left for the %s stage: the other stage holds all %d cores of %s", what, t->n_cores,
                        t->source);
    if (want == 0) want = free_cores;
    if (want > free_cores)
        return W2S_FAIL("%s stage: %d cores requested but %d are free (%s has %d cores; the other stage holds %d)",
                        what, want, free_cores, t->source, t->n_cores, t->n_cores - free_cores);
    for (int i = 0, got = 0; i < t->n_cores && got < want; i++) {
        int c = from_back ? t->n_cores - 1 - i : i;
        if (core_touched(t, other, c)) continue;
        draft_add_core(t, d, c, smt);
        got++;
    }
    return 0;
}

// ---- the plan

static int plan_overrides(const topology *t, const placement_request *r, stage_draft *label, stage_draft *train) {
    if (r->label_cpuset && r->label_cores)
        return W2S_FAIL("give either label_cores (%d) or a label cpuset ('%s'), not both", r->label_cores,
                        r->label_cpuset);
    if (r->train_cpuset && r->train_cores)
        return W2S_FAIL("give either train_cores (%d) or a train cpuset ('%s'), not both", r->train_cores,
                        r->train_cpuset);
    if (r->label_cores < 0 || r->train_cores < 0)
        return W2S_FAIL("core counts must be positive (label %d, train %d)", r->label_cores, r->train_cores);
    int asked = r->label_cores + r->train_cores;
    if (asked > t->n_cores)
        return W2S_FAIL("%d label + %d train cores requested but %s has %d cores", r->label_cores, r->train_cores,
                        t->source, t->n_cores);
    if (r->label_cpuset && stage_from_list(t, r->label_cpuset, "label", label) < 0) return -1;
    if (r->train_cpuset && stage_from_list(t, r->train_cpuset, "train", train) < 0) return -1;
    if (r->label_cpuset && r->train_cpuset) {
        for (int i = 0; i < t->n_pus; i++)
            if (label->pu_on[i] && train->pu_on[i])
                return W2S_FAIL("label cpuset '%s' and train cpuset '%s' share PU %u: the stages run at the same "
                                "time, so each needs its own PUs",
                                r->label_cpuset, r->train_cpuset, t->pus[i]);
        return 0;
    }
    if (r->label_cpuset) return stage_fill(t, train, label, r->train_cores, true, r->use_smt, "train");
    if (r->train_cpuset) return stage_fill(t, label, train, r->label_cores, false, r->use_smt, "label");
    // Counts only. The labeler fills from the front; when the trainer's count is open, it takes
    // every core left, so fill the labeler first in that case and the trainer first otherwise.
    if (r->train_cores) {
        if (stage_fill(t, train, label, r->train_cores, true, r->use_smt, "train") < 0) return -1;
        return stage_fill(t, label, train, r->label_cores, false, r->use_smt, "label");
    }
    if (stage_fill(t, label, train, r->label_cores, false, r->use_smt, "label") < 0) return -1;
    return stage_fill(t, train, label, 0, true, r->use_smt, "train");
}

int placement_plan(const topology *t, const placement_request *req, placement *out) {
    memset(out, 0, sizeof *out);
    placement_request r = req ? *req : (placement_request){0};
    double a = r.label_cost, b = r.train_cost;
    if (a <= 0 && b <= 0) a = b = 1.0;
    if (a <= 0 || b <= 0)
        return W2S_FAIL("stage costs must both be positive (label %g, train %g FLOPs per example) or both 0", a, b);
    bool overrides = r.label_cores || r.train_cores || r.label_cpuset || r.train_cpuset;

    stage_draft label = {calloc((size_t)t->n_pus, sizeof(bool))};
    stage_draft train = {calloc((size_t)t->n_pus, sizeof(bool))};
    int *cpu_nodes = calloc((size_t)t->n_nodes, sizeof *cpu_nodes);
    int rc = 0;
    if (!label.pu_on || !train.pu_on || !cpu_nodes) {
        rc = W2S_FAIL("out of memory planning placement (%d PUs)", t->n_pus);
        goto done;
    }
    int m = 0;
    for (int i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].n_cores > 0) cpu_nodes[m++] = i;

    if (r.interleaved && (overrides || r.sequential)) {
        rc = W2S_FAIL("an interleaved plan gives both stages every core: it takes no core counts, cpusets or "
                      "sequential flag");
        goto done;
    }
    if (r.interleaved || r.sequential || (!overrides && t->n_cores < 2)) {
        out->sequential = !r.interleaved;
        out->interleaved = r.interleaved;
        snprintf(out->rule, sizeof out->rule, "%s",
                 r.interleaved  ? "interleaved (every core, stages taking turns)"
                 : r.sequential ? "sequential"
                                : "sequential (only 1 core)");
        for (int c = 0; c < t->n_cores; c++) {
            draft_add_core(t, &label, c, r.use_smt);
            draft_add_core(t, &train, c, r.use_smt);
        }
    } else if (overrides) {
        snprintf(out->rule, sizeof out->rule, "override");
        rc = plan_overrides(t, &r, &label, &train);
    } else if (m >= 2) {
        snprintf(out->rule, sizeof out->rule, "whole NUMA nodes by cost");
        choose_nodes(t, a, b, cpu_nodes, m, r.use_smt, &label, &train);
    } else {
        snprintf(out->rule, sizeof out->rule, "cores by cost");
        int n = choose_core_count(t->n_cores, a, b);
        for (int c = 0; c < t->n_cores; c++) draft_add_core(t, c < n ? &label : &train, c, r.use_smt);
    }
    if (rc == 0) rc = stage_finish(t, &label, &out->stage[PLACEMENT_LABEL]);
    if (rc == 0) rc = stage_finish(t, &train, &out->stage[PLACEMENT_TRAIN]);
    if (rc == 0) {
        out->ring_node = out->stage[PLACEMENT_TRAIN].main_node;
        if (!out->sequential && !out->interleaved) {
            double tl = a / out->stage[PLACEMENT_LABEL].n_cores, tt = b / out->stage[PLACEMENT_TRAIN].n_cores;
            out->imbalance = tl > tt ? tl / tt : tt / tl;
        }
    }
done:
    free(label.pu_on);
    free(train.pu_on);
    free(cpu_nodes);
    if (rc < 0) placement_free(out);
    return rc;
}

// ---- printing

static void print_stage(FILE *f, const char *name, const placement_stage *s) {
    char pus[512], nodes[256];
    topology_format_pus(pus, sizeof pus, s->pus, s->n_threads);
    topology_format_pus(nodes, sizeof nodes, s->nodes, s->n_nodes);
    fprintf(f, "  %-6s %d thread%s on %d core%s, PUs %s, memory on node%s %s (main %u)\n", name, s->n_threads,
            s->n_threads == 1 ? "" : "s", s->n_cores, s->n_cores == 1 ? "" : "s", pus, s->n_nodes == 1 ? "" : "s",
            nodes, s->main_node);
}

void placement_print(FILE *f, const placement *p) {
    fprintf(f, "placement: %s", p->rule);
    if (!p->sequential && !p->interleaved) fprintf(f, ", imbalance %.2f", p->imbalance);
    fprintf(f, "\n");
    print_stage(f, "label:", &p->stage[PLACEMENT_LABEL]);
    print_stage(f, "train:", &p->stage[PLACEMENT_TRAIN]);
    if (p->interleaved) fprintf(f, "  no ring: each batch's labels go straight to the trainer\n");
    else fprintf(f, "  ring slots on node %u\n", p->ring_node);
}
