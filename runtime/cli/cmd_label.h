// cmd_label.h — what `w2s label`'s batch mode (cmd_label.c) and stream mode
// (cmd_label_stream.c) share: options, the loaded model + tokenizer, the fp32 comparison.
// Not a library API: runtime/train/labeler.h is the one protocol.c and other callers use.
#ifndef W2S_CLI_CMD_LABEL_H
#define W2S_CLI_CMD_LABEL_H

#include "gpt2_config.h"
#include "labeler.h"
#include "tokenizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { LABEL_INT8 = 0, LABEL_BF16, LABEL_FP32 } label_precision;

typedef struct {
    const char *model, *data, *out, *tokenizer;
    label_precision precision;
    size_t batch, threads, max_ctx;
    bool skip_bad, check_fp32, quiet;
} label_options;

typedef struct {
    label_options o;
    gpt2_config cfg;
    size_t max_ctx;      // longest example accepted (--max-ctx or n_positions)
    tokenizer *tok;      // NULL: pre-tokenized input only
    labeler_model lm;    // the labeling model
    labeler_model ref;   // fp32 reference (--check-fp32), may share lm.m
} label_ctx;

typedef struct {
    double agreement, mean_abs_dp, max_abs_dp;
} label_check;

int label_open(label_ctx *x, const label_options *o);
int label_load_models(label_ctx *x, size_t max_seq);
void label_close(label_ctx *x);
const char *label_precision_name(label_precision p);
void label_compare(const float *p, const float *ref, size_t n, size_t K, label_check *c);
void label_print_json_string(FILE *f, const char *s);

// Serves requests from stdin until EOF (cmd_label_stream.c). Returns 0, or -1 on a fatal error
// (model load, I/O); bad requests are answered, never fatal.
int label_stream(label_ctx *x);

// `w2s bench label` (cmd_bench_label.c), dispatched from cmd_bench.c; argv[0] is "label".
int bench_label(int argc, char **argv);

#endif
