// fuzz_tokenizer.c — libFuzzer target for the BPE tokenizer (models/tokenizer*.c).
// Built by CMake with W2S_FUZZ=ON (clang -fsanitize=fuzzer); scripts/fuzz builds and runs it.
// Input byte 0 picks the mode: even → encode the rest with a fixed vocabulary and require
// decode(encode(x)) == x after U+FFFD repair; 1 mod 4 → the rest is "vocab.json\0merges.txt";
// 3 mod 4 → the rest is a merges.txt for the fixed vocabulary. Every rejected file must say
// why; an accepted pair must round-trip text.
// fuzz-room: w2s_models
#include "tokenizer.h"

#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(c) \
    do {         \
        if (!(c)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/w2s_fuzz_tok_XXXXXX";
static char vocab_path[64], merges_path[64];
static char fixed_vocab[64 * 1024];
static size_t fixed_vocab_len;

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n && fclose(f) == 0);
}

// GPT-2's byte alphabet: printable Latin-1 bytes are themselves, the rest U+0100.. in order.
static void put_byte(char **o, int b) {
    int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174, cp = b, n = 0;
    if (!printable) {
        for (int x = 0; x < b; x++) n += !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
        cp = 256 + n;
    }
    if (cp == '"' || cp == '\\') *(*o)++ = '\\';
    if (cp < 0x80) {
        *(*o)++ = (char)cp;
    } else {
        *(*o)++ = (char)(0xC0 | cp >> 6);
        *(*o)++ = (char)(0x80 | (cp & 0x3F));
    }
}

// All bytes, every lowercase letter pair, and " " + letter (ranks in that order).
static tokenizer *fixed_tokenizer(void) {
    static char merges[16 * 1024];
    char *vocab = fixed_vocab, *v = vocab, *m = merges;
    int id = 0;
    v += sprintf(v, "{");
    for (int b = 0; b < 256; b++) {
        v += sprintf(v, "%s\"", b ? "," : "");
        put_byte(&v, b);
        v += sprintf(v, "\":%d", id++);
    }
    for (int a = 'a'; a <= 'z'; a++)
        for (int b = 'a'; b <= 'z'; b++) {
            v += sprintf(v, ",\"%c%c\":%d", a, b, id++);
            m += sprintf(m, "%c %c\n", a, b);
        }
    for (int a = 'a'; a <= 'z'; a++) {
        v += sprintf(v, ",\"\xc4\xa0%c\":%d", a, id++);  // U+0120 spells the space byte
        m += sprintf(m, "\xc4\xa0 %c\n", a);
    }
    v += sprintf(v, "}");
    fixed_vocab_len = (size_t)(v - vocab);
    write_file(vocab_path, vocab, fixed_vocab_len);
    write_file(merges_path, merges, (size_t)(m - merges));
    tokenizer *t = tokenizer_load(vocab_path, merges_path);
    CHECK(t);
    return t;
}

static void check_round_trip(tokenizer *t, const char *text, size_t n) {
    tokenizer_ids ids = {0};
    CHECK(tokenizer_encode(t, text, n, &ids) == 0);
    for (size_t i = 0; i < ids.n; i++) CHECK(ids.ids[i] >= 0 && (size_t)ids.ids[i] < tokenizer_vocab_size(t));
    size_t len;
    char *back = tokenizer_decode(t, ids.ids, ids.n, &len);
    char *fixed = malloc(3 * n + 1);
    CHECK(back && fixed);
    size_t k = tokenizer_utf8_repair(text, n, fixed);
    CHECK(len == k && !memcmp(back, fixed, k));
    CHECK(tokenizer_utf8_valid(fixed, k));
    free(back);
    free(fixed);
    tokenizer_ids_free(&ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tokenizer *fixed;
    if (!fixed) {
        CHECK(mkdtemp(dir));
        snprintf(vocab_path, sizeof vocab_path, "%s/vocab.json", dir);
        snprintf(merges_path, sizeof merges_path, "%s/merges.txt", dir);
        fixed = fixed_tokenizer();
    }
    if (size == 0) return 0;
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;
    if (data[0] % 2 == 0) {
        check_round_trip(fixed, rest, n);
        return 0;
    }
    if (data[0] % 4 == 3) {
        write_file(vocab_path, fixed_vocab, fixed_vocab_len);
        write_file(merges_path, rest, n);
    } else {
        const char *nul = memchr(rest, 0, n);
        size_t vn = nul ? (size_t)(nul - rest) : n;
        write_file(vocab_path, rest, vn);
        write_file(merges_path, nul ? nul + 1 : "", nul ? n - vn - 1 : 0);
    }
    w2s_error_clear();
    tokenizer *t = tokenizer_load(vocab_path, merges_path);
    if (!t) {
        CHECK(w2s_error_message()[0] != 0);
        return 0;
    }
    static const char sample[] = "Hello world, it's 2023! caf\xc3\xa9 \xe6\xbc\xa2 \xff\xfe";
    check_round_trip(t, sample, sizeof sample - 1);
    tokenizer_free(t);
    return 0;
}
