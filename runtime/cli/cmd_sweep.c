// cmd_sweep.c — `w2s sweep`: `w2s run` on every weak ≤ strong pair of a list of models, as the
// reference's sweep.py does, then one report of accuracy against model size (sweep_report.h).
#include "cli.h"

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

int cmd_sweep(int argc, char **argv) {
    const char *models_arg = NULL, *out = NULL;
    // The arguments passed to every run, with room for --weak/--strong/--out and their values.
    char **run_argv = calloc((size_t)argc + 7, sizeof *run_argv);
    if (!run_argv) {
        W2S_FAIL("out of memory");
        return cli_fail("sweep", NULL);
    }
    int run_argc = 1, quiet = 0;
    run_argv[0] = "run";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(run_argv);
            return 0;
        }
        if (!strcmp(a, "--models") && i + 1 < argc) models_arg = argv[++i];
        else if (!strcmp(a, "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(a, "--weak") || !strcmp(a, "--strong")) {
            free(run_argv);
            fprintf(stderr, "w2s sweep: %s is chosen by the sweep; list the models with --models\n", a);
            return 2;
        } else {
            quiet |= !strcmp(a, "--quiet");
            run_argv[run_argc++] = argv[i];
        }
    }
    if (!models_arg || !out) {
        free(run_argv);
        fprintf(stderr, "w2s sweep: --models and --out are required (see w2s sweep --help)\n");
        return 2;
    }
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
    return rc ? cli_fail("sweep", NULL) : 0;
}
