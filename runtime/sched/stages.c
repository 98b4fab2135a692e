// stages.c — two bound teams and a ring (see stages.h).
// Each stage body runs inside a wrapper that turns its failure into pipeline_fail() with the
// stage's name, so the other stage wakes at once and the ring keeps the root cause.
#include "stages.h"

#include "error.h"
#include "team.h"

#include <stdio.h>

typedef struct {
    const stages_config *cfg;
    pipeline *ring;
    const char *name;
    bool producer;
} stage_run;

static int stage_main(void *arg) {
    stage_run *s = arg;
    if (s->producer) {
        if (s->cfg->label(s->ring, s->cfg->label_arg) < 0) return -1;
        pipeline_close(s->ring);
        return 0;
    }
    if (s->cfg->train(s->ring, s->cfg->train_arg) < 0) return -1;
    if (!pipeline_drained(s->ring)) return W2S_FAIL("returned before the end of the labeled stream");
    return 0;
}

static void stage_failed(void *arg, const char *message) {
    stage_run *s = arg;
    char full[W2S_ERROR_MAX];
    snprintf(full, sizeof full, "%s stage: %s", s->name, message);
    pipeline_fail(s->ring, full);
}

int stages_run(const stages_config *cfg, pipeline_stats *stats) {
    const placement *pl = cfg->plan;
    if (pl->sequential)
        return W2S_FAIL("stages_run needs a pipeline plan, got '%s': run the stages one after the other", pl->rule);
    if (!cfg->label || !cfg->train) return W2S_FAIL("stages_run needs both a label and a train body");
    pipeline *ring = pipeline_create(&(pipeline_config){.slots = cfg->slots, .max_b = cfg->max_b, .max_t = cfg->max_t,
                                                        .max_k = cfg->max_k, .topo = cfg->topo, .node = pl->ring_node});
    if (!ring) return -1;
    stage_run runs[PLACEMENT_STAGES] = {
        [PLACEMENT_LABEL] = {cfg, ring, "label", true},
        [PLACEMENT_TRAIN] = {cfg, ring, "train", false},
    };
    team *teams[PLACEMENT_STAGES] = {0};
    int rc = 0;
    for (int s = PLACEMENT_STAGES - 1; s >= 0; s--) { // the consumer first: it is ready for the first batch
        teams[s] = team_start(&(team_config){.name = runs[s].name, .topo = cfg->topo, .pus = pl->stage[s].pus,
                                             .n_threads = pl->stage[s].n_threads, .bind = cfg->bind,
                                             .fn = stage_main, .on_error = stage_failed, .arg = &runs[s]});
        if (!teams[s]) {
            pipeline_fail(ring, w2s_error_message());
            rc = -1;
            break;
        }
    }
    for (int s = 0; s < PLACEMENT_STAGES; s++)
        if (teams[s] && team_join(teams[s]) < 0) rc = -1;
    if (stats) *stats = pipeline_get_stats(ring);
    const char *root = pipeline_failure(ring);
    if (rc < 0 && root) W2S_FAIL("%s", root);
    pipeline_destroy(ring);
    return rc;
}
