// label_model.c — a classifier opened for labeling (label_model.h): its config, tokenizer and
// the int8 graph or fp32/bf16 model, as `w2s label` and the library's w2s_model load them.
// Not the labeling loop (labeler.c) nor any output: it never prints.
#include "label_model.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"

#include <libgen.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    // tokenizer_dir copies the model's path into a W2S_PATH_MAX buffer
    if (w2s_path_arg_check(o->model, "--model") || w2s_path_arg_check(o->tokenizer, "--tokenizer")) return -1;
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

int label_load_models(label_ctx *x, size_t max_seq) {
    const label_options *o = &x->o;
    gpt2_options opt = {.max_batch = o->batch, .max_seq = max_seq, .lm_mode = GPT2_LM_NONE,
                        .precision = o->precision == LABEL_BF16 ? GPT2_BF16 : GPT2_FP32};
    // The int8 graph reads only the fp32 model's weights; its activations serve --check-fp32
    // alone, so without it they are sized for one token (for `w2s serve`'s 32 x n_positions,
    // GPT-2 small's would need 41 GB).
    if (o->precision == LABEL_INT8 && !o->check_fp32) opt.max_batch = opt.max_seq = 1;
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
        gpt2_pack_cache(m, true);  // labeling never changes the weights: bf16 packs them once, not per batch
        if (o->check_fp32 && o->precision == LABEL_FP32) x->ref.m = m;
        else if (o->check_fp32) {
            opt.precision = GPT2_FP32;
            if (!(x->ref.m = gpt2_checkpoint_load(o->model, &opt, (long)x->cfg.n_classes))) return -1;
        }
    }
    return 0;
}

void label_unload_models(label_ctx *x) {
    if (x->ref.m && x->ref.m != x->lm.m) gpt2_destroy(x->ref.m);
    gpt2_destroy(x->lm.m);
    gpt2_int8_destroy(x->lm.q);
    x->lm = x->ref = (labeler_model){0};
}

void label_close(label_ctx *x) {
    label_unload_models(x);
    tokenizer_free(x->tok);
    memset(x, 0, sizeof *x);
}

const char *label_precision_name(label_precision p) {
    return p == LABEL_INT8 ? "int8" : p == LABEL_BF16 ? "bf16" : "fp32";
}
