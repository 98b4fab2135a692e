// fuzz_byte_tokenizer.h — the fuzz targets' tokenizer fixture: GPT-2's byte alphabet as a
// 256-token vocabulary with no merges, so every byte string tokenizes (one id per byte) and
// the real tokenizer code runs. Header-only: each target is its own program.
#ifndef W2S_FUZZ_BYTE_TOKENIZER_H
#define W2S_FUZZ_BYTE_TOKENIZER_H

#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>

// Writes byte b's token as a JSON string: GPT-2's byte-to-unicode map (printable bytes are
// themselves, the others 256 + their rank among the unprintable), UTF-8 encoded.
static void fuzz_put_byte_token(FILE *f, int b) {
    int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174, cp = b, n = 0;
    if (!printable) {
        for (int x = 0; x < b; x++) n += !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
        cp = 256 + n;
    }
    if (cp == '"' || cp == '\\') fprintf(f, "\"\\%c\"", cp);
    else if (cp < 0x80) fprintf(f, "\"%c\"", cp);
    else fprintf(f, "\"%c%c\"", 0xC0 | cp >> 6, 0x80 | (cp & 0x3F));
}

// The byte tokenizer, loaded from vocab.json + merges.txt written into the existing folder
// dir; traps (__builtin_trap) if anything fails, as a fuzz target's fixture should.
static tokenizer *fuzz_byte_tokenizer(const char *dir) {
    char vocab[256], merges[256];
    if (snprintf(vocab, sizeof vocab, "%s/vocab.json", dir) >= (int)sizeof vocab ||
        snprintf(merges, sizeof merges, "%s/merges.txt", dir) >= (int)sizeof merges)
        __builtin_trap();
    FILE *f = fopen(vocab, "w");
    if (!f) __builtin_trap();
    fputc('{', f);
    for (int b = 0; b < 256; b++) {
        if (b) fputc(',', f);
        fuzz_put_byte_token(f, b);
        fprintf(f, ":%d", b);
    }
    fputc('}', f);
    if (fclose(f) != 0) __builtin_trap();
    f = fopen(merges, "w");
    if (!f || fputs("#version: 0.2\n", f) < 0 || fclose(f) != 0) __builtin_trap();
    tokenizer *t = tokenizer_load(vocab, merges);
    if (!t) __builtin_trap();
    return t;
}

#endif
