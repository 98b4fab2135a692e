// cmd_pretrain.c — `w2s pretrain`: autoregressive pretraining of a GPT-2 model (pretrain.h) on
// a JSONL file of token sequences, saved as a w2s checkpoint that `w2s train/label/run` load;
// or (--demo) one of the demo's bodies, made or reused exactly as `w2s demo` caches it.
// Sequences follow Hugging Face's labels = input_ids convention: position t predicts token
// t + 1, the last position predicts nothing; shorter sequences are padded with masked targets.
#include "cli.h"
#include "cli_data.h"

#include "demo.h"
#include "demo_report.h"
#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "hf_config.h"
#include "image_tokens.h"
#include "pretrain.h"
#include "progress.h"
#include "safetensors.h"
#include "trainer.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PRETRAIN_DEFAULT_BATCH 8
#define PRETRAIN_DEFAULT_LR 6e-4f        // GPT-2 small's pretraining LR (nanoGPT, GPT-3 paper Table 2.1)
#define PRETRAIN_DEFAULT_WARMUP 30

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s pretrain --data FILE.jsonl --out FILE.safetensors (--config config.json | --arch NAME | --init PATH)\n"
        "                    [options]\n"
        "       w2s pretrain --demo weak|strong [--seed S] [--quick] [--cache-dir DIR] [--fresh] [--out FILE]\n"
        "  Autoregressive pretraining (next-token cross-entropy) on the token sequences of FILE, one\n"
        "  JSON object per line: {\"input_ids\": [int...]} or {\"txt\": str} with --tokenizer; other\n"
        "  fields are ignored. Position t predicts token t+1; shorter sequences are padded, their pad\n"
        "  targets masked. AdamW, weight decay on matrices only, global-norm clipping, linear warm-up\n"
        "  then cosine to a floor; batches drawn without replacement from a reshuffled pool (seeded).\n"
        "  Prints progress on stderr and one JSON line on stdout: train_loss (mean over the targets of\n"
        "  the last 10%% of steps), sequences kept and dropped, tokens_per_s (batch x seq_len positions\n"
        "  per step, padding included: pad_frac says how much of it is padding).\n"
        "  model (exactly one):\n"
        "  --config FILE     Hugging Face GPT-2 config.json (n_layer, n_head, n_embd, n_positions,\n"
        "                    vocab_size); random GPT-2 init from --seed, LM head tied to wte\n"
        "  --arch NAME       gpt2, gpt2-medium, gpt2-large or gpt2-xl, random init as --config\n"
        "  --init PATH       continue from a w2s checkpoint or HF directory (keeps its LM head; a\n"
        "                    classification head is dropped)\n"
        "  data:\n"
        "  --data FILE       JSONL token sequences (errors name FILE:LINE)\n"
        "  --tokenizer DIR   vocab.json + merges.txt for \"txt\" lines (default: --init if a directory)\n"
        "  --max-ctx T       drop sequences longer than T tokens (default n_positions), counted;\n"
        "  --truncate        ... or cut them to their first T tokens\n"
        "  training:\n"
        "  --steps N         optimizer steps (default: --epochs 1)\n"
        "  --epochs E        passes over the data instead: steps = max(1, floor(E * sequences / batch))\n"
        "  --batch B         sequences per step (default %d, at most the number of sequences)\n"
        "  --minibatch b     sequences per forward/backward, gradients accumulated (default: the most\n"
        "                    that fit 1 GiB of activations per worker model)\n"
        "  --lr X            peak LR (default %g)\n"
        "  --warmup N        linear warm-up steps (default min(%d, steps/10))\n"
        "  --lr-floor F      the cosine ends at F * lr (default 0.1)\n"
        "  --betas B1,B2     AdamW betas (default 0.9,0.95)\n"
        "  --eps X           AdamW epsilon (default 1e-8)\n"
        "  --weight-decay X  decoupled, on 2-D tensors only (default 0.1)\n"
        "  --clip X          global gradient-norm clip, 0 = none (default 1.0)\n"
        "  --seed S          initialization and batch order (default 0)\n"
        "  --precision P     bf16 (default) or fp32\n"
        "  --threads N       OpenMP threads\n"
        "  --quiet           no progress lines\n"
        "  demo bodies (--demo; the recipe of DEMO.md, no training options):\n"
        "  --demo weak|strong  make or reuse the demo's cached body for --seed, to warm the cache of\n"
        "                    `w2s demo` (same --cache-dir, --quick and seed give the same files)\n"
        "  --quick           the body of `w2s demo --quick`\n"
        "  --cache-dir DIR   (default $XDG_CACHE_HOME/w2s or ~/.cache/w2s)\n"
        "  --fresh           pretrain again even if cached (and overwrite)\n"
        "  --fmnist DIR      Fashion-MNIST IDX files (default %s)\n"
        "  --out FILE        also write the body as a w2s checkpoint\n",
        PRETRAIN_DEFAULT_BATCH, (double)PRETRAIN_DEFAULT_LR, PRETRAIN_DEFAULT_WARMUP, FMNIST_DIR_DEFAULT);
}

typedef struct {
    const char *data, *out, *config, *arch, *init, *tok_dir;
    size_t max_ctx, steps, epochs, batch, minibatch, warmup, threads;
    bool truncate, have_warmup;
    pretrain_config pc;
    gpt2_precision prec;
    // --demo
    const char *demo, *cache_dir, *fmnist;
    bool quick, fresh;
    int training_options;  // options that --demo refuses (its recipe is fixed)
} pretrain_args;

static bool parse_float(const char *v, float lo, float hi, float *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x < lo || x > hi) return false;
    *out = (float)x;
    return true;
}

static bool parse_betas(const char *v, float *b1, float *b2) {
    char buf[64];
    const char *comma = strchr(v, ',');
    if (!comma || (size_t)(comma - v) >= sizeof buf) return false;
    memcpy(buf, v, (size_t)(comma - v));
    buf[comma - v] = 0;
    return parse_float(buf, 0, 0.999999f, b1) && parse_float(comma + 1, 0, 0.999999f, b2);
}

// Returns 0, 1 for --help (printed), or 2 after printing the bad option.
static int parse_args(int argc, char **argv, pretrain_args *a) {
    *a = (pretrain_args){.batch = PRETRAIN_DEFAULT_BATCH, .prec = GPT2_BF16,
                         .pc = {.lr = PRETRAIN_DEFAULT_LR, .lr_floor_frac = 0.1f, .beta1 = 0.9f, .beta2 = 0.95f,
                                .eps = 1e-8f, .weight_decay = 0.1f, .clip_norm = 1.0f, .label = "pretrain"}};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        size_t seed;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(o, "--truncate")) a->truncate = true, a->training_options++;
        else if (!strcmp(o, "--quiet")) a->pc.quiet = true;
        else if (!strcmp(o, "--quick")) a->quick = true;
        else if (!strcmp(o, "--fresh")) a->fresh = true;
        else if (!v) ok = false;
        else if (!strcmp(o, "--demo")) {
            a->demo = argv[++i];
            ok = !strcmp(a->demo, "weak") || !strcmp(a->demo, "strong");
        } else if (!strcmp(o, "--cache-dir")) a->cache_dir = argv[++i];
        else if (!strcmp(o, "--fmnist")) a->fmnist = argv[++i];
        else if (!strcmp(o, "--out")) a->out = argv[++i];
        else if (!strcmp(o, "--seed")) {
            ok = !cli_parse_size(argv[++i], &seed);
            a->pc.seed = seed;
        } else if (!strcmp(o, "--threads")) ok = !cli_parse_size(argv[++i], &a->threads) && a->threads && a->threads <= 4096;
        else {
            // Everything below shapes the training run: --demo refuses them.
            a->training_options++;
            if (!strcmp(o, "--data")) a->data = argv[++i];
            else if (!strcmp(o, "--config")) a->config = argv[++i];
            else if (!strcmp(o, "--arch")) a->arch = argv[++i];
            else if (!strcmp(o, "--init")) a->init = argv[++i];
            else if (!strcmp(o, "--tokenizer")) a->tok_dir = argv[++i];
            else if (!strcmp(o, "--max-ctx")) ok = !cli_parse_size(argv[++i], &a->max_ctx) && a->max_ctx;
            else if (!strcmp(o, "--steps")) ok = !cli_parse_size(argv[++i], &a->steps) && a->steps;
            else if (!strcmp(o, "--epochs")) ok = !cli_parse_size(argv[++i], &a->epochs) && a->epochs;
            else if (!strcmp(o, "--batch")) ok = !cli_parse_size(argv[++i], &a->batch) && a->batch;
            else if (!strcmp(o, "--minibatch")) ok = !cli_parse_size(argv[++i], &a->minibatch) && a->minibatch;
            else if (!strcmp(o, "--warmup")) {
                ok = !cli_parse_size(argv[++i], &a->warmup);
                a->have_warmup = true;
            }
            else if (!strcmp(o, "--lr")) ok = parse_float(argv[++i], 1e-12f, 10, &a->pc.lr);
            else if (!strcmp(o, "--lr-floor")) ok = parse_float(argv[++i], 0, 1, &a->pc.lr_floor_frac);
            else if (!strcmp(o, "--betas")) ok = parse_betas(argv[++i], &a->pc.beta1, &a->pc.beta2);
            else if (!strcmp(o, "--eps")) ok = parse_float(argv[++i], 0, 1, &a->pc.eps);
            else if (!strcmp(o, "--weight-decay")) ok = parse_float(argv[++i], 0, 10, &a->pc.weight_decay);
            else if (!strcmp(o, "--clip")) ok = parse_float(argv[++i], 0, 1e30f, &a->pc.clip_norm);
            else if (!strcmp(o, "--precision")) {
                const char *p = argv[++i];
                ok = !strcmp(p, "bf16") || !strcmp(p, "fp32");
                a->prec = !strcmp(p, "fp32") ? GPT2_FP32 : GPT2_BF16;
            } else ok = false;
        }
        if (!ok) {
            fprintf(stderr, "w2s pretrain: bad option or value: '%s%s%s' (see w2s pretrain --help)\n", o,
                    v ? " " : "", v ? v : "");
            return 2;
        }
    }
    return 0;
}

// Fails in a second, not after the whole run, when `out` cannot be written.
static int check_out(const char *out) {
    struct stat st;
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
        return W2S_FAIL("--out %s is a directory (it takes the checkpoint's file name)", out);
    w2s_atomic_file probe;
    if (w2s_atomic_open(&probe, out) != 0) return -1;
    w2s_atomic_abort(&probe);
    return 0;
}

// ---- --demo

static int run_demo(const pretrain_args *a) {
    if (a->training_options) {
        fprintf(stderr, "w2s pretrain: --demo follows DEMO.md's recipe: only --seed, --quick, --cache-dir, --fresh, "
                        "--fmnist, --out, --threads and --quiet apply\n");
        return 2;
    }
    demo_config c;
    demo_config_default(&c);
    c.quick = a->quick, c.fresh = a->fresh, c.quiet = a->pc.quiet, c.cache_dir = a->cache_dir;
    if (a->fmnist) c.data_dir = a->fmnist;
    if (a->out && check_out(a->out) != 0) return cli_fail("pretrain", NULL);
    demo_body_stats st;
    gpt2_model *m = demo_pretrain_body(&c, !strcmp(a->demo, "strong"), a->pc.seed, &st);
    int rc = m ? 0 : -1;
    if (!rc && a->out) rc = gpt2_checkpoint_save(m, a->out);
    if (!rc) {
        json_t *j = json_pack("{s:s, s:I, s:b, s:b, s:s, s:s?, s:I, s:f, s:f, s:f, s:f}", "demo", a->demo, "seed",
                              (json_int_t)a->pc.seed, "quick", (int)a->quick, "cached", (int)st.cached, "checkpoint",
                              st.checkpoint, "out", a->out, "steps", (json_int_t)st.steps, "train_loss",
                              st.train_loss, "test_loss", st.test_loss, "caption_acc", st.caption_acc, "pretrain_s",
                              st.pretrain_s);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (s) printf("%s\n", s);
        free(s);
    }
    gpt2_destroy(m);
    return rc ? cli_fail("pretrain", NULL) : 0;
}

// ---- the model

// Floats of activations per sequence of T tokens: trainer_auto_minibatch's table plus the
// LM head's logits (T, VO), which dominate for GPT-2's 50257-token vocabulary.
static size_t auto_minibatch(const gpt2_config *cfg, size_t VO, size_t T, size_t batch) {
    const size_t C = cfg->n_embd, L = cfg->n_layer, NH = cfg->n_head;
    size_t per_seq = T * (L * (16 * C + 4) + 12 * C + 2 + VO) + L * NH * T * T + NH * T;
    size_t mb = TRAINER_ACT_BUDGET / (per_seq * sizeof(float));
    return mb < 1 ? 1 : mb > batch ? batch : mb;
}

// The shape from --config/--arch/--init, and the LM head --init stores ("untied" keeps its
// own rows; a tied, headless or HF model is pretrained tied, as GPT2LMHeadModel is).
static int model_shape(const pretrain_args *a, gpt2_config *cfg, gpt2_lm_mode *mode, size_t *lm_vocab) {
    *mode = GPT2_LM_TIED;
    *lm_vocab = 0;
    int rc = a->config ? hf_config_load(a->config, cfg) : a->arch ? hf_config_named(a->arch, cfg)
                                                                  : gpt2_checkpoint_config(a->init, cfg);
    if (rc != 0) return -1;
    cfg->n_classes = 0;  // a pretrained body: `w2s train` adds the head it needs
    struct stat st;
    if (a->init && !(stat(a->init, &st) == 0 && S_ISDIR(st.st_mode))) {
        safetensors_file *f = safetensors_open(a->init);
        if (!f) return -1;
        const char *lm = safetensors_metadata(f, GPT2_META_LM_HEAD), *vo = safetensors_metadata(f, GPT2_META_LM_VOCAB);
        if (lm && !strcmp(lm, "untied")) {
            *mode = GPT2_LM_UNTIED;
            *lm_vocab = vo ? strtoull(vo, NULL, 10) : 0;
        }
        safetensors_close(f);
    }
    return 0;
}

// ---- sequences

typedef struct {
    int32_t *tokens, *targets;  // (n, T) padded with 0 / -1
    size_t n, T;
    size_t n_short;             // dropped: one token, nothing to predict
    size_t n_real;              // real tokens kept (the rest of n·T is padding)
} sequences;

// Shifts the dataset's examples into (tokens, targets) rows. Targets must be LM outputs
// (< VO, which an untied head may make smaller than V): a bad one is reported at its line.
static int sequences_build(const dataset *ds, size_t VO, sequences *s) {
    memset(s, 0, sizeof *s);
    s->T = 1;
    for (size_t i = 0; i < ds->n; i++) {
        size_t len;
        const int32_t *x = dataset_tokens(ds, i, &len);
        if (len < 2) continue;
        s->T = len > s->T ? len : s->T;
        for (size_t t = 1; t < len; t++)
            if ((size_t)x[t] >= VO)
                return W2S_FAIL("%s:%zu: input_ids[%zu] = %d cannot be predicted: the model's LM head has %zu outputs",
                                ds->path, ds->line[i], t, x[t], VO);
    }
    s->tokens = malloc(ds->n * s->T * sizeof(int32_t));
    s->targets = malloc(ds->n * s->T * sizeof(int32_t));
    if (!s->tokens || !s->targets) return W2S_FAIL("out of memory for %zu sequences of %zu tokens", ds->n, s->T);
    for (size_t i = 0; i < ds->n; i++) {
        size_t len;
        const int32_t *x = dataset_tokens(ds, i, &len);
        if (len < 2) {
            s->n_short++;
            continue;
        }
        int32_t *tk = s->tokens + s->n * s->T, *tg = s->targets + s->n * s->T;
        for (size_t t = 0; t < s->T; t++) {
            tk[t] = t < len ? x[t] : 0;
            tg[t] = t + 1 < len ? x[t + 1] : -1;
        }
        s->n++;
        s->n_real += len;
    }
    if (s->n == 0)
        return W2S_FAIL("%s: no sequence of at least 2 tokens to learn from (%zu lines, %zu too long, %zu of one token)",
                        ds->path, ds->stats.n_lines, ds->stats.n_too_long, s->n_short);
    return 0;
}

static void sequences_free(sequences *s) {
    free(s->tokens);
    free(s->targets);
}

// ---- the run

static int run_pretrain(pretrain_args *a) {
    gpt2_config cfg;
    gpt2_lm_mode mode;
    size_t VO;
    if (model_shape(a, &cfg, &mode, &VO) != 0) return cli_fail("pretrain", NULL);
    struct stat st;
    if (!a->tok_dir && a->init && stat(a->init, &st) == 0 && S_ISDIR(st.st_mode)) a->tok_dir = a->init;
    if (a->max_ctx > cfg.n_positions) {
        fprintf(stderr, "w2s pretrain: --max-ctx %zu exceeds the model's n_positions %zu\n", a->max_ctx,
                cfg.n_positions);
        return 2;
    }
    dataset ds = {0};
    tokenizer *tok = NULL;
    sequences sq = {0};
    gpt2_model *m = NULL;
    int rc = cli_load_sequences(&ds, a->data, &cfg, a->tok_dir, a->max_ctx, a->truncate, &tok);
    if (!rc) rc = sequences_build(&ds, mode == GPT2_LM_UNTIED && VO ? VO : cfg.vocab_size, &sq);
    if (!rc) rc = check_out(a->out);
    if (!rc && !a->pc.quiet && ds.stats.n_too_long)
        fprintf(stderr, "w2s pretrain: %zu sequences longer than %zu tokens dropped (--truncate keeps their start)\n",
                ds.stats.n_too_long, a->max_ctx ? a->max_ctx : cfg.n_positions);
    pretrain_config *pc = &a->pc;
    if (!rc) {
        pc->batch = a->batch < sq.n ? a->batch : sq.n;
        pc->steps = a->steps ? a->steps : trainer_total_steps(sq.n, a->epochs ? a->epochs : 1, pc->batch);
        pc->warmup = a->have_warmup ? a->warmup
                     : pc->steps / 10 < PRETRAIN_DEFAULT_WARMUP ? pc->steps / 10 : PRETRAIN_DEFAULT_WARMUP;
        size_t mb = a->minibatch ? a->minibatch : auto_minibatch(&cfg, VO ? VO : cfg.vocab_size, sq.T, pc->batch);
        pc->minibatch = mb < pc->batch ? mb : pc->batch;
        gpt2_options opt = {.max_batch = pc->minibatch, .max_seq = sq.T, .lm_mode = mode, .lm_vocab = VO,
                            .precision = a->prec};
        if (a->init) {
            m = gpt2_checkpoint_load(a->init, &opt, 0);
        } else if ((m = gpt2_create(&cfg, &opt))) {
            gpt2_init_random(m, pc->seed);
        }
        rc = m ? 0 : -1;
    }
    float train_loss = 0;
    double t0 = progress_now(), secs = 0;
    if (!rc) rc = pretrain_run(m, pc, sq.tokens, sq.targets, sq.n, sq.T, &train_loss);
    secs = progress_now() - t0;
    if (!rc) rc = gpt2_checkpoint_save(m, a->out);
    if (!rc) {
        double positions = (double)pc->steps * (double)pc->batch * (double)sq.T;
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:s}", "out",
                              a->out, "sequences", (json_int_t)sq.n, "dropped_too_long",
                              (json_int_t)ds.stats.n_too_long, "truncated", (json_int_t)ds.stats.n_truncated,
                              "dropped_one_token", (json_int_t)sq.n_short, "seq_len", (json_int_t)sq.T, "steps",
                              (json_int_t)pc->steps, "batch", (json_int_t)pc->batch, "minibatch",
                              (json_int_t)pc->minibatch, "warmup", (json_int_t)pc->warmup, "train_loss",
                              (double)train_loss, "train_s", secs, "tokens_per_s", secs > 0 ? positions / secs : 0.0,
                              "pad_frac", 1.0 - (double)sq.n_real / ((double)sq.n * (double)sq.T), "precision",
                              a->prec == GPT2_FP32 ? "fp32" : "bf16");
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (s) printf("%s\n", s);
        free(s);
    }
    gpt2_destroy(m);
    sequences_free(&sq);
    dataset_free(&ds);
    tokenizer_free(tok);
    return rc ? cli_fail("pretrain", NULL) : 0;
}

int cmd_pretrain(int argc, char **argv) {
    pretrain_args a;
    int prc = parse_args(argc, argv, &a);
    if (prc) return prc == 1 ? 0 : 2;
    if (a.threads) omp_set_num_threads((int)a.threads);
    if (a.demo) return run_demo(&a);
    int sources = !!a.config + !!a.arch + !!a.init;
    if (!a.data || !a.out || sources != 1) {
        fprintf(stderr, "w2s pretrain: --data, --out and one of --config, --arch or --init are required (or --demo; "
                        "see w2s pretrain --help)\n");
        return 2;
    }
    if (a.steps && a.epochs) {
        fprintf(stderr, "w2s pretrain: --steps and --epochs are alternatives: give one\n");
        return 2;
    }
    if (a.quick || a.fresh || a.cache_dir || a.fmnist) {
        fprintf(stderr, "w2s pretrain: --quick, --fresh, --cache-dir and --fmnist go with --demo\n");
        return 2;
    }
    return run_pretrain(&a);
}
