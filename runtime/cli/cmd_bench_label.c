// cmd_bench_label.c — `w2s bench label`: latency and throughput of the classification forward
// used for weak labeling (int8 graph, or the bf16/fp32 model) on random weights. One JSON line
// with the fields bench/torch_label.py prints, so the two compare as ratios: tokens/s at the
// median batch latency, per-batch latency p50/p99, and CPU time per batch (robust to a loaded
// machine). `--check-fp32 N` also measures the labels' agreement with the fp32 model on N
// random examples of this full-size model (tests/models/test_gpt2_int8.c enforces a bound on
// small fixed models).
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "cli_stats.h"
#include "cmd_label.h"

#include "error.h"
#include "gpt2.h"
#include "gpt2_int8.h"
#include "hf_config.h"
#include "progress.h"
#include "rng.h"
#include "trainer.h"

#include <math.h>
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

// Labels n random examples (lengths uniform in 1..T, B at a time) with the int8 graph q and
// the fp32 model ref and compares their 2-class probabilities. Of ref's: *spread = mean
// |p0 - 1/2| (distance from the boundary), *share0 = share of class-0 predictions (a random
// body can put every example on one side, which would make agreement trivial).
static int check_fp32(const labeler_model *q, const labeler_model *ref, const gpt2_config *cfg, size_t B,
                      size_t T, size_t n, rng *r, label_check *chk, double *spread, double *share0) {
    int32_t *tok = malloc(B * T * sizeof *tok);  // (B, T)
    const int32_t **seqs = malloc(B * sizeof *seqs);
    size_t *lens = malloc(B * sizeof *lens);
    float *pq = malloc(n * 2 * sizeof *pq), *pr = malloc(n * 2 * sizeof *pr);  // (n, 2) each
    int rc = (!tok || !seqs || !lens || !pq || !pr) ? W2S_FAIL("out of memory") : 0;
    for (size_t i0 = 0; !rc && i0 < n; i0 += B) {
        size_t nb = n - i0 < B ? n - i0 : B;
        for (size_t b = 0; b < nb; b++) {
            lens[b] = 1 + rng_below(r, T);
            seqs[b] = tok + b * T;
            for (size_t t = 0; t < lens[b]; t++) tok[b * T + t] = (int32_t)rng_below(r, cfg->vocab_size);
        }
        rc = labeler_logits_seqs(q, seqs, lens, nb, pq + 2 * i0);
        if (!rc) rc = labeler_logits_seqs(ref, seqs, lens, nb, pr + 2 * i0);
    }
    if (!rc) {
        trainer_soft_labels(pq, n, 2, pq, NULL);
        trainer_soft_labels(pr, n, 2, pr, NULL);
        label_compare(pq, pr, n, 2, chk);
        double s = 0, c0 = 0;
        for (size_t i = 0; i < n; i++) {
            s += fabs((double)pr[2 * i] - 0.5);
            c0 += pr[2 * i] >= pr[2 * i + 1];
        }
        *spread = s / (double)n;
        *share0 = c0 / (double)n;
    }
    free(tok);
    free(seqs);
    free(lens);
    free(pq);
    free(pr);
    return rc;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: w2s bench label [--arch NAME] [--batch B] [--seq T] [--precision int8|bf16|fp32]\n"
            "                       [--threads N] [--iters S] [--warmup W] [--check-fp32 N]\n"
            "                       [--head-std S]\n"
            "  Times the classification forward of weak labeling on a randomly initialized GPT-2\n"
            "  (--arch gpt2|gpt2-medium|gpt2-large|gpt2-xl, default gpt2; 2-class random head) over\n"
            "  B random sequences of T tokens; prints one JSON line: tokens/s (B*T / median batch\n"
            "  time), p50/p99 batch latency in ms, and the median process CPU time per batch (all\n"
            "  threads). Defaults: batch 8, seq 128, int8, threads = OpenMP max,\n"
            "  20 timed batches after 2 warm-up batches. --check-fp32 N (int8) adds the argmax agreement\n"
            "  and mean/max |dp| against the fp32 model over N random examples of 1..T tokens (head std\n"
            "  --head-std, default 0.02), with the fp32 model's mean |p0 - 1/2| and class-0 share.\n");
}

int bench_label(int argc, char **argv) {
    static const char *const precisions[] = {"int8", "bf16", "fp32", NULL};
    const char *arch = "gpt2";
    size_t B = 8, T = 128, threads = (size_t)omp_get_max_threads(), iters = 20, warmup = 2, n_check = 0;
    double head_std = 0.02;
    int prec = 0;
    cli_opt opts[] = {
        CLI_OPT("arch", CLI_STR, &arch),
        CLI_OPT("precision", CLI_CHOICE, &prec, .choices = precisions),
        CLI_OPT("batch", CLI_SIZE, &B, .lo = 1),
        CLI_OPT("seq", CLI_SIZE, &T, .lo = 1),
        CLI_OPT("threads", CLI_SIZE, &threads, .lo = 1, .hi = 4096),
        CLI_OPT("iters", CLI_SIZE, &iters, .lo = 1),
        CLI_OPT("warmup", CLI_SIZE, &warmup),
        CLI_OPT("check-fp32", CLI_SIZE, &n_check, .lo = 1),
        CLI_OPT("head-std", CLI_DOUBLE, &head_std, .min = 0, .max = 1e3, .open = CLI_OPEN_MIN | CLI_OPEN_MAX),
    };
    int status = cli_opts_parse("bench label", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    const char *precision = precisions[prec];
    bool int8 = prec == 0, bf16 = prec == 1;
    if (n_check && !int8)
        return cli_usage_error("bench label", "--check-fp32 compares the int8 graph with the fp32 model");
    gpt2_config cfg;
    if (hf_config_named(arch, &cfg)) return cli_fail("bench label", NULL);
    cfg.n_classes = 2;
    if (T > cfg.n_positions)
        return cli_usage_error("bench label", "--seq %zu exceeds %s's %zu positions", T, arch, cfg.n_positions);
    omp_set_num_threads((int)threads);
    gpt2_options opt = {.max_batch = B, .max_seq = T, .lm_mode = GPT2_LM_NONE,
                        .precision = bf16 ? GPT2_BF16 : GPT2_FP32};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) return cli_fail("bench label", "a smaller --arch, --batch or --seq");
    gpt2_init_random(m, 1);
    rng r;
    rng_seed(&r, 2);
    for (size_t i = 0; i < 2 * cfg.n_embd; i++) m->params.score[i] = (float)head_std * rng_normal_f32(&r);
    labeler_model lm = {0}, ref = {.m = m};
    if (int8) {
        lm.q = gpt2_int8_create(m, B, T, B * T);
        if (!lm.q) {
            gpt2_destroy(m);
            return cli_fail("bench label", NULL);
        }
    } else {
        lm.m = m;
        gpt2_pack_cache(m, true);  // as `w2s label` does: weights packed once, after the head is set
    }
    if (int8 && !n_check) {
        gpt2_destroy(m);  // the graph keeps what it needs, as `w2s label` does
        ref.m = NULL;
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
    label_check chk = {0};
    double spread = 0, share0 = 0;
    if (!rc && n_check) rc = check_fp32(&lm, &ref, &cfg, B, T, n_check, &r, &chk, &spread, &share0);
    if (!rc) {
        cli_sort(t, iters);
        cli_sort(tc, iters);
        double p50 = percentile(t, iters, 0.5), p99 = percentile(t, iters, 0.99);
        printf("{\"bench\": \"label\", \"impl\": \"w2s\", \"arch\": \"%s\", \"batch\": %zu, \"seq\": %zu, "
               "\"precision\": \"%s\", \"threads\": %zu, \"iters\": %zu, \"tokens_per_s\": %.1f, "
               "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"cpu_p50_ms\": %.3f, \"isa\": \"%s\"",
               arch, B, T, precision, threads, iters, (double)(B * T) / p50, 1e3 * p50, 1e3 * p99,
               1e3 * percentile(tc, iters, 0.5), w2s_isa_name(w2s_isa_active()));
        if (n_check)
            printf(", \"check_examples\": %zu, \"head_std\": %g, \"agreement\": %.4f, \"mean_abs_dp\": %.3g, "
                   "\"max_abs_dp\": %.3g, \"mean_abs_p0_minus_half\": %.3g, \"class0_share\": %.3f",
                   n_check, head_std, chk.agreement, chk.mean_abs_dp, chk.max_abs_dp, spread, share0);
        printf("}\n");
    }
    free(tok);
    free(seqs);
    free(lens);
    free(z);
    free(t);
    free(tc);
    gpt2_int8_destroy(lm.q);
    gpt2_destroy(int8 ? ref.m : lm.m);
    return rc ? cli_fail("bench label", NULL) : 0;
}
