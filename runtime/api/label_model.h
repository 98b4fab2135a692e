// label_model.h — a trained classifier opened for labeling: its config, its tokenizer (when
// its directory has one) and the labeling model at a precision, shared by `w2s label` (batch,
// stream, bench) and the library's w2s_model. Not the labeling loop (labeler.h). The one thing
// to know: the int8 graph is sized for sequences of at most max_seq tokens, so it is loaded
// (label_load_models) once the longest input is known.
#ifndef W2S_API_LABEL_MODEL_H
#define W2S_API_LABEL_MODEL_H

#include "gpt2_config.h"
#include "labeler.h"
#include "tokenizer.h"

#include <stdbool.h>
#include <stddef.h>

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

// Reads the model's config and its tokenizer (o->tokenizer, else the model's directory, or the
// checkpoint file's; none there: pre-tokenized input only); sets the OpenMP threads when
// o->threads. Returns 0 or -1 with the error set; label_close in both cases.
int label_open(label_ctx *x, const label_options *o);
// Loads the models for sequences of at most max_seq tokens: the labeling model (int8 graph
// built from fp32 weights, or the fp32/bf16 model) and, with check_fp32, the fp32 reference.
int label_load_models(label_ctx *x, size_t max_seq);
// Frees the models (label_unload_models) and the tokenizer.
void label_close(label_ctx *x);
// Frees the labeling and reference models only (to reload them for longer sequences).
void label_unload_models(label_ctx *x);
const char *label_precision_name(label_precision p);

#endif
