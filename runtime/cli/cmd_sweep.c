// cmd_sweep.c — `w2s sweep`: `w2s run` on every weak ≤ strong pair of a list of models, as the
// reference's sweep.py does, then one report of accuracy against model size (sweep_report.h).
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "run_args.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "sweep_report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX_MODELS 16

static void usage(FILE *f) {
    fprintf(f, "usage: w2s sweep --models DIR,DIR,... --data FILE.jsonl --out DIR [w2s run options]\n"
               "  Runs the weak-to-strong protocol (w2s run) for every pair weak <= strong of the models,\n"
               "  ordered by size (parameters from each config.json), a pair of a model with itself\n"
               "  included, into OUT/<weak>__<strong>/; finished pairs are reused like w2s run's steps.\n"
               "  Then writes OUT/sweep.json (every pair's results_summary) and OUT/sweep.html (test\n"
               "  accuracy against the strong model's size: students per weak model and loss, ceiling).\n"
               "  --models LIST  2 to %d model directories (Hugging Face GPT-2 layout) or w2s checkpoints\n"
               "  --out DIR      output directory\n"
               "  Every other option is passed to each w2s run (see w2s run --help), except --weak/--strong.\n",
               SWEEP_MAX_MODELS);
}

// Parameters of the model at dir: embeddings plus 12·C² + 13·C per layer, plus ln_f.
static int model_params(const char *dir, double *params) {
    gpt2_config c;
    if (gpt2_checkpoint_config(dir, &c) != 0) return -1;
    double C = (double)c.n_embd;
    *params = (double)(c.vocab_size + c.n_positions) * C + (double)c.n_layer * (12 * C * C + 13 * C) + 2 * C;
    return 0;
}

static int by_size(const void *a, const void *b) {
    double pa = ((const sweep_model *)a)->params, pb = ((const sweep_model *)b)->params;
    return pa < pb ? -1 : pa > pb;
}

// The display name of a model: its path's last component.
static const char *model_name(char *dir_copy) {
    size_t n = strlen(dir_copy);
    while (n > 1 && dir_copy[n - 1] == '/') dir_copy[--n] = 0;
    const char *slash = strrchr(dir_copy, '/');
    return slash ? slash + 1 : dir_copy;
}

// The arguments of every pair's `w2s run`: "run", each run option given to the sweep as
// "--name=value", then room for --weak/--strong/--out and their values.
typedef struct {
    char **argv;
    int argc;
    char *pool;  // the "--name=value" strings
    size_t used;
    bool quiet;
} sweep_run_args;

static int forward(void *arg, const cli_opt *o, const char *value) {
    sweep_run_args *r = arg;
    if (!strcmp(o->name, "weak") || !strcmp(o->name, "strong"))
        return W2S_FAIL("--%s is chosen by the sweep; list the models with --models", o->name);
    if (!strcmp(o->name, "models") || !strcmp(o->name, "out")) return 0;
    r->quiet |= !strcmp(o->name, "quiet");
    char *s = r->pool + r->used;
    if (value) r->used += (size_t)sprintf(s, "--%s=%s", o->name, value) + 1;
    else r->used += (size_t)sprintf(s, "--%s", o->name) + 1;
    r->argv[r->argc++] = s;
    return 0;
}

int cmd_sweep(int argc, char **argv) {
    // Every `w2s run` option is checked here, before any pair runs, on a scratch state.
    run_args scratch;
    run_args_init(&scratch);
    const char *models_arg = NULL;
    cli_opt opts[RUN_MAX_OPTS + 1];
    size_t n = run_options(&scratch, opts);
    opts[n++] = (cli_opt)CLI_OPT("models", CLI_STR, &models_arg);
    size_t pool = 0;
    for (int i = 0; i < argc; i++) pool += strlen(argv[i]) + 4;  // "--name=value" is no longer than its words
    sweep_run_args r = {.argv = calloc((size_t)argc + 7, sizeof *r.argv), .argc = 1, .pool = malloc(pool)};
    if (!r.argv || !r.pool) {
        free(r.argv);
        free(r.pool);
        W2S_FAIL("out of memory");
        return cli_fail("sweep", NULL);
    }
    r.argv[0] = "run";
    int st = cli_opts_scan(argc, argv, opts, n, forward, &r);
    const char *out = scratch.c.out_dir;
    if (st == 0 && (!models_arg || !out)) st = W2S_FAIL("--models and --out are required");
    if (st) {
        free(r.argv);
        free(r.pool);
        if (st == 1) usage(stdout);
        return st == 1 ? 0 : cli_usage_error("sweep", "%s", w2s_error_message());
    }
    char **run_argv = r.argv;
    int run_argc = r.argc;
    bool quiet = r.quiet;
    sweep_model models[SWEEP_MAX_MODELS];
    char *dirs = strdup(models_arg);
    size_t nm = 0;
    int rc = dirs ? 0 : W2S_FAIL("out of memory");
    for (char *save = NULL, *tok = dirs ? strtok_r(dirs, ",", &save) : NULL; tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        if (nm == SWEEP_MAX_MODELS) rc = W2S_FAIL("--models lists more than %d models", SWEEP_MAX_MODELS);
        else if (model_params(tok, &models[nm].params) != 0) rc = w2s_error_wrap("--models");
        else models[nm].dir = tok, models[nm].name = model_name(tok), nm++;
    }
    if (!rc && nm < 2) rc = W2S_FAIL("--models needs at least 2 models, got %zu", nm);
    if (!rc) qsort(models, nm, sizeof models[0], by_size);
    for (size_t i = 0; i + 1 < nm && !rc; i++)
        for (size_t j = i + 1; j < nm; j++)
            if (!strcmp(models[i].name, models[j].name))
                rc = W2S_FAIL("--models: two models are named '%s' (the last path component names the pair folders)",
                              models[i].name);
    if (!rc) rc = w2s_mkdir_p(out);

    sweep_pair pairs[SWEEP_MAX_MODELS * (SWEEP_MAX_MODELS + 1) / 2];
    size_t np = 0, total = nm * (nm + 1) / 2;
    for (size_t i = 0; i < nm && !rc; i++)
        for (size_t j = i; j < nm && !rc; j++) {
            char pair_out[4096], summary[4200];
            snprintf(pair_out, sizeof pair_out, "%s/%s__%s", out, models[i].name, models[j].name);
            if (!quiet) fprintf(stderr, "sweep: pair %zu/%zu: weak %s -> strong %s\n", np + 1, total, models[i].name,
                                models[j].name);
            char *extra[] = {"--weak", (char *)models[i].dir, "--strong", (char *)models[j].dir, "--out", pair_out};
            memcpy(run_argv + run_argc, extra, sizeof extra);
            if (run_protocol_args(run_argc + 6, run_argv) != 0) {
                rc = w2s_error_wrap("pair %s -> %s", models[i].name, models[j].name);
                break;
            }
            snprintf(summary, sizeof summary, "%s/results_summary.json", pair_out);
            json_error_t jerr;
            json_t *s = json_load_file(summary, 0, &jerr);
            if (!s) {
                rc = W2S_FAIL("%s: %s", summary, jerr.text);
                break;
            }
            pairs[np++] = (sweep_pair){i, j, s};
        }
    if (!rc) rc = sweep_write(out, models, nm, pairs, np);
    if (!rc && !quiet) fprintf(stderr, "sweep: %zu pairs; wrote %s/sweep.json and %s/sweep.html\n", np, out, out);
    for (size_t k = 0; k < np; k++) json_decref(pairs[k].summary);
    free(dirs);
    free(run_argv);
    free(r.pool);
    return rc ? cli_fail("sweep", NULL) : 0;
}
