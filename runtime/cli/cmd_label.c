// cmd_label.c — `w2s label`: weak labels (soft_label + hard_label) of a JSONL dataset by a
// trained GPT-2 classifier, int8 by default; `--stream` serves the same from stdin to stdout.
// Not a trainer or an evaluator (w2s eval scores against ground truth). The one thing to know:
// the whole output is written atomically at the end (the dataset is held in memory anyway),
// so an interrupted run leaves no partial file and nothing earlier is overwritten.
#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "cmd_label.h"

#include "error.h"
#include "fileio.h"
#include "labeler.h"
#include "progress.h"
#include "trainer.h"
#include "world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s label --model PATH --data IN.jsonl --out OUT.jsonl [options]   (--out - : standard output)\n"
        "       w2s label --model PATH --stream [options]\n"
        "  Writes each input line back with \"soft_label\" (the model's probabilities) and\n"
        "  \"hard_label\" (its prediction); an input hard_label is kept as \"gt_label\". Input lines:\n"
        "  {\"txt\": str} or {\"input_ids\": [int...]}, hard_label optional. Examples are sorted by\n"
        "  length into batches; the output keeps the input order and is written atomically at\n"
        "  the end. A JSON summary goes to stdout, progress to stderr.\n"
        "  --model PATH        w2s checkpoint or HF directory with a classification head\n"
        "  --precision P       int8 (default: s8 weights, u8 per-token activations), bf16 or fp32\n"
        "  --batch B           examples per forward (default 8)\n"
        "  --threads N         OpenMP threads\n"
        "  --max-ctx T         longest example in tokens (default n_positions); longer is an error\n"
        "  --skip-bad          skip and count bad lines (malformed JSON, no text, empty text, bad\n"
        "                      label, too long) instead of stopping at the first with FILE:LINE\n"
        "  --check-fp32        also run the fp32 model: argmax agreement, mean/max |dp| (summary)\n"
        "  --tokenizer DIR     vocab.json + merges.txt or encoder.json + vocab.bpe (default: the\n"
        "                      model directory, or the checkpoint file's directory)\n"
        "  --quiet             no progress line\n"
        "  --stream            read one JSON request per stdin line, answer one JSON line each on\n"
        "                      stdout as soon as it is labeled (requests that arrived together are\n"
        "                      batched, up to --batch); a bad request gets {\"error\": ..., \"line\": N}\n");
}

// ---- batch mode

static int label_file(label_ctx *x) {
    const label_options *o = &x->o;
    dataset ds = {0};
    dataset_options dopt = {.n_classes = x->cfg.n_classes, .skip_bad = o->skip_bad, .keep_raw = 1,
                            .vocab_size = (int64_t)x->cfg.vocab_size,
                            .tokenize = x->tok ? tokenizer_encode_cb : NULL, .tokenize_ctx = x->tok};
    size_t *idx = NULL, n = 0, too_long = 0, max_len = 1, tokens = 0;
    float *soft = NULL, *ref = NULL;
    int32_t *hard = NULL;
    label_check chk = {0};
    double t0 = progress_now(), secs = 0;
    int rc = dataset_load(&ds, o->data, &dopt);
    if (!rc) {
        idx = malloc((ds.n ? ds.n : 1) * sizeof *idx);
        rc = idx ? 0 : W2S_FAIL("out of memory");
    }
    // Too long is checked here rather than in dataset_load (which drops silently) so that it
    // is an error naming the line, like every other bad input, unless --skip-bad.
    for (size_t i = 0; !rc && i < ds.n; i++) {
        size_t len;
        dataset_tokens(&ds, i, &len);
        if (len > x->max_ctx) {
            if (!o->skip_bad)
                rc = W2S_FAIL("%s:%zu: example has %zu tokens, more than the %zu of --max-ctx / n_positions "
                              "(hint: --skip-bad skips it)", o->data, ds.line[i], len, x->max_ctx);
            too_long++;
            continue;
        }
        idx[n++] = i;
        tokens += len;
        max_len = len > max_len ? len : max_len;
    }
    if (!rc && n == 0) rc = W2S_FAIL("%s: no examples to label (%zu lines, %zu bad, %zu too long)", o->data,
                                     ds.stats.n_lines, ds.stats.n_bad, too_long);
    if (!rc) rc = label_load_models(x, max_len);
    const size_t K = x->cfg.n_classes;
    if (!rc) {
        soft = malloc(n * K * sizeof *soft);
        hard = malloc(n * sizeof *hard);
        ref = o->check_fp32 ? malloc(n * K * sizeof *ref) : NULL;
        rc = (!soft || !hard || (o->check_fp32 && !ref)) ? W2S_FAIL("out of memory") : 0;
    }
    if (!rc) {
        progress p;
        progress_start(&p, "label", n, "examples", o->quiet || !dist_is_root());
        double t1 = progress_now();
        rc = labeler_logits_sharded(&x->lm, &ds, idx, n, K, soft, &p, false);
        secs = progress_now() - t1;
        progress_finish(&p);
    }
    if (!rc && o->check_fp32) {
        progress p;
        progress_start(&p, "label fp32 check", n, "examples", o->quiet || !dist_is_root());
        rc = labeler_logits_sharded(&x->ref, &ds, idx, n, K, ref, &p, false);
        progress_finish(&p);
    }
    // Under MPI only rank 0 holds every row from here on: it alone converts, writes, reports.
    if (!rc && !dist_is_root()) goto done;
    if (!rc) trainer_soft_labels(soft, n, K, soft, hard);
    if (!rc && o->check_fp32) {
        trainer_soft_labels(ref, n, K, ref, NULL);
        label_compare(soft, ref, n, K, &chk);
        fprintf(stderr, "w2s label: %s vs fp32: argmax agreement %.4f, mean |dp| %.3g, max |dp| %.3g\n",
                label_precision_name(o->precision), chk.agreement, chk.mean_abs_dp, chk.max_abs_dp);
    }
    if (!rc) rc = dataset_write_labels(o->out, &ds, idx, n, soft, hard);
    // With --out -, standard output carries the labels; the summary line goes to stderr.
    FILE *sum = w2s_is_stdout(o->out) ? stderr : stdout;
    if (!rc) {
        fprintf(sum, "{\"examples\": %zu, \"tokens\": %zu, \"precision\": \"%s\", \"skipped_bad\": %zu, \"skipped_too_long\": "
               "%zu, \"blank_lines\": %zu, \"label_s\": %.3f, \"examples_per_s\": %.2f, \"tokens_per_s\": %.1f, "
               "\"total_s\": %.3f, \"out\": ",
               n, tokens, label_precision_name(o->precision), ds.stats.n_bad, too_long, ds.stats.n_blank, secs,
               secs > 0 ? (double)n / secs : 0.0, secs > 0 ? (double)tokens / secs : 0.0, progress_now() - t0);
        label_print_json_string(sum, o->out);
        if (o->check_fp32)
            fprintf(sum, ", \"fp32_check\": {\"argmax_agreement\": %.6f, \"mean_abs_dp\": %.6g, \"max_abs_dp\": %.6g}",
                   chk.agreement, chk.mean_abs_dp, chk.max_abs_dp);
        fprintf(sum, "}\n");
        if (ds.stats.n_bad && !o->quiet)
            fprintf(stderr, "w2s label: skipped %zu bad lines (first: %s)\n", ds.stats.n_bad, ds.stats.first_bad);
    }
done:
    free(idx);
    free(soft);
    free(ref);
    free(hard);
    dataset_free(&ds);
    return rc;
}

// ---- arguments

int cmd_label(int argc, char **argv) {
    label_options o = {.batch = 8, .precision = LABEL_INT8};
    bool stream = false;
    int precision = 0;  // index of --precision: label_precision's order
    cli_opt opts[] = {
        CLI_OPT("model", CLI_STR, &o.model),
        CLI_OPT("data", CLI_STR, &o.data),
        CLI_OPT("out", CLI_STR, &o.out),
        CLI_OPT("tokenizer", CLI_STR, &o.tokenizer),
        CLI_OPT("precision", CLI_CHOICE, &precision, .choices = CLI_CHOICES("int8", "bf16", "fp32")),
        CLI_OPT("batch", CLI_SIZE, &o.batch, .lo = 1, .hi = 4096),
        CLI_OPT("max-ctx", CLI_SIZE, &o.max_ctx, .lo = 1),
        CLI_OPT("threads", CLI_SIZE, &o.threads, .lo = 1, .hi = 4096),
        CLI_OPT("skip-bad", CLI_FLAG, &o.skip_bad),
        CLI_OPT("check-fp32", CLI_FLAG, &o.check_fp32),
        CLI_OPT("quiet", CLI_FLAG, &o.quiet),
        CLI_OPT("stream", CLI_FLAG, &stream),
    };
    int status = cli_opts_parse("label", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    o.precision = (label_precision)precision;
    if (!o.model || (!stream && (!o.data || !o.out)) || (stream && (o.data || o.out || o.check_fp32)))
        return cli_usage_error("label", "needs --model with --data and --out, or --model with --stream (no --data, "
                                        "--out or --check-fp32)");
    if (stream && dist_size() > 1)
        return cli_usage_error("label", "--stream serves one stdin: run it without mpirun/srun");
    label_ctx x;
    int rc = label_open(&x, &o);
    if (!rc) rc = stream ? label_stream(&x) : label_file(&x);
    label_close(&x);
    return rc ? cli_fail("label", NULL) : 0;
}
