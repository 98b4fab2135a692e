// dataset_write.c — labeled JSONL output (docs/FORMATS.md): input fields + soft/hard labels.
// Each line is re-parsed from the kept raw text, so fields w2s does not know survive; the
// file appears whole or not at all (base/fileio.h atomic write).
#include "dataset.h"

#include "error.h"
#include "fileio.h"
#include "prof.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Writes one line for example i. Returns 0 or -1.
static int write_one(FILE *f, const dataset *ds, size_t i, const float *soft, int32_t hard) {
    size_t K = ds->n_classes;
    if (hard < 0 || (size_t)hard >= K)
        return W2S_FAIL("hard label %d for line %zu is out of range for %zu classes", (int)hard,
                        ds->line[i], K);
    for (size_t k = 0; k < K; k++)
        if (!isfinite(soft[k]))
            return W2S_FAIL("soft label %zu for line %zu is not finite", k, ds->line[i]);
    json_error_t err;
    json_t *obj = json_loads(ds->raw + ds->raw_off[i], JSON_REJECT_DUPLICATES, &err);
    if (!obj) return W2S_FAIL("re-parsing kept line %zu failed: %s", ds->line[i], err.text);
    json_object_del(obj, "soft_label");
    json_object_del(obj, "hard_label");
    // The input's hard_label is ground truth and would be overwritten by the prediction, so
    // it moves to gt_label (the name the reference's labeled datasets use).
    int32_t gt = ds->hard_label[i];
    if (gt >= 0 && !json_object_get(obj, "gt_label") &&
        json_object_set_new(obj, "gt_label", json_integer(gt))) {
        json_decref(obj);
        return W2S_FAIL("out of memory");
    }
    char *head = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n_fields = json_object_size(obj);
    json_decref(obj);
    if (!head) return W2S_FAIL("out of memory serializing line %zu", ds->line[i]);
    size_t hl = strlen(head);
    head[hl - 1] = 0;  // drop the closing brace; the label fields follow
    int ok = fprintf(f, "%s%s\"soft_label\":[", head, n_fields ? "," : "") >= 0;
    free(head);
    for (size_t k = 0; k < K && ok; k++)
        ok = fprintf(f, k ? ",%.9g" : "%.9g", (double)soft[k]) >= 0;
    if (ok) ok = fprintf(f, "],\"hard_label\":%d}\n", (int)hard) >= 0;
    if (!ok) return W2S_FAIL("writing the labels of line %zu failed: %s", ds->line[i], strerror(errno));
    return 0;
}

static int write_labels(const char *path, const dataset *ds, const size_t *idx, size_t n,
                        const float *soft, const int32_t *hard) {
    if (!ds->raw)
        return W2S_FAIL("writing %s: the dataset was loaded without keep_raw, so its original "
                        "fields are gone",
                        path);
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, path)) return -1;
    for (size_t j = 0; j < n; j++) {
        if (idx[j] >= ds->n) {
            w2s_atomic_abort(&af);
            return W2S_FAIL("writing %s: example index %zu out of range (%zu examples)", path,
                            idx[j], ds->n);
        }
        if (write_one(af.f, ds, idx[j], soft + j * ds->n_classes, hard[j])) {
            w2s_atomic_abort(&af);
            return w2s_error_wrap("writing %s", path);
        }
    }
    if (w2s_atomic_commit(&af)) return w2s_error_wrap("writing %s", path);
    return 0;
}

int dataset_write_labels(const char *path, const dataset *ds, const size_t *idx, size_t n,
                         const float *soft, const int32_t *hard) {
    double t = prof_begin();
    int rc = write_labels(path, ds, idx, n, soft, hard);
    prof_end(PROF_FILE_IO, t);
    return rc;
}
