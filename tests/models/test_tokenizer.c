// test_tokenizer.c — the BPE tokenizer on small vocabularies this test writes: the heap merge loop
// against a naive transliteration of encoder.py's bpe() (random merges, including out-of-order
// ones), hostile vocab/merges files, WHATWG UTF-8 repair, decode(encode(x)) == x, long words.
// The real GPT-2 vocabulary is checked by test_tokenizer_gpt2.c and test_tokenizer_reference.py.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "error.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// ---- fixtures: a temp directory holding vocab.json + merges.txt written from byte strings

typedef struct {
    char dir[256];
    char vocab[300], merges[300];
} fixture_dir;

static void fixture_dir_create(fixture_dir *fd) {
    const char *base = getenv("TMPDIR");
    snprintf(fd->dir, sizeof fd->dir, "%s/w2s_tok_XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(fd->dir));
    snprintf(fd->vocab, sizeof fd->vocab, "%s/vocab.json", fd->dir);
    snprintf(fd->merges, sizeof fd->merges, "%s/merges.txt", fd->dir);
}

static void fixture_dir_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void fixture_dir_remove(fixture_dir *fd) {
    unlink(fd->vocab);
    unlink(fd->merges);
    assert_int_equal(rmdir(fd->dir), 0);
}

// GPT-2's bytes_to_unicode, written independently of the library (encoder.py's definition).
static int printable_byte(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }
static unsigned byte_to_cp(int b) {
    if (printable_byte(b)) return (unsigned)b;
    unsigned n = 0;
    for (int x = 0; x < b; x++) n += !printable_byte(x);
    return 256 + n;
}

// Appends the byte-level spelling of bytes s[0..n) to out (JSON-escaped if json).
static void append_alphabet(char *out, const char *s, size_t n, int json) {
    size_t k = strlen(out);
    for (size_t i = 0; i < n; i++) {
        unsigned cp = byte_to_cp((unsigned char)s[i]);
        if (json && (cp == '"' || cp == '\\')) out[k++] = '\\';
        if (cp < 0x80) {
            out[k++] = (char)cp;
        } else {
            out[k++] = (char)(0xC0 | cp >> 6);
            out[k++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[k] = 0;
}

// A vocabulary: tokens[i] (byte strings, lengths lens[i]) has id ids[i]; merges are (left, right)
// token indices in rank order.
#define MAX_TOK 512
typedef struct {
    char tok[MAX_TOK][64];
    size_t len[MAX_TOK];
    int32_t id[MAX_TOK];
    size_t n_tok;
    int merge_l[MAX_TOK], merge_r[MAX_TOK];
    size_t n_merge;
} tiny_vocab;

static int tiny_find(const tiny_vocab *v, const char *s, size_t n) {
    for (size_t i = 0; i < v->n_tok; i++)
        if (v->len[i] == n && !memcmp(v->tok[i], s, n)) return (int)i;
    return -1;
}

// All 256 bytes, with ids in a scrambled order (GPT-2's byte ids are not byte values either).
static void tiny_init(tiny_vocab *v) {
    memset(v, 0, sizeof *v);
    for (int b = 0; b < 256; b++) {
        v->tok[b][0] = (char)b;
        v->len[b] = 1;
        v->id[b] = (b * 37 + 11) % 256;
    }
    v->n_tok = 256;
}

// Adds the merge (left, right) and the merged token if new; returns the merged token's index.
static int tiny_merge(tiny_vocab *v, const char *left, const char *right) {
    int l = tiny_find(v, left, strlen(left)), r = tiny_find(v, right, strlen(right));
    assert_true(l >= 0 && r >= 0);
    char cat[64];
    size_t n = v->len[l] + v->len[r];
    assert_true(n < sizeof cat);
    memcpy(cat, v->tok[l], v->len[l]);
    memcpy(cat + v->len[l], v->tok[r], v->len[r]);
    int m = tiny_find(v, cat, n);
    if (m < 0) {
        assert_true(v->n_tok < MAX_TOK);
        m = (int)v->n_tok++;
        memcpy(v->tok[m], cat, n);
        v->len[m] = n;
        v->id[m] = m;
    }
    v->merge_l[v->n_merge] = l;
    v->merge_r[v->n_merge] = r;
    v->n_merge++;
    return m;
}

static void tiny_write(const tiny_vocab *v, const fixture_dir *fd) {
    char *json = calloc(1, 64 * 1024), *merges = calloc(1, 64 * 1024);
    assert_non_null(json);
    assert_non_null(merges);
    strcat(json, "{");
    for (size_t i = 0; i < v->n_tok; i++) {
        strcat(json, i ? ",\n\"" : "\"");
        append_alphabet(json, v->tok[i], v->len[i], 1);
        sprintf(json + strlen(json), "\": %d", v->id[i]);
    }
    strcat(json, "}\n");
    strcat(merges, "#version: 0.2\n");
    for (size_t i = 0; i < v->n_merge; i++) {
        append_alphabet(merges, v->tok[v->merge_l[i]], v->len[v->merge_l[i]], 0);
        strcat(merges, " ");
        append_alphabet(merges, v->tok[v->merge_r[i]], v->len[v->merge_r[i]], 0);
        strcat(merges, "\n");
    }
    fixture_dir_write(fd->vocab, json);
    fixture_dir_write(fd->merges, merges);
    free(json);
    free(merges);
}

// encoder.py's bpe() on one word, transliterated: symbols are strings; repeatedly find the
// lowest-rank adjacent pair and merge all its occurrences left to right. Returns the id count.
static size_t naive_bpe(const tiny_vocab *v, const char *w, size_t n, int32_t *out) {
    int sym[256];  // token indices
    size_t ns = n;
    for (size_t i = 0; i < n; i++) sym[i] = tiny_find(v, w + i, 1);
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i + 1 < ns; i++)
            for (size_t r = 0; r < v->n_merge && r < best; r++)
                if (v->merge_l[r] == sym[i] && v->merge_r[r] == sym[i + 1]) best = r;
        if (best == SIZE_MAX) break;
        int l = v->merge_l[best], r = v->merge_r[best];
        char cat[64];
        memcpy(cat, v->tok[l], v->len[l]);
        memcpy(cat + v->len[l], v->tok[r], v->len[r]);
        int m = tiny_find(v, cat, v->len[l] + v->len[r]);
        size_t k = 0;
        for (size_t i = 0; i < ns;) {
            if (i + 1 < ns && sym[i] == l && sym[i + 1] == r) {
                sym[k++] = m;
                i += 2;
            } else {
                sym[k++] = sym[i++];
            }
        }
        ns = k;
    }
    for (size_t i = 0; i < ns; i++) out[i] = v->id[sym[i]];
    return ns;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) { return (uint32_t)(xorshift64(&rng_state) % n); }

static tokenizer *load_ok(const fixture_dir *fd) {
    tokenizer *t = tokenizer_load_dir(fd->dir);
    if (!t) fail_msg("load failed: %s", w2s_error_message());
    return t;
}

static void encode_ok(tokenizer *t, const char *s, size_t n, tokenizer_ids *ids) {
    ids->n = 0;
    if (tokenizer_encode(t, s, n, ids)) fail_msg("encode failed: %s", w2s_error_message());
}

// ---- BPE core

static void test_hand_made_merges(void **state) {
    fixture_dir fd;
    fixture_dir_create(&fd);
    tiny_vocab *v = malloc(sizeof *v);
    assert_non_null(v);
    tiny_init(v);
    int sp_h = tiny_merge(v, " ", "h");
    tiny_merge(v, "l", "l");
    tiny_merge(v, "h", "e");
    int hell = tiny_merge(v, "he", "ll");
    int hello = tiny_merge(v, "hell", "o");
    int eot = (int)v->n_tok++;
    memcpy(v->tok[eot], "<|endoftext|>", 13);
    v->len[eot] = 13;
    v->id[eot] = 1000;  // leaves a hole in the ids
    tiny_write(v, &fd);
    tokenizer *t = load_ok(&fd);
    assert_int_equal(tokenizer_vocab_size(t), 1001);
    assert_int_equal(tokenizer_merge_count(t), 5);
    assert_int_equal(tokenizer_eot_id(t), 1000);
    size_t len;
    assert_null(tokenizer_token_bytes(t, 999, &len));  // the hole
    assert_int_equal(tokenizer_token_id(t, "hell", 4), v->id[hell]);

    tokenizer_ids ids = {0};
    // "hello" → hello; in " hello" the rank-0 merge " h" takes the "h" that "he" needed, so the
    // word stops at [" h", "e", "ll", "o"].
    encode_ok(t, "hello hello", 11, &ids);
    int32_t want[] = {v->id[hello], v->id[sp_h], v->id[tiny_find(v, "e", 1)], v->id[tiny_find(v, "ll", 2)],
                      v->id[tiny_find(v, "o", 1)]};
    assert_int_equal(ids.n, 5);
    assert_memory_equal(ids.ids, want, sizeof want);
    // Special tokens are text: "<|endoftext|>" is split, not id 1000.
    encode_ok(t, "<|endoftext|>", 13, &ids);
    assert_true(ids.n > 1);
    tokenizer_ids_free(&ids);
    tokenizer_free(t);
    free(v);
    fixture_dir_remove(&fd);
}

// Random merges over the letters a-d (so each test word is one pre-token), in random rank order:
// some merges use a token before the merge that creates it, which only a loop that finishes
// every occurrence of a rank before looking at new pairs gets right.
static void test_heap_bpe_matches_naive(void **state) {
    tiny_vocab *v = malloc(sizeof *v);
    assert_non_null(v);
    for (int trial = 0; trial < 20; trial++) {
        fixture_dir fd;
        fixture_dir_create(&fd);
        tiny_init(v);
        int letters = 256;
        char pool[MAX_TOK][64];
        size_t n_pool = 0;
        for (int c = 'a'; c <= 'd'; c++) pool[n_pool][0] = (char)c, pool[n_pool++][1] = 0;
        int n_merges = 40 + (int)rnd(80);
        int np = 0;
        while (np < n_merges) {
            const char *l = pool[rnd((uint32_t)n_pool)], *r = pool[rnd((uint32_t)n_pool)];
            if (strlen(l) + strlen(r) > 12) continue;
            char cat[64];
            snprintf(cat, sizeof cat, "%s%s", l, r);
            int li = tiny_find(v, l, strlen(l)), ri = tiny_find(v, r, strlen(r)), dup = 0;
            for (size_t k = 0; k < v->n_merge; k++) dup |= v->merge_l[k] == li && v->merge_r[k] == ri;
            if (dup) continue;
            tiny_merge(v, l, r);
            if (tiny_find(v, cat, strlen(cat)) >= letters && n_pool < MAX_TOK) {
                int seen = 0;
                for (size_t k = 0; k < n_pool; k++) seen |= !strcmp(pool[k], cat);
                if (!seen) strcpy(pool[n_pool++], cat);
            }
            np++;
        }
        if (trial % 2) {  // odd trials: shuffle the ranks (out-of-order merges)
            for (int i = np - 1; i > 0; i--) {
                int j = (int)rnd((uint32_t)i + 1), a = v->merge_l[i], b = v->merge_r[i];
                v->merge_l[i] = v->merge_l[j], v->merge_r[i] = v->merge_r[j];
                v->merge_l[j] = a, v->merge_r[j] = b;
            }
        }
        tiny_write(v, &fd);
        tokenizer *t = load_ok(&fd);
        tokenizer_ids ids = {0};
        for (int w = 0; w < 300; w++) {
            char word[200];
            size_t n = 1 + rnd(w < 150 ? 12 : 150);
            for (size_t i = 0; i < n; i++) word[i] = (char)('a' + rnd(trial % 3 ? 4 : 2));
            int32_t want[200];
            size_t nw = naive_bpe(v, word, n, want);
            encode_ok(t, word, n, &ids);
            if (ids.n != nw || memcmp(ids.ids, want, nw * sizeof *want))
                fail_msg("trial %d: \"%.*s\": %zu ids, naive %zu", trial, (int)n, word, ids.n, nw);
            // The cached path must give the same ids the second time.
            encode_ok(t, word, n, &ids);
            assert_int_equal(ids.n, nw);
            assert_memory_equal(ids.ids, want, nw * sizeof *want);
        }
        tokenizer_ids_free(&ids);
        tokenizer_free(t);
        fixture_dir_remove(&fd);
    }
    free(v);
}

// ---- hostile files

static tiny_vocab *base_vocab(void) {
    tiny_vocab *v = malloc(sizeof *v);
    assert_non_null(v);
    tiny_init(v);
    tiny_merge(v, "a", "b");
    return v;
}

// Writes vocab/merges (NULL = the valid base files), loads, expects failure with every needle.
static void expect_load_error(const char *vocab, const char *merges, const char *needle1, const char *needle2) {
    fixture_dir fd;
    fixture_dir_create(&fd);
    tiny_vocab *v = base_vocab();
    tiny_write(v, &fd);
    free(v);
    if (vocab) fixture_dir_write(fd.vocab, vocab);
    if (merges) fixture_dir_write(fd.merges, merges);
    w2s_error_clear();
    tokenizer *t = tokenizer_load(fd.vocab, fd.merges);
    if (t) fail_msg("expected an error containing \"%s\"", needle1);
    const char *msg = w2s_error_message();
    if (!strstr(msg, needle1) || (needle2 && !strstr(msg, needle2)))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", msg, needle1, needle2 ? needle2 : "");
    fixture_dir_remove(&fd);
}

static void test_hostile_vocab(void **state) {
    expect_load_error("{\"a\": 1,", NULL, "vocab.json:1:", "invalid JSON");
    expect_load_error("[1, 2]", NULL, "vocab.json", "JSON object");
    expect_load_error("{}", NULL, "vocab.json", "non-empty");
    expect_load_error("{\"a\": \"x\"}", NULL, "token \"a\"", "not an integer");
    expect_load_error("{\"a\": 1.5}", NULL, "token \"a\"", "not an integer");
    expect_load_error("{\"a\": -1}", NULL, "token \"a\"", "out of range");
    expect_load_error("{\"a\": 99999999999}", NULL, "token \"a\"", "out of range");
    expect_load_error("{\"a\": 3, \"b\": 3}", NULL, "id 3 is given to both", "vocab.json");
    expect_load_error("{\"a\": 1, \"a\": 2}", NULL, "vocab.json:1:", "duplicate");
    expect_load_error("{\"a\": 1, \"\xe4\xb8\x80\": 2}", NULL, "U+4E00", "byte-level alphabet");
    expect_load_error("{\"a\": 1, \"\": 2}", NULL, "empty string", NULL);
    expect_load_error("{\"a\": 1, \"b\": 2}", NULL, "no token for byte 0x00", NULL);
}

static void test_hostile_merges(void **state) {
    expect_load_error(NULL, "#version: 0.2\na b c\n", "merges.txt:2:", "two tokens");
    expect_load_error(NULL, "ab\n", "merges.txt:1:", "two tokens");
    expect_load_error(NULL, "a b\n\na b\n", "merges.txt:2:", "two tokens");
    expect_load_error(NULL, "a  b\n", "merges.txt:1:", "two tokens");
    expect_load_error(NULL, "a b\nb \xe4\xb8\x80\n", "merges.txt:2: token", "U+4E00");
    expect_load_error(NULL, "a b\nab c\n", "merges.txt:2:", "merged token");
    expect_load_error(NULL, "a b\nabc d\n", "merges.txt:2:", "left token");
    expect_load_error(NULL, "a b\na b\n", "merges.txt:2:", "first on line 1");
    expect_load_error(NULL, "#version: 0.2\na b\na b\n", "merges.txt:3:", "first on line 2");
    // CRLF line ends and a missing final newline are accepted.
    fixture_dir fd;
    fixture_dir_create(&fd);
    tiny_vocab *v = base_vocab();
    tiny_write(v, &fd);
    free(v);
    fixture_dir_write(fd.merges, "#version: 0.2\r\na b");
    tokenizer *t = tokenizer_load(fd.vocab, fd.merges);
    assert_non_null(t);
    assert_int_equal(tokenizer_merge_count(t), 1);
    tokenizer_free(t);
    fixture_dir_remove(&fd);
}

static void test_missing_and_huge_files(void **state) {
    fixture_dir fd;
    fixture_dir_create(&fd);
    assert_null(tokenizer_load_dir(fd.dir));
    assert_non_null(strstr(w2s_error_message(), "neither vocab.json + merges.txt"));
    assert_null(tokenizer_load_dir(fd.vocab));
    assert_non_null(strstr(w2s_error_message(), "not a directory"));
    assert_null(tokenizer_load(fd.vocab, fd.merges));
    assert_non_null(strstr(w2s_error_message(), "cannot open"));
    // A sparse file larger than the limit is refused before anything is read.
    FILE *f = fopen(fd.vocab, "wb");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), (off_t)TOKENIZER_MAX_FILE_BYTES + 1), 0);
    fclose(f);
    fixture_dir_write(fd.merges, "");
    assert_null(tokenizer_load(fd.vocab, fd.merges));
    assert_non_null(strstr(w2s_error_message(), "more than the"));
    fixture_dir_remove(&fd);
}

// The OpenAI layout (encoder.json + vocab.bpe) is found when the Hugging Face one is absent.
static void test_openai_layout(void **state) {
    fixture_dir fd;
    fixture_dir_create(&fd);
    tiny_vocab *v = base_vocab();
    tiny_write(v, &fd);
    free(v);
    char enc[300], bpe[300];
    snprintf(enc, sizeof enc, "%s/encoder.json", fd.dir);
    snprintf(bpe, sizeof bpe, "%s/vocab.bpe", fd.dir);
    assert_int_equal(rename(fd.vocab, enc), 0);
    assert_int_equal(rename(fd.merges, bpe), 0);
    tokenizer *t = tokenizer_load_dir(fd.dir);
    assert_non_null(t);
    tokenizer_ids ids = {0};
    encode_ok(t, "ab", 2, &ids);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ids.ids[0], tokenizer_token_id(t, "ab", 2));
    tokenizer_ids_free(&ids);
    tokenizer_free(t);
    unlink(enc);
    unlink(bpe);
    fixture_dir_remove(&fd);
}

// ---- UTF-8 repair (expected outputs from the WHATWG Encoding Standard's UTF-8 decoder)

#define R "\xEF\xBF\xBD"
static void test_utf8_repair(void **state) {
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"plain ascii text", "plain ascii text"},
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
        {"\xff", R},
        {"a\xfe" "b", "a" R "b"},
        {"\xc0\xaf", R R},                  // overlong lead bytes are never valid
        {"\xe0\x80\xaf", R R R},            // E0 needs A0..BF next
        {"\xed\xa0\x80", R R R},            // surrogate
        {"\xf4\x90\x80\x80", R R R R},      // above U+10FFFF
        {"\xf8\x88\x80\x80\x80", R R R R R},
        {"\x80\xbf", R R},                  // lone continuation bytes
        {"\xe2\x82", R},                    // truncated at the end: one replacement
        {"\xf0\x9f\x98", R},
        {"\xe2\x82\xac\x80", "\xe2\x82\xac" R},
        {"\xc2\x41", R "A"},                // the bad byte is re-read as a new character
        {"\xe2\x82z", R "z"},
        {"\xf0\x9f\x98 ok", R " ok"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        size_t k = tokenizer_utf8_repair(cases[i].in, n, out);
        if (k != strlen(cases[i].out) || memcmp(out, cases[i].out, k)) fail_msg("repair case %zu", i);
        assert_int_equal(tokenizer_utf8_valid(cases[i].in, n), !strcmp(cases[i].in, cases[i].out));
    }
    // The 8-byte ASCII fast path must not skip a bad byte at any offset.
    for (size_t pos = 0; pos < 20; pos++) {
        char s[21];
        memset(s, 'x', 20);
        s[pos] = (char)0x80;
        assert_int_equal(tokenizer_utf8_valid(s, 20), 0);
    }
}

// ---- round trips and long inputs

static void append_utf8(char *s, size_t *n, uint32_t cp) {
    if (cp < 0x80) {
        s[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        s[(*n)++] = (char)(0xC0 | cp >> 6);
        s[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s[(*n)++] = (char)(0xE0 | cp >> 12);
        s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        s[(*n)++] = (char)(0xF0 | cp >> 18);
        s[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static void test_round_trip(void **state) {
    fixture_dir fd;
    fixture_dir_create(&fd);
    tiny_vocab *v = base_vocab();
    tiny_merge(v, " ", "a");
    tiny_merge(v, "\xc3", "\xa9");
    tiny_merge(v, "'", "s");
    tiny_write(v, &fd);
    free(v);
    tokenizer *t = load_ok(&fd);
    static const uint32_t picks[] = {'a', 'b', 'Z', ' ', ' ', '\t', '\n', '\'', 's', '7', ',', 0xE9, 0x300,
                                     0x85, 0xA0, 0x3000, 0x4E00, 0xFEFF, 0x1F600, 0x200D, 0x1F3FD, 0};
    tokenizer_ids ids = {0};
    char s[1024], fixed[3 * 1024];
    for (int it = 0; it < 2000; it++) {
        size_t n = 0, chars = rnd(100);
        for (size_t c = 0; c < chars; c++) {
            uint32_t cp = rnd(4) ? picks[rnd(sizeof picks / sizeof picks[0])] : 1 + rnd(0x2FFFF);
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'q';
            append_utf8(s, &n, cp);
        }
        if (it % 3 == 0 && n) s[rnd((uint32_t)n)] = (char)(0x80 + rnd(128));  // make it invalid
        encode_ok(t, s, n, &ids);
        size_t len;
        char *back = tokenizer_decode(t, ids.ids, ids.n, &len);
        assert_non_null(back);
        size_t want = tokenizer_utf8_repair(s, n, fixed);
        if (len != want || memcmp(back, fixed, len)) fail_msg("round trip %d differs", it);
        free(back);
    }
    int32_t bad_id = 5000;
    size_t len;
    assert_null(tokenizer_decode(t, &bad_id, 1, &len));
    assert_non_null(strstr(w2s_error_message(), "5000"));
    // Invalid bytes encode exactly as U+FFFD does.
    tokenizer_ids a = {0};
    encode_ok(t, "x\xff", 2, &ids);
    encode_ok(t, "x" R, 4, &a);
    assert_int_equal(ids.n, a.n);
    assert_memory_equal(ids.ids, a.ids, a.n * sizeof *a.ids);
    tokenizer_ids_free(&a);
    tokenizer_ids_free(&ids);
    tokenizer_free(t);
    fixture_dir_remove(&fd);
}

// A megabyte-long word, space run or punctuation run must be linear-time-ish (the naive loop is
// quadratic) and must not exhaust PCRE2's JIT stack; the time bound is generous for shared CI.
#define LONG_INPUT_SECONDS 10.0
static void test_long_inputs(void **state) {
    fixture_dir fd;
    fixture_dir_create(&fd);
    tiny_vocab *v = base_vocab();
    tiny_merge(v, "a", "a");
    tiny_merge(v, "aa", "aa");
    tiny_merge(v, " ", " ");
    tiny_write(v, &fd);
    free(v);
    tokenizer *t = load_ok(&fd);
    size_t n = 1 << 20;
    char *s = malloc(n + 1);
    assert_non_null(s);
    const char fills[] = {'a', ' ', '!', 'b'};
    tokenizer_ids ids = {0};
    for (size_t f = 0; f < sizeof fills; f++) {
        for (size_t i = 0; i < n; i++) s[i] = f == 3 ? "ab"[i & 1] : fills[f];
        s[n] = 'x';  // a space run followed by a letter exercises the \s+(?!\S) backtrack
        clock_t c0 = clock();
        encode_ok(t, s, n + 1, &ids);
        double dt = (double)(clock() - c0) / CLOCKS_PER_SEC;
        assert_true(dt < LONG_INPUT_SECONDS);
        size_t len;
        char *back = tokenizer_decode(t, ids.ids, ids.n, &len);
        assert_non_null(back);
        assert_int_equal(len, n + 1);
        assert_memory_equal(back, s, n + 1);
        free(back);
    }
    assert_true(ids.n > 0);
    tokenizer_ids_free(&ids);
    free(s);
    tokenizer_free(t);
    fixture_dir_remove(&fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_made_merges),   cmocka_unit_test(test_heap_bpe_matches_naive),
        cmocka_unit_test(test_hostile_vocab),      cmocka_unit_test(test_hostile_merges),
        cmocka_unit_test(test_missing_and_huge_files), cmocka_unit_test(test_openai_layout),
        cmocka_unit_test(test_utf8_repair),        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_long_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
