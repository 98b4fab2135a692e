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
#include "world.h"

#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX_MODELS 16

static void usage(FILE *f) {
    fprintf(f, "usage: w2s sweep --models DIR,DIR,... --data FILE.jsonl --out DIR [w2s run options]\n"
               "  Runs the weak-to-strong protocol (w2s run) for every pair weak <= strong of the models,\n"
               "  ordered by size (parameters from each config.json), a pair of a model with itself\n"
               "  included, into OUT/<weak>__<strong>/; finished pairs are reused like w2s run's steps, and\n"
               "  each weak model, its labels and each ceiling are trained once per seed and reused across\n"
               "  pairs (the count is printed at the end, with --quiet too).\n"
               "  Then writes OUT/sweep.json (every pair's results_summary) and OUT/sweep.html (test\n"
               "  accuracy against the strong model's size: students per weak model and loss, ceiling).\n"
               "  --models LIST  2 to %d model directories (Hugging Face GPT-2 layout) or w2s checkpoints\n"
               "  --out DIR      output directory\n"
               "  Every other option is passed to each w2s run (see w2s run --help), except --weak/--strong.\n",
               SWEEP_MAX_MODELS);
}

// Parameters of the classifier at dir (gpt2_num_params: body and head).
static int model_params(const char *dir, double *params) {
    gpt2_config c;
    if (gpt2_checkpoint_config(dir, &c) != 0) return -1;
    *params = (double)gpt2_num_params(&c, GPT2_LM_NONE, 0);
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
    // Every `w2s run` option is read and checked once, before any pair runs.
    const char *models_arg = NULL;
    const cli_opt extra[] = {CLI_OPT("models", CLI_STR, &models_arg)};
    run_parsed rp;
    bool bad_usage;
    int st = run_parse(argc, argv, NULL, extra, 1, &rp, &bad_usage);
    const protocol_config *base = &rp.a.c;
    const char *out = base->out_dir;
    if (st == 0 && (base->weak_dir || base->strong_dir)) {
        st = W2S_FAIL("--%s is chosen by the sweep; list the models with --models", base->weak_dir ? "weak" : "strong");
        bad_usage = true;
    }
    if (st == 0 && (!models_arg || !out)) {
        st = W2S_FAIL("--models and --out are required");
        bad_usage = true;
    }
    if (st) {
        run_parsed_free(&rp);
        if (st == 1) usage(stdout);
        return st == 1 ? 0 : bad_usage ? cli_usage_error("sweep", "%s", w2s_error_message()) : cli_fail("sweep", NULL);
    }
    if (rp.a.threads) omp_set_num_threads((int)rp.a.threads);
    bool quiet = base->quiet;
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
    if (!rc && base->chain) rc = W2S_FAIL("--chain is `w2s run`'s (a sweep pairs --models instead)");
    if (!rc) qsort(models, nm, sizeof models[0], by_size);
    for (size_t i = 0; i + 1 < nm && !rc; i++)
        for (size_t j = i + 1; j < nm; j++)
            if (!strcmp(models[i].name, models[j].name))
                rc = W2S_FAIL("--models: two models are named '%s' (the last path component names the pair folders)",
                              models[i].name);
    if (!rc) rc = w2s_mkdir_p(out);

    sweep_pair pairs[SWEEP_MAX_MODELS * (SWEEP_MAX_MODELS + 1) / 2];
    size_t np = 0, total = nm * (nm + 1) / 2;
    // Each pair reuses the earlier pairs' steps of the same key: a weak model and a ceiling
    // are trained once per seed, whatever the pairs they belong to.
    static char pair_dirs[SWEEP_MAX_MODELS * (SWEEP_MAX_MODELS + 1) / 2][W2S_PATH_MAX];
    const char *done_dirs[SWEEP_MAX_MODELS * (SWEEP_MAX_MODELS + 1) / 2];
    protocol_reuse reuse = {0};
    char hash_cache[W2S_PATH_MAX];
    if (!rc) rc = w2s_path_format(hash_cache, sizeof hash_cache, "%s/file_hashes.json", out);
    for (size_t i = 0; i < nm && !rc; i++)
        for (size_t j = i; j < nm && !rc; j++) {
            char pair_out[W2S_PATH_MAX], summary[W2S_PATH_MAX];
            if (w2s_path_format(pair_out, sizeof pair_out, "%s/%s__%s", out, models[i].name, models[j].name)) {
                rc = -1;
                break;
            }
            if (!quiet && dist_is_root())
                fprintf(stderr, "sweep: pair %zu/%zu: weak %s -> strong %s\n", np + 1, total, models[i].name,
                        models[j].name);
            // The pair's run: the sweep's options, its two models and its own folder, recorded
            // in its results.json as if given to `w2s run`.
            protocol_config pc = *base;
            pc.weak_dir = models[i].dir;
            pc.strong_dir = models[j].dir;
            pc.out_dir = pair_out;
            pc.reuse_dirs = done_dirs;
            pc.n_reuse_dirs = np;
            pc.reuse = &reuse;
            pc.hash_cache = hash_cache;
            pc.print_table = !quiet;  // each pair's table, as `w2s run` prints it
            json_t *record = json_deep_copy(rp.record);
            if (record) {
                json_object_del(record, "models");
                json_object_set_new(record, "weak", json_string(pc.weak_dir));
                json_object_set_new(record, "strong", json_string(pc.strong_dir));
                json_object_set_new(record, "out", json_string(pair_out));
            }
            pc.config_json = record;
            rc = record ? protocol_run(&pc) : W2S_FAIL("out of memory");
            json_decref(record);
            if (rc) {
                rc = w2s_error_wrap("pair %s -> %s", models[i].name, models[j].name);
                break;
            }
            // Under MPI only rank 0 wrote the pair's results, and only it writes the sweep's.
            if (!dist_is_root()) continue;
            if (w2s_path_format(summary, sizeof summary, "%s/results_summary.json", pair_out)) {
                rc = -1;
                break;
            }
            json_error_t jerr;
            json_t *s = json_load_file(summary, 0, &jerr);
            if (!s) {
                rc = W2S_FAIL("%s: %s", summary, jerr.text);
                break;
            }
            snprintf(pair_dirs[np], sizeof pair_dirs[np], "%s", pair_out);
            done_dirs[np] = pair_dirs[np];
            pairs[np++] = (sweep_pair){i, j, s};
        }
    if (!rc && dist_is_root()) rc = sweep_write(out, models, nm, pairs, np);
    // The sweep's result, printed with --quiet too (which silences progress only).
    if (!rc && dist_is_root())
        printf("sweep: %zu pairs; taken from earlier pairs instead of retrained: %zu weak models, %zu ceilings, %zu "
               "label sets; wrote %s/sweep.json and %s/sweep.html\n", np, reuse.weak, reuse.ceiling, reuse.labels,
               out, out);
    for (size_t k = 0; k < np; k++) json_decref(pairs[k].summary);
    free(dirs);
    run_parsed_free(&rp);
    return rc ? cli_fail("sweep", NULL) : 0;
}
