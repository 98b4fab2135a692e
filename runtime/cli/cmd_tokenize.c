// cmd_tokenize.c — `w2s tokenize`: GPT-2 BPE ids of each stdin line as a JSON array, or back.
// A line is the bytes up to '\n'; the '\n' is not tokenized (a '\r' before it is). A last line
// without '\n' counts only if it is non-empty, so "a\nb\n" and "a\nb" are both two lines.
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"

#include "error.h"
#include "tokenizer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: w2s tokenize --vocab DIR [--decode] [--stats]\n"
            "       w2s tokenize --vocab VOCAB_JSON --merges MERGES_TXT [--decode] [--stats]\n"
            "  Reads text on stdin and writes one JSON array of GPT-2 token ids per input line.\n"
            "  A line is the bytes up to '\\n' (not included; a '\\r' before it is); a last line\n"
            "  without '\\n' counts if non-empty. Invalid UTF-8 is read as U+FFFD (like TextDecoder).\n"
            "  --vocab DIR     directory with vocab.json + merges.txt, or encoder.json + vocab.bpe\n"
            "  --vocab FILE    vocab.json / encoder.json, with --merges merges.txt / vocab.bpe\n"
            "  --decode        the reverse: reads one JSON array of ids per line, writes the bytes\n"
            "                  of the tokens followed by '\\n'\n"
            "  --stats         prints lines, bytes, tokens and throughput to stderr at the end\n");
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Writes "[1,2,3]\n" through a small buffer: printf per id would take a third of the run time.
static void write_ids(FILE *out, const int32_t *ids, size_t n) {
    char buf[4096];
    size_t k = 0;
    buf[k++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (k > sizeof buf - 16) {
            fwrite(buf, 1, k, out);
            k = 0;
        }
        if (i) buf[k++] = ',';
        char digits[12];
        size_t nd = 0;
        uint32_t v = (uint32_t)ids[i];  // ids are non-negative
        do {
            digits[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (nd) buf[k++] = digits[--nd];
    }
    buf[k++] = ']';
    buf[k++] = '\n';
    fwrite(buf, 1, k, out);
}

static int decode_line(tokenizer *tok, const char *line, size_t n, size_t lineno, tokenizer_ids *ids) {
    json_error_t jerr;
    json_t *arr = json_loadb(line, n, 0, &jerr);
    if (!arr || !json_is_array(arr)) {
        json_decref(arr);
        return W2S_FAIL("stdin:%zu: expected a JSON array of token ids", lineno);
    }
    ids->n = 0;
    int rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > TOKENIZER_MAX_ID) {
            rc = W2S_FAIL("stdin:%zu: element %zu is not a token id", lineno, i);
            break;
        }
        if (ids->n == ids->cap) {
            size_t cap = ids->cap ? 2 * ids->cap : 64;
            int32_t *p = realloc(ids->ids, cap * sizeof *p);
            if (!p) {
                rc = W2S_FAIL("out of memory");
                break;
            }
            ids->ids = p;
            ids->cap = cap;
        }
        ids->ids[ids->n++] = (int32_t)json_integer_value(v);
    }
    json_decref(arr);
    if (rc) return rc;
    size_t len;
    char *bytes = tokenizer_decode(tok, ids->ids, ids->n, &len);
    if (!bytes) return w2s_error_wrap("stdin:%zu", lineno);
    fwrite(bytes, 1, len, stdout);
    fputc('\n', stdout);
    free(bytes);
    return 0;
}

int cmd_tokenize(int argc, char **argv) {
    const char *vocab = NULL, *merges = NULL;
    bool decode = false, stats = false;
    cli_opt opts[] = {
        CLI_OPT("vocab", CLI_STR, &vocab),
        CLI_OPT("merges", CLI_STR, &merges),
        CLI_OPT("decode", CLI_FLAG, &decode),
        CLI_OPT("stats", CLI_FLAG, &stats),
    };
    int status = cli_opts_parse("tokenize", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    if (!vocab) return cli_usage_error("tokenize", "--vocab is required");
    tokenizer *tok = merges ? tokenizer_load(vocab, merges) : tokenizer_load_dir(vocab);
    if (!tok)
        return cli_fail("tokenize", merges ? NULL : "--vocab names a directory, or a vocab file with --merges");

    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    char *line = NULL;
    size_t line_cap = 0, lines = 0, bytes = 0, tokens = 0;
    double encode_s = 0;  // time inside tokenizer_encode alone (no I/O, no JSON)
    tokenizer_ids ids = {0};
    int rc = 0;
    double t0 = now_s();
    ssize_t got;
    while ((got = getline(&line, &line_cap, stdin)) > 0) {
        size_t n = (size_t)got;
        if (line[n - 1] == '\n') n--;
        lines++;
        bytes += (size_t)got;
        if (decode) {
            if (decode_line(tok, line, n, lines, &ids)) {
                rc = cli_fail("tokenize", NULL);
                break;
            }
            continue;
        }
        ids.n = 0;
        double e0 = stats ? now_s() : 0;
        int failed = tokenizer_encode(tok, line, n, &ids);
        if (stats) encode_s += now_s() - e0;
        if (failed) {
            w2s_error_wrap("stdin:%zu", lines);
            rc = cli_fail("tokenize", NULL);
            break;
        }
        tokens += ids.n;
        write_ids(stdout, ids.ids, ids.n);
    }
    double dt = now_s() - t0;
    if (!rc && ferror(stdin)) {
        fprintf(stderr, "w2s tokenize: error reading stdin\n");
        rc = 1;
    }
    if (fflush(stdout) != 0 && !rc) {
        fprintf(stderr, "w2s tokenize: error writing stdout\n");
        rc = 1;
    }
    if (stats && !rc) {
        fprintf(stderr, "w2s tokenize: %zu lines, %zu bytes, %zu tokens in %.3f s (%.2f MB/s, %.0f tokens/s)\n",
                lines, bytes, tokens, dt, dt > 0 ? (double)bytes / dt / 1e6 : 0.0, dt > 0 ? (double)tokens / dt : 0.0);
        if (!decode && encode_s > 0)
            fprintf(stderr, "w2s tokenize: encoding alone %.3f s (%.2f MB/s, %.0f tokens/s)\n", encode_s,
                    (double)bytes / encode_s / 1e6, (double)tokens / encode_s);
    }
    free(line);
    tokenizer_ids_free(&ids);
    tokenizer_free(tok);
    return rc;
}
