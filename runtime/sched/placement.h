// placement.h — which PUs and NUMA nodes the labeler and the trainer get (pure logic).
// Input: a topology, the two stages' costs per example, optional overrides. Output: per stage
// the PUs its threads bind to (one thread per PU), the NUMA nodes for its memory, and the node
// for the ring's slots. Nothing here binds or allocates machine resources (see bind.h).
//
// The rule (auto mode):
//   - One PU per core (the first PU of the core): two compute threads on SMT siblings share
//     one core's FMA units, so they add contention, not FLOPs. `use_smt` lifts this.
//   - >= 2 NUMA nodes with CPUs: each stage gets whole nodes. The nodes, in logical order, are
//     cut once into a prefix and a suffix; the labeler takes the prefix or the suffix,
//     whichever cut and side minimise max(label_cost / label_cores, train_cost / train_cores)
//     (so unequal nodes are weighed by their core counts). Ties: the labeler takes the prefix,
//     then the cut with more cores for the trainer.
//   - 1 node: cores are split in proportion to cost: label_cores = n in [1, N-1] minimising
//     max(label_cost / n, train_cost / (N - n)); ties give the trainer more. The labeler takes
//     the first n cores, the trainer the last N - n (1 core each on a 2-core machine).
//   - Fewer than 2 cores: the sequential plan (a pipeline would only time-slice one core).
// Interleaved plan (`interleaved`): both stages get every core and take turns on them, the
// labeler making each optimizer step's labels just before the step needs them. For machines
// where a core split would idle cores (a cheap labeler still holds a whole core): labels
// still go to the trainer in memory, and its first step comes after one label batch.
// Overrides: label_cores / train_cores (counts; the unspecified one gets the rest; the labeler
// fills cores from the front, the trainer from the back) or explicit PU lists in hwloc list
// syntax ("0-3,8", one thread per listed PU, SMT siblings included if listed); a stage without
// a list gets one PU per core not touched by the other's list. Memory: a stage's nodes are
// those holding its PUs; its main node holds most of them (ties: the lowest). The ring's
// slots live on the trainer's (the consumer's) main node: the trainer reads each token many
// times (forward and backward), the labeler writes it once.
// Sequential plan: both stages get every core (one after the other), memory on all nodes.
#ifndef W2S_RUNTIME_PLACEMENT_H
#define W2S_RUNTIME_PLACEMENT_H

#include "topology.h"

#include <stdbool.h>
#include <stdio.h>

enum { PLACEMENT_LABEL = 0, PLACEMENT_TRAIN = 1, PLACEMENT_STAGES = 2 };

// Per-example FLOP estimates; only their ratio matters to the plan.
// Weak int8 forward: about 2 FLOPs per parameter per token.
static inline double placement_cost_label(double weak_params, double tokens) { return 2.0 * weak_params * tokens; }
// Student training step: forward + backward (input and weight gradients), 6 per parameter per token.
static inline double placement_cost_train(double strong_params, double tokens) {
    return 6.0 * strong_params * tokens;
}

typedef struct placement_request {
    double label_cost, train_cost; // FLOPs per example for each stage; both <= 0 means equal costs
    int label_cores, train_cores;  // core counts, 0 = automatic
    const char *label_cpuset;      // explicit PU list ("0-3,8"), NULL = automatic
    const char *train_cpuset;
    bool sequential;               // plan the sequential schedule instead of the pipeline
    bool interleaved;              // plan the interleaved schedule (overrides are then errors)
    bool use_smt;                  // one thread per PU instead of one per core
} placement_request;

typedef struct placement_stage {
    int n_threads;       // = number of PUs: thread i binds to pus[i]
    unsigned *pus;       // (n_threads) PU OS indices, ascending
    int n_cores;         // distinct cores among the PUs
    int n_nodes;
    unsigned *nodes;     // (n_nodes) OS indices of the NUMA nodes holding its PUs, ascending
    unsigned main_node;  // OS index of the node holding most of its PUs: where its memory goes
} placement_stage;

typedef struct placement {
    placement_stage stage[PLACEMENT_STAGES]; // [PLACEMENT_LABEL], [PLACEMENT_TRAIN]
    bool sequential;
    bool interleaved;     // both stages on every core, taking turns
    unsigned ring_node;   // OS index of the NUMA node for the ring's slots (trainer's main node)
    double imbalance;     // max/min of cost/threads over the two stages (1 = balanced); 0 if
                          // sequential or interleaved
    char rule[96];        // which rule decided: "whole NUMA nodes", "cores by cost", "override", ...
} placement;

// Plans the placement of the two stages on `t`. Returns 0, or -1 with a message for bad
// cpuset strings, unknown PUs, overlapping lists, more cores than exist, or a stage left
// without cores. On success free with placement_free.
int placement_plan(const topology *t, const placement_request *req, placement *out);
void placement_free(placement *p);

// `w2s info` section: the rule and, per stage, threads, PUs, nodes.
void placement_print(FILE *f, const placement *p);

#endif
