// protocol_pipeline.h — the label→student transfer of `w2s run` (docs/ARCHITECTURE.md), pipelined:
// the weak labeler fills ring slots (token ids, lengths, soft labels, example indices) on the
// label team's cores while the first student trains on the train team's cores, each step
// waiting only for the labels it reads; or, with an interleaved plan (few cores, where a split
// would idle one), both on every core, each step's labels made just before it. Also the
// sequential transfer (label all, then train), so `w2s bench pipeline` and `--no-pipeline`
// run the same two bodies one after the other.
// Not the trainer or the labeler (it drives them) and it writes no files.
// The one thing to know: slots hold the examples in the trainer's own order (positions
// 0, 1, ... of idx, `batch` per slot = one optimizer step), and labels are batch-independent
// (labeler.h), so the student sees bit-identical targets in either schedule.
#ifndef W2S_RUNTIME_PROTOCOL_PIPELINE_H
#define W2S_RUNTIME_PROTOCOL_PIPELINE_H

#include "dataset.h"
#include "labeler.h"
#include "placement.h"
#include "topology.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Waits until targets rows [first, first + count) (modulo n) are in `soft`: the signature of
// trainer_config.targets_ready. NULL in the sequential transfer (everything is there).
typedef int (*transfer_ready_fn)(void *feed, size_t first, size_t count);

// The student's side, on the train team's root thread (or the caller's, sequentially): train
// on targets `soft`, calling ready(feed, first, count) before each step (when ready != NULL).
// Returns 0 or -1 with the error set.
typedef int (*transfer_train_fn)(void *arg, transfer_ready_fn ready, void *feed);

typedef struct transfer_config {
    const labeler_model *lm;   // the weak labeler; used by the label stage only
    const dataset *ds;
    const size_t *idx;         // (n) the examples, in the trainer's order (train2)
    size_t n;
    size_t batch;              // examples per slot: the trainer's batch (clamped to n)
    float *soft;               // (n, K) out: soft labels (softmax of the weak logits)
    int32_t *hard;             // (n) out: the weak model's argmax
    transfer_train_fn train;
    void *train_arg;
    // Pipelined only:
    const topology *topo;
    const placement *plan;     // a pipeline plan (transfer_plan: split or time-shared, not sequential)
    bool bind;                 // bind the teams (topo->this_system)
    size_t slots;              // ring slots; 0 = 3 (the labeler runs up to two steps ahead)
} transfer_config;

typedef struct transfer_stats {
    double wall_s;         // the whole transfer
    double label_busy_s;   // time in the labeler's forwards (and softmax)
    double train_busy_s;   // train callback time minus time waiting for labels
    double train_wait_s;   // time the trainer waited for labels
    double startup_s;      // from the start until the labeler began (team start-up and binding,
                           // or, interleaved, the trainer's set-up before it asks for labels)
    double first_step_s;   // from the labeler's start until the student's first step had its labels
    double first_label_batch_s; // the first label batch alone (cold: page faults, waking threads)
    double overlap_s;      // label_busy + train_busy - wall (> 0: the stages overlapped)
    size_t label_batches;  // slots labeled
    int label_threads, train_threads;
} transfer_stats;

// Both stages at once on cfg->plan's teams, or taking turns on the caller's threads when the
// plan is interleaved. 0, or -1 with "label stage: ..." / "train stage: ..." from the stage
// that failed first (interleaved: the labeler's or the trainer's own error).
int transfer_run_pipelined(const transfer_config *cfg, transfer_stats *st);

// Labels everything with labeler_logits on the caller's threads, then calls train(arg, NULL,
// NULL). The reference schedule.
int transfer_run_sequential(const transfer_config *cfg, transfer_stats *st);

// The placement request for a weak→strong pair: costs 2·P_weak·T vs 6·P_strong·T per example
// (T cancels), cores as given (0 = automatic).
placement_request transfer_placement_request(size_t weak_params, size_t strong_params, int label_cores,
                                             int train_cores);

// The plan's estimated gain: sequential wall over pipelined wall at perfect scaling,
// ((L + T) / (n_label + n_train)) / max(L / n_label, T / n_train) for per-example costs L, T.
// Cores come in whole units, so on a few cores a cheap labeler still holds a whole core that
// the sequential schedule would give to training (2 cores, gpt2 -> gpt2-medium: 0.56).
double transfer_plan_gain(const placement *plan, const placement_request *req);
// Below this gain a core split would idle cores longer than it saves, and `w2s run` time-shares
// every core instead (unless the cores were given). 0.95, not 1: smaller teams scale better
// than the estimate assumes.
#define TRANSFER_MIN_GAIN 0.95

// The plan `w2s run`, the demo and `w2s bench pipeline` use: placement_plan(req); when that
// is a cost split with gain < TRANSFER_MIN_GAIN, or sequential only for lack of cores, and the
// request names no cores and no sequential schedule, the time-shared plan instead. *gain (may
// be NULL) receives the split's estimated gain (0 when none was planned). 0 or -1 with the
// error set; free the plan with placement_free.
int transfer_plan(const topology *t, const placement_request *req, placement *out, double *gain);

#endif
