// w2s_run.c — the public API's training and whole-protocol run (w2s.h): `w2s train` with its
// options as JSON, and `w2s run --config` with the config as JSON text, through the same
// option tables and code as the commands (train_args.h, run_args.h). Not a second reader. The one thing to know: silence is the context's choice, given
// to the run as --quiet (which wins over a config's "quiet" like any command-line option) and
// as no results table: the library prints nothing unless the context asks for progress.
#include "w2s_internal.h"

#include "error.h"
#include "fileio.h"
#include "run_args.h"
#include "train_args.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_SUMMARY_MAX ((size_t)16 << 20)

w2s_status w2s_run(w2s_context *ctx, const char *config_json, char *summary, size_t summary_cap, size_t *summary_len,
                   char *err, size_t err_cap) {
    if (!ctx || !config_json)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_run: ctx and config_json must not be NULL");
    api_begin(ctx);
    char *argv[] = {"run", "--quiet", NULL};
    int argc = ctx->progress ? 1 : 2;
    char out_dir[4096] = "";
    bool bad_usage;
    int rc = run_args_run(argc, argv, config_json, ctx->progress, out_dir, sizeof out_dir, &bad_usage);
    if (rc) return api_end(rc, W2S_ERR_RUNTIME, err, err_cap);
    char path[4200];
    snprintf(path, sizeof path, "%s/results_summary.json", out_dir);
    size_t size = 0;
    char *text = w2s_read_file(path, RUN_SUMMARY_MAX, &size);
    if (!text) return api_end(-1, W2S_ERR_RUNTIME, err, err_cap);
    while (size && (text[size - 1] == '\n' || text[size - 1] == ' ')) size--;
    w2s_status st = api_copy_out(text, size, summary, summary_cap, summary_len, err, err_cap);
    free(text);
    return st;
}

// ---- w2s_train

#define TRAIN_MAX_ARGS 64

// argv for `w2s train`: the three paths, then "--key value" per JSON key (underscores read as
// dashes; true adds a flag, false nothing), then --quiet when the context is silent. The
// values' text lives in keep (a JSON array the caller frees).
static int train_argv(const w2s_context *ctx, const char *model, const char *data, const char *out,
                      json_t *opts, json_t *keep, char **argv, int *argc) {
    int n = 0;
    const char *fixed[] = {"train", "--model", model, "--data", data, "--out", out};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) argv[n++] = (char *)fixed[i];
    const char *k;
    json_t *v;
    json_object_foreach(opts, k, v) {
        if (n + 3 >= TRAIN_MAX_ARGS) return W2S_FAIL("options: too many keys");
        char key[128], val[256];
        snprintf(key, sizeof key, "--%s", k);
        for (char *p = key + 2; *p; p++) *p = *p == '_' ? '-' : *p;
        if (!strcmp(key, "--model") || !strcmp(key, "--data") || !strcmp(key, "--out"))
            return W2S_FAIL("options: '%s' is given as an argument of w2s_train, not an option", k);
        if (json_is_false(v)) continue;
        json_array_append_new(keep, json_string(key));
        argv[n++] = (char *)json_string_value(json_array_get(keep, json_array_size(keep) - 1));
        if (json_is_true(v)) continue;
        if (json_is_string(v)) snprintf(val, sizeof val, "%s", json_string_value(v));
        else if (json_is_integer(v)) snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v)) snprintf(val, sizeof val, "%.17g", json_real_value(v));
        else return W2S_FAIL("options: key '%s' has a value of an unsupported type", k);
        json_array_append_new(keep, json_string(val));
        argv[n++] = (char *)json_string_value(json_array_get(keep, json_array_size(keep) - 1));
    }
    if (!ctx->progress) argv[n++] = "--quiet";
    argv[n] = NULL;
    *argc = n;
    return 0;
}

w2s_status w2s_train(w2s_context *ctx, const char *model, const char *data, const char *out, const char *options_json,
                     char *summary, size_t summary_cap, size_t *summary_len, char *err, size_t err_cap) {
    if (!ctx || !model || !data || !out)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_train: ctx, model, data and out must not be NULL");
    api_begin(ctx);
    json_error_t jerr;
    json_t *opts = json_loads(options_json ? options_json : "{}", 0, &jerr), *keep = json_array();
    char *argv[TRAIN_MAX_ARGS];
    int argc = 0, rc;
    w2s_status fail = W2S_ERR_ARGUMENT;
    if (!opts) rc = W2S_FAIL("options:%d: %s", jerr.line, jerr.text);
    else if (!json_is_object(opts)) rc = W2S_FAIL("options: expected a JSON object of `w2s train` options");
    else rc = train_argv(ctx, model, data, out, opts, keep, argv, &argc);
    train_summary s;
    bool bad_usage = true;
    if (!rc) {
        rc = train_args_run(argc, argv, &s, &bad_usage);
        if (rc > 0) rc = W2S_FAIL("options: 'help' is not a training option");
        fail = bad_usage ? W2S_ERR_ARGUMENT : W2S_ERR_RUNTIME;
    }
    json_decref(opts);
    json_decref(keep);
    if (rc) return api_end(rc, fail, err, err_cap);
    char text[4400];
    int len = train_summary_json(&s, text, sizeof text);
    return api_copy_out(text, (size_t)len, summary, summary_cap, summary_len, err, err_cap);
}
