// stages.h — runs the labeler and the trainer at the same time, each on its own bound team,
// connected by a ring on the trainer's NUMA node: the glue of placement, team and pipeline.
// Not the model code: the caller passes the two stage bodies. The one thing to know: the
// error returned is the first failure (the root cause), never the other stage's echo of it.
#ifndef W2S_RUNTIME_STAGES_H
#define W2S_RUNTIME_STAGES_H

#include "pipeline.h"
#include "placement.h"
#include "topology.h"

#include <stdbool.h>

typedef struct stages_config {
    const topology *topo;
    const placement *plan;        // a pipeline plan (not sequential)
    bool bind;                    // bind threads to the plan's PUs (needs topo->this_system)
    size_t slots, max_b, max_t, max_k; // ring geometry, see pipeline_config
    // Producer body, on the label team's root thread: acquire/fill/commit each batch and return
    // 0 when all are written (stages_run then closes the ring), or -1 with the error set.
    int (*label)(pipeline *p, void *arg);
    // Consumer body, on the train team's root thread: acquire_read until it returns 0 (end of
    // stream), then return 0. Returning 0 earlier is an error (the labeler would block).
    int (*train)(pipeline *p, void *arg);
    void *label_arg, *train_arg;
} stages_config;

// Runs both stages to completion. 0, or -1 with "label stage: ..." / "train stage: ..." from
// whichever failed first. `stats` (may be NULL) receives the ring's counters either way.
int stages_run(const stages_config *cfg, pipeline_stats *stats);

#endif
