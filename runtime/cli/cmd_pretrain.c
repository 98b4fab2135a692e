// cmd_pretrain.c — `w2s pretrain`: autoregressive pretraining of a GPT-2 model (pretrain.h) on
// a JSONL file of token sequences, saved as a w2s checkpoint that `w2s train/label/run` load;
// or (--demo) one of the demo's bodies, made or reused exactly as `w2s demo` caches it.
// Sequences follow Hugging Face's labels = input_ids convention: position t predicts token
// t + 1, the last position predicts nothing; shorter sequences are padded with masked targets.
// Under mpirun/srun data-parallel (pretrain.h); rank 0 alone writes OUT and its resume
// checkpoint OUT.ckpt, which a rerun of the same command continues from.
#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cli_usage.h"

#include "demo.h"
#include "demo_report.h"
#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "hf_config.h"
#include "image_tokens.h"
#include "pretrain.h"
#include "progress.h"
#include "protocol.h"
#include "safetensors.h"
#include "trainer.h"
#include "world.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRETRAIN_DEFAULT_BATCH 8
#define PRETRAIN_DEFAULT_LR 6e-4f        // GPT-2 small's pretraining LR (nanoGPT, GPT-3 paper Table 2.1)
#define PRETRAIN_DEFAULT_WARMUP 30

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s pretrain --data FILE.jsonl --out FILE.safetensors (--config config.json | --arch NAME | --init PATH)\n"
        "                    [options]\n"
        "       w2s pretrain --demo weak|strong|mid [--seed S] [--quick] [--cache-dir DIR] [--fresh] [--out FILE]\n"
        "  Autoregressive pretraining (next-token cross-entropy) on the token sequences of FILE, one\n"
        "  JSON object per line: {\"input_ids\": [int...]} or {\"txt\": str} with --tokenizer; other\n"
        "  fields are ignored. Position t predicts token t+1; shorter sequences are padded, their pad\n"
        "  targets masked. AdamW, weight decay on matrices only, global-norm clipping, linear warm-up\n"
        "  then cosine to a floor; batches drawn without replacement from a reshuffled pool (seeded).\n"
        "  Prints progress on stderr and one JSON line on stdout: train_loss (mean over the targets of\n"
        "  the last 10%% of steps), sequences kept and dropped, tokens_per_s (batch x seq_len positions\n"
        "  per step, padding included: pad_frac says how much of it is padding). A killed run rerun\n"
        "  with the same command resumes from OUT.ckpt (bit-identical result, same ranks). Under\n"
        "  mpirun/srun each step's batch is split over the ranks (data parallel).\n"
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
        "  --ckpt-every N    checkpoint OUT.ckpt every N steps (default: every 10 minutes)\n"
        "  --precision P     bf16 (default) or fp32\n"
        "  --threads N       OpenMP threads\n"
        "  --quiet           no progress lines\n"
        "  demo bodies (--demo; the recipe of docs/DEMO.md, no training options):\n"
        "  --demo weak|strong|mid  make or reuse the demo's cached body for --seed, to warm the cache\n"
        "                    of `w2s demo` (same --cache-dir, --quick and seed give the same files;\n"
        "                    mid: the intermediate body of `w2s demo --bootstrap`)\n"
        "  --quick           the body of `w2s demo --quick`\n"
        "  --cache-dir DIR   (default $XDG_CACHE_HOME/w2s or ~/.cache/w2s)\n"
        "  --fresh           pretrain again even if cached (and overwrite)\n"
        "  --fmnist DIR      Fashion-MNIST IDX files (default %s)\n"
        "  --out FILE        also write the body as a w2s checkpoint\n",
        PRETRAIN_DEFAULT_BATCH, (double)PRETRAIN_DEFAULT_LR, PRETRAIN_DEFAULT_WARMUP, FMNIST_DIR_DEFAULT);
}

typedef struct {
    const char *data, *out, *config, *arch, *init, *tok_dir;
    size_t max_ctx, steps, epochs, batch, minibatch, warmup, threads, seed, ckpt_every;
    bool truncate;
    int have_warmup;
    pretrain_config pc;
    int fp32;              // --precision: 0 bf16, 1 fp32
    // --demo
    int demo;              // -1: none, else a demo_body_kind
    const char *cache_dir, *fmnist;
    bool quick, fresh;
    int training_options;  // options that --demo refuses (its recipe is fixed)
} pretrain_args;

static int parse_betas(const char *v, void *dst) {
    pretrain_config *pc = dst;
    char *end;
    double b1 = strtod(v, &end);
    if (end == v || *end != ',') return -1;
    const char *v2 = end + 1;
    double b2 = strtod(v2, &end);
    if (end == v2 || *end || !(b1 >= 0 && b1 <= 0.999999f) || !(b2 >= 0 && b2 <= 0.999999f)) return -1;
    pc->beta1 = (float)b1;
    pc->beta2 = (float)b2;
    return 0;
}

static const char *const demo_bodies[] = {[DEMO_BODY_WEAK] = "weak", [DEMO_BODY_STRONG] = "strong",
                                          [DEMO_BODY_MID] = "mid", NULL};

// Returns -1 to go on, else the exit status (0 after --help).
static int parse_args(int argc, char **argv, pretrain_args *a) {
    *a = (pretrain_args){.batch = PRETRAIN_DEFAULT_BATCH, .demo = -1,
                         .pc = {.lr = PRETRAIN_DEFAULT_LR, .lr_floor_frac = 0.1f, .beta1 = 0.9f, .beta2 = 0.95f,
                                .eps = 1e-8f, .weight_decay = 0.1f, .clip_norm = 1.0f, .label = "pretrain"}};
    int *train = &a->training_options;  // shapes the training run: --demo refuses them
    cli_opt opts[] = {
        CLI_OPT("demo", CLI_CHOICE, &a->demo, .choices = demo_bodies),
        CLI_OPT("cache-dir", CLI_STR, &a->cache_dir),
        CLI_OPT("fmnist", CLI_STR, &a->fmnist),
        CLI_OPT("out", CLI_STR, &a->out),
        CLI_OPT("seed", CLI_SIZE, &a->seed),
        CLI_OPT("threads", CLI_SIZE, &a->threads, .lo = 1, .hi = 4096),
        CLI_OPT("quiet", CLI_FLAG, &a->pc.quiet),
        CLI_OPT("quick", CLI_FLAG, &a->quick),
        CLI_OPT("fresh", CLI_FLAG, &a->fresh),
        CLI_OPT("truncate", CLI_FLAG, &a->truncate, .seen = train),
        CLI_OPT("data", CLI_STR, &a->data, .seen = train),
        CLI_OPT("config", CLI_STR, &a->config, .seen = train),
        CLI_OPT("arch", CLI_STR, &a->arch, .seen = train),
        CLI_OPT("init", CLI_STR, &a->init, .seen = train),
        CLI_OPT("tokenizer", CLI_STR, &a->tok_dir, .seen = train),
        CLI_OPT("max-ctx", CLI_SIZE, &a->max_ctx, .lo = 1, .seen = train),
        CLI_OPT("steps", CLI_SIZE, &a->steps, .lo = 1, .seen = train),
        CLI_OPT("epochs", CLI_SIZE, &a->epochs, .lo = 1, .seen = train),
        CLI_OPT("batch", CLI_SIZE, &a->batch, .lo = 1, .seen = train),
        CLI_OPT("minibatch", CLI_SIZE, &a->minibatch, .lo = 1, .seen = train),
        CLI_OPT("ckpt-every", CLI_SIZE, &a->ckpt_every, .lo = 1, .seen = train),
        CLI_OPT("warmup", CLI_SIZE, &a->warmup, .seen = &a->have_warmup),
        CLI_OPT("lr", CLI_FLOAT, &a->pc.lr, .min = 1e-12, .max = 10, .seen = train),
        CLI_OPT("lr-floor", CLI_FLOAT, &a->pc.lr_floor_frac, .min = 0, .max = 1, .seen = train),
        CLI_OPT("betas", CLI_FN, &a->pc, .parse = parse_betas, .what = "B1,B2 each in [0, 0.999999]", .seen = train),
        CLI_OPT("eps", CLI_FLOAT, &a->pc.eps, .min = 0, .max = 1, .seen = train),
        CLI_OPT("weight-decay", CLI_FLOAT, &a->pc.weight_decay, .min = 0, .max = 10, .seen = train),
        CLI_OPT("clip", CLI_FLOAT, &a->pc.clip_norm, .min = 0, .max = 1e30, .seen = train),
        CLI_OPT("precision", CLI_CHOICE, &a->fp32, .choices = CLI_CHOICES("bf16", "fp32"), .seen = train),
    };
    int status = cli_opts_parse("pretrain", argc, argv, opts, CLI_N(opts), usage);
    a->pc.seed = a->seed;
    a->training_options += a->have_warmup;
    return status;
}

// Fails in a second, not after the whole run, when `out` cannot be written (rank 0 writes it).
static int check_out(const char *out) {
    if (!dist_is_root()) return 0;
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
    if (a->training_options)
        return cli_usage_error("pretrain", "--demo follows docs/DEMO.md's recipe: only --seed, --quick, --cache-dir, "
                                           "--fresh, --fmnist, --out, --threads and --quiet apply");
    demo_config c;
    demo_config_default(&c);
    c.quick = a->quick, c.fresh = a->fresh, c.quiet = a->pc.quiet, c.cache_dir = a->cache_dir;
    if (a->fmnist) c.data_dir = a->fmnist;
    if (a->out && check_out(a->out) != 0) return cli_fail("pretrain", NULL);
    demo_body_stats st;
    gpt2_model *m = demo_pretrain_body(&c, (demo_body_kind)a->demo, a->pc.seed, &st);
    int rc = m ? 0 : -1;
    if (!rc && a->out) rc = gpt2_checkpoint_save(m, a->out);
    if (!rc) {
        json_t *j = json_pack("{s:s, s:I, s:b, s:b, s:s, s:s?, s:I, s:f, s:f, s:f, s:f}", "demo", demo_bodies[a->demo], "seed",
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

// The largest minibatch whose activations fit TRAINER_ACT_BUDGET, the LM head's logits
// (T, VO) included: they dominate for GPT-2's 50257-token vocabulary.
static size_t auto_minibatch(const gpt2_config *cfg, gpt2_precision precision, size_t VO, size_t T, size_t batch) {
    size_t mb = TRAINER_ACT_BUDGET / gpt2_act_bytes(cfg, precision, VO, 1, T);
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

// The resume checkpoint's key: every option and the inputs' identity (size, time), so a stale
// OUT.ckpt is ignored.
static uint64_t ckpt_key(int argc, char **argv, const pretrain_args *a) {
    uint64_t h = PROTOCOL_HASH_INIT;
    for (int i = 1; i < argc; i++) h = protocol_hash(h, argv[i]);
    const char *files[] = {a->data, a->init, a->config};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat st;
        char ident[64] = "-";
        if (files[i] && stat(files[i], &st) == 0)
            snprintf(ident, sizeof ident, "%lld %lld", (long long)st.st_size, (long long)st.st_mtim.tv_sec);
        h = protocol_hash(h, ident);
    }
    return h;
}

static int run_pretrain(pretrain_args *a, int argc, char **argv) {
    gpt2_config cfg;
    gpt2_lm_mode mode;
    size_t VO;
    if (model_shape(a, &cfg, &mode, &VO) != 0) return cli_fail("pretrain", NULL);
    struct stat st;
    if (!a->tok_dir && a->init && stat(a->init, &st) == 0 && S_ISDIR(st.st_mode)) a->tok_dir = a->init;
    if (a->max_ctx > cfg.n_positions)
        return cli_usage_error("pretrain", "--max-ctx %zu exceeds the model's n_positions %zu", a->max_ctx,
                               cfg.n_positions);
    dataset ds = {0};
    tokenizer *tok = NULL;
    sequences sq = {0};
    gpt2_model *m = NULL;
    int rc = cli_load_sequences(&ds, a->data, &cfg, a->tok_dir, a->max_ctx, a->truncate, &tok);
    if (!rc) rc = sequences_build(&ds, mode == GPT2_LM_UNTIED && VO ? VO : cfg.vocab_size, &sq);
    if (!rc) rc = check_out(a->out);
    rc = dist_agree(rc);
    char ckpt[W2S_PATH_MAX];
    if (!rc && w2s_is_stdout(a->out))
        rc = W2S_FAIL("--out - (standard output): a model needs a file, with its resume checkpoint beside it");
    if (!rc) rc = w2s_path_format(ckpt, sizeof ckpt, "%s.ckpt", a->out);
    if (!rc && !a->pc.quiet && ds.stats.n_too_long && dist_is_root())
        fprintf(stderr, "w2s pretrain: %zu sequences longer than %zu tokens dropped (--truncate keeps their start)\n",
                ds.stats.n_too_long, a->max_ctx ? a->max_ctx : cfg.n_positions);
    pretrain_config *pc = &a->pc;
    if (!rc) {
        pc->batch = a->batch < sq.n ? a->batch : sq.n;
        pc->steps = a->steps ? a->steps : trainer_total_steps(sq.n, a->epochs ? a->epochs : 1, pc->batch);
        pc->warmup = a->have_warmup ? a->warmup
                     : pc->steps / 10 < PRETRAIN_DEFAULT_WARMUP ? pc->steps / 10 : PRETRAIN_DEFAULT_WARMUP;
        size_t mb = a->minibatch ? a->minibatch : auto_minibatch(&cfg, a->fp32 ? GPT2_FP32 : GPT2_BF16, VO ? VO : cfg.vocab_size, sq.T, pc->batch);
        pc->minibatch = mb < pc->batch ? mb : pc->batch;
        pc->ckpt_path = ckpt;
        pc->ckpt_every = a->ckpt_every;
        pc->ckpt_every_s = a->ckpt_every ? 0 : 600;
        pc->ckpt_key = ckpt_key(argc, argv, a);
        gpt2_options opt = {.max_batch = pc->minibatch, .max_seq = sq.T, .lm_mode = mode, .lm_vocab = VO,
                            .precision = a->fp32 ? GPT2_FP32 : GPT2_BF16};
        if (a->init) {
            m = gpt2_checkpoint_load(a->init, &opt, 0);
        } else if ((m = gpt2_create(&cfg, &opt))) {
            gpt2_init_random(m, pc->seed);
        }
        rc = m ? 0 : -1;
    }
    pretrain_stats ps = {0};
    double t0 = progress_now(), secs = 0;
    if (!rc) rc = pretrain_run(m, pc, sq.tokens, sq.targets, sq.n, sq.T, &ps);
    secs = progress_now() - t0;
    if (!rc && dist_is_root()) rc = gpt2_checkpoint_save(m, a->out);
    if (!rc && dist_is_root()) unlink(ckpt);  // the model supersedes it
    if (!rc && dist_is_root()) {
        double positions = (double)pc->steps * (double)pc->batch * (double)sq.T;
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:s, s:i, s:I}",
                              "out",
                              a->out, "sequences", (json_int_t)sq.n, "dropped_too_long",
                              (json_int_t)ds.stats.n_too_long, "truncated", (json_int_t)ds.stats.n_truncated,
                              "dropped_one_token", (json_int_t)sq.n_short, "seq_len", (json_int_t)sq.T, "steps",
                              (json_int_t)pc->steps, "batch", (json_int_t)pc->batch, "minibatch",
                              (json_int_t)pc->minibatch, "warmup", (json_int_t)pc->warmup, "train_loss",
                              (double)ps.final_loss, "train_s", secs, "tokens_per_s", secs > 0 ? positions / secs : 0.0,
                              "pad_frac", 1.0 - (double)sq.n_real / ((double)sq.n * (double)sq.T), "precision",
                              a->fp32 ? "fp32" : "bf16", "ranks", dist_size(), "resumed_step",
                              (json_int_t)ps.resumed_step);
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
    int status = parse_args(argc, argv, &a);
    if (status >= 0) return status;
    if (a.threads) omp_set_num_threads((int)a.threads);
    if (a.demo >= 0 && dist_size() > 1)
        return cli_usage_error("pretrain", "--demo makes one cached body: run it without mpirun/srun (w2s demo "
                                           "shares its seeds over the ranks)");
    if (a.demo >= 0) return run_demo(&a);
    int sources = !!a.config + !!a.arch + !!a.init;
    if (!a.data || !a.out || sources != 1)
        return cli_usage_error("pretrain",
                               "--data, --out and one of --config, --arch or --init are required (or --demo)");
    if (a.steps && a.epochs) return cli_usage_error("pretrain", "--steps and --epochs are alternatives: give one");
    if (a.quick || a.fresh || a.cache_dir || a.fmnist)
        return cli_usage_error("pretrain", "--quick, --fresh, --cache-dir and --fmnist go with --demo");
    return run_pretrain(&a, argc, argv);
}
