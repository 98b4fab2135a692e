// gpt2_config.h — the shape of a GPT-2-family network (Hugging Face config.json fields).
// Shared by the model, its checkpoint files and the CLI. Letters used in shape comments:
// B = batch, T = tokens, C = channels (n_embd), NH = heads, V = vocab, L = layers,
// K = classes of the classification head, P = positions (n_positions).
#ifndef W2S_MODELS_GPT2_CONFIG_H
#define W2S_MODELS_GPT2_CONFIG_H

#include <stddef.h>

typedef struct {
    size_t n_layer;      // L
    size_t n_head;       // NH
    size_t n_embd;       // C (multiple of n_head)
    size_t vocab_size;   // V: rows of the token embedding (wte)
    size_t n_positions;  // P: rows of the position embedding (wpe) = max tokens per sequence
    size_t n_classes;    // K: classification head outputs (0 = no head)
    float ln_eps;        // LayerNorm epsilon (layer_norm_epsilon, 1e-5 for GPT-2)
} gpt2_config;

#endif
