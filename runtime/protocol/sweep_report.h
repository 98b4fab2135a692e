// sweep_report.h — the files of `w2s sweep` (the reference's sweep.py): OUT/sweep.json with
// every weak ≤ strong pair's results_summary, and OUT/sweep.html plotting test accuracy
// against the strong model's size (one line per weak model and loss, plus the ceiling), as
// inline SVG that opens offline. Written atomically. Not the runs themselves (`w2s run`).
#ifndef W2S_RUNTIME_SWEEP_REPORT_H
#define W2S_RUNTIME_SWEEP_REPORT_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    const char *name;   // shown in the report (the directory's last component)
    const char *dir;
    double params;      // parameters, from config.json
} sweep_model;

typedef struct {
    size_t weak, strong;   // indices into the models, weak <= strong
    json_t *summary;       // the pair's results_summary.json (owned by the caller)
} sweep_pair;

// models sorted by size; pairs in run order. Returns 0 or -1 with a message.
int sweep_write(const char *out_dir, const sweep_model *models, size_t n_models, const sweep_pair *pairs,
                size_t n_pairs);

#endif
