// cmd_tune.c — `w2s tune`: times the candidate GEMM configurations on a model's shapes and
// stores the fastest per type for this CPU (runtime/tune); every later command installs it.
// Prints each candidate's time against the built-in one, so the choice can be checked.
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"

#include "error.h"
#include "fileio.h"
#include "hf_config.h"
#include "tune.h"
#include "tune_wisdom.h"

#include <omp.h>
#include <stdio.h>
#include <time.h>

static void usage(FILE *f) {
    fprintf(f, "usage: w2s tune [--arch gpt2|gpt2-medium|gpt2-large|gpt2-xl] [--reps N] [--dry-run]\n"
               "  Times the GEMM configurations (register tile, K/M/N blocking, thread split) this CPU\n"
               "  can run on the\n"
               "  model's linear layers (M = 32 and 512 rows), interleaved, --reps times (default 5;\n"
               "  medians), and stores the fastest per type (f32, bf16, int8) for this CPU in\n"
               "  $XDG_CACHE_HOME/w2s/ (~/.cache/w2s); every later w2s command then uses it\n"
               "  (`w2s info` shows which). Scored by CPU time (all threads); a built-in choice\n"
               "  is kept unless another is 2%% faster in sum and no shape is more than 3%% slower.\n"
               "  --dry-run times and prints without storing. Takes ~10-30 s for gpt2 on 2 cores.\n");
}

static const char *type_label(int t) { return t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : "int8"; }

int cmd_tune(int argc, char **argv) {
    const char *arch = "gpt2";
    size_t reps = 5;
    bool dry = false;
    cli_opt opts[] = {
        CLI_OPT("arch", CLI_STR, &arch),
        CLI_OPT("reps", CLI_SIZE, &reps, .lo = 1, .hi = 64),
        CLI_OPT("dry-run", CLI_FLAG, &dry),
    };
    int status = cli_opts_parse("tune", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    gpt2_config cfg;
    if (hf_config_named(arch, &cfg)) return cli_fail("tune", "--arch takes gpt2, gpt2-medium, gpt2-large or gpt2-xl");
    tune_shape shapes[TUNE_MAX_SHAPES];
    size_t n = tune_gpt2_shapes((size_t)cfg.n_embd, 32, 512, shapes, TUNE_MAX_SHAPES);
    char sig[256];
    tune_cpu_signature(sig, sizeof sig);
    const char *how;
    gemm_core_kind kind = gemm_core(&how);
    printf("tuning GEMM configurations for %s (%zu shapes, M = 32 and 512), %d threads, %zu interleaved reps\n",
           arch, n, omp_get_max_threads(), reps);
    printf("cpu: %s\ncore: %s (%s)\n", sig, gemm_core_name(kind), how);
    tune_options opt = {.reps = (int)reps, .min_gain = 0.02, .max_shape_loss = 0.03, .progress = stdout};
    tune_result r;
    if (tune_run(shapes, n, &opt, &r)) return cli_fail("tune", NULL);
    printf("\n%-5s %-62s %12s %8s %11s\n", "type", "configuration", "Σ med CPU ms", "vs built-in", "worst shape");
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        const tune_type_result *tr = &r.type[t];
        for (size_t c = 0; c < tr->n; c++) {
            char buf[128];
            printf("%-5s %-62s %12.3f %7.3fx %10.3fx%s%s\n", type_label(t),
                   gemm_config_format(&tr->cand[c], buf, sizeof buf), 1e3 * tr->seconds[c],
                   tr->seconds[tr->builtin] / tr->seconds[c], tr->worst[c], c == tr->builtin ? " built-in" : "",
                   c == tr->chosen ? " <- chosen" : "");
        }
    }
    printf("tuned in %.1f s\n", r.seconds);
    if (dry) return 0;
    tune_wisdom_meta meta = {.threads = omp_get_max_threads(), .seconds = r.seconds};
    snprintf(meta.arch, sizeof meta.arch, "%s", arch);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(meta.when, sizeof meta.when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char path[W2S_PATH_MAX];
    if (tune_wisdom_save(&r.chosen, &meta) || tune_wisdom_path(path, sizeof path))
        return cli_fail("tune", "set XDG_CACHE_HOME to a writable folder");
    printf("stored: %s\n", path);
    return 0;
}
