// cli_data.h — what `w2s train`, `w2s eval` and `w2s pretrain` share: a model's tokenizer and its dataset.
// Not used by `w2s run` (protocol.c loads its inputs itself, for two models at once).
#ifndef W2S_CLI_DATA_H
#define W2S_CLI_DATA_H

#include "dataset.h"
#include "gpt2_config.h"
#include "tokenizer.h"

#include <stdbool.h>
#include <stddef.h>

// Loads `path` for a model of shape cfg: labels required, ids checked against its vocabulary,
// "txt" tokenized with the tokenizer of tok_dir (vocab.json + merges.txt; NULL or a directory
// without them: pre-tokenized data only). n_classes 0 = infer. *tok is the tokenizer loaded
// (free it after the dataset). Returns 0 or -1 with a message.
int cli_load_dataset(dataset *ds, const char *path, const gpt2_config *cfg, const char *tok_dir, size_t n_classes,
                     size_t max_ctx, bool truncate, bool keep_raw, tokenizer **tok);

// For `w2s train` and `w2s eval`: *cfg from the checkpoint or HF directory at model_path, then
// cli_load_dataset with the tokenizer of tok_dir (NULL: the model's own directory, if it is
// one) and, when model_classes, the class count of the model's head; *max_len = the longest
// example (at least 1). Returns 0 or -1 with a message.
int cli_load_model_data(const char *model_path, const char *data, const char *tok_dir, bool model_classes,
                        size_t max_ctx, bool truncate, bool keep_raw, gpt2_config *cfg, dataset *ds, tokenizer **tok,
                        size_t *max_len);

// The same for `w2s pretrain`'s token sequences: labels optional and ignored.
int cli_load_sequences(dataset *ds, const char *path, const gpt2_config *cfg, const char *tok_dir, size_t max_ctx,
                       bool truncate, tokenizer **tok);

#endif
