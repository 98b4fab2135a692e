// cmd_label.c — `w2s label`: weak labels (soft_label + hard_label) of a JSONL dataset by a
// trained GPT-2 classifier, int8 by default; `--stream` serves the same from stdin to stdout.
// Not a trainer or an evaluator (w2s eval scores against ground truth). The one thing to know:
// the whole output is written atomically at the end (the dataset is held in memory anyway),
// so an interrupted run leaves no partial file and nothing earlier is overwritten.
#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cmd_label.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "labeler.h"
#include "progress.h"
#include "trainer.h"
#include "world.h"

#include <libgen.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s label --model PATH --data IN.jsonl --out OUT.jsonl [options]\n"
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

// ---- model and tokenizer

static const char *tokenizer_dir(const char *model, const char *given, char *buf, size_t cap) {
    if (given) return given;
    struct stat st;
    if (stat(model, &st) == 0 && S_ISDIR(st.st_mode)) return model;
    snprintf(buf, cap, "%s", model);
    return dirname(buf);
}

int label_open(label_ctx *x, const label_options *o) {
    memset(x, 0, sizeof *x);
    x->o = *o;
    if (o->threads) omp_set_num_threads((int)o->threads);
    if (gpt2_checkpoint_config(o->model, &x->cfg)) return -1;
    if (x->cfg.n_classes < 2)
        return W2S_FAIL("%s has no classification head (n_classes %zu): label with a trained classifier "
                        "(w2s train / w2s run --save-models)", o->model, x->cfg.n_classes);
    x->max_ctx = o->max_ctx ? o->max_ctx : x->cfg.n_positions;
    if (x->max_ctx > x->cfg.n_positions)
        return W2S_FAIL("--max-ctx %zu exceeds the model's n_positions %zu", x->max_ctx, x->cfg.n_positions);
    char buf[4096];
    const char *td = tokenizer_dir(o->model, o->tokenizer, buf, sizeof buf);
    char p1[4200], p2[4200];
    snprintf(p1, sizeof p1, "%s/vocab.json", td);
    snprintf(p2, sizeof p2, "%s/encoder.json", td);
    if (w2s_file_exists(p1) || w2s_file_exists(p2)) {
        if (!(x->tok = tokenizer_load_dir(td))) return w2s_error_wrap("tokenizer of %s", td);
        if (tokenizer_vocab_size(x->tok) > x->cfg.vocab_size)
            return W2S_FAIL("the tokenizer in %s has %zu tokens but the model's vocab_size is %zu (tokenizer and "
                            "model files do not match)", td, tokenizer_vocab_size(x->tok), x->cfg.vocab_size);
    }
    return 0;
}

// Loads the models for sequences of at most max_seq tokens: the labeling model (int8 graph
// built from fp32 weights, or the fp32/bf16 model) and, with check_fp32, the fp32 reference.
int label_load_models(label_ctx *x, size_t max_seq) {
    const label_options *o = &x->o;
    gpt2_options opt = {.max_batch = o->batch, .max_seq = max_seq, .lm_mode = GPT2_LM_NONE,
                        .precision = o->precision == LABEL_BF16 ? GPT2_BF16 : GPT2_FP32};
    gpt2_model *m = gpt2_checkpoint_load(o->model, &opt, (long)x->cfg.n_classes);
    if (!m) return -1;
    if (o->precision == LABEL_INT8) {
        x->lm.q = labeler_int8_create(m, o->batch, max_seq);
        if (!x->lm.q) {
            gpt2_destroy(m);
            return -1;
        }
        if (o->check_fp32) x->ref.m = m;
        else gpt2_destroy(m);
    } else {
        x->lm.m = m;
        if (o->check_fp32 && o->precision == LABEL_FP32) x->ref.m = m;
        else if (o->check_fp32) {
            opt.precision = GPT2_FP32;
            if (!(x->ref.m = gpt2_checkpoint_load(o->model, &opt, (long)x->cfg.n_classes))) return -1;
        }
    }
    return 0;
}

void label_close(label_ctx *x) {
    if (x->ref.m && x->ref.m != x->lm.m) gpt2_destroy(x->ref.m);
    gpt2_destroy(x->lm.m);
    gpt2_int8_destroy(x->lm.q);
    tokenizer_free(x->tok);
    memset(x, 0, sizeof *x);
}

const char *label_precision_name(label_precision p) {
    return p == LABEL_INT8 ? "int8" : p == LABEL_BF16 ? "bf16" : "fp32";
}

// Agreement and |Δp| between two (n, K) probability tables.
void label_compare(const float *p, const float *ref, size_t n, size_t K, label_check *c) {
    size_t agree = 0;
    double sum = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = 0, r = 0;
        for (size_t k = 1; k < K; k++) {
            if (p[i * K + k] > p[i * K + a]) a = k;
            if (ref[i * K + k] > ref[i * K + r]) r = k;
        }
        agree += a == r;
        for (size_t k = 0; k < K; k++) {
            double d = fabs((double)p[i * K + k] - (double)ref[i * K + k]);
            sum += d;
            mx = d > mx ? d : mx;
        }
    }
    c->agreement = n ? (double)agree / (double)n : 1.0;
    c->mean_abs_dp = n ? sum / (double)(n * K) : 0.0;
    c->max_abs_dp = mx;
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
    if (!rc) {
        printf("{\"examples\": %zu, \"tokens\": %zu, \"precision\": \"%s\", \"skipped_bad\": %zu, \"skipped_too_long\": "
               "%zu, \"blank_lines\": %zu, \"label_s\": %.3f, \"examples_per_s\": %.2f, \"tokens_per_s\": %.1f, "
               "\"total_s\": %.3f, \"out\": ",
               n, tokens, label_precision_name(o->precision), ds.stats.n_bad, too_long, ds.stats.n_blank, secs,
               secs > 0 ? (double)n / secs : 0.0, secs > 0 ? (double)tokens / secs : 0.0, progress_now() - t0);
        label_print_json_string(stdout, o->out);
        if (o->check_fp32)
            printf(", \"fp32_check\": {\"argmax_agreement\": %.6f, \"mean_abs_dp\": %.6g, \"max_abs_dp\": %.6g}",
                   chk.agreement, chk.mean_abs_dp, chk.max_abs_dp);
        printf("}\n");
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

void label_print_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
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
