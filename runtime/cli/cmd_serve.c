// cmd_serve.c — `w2s serve`: loads a classifier once (as `w2s label` does, int8 by default)
// and serves its labels over HTTP (runtime/serve/serve.h) until SIGTERM.
// Not the service itself: options, the API key file, id2label and the /info body.
// The one thing to know: the key is read from a file, never from the command line, where
// every user of the machine could read it in the process list.
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "cmd_label.h"

#include "cpu.h"
#include "error.h"
#include "fileio.h"
#include "serve.h"

#include <jansson.h>
#include <libgen.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s serve --model PATH [options]\n"
        "  Serves the model's labels over HTTP until SIGTERM/SIGINT (then answers what it has\n"
        "  admitted and exits 0). Prints \"w2s serve: listening on http://HOST:PORT\" on stdout.\n"
        "  POST /predict  {\"inputs\": \"text\" | [\"t1\", ...] | [ids] | [[ids], ...], \"raw_scores\": bool,\n"
        "                 \"truncate\": bool} -> [{\"label\", \"score\"}, ...] per input (TEI's format)\n"
        "  POST /label    one record {\"txt\": ...} or {\"input_ids\": [...]} -> the line `w2s label` writes\n"
        "  GET  /health, /info, /metrics (Prometheus text)\n"
        "  --model PATH            w2s checkpoint or HF directory with a classification head\n"
        "  --precision P           int8 (default), bf16 or fp32\n"
        "  --host ADDR             IPv4 address to listen on (default 127.0.0.1)\n"
        "  --port N                port (default 8080; 0 picks a free one)\n"
        "  --max-batch-tokens N    tokens per forward, dynamic batching bound (default 4096)\n"
        "  --batch B               inputs per forward (default 32)\n"
        "  --max-concurrent N      requests admitted at once; more get 503 + Retry-After (default 64)\n"
        "  --max-inputs N          inputs per /predict request, more get 413 (default 32)\n"
        "  --max-body BYTES        request body limit, more get 413 (default 1048576)\n"
        "  --max-ctx T             tokens per input (default n_positions); longer get 413 unless\n"
        "                          the request says \"truncate\": true\n"
        "  --timeout S             close idle or stalled connections after S seconds (default 10)\n"
        "  --api-key-file F        require \"Authorization: Bearer <first line of F>\" (not /health)\n"
        "  --threads N             OpenMP threads of the model\n"
        "  --tokenizer DIR         vocab.json + merges.txt (default: beside the model)\n");
}

// id2label of the config.json beside the model, if it has all n_classes names; else NULL.
static char **read_labels(const char *model, size_t K) {
    char buf[4096], path[4200];
    struct stat st;
    snprintf(buf, sizeof buf, "%s", model);
    const char *dir = stat(model, &st) == 0 && S_ISDIR(st.st_mode) ? model : dirname(buf);
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *cfg = json_load_file(path, 0, NULL);
    json_t *m = json_object_get(cfg, "id2label");
    char **names = json_is_object(m) && json_object_size(m) == K ? calloc(K, sizeof *names) : NULL;
    for (size_t k = 0; names && k < K; k++) {
        char key[24];
        snprintf(key, sizeof key, "%zu", k);
        json_t *v = json_object_get(m, key);
        if (!json_is_string(v) || !(names[k] = strdup(json_string_value(v)))) {
            for (size_t j = 0; j < k; j++) free(names[j]);
            free(names);
            names = NULL;
        }
    }
    json_decref(cfg);
    return names;
}

static int read_key(const char *path, char **key) {
    size_t n;
    char *s = w2s_read_file(path, 4096, &n);
    if (!s) return w2s_error_wrap("--api-key-file");
    s[strcspn(s, "\r\n")] = 0;
    if (!s[0]) {
        free(s);
        return W2S_FAIL("--api-key-file %s: the first line (the key) is empty", path);
    }
    *key = s;
    return 0;
}

static char *info_json(const label_ctx *x, const serve_options *so, const serve_spec *s) {
    json_t *labels = json_object();
    for (size_t k = 0; k < s->n_classes; k++) {
        char key[24], name[32];
        snprintf(key, sizeof key, "%zu", k);
        snprintf(name, sizeof name, "LABEL_%zu", k);
        json_object_set_new(labels, key, json_string(s->labels ? s->labels[k] : name));
    }
    json_t *o = json_pack("{s:s, s:{s:{s:o}}, s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:b, s:s}",
                          "model_id", x->o.model, "model_type", "classifier", "id2label", labels,
                          "n_classes", (json_int_t)s->n_classes, "precision", label_precision_name(x->o.precision),
                          "isa", w2s_isa_name(w2s_isa_active()), "threads", omp_get_max_threads(),
                          "max_input_length", (json_int_t)s->max_ctx, "max_batch_tokens",
                          (json_int_t)so->max_batch_tokens, "max_batch_requests", (json_int_t)so->max_batch,
                          "max_concurrent_requests", (json_int_t)so->max_concurrent, "max_client_batch_size",
                          (json_int_t)s->max_inputs, "tokenizer", s->tok != NULL, "version", W2S_VERSION_STRING);
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return txt;
}

int cmd_serve(int argc, char **argv) {
    label_options o = {.batch = 32, .precision = LABEL_INT8, .quiet = true};
    serve_options so = {.host = "127.0.0.1", .port = 8080, .max_batch_tokens = 4096, .max_concurrent = 64,
                        .max_body = 1 << 20, .timeout_s = 10};
    size_t port = 8080, max_inputs = 32, timeout = 10;
    const char *key_file = NULL;
    int precision = 0;
    cli_opt opts[] = {
        CLI_OPT("model", CLI_STR, &o.model),
        CLI_OPT("tokenizer", CLI_STR, &o.tokenizer),
        CLI_OPT("precision", CLI_CHOICE, &precision, .choices = CLI_CHOICES("int8", "bf16", "fp32")),
        CLI_OPT("host", CLI_STR, &so.host),
        CLI_OPT("port", CLI_SIZE, &port, .lo = 0, .hi = 65535),
        CLI_OPT("max-batch-tokens", CLI_SIZE, &so.max_batch_tokens, .lo = 1),
        CLI_OPT("batch", CLI_SIZE, &o.batch, .lo = 1, .hi = 4096),
        CLI_OPT("max-concurrent", CLI_SIZE, &so.max_concurrent, .lo = 1, .hi = 100000),
        CLI_OPT("max-inputs", CLI_SIZE, &max_inputs, .lo = 1, .hi = 100000),
        CLI_OPT("max-body", CLI_SIZE, &so.max_body, .lo = 16),
        CLI_OPT("max-ctx", CLI_SIZE, &o.max_ctx, .lo = 1),
        CLI_OPT("timeout", CLI_SIZE, &timeout, .lo = 1, .hi = 86400),
        CLI_OPT("api-key-file", CLI_STR, &key_file),
        CLI_OPT("threads", CLI_SIZE, &o.threads, .lo = 1, .hi = 4096),
    };
    int status = cli_opts_parse("serve", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    if (!o.model) return cli_usage_error("serve", "needs --model");
    o.precision = (label_precision)precision;
    so.port = (unsigned)port;
    so.timeout_s = (unsigned)timeout;
    so.max_batch = o.batch;
    char *key = NULL, *info = NULL;
    pthread_mutex_t tok_lock = PTHREAD_MUTEX_INITIALIZER;
    serve_spec s = {0};
    label_ctx x;
    int rc = key_file ? read_key(key_file, &key) : 0;
    so.api_key = key;
    if (!rc) rc = label_open(&x, &o);
    else memset(&x, 0, sizeof x);
    if (!rc) rc = label_load_models(&x, x.max_ctx);
    if (!rc) {
        s = (serve_spec){.vocab_size = x.cfg.vocab_size, .n_classes = x.cfg.n_classes, .max_ctx = x.max_ctx,
                         .max_inputs = max_inputs, .tok = x.tok, .tok_lock = &tok_lock,
                         .labels = read_labels(o.model, x.cfg.n_classes)};
        if (s.n_classes > 64) rc = W2S_FAIL("serve answers at most 64 classes; this head has %zu", s.n_classes);
    }
    if (!rc && !(so.info_json = info = info_json(&x, &so, &s))) rc = W2S_FAIL("out of memory");
    if (!rc) rc = serve_run(&so, &s, &x.lm);
    for (size_t k = 0; s.labels && k < s.n_classes; k++) free(s.labels[k]);
    free(s.labels);
    free(info);
    free(key);
    label_close(&x);
    return rc ? cli_fail("serve", NULL) : 0;
}
