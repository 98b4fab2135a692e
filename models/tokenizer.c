// tokenizer.c — loads GPT-2's BPE files (vocab.json + merges.txt or encoder.json + vocab.bpe) into
// hash tables, and decodes ids. Encoding lives in tokenizer_bpe.c.
// Both files are untrusted input: every token is checked to be in GPT-2's byte-to-unicode
// alphabet, every id to be unique and in range, every merge to name tokens of the vocabulary,
// and failures name the file (and line of merges, token of the vocabulary) at fault.
#include "tokenizer_impl.h"

#include "error.h"
#include "fileio.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// ---- GPT-2's byte ↔ unicode alphabet (encoder.py bytes_to_unicode)
// Printable Latin-1 bytes stand for themselves; the other 68 bytes map, in increasing order, to
// U+0100.. so that every byte is a visible character. The largest code point used is U+0143.
#define TOK_ALPHABET_END 0x144

static void unicode_to_byte_table(int16_t u2b[TOK_ALPHABET_END]) {
    for (int c = 0; c < TOK_ALPHABET_END; c++) u2b[c] = -1;
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        u2b[printable ? b : 256 + n++] = (int16_t)b;
    }
}

// Decodes one UTF-8 code point from s[*i..n) (strictly; returns -1 if ill-formed).
static int32_t utf8_next(const unsigned char *s, size_t n, size_t *i) {
    unsigned c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return (int32_t)c;
    }
    size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
    if (k == 0 || c > 0xF4 || n - *i <= k) return -1;
    uint32_t cp = c & (0x3Fu >> k);
    for (size_t j = 1; j <= k; j++) {
        if ((s[*i + j] & 0xC0) != 0x80) return -1;
        cp = cp << 6 | (s[*i + j] & 0x3F);
    }
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *i += k + 1;
    return (int32_t)cp;
}

// Converts a token written in the byte-level alphabet (UTF-8 text) to its bytes. out holds n
// bytes (a token has at most one byte per character). Returns the byte count, or -1 with *bad
// set to the offending code point (-1 for ill-formed UTF-8).
static long alphabet_to_bytes(const int16_t *u2b, const char *s, size_t n, char *out, int32_t *bad) {
    size_t i = 0, k = 0;
    while (i < n) {
        int32_t cp = utf8_next((const unsigned char *)s, n, &i);
        if (cp < 0 || cp >= TOK_ALPHABET_END || u2b[cp] < 0) {
            *bad = cp;
            return -1;
        }
        out[k++] = (char)u2b[cp];
    }
    return (long)k;
}

static int bad_char_error(const char *where, const char *what, const char *s, size_t n, int32_t bad) {
    if (bad < 0)
        return W2S_FAIL("%s: %s \"%.*s\" is not valid UTF-8", where, what, (int)(n > 64 ? 64 : n), s);
    return W2S_FAIL("%s: %s \"%.*s\" contains U+%04X, which is not in GPT-2's byte-level alphabet "
                    "(is this a byte-level BPE vocabulary?)",
                    where, what, (int)(n > 64 ? 64 : n), s, (unsigned)bad);
}

// ---- vocabulary

static size_t pow2_at_least(size_t n) {
    size_t c = 16;
    while (c < n) c <<= 1;
    return c;
}

static int32_t vocab_find(const tokenizer *t, const char *s, size_t n) {
    for (size_t i = tok_hash_bytes(s, n) & t->vocab_mask;; i = (i + 1) & t->vocab_mask) {
        int32_t id = t->vocab_slots[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && !memcmp(t->tok_bytes + t->tok_off[id], s, n)) return id;
    }
}

static int load_vocab(tokenizer *t, const char *path, const int16_t *u2b) {
    size_t size;
    char *buf = w2s_read_file(path, TOKENIZER_MAX_FILE_BYTES, &size);
    if (!buf) return -1;
    json_error_t jerr;
    json_t *root = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (!root) return W2S_FAIL("%s:%d:%d: invalid JSON: %s", path, jerr.line, jerr.column, jerr.text);
    int rc = -1;
    const char **owner = NULL;
    if (!json_is_object(root) || json_object_size(root) == 0) {
        W2S_FAIL("%s: expected a non-empty JSON object {\"token\": id, ...}", path);
        goto done;
    }
    // First pass: ids valid, largest id, total bytes (a token has at most one byte per char).
    size_t total = 0;
    int32_t max_id = -1;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > TOKENIZER_MAX_ID) {
            W2S_FAIL("%s: token \"%.64s\" has id %s; ids are integers in [0, %d]", path, key,
                     json_is_integer(val) ? "out of range" : "that is not an integer", TOKENIZER_MAX_ID);
            goto done;
        }
        if (json_integer_value(val) > max_id) max_id = (int32_t)json_integer_value(val);
        total += strlen(key);
    }
    t->n_ids = (size_t)max_id + 1;
    size_t n_tokens = json_object_size(root);
    t->vocab_mask = pow2_at_least(2 * n_tokens) - 1;
    t->tok_off = calloc(t->n_ids, sizeof *t->tok_off);
    t->tok_len = calloc(t->n_ids, sizeof *t->tok_len);
    t->tok_bytes = malloc(total + 1);
    t->vocab_slots = malloc((t->vocab_mask + 1) * sizeof *t->vocab_slots);
    owner = calloc(t->n_ids, sizeof *owner);
    if (!t->tok_off || !t->tok_len || !t->tok_bytes || !t->vocab_slots || !owner || total > UINT32_MAX) {
        W2S_FAIL("%s: out of memory for %zu tokens (%zu bytes)", path, n_tokens, total);
        goto done;
    }
    memset(t->vocab_slots, 0xff, (t->vocab_mask + 1) * sizeof *t->vocab_slots);
    size_t used = 0;
    json_object_foreach(root, key, val) {
        int32_t id = (int32_t)json_integer_value(val);
        if (owner[id]) {
            W2S_FAIL("%s: id %d is given to both \"%.64s\" and \"%.64s\"", path, id, owner[id], key);
            goto done;
        }
        owner[id] = key;
        size_t klen = strlen(key);
        int32_t bad;
        long n = alphabet_to_bytes(u2b, key, klen, t->tok_bytes + used, &bad);
        if (n < 0) {
            bad_char_error(path, "token", key, klen, bad);
            goto done;
        }
        if (n == 0) {
            W2S_FAIL("%s: the empty string is not a token (id %d)", path, id);
            goto done;
        }
        // Distinct keys in the alphabet are distinct byte strings (the alphabet is a bijection),
        // so no two ids share bytes and the slot search below ends at a free slot.
        t->tok_off[id] = (uint32_t)used;
        t->tok_len[id] = (uint32_t)n;
        size_t i = tok_hash_bytes(t->tok_bytes + used, (size_t)n) & t->vocab_mask;
        while (t->vocab_slots[i] >= 0) i = (i + 1) & t->vocab_mask;
        t->vocab_slots[i] = id;
        used += (size_t)n;
    }
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        t->byte_id[b] = vocab_find(t, &c, 1);
        if (t->byte_id[b] < 0) {
            W2S_FAIL("%s: no token for byte 0x%02x; a byte-level BPE vocabulary has all 256", path, b);
            goto done;
        }
    }
    t->eot_id = vocab_find(t, "<|endoftext|>", 13);
    rc = 0;
done:
    free(owner);
    json_decref(root);
    return rc;
}

// ---- merges

static int load_merges(tokenizer *t, const char *path, const int16_t *u2b) {
    size_t size;
    char *buf = w2s_read_file(path, TOKENIZER_MAX_FILE_BYTES, &size);
    if (!buf) return -1;
    size_t lines = 1;
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + size - p))); p++) lines++;
    int rc = -1;
    char *scratch = malloc(size + 1);  // left bytes then right bytes of one line
    t->merge_mask = pow2_at_least(2 * lines) - 1;
    t->merge_slots = malloc((t->merge_mask + 1) * sizeof *t->merge_slots);
    if (!scratch || !t->merge_slots) {
        W2S_FAIL("%s: out of memory for %zu merges", path, lines);
        goto done;
    }
    for (size_t i = 0; i <= t->merge_mask; i++) t->merge_slots[i].key = TOK_EMPTY_KEY;
    const char *p = buf, *end = buf + size;
    size_t lineno = 0, first_merge_line = 1;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        size_t n = (size_t)(e - p);
        if (n && p[n - 1] == '\r') n--;
        if (lineno == 1 && n >= 8 && !memcmp(p, "#version", 8)) {
            first_merge_line = 2;
            p = next;
            continue;
        }
        const char *sp = memchr(p, ' ', n);
        if (!sp || sp == p || sp == p + n - 1 || memchr(sp + 1, ' ', (size_t)(p + n - sp - 1))) {
            W2S_FAIL("%s:%zu: expected \"<left> <right>\" (two tokens, one space), got \"%.*s\"", path,
                     lineno, (int)(n > 64 ? 64 : n), p);
            goto done;
        }
        char where[1100];
        snprintf(where, sizeof where, "%s:%zu", path, lineno);
        size_t ln = (size_t)(sp - p), rn = n - ln - 1;
        int32_t bad;
        long lb = alphabet_to_bytes(u2b, p, ln, scratch, &bad);
        if (lb < 0) {
            bad_char_error(where, "token", p, ln, bad);
            goto done;
        }
        long rb = alphabet_to_bytes(u2b, sp + 1, rn, scratch + lb, &bad);
        if (rb < 0) {
            bad_char_error(where, "token", sp + 1, rn, bad);
            goto done;
        }
        int32_t left = vocab_find(t, scratch, (size_t)lb), right = vocab_find(t, scratch + lb, (size_t)rb);
        int32_t merged = vocab_find(t, scratch, (size_t)(lb + rb));
        if (left < 0 || right < 0 || merged < 0) {
            const char *which = left < 0 ? "left token" : right < 0 ? "right token" : "merged token";
            W2S_FAIL("%s:%zu: %s of \"%.*s\" is not in the vocabulary", path, lineno, which, (int)(n > 64 ? 64 : n), p);
            goto done;
        }
        uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
        size_t i = tok_hash_u64(key) & t->merge_mask;
        while (t->merge_slots[i].key != TOK_EMPTY_KEY && t->merge_slots[i].key != key) i = (i + 1) & t->merge_mask;
        if (t->merge_slots[i].key == key) {
            W2S_FAIL("%s:%zu: duplicate merge \"%.*s\" (first on line %zu)", path, lineno, (int)(n > 64 ? 64 : n), p,
                     (size_t)t->merge_slots[i].rank + first_merge_line);
            goto done;
        }
        t->merge_slots[i] = (tok_merge_slot){key, (uint32_t)t->n_merges++, merged};
        p = next;
    }
    rc = 0;
done:
    free(scratch);
    free(buf);
    return rc;
}

// ---- public

tokenizer *tokenizer_load(const char *vocab_path, const char *merges_path) {
    tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        W2S_FAIL("out of memory");
        return NULL;
    }
    int16_t u2b[TOK_ALPHABET_END];
    unicode_to_byte_table(u2b);
    if (load_vocab(t, vocab_path, u2b) || load_merges(t, merges_path, u2b) || tok_encoder_init(t)) {
        tokenizer_free(t);
        return NULL;
    }
    return t;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *const tokenizer_file_names[TOKENIZER_N_FILES] = {"vocab.json", "merges.txt", "encoder.json", "vocab.bpe"};

bool tokenizer_dir_present(const char *dir) {
    if (!dir || !is_dir(dir)) return false;
    size_t n = strlen(dir) + 16;
    char *p = malloc(n);
    bool found = false;
    for (int i = 0; p && i < 2 && !found; i++) {
        snprintf(p, n, "%s/%s", dir, i ? "encoder.json" : "vocab.json");
        found = w2s_file_exists(p);
    }
    free(p);
    return found;
}

tokenizer *tokenizer_load_dir(const char *dir) {
    if (!is_dir(dir)) {
        W2S_FAIL("%s is not a directory", dir);
        return NULL;
    }
    static const char *pairs[2][2] = {{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}};
    size_t n = strlen(dir) + 16;
    char *vocab = malloc(n), *merges = malloc(n);
    tokenizer *t = NULL;
    if (!vocab || !merges) {
        W2S_FAIL("out of memory");
    } else {
        int found = 0;
        for (int i = 0; i < 2 && !found; i++) {
            snprintf(vocab, n, "%s/%s", dir, pairs[i][0]);
            snprintf(merges, n, "%s/%s", dir, pairs[i][1]);
            found = w2s_file_exists(vocab) && w2s_file_exists(merges);
        }
        if (found)
            t = tokenizer_load(vocab, merges);
        else
            W2S_FAIL("%s has neither vocab.json + merges.txt (Hugging Face) nor encoder.json + vocab.bpe (OpenAI)", dir);
    }
    free(vocab);
    free(merges);
    return t;
}

void tokenizer_free(tokenizer *t) {
    if (!t) return;
    tok_encoder_free(t);
    free(t->tok_off);
    free(t->tok_len);
    free(t->tok_bytes);
    free(t->vocab_slots);
    free(t->merge_slots);
    free(t);
}

size_t tokenizer_vocab_size(const tokenizer *t) { return t->n_ids; }
size_t tokenizer_merge_count(const tokenizer *t) { return t->n_merges; }
int32_t tokenizer_eot_id(const tokenizer *t) { return t->eot_id; }

int32_t tokenizer_token_id(const tokenizer *t, const char *bytes, size_t len) {
    return len ? vocab_find(t, bytes, len) : -1;
}

const char *tokenizer_token_bytes(const tokenizer *t, int32_t id, size_t *len) {
    if (id < 0 || (size_t)id >= t->n_ids || !t->tok_len[id]) return NULL;
    *len = t->tok_len[id];
    return t->tok_bytes + t->tok_off[id];
}

char *tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, size_t *len) {
    size_t total = 0, tl;
    for (size_t i = 0; i < n; i++) {
        if (!tokenizer_token_bytes(t, ids[i], &tl)) {
            W2S_FAIL("token id %d (position %zu) is not in the vocabulary (%zu ids)", ids[i], i, t->n_ids);
            return NULL;
        }
        total += tl;
    }
    char *out = malloc(total + 1);
    if (!out) {
        W2S_FAIL("out of memory decoding %zu tokens", n);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *b = tokenizer_token_bytes(t, ids[i], &tl);
        memcpy(out + k, b, tl);
        k += tl;
    }
    out[k] = 0;
    *len = k;
    return out;
}

void tokenizer_ids_free(tokenizer_ids *v) {
    free(v->ids);
    v->ids = NULL;
    v->n = v->cap = 0;
}

int tokenizer_encode_cb(void *ctx, const char *text, size_t len, int32_t **ids, size_t *n) {
    tokenizer_ids v = {0};
    if (tokenizer_encode((tokenizer *)ctx, text, len, &v) != 0) {
        tokenizer_ids_free(&v);
        return -1;
    }
    *ids = v.ids;
    *n = v.n;
    return 0;
}
