// protocol_checks.c — the run's sanity checks and warnings (protocol_internal.h): inputs that
// cannot give a meaningful run are errors before any training; suspect inputs and results are
// warnings, printed and kept for results.json, the table and the report.
// Not the protocol's steps (protocol.c) nor their records (protocol_steps.c).
#include "protocol_internal.h"

#include "error.h"
#include "gpt2_checkpoint.h"
#include "metrics.h"
#include "safetensors.h"
#include "trainer.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool protocol_is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

// Cheap early check (header only, no weights read) that a model's safetensors matches its
// config: the token embedding is [V, C] and the last layer exists, the one after it does not.
// Full validation happens at load time; this only makes a mismatched strong model fail
// before the weak model has been trained, not after.
int protocol_check_model_file(const char *path, const gpt2_config *cfg, const char *role) {
    char file[4096], name[128];
    if (protocol_is_dir(path)) snprintf(file, sizeof file, "%s/model.safetensors", path);
    else snprintf(file, sizeof file, "%s", path);
    safetensors_file *f = safetensors_open(file);
    if (!f) return w2s_error_wrap("%s model", role);
    const char *pre = gpt2_checkpoint_body_prefix(f);
    snprintf(name, sizeof name, "%swte.weight", pre);
    const safetensors_tensor *wte = safetensors_find(f, name);
    int rc = 0;
    if (!wte || wte->ndim != 2 || wte->shape[0] != cfg->vocab_size || wte->shape[1] != cfg->n_embd)
        rc = W2S_FAIL("%s model %s: %s is %s, config says [%zu, %zu] (model and config files do not match)", role,
                      file, name, wte ? "another shape" : "missing", cfg->vocab_size, cfg->n_embd);
    snprintf(name, sizeof name, "%sh.%zu.ln_1.weight", pre, cfg->n_layer - 1);
    if (!rc && !safetensors_find(f, name))
        rc = W2S_FAIL("%s model %s: no %s but config says %zu layers (model and config files do not match)", role,
                      file, name, cfg->n_layer);
    snprintf(name, sizeof name, "%sh.%zu.ln_1.weight", pre, cfg->n_layer);
    if (!rc && safetensors_find(f, name))
        rc = W2S_FAIL("%s model %s: has %s but config says %zu layers (model and config files do not match)", role,
                      file, name, cfg->n_layer);
    safetensors_close(f);
    return rc;
}

// A sanity warning: printed now (stderr) and kept for the results files and the table.
void protocol_warn(run_ctx *x, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!x->c->quiet) fprintf(stderr, "warning: %s\n", msg);
    json_array_append_new(x->warnings, json_string(msg));
}

// Without --n-classes, K is inferred from the largest label, so one stray `"hard_label": 2` in
// a binary set would silently make a 3-class run. A class under 1% of the pool, or a label
// value nobody uses below the largest, is taken for a mistake: an error naming its lines.
#define PROTOCOL_RARE_CLASS 0.01
int protocol_check_inferred_classes(run_ctx *x) {
    const dataset *ds = &x->pool;
    size_t *cnt = calloc(x->K, sizeof(size_t));
    if (!cnt) return W2S_FAIL("out of memory");
    dataset_class_counts(ds, NULL, ds->n, cnt);
    int rc = 0, max_label = -1;
    for (size_t k = 0; k < x->K; k++)
        if (cnt[k]) max_label = (int)k;
    for (size_t k = 0; k < x->K && !rc; k++) {
        if (cnt[k] == 0 && (int)k < max_label) {
            rc = W2S_FAIL("%s: no example has hard_label %zu but labels go up to %d, so %zu classes would be "
                          "trained (give --n-classes %zu to mean it, or renumber the labels)", x->c->data_path, k,
                          max_label, x->K, x->K);
        } else if (cnt[k] && (double)cnt[k] < PROTOCOL_RARE_CLASS * (double)ds->n) {
            char lines[160] = "";
            size_t len = 0, shown = 0;
            for (size_t i = 0; i < ds->n && shown < 5; i++)
                if (ds->hard_label[i] == (int32_t)k) {
                    len += (size_t)snprintf(lines + len, sizeof lines - len, "%s%zu", shown ? ", " : "", ds->line[i]);
                    shown++;
                }
            rc = W2S_FAIL("%s: hard_label %zu on %zu of %zu examples (under 1%%: line%s %s%s), so %zu classes "
                          "would be trained; a stray label? Fix the line%s, or give --n-classes %zu to mean it",
                          x->c->data_path, k, cnt[k], ds->n, cnt[k] == 1 ? "" : "s", lines,
                          cnt[k] > shown ? ", ..." : "", x->K, cnt[k] == 1 ? "" : "s", x->K);
        }
    }
    if (!rc && x->c->print_table) {
        printf("data: %zu examples in %zu classes, inferred from the labels (", ds->n, x->K);
        for (size_t k = 0; k < x->K; k++) printf("%s%zu: %zu", k ? ", " : "", k, cnt[k]);
        printf("); --n-classes K sets the count\n");
    }
    free(cnt);
    return rc;
}

static uint64_t tokens_hash(const dataset *ds, size_t i) {
    size_t n;
    const int32_t *t = dataset_tokens(ds, i, &n);
    uint64_t h = PROTOCOL_HASH_INIT;
    for (size_t k = 0; k < n; k++) {
        h ^= (uint64_t)(uint32_t)t[k];
        h *= 0x100000001b3ULL;
    }
    return h ^ n;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// Examples whose tokens also occur in the training pool: with a test file, its examples found
// in the pool; without, pool examples with a twin (a split can put one on each side).
static size_t overlap_count(const run_ctx *x) {
    const dataset *p = &x->pool;
    uint64_t *h = malloc((p->n ? p->n : 1) * sizeof *h);
    if (!h) return 0;
    for (size_t i = 0; i < p->n; i++) h[i] = tokens_hash(p, i);
    qsort(h, p->n, sizeof *h, cmp_u64);
    size_t n = 0;
    if (x->separate_test) {
        for (size_t i = 0; i < x->test_file.n; i++) {
            uint64_t t = tokens_hash(&x->test_file, i);
            n += bsearch(&t, h, p->n, sizeof *h, cmp_u64) != NULL;
        }
    } else {
        for (size_t i = 0; i < p->n; i++) n += (i > 0 && h[i] == h[i - 1]) || (i + 1 < p->n && h[i] == h[i + 1]);
    }
    free(h);
    return n;
}

// Before training: what makes a run's numbers meaningless or suspect.
void protocol_warn_inputs(run_ctx *x) {
    const protocol_config *c = x->c;
    double pw = (double)gpt2_num_params(&x->cw, GPT2_LM_NONE, 0), ps = (double)gpt2_num_params(&x->cs, GPT2_LM_NONE, 0);
    if (x->weak_model_hash == x->strong_model_hash)
        protocol_warn(x, "weak and strong are the same model (%s): the ceiling and the students start where the weak model "
             "did, so PGR says nothing about weak-to-strong generalization", c->strong_dir);
    else if (pw > ps)
        protocol_warn(x, "the weak model (%s, %.3gM parameters) is larger than the strong one (%s, %.3gM)", c->weak_dir,
             pw / 1e6, c->strong_dir, ps / 1e6);
    size_t ov = overlap_count(x);
    if (ov && x->separate_test)
        protocol_warn(x, "%zu of %zu examples of %s also occur in %s (same tokens): the test set overlaps the training data",
             ov, x->test_file.n, c->test_path, c->data_path);
    else if (ov)
        protocol_warn(x, "%zu of %zu examples of %s have a twin with the same tokens: a split can put one in training and "
             "the other in test", ov, x->pool.n, c->data_path);
    size_t longer = x->pool.stats.n_too_long + x->test_file.stats.n_too_long;
    size_t cut = x->pool.stats.n_truncated + x->test_file.stats.n_truncated;
    if (longer)
        protocol_warn(x, "%zu examples are longer than max_ctx %zu tokens and were dropped (--truncate keeps their start; "
             "--max-ctx up to the models' n_positions)", longer, x->max_ctx);
    if (cut) protocol_warn(x, "%zu examples were cut to max_ctx %zu tokens (--truncate)", cut, x->max_ctx);
}

// After a training: a model that answers one class, or does no better than the majority
// class of test, is reported with the learning rate to try instead.
void protocol_warn_model(run_ctx *x, uint64_t seed, const char *name, const results_model *m, double majority,
                       float lr, const char *lr_opt, const gpt2_config *cfg) {
    char hint[160];
    float rule = trainer_default_lr(cfg);
    if (lr != rule) snprintf(hint, sizeof hint, "try %s %g, the rule of thumb for its size", lr_opt, (double)rule);
    else snprintf(hint, sizeof hint, "try %s %g or %g", lr_opt, (double)lr / 3, (double)lr * 3);
    if (m->one_class >= 0)
        protocol_warn(x, "seed %" PRIu64 " %s predicts class %d for every test example (accuracy %.4f): a constant "
             "predictor (learning rate %g; %s)", seed, name, m->one_class, m->accuracy, (double)lr, hint);
    else if (m->accuracy <= majority)
        protocol_warn(x, "seed %" PRIu64 " %s: test accuracy %.4f is no better than always answering the majority class "
             "(%.4f) (learning rate %g; %s)", seed, name, m->accuracy, majority, (double)lr, hint);
}

// The class every row of logits (n, K) argmaxes to, or -1 when they differ.
int protocol_one_class(const float *logits, size_t n, size_t K) {
    size_t first = n ? metrics_argmax(logits, K) : 0;
    for (size_t i = 1; i < n; i++)
        if (metrics_argmax(logits + i * K, K) != first) return -1;
    return n ? (int)first : -1;
}

int protocol_check_classes(const run_ctx *x, const size_t *idx, size_t n, const char *what, uint64_t seed) {
    size_t *cnt = calloc(x->K, sizeof(size_t));
    if (!cnt) return W2S_FAIL("out of memory");
    size_t present = dataset_class_counts(&x->pool, idx, n, cnt);
    int rc = 0;
    if (present < 2) {
        size_t only = 0;
        for (size_t k = 0; k < x->K; k++)
            if (cnt[k]) only = k;
        rc = W2S_FAIL("%s: the %s split of seed %" PRIu64 " (%zu examples) has only one class (hard_label %zu); "
                      "ground-truth training needs at least two", x->c->data_path, what, seed, n, only);
    }
    free(cnt);
    return rc;
}

// After the last seed: a ceiling–weak gap within the test set's standard error makes every PGR
// a ratio of noise; the table and the report flag them (results_run.pgr_noisy).
void protocol_warn_gap(run_ctx *x, results_run *r) {
    double w, c, sd;
    results_stat(r, RESULTS_ROW_WEAK, false, &w, &sd);
    results_stat(r, RESULTS_ROW_CEILING, false, &c, &sd);
    double n = (double)r->n_test, se = sqrt(w * (1 - w) / n + c * (1 - c) / n);
    if (c > w && c - w < se) {
        r->pgr_noisy = true;
        protocol_warn(x, "the ceiling-weak gap %.4f is within the test set's standard error %.4f (%zu test examples): the "
             "PGRs divide by noise (more test examples, or a larger strong model)", c - w, se, r->n_test);
    }
}
