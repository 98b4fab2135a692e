// fuzz_stream.c — libFuzzer target for `w2s label --stream`'s request loop
// (runtime/cli/cmd_label_stream.c): the real label_stream() reads the input from a pipe on
// stdin and answers on stdout (a file here). The model is a stub that traps on any sequence a
// real model could not take (empty, longer than max_ctx, more than --batch, an id >= vocab),
// so every request the parser accepts is proven safe to label. Byte 0 picks batch, classes,
// max_ctx and whether a byte-level tokenizer is loaded; the rest is the request stream.
// Oracle: exactly one answer per non-blank line, in order; an error answer names its line;
// a label answer has K probabilities summing to 1 and hard_label = their argmax.
// fuzz-room: w2s_cli
#include "cmd_label.h"

#include "error.h"
#include "fuzz_byte_tokenizer.h"
#include "trainer.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
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

static char dir[] = "/dev/shm/w2s_fuzz_stream_XXXXXX";
static char out_path[64];
static label_ctx ctx;

// ---- stubs for the model side (what label_stream calls besides parsing)

int label_load_models(label_ctx *x, size_t max_seq) {
    (void)x;
    (void)max_seq;
    return 0;
}

int labeler_logits_seqs(const labeler_model *lm, const int32_t *const *seqs, const size_t *lens,
                        size_t n, float *logits) {
    (void)lm;
    size_t K = ctx.cfg.n_classes;
    CHECK(n >= 1 && n <= ctx.o.batch);
    for (size_t i = 0; i < n; i++) {
        CHECK(lens[i] >= 1 && lens[i] <= ctx.max_ctx);
        uint64_t h = 0;
        for (size_t t = 0; t < lens[i]; t++) {
            CHECK(seqs[i][t] >= 0 && (size_t)seqs[i][t] < ctx.cfg.vocab_size);
            h = h * 31 + (uint64_t)seqs[i][t];
        }
        for (size_t k = 0; k < K; k++) logits[i * K + k] = (float)((h >> (3 * k)) % 9) - 4.0f;
    }
    // A model failure (the real one reports NaN activations) must be answered per request.
    if (lens[0] == 3 && seqs[0][0] == 13) return W2S_FAIL("stub model failure");
    return 0;
}

void trainer_soft_labels(const float *logits, size_t n, size_t K, float *probs, int32_t *hard) {
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * K;
        float *p = probs + i * K;
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (z[k] > z[best]) best = k;
        float mx = z[best], sum = 0;
        for (size_t k = 0; k < K; k++) sum += p[k] = expf(z[k] - mx);
        for (size_t k = 0; k < K; k++) p[k] /= sum;
        hard[i] = (int32_t)best;
    }
}

// ---- the oracle

// Line numbers (1-based) of the requests in data[0..n), by label_stream's rules: lines end at
// '\n' (the last may not), one trailing '\r' is dropped, spaces/tabs only is blank.
static size_t request_lines(const char *s, size_t n, size_t *lines) {
    size_t count = 0, line = 0, pos = 0;
    while (pos < n) {
        const char *nl = memchr(s + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - s) : n, len = end - pos;
        line++;
        if (len && s[end - 1] == '\r') len--;
        size_t k = 0;
        while (k < len && (s[pos + k] == ' ' || s[pos + k] == '\t')) k++;
        if (k < len) lines[count++] = line;
        pos = end + 1;
    }
    return count;
}

static void check_answers(const char *in, size_t n) {
    size_t *lines = malloc((n + 1) * sizeof *lines);
    CHECK(lines);
    size_t want = request_lines(in, n, lines), got = 0;
    FILE *f = fopen(out_path, "r");
    CHECK(f);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    size_t K = ctx.cfg.n_classes;
    while ((len = getline(&buf, &cap, f)) > 0) {
        CHECK(got < want);
        json_error_t je;
        json_t *a = json_loadb(buf, (size_t)len, 0, &je);
        CHECK(a && json_is_object(a));
        json_t *err = json_object_get(a, "error");
        if (err) {
            CHECK(json_is_string(err) && json_string_length(err) > 0);
            CHECK(json_integer_value(json_object_get(a, "line")) == (json_int_t)lines[got]);
            CHECK(!json_object_get(a, "soft_label"));
        } else {
            json_t *soft = json_object_get(a, "soft_label"), *hard = json_object_get(a, "hard_label");
            CHECK(json_is_array(soft) && json_array_size(soft) == K && json_is_integer(hard));
            json_int_t h = json_integer_value(hard);
            CHECK(h >= 0 && (size_t)h < K);
            double sum = 0;
            for (size_t k = 0; k < K; k++) {
                double p = json_number_value(json_array_get(soft, k));
                CHECK(p >= 0 && p <= 1);
                CHECK(p <= json_number_value(json_array_get(soft, (size_t)h)));
                sum += p;
            }
            CHECK(fabs(sum - 1) < 1e-5);  // K float probabilities printed with 9 digits
        }
        json_decref(a);
        got++;
    }
    CHECK(got == want);
    free(buf);
    fclose(f);
    free(lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tokenizer *tok;
    if (!tok) {
        CHECK(mkdtemp(dir));
        snprintf(out_path, sizeof out_path, "%s/answers.jsonl", dir);
        tok = fuzz_byte_tokenizer(dir);
    }
    // The whole input must fit the pipe buffer (64 KiB on Linux): nothing reads it until the
    // server runs, in this same thread.
    if (size < 1 || size > 60000) return 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.o.batch = 1 + (data[0] & 7);
    ctx.cfg.n_classes = 2 + ((data[0] >> 3) & 3);
    ctx.max_ctx = (data[0] >> 5) & 1 ? 4 : 64;
    ctx.tok = (data[0] >> 6) & 1 ? tok : NULL;
    ctx.cfg.vocab_size = ctx.tok || (data[0] >> 7) ? 256 : 50;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], in, n) == (ssize_t)n);
    close(p[1]);
    if (p[0] != STDIN_FILENO) {
        CHECK(dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
        close(p[0]);
    }
    CHECK(freopen(out_path, "w", stdout));
    w2s_error_clear();
    CHECK(label_stream(&ctx) == 0);
    CHECK(fflush(stdout) == 0);
    int null_fd = open("/dev/null", O_RDONLY);  // releases the pipe; fd 0 stays taken
    CHECK(null_fd >= 0 && dup2(null_fd, STDIN_FILENO) == STDIN_FILENO);
    if (null_fd != STDIN_FILENO) close(null_fd);
    check_answers(in, n);
    return 0;
}
