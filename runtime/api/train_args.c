// train_args.c — `w2s train`'s options and run (train_args.h): one GPT-2 classifier fine-tuned
// on a JSONL dataset (trainer.h) with any loss, saved as a w2s checkpoint; a killed run rerun
// with the same options resumes from OUT.ckpt. Not the command's output (cmd_train.c).
#include "train_args.h"

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

static int parse_loss(const char *v, void *dst) {
    loss_kind k;
    if (loss_kind_parse(v, &k)) return -1;
    loss_config_default(dst, k);
    return 0;
}

int train_args_run(int argc, char **argv, train_summary *s, bool *bad_usage) {
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
    *bad_usage = true;
    int status = cli_opts_scan(argc, argv, opts, CLI_N(opts), NULL, NULL);
    if (status) return status;
    if (!model_path || !data || !out) return W2S_FAIL("--model, --data and --out are required");
    *bad_usage = false;
    gpt2_precision prec = fp32 ? GPT2_FP32 : GPT2_BF16;
    if (threads) omp_set_num_threads((int)threads);
    gpt2_config cfg;
    dataset ds = {0};
    tokenizer *tok = NULL;
    gpt2_model *m = NULL;
    size_t max_len;
    int rc = cli_load_model_data(model_path, data, tok_dir, false, max_ctx, truncate, false, &cfg, &ds, &tok, &max_len);
    if (!rc) {
        if (!minibatch) minibatch = trainer_auto_minibatch(&cfg, prec, max_len, tc.batch, TRAINER_ACT_BUDGET);
        gpt2_options opt = {.max_batch = minibatch < tc.batch ? minibatch : tc.batch, .max_seq = max_len,
                            .lm_mode = GPT2_LM_NONE, .precision = prec};
        m = gpt2_checkpoint_load(model_path, &opt, (long)ds.n_classes);
        rc = m ? 0 : -1;
    }
    char ckpt[W2S_PATH_MAX];
    if (!rc && w2s_is_stdout(out)) rc = W2S_FAIL("--out - (standard output): a model needs a file, with its resume checkpoint beside it");
    if (!rc) rc = w2s_path_format(ckpt, sizeof ckpt, "%s.ckpt", out);
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
        // Under MPI every rank trains its share of each batch; rank 0 alone writes.
        w2s_atomic_file out_probe;
        rc = dist_is_root() ? w2s_atomic_open(&out_probe, out) : 0;
        if (!rc && dist_is_root()) w2s_atomic_abort(&out_probe);
        rc = dist_agree(rc);
        if (!rc) rc = trainer_train(m, &tc, &d, &ts);
        if (!rc && dist_is_root()) rc = gpt2_checkpoint_save(m, out);
        if (!rc) {
            if (dist_is_root()) unlink(ckpt);
            *s = (train_summary){.examples = ds.n, .steps = ts.steps, .resumed_step = ts.resumed_step,
                                 .final_loss = ts.final_loss, .train_s = ts.seconds};
            snprintf(s->out, sizeof s->out, "%s", out);
        }
    }
    gpt2_destroy(m);
    dataset_free(&ds);
    tokenizer_free(tok);
    return rc;
}

int train_summary_json(const train_summary *s, char *buf, size_t cap) {
    return snprintf(buf, cap, "{\"out\": \"%s\", \"examples\": %zu, \"steps\": %zu, \"final_loss\": %.6g, "
                    "\"train_s\": %.3f, \"resumed_step\": %zu}", s->out, s->examples, s->steps, s->final_loss,
                    s->train_s, s->resumed_step);
}
