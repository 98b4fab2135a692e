// cli_data.c — dataset loading shared by `w2s train`, `w2s eval` and `w2s pretrain` (cli_data.h).
#include "cli_data.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int load(dataset *ds, const char *path, const gpt2_config *cfg, const char *tok_dir, size_t n_classes,
                size_t max_ctx, bool truncate, bool keep_raw, bool labels, tokenizer **tok) {
    *tok = NULL;
    if (tokenizer_dir_present(tok_dir)) {
        if (!(*tok = tokenizer_load_dir(tok_dir))) return w2s_error_wrap("tokenizer of %s", tok_dir);
        if (tokenizer_vocab_size(*tok) > cfg->vocab_size)
            return W2S_FAIL("the tokenizer in %s has %zu tokens but the model's vocab_size is %zu (tokenizer and "
                            "model files do not match)", tok_dir, tokenizer_vocab_size(*tok), cfg->vocab_size);
    }
    dataset_options o = {.n_classes = n_classes, .require_labels = labels, .keep_raw = keep_raw,
                         .max_ctx = max_ctx ? max_ctx : cfg->n_positions, .truncate = truncate,
                         .vocab_size = (int64_t)cfg->vocab_size, .tokenize = *tok ? tokenizer_encode_cb : NULL,
                         .tokenize_ctx = *tok};
    if (dataset_load(ds, path, &o) != 0) return -1;
    if (ds->n == 0) return W2S_FAIL("%s: no usable examples (%zu lines, %zu too long)", path, ds->stats.n_lines,
                                    ds->stats.n_too_long);
    return 0;
}

int cli_load_dataset(dataset *ds, const char *path, const gpt2_config *cfg, const char *tok_dir, size_t n_classes,
                     size_t max_ctx, bool truncate, bool keep_raw, tokenizer **tok) {
    return load(ds, path, cfg, tok_dir, n_classes, max_ctx, truncate, keep_raw, true, tok);
}

int cli_load_model_data(const char *model_path, const char *data, const char *tok_dir, bool model_classes,
                        size_t max_ctx, bool truncate, bool keep_raw, gpt2_config *cfg, dataset *ds, tokenizer **tok,
                        size_t *max_len) {
    *tok = NULL;
    *max_len = 1;
    if (gpt2_checkpoint_config(model_path, cfg) != 0) return -1;
    // Like label (label_model.c): the model's directory, or the directory of a checkpoint file
    // (a model `w2s run --save-models` saved carries its tokenizer beside model.safetensors).
    struct stat st;
    char parent[W2S_PATH_MAX];
    if (!tok_dir && stat(model_path, &st) == 0 && S_ISDIR(st.st_mode)) tok_dir = model_path;
    else if (!tok_dir && !w2s_path_format(parent, sizeof parent, "%s", model_path)) tok_dir = dirname(parent);
    if (cli_load_dataset(ds, data, cfg, tok_dir, model_classes ? cfg->n_classes : 0, max_ctx, truncate, keep_raw,
                         tok) != 0)
        return -1;
    for (size_t i = 0; i < ds->n; i++) {
        size_t len;
        dataset_tokens(ds, i, &len);
        if (len > *max_len) *max_len = len;
    }
    return 0;
}

int cli_load_sequences(dataset *ds, const char *path, const gpt2_config *cfg, const char *tok_dir, size_t max_ctx,
                       bool truncate, tokenizer **tok) {
    return load(ds, path, cfg, tok_dir, 0, max_ctx, truncate, false, false, tok);
}
