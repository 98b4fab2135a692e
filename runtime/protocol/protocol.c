// protocol.c — the W2S run: inputs, per-seed steps with reuse and resume, results (protocol.h).
// Step records (step.json, labels.safetensors) are written LAST, after the files they vouch
// for, so a step whose record exists with the right hash is complete.
#include "protocol.h"

#include "error.h"
#include "file_hash.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "hf_config.h"
#include "labeler.h"
#include "metrics.h"
#include "progress.h"
#include "protocol_pipeline.h"
#include "safetensors.h"
#include "tokenizer.h"
#include "trainer.h"
#include "world.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROTOCOL_FORMAT "w2s-protocol-1"  // bump when step outputs change meaning
#define LABELS_META_KEY "w2s_step_key"

void protocol_config_default(protocol_config *c) {
    memset(c, 0, sizeof *c);
    c->losses[0] = LOSS_XENT;
    c->losses[1] = LOSS_LOGCONF;
    c->losses[2] = LOSS_PRODUCT;
    c->n_losses = 3;
    c->n_seeds = 1;
    c->precision = GPT2_BF16;
    c->epochs = 2;
    c->batch = 32;
    c->ckpt_every_s = 600;
    c->weight_decay = -1;
    c->aux_coef = c->aux_warmup = -1;
}

uint64_t protocol_hash(uint64_t h, const char *s) {
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h ^ 0xff;  // a terminator, so ("ab","c") and ("a","bc") differ
}

static uint64_t hashf(uint64_t h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static uint64_t hashf(uint64_t h, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return protocol_hash(h, buf);
}

// ---- inputs

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

// A file's content (file_hash.h, cached by identity), chained onto h; a missing or
// unreadable file hashes as such (loading it fails later with the real message).
static uint64_t hash_file(file_hash_cache *fc, uint64_t h, const char *path) {
    uint64_t content;
    if (file_hash_content(fc, path, &content) != 0) {
        w2s_error_clear();
        return hashf(h, "unreadable %s", path);
    }
    return hashf(h, "%016" PRIx64, content);
}

static uint64_t hash_model(file_hash_cache *fc, const char *path) {
    if (!is_dir(path)) return hash_file(fc, PROTOCOL_HASH_INIT, path);
    char p[4096];
    snprintf(p, sizeof p, "%s/config.json", path);
    uint64_t h = hash_file(fc, PROTOCOL_HASH_INIT, p);
    snprintf(p, sizeof p, "%s/model.safetensors", path);
    return hash_file(fc, h, p);
}

// Cheap early check (header only, no weights read) that a model's safetensors matches its
// config: the token embedding is [V, C] and the last layer exists, the one after it does not.
// Full validation happens at load time; this only makes a mismatched strong model fail
// before the weak model has been trained, not after.
static int check_model_file(const char *path, const gpt2_config *cfg, const char *role) {
    char file[4096], name[128];
    if (is_dir(path)) snprintf(file, sizeof file, "%s/model.safetensors", path);
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

typedef struct {
    const protocol_config *c;
    gpt2_config cw, cs;           // weak and strong shapes (n_classes set to K)
    tokenizer *tok;
    dataset pool, test_file;
    bool separate_test;
    size_t K, n_train, n_test, max_ctx, max_len;
    size_t mb_weak, mb_strong;    // minibatches (the models' max_batch)
    float lr_weak, lr_strong, lr_transfer;  // resolved: per-stage option, --lr, or by model size
    size_t epochs_gt, epochs_transfer;
    float weight_decay;                    // 0 with adam
    const char *label_precision;
    uint64_t data_hash;           // content of the data, test and tokenizer files
    uint64_t base_hash, weak_model_hash, strong_model_hash;
    file_hash_cache hashes;
    json_t *warnings;             // sanity warnings so far (results.json, report.html, stdout)
    const char *tok_dir;          // the tokenizer's directory, or NULL (pre-tokenized data only)
} run_ctx;

// A sanity warning: printed now (stderr) and kept for the results files and the table.
static void warn(run_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(run_ctx *x, const char *fmt, ...) {
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
static int check_inferred_classes(run_ctx *x) {
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
    if (!rc && !x->c->quiet && !x->c->seed_results) {
        printf("data: %zu examples in %zu classes, inferred from the labels (", ds->n, x->K);
        for (size_t k = 0; k < x->K; k++) printf("%s%zu: %zu", k ? ", " : "", k, cnt[k]);
        printf("); --n-classes K sets the count\n");
    }
    free(cnt);
    return rc;
}

static int load_inputs(run_ctx *x) {
    const protocol_config *c = x->c;
    if (gpt2_checkpoint_config(c->weak_dir, &x->cw) != 0) return w2s_error_wrap("weak model %s", c->weak_dir);
    if (gpt2_checkpoint_config(c->strong_dir, &x->cs) != 0) return w2s_error_wrap("strong model %s", c->strong_dir);
    if (x->cw.vocab_size != x->cs.vocab_size)
        return W2S_FAIL("weak model %s has vocab_size %zu but strong model %s has %zu (weak and strong "
                        "models must share one tokenizer)", c->weak_dir, x->cw.vocab_size, c->strong_dir, x->cs.vocab_size);
    if (check_model_file(c->weak_dir, &x->cw, "weak") || check_model_file(c->strong_dir, &x->cs, "strong")) return -1;
    size_t P = x->cw.n_positions < x->cs.n_positions ? x->cw.n_positions : x->cs.n_positions;
    x->max_ctx = c->max_ctx ? c->max_ctx : (P < 1024 ? P : 1024);
    if (x->max_ctx > P)
        return W2S_FAIL("--max-ctx %zu exceeds the models' n_positions %zu", x->max_ctx, P);
    if (c->tokenizer_dir && !tokenizer_dir_present(c->tokenizer_dir))
        return W2S_FAIL("--tokenizer %s: not a directory holding vocab.json + merges.txt (or encoder.json + vocab.bpe)",
                        c->tokenizer_dir);
    const char *tdir = c->tokenizer_dir ? c->tokenizer_dir
                       : is_dir(c->strong_dir) && tokenizer_dir_present(c->strong_dir) ? c->strong_dir
                       : is_dir(c->weak_dir) && tokenizer_dir_present(c->weak_dir) ? c->weak_dir : NULL;
    x->tok_dir = tdir;
    if (tdir) {
        if (!(x->tok = tokenizer_load_dir(tdir))) return w2s_error_wrap("tokenizer of %s", tdir);
        if (tokenizer_vocab_size(x->tok) > x->cs.vocab_size)
            return W2S_FAIL("the tokenizer in %s has %zu tokens but the models' vocab_size is %zu (tokenizer and "
                            "model files do not match)", tdir, tokenizer_vocab_size(x->tok), x->cs.vocab_size);
    }
    dataset_options o = {.require_labels = 1, .keep_raw = 1, .max_ctx = x->max_ctx, .truncate = c->truncate,
                         .n_classes = c->n_classes,
                         .vocab_size = (int64_t)x->cs.vocab_size, .tokenize = x->tok ? tokenizer_encode_cb : NULL,
                         .tokenize_ctx = x->tok};
    if (dataset_load(&x->pool, c->data_path, &o) != 0) return -1;
    if (x->pool.n == 0) return W2S_FAIL("%s: no usable examples (%zu lines, %zu longer than %zu tokens)", c->data_path,
                                        x->pool.stats.n_lines, x->pool.stats.n_too_long, x->max_ctx);
    x->K = x->pool.n_classes;
    if (!c->n_classes && check_inferred_classes(x) != 0) return -1;
    x->separate_test = c->test_path != NULL;
    if (x->separate_test) {
        o.n_classes = x->K;
        o.keep_raw = 0;
        if (dataset_load(&x->test_file, c->test_path, &o) != 0) return -1;
        if (x->test_file.n == 0) return W2S_FAIL("%s: no usable examples", c->test_path);
        x->n_test = c->n_test ? c->n_test : x->test_file.n;
        x->n_train = c->n_train ? c->n_train : x->pool.n;
        if (x->n_test > x->test_file.n)
            return W2S_FAIL("--n-test %zu but %s has %zu usable examples", x->n_test, c->test_path, x->test_file.n);
        if (x->n_train > x->pool.n)
            return W2S_FAIL("--n-train %zu but %s has %zu usable examples", x->n_train, c->data_path, x->pool.n);
    } else {
        x->n_test = c->n_test ? c->n_test : x->pool.n / 5;
        x->n_train = c->n_train ? c->n_train : x->pool.n - x->n_test;
        if (x->n_train + x->n_test > x->pool.n)
            return W2S_FAIL("--n-train %zu + --n-test %zu exceed the %zu usable examples of %s", x->n_train, x->n_test,
                            x->pool.n, c->data_path);
    }
    if (x->n_train < 4 || x->n_test < 1)
        return W2S_FAIL("too few examples: n_train %zu (need >= 4), n_test %zu (need >= 1)", x->n_train, x->n_test);
    x->cw.n_classes = x->cs.n_classes = x->K;
    x->max_len = 1;
    const dataset *ds[2] = {&x->pool, &x->test_file};
    for (int d = 0; d < 1 + x->separate_test; d++)
        for (size_t i = 0; i < ds[d]->n; i++) {
            size_t len;
            dataset_tokens(ds[d], i, &len);
            if (len > x->max_len) x->max_len = len;
        }
    // The minibatch changes the order of gradient sums, so it is part of each model's step keys.
    x->mb_weak = c->minibatch ? c->minibatch : trainer_auto_minibatch(&x->cw, c->precision, x->max_len, c->batch, TRAINER_ACT_BUDGET);
    x->mb_strong = c->minibatch ? c->minibatch : trainer_auto_minibatch(&x->cs, c->precision, x->max_len, c->batch, TRAINER_ACT_BUDGET);
    if (x->mb_weak > c->batch) x->mb_weak = c->batch;
    if (x->mb_strong > c->batch) x->mb_strong = c->batch;
    x->lr_weak = c->lr_weak > 0 ? c->lr_weak : c->lr > 0 ? c->lr : trainer_default_lr(&x->cw);
    x->lr_strong = c->lr_strong > 0 ? c->lr_strong : c->lr > 0 ? c->lr : trainer_default_lr(&x->cs);
    x->lr_transfer = c->lr_transfer > 0 ? c->lr_transfer : c->lr > 0 ? c->lr : trainer_default_lr(&x->cs);
    x->epochs_gt = c->epochs_gt ? c->epochs_gt : c->epochs;
    x->epochs_transfer = c->epochs_transfer ? c->epochs_transfer : c->epochs;
    if (c->eval_every) {  // the largest training's curve must fit (train2 is the larger half)
        size_t n2 = x->n_train - x->n_train / 2, ep = x->epochs_gt > x->epochs_transfer ? x->epochs_gt : x->epochs_transfer;
        size_t points = (trainer_total_steps(n2, ep, c->batch) + c->eval_every - 1) / c->eval_every;
        if (points > TRAINER_MAX_CURVE)
            return W2S_FAIL("--eval-every %zu gives %zu curve points on %zu steps, more than %d (raise it)",
                            c->eval_every, points, trainer_total_steps(n2, ep, c->batch), TRAINER_MAX_CURVE);
    }
    x->weight_decay = c->optimizer == PROTOCOL_ADAMW ? (c->weight_decay >= 0 ? c->weight_decay : 0.01f) : 0.0f;
    x->label_precision = c->label_precision == PROTOCOL_LABEL_INT8   ? "int8"
                         : c->label_precision == PROTOCOL_LABEL_BF16 ? "bf16"
                                                                     : "fp32";
    uint64_t h = protocol_hash(PROTOCOL_HASH_INIT, PROTOCOL_FORMAT);
    h = hash_file(&x->hashes, h, c->data_path);
    for (size_t i = 0; x->tok_dir && i < TOKENIZER_N_FILES; i++) {  // text is tokenized by these
        char p[W2S_PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", x->tok_dir, tokenizer_file_names[i]);
        if (w2s_file_exists(p)) h = hash_file(&x->hashes, h, p);
    }
    h = x->separate_test ? hash_file(&x->hashes, h, c->test_path) : protocol_hash(h, "no test file");
    x->data_hash = h;
    h = hashf(h, "ntrain %zu ntest %zu ctx %zu trunc %d K %zu batch %zu prec %d probe %d", x->n_train,
              x->n_test, x->max_ctx, (int)c->truncate, x->K, c->batch, (int)c->precision, (int)c->linear_probe);
    x->base_hash = h;
    x->weak_model_hash = hash_model(&x->hashes, c->weak_dir);
    x->strong_model_hash = hash_model(&x->hashes, c->strong_dir);
    return 0;
}

// ---- sanity warnings

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
static void warn_inputs(run_ctx *x) {
    const protocol_config *c = x->c;
    double pw = (double)gpt2_num_params(&x->cw, GPT2_LM_NONE, 0), ps = (double)gpt2_num_params(&x->cs, GPT2_LM_NONE, 0);
    if (x->weak_model_hash == x->strong_model_hash)
        warn(x, "weak and strong are the same model (%s): the ceiling and the students start where the weak model "
             "did, so PGR says nothing about weak-to-strong generalization", c->strong_dir);
    else if (pw > ps)
        warn(x, "the weak model (%s, %.3gM parameters) is larger than the strong one (%s, %.3gM)", c->weak_dir,
             pw / 1e6, c->strong_dir, ps / 1e6);
    size_t ov = overlap_count(x);
    if (ov && x->separate_test)
        warn(x, "%zu of %zu examples of %s also occur in %s (same tokens): the test set overlaps the training data",
             ov, x->test_file.n, c->test_path, c->data_path);
    else if (ov)
        warn(x, "%zu of %zu examples of %s have a twin with the same tokens: a split can put one in training and "
             "the other in test", ov, x->pool.n, c->data_path);
    size_t longer = x->pool.stats.n_too_long + x->test_file.stats.n_too_long;
    size_t cut = x->pool.stats.n_truncated + x->test_file.stats.n_truncated;
    if (longer)
        warn(x, "%zu examples are longer than max_ctx %zu tokens and were dropped (--truncate keeps their start; "
             "--max-ctx up to the models' n_positions)", longer, x->max_ctx);
    if (cut) warn(x, "%zu examples were cut to max_ctx %zu tokens (--truncate)", cut, x->max_ctx);
}

// After a training: a model that answers one class, or does no better than the majority
// class of test, is reported with the learning rate to try instead.
static void warn_model(run_ctx *x, uint64_t seed, const char *name, const results_model *m, double majority,
                       float lr, const char *lr_opt, const gpt2_config *cfg) {
    char hint[160];
    float rule = trainer_default_lr(cfg);
    if (lr != rule) snprintf(hint, sizeof hint, "try %s %g, the rule of thumb for its size", lr_opt, (double)rule);
    else snprintf(hint, sizeof hint, "try %s %g or %g", lr_opt, (double)lr / 3, (double)lr * 3);
    if (m->one_class >= 0)
        warn(x, "seed %" PRIu64 " %s predicts class %d for every test example (accuracy %.4f): a constant "
             "predictor (learning rate %g; %s)", seed, name, m->one_class, m->accuracy, (double)lr, hint);
    else if (m->accuracy <= majority)
        warn(x, "seed %" PRIu64 " %s: test accuracy %.4f is no better than always answering the majority class "
             "(%.4f) (learning rate %g; %s)", seed, name, m->accuracy, majority, (double)lr, hint);
}

// ---- step records

static void step_dir(char *out, size_t cap, const char *out_dir, uint64_t seed, const char *step) {
    snprintf(out, cap, "%s/seed%" PRIu64 "/%s", out_dir, seed, step);
}

static void key_hex(char out[17], uint64_t key) { snprintf(out, 17, "%016" PRIx64, key); }

static double json_num(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

// Reads dir/step.json into *m when its key matches. Returns true if reused.
static bool step_load(const char *dir, uint64_t key, results_model *m) {
    char path[4200], hex[17];
    snprintf(path, sizeof path, "%s/step.json", dir);
    json_t *o = json_load_file(path, 0, NULL);
    if (!o) return false;
    key_hex(hex, key);
    json_t *k = json_object_get(o, "key");
    bool ok = json_is_string(k) && !strcmp(json_string_value(k), hex);
    if (ok) {
        m->accuracy = json_num(o, "accuracy");
        m->auroc = json_num(o, "auroc");
        json_t *why = json_object_get(o, "auroc_undefined_reason");
        snprintf(m->auroc_reason, sizeof m->auroc_reason, "%s", json_is_string(why) ? json_string_value(why) : "");
        m->final_loss = json_num(o, "final_loss");
        m->steps = (size_t)json_integer_value(json_object_get(o, "steps"));
        m->n_train = (size_t)json_integer_value(json_object_get(o, "n_train"));
        m->train_s = json_num(o, "train_s");
        m->eval_s = json_num(o, "eval_s");
        m->examples_per_s = json_num(o, "train_examples_per_s");
        json_t *one = json_object_get(o, "predicts_one_class");
        m->one_class = json_is_integer(one) ? (int)json_integer_value(one) : -1;
        json_t *curve = json_object_get(o, "curve"), *pt;
        size_t i;
        m->n_curve = 0;
        json_array_foreach(curve, i, pt) {
            if (m->n_curve == TRAINER_MAX_CURVE) break;
            m->curve[m->n_curve++] = (trainer_curve_point){(size_t)json_integer_value(json_object_get(pt, "step")),
                                                           json_num(pt, "accuracy"), json_num(pt, "loss")};
        }
        m->reused = true;
    }
    json_decref(o);
    return ok;
}

// step_load as rank 0 sees it, on every rank of the scope (data parallelism: all ranks must
// take the same branch), with want_file (may be NULL) also required to exist there.
static bool step_load_shared(const char *dir, uint64_t key, results_model *m, const char *want_file) {
    bool ok = dist_is_root() && step_load(dir, key, m) && (!want_file || w2s_file_exists(want_file));
    if (dist_size() == 1) return ok;
    uint8_t flag = ok;
    if (dist_bcast(&flag, 1, 0) || (flag && dist_bcast(m, sizeof *m, 0))) return false;
    return flag;
}

// Puts `to` (made) at `from`'s bytes: a hard link when both are on one file system, else a copy.
static int copy_file(const char *from, const char *to) {
    unlink(to);
    if (link(from, to) == 0) return 0;
    size_t n;
    char *buf = w2s_read_file(from, (size_t)1 << 40, &n);
    int rc = buf ? w2s_write_file_atomic(to, buf, n) : -1;
    free(buf);
    return rc;
}

// Copies another run's finished step directory into `dir`, its record (step.json) last.
static int copy_step(const char *from, const char *dir) {
    static const char *const files[] = {"model.safetensors", "config.json", "vocab.json", "merges.txt",
                                        "encoder.json", "vocab.bpe", "step.json"};
    char a[4200], b[4200];
    if (w2s_mkdir_p(dir) != 0) return -1;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(a, sizeof a, "%s/%s", from, files[i]);
        snprintf(b, sizeof b, "%s/%s", dir, files[i]);
        if (w2s_file_exists(a) && copy_file(a, b) != 0) return w2s_error_wrap("reusing %s", from);
    }
    return 0;
}

// Why the record in dir does not match `key` (NULL when there is none, or it matches): its
// "inputs" tell a data or model change from a changed setting.
static const char *step_stale_reason(const char *dir, uint64_t key, uint64_t data_hash, uint64_t model_hash) {
    char path[4200], hex[17], dh[17], mh[17];
    snprintf(path, sizeof path, "%s/step.json", dir);
    json_t *o = json_load_file(path, 0, NULL);
    if (!o) return NULL;
    key_hex(hex, key);
    key_hex(dh, data_hash);
    key_hex(mh, model_hash);
    json_t *k = json_object_get(o, "key"), *in = json_object_get(o, "inputs");
    const char *d = json_string_value(json_object_get(in, "data")), *m = json_string_value(json_object_get(in, "model"));
    const char *why = json_is_string(k) && !strcmp(json_string_value(k), hex) ? NULL
                      : d && strcmp(d, dh)                                   ? "the data's content changed"
                      : m && strcmp(m, mh)                                   ? "the model's files changed"
                      : d && m ? "a setting changed (see config.resolved in results.json)"
                               : "it was made by another version of w2s";
    json_decref(o);
    return why;
}

static int step_save(const char *dir, uint64_t key, const results_model *m, uint64_t data_hash, uint64_t model_hash) {
    if (!dist_is_root()) return 0;
    char path[4200], hex[17];
    snprintf(path, sizeof path, "%s/step.json", dir);
    key_hex(hex, key);
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:f, s:f, s:o}", "key", hex, "accuracy",
                          results_number(m->accuracy), "auroc", results_number(m->auroc), "final_loss",
                          results_number(m->final_loss), "steps", (json_int_t)m->steps, "n_train",
                          (json_int_t)m->n_train, "train_s", m->train_s, "eval_s", m->eval_s,
                          "train_examples_per_s", results_number(m->examples_per_s));
    if (o && m->auroc_reason[0]) json_object_set_new(o, "auroc_undefined_reason", json_string(m->auroc_reason));
    if (o && m->n_curve) json_object_set_new(o, "curve", results_curve_json(m));
    if (o && m->one_class >= 0) json_object_set_new(o, "predicts_one_class", json_integer(m->one_class));
    char dh[17], mh[17];
    key_hex(dh, data_hash);
    key_hex(mh, model_hash);
    if (o) json_object_set_new(o, "inputs", json_pack("{s:s, s:s}", "data", dh, "model", mh));
    int rc = o ? results_write_json(path, o) : W2S_FAIL("cannot build %s", path);
    json_decref(o);
    return rc;
}

// ---- training steps

// The class every row of logits (n, K) argmaxes to, or -1 when they differ.
static int one_class(const float *logits, size_t n, size_t K) {
    size_t first = n ? metrics_argmax(logits, K) : 0;
    for (size_t i = 1; i < n; i++)
        if (metrics_argmax(logits + i * K, K) != first) return -1;
    return n ? (int)first : -1;
}

static gpt2_model *load_model(const run_ctx *x, const char *path, size_t minibatch, gpt2_precision prec) {
    gpt2_options opt = {.max_batch = minibatch, .max_seq = x->max_len, .lm_mode = GPT2_LM_NONE, .precision = prec};
    gpt2_model *m = gpt2_checkpoint_load(path, &opt, (long)x->K);
    if (!m) w2s_error_wrap("loading %s", path);
    return m;
}

typedef struct {
    const char *name;          // step directory and progress label ("weak", "student_xent")
    const char *model_path;    // pretrained start
    uint64_t model_hash;       // its content (step.json's "inputs", to say why a step is redone)
    float lr;
    size_t epochs;
    size_t minibatch;
    loss_config loss;
    trainer_data train, test;
    uint64_t key;
    bool keep_model;           // save dir/model.safetensors (and return the model)
    transfer_ready_fn ready;   // pipelined student: wait for each step's labels (NULL: all there)
    void *ready_feed;
} train_step;

// dir/model.safetensors, config.json and the tokenizer's files: a Hugging Face directory that
// label, eval and serve open with no other argument (and from_pretrained too).
static int save_model_dir(const run_ctx *x, const gpt2_model *m, const char *dir, const char *model_file) {
    char p[W2S_PATH_MAX], from[W2S_PATH_MAX];
    int rc = gpt2_checkpoint_save(m, model_file);
    if (!rc && !w2s_path_format(p, sizeof p, "%s/config.json", dir)) rc = hf_config_save(p, &m->cfg);
    for (size_t i = 0; !rc && x->tok_dir && i < TOKENIZER_N_FILES; i++) {
        if (w2s_path_format(from, sizeof from, "%s/%s", x->tok_dir, tokenizer_file_names[i]) ||
            w2s_path_format(p, sizeof p, "%s/%s", dir, tokenizer_file_names[i]))
            return -1;
        if (!w2s_file_exists(from)) continue;
        size_t n;
        char *buf = w2s_read_file(from, (size_t)1 << 30, &n);
        rc = buf ? w2s_write_file_atomic(p, buf, n) : -1;
        free(buf);
    }
    return rc ? w2s_error_wrap("saving the model in %s", dir) : 0;
}

// Trains, evaluates and records one model, or reuses its record. *out_model (may be NULL)
// gets the trained model when it was trained here (caller destroys it).
static int run_train_step(const run_ctx *x, uint64_t seed, const train_step *s, results_model *r,
                          gpt2_model **out_model) {
    const protocol_config *c = x->c;
    char dir[4096], ckpt[4200], model_file[4200], label[96];
    step_dir(dir, sizeof dir, c->out_dir, seed, s->name);
    snprintf(ckpt, sizeof ckpt, "%s/train.ckpt", dir);
    snprintf(model_file, sizeof model_file, "%s/model.safetensors", dir);
    snprintf(label, sizeof label, "seed %" PRIu64 " %s", seed, s->name);
    if (out_model) *out_model = NULL;
    memset(r, 0, sizeof *r);
    if (step_load_shared(dir, s->key, r, s->keep_model ? model_file : NULL)) {
        if (!c->quiet) fprintf(stderr, "%s: reused (accuracy %.4f)\n", label, r->accuracy);
        return 0;
    }
    // The same step of another run (a sweep's other pairs): same key, so the same inputs.
    for (size_t i = 0; i < c->n_reuse_dirs; i++) {
        char other[4096], other_model[4200];
        step_dir(other, sizeof other, c->reuse_dirs[i], seed, s->name);
        snprintf(other_model, sizeof other_model, "%s/model.safetensors", other);
        memset(r, 0, sizeof *r);
        if (!step_load(other, s->key, r) || (s->keep_model && !w2s_file_exists(other_model))) continue;
        if (copy_step(other, dir) != 0) return -1;
        if (c->reuse) {
            if (!strcmp(s->name, "weak")) c->reuse->weak++;
            else if (!strcmp(s->name, "ceiling")) c->reuse->ceiling++;
            else c->reuse->students++;
        }
        if (!c->quiet) fprintf(stderr, "%s: reused from %s (same inputs and settings; accuracy %.4f)\n", label,
                               c->reuse_dirs[i], r->accuracy);
        return 0;
    }
    const char *why = step_stale_reason(dir, s->key, x->data_hash, s->model_hash);
    if (why && !c->quiet) fprintf(stderr, "%s: redone: %s\n", label, why);
    memset(r, 0, sizeof *r);
    if (dist_is_root() && w2s_mkdir_p(dir) != 0) return -1;
    gpt2_model *m = load_model(x, s->model_path, s->minibatch, c->precision);
    if (!m) return -1;
    trainer_config tc;
    trainer_config_default(&tc);
    tc.epochs = s->epochs;
    tc.batch = c->batch;
    tc.lr = s->lr;
    tc.weight_decay = x->weight_decay;
    tc.eval_every = c->eval_every;
    tc.eval_data = &s->test;
    tc.loss = s->loss;
    tc.linear_probe = c->linear_probe;
    tc.ckpt_path = ckpt;
    tc.ckpt_every = c->ckpt_every;
    tc.ckpt_every_s = c->ckpt_every_s;
    tc.ckpt_key = s->key;
    tc.quiet = c->quiet;
    tc.label = label;
    tc.targets_ready = s->ready;
    tc.targets_ready_arg = s->ready_feed;
    trainer_stats st;
    trainer_eval_result ev;
    float *logits = malloc(s->test.n * x->K * sizeof(float));  // (n_test, K)
    int rc = logits ? trainer_train(m, &tc, &s->train, &st) : W2S_FAIL("out of memory");
    if (!rc) rc = trainer_evaluate(m, &s->test, logits, &ev);
    if (!rc && (s->keep_model || c->save_models) && dist_is_root()) rc = save_model_dir(x, m, dir, model_file);
    if (!rc) {
        *r = (results_model){.accuracy = ev.accuracy, .auroc = ev.auroc,
                             .final_loss = st.final_loss, .steps = st.steps, .n_train = s->train.n,
                             .train_s = st.seconds, .eval_s = ev.seconds, .resumed_step = st.resumed_step,
                             .n_curve = st.n_curve, .one_class = one_class(logits, s->test.n, x->K)};
        memcpy(r->curve, st.curve, st.n_curve * sizeof st.curve[0]);
        if (!isfinite(ev.auroc) && ev.auroc_reason) snprintf(r->auroc_reason, sizeof r->auroc_reason, "%s", ev.auroc_reason);
        size_t B = c->batch < s->train.n ? c->batch : s->train.n;
        r->examples_per_s = st.seconds > 0 ? (double)((st.steps - st.resumed_step) * B) / st.seconds : NAN;
        rc = step_save(dir, s->key, r, x->data_hash, s->model_hash);
    }
    free(logits);
    if (!rc && dist_is_root()) unlink(ckpt);  // the step record supersedes it
    if (!rc && !c->quiet)
        fprintf(stderr, "%s: test accuracy %.4f (%zu steps, %.1f s%s)\n", label, r->accuracy, r->steps, r->train_s,
                st.resumed_step ? ", resumed" : "");
    if (!rc && out_model && s->keep_model) *out_model = m;
    else gpt2_destroy(m);
    return rc;
}

// ---- labels

// Soft labels (n, K) and hard labels (n) of train2 by the weak model, reused from
// OUT/seed<k>/labels.safetensors when its key matches; otherwise computed (loading the weak
// model from its step if `weak` is NULL) and written with weak_labels.jsonl.
static void label_paths(const run_ctx *x, uint64_t seed, char rec[4200], char jsonl[4200], char weak_file[4200]) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/seed%" PRIu64, x->c->out_dir, seed);
    snprintf(rec, 4200, "%s/labels.safetensors", dir);
    snprintf(jsonl, 4200, "%s/weak_labels.jsonl", dir);
    snprintf(weak_file, 4200, "%s/weak/model.safetensors", dir);
}

// True (soft and hard filled) when rec (a labels.safetensors) holds labels of this key.
static bool labels_read(const char *rec, size_t n, size_t K, uint64_t key, float *soft, int32_t *hard) {
    char hex[17];
    key_hex(hex, key);
    safetensors_file *f = safetensors_open(rec);
    const char *k = f ? safetensors_metadata(f, LABELS_META_KEY) : NULL;
    bool ok = false;
    if (k && !strcmp(k, hex)) {
        size_t s2[2] = {n, K};
        const safetensors_tensor *th = safetensors_find(f, "hard");
        ok = safetensors_read_f32(f, "soft", 2, s2, soft) == 0 && th && th->dtype == SAFETENSORS_I32 && th->numel == n;
        if (ok) memcpy(hard, th->data, n * sizeof(int32_t));
    }
    safetensors_close(f);
    w2s_error_clear();
    return ok;
}

// True (soft and hard filled) when OUT/seed<k>/labels.safetensors holds labels of this key,
// or a reuse directory's does (then its two label files are copied in, the record last).
static bool labels_reuse_local(const run_ctx *x, uint64_t seed, size_t n, uint64_t key, float *soft, int32_t *hard) {
    const protocol_config *c = x->c;
    char rec[4200], jsonl[4200], weak_file[4200];
    label_paths(x, seed, rec, jsonl, weak_file);
    if (w2s_file_exists(rec) && w2s_file_exists(jsonl) && labels_read(rec, n, x->K, key, soft, hard)) {
        if (!c->quiet) fprintf(stderr, "seed %" PRIu64 " labels: reused\n", seed);
        return true;
    }
    for (size_t i = 0; i < c->n_reuse_dirs; i++) {
        char orec[4200], ojsonl[4200], dir[4200];
        snprintf(orec, sizeof orec, "%s/seed%" PRIu64 "/labels.safetensors", c->reuse_dirs[i], seed);
        snprintf(ojsonl, sizeof ojsonl, "%s/seed%" PRIu64 "/weak_labels.jsonl", c->reuse_dirs[i], seed);
        snprintf(dir, sizeof dir, "%s/seed%" PRIu64, c->out_dir, seed);
        if (!w2s_file_exists(orec) || !w2s_file_exists(ojsonl) || !labels_read(orec, n, x->K, key, soft, hard)) continue;
        if (w2s_mkdir_p(dir) != 0 || copy_file(ojsonl, jsonl) != 0 || copy_file(orec, rec) != 0) {
            w2s_error_clear();
            return false;  // labeled again here instead
        }
        if (c->reuse) c->reuse->labels++;
        if (!c->quiet) fprintf(stderr, "seed %" PRIu64 " labels: reused from %s\n", seed, c->reuse_dirs[i]);
        return true;
    }
    return false;
}

// labels_reuse_local on rank 0, its labels broadcast to the scope's other ranks.
static bool labels_reuse(const run_ctx *x, uint64_t seed, size_t n, uint64_t key, float *soft, int32_t *hard) {
    bool ok = dist_is_root() && labels_reuse_local(x, seed, n, key, soft, hard);
    if (dist_size() == 1) return ok;
    uint8_t flag = ok;
    if (dist_bcast(&flag, 1, 0)) return false;
    if (flag && (dist_bcast(soft, n * x->K * sizeof(float), 0) || dist_bcast(hard, n * sizeof(int32_t), 0)))
        return false;
    return flag;
}

// weak_labels.jsonl, then the record labels.safetensors (last: it vouches for the labels).
static int labels_save(const run_ctx *x, uint64_t seed, const dataset_split *sp, uint64_t key, const float *soft,
                       const int32_t *hard) {
    const size_t n = sp->n_train2, K = x->K;
    char rec[4200], jsonl[4200], weak_file[4200], hex[17];
    if (!dist_is_root()) return 0;
    label_paths(x, seed, rec, jsonl, weak_file);
    key_hex(hex, key);
    int rc = dataset_write_labels(jsonl, &x->pool, sp->train2, n, soft, hard);
    if (!rc) {
        safetensors_writer *w = safetensors_writer_create();
        size_t s2[2] = {n, K}, s1[1] = {n};
        rc = w ? 0 : W2S_FAIL("out of memory");
        if (!rc) rc = safetensors_writer_add(w, "soft", SAFETENSORS_F32, 2, s2, soft);
        if (!rc) rc = safetensors_writer_add(w, "hard", SAFETENSORS_I32, 1, s1, hard);
        if (!rc) rc = safetensors_writer_set_metadata(w, LABELS_META_KEY, hex);
        if (!rc) rc = safetensors_writer_set_metadata(w, "label_precision", x->label_precision);
        if (!rc) rc = safetensors_writer_write(w, rec);
        safetensors_writer_destroy(w);
    }
    return rc;
}

// The weak model in the labeling precision: `weak` itself when it fits, else loaded from its
// step (caller destroys it when it differs from `weak`).
static gpt2_model *labeling_model(const run_ctx *x, uint64_t seed, gpt2_model *weak) {
    const protocol_config *c = x->c;
    char rec[4200], jsonl[4200], weak_file[4200];
    label_paths(x, seed, rec, jsonl, weak_file);
    // int8 quantizes the trained weak model's fp32 master weights; fp32/bf16 label with a copy
    // in that precision (the trained one may have been created for the other).
    gpt2_precision want = c->label_precision == PROTOCOL_LABEL_BF16 ? GPT2_BF16 : GPT2_FP32;
    bool reload = !weak || (c->label_precision != PROTOCOL_LABEL_INT8 && weak->opt.precision != want);
    return reload ? load_model(x, weak_file, x->mb_weak, c->label_precision == PROTOCOL_LABEL_INT8 ? c->precision : want)
                  : weak;
}

static int run_label_step(const run_ctx *x, uint64_t seed, const dataset_split *sp, gpt2_model *weak, uint64_t key,
                          float *soft, int32_t *hard, double *label_s, double *label_rate) {
    const protocol_config *c = x->c;
    const size_t n = sp->n_train2, K = x->K;
    *label_s = 0;
    *label_rate = NAN;
    if (labels_reuse(x, seed, n, key, soft, hard)) return 0;
    gpt2_model *m = labeling_model(x, seed, weak);
    if (!m) return -1;
    double t0 = progress_now();
    labeler_model lm = {0};
    int rc = 0;
    if (c->label_precision == PROTOCOL_LABEL_INT8) rc = (lm.q = labeler_int8_create(m, x->mb_weak, x->max_len)) ? 0 : -1;
    else lm.m = m;
    if (!rc) rc = labeler_logits_sharded(&lm, &x->pool, sp->train2, n, K, soft, NULL, true);
    gpt2_int8_destroy(lm.q);
    if (!rc) {
        trainer_soft_labels(soft, n, K, soft, hard);
        rc = labels_save(x, seed, sp, key, soft, hard);
    }
    *label_s = progress_now() - t0;
    *label_rate = *label_s > 0 ? (double)n / *label_s : NAN;
    if (!rc && !c->quiet) fprintf(stderr, "seed %" PRIu64 " labels: %zu examples in %.1f s\n", seed, n, *label_s);
    if (m != weak) gpt2_destroy(m);
    return rc ? w2s_error_wrap("labeling train2 (seed %" PRIu64 ")", seed) : 0;
}

// ---- pipelined labels and first student

typedef struct {
    const run_ctx *x;
    uint64_t seed;
    train_step *step;
    results_model *r;
} student_job;

static int student_train(void *arg, transfer_ready_fn ready, void *feed) {
    student_job *j = arg;
    j->step->ready = ready;
    j->step->ready_feed = feed;
    return run_train_step(j->x, j->seed, j->step, j->r, NULL);
}

// Labels train2 while `s0` (the first student) trains on the arriving labels, then writes the
// labels like run_label_step; *labels_done and *student_done say what was done. The plan is
// transfer_plan's: a core split, or the stages taking turns on every core when a split would
// idle one. When there is nothing to overlap (the labels or the student are reused), the rest
// is left to the sequential steps.
static int run_pipelined(const run_ctx *x, uint64_t seed, const dataset_split *sp, gpt2_model *weak, uint64_t key,
                         float *soft, int32_t *hard, train_step *s0, results_seed *r, bool *labels_done,
                         bool *student_done) {
    const protocol_config *c = x->c;
    const size_t n = sp->n_train2;
    char dir[4096];
    results_model probe;
    *labels_done = *student_done = false;
    step_dir(dir, sizeof dir, c->out_dir, seed, s0->name);
    if (step_load(dir, s0->key, &probe)) return 0;
    if (labels_reuse(x, seed, n, key, soft, hard)) {
        *labels_done = true;
        return 0;
    }
    topology *topo = topology_load_this_system();
    if (!topo) return w2s_error_wrap("pipelined labeling");
    placement plan;
    placement_request req = transfer_placement_request(gpt2_num_params(&x->cw, GPT2_LM_NONE, 0), gpt2_num_params(&x->cs, GPT2_LM_NONE, 0),
                                                       c->label_cores, c->train_cores);
    if (transfer_plan(topo, &req, &plan, NULL) != 0) {
        topology_destroy(topo);
        return w2s_error_wrap("--label-cores / --train-cores");
    }
    gpt2_model *m = labeling_model(x, seed, weak);
    const size_t B = c->batch < n ? c->batch : n;
    labeler_model lm = {0};
    int rc = m ? 0 : -1;
    // Slots hold one optimizer step (B examples); forwards keep the sequential labeler's token budget.
    if (!rc && c->label_precision == PROTOCOL_LABEL_INT8)
        rc = (lm.q = gpt2_int8_create(m, B, x->max_len, x->mb_weak * x->max_len)) ? 0 : -1;
    else lm.m = m;
    student_job job = {x, seed, s0, &r->students[0]};
    transfer_config tc = {.lm = &lm, .ds = &x->pool, .idx = sp->train2, .n = n, .batch = B, .soft = soft,
                          .hard = hard, .train = student_train, .train_arg = &job, .topo = topo, .plan = &plan,
                          .bind = topo->this_system};
    transfer_stats st;
    if (!rc) rc = transfer_run_pipelined(&tc, &st);
    gpt2_int8_destroy(lm.q);
    if (m != weak) gpt2_destroy(m);
    if (!rc) rc = labels_save(x, seed, sp, key, soft, hard);
    if (!rc) {
        r->label_s = st.label_busy_s;
        r->label_examples_per_s = st.label_busy_s > 0 ? (double)n / st.label_busy_s : NAN;
        if (!c->quiet)
            fprintf(stderr, "seed %" PRIu64 " labels: %zu examples in %.1f s, pipelined with %s (%s: label %d "
                    "thread%s, train %d; wall %.1f s, label busy %.1f s, train busy %.1f s, first step %.2f s after "
                    "the labeler's start)\n",
                    seed, n, st.label_busy_s, s0->name, plan.rule, st.label_threads, st.label_threads == 1 ? "" : "s",
                    st.train_threads, st.wall_s, st.label_busy_s, st.train_busy_s, st.first_step_s);
    }
    s0->ready = NULL;
    s0->ready_feed = NULL;
    placement_free(&plan);
    topology_destroy(topo);
    if (rc) return w2s_error_wrap("pipelined labeling of train2 and %s (seed %" PRIu64 "; --no-pipeline runs them "
                                  "one after the other)", s0->name, seed);
    *labels_done = *student_done = true;
    return 0;
}

// ---- one seed

// The student of loss l (its step name goes to name[64]).
static train_step student_step(const run_ctx *x, size_t l, const dataset_split *sp, const float *soft,
                               trainer_data test, uint64_t strong_key, uint64_t labels_key, char *name) {
    snprintf(name, 64, "student_%s", loss_kind_name(x->c->losses[l]));
    train_step s = {.name = name, .model_path = x->c->strong_dir, .model_hash = x->strong_model_hash,
                    .lr = x->lr_transfer, .epochs = x->epochs_transfer,
                    .minibatch = x->mb_strong,
                    .train = {.ds = &x->pool, .idx = sp->train2, .n = sp->n_train2, .targets = soft}, .test = test};
    loss_config_default(&s.loss, x->c->losses[l]);
    if (x->c->aux_coef >= 0) s.loss.aux_coef = x->c->aux_coef;
    if (x->c->aux_warmup >= 0) s.loss.warmup_frac = x->c->aux_warmup;
    s.key = hashf(strong_key ^ labels_key, "%s lr %a ep %zu aux %a warm %a a %a b %a", name, (double)x->lr_transfer,
                  x->epochs_transfer, (double)s.loss.aux_coef, (double)s.loss.warmup_frac, (double)s.loss.alpha,
                  (double)s.loss.beta);
    return s;
}

static int check_classes(const run_ctx *x, const size_t *idx, size_t n, const char *what, uint64_t seed) {
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

// Ground-truth targets: one-hot hard_label of examples idx[0..n) (n, K), so a "soft_label"
// field in the input file never leaks into the weak model's or the ceiling's training.
static float *one_hot(const dataset *ds, const size_t *idx, size_t n) {
    float *t = calloc(n * ds->n_classes, sizeof(float));
    for (size_t i = 0; t && i < n; i++) t[i * ds->n_classes + (size_t)ds->hard_label[idx[i]]] = 1.0f;
    return t;
}

static int run_seed(run_ctx *x, uint64_t seed, results_seed *r) {
    const protocol_config *c = x->c;
    const size_t K = x->K;
    double t0 = progress_now();
    dataset_split sp = {0};
    int rc = x->separate_test ? dataset_split_w2s_separate(&sp, x->pool.n, x->n_train, x->test_file.n, x->n_test, seed)
                              : dataset_split_w2s(&sp, x->pool.n, x->n_train, x->n_test, seed);
    if (rc) return -1;
    memset(r, 0, sizeof *r);
    r->seed = seed;
    rc = check_classes(x, sp.train1, sp.n_train1, "train1 (weak model's training)", seed);
    if (!rc) rc = check_classes(x, sp.train2, sp.n_train2, "train2 (ceiling's training)", seed);
    trainer_data test = {.ds = x->separate_test ? &x->test_file : &x->pool, .idx = sp.test, .n = sp.n_test};
    // The optimizer and the curve interval belong to every training step; each stage adds its own settings.
    uint64_t seed_hash = hashf(x->base_hash, "seed %" PRIu64 " wd %a eval %zu", seed, (double)x->weight_decay,
                               c->eval_every);
    uint64_t weak_key = hashf(seed_hash ^ x->weak_model_hash, "weak lr %a ep %zu mb %zu", (double)x->lr_weak,
                              x->epochs_gt, x->mb_weak);
    uint64_t labels_key = hashf(weak_key, "labels %s", x->label_precision);
    uint64_t strong_key = hashf(seed_hash ^ x->strong_model_hash, "strong mb %zu", x->mb_strong);
    float *soft = malloc(sp.n_train2 * K * sizeof(float));
    float *gt1 = one_hot(&x->pool, sp.train1, sp.n_train1), *gt2 = one_hot(&x->pool, sp.train2, sp.n_train2);
    if (!rc && (!gt1 || !gt2)) rc = W2S_FAIL("out of memory");
    int32_t *hard = malloc(sp.n_train2 * sizeof(int32_t));
    if (!rc && (!soft || !hard)) rc = W2S_FAIL("out of memory");
    gpt2_model *weak = NULL;
    if (!rc) {
        train_step s = {.name = "weak", .model_path = c->weak_dir, .model_hash = x->weak_model_hash, .lr = x->lr_weak, .epochs = x->epochs_gt,
                        .minibatch = x->mb_weak,
                        .train = {.ds = &x->pool, .idx = sp.train1, .n = sp.n_train1, .targets = gt1}, .test = test,
                        .key = weak_key, .keep_model = true};
        loss_config_default(&s.loss, LOSS_XENT);
        rc = run_train_step(x, seed, &s, &r->weak, &weak);
    }
    // Pipelined, the first student trains while train2 is labeled, right after the weak model
    // (still in memory for the labeler); the ceiling needs no labels and comes after.
    char name0[64];
    train_step s0 = student_step(x, 0, &sp, soft, test, strong_key, labels_key, name0);
    bool labels_done = false, student0_done = false;
    if (!rc && !c->no_pipeline)
        rc = run_pipelined(x, seed, &sp, weak, labels_key, soft, hard, &s0, r, &labels_done, &student0_done);
    if (!rc && !labels_done)
        rc = run_label_step(x, seed, &sp, weak, labels_key, soft, hard, &r->label_s, &r->label_examples_per_s);
    gpt2_destroy(weak);
    if (!rc) {
        size_t agree = 0;
        for (size_t i = 0; i < sp.n_train2; i++) agree += hard[i] == x->pool.hard_label[sp.train2[i]];
        r->label_agreement = (double)agree / (double)sp.n_train2;
        train_step s = {.name = "ceiling", .model_path = c->strong_dir, .model_hash = x->strong_model_hash,
                        .lr = x->lr_strong, .epochs = x->epochs_gt,
                        .minibatch = x->mb_strong,
                        .train = {.ds = &x->pool, .idx = sp.train2, .n = sp.n_train2, .targets = gt2}, .test = test,
                        .key = hashf(strong_key, "ceiling lr %a ep %zu", (double)x->lr_strong, x->epochs_gt)};
        loss_config_default(&s.loss, LOSS_XENT);
        rc = run_train_step(x, seed, &s, &r->ceiling, NULL);
    }
    // The other students train afterwards from the kept labels, on all cores.
    for (size_t l = 0; l < c->n_losses && !rc; l++) {
        char name[64];
        train_step s = student_step(x, l, &sp, soft, test, strong_key, labels_key, name);
        if (!(l == 0 && student0_done)) rc = run_train_step(x, seed, &s, &r->students[l], NULL);
        if (!rc) r->pgr[l] = metrics_pgr(r->weak.accuracy, r->students[l].accuracy, r->ceiling.accuracy, &r->pgr_reason[l]);
    }
    if (!rc) {
        size_t *cnt = calloc(K, sizeof(size_t)), most = 0;
        if (cnt) dataset_class_counts(test.ds, test.idx, test.n, cnt);
        for (size_t k = 0; cnt && k < K; k++) most = cnt[k] > most ? cnt[k] : most;
        free(cnt);
        double majority = test.n ? (double)most / (double)test.n : NAN;
        warn_model(x, seed, "weak", &r->weak, majority, x->lr_weak, "--weak-lr", &x->cw);
        warn_model(x, seed, "ceiling", &r->ceiling, majority, x->lr_strong, "--strong-lr", &x->cs);
        for (size_t l = 0; l < c->n_losses; l++) {
            char name[64];
            snprintf(name, sizeof name, "student %s", loss_kind_name(c->losses[l]));
            warn_model(x, seed, name, &r->students[l], majority, x->lr_transfer, "--transfer-lr", &x->cs);
        }
    }
    r->total_s = progress_now() - t0;
    free(soft);
    free(gt1);
    free(gt2);
    free(hard);
    dataset_split_free(&sp);
    return rc;
}

// ---- the run

// What the numbers were computed from, for results.json and the report: each model's path,
// parameters and content hash, each data file's path, lines, examples and content hash.
static json_t *provenance_json(run_ctx *x) {
    const protocol_config *c = x->c;
    char hex[3][17];
    uint64_t d, t = 0;
    key_hex(hex[0], x->weak_model_hash);
    key_hex(hex[1], x->strong_model_hash);
    if (file_hash_content(&x->hashes, c->data_path, &d) != 0) d = 0;
    if (x->separate_test && file_hash_content(&x->hashes, c->test_path, &t) != 0) t = 0;
    w2s_error_clear();
    json_t *o = json_pack("{s:{s:s, s:I, s:s}, s:{s:s, s:I, s:s}}", "weak", "path", c->weak_dir, "params",
                          (json_int_t)gpt2_num_params(&x->cw, GPT2_LM_NONE, 0), "hash", hex[0], "strong", "path",
                          c->strong_dir, "params", (json_int_t)gpt2_num_params(&x->cs, GPT2_LM_NONE, 0), "hash", hex[1]);
    key_hex(hex[2], d);
    json_object_set_new(o, "data", json_pack("{s:s, s:I, s:I, s:s}", "path", c->data_path, "lines",
                                             (json_int_t)x->pool.stats.n_lines, "examples", (json_int_t)x->pool.n,
                                             "hash", hex[2]));
    if (x->separate_test) {
        key_hex(hex[2], t);
        json_object_set_new(o, "test", json_pack("{s:s, s:I, s:I, s:s}", "path", c->test_path, "lines",
                                                 (json_int_t)x->test_file.stats.n_lines, "examples",
                                                 (json_int_t)x->test_file.n, "hash", hex[2]));
    }
    json_object_set_new(o, "tokenizer", x->tok_dir ? json_string(x->tok_dir) : json_null());
    return o;
}

// After the last seed: a ceiling–weak gap within the test set's standard error makes every PGR
// a ratio of noise; the table and the report flag them (results_run.pgr_noisy).
static void warn_gap(run_ctx *x, results_run *r) {
    double w, c, sd;
    results_stat(r, RESULTS_ROW_WEAK, false, &w, &sd);
    results_stat(r, RESULTS_ROW_CEILING, false, &c, &sd);
    double n = (double)r->n_test, se = sqrt(w * (1 - w) / n + c * (1 - c) / n);
    if (c > w && c - w < se) {
        r->pgr_noisy = true;
        warn(x, "the ceiling-weak gap %.4f is within the test set's standard error %.4f (%zu test examples): the "
             "PGRs divide by noise (more test examples, or a larger strong model)", c - w, se, r->n_test);
    }
}

// A float option as the JSON number it was written as: the fewest significant digits that
// read back as the same float (1e-3, not its double expansion 0.0010000000474974513).
static json_t *float_json(float v) {
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    return json_real(strtod(buf, NULL));
}

static json_t *resolved_json(const run_ctx *x) {
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "n_pool", (json_int_t)x->pool.n,
                     "n_train", (json_int_t)x->n_train, "n_test", (json_int_t)x->n_test, "n_classes", (json_int_t)x->K,
                     "max_ctx", (json_int_t)x->max_ctx,
                     "dropped_too_long", (json_int_t)(x->pool.stats.n_too_long + x->test_file.stats.n_too_long),
                     "truncated", (json_int_t)(x->pool.stats.n_truncated + x->test_file.stats.n_truncated),
                     "weak_n_layers", (json_int_t)x->cw.n_layer, "strong_n_layers", (json_int_t)x->cs.n_layer,
                     "separate_test_file", x->separate_test);
    if (o) {
        json_object_set_new(o, "minibatch_weak", json_integer((json_int_t)x->mb_weak));
        json_object_set_new(o, "minibatch_strong", json_integer((json_int_t)x->mb_strong));
        json_object_set_new(o, "max_tokens", json_integer((json_int_t)x->max_len));
        json_object_set_new(o, "lr_weak", float_json(x->lr_weak));
        json_object_set_new(o, "lr_strong", float_json(x->lr_strong));
        json_object_set_new(o, "lr_transfer", float_json(x->lr_transfer));
        json_object_set_new(o, "epochs_gt", json_integer((json_int_t)x->epochs_gt));
        json_object_set_new(o, "epochs_transfer", json_integer((json_int_t)x->epochs_transfer));
        json_object_set_new(o, "optimizer", json_string(x->c->optimizer == PROTOCOL_ADAMW ? "adamw" : "adam"));
        json_object_set_new(o, "weight_decay", float_json(x->weight_decay));
        json_object_set_new(o, "eval_every", json_integer((json_int_t)x->c->eval_every));
        loss_config lc;
        loss_config_default(&lc, LOSS_LOGCONF);
        json_object_set_new(o, "aux_coef", float_json(x->c->aux_coef >= 0 ? x->c->aux_coef : lc.aux_coef));
        json_object_set_new(o, "aux_warmup", float_json(x->c->aux_warmup >= 0 ? x->c->aux_warmup : lc.warmup_frac));
    }
    return o;
}

// The results as a Markdown table (PGR of the mean accuracies, results_pgr_of), then why any
// PGR is undefined.
static void print_table(FILE *f, const results_run *r) {
    fprintf(f, "\nw2s run: %zu seed%s, %zu classes\n\n| %-20s | %8s | %8s | %12s | %14s |\n|%s|---------:|---------:|"
            "-------------:|---------------:|\n", r->n_done, r->n_done == 1 ? "" : "s", r->n_classes, "test accuracy",
            "mean", "std", "PGR", "PGR seed std", ":---------------------");
    for (size_t row = 0; row < results_row_count(r); row++) {
        double mean, std;
        char name[64], pgr[16] = "", spread[48] = "";
        snprintf(name, sizeof name, "%s", results_row_name(r, row));
        results_stat(r, row, false, &mean, &std);
        if (row >= RESULTS_ROW_STUDENT) {
            results_pgr pg;
            results_pgr_of(r, row - RESULTS_ROW_STUDENT, &pg);
            snprintf(pgr, sizeof pgr, !isfinite(pg.pgr) ? "undef" : r->pgr_noisy ? "%.3f (!)" : "%.3f", pg.pgr);
            if (pg.n_seeds > 1) snprintf(spread, sizeof spread, "%.3f (%zu)", pg.seed_std, pg.n_seeds);
            else snprintf(spread, sizeof spread, "(%zu)", pg.n_seeds);
        }
        for (size_t s = 0; s < r->n_done; s++)
            if (results_model_of(&r->seeds[s], row)->one_class >= 0) {
                snprintf(name + strlen(name), sizeof name - strlen(name), " (one class!)");
                break;
            }
        fprintf(f, "| %-20s | %8.4f | %8.4f | %12s | %14s |\n", name, mean, isfinite(std) ? std : 0.0, pgr, spread);
    }
    fprintf(f, "\nPGR = (student - weak) / (ceiling - weak) of the accuracies averaged over seeds; its seed std is "
               "the spread of the per-seed PGRs (seeds where one is defined).\n");
    for (size_t l = 0; l < r->n_losses; l++) {
        results_pgr pg;
        results_pgr_of(r, l, &pg);
        if (pg.reason[0]) {
            fprintf(f, "%s\n", pg.reason);
            break;
        }
    }
    for (size_t s = 0; s < r->n_done; s++)
        if (!isfinite(r->seeds[s].pgr[0]) && r->seeds[s].pgr_reason[0])
            fprintf(f, "PGR undefined on seed %" PRIu64 ": ceiling %.4f <= weak %.4f\n", r->seeds[s].seed,
                    r->seeds[s].ceiling.accuracy, r->seeds[s].weak.accuracy);
    size_t i;
    json_t *w;
    json_array_foreach(r->warnings, i, w) fprintf(f, "warning: %s\n", json_string_value(w));
}

const char *protocol_parallel_name(protocol_parallel p) {
    return p == PROTOCOL_PARALLEL_TASKS ? "tasks" : p == PROTOCOL_PARALLEL_DATA ? "data" : "auto";
}

// A seed trained alone on one rank is the most efficient use of ranks (no gradient traffic)
// when every rank has one; above ~1B parameters a seed takes days on one node, so the run
// spreads each model over the ranks to finish (and checkpoint) results sooner.
#define PROTOCOL_TASKS_MAX_PARAMS ((size_t)1000 * 1000 * 1000)

protocol_parallel protocol_parallel_choose(protocol_parallel p, int world, size_t n_seeds, size_t strong_params,
                                           const char **why) {
    *why = "as asked";
    if (p != PROTOCOL_PARALLEL_AUTO) return p;
    if (world <= 1) return *why = "one rank", PROTOCOL_PARALLEL_DATA;
    if (n_seeds < (size_t)world) return *why = "fewer seeds than ranks", PROTOCOL_PARALLEL_DATA;
    if (strong_params > PROTOCOL_TASKS_MAX_PARAMS) return *why = "strong model over 1B parameters", PROTOCOL_PARALLEL_DATA;
    return *why = "a seed per rank, model small enough for one node", PROTOCOL_PARALLEL_TASKS;
}

// Task parallelism: seed s runs on rank s mod p, alone (dist_scope_self), writing its own
// OUT/seed<k>; rank 0 then collects every seed's figures and writes the results set.
static int run_seeds_tasks(run_ctx *x, results_run *res, double t0) {
    const protocol_config *c = x->c;
    const int p = dist_size(), me = dist_rank();
    int rc = 0;
    dist_scope_self(true);
    for (size_t s = (size_t)me; s < c->n_seeds && !rc; s += (size_t)p) rc = run_seed(x, c->seeds[s], &res->seeds[s]);
    dist_scope_self(false);
    if ((rc = dist_agree(rc))) return rc;
    // Each seed's figures from the rank that ran it (reason strings are pointers: remade below).
    for (size_t s = 0; s < c->n_seeds && !rc; s++)
        rc = dist_bcast(&res->seeds[s], sizeof res->seeds[s], (int)(s % (size_t)p));
    for (size_t s = 0; s < c->n_seeds && !rc; s++) {
        results_seed *r = &res->seeds[s];
        for (size_t l = 0; l < c->n_losses; l++)
            r->pgr[l] = metrics_pgr(r->weak.accuracy, r->students[l].accuracy, r->ceiling.accuracy, &r->pgr_reason[l]);
        if (c->seed_results) c->seed_results[s] = *r;
    }
    res->n_done = c->n_seeds;
    res->total_s = progress_now() - t0;
    if (!rc) warn_gap(x, res);
    if (!rc && dist_is_root()) rc = results_write(res);
    return rc;
}

int protocol_run(const protocol_config *c) {
    if (!c->weak_dir || !c->strong_dir || !c->data_path || !c->out_dir)
        return W2S_FAIL("--weak, --strong, --data and --out are required");
    if (c->n_seeds == 0 || c->n_seeds > RESULTS_MAX_SEEDS || c->n_losses == 0 || c->n_losses > RESULTS_MAX_LOSSES)
        return W2S_FAIL("1 to %d seeds and 1 to %d losses", RESULTS_MAX_SEEDS, RESULTS_MAX_LOSSES);
    if (c->epochs == 0 || c->batch == 0) return W2S_FAIL("--epochs and --batch must be > 0");
    if (c->optimizer == PROTOCOL_ADAM && c->weight_decay > 0)
        return W2S_FAIL("--weight-decay %g needs --optimizer adamw (adam has no weight decay)", (double)c->weight_decay);
    if (w2s_is_stdout(c->out_dir)) return W2S_FAIL("--out - (standard output) cannot hold a folder of results: name a folder");
    // Every path below is built in a W2S_PATH_MAX buffer from one of these and a short suffix.
    if (w2s_path_arg_check(c->weak_dir, "--weak") || w2s_path_arg_check(c->strong_dir, "--strong") ||
        w2s_path_arg_check(c->data_path, "--data") || w2s_path_arg_check(c->test_path, "--test") ||
        w2s_path_arg_check(c->out_dir, "--out"))
        return -1;
    double t0 = progress_now();
    // Under MPI (the current scope of world.h: the world, or one rank running its own tasks)
    // only rank 0 writes, and only the world's rank 0 prints.
    protocol_config cl = *c;
    const char *why;
    cl.quiet = c->quiet || dist_world_rank() != 0;
    run_ctx x = {.c = &cl, .warnings = json_array()};
    c = &cl;
    char cache[W2S_PATH_MAX];
    int rc = x.warnings ? 0 : W2S_FAIL("out of memory");
    if (!rc && !c->hash_cache) rc = w2s_path_format(cache, sizeof cache, "%s/file_hashes.json", c->out_dir);
    if (!rc) rc = file_hash_cache_open(&x.hashes, c->hash_cache ? c->hash_cache : cache);
    if (!rc) rc = load_inputs(&x);
    if (!rc) warn_inputs(&x);
    if (!rc) cl.parallel = protocol_parallel_choose(c->parallel, dist_size(), c->n_seeds,
                                                    gpt2_num_params(&x.cs, GPT2_LM_NONE, 0), &why);
    // Data parallelism splits every batch over the ranks: the label→student ring is one
    // process's plan. Labeling first gives the same numbers (docs/ARCHITECTURE.md).
    const bool data_parallel = dist_size() > 1 && c->parallel == PROTOCOL_PARALLEL_DATA;
    cl.no_pipeline = c->no_pipeline || data_parallel;
    if (!rc && dist_size() > 1 && !c->quiet)
        fprintf(stderr, "w2s run: %d ranks, --parallel %s (%s)\n", dist_size(), protocol_parallel_name(c->parallel),
                why);
    if (!rc && dist_is_root()) rc = w2s_mkdir_p(c->out_dir);
    if (!rc && dist_is_root()) rc = file_hash_cache_save(&x.hashes);
    dist_survey *world = NULL;
    if ((rc = dist_agree(rc)) == 0) rc = (world = dist_survey_take(omp_get_max_threads())) ? 0 : -1;
    results_run *res = calloc(1, sizeof *res);
    json_t *cfg = c->config_json ? json_deep_copy(c->config_json) : json_object();
    if (!rc && (!res || !cfg)) rc = W2S_FAIL("out of memory");
    if (!rc) {
        json_object_set_new(cfg, "resolved", resolved_json(&x));
        res->config = cfg;
        res->out_dir = c->out_dir;
        res->label_precision = x.label_precision;
        res->n_losses = c->n_losses;
        memcpy(res->losses, c->losses, sizeof c->losses);
        res->n_classes = x.K;
        res->world = world;
        res->parallel = dist_size() > 1 ? protocol_parallel_name(c->parallel) : NULL;
        res->warnings = x.warnings;
        res->provenance = provenance_json(&x);
        res->n_test = x.n_test;
    }
    if ((rc = dist_agree(rc)) == 0 && dist_size() > 1 && c->parallel == PROTOCOL_PARALLEL_TASKS)
        rc = run_seeds_tasks(&x, res, t0);
    else
        for (size_t s = 0; s < c->n_seeds && !rc; s++) {
            rc = run_seed(&x, c->seeds[s], &res->seeds[s]);
            if (!rc) {
                if (c->seed_results) c->seed_results[s] = res->seeds[s];
                res->n_done = s + 1;
                res->total_s = progress_now() - t0;
                if (res->n_done == c->n_seeds) warn_gap(&x, res);
                if (dist_is_root()) rc = results_write(res);
            }
        }
    if (!rc && !c->quiet && !c->seed_results) {
        print_table(stdout, res);
        printf("\nwrote %s/results.json, results_summary.json, report.html; weak labels in %s/seed<k>/weak_labels.jsonl\n",
               c->out_dir, c->out_dir);
    }
    json_decref(cfg);
    if (res) json_decref(res->provenance);
    json_decref(x.warnings);
    file_hash_cache_close(&x.hashes);
    free(res);
    free(world);
    tokenizer_free(x.tok);
    dataset_free(&x.pool);
    dataset_free(&x.test_file);
    return rc;
}
