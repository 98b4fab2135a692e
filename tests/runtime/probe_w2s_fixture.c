// probe_w2s_fixture.c — fixtures for the `w2s run/train/eval` script tests: tiny random-init
// GPT-2 "pretrained" models saved as Hugging Face directories, and pre-tokenized JSONL data
// with a learnable rule. Nothing is downloaded; everything is a function of the arguments.
//   probe_w2s_fixture model DIR n_layer n_head n_embd vocab n_positions seed
//   probe_w2s_fixture data FILE n_examples vocab seed [n_classes]
//   probe_w2s_fixture tokenizer DIR      byte-level vocab.json (256 tokens, id = byte) + no merges
//   probe_w2s_fixture textdata FILE n_examples seed   {"txt", "hard_label"}: label = last letter > 'm'
// Data rule: hard_label = (last token * n_classes) / vocab, so a classifier reading the last
// real token (the head's input) can learn it; lengths vary in [2, 12] so padding is exercised.
#include "error.h"
#include "fileio.h"
#include "gpt2.h"
#include "gpt2_checkpoint.h"
#include "hf_config.h"
#include "rng.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int make_model(char **a) {
    gpt2_config cfg = {.n_layer = strtoul(a[1], NULL, 10), .n_head = strtoul(a[2], NULL, 10),
                       .n_embd = strtoul(a[3], NULL, 10), .vocab_size = strtoul(a[4], NULL, 10),
                       .n_positions = strtoul(a[5], NULL, 10), .n_classes = 0, .ln_eps = 1e-5f};
    gpt2_options opt = {.max_batch = 1, .max_seq = 1, .lm_mode = GPT2_LM_NONE, .precision = GPT2_FP32};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) return -1;
    gpt2_init_random(m, strtoull(a[6], NULL, 10));
    char p[4096];
    int rc = w2s_mkdir_p(a[0]);
    snprintf(p, sizeof p, "%s/config.json", a[0]);
    if (!rc) rc = hf_config_save(p, &cfg);
    snprintf(p, sizeof p, "%s/model.safetensors", a[0]);
    if (!rc) rc = gpt2_checkpoint_save(m, p);
    gpt2_destroy(m);
    return rc;
}

static int make_data(char **a, int n_args) {
    size_t n = strtoul(a[1], NULL, 10), V = strtoul(a[2], NULL, 10), K = n_args > 4 ? strtoul(a[4], NULL, 10) : 2;
    rng r;
    rng_seed(&r, strtoull(a[3], NULL, 10));
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, a[0])) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t len = 2 + rng_below(&r, 11), last = 0;
        fprintf(af.f, "{\"input_ids\": [");
        for (size_t t = 0; t < len; t++) {
            last = rng_below(&r, V);
            fprintf(af.f, "%s%zu", t ? ", " : "", last);
        }
        size_t label = last * K / V;
        fprintf(af.f, "], \"hard_label\": %zu, \"id\": %zu}\n", label, i);
    }
    return w2s_atomic_commit(&af);
}

// GPT-2's byte-to-unicode alphabet (encoder.py bytes_to_unicode): printable bytes map to
// themselves, the others to U+0100 + n in byte order. Writes token b's JSON string for byte b.
static void byte_token_json(FILE *f, int b) {
    static int next_of[256];
    int n = 0;
    for (int i = 0; i < 256; i++) {
        bool printable = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255);
        next_of[i] = printable ? i : 256 + n++;
    }
    int cp = next_of[b];
    if (cp == '"' || cp == '\\') fprintf(f, "\"\\%c\"", cp);
    else if (cp < 128) fprintf(f, "\"%c\"", cp);
    else fprintf(f, "\"%c%c\"", 0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
}

static int make_tokenizer(char **a) {
    char p[4096];
    if (w2s_mkdir_p(a[0])) return -1;
    snprintf(p, sizeof p, "%s/vocab.json", a[0]);
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, p)) return -1;
    fprintf(af.f, "{");
    for (int b = 0; b < 256; b++) {
        fprintf(af.f, "%s", b ? ", " : "");
        byte_token_json(af.f, b);
        fprintf(af.f, ": %d", b);
    }
    fprintf(af.f, "}\n");
    if (w2s_atomic_commit(&af)) return -1;
    snprintf(p, sizeof p, "%s/merges.txt", a[0]);
    return w2s_write_file_atomic(p, "#version: 0.2\n", 14);
}

static int make_text_data(char **a) {
    size_t n = strtoul(a[1], NULL, 10);
    rng r;
    rng_seed(&r, strtoull(a[2], NULL, 10));
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, a[0])) return -1;
    for (size_t i = 0; i < n; i++) {
        char txt[32];
        size_t len = 2 + rng_below(&r, 9);
        for (size_t t = 0; t < len; t++) txt[t] = t % 4 == 3 ? ' ' : (char)('a' + rng_below(&r, 26));
        txt[len] = 0;
        if (txt[len - 1] == ' ') txt[len - 1] = 'x';
        fprintf(af.f, "{\"txt\": \"%s\", \"hard_label\": %d}\n", txt, txt[len - 1] > 'm');
    }
    return w2s_atomic_commit(&af);
}

int main(int argc, char **argv) {
    int rc = -1;
    if (argc == 9 && !strcmp(argv[1], "model")) rc = make_model(argv + 2);
    else if ((argc == 6 || argc == 7) && !strcmp(argv[1], "data")) rc = make_data(argv + 2, argc - 2);
    else if (argc == 3 && !strcmp(argv[1], "tokenizer")) rc = make_tokenizer(argv + 2);
    else if (argc == 5 && !strcmp(argv[1], "textdata")) rc = make_text_data(argv + 2);
    else {
        fprintf(stderr, "usage: probe_w2s_fixture model DIR L NH C V P seed | data FILE N V seed [K]\n");
        return 2;
    }
    if (rc) fprintf(stderr, "probe_w2s_fixture: %s\n", w2s_error_message());
    return rc ? 1 : 0;
}
