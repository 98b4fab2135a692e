// cmd_bench_label.c — `w2s bench label`: latency and throughput of the classification forward
// used for weak labeling (int8 graph, or the bf16/fp32 model) on random weights.
// Not a correctness check (tests/models/test_gpt2_int8.c is). One JSON line with the fields
// bench/torch_label.py prints, so the two compare as ratios: tokens/s at the median batch
// latency, per-batch latency p50/p99, and CPU time per batch (robust to a loaded machine).
#include "cli.h"
#include "cli_data.h"
#include "cli_stats.h"
#include "cmd_label.h"

#include "error.h"
#include "gpt2.h"
#include "gpt2_int8.h"
#include "hf_config.h"
#include "progress.h"
#include "rng.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Nearest-rank percentile of sorted v[0..n).
static double percentile(const double *v, size_t n, double q) {
    size_t r = (size_t)(q * (double)n + 0.999999);
    return v[(r < 1 ? 1 : r > n ? n : r) - 1];
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: w2s bench label [--arch NAME] [--batch B] [--seq T] [--precision int8|bf16|fp32]\n"
            "                       [--threads N] [--iters S] [--warmup W]\n"
            "  Times the classification forward of weak labeling on a randomly initialized GPT-2\n"
            "  (--arch gpt2|gpt2-medium|gpt2-large|gpt2-xl, default gpt2; 2-class random head) over\n"
            "  B random sequences of T tokens; prints one JSON line: tokens/s (B*T / median batch\n"
            "  time), p50/p99 batch latency in ms, and the median process CPU time per batch (all\n"
            "  threads). Defaults: batch 8, seq 128, int8, threads = OpenMP max,\n"
            "  20 timed batches after 2 warm-up batches.\n");
}

int bench_label(int argc, char **argv) {
    const char *arch = "gpt2", *precision = "int8";
    size_t B = 8, T = 128, threads = (size_t)omp_get_max_threads(), iters = 20, warmup = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        bool ok = true;
        if (!v) ok = false;
        else if (!strcmp(a, "--arch")) arch = argv[++i];
        else if (!strcmp(a, "--precision")) precision = argv[++i];
        else if (!strcmp(a, "--batch")) ok = !cli_parse_size(argv[++i], &B) && B;
        else if (!strcmp(a, "--seq")) ok = !cli_parse_size(argv[++i], &T) && T;
        else if (!strcmp(a, "--threads")) ok = !cli_parse_size(argv[++i], &threads) && threads && threads <= 4096;
        else if (!strcmp(a, "--iters")) ok = !cli_parse_size(argv[++i], &iters) && iters;
        else if (!strcmp(a, "--warmup")) ok = !cli_parse_size(argv[++i], &warmup);
        else ok = false;
        if (!ok) {
            fprintf(stderr, "w2s bench label: bad option or value '%s%s%s'\n", a, v ? " " : "", v ? v : "");
            usage(stderr);
            return 2;
        }
    }
    bool int8 = !strcmp(precision, "int8"), bf16 = !strcmp(precision, "bf16");
    if (!int8 && !bf16 && strcmp(precision, "fp32")) {
        fprintf(stderr, "w2s bench label: --precision must be int8, bf16 or fp32, not '%s'\n", precision);
        return 2;
    }
    gpt2_config cfg;
    if (hf_config_named(arch, &cfg)) return cli_fail("bench label", NULL);
    cfg.n_classes = 2;
    if (T > cfg.n_positions) {
        fprintf(stderr, "w2s bench label: --seq %zu exceeds %s's %zu positions\n", T, arch, cfg.n_positions);
        return 2;
    }
    omp_set_num_threads((int)threads);
    gpt2_options opt = {.max_batch = B, .max_seq = T, .lm_mode = GPT2_LM_NONE,
                        .precision = bf16 ? GPT2_BF16 : GPT2_FP32};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) return cli_fail("bench label", "a smaller --arch, --batch or --seq");
    gpt2_init_random(m, 1);
    rng r;
    rng_seed(&r, 2);
    for (size_t i = 0; i < 2 * cfg.n_embd; i++) m->params.score[i] = 0.02f * rng_normal_f32(&r);
    labeler_model lm = {0};
    if (int8) {
        lm.q = gpt2_int8_create(m, B, T, B * T);
        gpt2_destroy(m);  // the graph keeps what it needs, as `w2s label` does
        if (!lm.q) return cli_fail("bench label", NULL);
    } else {
        lm.m = m;
    }
    int32_t *tok = malloc(B * T * sizeof(int32_t));
    const int32_t **seqs = malloc(B * sizeof *seqs);
    size_t *lens = malloc(B * sizeof *lens);
    float *z = malloc(B * 2 * sizeof(float));
    double *t = malloc(iters * sizeof(double)), *tc = malloc(iters * sizeof(double));
    int rc = (!tok || !seqs || !lens || !z || !t || !tc) ? W2S_FAIL("out of memory") : 0;
    for (size_t i = 0; !rc && i < B * T; i++) tok[i] = (int32_t)rng_below(&r, cfg.vocab_size);
    for (size_t b = 0; !rc && b < B; b++) {
        seqs[b] = tok + b * T;
        lens[b] = T;
    }
    for (size_t it = 0; !rc && it < warmup + iters; it++) {
        double t0 = progress_now(), c0 = progress_cpu_now();
        rc = labeler_logits_seqs(&lm, seqs, lens, B, z);
        if (it >= warmup) {
            t[it - warmup] = progress_now() - t0;
            tc[it - warmup] = progress_cpu_now() - c0;
        }
    }
    if (!rc) {
        cli_sort(t, iters);
        cli_sort(tc, iters);
        double p50 = percentile(t, iters, 0.5), p99 = percentile(t, iters, 0.99);
        printf("{\"bench\": \"label\", \"impl\": \"w2s\", \"arch\": \"%s\", \"batch\": %zu, \"seq\": %zu, "
               "\"precision\": \"%s\", \"threads\": %zu, \"iters\": %zu, \"tokens_per_s\": %.1f, "
               "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"cpu_p50_ms\": %.3f, \"isa\": \"%s\"}\n",
               arch, B, T, precision, threads, iters, (double)(B * T) / p50, 1e3 * p50, 1e3 * p99,
               1e3 * percentile(tc, iters, 0.5), w2s_isa_name(w2s_isa_active()));
    }
    free(tok);
    free(seqs);
    free(lens);
    free(z);
    free(t);
    free(tc);
    gpt2_int8_destroy(lm.q);
    gpt2_destroy(lm.m);
    return rc ? cli_fail("bench label", NULL) : 0;
}
