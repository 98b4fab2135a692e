// w2s_run.c — the public API's whole-protocol run (w2s.h): `w2s run --config` with the config
// as JSON text, through the same option table and protocol code as the command (run_args.h).
// Not a second config reader. The one thing to know: silence is the context's choice, given
// to the run as --quiet, which wins over a config's "quiet" like any command-line option.
#include "w2s_internal.h"

#include "error.h"
#include "fileio.h"
#include "run_args.h"

#include <stdio.h>
#include <stdlib.h>

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
    int rc = run_args_run(argc, argv, config_json, out_dir, sizeof out_dir, &bad_usage);
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
