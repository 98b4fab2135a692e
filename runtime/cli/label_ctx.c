// label_ctx.c — the labeling model `w2s label` opens, shared by its batch mode (cmd_label.c)
// and its stream mode (cmd_label_stream.c): model + tokenizer loading, precision names, the
// fp32 comparison and JSON string output. Not the labeling itself (runtime/train/labeler.h).
#include "cmd_label.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"

#include <libgen.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    if (tokenizer_dir_present(td)) {
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

// ---- output

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
