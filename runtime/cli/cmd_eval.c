// cmd_eval.c — `w2s eval`: accuracy and AUROC of a GPT-2 classifier on a JSONL dataset, and
// optionally its per-example predictions (soft_label + hard_label lines, the labels format).
#include "cli.h"
#include "cli_data.h"

#include "error.h"
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
        "  --precision P       bf16 (default) or fp32\n"
        "  --minibatch b       examples per forward (default 8)\n"
        "  --max-ctx T         drop examples longer than T tokens (default n_positions); --truncate cuts them\n"
        "  --tokenizer DIR     vocab.json + merges.txt for \"txt\" lines (default: the model directory)\n"
        "  --threads N         OpenMP threads\n");
}

int cmd_eval(int argc, char **argv) {
    const char *model_path = NULL, *data = NULL, *pred = NULL, *tok_dir = NULL;
    size_t minibatch = 8, max_ctx = 0, threads = 0;
    gpt2_precision prec = GPT2_BF16;
    bool truncate = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--truncate")) truncate = true;
        else if (!v) ok = false;
        else if (!strcmp(a, "--model")) model_path = argv[++i];
        else if (!strcmp(a, "--data")) data = argv[++i];
        else if (!strcmp(a, "--predictions")) pred = argv[++i];
        else if (!strcmp(a, "--tokenizer")) tok_dir = argv[++i];
        else if (!strcmp(a, "--precision")) {
            const char *p = argv[++i];
            ok = !strcmp(p, "bf16") || !strcmp(p, "fp32");
            prec = !strcmp(p, "fp32") ? GPT2_FP32 : GPT2_BF16;
        } else if (!strcmp(a, "--minibatch")) ok = !cli_parse_size(argv[++i], &minibatch) && minibatch;
        else if (!strcmp(a, "--max-ctx")) ok = !cli_parse_size(argv[++i], &max_ctx) && max_ctx;
        else if (!strcmp(a, "--threads")) ok = !cli_parse_size(argv[++i], &threads) && threads && threads <= 4096;
        else ok = false;
        if (!ok) {
            fprintf(stderr, "w2s eval: bad option or value: '%s%s%s' (see w2s eval --help)\n", a, v ? " " : "", v ? v : "");
            return 2;
        }
    }
    if (!model_path || !data) {
        fprintf(stderr, "w2s eval: --model and --data are required (see w2s eval --help)\n");
        return 2;
    }
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
        printf("{\"examples\": %zu, \"accuracy\": %.17g, \"auroc\": ", ds.n, ev.accuracy);
        if (isfinite(ev.auroc)) printf("%.17g", ev.auroc);
        else printf("null, \"auroc_undefined_reason\": \"%s\"", ev.auroc_reason ? ev.auroc_reason : "");
        printf(", \"eval_s\": %.3f}\n", ev.seconds);
    }
    free(logits);
    free(hard);
    gpt2_destroy(m);
    dataset_free(&ds);
    tokenizer_free(tok);
    return rc ? cli_fail("eval", NULL) : 0;
}
