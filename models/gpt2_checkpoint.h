// gpt2_checkpoint.h — GPT-2 weights in and out: Hugging Face directories and w2s checkpoints.
// Reads a HF GPT-2 directory as-is (config.json + model.safetensors; tensor names with the
// "transformer." or "lm.transformer." prefix or none; F32/F16/BF16) or a w2s checkpoint file; writes w2s
// checkpoints: safetensors with HF names ("transformer.h.0.attn.c_attn.weight", ...,
// "score.weight" [K, C], "lm_head.weight" [VO, C] when untied) and the config in __metadata__,
// so GPT2ForSequenceClassification.from_pretrained opens them. Writes are atomic.
#ifndef W2S_MODELS_GPT2_CHECKPOINT_H
#define W2S_MODELS_GPT2_CHECKPOINT_H

#include "gpt2.h"
#include "safetensors.h"

// __metadata__ keys of a w2s checkpoint.
#define GPT2_META_CONFIG "w2s_config"     // hf_config_to_json() of the network
#define GPT2_META_LM_HEAD "w2s_lm_head"   // "none", "tied" or "untied"
#define GPT2_META_LM_VOCAB "w2s_lm_vocab" // VO (decimal) when untied

// The network shape stored at `path`: a directory (its config.json) or a w2s checkpoint
// file (its __metadata__). Returns 0 or -1 with a message naming the file.
int gpt2_checkpoint_config(const char *path, gpt2_config *cfg);

// Creates a model from `path` (directory or file) and loads its weights.
//   opt:        batch/sequence capacity, precision, LM head mode
//   n_classes:  classification head size, or -1 to keep the stored config's num_labels.
//               A stored score.weight of another shape is an error; none → zero head.
// Returns NULL with a message naming the file and tensor on failure.
gpt2_model *gpt2_checkpoint_load(const char *path, const gpt2_options *opt, long n_classes);

// The prefix of the body's tensor names in f: "transformer." (GPT2LMHeadModel,
// GPT2ForSequenceClassification, w2s), "lm.transformer." (openai/weak-to-strong's
// TransformerWithHead) or "" (GPT2Model).
const char *gpt2_checkpoint_body_prefix(const safetensors_file *f);

// Loads weights from a safetensors file into an existing model of the matching shape.
// Required: wte, wpe, every layer's ln_1/attn/ln_2/mlp tensors, ln_f. Optional: score.weight
// (absent → zero), lm_head.weight (absent in an untied model with VO = V → copy of wte, as
// HF ties them). attn.bias / attn.masked_bias buffers and unknown tensors are ignored.
int gpt2_checkpoint_load_weights(gpt2_model *m, const char *file);

// Writes the model's parameters and config to `file` atomically (deterministic bytes).
int gpt2_checkpoint_save(const gpt2_model *m, const char *file);

#endif
