// cmd_label.h — what `w2s label`'s batch mode (cmd_label.c) and stream mode
// (cmd_label_stream.c) share: options, the loaded model + tokenizer, the fp32 comparison.
// Not a library API: runtime/train/labeler.h is the one protocol.c and other callers use.
#ifndef W2S_CLI_CMD_LABEL_H
#define W2S_CLI_CMD_LABEL_H

#include "label_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    double agreement, mean_abs_dp, max_abs_dp;
} label_check;

void label_compare(const float *p, const float *ref, size_t n, size_t K, label_check *c);
void label_print_json_string(FILE *f, const char *s);

// Serves requests from stdin until EOF (cmd_label_stream.c). Returns 0, or -1 on a fatal error
// (model load, I/O); bad requests are answered, never fatal.
int label_stream(label_ctx *x);

// `w2s bench label` (cmd_bench_label.c), dispatched from cmd_bench.c; argv[0] is "label".
int bench_label(int argc, char **argv);

#endif
