// tokenizer_bpe.c — encoding: UTF-8 repair, GPT-2's pre-tokenizer regex (PCRE2), the BPE merge
// loop and a bounded word cache. Loading and decoding live in tokenizer.c.
// The merge loop gives exactly encoder.py's result — repeatedly take the lowest-rank adjacent
// pair and merge all its occurrences left to right — in O(n log n) with a heap, where the
// reference rescans the word after every merge (quadratic on long words).
#include "tokenizer_impl.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

// GPT-2's split pattern (openai/gpt-2 src/encoder.py) with \s spelled \p{White_Space}: encoder.py
// runs it under Python's `regex`, whose \s is Unicode White_Space; PCRE2's \s also matches
// U+180E and ECMAScript's adds U+FEFF and drops U+0085, so neither may stand in for it.
// \p{L} and \p{N} follow PCRE2's Unicode tables (14.0 in PCRE2 10.42): characters assigned in
// later Unicode versions count as "other" here, as they did for GPT-2's own 2019 tokenizer.
static const char tok_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

int tok_encoder_init(tokenizer *t) {
    int err;
    PCRE2_SIZE err_off;
    t->re = pcre2_compile((PCRE2_SPTR)tok_pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &err_off, NULL);
    if (!t->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return W2S_FAIL("tokenizer: cannot compile the GPT-2 split pattern at offset %zu: %s (PCRE2 >= 10.40 "
                        "with Unicode support is needed)",
                        (size_t)err_off, (const char *)msg);
    }
    // JIT makes matching several times faster; without it (no JIT support on this platform)
    // pcre2_match interprets the same pattern with the same results, so failure is not an error.
    pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE);
    t->match = pcre2_match_data_create_from_pattern(t->re, NULL);
    t->cache_slots = calloc(TOK_CACHE_SLOTS, sizeof *t->cache_slots);
    t->cache_words = malloc(TOK_CACHE_WORD_BYTES);
    t->cache_ids = malloc(TOK_CACHE_IDS * sizeof *t->cache_ids);
    if (!t->match || !t->cache_slots || !t->cache_words || !t->cache_ids) return W2S_FAIL("tokenizer: out of memory");
    return 0;
}

void tok_encoder_free(tokenizer *t) {
    pcre2_match_data_free(t->match);
    pcre2_code_free(t->re);
    free(t->fixed);
    free(t->sym_id);
    free(t->sym_next);
    free(t->sym_prev);
    free(t->heap);
    free(t->pending);
    free(t->cache_slots);
    free(t->cache_words);
    free(t->cache_ids);
}

// ---- UTF-8 validation and repair (WHATWG Encoding Standard, "UTF-8 decoder")

// Length of the well-formed sequence starting at s[0..n), or 0 if it is ill-formed; in that case
// *bad is the length of its maximal ill-formed prefix (at least 1), which becomes one U+FFFD.
static size_t utf8_sequence(const unsigned char *s, size_t n, size_t *bad) {
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;  // range of the next continuation byte
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;  // overlong
        if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;  // overlong
        if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        *bad = 1;
        return 0;
    }
    size_t j = 1;
    for (; j <= need && j < n; j++) {
        if (s[j] < lo || s[j] > hi) break;
        lo = 0x80;
        hi = 0xBF;
    }
    if (j == need + 1) return j;
    *bad = j;
    return 0;
}

int tokenizer_utf8_valid(const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, bad;
    while (i < len) {
        // ASCII fast path, 8 bytes at a time.
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        size_t k = utf8_sequence(s + i, len - i, &bad);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

size_t tokenizer_utf8_repair(const char *text, size_t len, char *out) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0, bad = 0;
    while (i < len) {
        size_t k = utf8_sequence(s + i, len - i, &bad);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        }
    }
    return o;
}

// ---- id output

static int ids_reserve(tokenizer_ids *v, size_t extra) {
    if (v->n + extra <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : 64;
    while (cap < v->n + extra) cap *= 2;
    int32_t *p = realloc(v->ids, cap * sizeof *p);
    if (!p) return W2S_FAIL("tokenizer: out of memory for %zu ids", cap);
    v->ids = p;
    v->cap = cap;
    return 0;
}

// ---- BPE merge loop

static int grow_symbols(tokenizer *t, size_t n) {
    if (n <= t->sym_cap) return 0;
    size_t cap = t->sym_cap ? t->sym_cap : 256;
    while (cap < n) cap *= 2;
    free(t->sym_id);
    free(t->sym_next);
    free(t->sym_prev);
    t->sym_id = malloc(cap * sizeof *t->sym_id);
    t->sym_next = malloc(cap * sizeof *t->sym_next);
    t->sym_prev = malloc(cap * sizeof *t->sym_prev);
    if (!t->sym_id || !t->sym_next || !t->sym_prev) {
        t->sym_cap = 0;
        return W2S_FAIL("tokenizer: out of memory for a %zu-byte word", n);
    }
    t->sym_cap = cap;
    return 0;
}

static int grow_pairs(tok_pair **v, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    tok_pair *p = realloc(*v, c * sizeof *p);
    if (!p) return W2S_FAIL("tokenizer: out of memory for %zu merge candidates", c);
    *v = p;
    *cap = c;
    return 0;
}

static void heap_push(tok_pair *h, size_t *n, tok_pair p) {
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2].key > p.key) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = p;
}

static tok_pair heap_pop(tok_pair *h, size_t *n) {
    tok_pair top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1].key < h[c].key) c++;
        if (h[c].key >= last.key) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

// Queues the pair starting at symbol i in `pending` if the merges have it (room is reserved).
static void queue_pair(tokenizer *t, size_t *np, int32_t i) {
    int32_t left = t->sym_id[i], right = t->sym_id[t->sym_next[i]];
    const tok_merge_slot *m = tok_merge_find(t, left, right);
    if (m) t->pending[(*np)++] = (tok_pair){(uint64_t)m->rank << 32 | (uint32_t)i, left, right};
}

// Appends the BPE ids of the word w[0..n), n >= 1.
// encoder.py merges every occurrence of the lowest-rank pair before looking at the pairs those
// merges create, so pairs created while a rank is being merged wait in `pending` until that
// rank is exhausted; with well-formed merges (a token is used only after the merge creating
// it) this changes nothing, with others it keeps the result equal to the reference's.
static int bpe_word(tokenizer *t, const unsigned char *w, size_t n, tokenizer_ids *out) {
    if (n > INT32_MAX) return W2S_FAIL("tokenizer: a %zu-byte word is too long", n);
    if (grow_symbols(t, n) || grow_pairs(&t->pending, &t->pending_cap, n)) return -1;
    int32_t *id = t->sym_id, *next = t->sym_next, *prev = t->sym_prev;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_id[w[i]];
        next[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        prev[i] = (int32_t)i - 1;
    }
    size_t nh = 0, np = 0;
    for (size_t i = 0; i + 1 < n; i++) queue_pair(t, &np, (int32_t)i);
    uint64_t rank = UINT64_MAX;  // the rank being merged
    for (;;) {
        if (nh && t->heap[0].key >> 32 == rank) {
            tok_pair p = heap_pop(t->heap, &nh);
            int32_t i = (int32_t)(uint32_t)p.key, j = next[i];
            if (id[i] != p.left || j < 0 || id[j] != p.right) continue;  // stale: a neighbour merged
            if (grow_pairs(&t->pending, &t->pending_cap, np + 2)) return -1;
            id[i] = tok_merge_find(t, p.left, p.right)->merged;
            id[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) queue_pair(t, &np, prev[i]);
            if (next[i] >= 0) queue_pair(t, &np, i);
        } else if (np) {
            if (grow_pairs(&t->heap, &t->heap_cap, nh + np)) return -1;
            for (size_t k = 0; k < np; k++) heap_push(t->heap, &nh, t->pending[k]);
            np = 0;
            rank = UINT64_MAX;
        } else if (nh) {
            rank = t->heap[0].key >> 32;
        } else {
            break;
        }
    }
    size_t count = 0;
    for (int32_t i = 0; i >= 0; i = next[i]) count++;
    if (ids_reserve(out, count)) return -1;
    for (int32_t i = 0; i >= 0; i = next[i]) out->ids[out->n++] = id[i];
    return 0;
}

// ---- word cache

static void cache_insert(tokenizer *t, uint64_t h, const char *w, size_t n, const int32_t *ids, size_t k) {
    if (k > TOK_CACHE_IDS) return;
    if (2 * (t->cache_used + 1) > TOK_CACHE_SLOTS || t->cache_words_n + n > TOK_CACHE_WORD_BYTES ||
        t->cache_ids_n + k > TOK_CACHE_IDS) {
        memset(t->cache_slots, 0, TOK_CACHE_SLOTS * sizeof *t->cache_slots);
        t->cache_used = t->cache_words_n = t->cache_ids_n = 0;
    }
    size_t i = h & (TOK_CACHE_SLOTS - 1);
    while (t->cache_slots[i].word_len) i = (i + 1) & (TOK_CACHE_SLOTS - 1);
    t->cache_slots[i] = (tok_cache_slot){h, (uint32_t)t->cache_words_n, (uint32_t)n, (uint32_t)t->cache_ids_n, (uint32_t)k};
    memcpy(t->cache_words + t->cache_words_n, w, n);
    memcpy(t->cache_ids + t->cache_ids_n, ids, k * sizeof *ids);
    t->cache_words_n += n;
    t->cache_ids_n += k;
    t->cache_used++;
}

static int encode_word(tokenizer *t, const char *w, size_t n, tokenizer_ids *out) {
    if (n == 1) {
        if (ids_reserve(out, 1)) return -1;
        out->ids[out->n++] = t->byte_id[(unsigned char)w[0]];
        return 0;
    }
    if (n > TOK_CACHE_MAX_WORD) return bpe_word(t, (const unsigned char *)w, n, out);
    uint64_t h = tok_hash_bytes(w, n);
    for (size_t i = h & (TOK_CACHE_SLOTS - 1); t->cache_slots[i].word_len; i = (i + 1) & (TOK_CACHE_SLOTS - 1)) {
        const tok_cache_slot *s = &t->cache_slots[i];
        if (s->hash == h && s->word_len == n && !memcmp(t->cache_words + s->word_off, w, n)) {
            if (ids_reserve(out, s->ids_n)) return -1;
            memcpy(out->ids + out->n, t->cache_ids + s->ids_off, s->ids_n * sizeof *out->ids);
            out->n += s->ids_n;
            return 0;
        }
    }
    size_t start = out->n;
    if (bpe_word(t, (const unsigned char *)w, n, out)) return -1;
    cache_insert(t, h, w, n, out->ids + start, out->n - start);
    return 0;
}

// ---- encode

int tokenizer_encode(tokenizer *t, const char *text, size_t len, tokenizer_ids *out) {
    if (!tokenizer_utf8_valid(text, len)) {
        if (len > SIZE_MAX / 3) return W2S_FAIL("tokenizer: input of %zu bytes is too large", len);
        if (t->fixed_cap < 3 * len) {
            char *p = realloc(t->fixed, 3 * len);
            if (!p) return W2S_FAIL("tokenizer: out of memory repairing %zu bytes of UTF-8", len);
            t->fixed = p;
            t->fixed_cap = 3 * len;
        }
        len = tokenizer_utf8_repair(text, len, t->fixed);
        text = t->fixed;
    }
    size_t off = 0;
    while (off < len) {
        // The subject is valid UTF-8 by now, so PCRE2's own (whole-subject) check is skipped.
        int rc = pcre2_match(t->re, (PCRE2_SPTR)text, len, off, PCRE2_NO_UTF_CHECK, t->match, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return W2S_FAIL("tokenizer: split pattern failed at byte %zu: %s", off, (const char *)msg);
        }
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->match);
        // Every character matches one alternative and none matches empty, so matches tile the text.
        if (ov[1] <= ov[0]) return W2S_FAIL("tokenizer: split pattern matched nothing at byte %zu", off);
        if (encode_word(t, text + ov[0], ov[1] - ov[0], out)) return -1;
        off = ov[1];
    }
    return 0;
}
