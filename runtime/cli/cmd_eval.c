// cmd_eval.c — `w2s eval`: accuracy and AUROC of a GPT-2 classifier on a JSONL dataset, and
// optionally its per-example predictions (soft_label + hard_label lines, the labels format).
#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cli_usage.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "trainer.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s eval --model PATH --data FILE.jsonl [--predictions OUT.jsonl] [options]\n"
        "  Prints one JSON line: accuracy (argmax vs hard_label) and, for two classes, AUROC.\n"
        "  --model PATH        w2s checkpoint (from w2s train / w2s run --save-models) or HF directory\n"
        "  --data FILE         JSONL with \"hard_label\" on every line\n"
        "  --predictions OUT   write each line back with \"soft_label\" (softmax) and the predicted \"hard_label\"\n"
        "                      (- for standard output; the summary then goes to stderr)\n"
        "  --precision P       bf16 (default) or fp32\n"
        "  --minibatch b       examples per forward (default 8)\n"
        "  --max-ctx T         drop examples longer than T tokens (default n_positions); --truncate cuts them\n"
        "  --tokenizer DIR     vocab.json + merges.txt for \"txt\" lines (default: the model directory)\n"
        "  --threads N         OpenMP threads\n");
}

int cmd_eval(int argc, char **argv) {
    const char *model_path = NULL, *data = NULL, *pred = NULL, *tok_dir = NULL;
    size_t minibatch = 8, max_ctx = 0, threads = 0;
    int fp32 = 0;
    bool truncate = false;
    cli_opt opts[] = {
        CLI_OPT("model", CLI_STR, &model_path),
        CLI_OPT("data", CLI_STR, &data),
        CLI_OPT("predictions", CLI_STR, &pred),
        CLI_OPT("tokenizer", CLI_STR, &tok_dir),
        CLI_OPT("precision", CLI_CHOICE, &fp32, .choices = CLI_CHOICES("bf16", "fp32")),
        CLI_OPT("minibatch", CLI_SIZE, &minibatch, .lo = 1),
        CLI_OPT("max-ctx", CLI_SIZE, &max_ctx, .lo = 1),
        CLI_OPT("threads", CLI_SIZE, &threads, .lo = 1, .hi = 4096),
        CLI_OPT("truncate", CLI_FLAG, &truncate),
    };
    int status = cli_opts_parse("eval", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    if (!model_path || !data) return cli_usage_error("eval", "--model and --data are required");
    gpt2_precision prec = fp32 ? GPT2_FP32 : GPT2_BF16;
    if (threads) omp_set_num_threads((int)threads);
    gpt2_config cfg;
    dataset ds = {0};
    tokenizer *tok = NULL;
    gpt2_model *m = NULL;
    float *logits = NULL;
    int32_t *hard = NULL;
    size_t max_len;
    // A trained checkpoint fixes the class count; an HF directory without a head takes the data's.
    int rc = cli_load_model_data(model_path, data, tok_dir, true, max_ctx, truncate, pred != NULL, &cfg, &ds, &tok,
                                 &max_len);
    if (!rc) {
        gpt2_options opt = {.max_batch = minibatch, .max_seq = max_len, .lm_mode = GPT2_LM_NONE, .precision = prec};
        m = gpt2_checkpoint_load(model_path, &opt, (long)ds.n_classes);
        rc = m ? 0 : -1;
    }
    const size_t K = ds.n_classes;
    if (!rc) {
        logits = malloc(ds.n * K * sizeof(float));
        hard = malloc(ds.n * sizeof(int32_t));
        if (!logits || !hard) rc = W2S_FAIL("out of memory");
    }
    trainer_eval_result ev;
    trainer_data d = {.ds = &ds, .n = ds.n};
    if (!rc) rc = trainer_evaluate(m, &d, logits, &ev);
    if (!rc && pred) {
        size_t *idx = malloc(ds.n * sizeof(size_t));
        rc = idx ? 0 : W2S_FAIL("out of memory");
        for (size_t i = 0; !rc && i < ds.n; i++) idx[i] = i;
        trainer_soft_labels(logits, ds.n, K, logits, hard);
        if (!rc) rc = dataset_write_labels(pred, &ds, idx, ds.n, logits, hard);
        free(idx);
    }
    if (!rc) {
        FILE *sum = w2s_is_stdout(pred) ? stderr : stdout;  // --predictions - fills stdout
        fprintf(sum, "{\"examples\": %zu, \"accuracy\": %.17g, \"auroc\": ", ds.n, ev.accuracy);
        if (isfinite(ev.auroc)) fprintf(sum, "%.17g", ev.auroc);
        else fprintf(sum, "null, \"auroc_undefined_reason\": \"%s\"", ev.auroc_reason ? ev.auroc_reason : "");
        fprintf(sum, ", \"eval_s\": %.3f}\n", ev.seconds);
    }
    free(logits);
    free(hard);
    gpt2_destroy(m);
    dataset_free(&ds);
    tokenizer_free(tok);
    return rc ? cli_fail("eval", NULL) : 0;
}
