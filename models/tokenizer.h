// tokenizer.h — GPT-2's byte-level BPE tokenizer: text bytes → token ids, ids → bytes.
// Reads vocab.json + merges.txt (Hugging Face) or encoder.json + vocab.bpe (OpenAI); it is not a
// general tokenizer (no special-token parsing: "<|endoftext|>" in text is plain text, as in GPT-2).
// Ids equal OpenAI's gpt-2 encoder.py: its split pattern with \s = Unicode White_Space (PCRE2 UCP),
// then BPE by merge rank. Invalid UTF-8 is first replaced by U+FFFD per maximal ill-formed
// subsequence, exactly as WHATWG TextDecoder (Node, browsers) decodes it.
#ifndef W2S_MODELS_TOKENIZER_H
#define W2S_MODELS_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Limits on the files read (a hostile file fails with a message instead of exhausting memory).
#define TOKENIZER_MAX_FILE_BYTES ((size_t)256 << 20)
#define TOKENIZER_MAX_ID ((int32_t)(1 << 24) - 1)

// Thread-safety: loading and decoding are read-only on a loaded tokenizer; encoding uses the
// tokenizer's scratch buffers and word cache, so one thread at a time encodes with it (load
// one tokenizer per encoding thread).
typedef struct tokenizer tokenizer;

// True if dir is a directory with a tokenizer's vocabulary (vocab.json or encoder.json): the
// one test of "this model directory carries its tokenizer" (tokenizer_load_dir then names a
// missing merges file).
bool tokenizer_dir_present(const char *dir);

// Every file name a tokenizer directory may hold (the Hugging Face and the OpenAI pair):
// what a saved model directory copies to carry its tokenizer.
#define TOKENIZER_N_FILES 4
extern const char *const tokenizer_file_names[TOKENIZER_N_FILES];
// Loads from a directory holding vocab.json + merges.txt, else encoder.json + vocab.bpe.
// Returns NULL with w2s_error_message() naming the file (and line) at fault.
tokenizer *tokenizer_load_dir(const char *dir);
// Loads from explicit paths.
//   vocab_path:  JSON object {token: id}; tokens in GPT-2's byte-to-unicode alphabet, ids
//                unique integers in [0, TOKENIZER_MAX_ID]; all 256 single-byte tokens present.
//   merges_path: one merge "<left> <right>" per line by rank, optional "#version" first line;
//                both parts and their concatenation must be tokens of the vocabulary.
tokenizer *tokenizer_load(const char *vocab_path, const char *merges_path);
void tokenizer_free(tokenizer *tok);

// Largest id + 1 (ids may have holes; a hole decodes as an error).
size_t tokenizer_vocab_size(const tokenizer *tok);
size_t tokenizer_merge_count(const tokenizer *tok);
// Id of the token whose bytes are bytes[0..len), or -1.
int32_t tokenizer_token_id(const tokenizer *tok, const char *bytes, size_t len);
// Id of "<|endoftext|>" (50256 in GPT-2), or -1 if the vocabulary has none.
int32_t tokenizer_eot_id(const tokenizer *tok);
// The bytes of token id (not NUL-terminated; *len set), or NULL if id is not in the vocabulary.
const char *tokenizer_token_bytes(const tokenizer *tok, int32_t id, size_t *len);

// A growable id vector owned by the caller; zero-initialize it, free with tokenizer_ids_free.
typedef struct {
    int32_t *ids;  // (n)
    size_t n, cap;
} tokenizer_ids;
void tokenizer_ids_free(tokenizer_ids *v);

// Appends the ids of text[0..len) (any bytes, NULs included) to *out. Returns 0, or -1 on
// out-of-memory / regex failure (out keeps the ids appended before the failure).
int tokenizer_encode(tokenizer *tok, const char *text, size_t len, tokenizer_ids *out);
// tokenizer_encode as a dataset reader's callback (dataset.h's tokenize option): ctx is the
// tokenizer; on success *ids (malloc'ed, owned by the caller) holds *n ids. Returns 0 or -1.
int tokenizer_encode_cb(void *ctx, const char *text, size_t len, int32_t **ids, size_t *n);

// Concatenated bytes of ids[0..n) in a malloc'ed, NUL-terminated buffer (*len excludes the NUL).
// NULL with a message if an id is not in the vocabulary.
char *tokenizer_decode(const tokenizer *tok, const int32_t *ids, size_t n, size_t *len);

// ---- UTF-8 repair (the policy above, exposed for tests and the CLI)
// Returns 1 if s[0..len) is valid UTF-8 (no surrogates, no overlongs, <= U+10FFFF), else 0.
int tokenizer_utf8_valid(const char *s, size_t len);
// Writes s with every maximal ill-formed subsequence replaced by U+FFFD (EF BF BD) to out,
// which must hold 3 * len bytes; returns the bytes written. Valid input is copied unchanged.
size_t tokenizer_utf8_repair(const char *s, size_t len, char *out);

#endif
