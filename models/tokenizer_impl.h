// tokenizer_impl.h — the tokenizer's tables, shared by its loader (tokenizer.c) and its encoder
// (tokenizer_bpe.c); not a public header. All hash tables are open-addressed with linear
// probing and power-of-two capacity kept at most half full, so a probe always ends.
#ifndef W2S_MODELS_TOKENIZER_IMPL_H
#define W2S_MODELS_TOKENIZER_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer.h"

#include <stdint.h>

// A merge: the pair (left id, right id) becomes `merged` at priority `rank` (line order).
typedef struct {
    uint64_t key;     // (uint64)left << 32 | right; TOK_EMPTY_KEY when the slot is free
    uint32_t rank;
    int32_t merged;
} tok_merge_slot;
#define TOK_EMPTY_KEY UINT64_MAX

// A word-cache entry: the ids of a pre-tokenized word seen before.
typedef struct {
    uint64_t hash;
    uint32_t word_off, word_len;  // in cache_words; word_len == 0 marks a free slot
    uint32_t ids_off, ids_n;      // in cache_ids
} tok_cache_slot;

// One pending pair in the merge loop: key = rank << 32 | position of the left symbol.
typedef struct {
    uint64_t key;
    int32_t left, right;  // ids the pair had when queued; a mismatch later means it is stale
} tok_pair;

struct tokenizer {
    // ---- vocabulary: id → bytes, bytes → id
    size_t n_ids;          // largest id + 1
    uint32_t *tok_off;     // (n_ids) offset of each token's bytes in tok_bytes
    uint32_t *tok_len;     // (n_ids) 0 = no token has this id
    char *tok_bytes;       // all token bytes, concatenated
    int32_t *vocab_slots;  // (vocab_mask + 1) ids, -1 = free; keyed by the token's bytes
    size_t vocab_mask;
    int32_t byte_id[256];  // id of each single-byte token
    int32_t eot_id;

    // ---- merges: (left, right) → (rank, merged)
    tok_merge_slot *merge_slots;  // (merge_mask + 1)
    size_t merge_mask;
    size_t n_merges;

    // ---- pre-tokenizer
    pcre2_code *re;
    pcre2_match_data *match;

    // ---- encoder scratch (grown on demand, reused across calls)
    char *fixed;  // UTF-8-repaired copy of the input when it was invalid
    size_t fixed_cap;
    int32_t *sym_id, *sym_next, *sym_prev;  // (n) symbols of the word being merged
    size_t sym_cap;
    tok_pair *heap, *pending;  // min-heap of queued pairs; pairs waiting for the next rank
    size_t heap_cap, pending_cap;

    // ---- word cache: bounded; emptied whole when any part fills up
    tok_cache_slot *cache_slots;  // (TOK_CACHE_SLOTS)
    size_t cache_used;
    char *cache_words;  // (TOK_CACHE_WORD_BYTES)
    size_t cache_words_n;
    int32_t *cache_ids;  // (TOK_CACHE_IDS)
    size_t cache_ids_n;
};

#define TOK_CACHE_SLOTS ((size_t)1 << 16)
#define TOK_CACHE_WORD_BYTES ((size_t)1 << 20)
#define TOK_CACHE_IDS ((size_t)1 << 18)
#define TOK_CACHE_MAX_WORD 128  // longer words are rare: merging them again costs little

// FNV-1a over bytes, then a final avalanche so the low bits (the slot index) are well mixed.
static inline uint64_t tok_hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

static inline uint64_t tok_hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static inline const tok_merge_slot *tok_merge_find(const tokenizer *t, int32_t left, int32_t right) {
    uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
    for (size_t i = tok_hash_u64(key) & t->merge_mask;; i = (i + 1) & t->merge_mask) {
        const tok_merge_slot *s = &t->merge_slots[i];
        if (s->key == key) return s;
        if (s->key == TOK_EMPTY_KEY) return NULL;
    }
}

// Sets up the pre-tokenizer regex and empties the encoder state (called once by the loader).
int tok_encoder_init(tokenizer *t);
void tok_encoder_free(tokenizer *t);

#endif
