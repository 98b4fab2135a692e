// hf_config.h — Hugging Face GPT-2 config.json <-> gpt2_config, and the named GPT-2 sizes.
// Not a general HF config reader: only the fields that shape a GPT-2 network are read, and
// fields that would change its math (another activation, n_inner != 4C, attention
// upcast/reordering) are refused rather than ignored, so a loaded model never silently
// differs from what PyTorch would run. Errors name the file and the key.
#ifndef W2S_MODELS_HF_CONFIG_H
#define W2S_MODELS_HF_CONFIG_H

#include "gpt2_config.h"

#include <stddef.h>

// Sanity bounds (far above gpt2-xl; they reject garbage and keep size products small).
#define HF_CONFIG_MAX_LAYER ((size_t)1024)
#define HF_CONFIG_MAX_HEAD ((size_t)1024)
#define HF_CONFIG_MAX_EMBD ((size_t)65536)
#define HF_CONFIG_MAX_VOCAB ((size_t)1 << 24)
#define HF_CONFIG_MAX_POSITIONS ((size_t)1 << 20)
#define HF_CONFIG_MAX_CLASSES ((size_t)1 << 16)

// Reads `path` (a config.json) into *cfg. Keys: n_layer, n_head, n_embd, vocab_size,
// n_positions (or the legacy n_ctx when n_positions is absent), layer_norm_epsilon (default
// 1e-5), num_labels and/or id2label (give n_classes; 0 if both absent; must agree if both
// present), activation_function ("gelu_new" or absent), model_type ("gpt2" or absent),
// n_inner (null or 4·n_embd). Other keys are ignored. Returns 0, or -1 with a message.
int hf_config_load(const char *path, gpt2_config *cfg);

// Same from JSON text text[0..len) (e.g. a checkpoint's metadata); `label` names it in errors.
int hf_config_parse(const char *text, size_t len, const char *label, gpt2_config *cfg);

// Checks ranges (all sizes positive except n_classes, within the HF_CONFIG_MAX_* bounds,
// n_embd % n_head == 0, 0 < ln_eps < 1). `label` names the source in the message.
int hf_config_validate(const gpt2_config *cfg, const char *label);

// The config as HF-style JSON (malloc'ed, NUL-terminated, caller frees): model_type gpt2,
// activation_function gelu_new, n_ctx = n_positions, and num_labels + id2label
// {"0": "LABEL_0", ...} when n_classes > 0. Deterministic (sorted keys, shortest float
// spelling of layer_norm_epsilon). NULL with a message on failure (invalid cfg included).
char *hf_config_to_json(const gpt2_config *cfg);

// Writes hf_config_to_json() to `path` atomically.
int hf_config_save(const char *path, const gpt2_config *cfg);

// The shape of a released GPT-2: "gpt2" (12 layers, 12 heads, 768), "gpt2-medium" (24, 16,
// 1024), "gpt2-large" (36, 20, 1280), "gpt2-xl" (48, 25, 1600); vocab 50257, 1024 positions,
// eps 1e-5, n_classes 0. -1 with a message listing the names if `name` is unknown.
int hf_config_named(const char *name, gpt2_config *cfg);

#endif
