// protocol.c — the W2S run's orchestration: inputs, per-seed steps with reuse and resume, the
// results (protocol.h). Its sanity checks live in protocol_checks.c, its records on disk
// (step.json, labels, provenance) in protocol_steps.c.
// Step records are written LAST, after the files they vouch for, so a step whose record exists
// with the right hash is complete.
#include "protocol_internal.h"

#include "error.h"
#include "file_hash.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "labeler.h"
#include "metrics.h"
#include "progress.h"
#include "protocol_pipeline.h"
#include "tokenizer.h"
#include "trainer.h"
#include "world.h"

#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROTOCOL_FORMAT "w2s-protocol-1"  // bump when step outputs change meaning

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
    if (!protocol_is_dir(path)) return hash_file(fc, PROTOCOL_HASH_INIT, path);
    char p[4096];
    snprintf(p, sizeof p, "%s/config.json", path);
    uint64_t h = hash_file(fc, PROTOCOL_HASH_INIT, p);
    snprintf(p, sizeof p, "%s/model.safetensors", path);
    return hash_file(fc, h, p);
}

static int load_inputs(run_ctx *x) {
    const protocol_config *c = x->c;
    if (gpt2_checkpoint_config(c->weak_dir, &x->cw) != 0) return w2s_error_wrap("weak model %s", c->weak_dir);
    if (gpt2_checkpoint_config(c->strong_dir, &x->cs) != 0) return w2s_error_wrap("strong model %s", c->strong_dir);
    if (x->cw.vocab_size != x->cs.vocab_size)
        return W2S_FAIL("weak model %s has vocab_size %zu but strong model %s has %zu (weak and strong "
                        "models must share one tokenizer)", c->weak_dir, x->cw.vocab_size, c->strong_dir, x->cs.vocab_size);
    if (protocol_check_model_file(c->weak_dir, &x->cw, "weak") || protocol_check_model_file(c->strong_dir, &x->cs, "strong")) return -1;
    size_t P = x->cw.n_positions < x->cs.n_positions ? x->cw.n_positions : x->cs.n_positions;
    // A chain's models between the weak and the strong one: same checks, before any training.
    for (size_t j = 1; j + 1 < x->n_chain; j++) {
        char role[48];
        snprintf(role, sizeof role, "--chain model %zu", j + 1);
        if (gpt2_checkpoint_config(x->chain_dir[j], &x->chain_cfg[j]) != 0)
            return w2s_error_wrap("%s %s", role, x->chain_dir[j]);
        if (x->chain_cfg[j].vocab_size != x->cs.vocab_size)
            return W2S_FAIL("%s %s has vocab_size %zu but the strong model %s has %zu (a chain's models must share "
                            "one tokenizer)", role, x->chain_dir[j], x->chain_cfg[j].vocab_size, c->strong_dir,
                            x->cs.vocab_size);
        if (protocol_check_model_file(x->chain_dir[j], &x->chain_cfg[j], role)) return -1;
        if (x->chain_cfg[j].n_positions < P) P = x->chain_cfg[j].n_positions;
    }
    x->max_ctx = c->max_ctx ? c->max_ctx : (P < 1024 ? P : 1024);
    if (x->max_ctx > P)
        return W2S_FAIL("--max-ctx %zu exceeds the models' n_positions %zu", x->max_ctx, P);
    if (c->tokenizer_dir && !tokenizer_dir_present(c->tokenizer_dir))
        return W2S_FAIL("--tokenizer %s: not a directory holding vocab.json + merges.txt (or encoder.json + vocab.bpe)",
                        c->tokenizer_dir);
    const char *tdir = c->tokenizer_dir ? c->tokenizer_dir
                       : protocol_is_dir(c->strong_dir) && tokenizer_dir_present(c->strong_dir) ? c->strong_dir
                       : protocol_is_dir(c->weak_dir) && tokenizer_dir_present(c->weak_dir) ? c->weak_dir : NULL;
    x->tok_dir = tdir;
    if (tdir) {
        if (!(x->tok = tokenizer_load_dir(tdir))) return w2s_error_wrap("tokenizer of %s", tdir);
        if (tokenizer_vocab_size(x->tok) > x->cs.vocab_size)
            return W2S_FAIL("the tokenizer in %s has %zu tokens but the models' vocab_size is %zu (tokenizer and "
                            "model files do not match)", tdir, tokenizer_vocab_size(x->tok), x->cs.vocab_size);
    }
    // Without --n-classes, a classification model's own label set (config.json's id2label or
    // num_labels, the strong model's first) gives K; weak and strong must not disagree.
    size_t K = c->n_classes;
    const char *K_from = NULL;
    if (!K && x->cw.n_classes && x->cs.n_classes && x->cw.n_classes != x->cs.n_classes)
        return W2S_FAIL("weak model %s has %zu classes (config.json's id2label) but strong model %s has %zu: give "
                        "--n-classes K", c->weak_dir, x->cw.n_classes, c->strong_dir, x->cs.n_classes);
    if (!K && (x->cs.n_classes || x->cw.n_classes)) {
        K_from = x->cs.n_classes ? c->strong_dir : c->weak_dir;
        K = x->cs.n_classes ? x->cs.n_classes : x->cw.n_classes;
    }
    dataset_options o = {.require_labels = 1, .keep_raw = 1, .max_ctx = x->max_ctx, .truncate = c->truncate,
                         .n_classes = K,
                         .vocab_size = (int64_t)x->cs.vocab_size, .tokenize = x->tok ? tokenizer_encode_cb : NULL,
                         .tokenize_ctx = x->tok};
    if (dataset_load(&x->pool, c->data_path, &o) != 0)
        return K_from ? w2s_error_wrap("%zu classes from %s/config.json's id2label (--n-classes K overrides it)", K,
                                       K_from)
                      : -1;
    if (x->pool.n == 0) return W2S_FAIL("%s: no usable examples (%zu lines, %zu longer than %zu tokens)", c->data_path,
                                        x->pool.stats.n_lines, x->pool.stats.n_too_long, x->max_ctx);
    x->K = x->pool.n_classes;
    if (!K && protocol_check_inferred_classes(x) != 0) return -1;
    if (K_from && c->print_table)
        printf("data: %zu examples in %zu classes, from %s/config.json's id2label; --n-classes K sets the count\n",
               x->pool.n, x->K, K_from);
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
    // The students default to the ceiling's rate, as the reference's transfer_lr does (they train the same model).
    x->lr_transfer = c->lr_transfer > 0 ? c->lr_transfer : x->lr_strong;
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
    if (x->n_chain) {  // the ends are the weak and strong models; the students' settings on each
        x->chain_cfg[0] = x->cw;
        x->chain_cfg[x->n_chain - 1] = x->cs;
        for (size_t j = 0; j < x->n_chain; j++) {
            gpt2_config *cj = &x->chain_cfg[j];
            cj->n_classes = x->K;
            x->chain_hash[j] = j == 0 ? x->weak_model_hash
                               : j + 1 == x->n_chain ? x->strong_model_hash : hash_model(&x->hashes, x->chain_dir[j]);
            size_t mb = c->minibatch ? c->minibatch
                                     : trainer_auto_minibatch(cj, c->precision, x->max_len, c->batch, TRAINER_ACT_BUDGET);
            x->chain_mb[j] = j == 0 ? x->mb_weak : j + 1 == x->n_chain ? x->mb_strong : mb > c->batch ? c->batch : mb;
            // The last hop trains the strong model exactly as the direct students do; a middle
            // model takes --transfer-lr, else --lr, else the rule for its own size.
            x->chain_lr[j] = j + 1 == x->n_chain ? x->lr_transfer
                             : c->lr_transfer > 0 ? c->lr_transfer : c->lr > 0 ? c->lr : trainer_default_lr(cj);
        }
    }
    return 0;
}

// ---- training steps

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

// Trains, evaluates and records one model, or reuses its record. *out_model (may be NULL)
// gets the trained model when it was trained here (caller destroys it).
static int run_train_step(const run_ctx *x, uint64_t seed, const train_step *s, results_model *r,
                          gpt2_model **out_model) {
    const protocol_config *c = x->c;
    char dir[4096], ckpt[4200], model_file[4200], label[96];
    protocol_step_dir(dir, sizeof dir, c->out_dir, seed, s->name);
    snprintf(ckpt, sizeof ckpt, "%s/train.ckpt", dir);
    snprintf(model_file, sizeof model_file, "%s/model.safetensors", dir);
    snprintf(label, sizeof label, "seed %" PRIu64 " %s", seed, s->name);
    if (out_model) *out_model = NULL;
    memset(r, 0, sizeof *r);
    if (protocol_step_load_shared(dir, s->key, r, s->keep_model ? model_file : NULL)) {
        if (!c->quiet) fprintf(stderr, "%s: reused (accuracy %.4f)\n", label, r->accuracy);
        return 0;
    }
    // The same step of another run (a sweep's other pairs): same key, so the same inputs.
    for (size_t i = 0; i < c->n_reuse_dirs; i++) {
        char other[4096], other_model[4200];
        protocol_step_dir(other, sizeof other, c->reuse_dirs[i], seed, s->name);
        snprintf(other_model, sizeof other_model, "%s/model.safetensors", other);
        memset(r, 0, sizeof *r);
        if (!protocol_step_load(other, s->key, r) || (s->keep_model && !w2s_file_exists(other_model))) continue;
        if (protocol_copy_step(other, dir) != 0) return -1;
        if (c->reuse) {
            if (!strcmp(s->name, "weak")) c->reuse->weak++;
            else if (!strcmp(s->name, "ceiling")) c->reuse->ceiling++;
            else c->reuse->students++;
        }
        if (!c->quiet) fprintf(stderr, "%s: reused from %s (same inputs and settings; accuracy %.4f)\n", label,
                               c->reuse_dirs[i], r->accuracy);
        return 0;
    }
    const char *why = protocol_step_stale_reason(dir, s->key, x->data_hash, s->model_hash);
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
    if (!rc && (s->keep_model || c->save_models) && dist_is_root()) rc = protocol_save_model_dir(x, m, dir, model_file);
    if (!rc) {
        *r = (results_model){.accuracy = ev.accuracy, .auroc = ev.auroc,
                             .final_loss = st.final_loss, .steps = st.steps, .n_train = s->train.n,
                             .train_s = st.seconds, .eval_s = ev.seconds, .resumed_step = st.resumed_step,
                             .n_curve = st.n_curve, .one_class = protocol_one_class(logits, s->test.n, x->K)};
        memcpy(r->curve, st.curve, st.n_curve * sizeof st.curve[0]);
        if (!isfinite(ev.auroc) && ev.auroc_reason) snprintf(r->auroc_reason, sizeof r->auroc_reason, "%s", ev.auroc_reason);
        size_t B = c->batch < s->train.n ? c->batch : s->train.n;
        r->examples_per_s = st.seconds > 0 ? (double)((st.steps - st.resumed_step) * B) / st.seconds : NAN;
        // Its test predictions (argmax), kept for the student-supervisor agreement.
        int32_t *pred = malloc((s->test.n ? s->test.n : 1) * sizeof(int32_t));  // (n_test)
        for (size_t i = 0; pred && i < s->test.n; i++) pred[i] = (int32_t)metrics_argmax(logits + i * x->K, x->K);
        rc = pred ? protocol_step_save(dir, s->key, r, x->data_hash, s->model_hash, pred, s->test.n)
                  : W2S_FAIL("out of memory");
        free(pred);
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

// The labeling model (the weak one, or a chain hop's: step) in the labeling precision:
// `weak` itself when it fits, else loaded from its step (caller destroys it when it differs
// from `weak`). mb: its minibatch.
static gpt2_model *labeling_model(const run_ctx *x, uint64_t seed, const char *step, gpt2_model *weak, size_t mb) {
    const protocol_config *c = x->c;
    char rec[4200], jsonl[4200], model_file[4200];
    protocol_label_paths(x, seed, step, rec, jsonl, model_file);
    // int8 quantizes the trained weak model's fp32 master weights; fp32/bf16 label with a copy
    // in that precision (the trained one may have been created for the other).
    gpt2_precision want = c->label_precision == PROTOCOL_LABEL_BF16 ? GPT2_BF16 : GPT2_FP32;
    bool reload = !weak || (c->label_precision != PROTOCOL_LABEL_INT8 && weak->opt.precision != want);
    return reload ? load_model(x, model_file, mb, c->label_precision == PROTOCOL_LABEL_INT8 ? c->precision : want)
                  : weak;
}

// Soft labels (n, K) and hard labels (n) of train2 by the weak model, reused from
// OUT/seed<k>/labels.safetensors when its key matches; otherwise computed (loading the weak
// model from its step if `weak` is NULL) and written with weak_labels.jsonl.
// step NULL: the weak model's labels; a chain hop's step: its model's (mb: its minibatch).
static int run_label_step(const run_ctx *x, uint64_t seed, const dataset_split *sp, const char *step,
                          gpt2_model *weak, size_t mb, uint64_t key, float *soft, int32_t *hard, double *label_s,
                          double *label_rate) {
    const protocol_config *c = x->c;
    const size_t n = sp->n_train2, K = x->K;
    *label_s = 0;
    *label_rate = NAN;
    if (protocol_labels_reuse(x, seed, step, n, key, soft, hard)) return 0;
    gpt2_model *m = labeling_model(x, seed, step, weak, mb);
    if (!m) return -1;
    double t0 = progress_now();
    labeler_model lm = {0};
    int rc = 0;
    if (c->label_precision == PROTOCOL_LABEL_INT8) rc = (lm.q = labeler_int8_create(m, mb, x->max_len)) ? 0 : -1;
    else lm.m = m;
    if (!rc) rc = labeler_logits_sharded(&lm, &x->pool, sp->train2, n, K, soft, NULL, true);
    gpt2_int8_destroy(lm.q);
    if (!rc) {
        trainer_soft_labels(soft, n, K, soft, hard);
        rc = protocol_labels_save(x, seed, step, sp, key, soft, hard);
    }
    *label_s = progress_now() - t0;
    *label_rate = *label_s > 0 ? (double)n / *label_s : NAN;
    if (!rc && !c->quiet)
        fprintf(stderr, "seed %" PRIu64 "%s%s labels: %zu examples in %.1f s\n", seed, step ? " " : "", step ? step : "",
                n, *label_s);
    if (m != weak) gpt2_destroy(m);
    return rc ? w2s_error_wrap("labeling train2 (seed %" PRIu64 "%s%s)", seed, step ? ", " : "", step ? step : "") : 0;
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
    protocol_step_dir(dir, sizeof dir, c->out_dir, seed, s0->name);
    if (protocol_step_load(dir, s0->key, &probe)) return 0;
    if (protocol_labels_reuse(x, seed, NULL, n, key, soft, hard)) {
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
    gpt2_model *m = labeling_model(x, seed, NULL, weak, x->mb_weak);
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
    if (!rc) rc = protocol_labels_save(x, seed, NULL, sp, key, soft, hard);
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
// A model trained on train2's labels `targets` (the weak model's, or a chain hop's whose key is
// labels_key) with loss l: a student, or a chain hop. model_key: the model's content and
// minibatch in the seed (strong_key for the strong model).
static train_step transfer_step(const run_ctx *x, size_t l, const char *name, const char *model_path,
                                uint64_t model_hash, uint64_t model_key, float lr, size_t minibatch,
                                const dataset_split *sp, const float *targets, trainer_data test, uint64_t labels_key) {
    train_step s = {.name = name, .model_path = model_path, .model_hash = model_hash, .lr = lr,
                    .epochs = x->epochs_transfer, .minibatch = minibatch,
                    .train = {.ds = &x->pool, .idx = sp->train2, .n = sp->n_train2, .targets = targets}, .test = test};
    loss_config_default(&s.loss, x->c->losses[l]);
    if (x->c->aux_coef >= 0) s.loss.aux_coef = x->c->aux_coef;
    if (x->c->aux_warmup >= 0) s.loss.warmup_frac = x->c->aux_warmup;
    s.key = hashf(model_key ^ labels_key, "%s lr %a ep %zu aux %a warm %a a %a b %a", name, (double)lr,
                  x->epochs_transfer, (double)s.loss.aux_coef, (double)s.loss.warmup_frac, (double)s.loss.alpha,
                  (double)s.loss.beta);
    return s;
}

static train_step student_step(const run_ctx *x, size_t l, const dataset_split *sp, const float *soft,
                               trainer_data test, uint64_t strong_key, uint64_t labels_key, char *name) {
    snprintf(name, 64, "student_%s", loss_kind_name(x->c->losses[l]));
    return transfer_step(x, l, name, x->c->strong_dir, x->strong_model_hash, strong_key, x->lr_transfer, x->mb_strong,
                         sp, soft, test, labels_key);
}

// ---- bootstrapping (--chain)

// Hop h (1..k-1) of loss l's chain: M_{h+1} trained on M_h's labels of train2 (targets, key
// labels_key; the weak model's for hop 1). Hop 1 of a 2-model chain is the student itself:
// the same name and key, so it is the student's step, reused.
static train_step chain_step(const run_ctx *x, size_t l, size_t h, const dataset_split *sp, const float *targets,
                             trainer_data test, uint64_t seed_hash, uint64_t labels_key, char *name) {
    protocol_chain_step_name(x, l, h, name);
    uint64_t model_key = hashf(seed_hash ^ x->chain_hash[h], "strong mb %zu", x->chain_mb[h]);
    train_step s = transfer_step(x, l, name, x->chain_dir[h], x->chain_hash[h], model_key, x->chain_lr[h],
                                 x->chain_mb[h], sp, targets, test, labels_key);
    s.keep_model = h + 1 < x->n_chain;  // a middle model labels train2 for the next hop
    return s;
}

// Loss l's chain, hop by hop; each middle model labels train2 (in its step directory, keyed
// like the weak labels) for the next. weak_soft (n_train2, K): the weak model's labels.
static int run_chain(const run_ctx *x, uint64_t seed, const dataset_split *sp, const float *weak_soft,
                     trainer_data test, uint64_t seed_hash, uint64_t labels_key, size_t l, results_seed *r) {
    const size_t n = sp->n_train2;
    float *soft = malloc(n * x->K * sizeof(float));  // (n, K) the latest middle model's labels
    int32_t *hard = malloc(n * sizeof(int32_t));      // (n)
    int rc = soft && hard ? 0 : W2S_FAIL("out of memory");
    const float *targets = weak_soft;
    for (size_t h = 1; h < x->n_chain && !rc; h++) {
        char name[64];
        train_step s = chain_step(x, l, h, sp, targets, test, seed_hash, labels_key, name);
        gpt2_model *m = NULL;
        rc = run_train_step(x, seed, &s, &r->chain[l][h - 1], &m);
        if (!rc && h + 1 < x->n_chain) {
            double label_s, label_rate;
            labels_key = hashf(s.key, "labels %s", x->label_precision);
            rc = run_label_step(x, seed, sp, name, m, x->chain_mb[h], labels_key, soft, hard, &label_s, &label_rate);
            targets = soft;
        }
        gpt2_destroy(m);
    }
    if (!rc)
        r->chain_pgr[l] = metrics_pgr(r->weak.accuracy, r->chain[l][x->n_chain - 2].accuracy, r->ceiling.accuracy, NULL);
    free(soft);
    free(hard);
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
    rc = protocol_check_classes(x, sp.train1, sp.n_train1, "train1 (weak model's training)", seed);
    if (!rc) rc = protocol_check_classes(x, sp.train2, sp.n_train2, "train2 (ceiling's training)", seed);
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
        rc = run_label_step(x, seed, &sp, NULL, weak, x->mb_weak, labels_key, soft, hard, &r->label_s,
                            &r->label_examples_per_s);
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
    for (size_t l = 0; l < c->n_losses && !rc && x->n_chain; l++)
        rc = run_chain(x, seed, &sp, soft, test, seed_hash, labels_key, l, r);
    if (!rc) protocol_seed_agreement(x, seed, test.n, r);
    if (!rc) {
        size_t *cnt = calloc(K, sizeof(size_t)), most = 0;
        if (cnt) dataset_class_counts(test.ds, test.idx, test.n, cnt);
        for (size_t k = 0; cnt && k < K; k++) most = cnt[k] > most ? cnt[k] : most;
        free(cnt);
        double majority = test.n ? (double)most / (double)test.n : NAN;
        protocol_warn_model(x, seed, "weak", &r->weak, majority, x->lr_weak, "--weak-lr", &x->cw);
        protocol_warn_model(x, seed, "ceiling", &r->ceiling, majority, x->lr_strong, "--strong-lr", &x->cs);
        for (size_t l = 0; l < c->n_losses; l++) {
            char name[64];
            snprintf(name, sizeof name, "student %s", loss_kind_name(c->losses[l]));
            protocol_warn_model(x, seed, name, &r->students[l], majority, x->lr_transfer, "--transfer-lr", &x->cs);
            for (size_t h = 1; x->n_chain > 2 && h < x->n_chain; h++) {  // (a 2-model chain's hop is the student)
                protocol_chain_step_name(x, l, h, name);
                protocol_warn_model(x, seed, name, &r->chain[l][h - 1], majority, x->chain_lr[h], "--transfer-lr",
                                    &x->chain_cfg[h]);
            }
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
    if (!rc) protocol_warn_gap(x, res);
    if (!rc && dist_is_root()) rc = results_write(res);
    return rc;
}

// --chain M1,...,Mk into x (which owns the strings): cl's weak and strong become M1 and Mk.
static int chain_parse(run_ctx *x, protocol_config *cl) {
    if (cl->weak_dir || cl->strong_dir)
        return W2S_FAIL("--chain names the weak and strong models (its first and last): drop --%s",
                        cl->weak_dir ? "weak" : "strong");
    if (strlen(cl->chain) >= sizeof x->chain_text) return W2S_FAIL("--chain: the list is too long");
    snprintf(x->chain_text, sizeof x->chain_text, "%s", cl->chain);
    for (char *p = x->chain_text, *comma;; p = comma + 1) {
        comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (!*p) return W2S_FAIL("--chain %s: an empty model in the list (give M1,M2,...,Mk, weak first)", cl->chain);
        if (x->n_chain == RESULTS_MAX_CHAIN) return W2S_FAIL("--chain %s: at most %d models", cl->chain, RESULTS_MAX_CHAIN);
        if (w2s_path_arg_check(p, "--chain")) return -1;
        x->chain_dir[x->n_chain++] = p;
        if (!comma) break;
    }
    if (x->n_chain < 2) return W2S_FAIL("--chain %s: give at least two models, M1,M2 (weak first)", cl->chain);
    cl->weak_dir = x->chain_dir[0];
    cl->strong_dir = x->chain_dir[x->n_chain - 1];
    return 0;
}

int protocol_run(const protocol_config *c) {
    // Under MPI (the current scope of world.h: the world, or one rank running its own tasks)
    // only rank 0 writes, and only the world's rank 0 prints.
    protocol_config cl = *c;
    run_ctx x = {.c = &cl};
    if (c->chain && chain_parse(&x, &cl) != 0) return -1;
    c = &cl;
    if (!c->weak_dir || !c->strong_dir || !c->data_path || !c->out_dir)
        return W2S_FAIL("--weak, --strong (or --chain), --data and --out are required");
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
    const char *why;
    cl.quiet = c->quiet || dist_world_rank() != 0;
    cl.print_table = c->print_table && !c->seed_results && dist_world_rank() == 0;
    x.warnings = json_array();
    char cache[W2S_PATH_MAX];
    int rc = x.warnings ? 0 : W2S_FAIL("out of memory");
    if (!rc && !c->hash_cache) rc = w2s_path_format(cache, sizeof cache, "%s/file_hashes.json", c->out_dir);
    if (!rc) rc = file_hash_cache_open(&x.hashes, c->hash_cache ? c->hash_cache : cache);
    if (!rc) rc = load_inputs(&x);
    if (!rc) protocol_warn_inputs(&x);
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
        json_object_set_new(cfg, "resolved", protocol_resolved_json(&x));
        res->config = cfg;
        res->out_dir = c->out_dir;
        res->label_precision = x.label_precision;
        res->n_losses = c->n_losses;
        memcpy(res->losses, c->losses, sizeof c->losses);
        res->n_classes = x.K;
        res->world = world;
        res->parallel = dist_size() > 1 ? protocol_parallel_name(c->parallel) : NULL;
        res->warnings = x.warnings;
        res->provenance = protocol_provenance_json(&x);
        res->n_test = x.n_test;
        res->n_chain = x.n_chain;
        memcpy(res->chain_models, x.chain_dir, sizeof x.chain_dir);
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
                if (res->n_done == c->n_seeds) protocol_warn_gap(&x, res);
                if (dist_is_root()) rc = results_write(res);
            }
        }
    if (!rc && c->print_table) {
        results_print_table(stdout, res);
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
