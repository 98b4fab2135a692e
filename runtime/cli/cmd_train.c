// cmd_train.c — `w2s train`: fine-tune one GPT-2 classifier on a JSONL dataset (trainer.h)
// with any loss, on ground truth or soft labels, and save a w2s checkpoint. A killed run
// rerun with the same command resumes from OUT.ckpt (bit-identical result, same threads).
#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "protocol.h"
#include "trainer.h"
#include "world.h"

#include <inttypes.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s train --model PATH --data FILE.jsonl --out FILE.safetensors [options]\n"
        "  Fine-tunes a GPT-2 classifier (head on the last real token) on the examples of FILE:\n"
        "  targets are each line's \"soft_label\" when present, else one-hot \"hard_label\".\n"
        "  Adam (0.9/0.999, no weight decay), LR cosine to 0 without warm-up, fixed data order.\n"
        "  --model PATH      Hugging Face GPT-2 directory or w2s checkpoint file\n"
        "  --data FILE       JSONL ({\"txt\"|\"input_ids\", \"hard_label\", optional \"soft_label\"})\n"
        "  --out FILE        trained model (w2s checkpoint: safetensors with HF names + score.weight)\n"
        "  --loss L          xent (default), logconf or product\n"
        "  --epochs E        (default 2)     --batch B (32)\n"
        "  --minibatch b     examples per forward/backward (default: the most that fit 1 GiB of activations)\n"
        "  --lr X            peak LR (default 5e-5 for n_embd <= 1024, else 1e-5)\n"
        "  --precision P     bf16 (default) or fp32\n"
        "  --max-ctx T       drop examples longer than T tokens (default n_positions); --truncate cuts them\n"
        "  --tokenizer DIR   vocab.json + merges.txt for \"txt\" lines (default: the model directory)\n"
        "  --linear-probe    train the head only\n"
        "  --ckpt-every N    checkpoint OUT.ckpt every N steps (default: every 10 minutes)\n"
        "  --threads N       OpenMP threads\n"
        "  --quiet           no progress lines\n");
}

static int parse_loss(const char *v, void *dst) {
    loss_kind k;
    if (loss_kind_parse(v, &k)) return -1;
    loss_config_default(dst, k);
    return 0;
}

int cmd_train(int argc, char **argv) {
    const char *model_path = NULL, *data = NULL, *out = NULL, *tok_dir = NULL;
    trainer_config tc;
    trainer_config_default(&tc);
    size_t minibatch = 0, max_ctx = 0, threads = 0;
    float lr = 0;
    int fp32 = 0;
    bool truncate = false;
    cli_opt opts[] = {
        CLI_OPT("model", CLI_STR, &model_path),
        CLI_OPT("data", CLI_STR, &data),
        CLI_OPT("out", CLI_STR, &out),
        CLI_OPT("tokenizer", CLI_STR, &tok_dir),
        CLI_OPT("loss", CLI_FN, &tc.loss, .parse = parse_loss, .what = "xent, logconf or product"),
        CLI_OPT("precision", CLI_CHOICE, &fp32, .choices = CLI_CHOICES("bf16", "fp32")),
        CLI_OPT("lr", CLI_FLOAT, &lr, .min = 0, .max = 1, .open = CLI_OPEN_MIN),
        CLI_OPT("epochs", CLI_SIZE, &tc.epochs, .lo = 1),
        CLI_OPT("batch", CLI_SIZE, &tc.batch, .lo = 1),
        CLI_OPT("minibatch", CLI_SIZE, &minibatch, .lo = 1),
        CLI_OPT("max-ctx", CLI_SIZE, &max_ctx, .lo = 1),
        CLI_OPT("ckpt-every", CLI_SIZE, &tc.ckpt_every),
        CLI_OPT("threads", CLI_SIZE, &threads, .lo = 1, .hi = 4096),
        CLI_OPT("truncate", CLI_FLAG, &truncate),
        CLI_OPT("linear-probe", CLI_FLAG, &tc.linear_probe),
        CLI_OPT("quiet", CLI_FLAG, &tc.quiet),
    };
    int status = cli_opts_parse("train", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    if (!model_path || !data || !out) return cli_usage_error("train", "--model, --data and --out are required");
    gpt2_precision prec = fp32 ? GPT2_FP32 : GPT2_BF16;
    if (threads) omp_set_num_threads((int)threads);
    gpt2_config cfg;
    dataset ds = {0};
    tokenizer *tok = NULL;
    gpt2_model *m = NULL;
    size_t max_len;
    int rc = cli_load_model_data(model_path, data, tok_dir, false, max_ctx, truncate, false, &cfg, &ds, &tok, &max_len);
    if (!rc) {
        if (!minibatch) minibatch = trainer_auto_minibatch(&cfg, max_len, tc.batch, TRAINER_ACT_BUDGET);
        gpt2_options opt = {.max_batch = minibatch < tc.batch ? minibatch : tc.batch, .max_seq = max_len,
                            .lm_mode = GPT2_LM_NONE, .precision = prec};
        m = gpt2_checkpoint_load(model_path, &opt, (long)ds.n_classes);
        rc = m ? 0 : -1;
    }
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    if (!rc) {
        tc.lr = lr > 0 ? lr : trainer_default_lr(&cfg);
        // The checkpoint key: every option and the inputs' identity, so a stale OUT.ckpt is ignored.
        uint64_t h = PROTOCOL_HASH_INIT;
        for (int i = 1; i < argc; i++) h = protocol_hash(h, argv[i]);
        struct stat sd, sm;
        char ident[256];
        snprintf(ident, sizeof ident, "%lld %lld %lld %lld", stat(data, &sd) ? 0LL : (long long)sd.st_size,
                 stat(data, &sd) ? 0LL : (long long)sd.st_mtim.tv_sec, stat(model_path, &sm) ? 0LL : (long long)sm.st_size,
                 stat(model_path, &sm) ? 0LL : (long long)sm.st_mtim.tv_sec);
        tc.ckpt_key = protocol_hash(h, ident);
        tc.ckpt_path = ckpt;
        tc.label = "train";
        trainer_data d = {.ds = &ds, .n = ds.n};
        trainer_stats ts;
        // Fail in a second, not after the whole training, when --out cannot be written.
        // Under MPI every rank trains its share of each batch; rank 0 alone writes and prints.
        w2s_atomic_file out_probe;
        rc = dist_is_root() ? w2s_atomic_open(&out_probe, out) : 0;
        if (!rc && dist_is_root()) w2s_atomic_abort(&out_probe);
        rc = dist_agree(rc);
        if (!rc) rc = trainer_train(m, &tc, &d, &ts);
        if (!rc && dist_is_root()) rc = gpt2_checkpoint_save(m, out);
        if (!rc && dist_is_root()) {
            unlink(ckpt);
            printf("{\"out\": \"%s\", \"examples\": %zu, \"steps\": %zu, \"final_loss\": %.6g, \"train_s\": %.3f, "
                   "\"resumed_step\": %zu}\n", out, ds.n, ts.steps, ts.final_loss, ts.seconds, ts.resumed_step);
        }
    }
    gpt2_destroy(m);
    dataset_free(&ds);
    tokenizer_free(tok);
    return rc ? cli_fail("train", NULL) : 0;
}
