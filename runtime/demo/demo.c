// demo.c — `w2s demo`: docs/DEMO.md's recipe end to end (demo.h). Pretraining of the weak and
// strong bodies on the captioned pool, features at position 49, the four probe runs per seed
// (or, with --finetune, one protocol run per seed: demo_finetune.h), and the outputs. Every
// seed varies pretraining, the A/B split and the batch order; the pretraining/probe
// permutation of the 60k training images is fixed. Under mpirun/srun the seeds are shared
// out over the ranks (each alone on its cores); rank 0 writes the one results set.
#include "demo.h"

#include "demo_finetune.h"
#include "demo_report.h"
#include "demo_transfer.h"
#include "error.h"
#include "fileio.h"
#include "gpt2.h"
#include "gpt2_checkpoint.h"
#include "gpt2_int8.h"
#include "image_tokens.h"
#include "metrics.h"
#include "pretrain.h"
#include "probe.h"
#include "prof.h"
#include "progress.h"
#include "protocol_pipeline.h"
#include "rng.h"
#include "safetensors.h"
#include "world.h"

#include <jansson.h>
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_T 50              // [BOS, t1..t49]
#define DEMO_FEATURE_POS 49    // the position that predicts the caption
#define DEMO_POOL 50000        // captioned pretraining pool
#define DEMO_PROBE 10000       // probe pool (never captioned or pretrained on)
#define DEMO_PERM_SEED 0x5eedf00dULL
#define DEMO_BATCH 64

typedef struct {
    const char *name;
    gpt2_config cfg;
    size_t steps;
    float lr;
    uint64_t init_stream;  // initial weights from seed·2 + init_stream
} demo_model_recipe;

// docs/DEMO.md "Models" and "Pretraining".
static const demo_model_recipe weak_recipe = {
    "weak", {.n_layer = 1, .n_head = 2, .n_embd = 32, .vocab_size = IMAGE_TOKEN_VOCAB_IN,
             .n_positions = DEMO_T, .n_classes = 0, .ln_eps = 1e-5f}, 300, 3e-3f, 0};
static const demo_model_recipe strong_recipe = {
    "strong", {.n_layer = 4, .n_head = 4, .n_embd = 128, .vocab_size = IMAGE_TOKEN_VOCAB_IN,
               .n_positions = DEMO_T, .n_classes = 0, .ln_eps = 1e-5f}, 500, 2e-3f, 1};
// --bootstrap's intermediate body, between the two in width, depth and pretraining (its own
// initialization stream, far from every seed·2 + {0, 1} of the others).
static const demo_model_recipe mid_recipe = {
    "mid", {.n_layer = 2, .n_head = 2, .n_embd = 64, .vocab_size = IMAGE_TOKEN_VOCAB_IN,
            .n_positions = DEMO_T, .n_classes = 0, .ln_eps = 1e-5f}, 400, 2.5e-3f, 1ULL << 40};

// tokens/targets (n, T) for the images idx[0..n) of split: [BOS, t1..t49] → [t1..t49, caption].
static void encode_sequences(const fmnist_split *s, const size_t *idx, size_t n, int32_t *tokens,
                             int32_t *targets) {
    for (size_t i = 0; i < n; i++) {
        const size_t im = idx ? idx[i] : i;
        int32_t *tk = tokens + i * DEMO_T, *tg = targets + i * DEMO_T;
        tk[0] = IMAGE_TOKEN_BOS;
        image_tokens_encode(s->pixels + im * FMNIST_PIXELS, tk + 1);
        memcpy(tg, tk + 1, (DEMO_T - 1) * sizeof(int32_t));
        tg[DEMO_T - 1] = IMAGE_TOKEN_CAPTION0 + s->labels[im];
    }
}

typedef struct {
    const int32_t *pool_tokens, *pool_targets;   // (n_pool, T)
    const int32_t *probe_tokens, *test_tokens;   // (n_probe, T), (n_test, T)
    const int32_t *test_targets;                 // (n_test, T)
    size_t n_pool, n_probe, n_test;
    const topology *topo;                        // this machine, for the label/train plan
} demo_data;

// ---- cache of pretrained bodies
// Key: FNV-1a of everything that determines the weights (recipe, data prefix size, seeds).
// The thread count and ISA are not in the key: they change the last bits of a pretraining
// run, not what it learned, and a cache keyed by them would rarely hit. --fresh recomputes.
// The version (v2: two-worker steps, f32 short-sequence attention) changes whenever the
// pretraining code would make other bodies from the same recipe.
static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

static int cache_paths(const demo_config *c, const demo_model_recipe *r, const pretrain_config *pc, size_t n_pool,
                       uint64_t seed, char *ckpt, char *meta, size_t size) {
    char root[W2S_PATH_ARG_MAX + 1];
    if (c->cache_dir ? w2s_path_format(root, sizeof root, "%s", c->cache_dir) : w2s_cache_dir(root, sizeof root))
        return w2s_error_wrap("demo cache (or pass --cache-dir)");
    char recipe[512];
    snprintf(recipe, sizeof recipe, "w2s-demo-v2|%s|L%zu|H%zu|C%zu|V%zu|P%zu|steps%zu|warm%zu|lr%.9g|b%zu|pool%zu|perm%llx|seed%llu",
             r->name, r->cfg.n_layer, r->cfg.n_head, r->cfg.n_embd, r->cfg.vocab_size, r->cfg.n_positions, pc->steps,
             pc->warmup, pc->lr, pc->batch, n_pool, (unsigned long long)DEMO_PERM_SEED, (unsigned long long)seed);
    snprintf(ckpt, size, "%s/demo-%s-%016llx.safetensors", root, r->name, (unsigned long long)fnv1a(recipe));
    snprintf(meta, size, "%s/demo-%s-%016llx.json", root, r->name, (unsigned long long)fnv1a(recipe));
    return w2s_mkdir_p(root);
}

// Loads a cached body and its pretraining figures; 1 if found and valid, 0 if absent.
static int cache_load(gpt2_model *m, const char *ckpt, const char *meta, demo_body_stats *st) {
    if (!w2s_file_exists(ckpt) || !w2s_file_exists(meta)) return 0;
    json_error_t jerr;
    json_t *j = json_load_file(meta, 0, &jerr);
    double loss = 0, secs = 0;
    json_int_t steps = 0;
    int ok = j && json_unpack(j, "{s:I, s:F, s:F}", "steps", &steps, "train_loss", &loss, "pretrain_s", &secs) == 0;
    json_decref(j);
    if (!ok) return 0;  // a damaged sidecar means: pretrain again (and overwrite)
    if (gpt2_checkpoint_load_weights(m, ckpt) != 0) return w2s_error_wrap("cached body %s (delete it or use --fresh)", ckpt);
    st->cached = true;
    st->steps = (size_t)steps;
    st->train_loss = loss;
    st->pretrain_s = secs;
    return 1;
}

static int cache_store(const gpt2_model *m, const char *ckpt, const char *meta, const demo_body_stats *st) {
    if (gpt2_checkpoint_save(m, ckpt) != 0) return -1;
    json_t *j = json_pack("{s:I, s:f, s:f}", "steps", (json_int_t)st->steps, "train_loss", st->train_loss,
                          "pretrain_s", st->pretrain_s);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) return W2S_FAIL("cannot serialize %s", meta);
    int rc = w2s_write_file_atomic(meta, text, strlen(text));  // after the checkpoint: its presence marks completion
    free(text);
    return rc;
}

// Features of a cached body: "<checkpoint stem>.features-p<probe>-t<test>.safetensors" with
// tensors probe (n_probe, C) and test (n_test, C) and the test LM figures as metadata. They
// depend only on the body's weights and the data, so a warm run skips every forward pass.
static void features_path(const char *ckpt, const demo_data *d, char *out, size_t size) {
    const char *dot = strrchr(ckpt, '.');
    int stem = dot ? (int)(dot - ckpt) : (int)strlen(ckpt);
    snprintf(out, size, "%.*s.features-p%zu-t%zu.safetensors", stem, ckpt, d->n_probe, d->n_test);
}

// 1 if loaded, 0 if absent or unusable (then they are recomputed and the file rewritten).
static int features_load(const char *path, const demo_data *d, size_t C, float *probe, float *test,
                         demo_body_stats *st) {
    if (!w2s_file_exists(path)) return 0;
    safetensors_file *f = safetensors_open(path);
    const size_t ps[2] = {d->n_probe, C}, ts[2] = {d->n_test, C};
    const char *loss = f ? safetensors_metadata(f, "test_lm_loss") : NULL;
    const char *acc = f ? safetensors_metadata(f, "caption_acc") : NULL;
    int ok = f && loss && acc && safetensors_read_f32(f, "probe", 2, ps, probe) == 0 &&
             safetensors_read_f32(f, "test", 2, ts, test) == 0 && safetensors_check_unchanged(f) == 0;
    if (ok) {
        st->test_loss = strtod(loss, NULL);
        st->caption_acc = strtod(acc, NULL);
    }
    safetensors_close(f);
    return ok;
}

static int features_store(const char *path, const demo_data *d, size_t C, const float *probe, const float *test,
                          const demo_body_stats *st) {
    const size_t ps[2] = {d->n_probe, C}, ts[2] = {d->n_test, C};
    char loss[32], acc[32];
    snprintf(loss, sizeof loss, "%.17g", st->test_loss);
    snprintf(acc, sizeof acc, "%.17g", st->caption_acc);
    safetensors_writer *w = safetensors_writer_create();
    int rc = w ? 0 : W2S_FAIL("out of memory");
    if (!rc) rc = safetensors_writer_add(w, "probe", SAFETENSORS_F32, 2, ps, probe);
    if (!rc) rc = safetensors_writer_add(w, "test", SAFETENSORS_F32, 2, ts, test);
    if (!rc) rc = safetensors_writer_set_metadata(w, "test_lm_loss", loss);
    if (!rc) rc = safetensors_writer_set_metadata(w, "caption_acc", acc);
    if (!rc) rc = safetensors_writer_write(w, path);
    safetensors_writer_destroy(w);
    return rc;
}

// Pretrains one body for `seed` (or loads it from the cache), evaluates it on test and
// extracts probe-pool and test features.
static gpt2_model *demo_body(const demo_model_recipe *r, const demo_config *c, const demo_data *d, uint64_t seed,
                             demo_body_stats *st, float **probe_feat, float **test_feat) {
    gpt2_options opt = {.max_batch = DEMO_BATCH, .max_seq = DEMO_T, .lm_mode = GPT2_LM_UNTIED,
                        .lm_vocab = IMAGE_TOKEN_VOCAB_OUT, .precision = GPT2_BF16};
    gpt2_model *m = gpt2_create(&r->cfg, &opt);
    if (!m) return NULL;
    pretrain_config pc = {.steps = c->quick ? r->steps / 5 : r->steps, .batch = DEMO_BATCH, .lr = r->lr,
                          .lr_floor_frac = 0.1f, .warmup = c->quick ? 6 : 30, .beta1 = 0.9f, .beta2 = 0.95f,
                          .eps = 1e-8f, .weight_decay = 0.1f, .clip_norm = 1.0f, .seed = seed, .quiet = c->quiet,
                          .label = r->name};
    char meta[4096];
    int found = 0;
    if (cache_paths(c, r, &pc, d->n_pool, seed, st->checkpoint, meta, sizeof meta) != 0) goto fail;
    if (!c->fresh && (found = cache_load(m, st->checkpoint, meta, st)) < 0) goto fail;
    if (!found) {
        gpt2_init_random(m, seed * 2 + r->init_stream);
        double t0 = progress_now();
        pretrain_stats ps;
        if (pretrain_run(m, &pc, d->pool_tokens, d->pool_targets, d->n_pool, DEMO_T, &ps) != 0) goto fail;
        st->pretrain_s = progress_now() - t0;
        st->steps = pc.steps;
        st->train_loss = ps.final_loss;
        if (cache_store(m, st->checkpoint, meta, st) != 0) goto fail;
    }
    st->flops = gpt2_train_flops_per_token(m) * (double)(st->steps * DEMO_BATCH * DEMO_T);
    const size_t C = r->cfg.n_embd;
    *probe_feat = malloc(d->n_probe * C * sizeof(float));
    *test_feat = malloc(d->n_test * C * sizeof(float));
    if (!*probe_feat || !*test_feat) {
        W2S_FAIL("out of memory for features");
        goto fail;
    }
    char fpath[4096];
    features_path(st->checkpoint, d, fpath, sizeof fpath);
    if (found && features_load(fpath, d, C, *probe_feat, *test_feat, st)) {
        st->features_cached = true;
        return m;
    }
    double t0 = progress_now();
    if (pretrain_evaluate(m, d->test_tokens, d->test_targets, d->n_test, DEMO_T, DEMO_FEATURE_POS, &st->test_loss,
                          &st->caption_acc, *test_feat) != 0 ||
        pretrain_evaluate(m, d->probe_tokens, NULL, d->n_probe, DEMO_T, DEMO_FEATURE_POS, NULL, NULL,
                          *probe_feat) != 0 ||
        features_store(fpath, d, C, *probe_feat, *test_feat, st) != 0)
        goto fail;
    st->features_s = progress_now() - t0;
    return m;
fail:
    w2s_error_wrap("demo %s model, seed %llu", r->name, (unsigned long long)seed);
    gpt2_destroy(m);
    return NULL;
}

// Gathers rows idx[0..n) of x (·, D) into out (n, D).
static void gather_rows(const float *x, size_t D, const size_t *idx, size_t n, float *out) {
    for (size_t i = 0; i < n; i++) memcpy(out + i * D, x + idx[i] * D, D * sizeof(float));
}

// Trains a probe on (x, y) (already initialized head h) and returns its test accuracy.
static int train_probe(probe_head *h, loss_kind loss, uint64_t seed, size_t epochs, const float *x, const float *y,
                       size_t n, const float *x_test, const int32_t *y_test, size_t n_test, double *acc) {
    probe_config pc;
    probe_config_default(&pc, loss);
    pc.seed = seed;
    pc.epochs = epochs;
    return probe_train(h, &pc, x, y, n) == 0 ? probe_accuracy(h, x_test, y_test, n_test, acc) : -1;
}

// Plans the transfer as `w2s run` does (transfer_plan): the weak int8 forward (2·P·T per
// example) against the students' probe steps, split across cores or interleaved.
static int plan_transfer(const demo_config *c, const demo_data *d, const gpt2_int8 *weak, placement *plan) {
    const gpt2_config *w = gpt2_int8_config(weak);
    double weak_params = (double)w->n_layer * 12.0 * (double)(w->n_embd * w->n_embd);
    placement_request req = {.label_cost = placement_cost_label(weak_params, DEMO_T),
                             .train_cost = placement_cost_train((double)strong_recipe.cfg.n_embd * 2, 1.0),
                             .sequential = !c->pipelined};
    return transfer_plan(d->topo, &req, plan, NULL);
}

// The weak-label transfer of one seed: int8 labels of B streamed into the two students.
static int transfer_students(const demo_config *c, const demo_data *d, gpt2_int8 *weak, const probe_head *weak_head,
                             const size_t *rows, const float *xbs, size_t nb, uint64_t seed, size_t epochs,
                             probe_head students[DEMO_STUDENTS], float *weak_soft, demo_seed_result *res) {
    placement plan;
    if (plan_transfer(c, d, weak, &plan) != 0) return w2s_error_wrap("planning the weak-label transfer");
    demo_transfer t = {.weak = weak, .weak_head = weak_head, .tokens = d->probe_tokens, .rows = rows, .n = nb,
                       .T = DEMO_T, .x_strong = xbs, .weak_soft = weak_soft, .pipelined = !plan.sequential,
                       .topo = d->topo, .plan = &plan};
    const loss_kind losses[DEMO_STUDENTS] = {LOSS_XENT, LOSS_LOGCONF};
    for (int k = 0; k < DEMO_STUDENTS; k++) {
        probe_config_default(&t.student_cfg[k], losses[k]);
        t.student_cfg[k].seed = seed;
        t.student_cfg[k].epochs = epochs;
        t.student_cfg[k].first_epoch_in_order = true;
        if (losses[k] == LOSS_LOGCONF) {
            t.student_cfg[k].loss.aux_coef = c->aux_coef;
            t.student_cfg[k].loss.warmup_frac = c->aux_warmup;
            t.student_cfg[k].threshold = c->threshold;
            t.student_cfg[k].threshold_buffer = c->threshold_buffer;
        }
        t.students[k] = &students[k];
    }
    demo_transfer_stats st;
    int rc = demo_transfer_run(&t, &st);
    res->pipelined = t.pipelined;
    res->transfer_wall_s = st.wall_s;
    res->label_busy_s = st.label_busy_s;
    res->train_busy_s = st.train_busy_s;
    res->first_step_s = st.first_step_s;
    placement_free(&plan);
    return rc;
}

// Argmax agreement and mean |Δp| (over examples and classes) of the int8 labels a (n, K)
// against the bf16 model's b (n, K).
static void label_agreement(const float *a, const float *b, size_t n, size_t K, demo_seed_result *res) {
    size_t same = 0;
    double dp = 0;
    for (size_t i = 0; i < n; i++) {
        same += metrics_argmax(a + i * K, K) == metrics_argmax(b + i * K, K);
        for (size_t k = 0; k < K; k++) dp += fabs((double)a[i * K + k] - (double)b[i * K + k]);
    }
    res->label_agreement = (double)same / (double)n;
    res->label_mean_dp = dp / (double)(n * K);
}

// --finetune: the files every seed's protocol run reads, in OUT/finetune/.
static void finetune_paths(const demo_config *c, char *data, char *test, size_t size) {
    snprintf(data, size, "%s/finetune/probe_pool.jsonl", c->out_dir);
    snprintf(test, size, "%s/finetune/test.jsonl", c->out_dir);
}

static int finetune_write_data(const demo_config *c, const demo_data *d, const int32_t *probe_labels,
                               const int32_t *test_labels) {
    char dir[W2S_PATH_MAX], data[W2S_PATH_MAX], test[W2S_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/finetune", c->out_dir);
    finetune_paths(c, data, test, sizeof data);
    if (w2s_mkdir_p(dir) != 0 ||
        demo_finetune_write_jsonl(data, d->probe_tokens, probe_labels, d->n_probe, DEMO_T) != 0 ||
        demo_finetune_write_jsonl(test, d->test_tokens, test_labels, d->n_test, DEMO_T) != 0)
        return w2s_error_wrap("demo --finetune: writing the data files");
    return 0;
}

// --finetune: the protocol of `w2s run` on the seed's two cached bodies.
static int finetune_seed(const demo_config *c, const demo_data *d, uint64_t seed, demo_seed_result *res) {
    char data[W2S_PATH_MAX], test[W2S_PATH_MAX], out[W2S_PATH_MAX];
    finetune_paths(c, data, test, sizeof data);
    snprintf(out, sizeof out, "%s/finetune/seed%llu", c->out_dir, (unsigned long long)seed);
    demo_finetune_run f = {.weak_ckpt = res->weak_body.checkpoint, .strong_ckpt = res->strong_body.checkpoint,
                           .data_path = data, .test_path = test, .out_dir = out, .n_train = d->n_probe,
                           .seed = seed, .pipelined = c->pipelined, .quiet = c->quiet};
    double t0 = progress_now();
    int rc = demo_finetune_seed(&f, res);
    res->probes_s = progress_now() - t0;
    return rc;
}

// --bootstrap (the paper's bootstrapping): the weak labels of B train a probe on the
// intermediate body's features (xent), its predictions on B train a strong probe (xent). Both
// hops use the same split B as the direct students, so only the supervisor in between differs.
// xbm (nb, Dm), xm_test (n_test, Dm): the intermediate body's features; xbs, xs_test: the strong's.
static int bootstrap_students(const demo_data *d, const float *weak_soft, const float *xbm, const float *xm_test,
                              const float *xbs, const float *xs_test, size_t nb, size_t K, uint64_t seed,
                              size_t epochs, const int32_t *test_labels, demo_seed_result *res) {
    const size_t Dm = mid_recipe.cfg.n_embd, Ds = strong_recipe.cfg.n_embd;
    probe_head mid = {0}, strong = {0};
    float *mid_soft = malloc(nb * K * sizeof(float));  // (nb, K)
    int rc = mid_soft ? 0 : W2S_FAIL("out of memory");
    if (rc == 0) rc = probe_head_init(&mid, Dm, K);
    if (rc == 0) rc = probe_head_init(&strong, Ds, K);
    if (rc == 0)
        rc = train_probe(&mid, LOSS_XENT, seed, epochs, xbm, weak_soft, nb, xm_test, test_labels, d->n_test,
                         &res->acc_mid);
    if (rc == 0) rc = probe_predict(&mid, xbm, nb, mid_soft);
    if (rc == 0)
        rc = train_probe(&strong, LOSS_XENT, seed, epochs, xbs, mid_soft, nb, xs_test, test_labels, d->n_test,
                         &res->acc_bootstrap);
    probe_head_free(&mid);
    probe_head_free(&strong);
    free(mid_soft);
    return rc;
}

static int demo_seed(const demo_config *c, const demo_data *d, const int32_t *probe_labels,
                     const int32_t *test_labels, uint64_t seed, demo_seed_result *res) {
    float *wp = NULL, *wt = NULL, *sp = NULL, *st = NULL, *mp = NULL, *mt = NULL;
    gpt2_model *weak = demo_body(&weak_recipe, c, d, seed, &res->weak_body, &wp, &wt);
    gpt2_model *strong = weak ? demo_body(&strong_recipe, c, d, seed, &res->strong_body, &sp, &st) : NULL;
    if (strong && c->bootstrap) {
        gpt2_model *mid = demo_body(&mid_recipe, c, d, seed, &res->mid_body, &mp, &mt);
        if (!mid) {
            gpt2_destroy(strong);
            strong = NULL;
        }
        gpt2_destroy(mid);  // only its features are needed
    }
    if (c->finetune) {
        int rc = strong ? finetune_seed(c, d, seed, res) : -1;
        gpt2_destroy(weak);
        gpt2_destroy(strong);
        free(wp); free(wt); free(sp); free(st); free(mp); free(mt);
        return rc;
    }
    gpt2_int8 *weak8 = strong ? gpt2_int8_create(weak, DEMO_BATCH, DEMO_T, DEMO_BATCH * DEMO_T) : NULL;
    gpt2_destroy(weak);
    gpt2_destroy(strong);
    if (!weak8) {
        free(wp); free(wt); free(sp); free(st); free(mp); free(mt);
        return -1;
    }
    const size_t na = demo_weak_n(c, d->n_probe), nb = demo_transfer_n(c, d->n_probe);
    const size_t Dw = weak_recipe.cfg.n_embd, Ds = strong_recipe.cfg.n_embd, Dm = mid_recipe.cfg.n_embd;
    const size_t K = demo_classes(c);
    const size_t epochs = c->quick ? 5 : 20;
    size_t *perm = malloc(d->n_probe * sizeof(size_t));
    float *xa = malloc(na * Dw * sizeof(float)), *xbw = malloc(nb * Dw * sizeof(float));
    float *xbs = malloc(nb * Ds * sizeof(float));
    float *ya = malloc(na * K * sizeof(float)), *yb = malloc(nb * K * sizeof(float));  // one-hot
    float *weak_soft = malloc(nb * K * sizeof(float)), *weak_soft_bf16 = malloc(nb * K * sizeof(float));
    float *xbm = c->bootstrap ? malloc(nb * Dm * sizeof(float)) : NULL;
    probe_head weak_head = {0}, ceiling = {0}, students[DEMO_STUDENTS] = {{0}};
    int rc = perm && xa && xbw && xbs && ya && yb && weak_soft && weak_soft_bf16 && (xbm || !c->bootstrap)
                 ? 0 : W2S_FAIL("out of memory");
    if (rc == 0) rc = probe_head_init(&weak_head, Dw, K);
    if (rc == 0) rc = probe_head_init(&ceiling, Ds, K);
    for (int k = 0; k < DEMO_STUDENTS && rc == 0; k++) rc = probe_head_init(&students[k], Ds, K);
    if (rc == 0) {
        rng split_rng;
        rng_seed_stream(&split_rng, seed, 1);
        for (size_t i = 0; i < d->n_probe; i++) perm[i] = i;
        rng_shuffle_indices(&split_rng, perm, d->n_probe);
        // A = perm[0, na): weak, ground truth. B = the last nb of perm: students and ceiling
        // (with the default halves, A and B are the two halves of the shuffled pool).
        const size_t *pa = perm, *pb = perm + (d->n_probe - nb);
        gather_rows(wp, Dw, pa, na, xa);
        gather_rows(wp, Dw, pb, nb, xbw);
        gather_rows(sp, Ds, pb, nb, xbs);
        if (xbm) gather_rows(mp, Dm, pb, nb, xbm);
        for (size_t k = 0; k < K; k++) {
            for (size_t i = 0; i < na; i++) ya[K * i + k] = (float)(probe_labels[pa[i]] == (int32_t)k);
            for (size_t i = 0; i < nb; i++) yb[K * i + k] = (float)(probe_labels[pb[i]] == (int32_t)k);
        }
        double t0 = progress_now();
        rc = train_probe(&weak_head, LOSS_XENT, seed, epochs, xa, ya, na, wt, test_labels, d->n_test, &res->acc_weak);
        if (rc == 0) rc = probe_predict(&weak_head, xbw, nb, weak_soft_bf16);
        if (rc == 0)
            rc = train_probe(&ceiling, LOSS_XENT, seed, epochs, xbs, yb, nb, st, test_labels, d->n_test,
                             &res->acc_ceiling);
        if (rc == 0)
            rc = transfer_students(c, d, weak8, &weak_head, pb, xbs, nb, seed, epochs, students, weak_soft, res);
        if (rc == 0) rc = probe_accuracy(&students[0], st, test_labels, d->n_test, &res->acc_xent);
        if (rc == 0) rc = probe_accuracy(&students[1], st, test_labels, d->n_test, &res->acc_logconf);
        if (rc == 0) label_agreement(weak_soft, weak_soft_bf16, nb, K, res);
        if (rc == 0 && c->bootstrap)
            rc = bootstrap_students(d, weak_soft, xbm, mt, xbs, st, nb, K, seed, epochs, test_labels, res);
        res->probes_s = progress_now() - t0;
        demo_seed_pgrs(res);
    }
    probe_head_free(&weak_head);
    probe_head_free(&ceiling);
    for (int k = 0; k < DEMO_STUDENTS; k++) probe_head_free(&students[k]);
    gpt2_int8_destroy(weak8);
    free(perm); free(xa); free(xbw); free(xbs); free(ya); free(yb); free(weak_soft); free(weak_soft_bf16); free(xbm);
    free(wp); free(wt); free(sp); free(st); free(mp); free(mt);
    return rc;
}

// ---- inputs: the encoded splits shared by demo_run and demo_pretrain_body

typedef struct {
    fmnist_split train, test;
    demo_data d;                              // pointers into mem
    int32_t *mem;                             // every split's tokens/targets, one allocation
    int32_t *probe_labels, *test_labels;      // (n_probe), (n_test) binary task labels
} demo_inputs;

static void demo_inputs_free(demo_inputs *in) {
    free(in->mem); free(in->probe_labels); free(in->test_labels);
    fmnist_free(&in->train);
    fmnist_free(&in->test);
}

static int demo_inputs_read(const demo_config *c, demo_inputs *in) {
    memset(in, 0, sizeof *in);
    if (fmnist_load(&in->train, c->data_dir, "train") != 0) return -1;
    if (fmnist_load(&in->test, c->data_dir, "t10k") != 0) {
        fmnist_free(&in->train);
        return -1;
    }
    if (in->train.n != DEMO_POOL + DEMO_PROBE) {
        size_t got = in->train.n;
        demo_inputs_free(in);
        return W2S_FAIL("demo: expected %d training images, found %zu", DEMO_POOL + DEMO_PROBE, got);
    }
    // --quick keeps the recipe's shape but uses a fraction of every split.
    demo_data *d = &in->d;
    *d = (demo_data){.n_pool = c->quick ? 10000 : DEMO_POOL, .n_probe = c->quick ? 4000 : DEMO_PROBE,
                     .n_test = c->quick ? 4000 : in->test.n};
    size_t *perm = malloc(in->train.n * sizeof(size_t));
    in->mem = malloc((2 * d->n_pool + d->n_probe + 2 * d->n_test) * DEMO_T * sizeof(int32_t));
    in->probe_labels = malloc(d->n_probe * sizeof(int32_t));
    in->test_labels = malloc(d->n_test * sizeof(int32_t));
    int32_t *scratch = malloc(d->n_probe * DEMO_T * sizeof(int32_t));
    if (!perm || !in->mem || !in->probe_labels || !in->test_labels || !scratch) {
        free(perm); free(scratch);
        demo_inputs_free(in);
        return W2S_FAIL("demo: out of memory");
    }
    rng perm_rng;
    rng_seed(&perm_rng, DEMO_PERM_SEED);
    for (size_t i = 0; i < in->train.n; i++) perm[i] = i;
    rng_shuffle_indices(&perm_rng, perm, in->train.n);
    int32_t *pool_tokens = in->mem, *pool_targets = pool_tokens + d->n_pool * DEMO_T;
    int32_t *probe_tokens = pool_targets + d->n_pool * DEMO_T;
    int32_t *test_tokens = probe_tokens + d->n_probe * DEMO_T, *test_targets = test_tokens + d->n_test * DEMO_T;
    encode_sequences(&in->train, perm, d->n_pool, pool_tokens, pool_targets);
    encode_sequences(&in->train, perm + DEMO_POOL, d->n_probe, probe_tokens, scratch);
    encode_sequences(&in->test, NULL, d->n_test, test_tokens, test_targets);
    for (size_t i = 0; i < d->n_probe; i++)
        in->probe_labels[i] = demo_label(c, in->train.labels[perm[DEMO_POOL + i]]);
    for (size_t i = 0; i < d->n_test; i++) in->test_labels[i] = demo_label(c, in->test.labels[i]);
    d->pool_tokens = pool_tokens, d->pool_targets = pool_targets;
    d->probe_tokens = probe_tokens, d->test_tokens = test_tokens, d->test_targets = test_targets;
    free(perm); free(scratch);
    return 0;
}

static int demo_inputs_load(const demo_config *c, demo_inputs *in) {
    double t = prof_begin();
    int rc = demo_inputs_read(c, in);
    prof_end(PROF_DATA, t);
    return rc;
}

gpt2_model *demo_pretrain_body(const demo_config *c, demo_body_kind body, uint64_t seed, demo_body_stats *st) {
    static const demo_model_recipe *const recipes[] = {[DEMO_BODY_WEAK] = &weak_recipe,
                                                       [DEMO_BODY_STRONG] = &strong_recipe,
                                                       [DEMO_BODY_MID] = &mid_recipe};
    demo_inputs in;
    if (demo_inputs_load(c, &in) != 0) return NULL;
    float *probe_feat = NULL, *test_feat = NULL;
    memset(st, 0, sizeof *st);
    gpt2_model *m = demo_body(recipes[body], c, &in.d, seed, st, &probe_feat, &test_feat);
    free(probe_feat);
    free(test_feat);
    demo_inputs_free(&in);
    return m;
}

// --finetune's data files, on every rank: rank 0 first, then the others, whose writes are no-ops
// where they share rank 0's folder (a file is rewritten only when its content changes).
static int finetune_write_data_all(const demo_config *c, const demo_data *d, const int32_t *probe_labels,
                                   const int32_t *test_labels) {
    int rc = dist_is_root() ? finetune_write_data(c, d, probe_labels, test_labels) : 0;
    if ((rc = dist_agree(rc)) == 0 && !dist_is_root()) rc = finetune_write_data(c, d, probe_labels, test_labels);
    return dist_agree(rc);
}

// Seed s (index) runs on rank s mod p, alone (dist_scope_self: its pretraining, probes and
// students see a world of one); then every seed's figures go to every rank from its owner.
static int run_seeds(const demo_config *c, demo_inputs *in, demo_results *results) {
    const int p = dist_size(), me = dist_rank();
    int rc = 0;
    dist_scope_self(p > 1);
    for (size_t s = (size_t)me; rc == 0 && s < c->n_seeds; s += (size_t)p) {
        double t0 = progress_now();
        results->seeds[s].seed = c->seeds[s];
        rc = demo_seed(c, &in->d, in->probe_labels, in->test_labels, c->seeds[s], &results->seeds[s]);
        results->seeds[s].total_s = progress_now() - t0;
        if (rc == 0 && !c->quiet) demo_print_seed(stderr, &results->seeds[s], c->bootstrap);
    }
    dist_scope_self(false);
    if (p == 1 || (rc = dist_agree(rc)) != 0) return rc;
    for (size_t s = 0; rc == 0 && s < c->n_seeds; s++) {
        const int owner = (int)(s % (size_t)p);
        demo_seed_result *r = &results->seeds[s];
        rc = dist_bcast(r, sizeof *r, owner);
        demo_seed_pgrs(r);  // pgr_reason is a pointer into the owner's memory: made again here
        if (rc == 0 && owner != me && !c->quiet) demo_print_seed(stderr, r, c->bootstrap);
    }
    return rc;
}

int demo_run(const demo_config *c) {
    if (c->n_seeds == 0 || c->n_seeds > DEMO_MAX_SEEDS) return W2S_FAIL("demo: 1 to %d seeds", DEMO_MAX_SEEDS);
    if (w2s_is_stdout(c->out_dir)) return W2S_FAIL("--out - (standard output) cannot hold the demo's folder: name a folder");
    // The outputs' paths are built in W2S_PATH_MAX buffers from these and short names.
    if (w2s_path_arg_check(c->out_dir, "--out") || w2s_path_arg_check(c->data_dir, "--data")) return -1;
    double t_start = progress_now();
    // Only the world's rank 0 prints (its own seeds as they finish, the others' when gathered).
    demo_config cl = *c;
    cl.quiet = c->quiet || dist_world_rank() != 0;
    c = &cl;
    if (dist_size() > 1 && !c->quiet)
        fprintf(stderr, "w2s demo: %d ranks, seeds shared out (seed k on rank k mod %d)%s\n", dist_size(), dist_size(),
                c->n_seeds < (size_t)dist_size() ? "; more ranks than seeds: some ranks idle" : "");
    demo_inputs in;
    const int loaded = demo_inputs_load(c, &in);  // frees what it read when it fails
    int rc = dist_agree(loaded);
    if (rc != 0) {
        if (loaded == 0) demo_inputs_free(&in);
        return -1;
    }
    const size_t na = demo_weak_n(c, in.d.n_probe), nb = demo_transfer_n(c, in.d.n_probe);
    const char *refused = c->finetune && (c->weak_n || c->transfer_n)
                              ? "--weak-n and --transfer-n set the probes' splits; --finetune uses the whole probe pool"
                          : c->finetune && c->bootstrap ? "--bootstrap chains probes; for fine-tuned chains use w2s run --chain"
                                                        : NULL;
    if (refused || na + nb > in.d.n_probe) {
        demo_inputs_free(&in);
        return refused ? W2S_FAIL("demo: %s", refused)
                       : W2S_FAIL("demo: --weak-n %zu + --transfer-n %zu exceed the probe pool of %zu images", na, nb,
                                  in.d.n_probe);
    }
    demo_results results = {.config = c, .seeds = calloc(c->n_seeds, sizeof(demo_seed_result)), .weak_n = na,
                            .transfer_n = nb};
    topology *topo = topology_load_this_system();
    in.d.topo = topo;
    rc = !results.seeds ? W2S_FAIL("demo: out of memory") : topo ? 0 : -1;
    dist_survey *world = NULL;
    if ((rc = dist_agree(rc)) == 0) rc = (world = dist_survey_take(omp_get_max_threads())) ? 0 : -1;
    results.world = world;
    if (rc == 0 && c->finetune) rc = finetune_write_data_all(c, &in.d, in.probe_labels, in.test_labels);
    if (rc == 0) rc = run_seeds(c, &in, &results);
    if (rc == 0) results.n_done = c->n_seeds;
    results.total_s = progress_now() - t_start;
    if (rc == 0 && dist_is_root()) {
        demo_print_table(stdout, &results);
        rc = demo_write_outputs(&results);
    }
    topology_destroy(topo);
    demo_inputs_free(&in);
    free(results.seeds);
    free(world);
    return rc;
}
