// fuzz_hf_config.c — libFuzzer target for the config.json reader (models/hf_config.c).
// Built by CMake with W2S_FUZZ=ON (clang -fsanitize=fuzzer); scripts/fuzz builds and runs it.
// Property checked beyond memory safety: an accepted config validates, and writing it out and
// parsing that back gives the same config (bit-exact epsilon included); a violation traps.
// fuzz-room: w2s_models
#include "hf_config.h"

#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) \
    do {         \
        if (!(c)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gpt2_config c, back;
    if (hf_config_parse((const char *)data, size, "fuzz", &c) != 0) {
        CHECK(w2s_error_message()[0] != 0);
        return 0;
    }
    CHECK(hf_config_validate(&c, "fuzz") == 0);
    char *text = hf_config_to_json(&c);
    CHECK(text != NULL);
    CHECK(hf_config_parse(text, strlen(text), "fuzz-roundtrip", &back) == 0);
    CHECK(back.n_layer == c.n_layer && back.n_head == c.n_head && back.n_embd == c.n_embd &&
          back.vocab_size == c.vocab_size && back.n_positions == c.n_positions &&
          back.n_classes == c.n_classes && memcmp(&back.ln_eps, &c.ln_eps, sizeof c.ln_eps) == 0);
    free(text);
    return 0;
}
