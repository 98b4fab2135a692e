// run_args.c — `w2s run`'s options (run_args.h): the table, the JSON config (a file given by
// --config, or text from the library's w2s_run), and the run. Not the command (cmd_run.c prints
// usage and errors) and not the protocol (protocol.c). Never prints itself: the config's
// "quiet" silences the protocol's progress lines, print_table lets it print the results table.
#include "run_args.h"

#include "error.h"
#include "protocol.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- options

static int parse_losses(const char *v, void *dst) {
    protocol_config *c = dst;
    loss_kind k[RESULTS_MAX_LOSSES];
    size_t n = 0;
    for (;;) {
        const char *comma = strchr(v, ',');
        size_t len = comma ? (size_t)(comma - v) : strlen(v);
        char name[16];
        if (n == RESULTS_MAX_LOSSES || len >= sizeof name) return -1;
        memcpy(name, v, len);
        name[len] = 0;
        if (loss_kind_parse(name, &k[n])) return -1;
        for (size_t i = 0; i < n; i++)
            if (k[i] == k[n]) return -1;
        n++;
        if (!comma) break;
        v = comma + 1;
    }
    memcpy(c->losses, k, n * sizeof k[0]);
    c->n_losses = n;
    return 0;
}

#define RUN_MAX_SIZE ((size_t)1 << 40)

void run_args_init(run_args *a) {
    memset(a, 0, sizeof *a);
    protocol_config_default(&a->c);
    a->precision = a->label_precision = a->parallel = -1;
    a->ckpt_minutes = -1;
    a->optimizer = -1;
}

size_t run_options(run_args *a, cli_opt opts[RUN_MAX_OPTS]) {
    // Static: the table outlives this function (CLI_CHOICES would not).
    static const char *const precisions[] = {"bf16", "fp32", NULL};
    static const char *const label_precisions[] = {"int8", "bf16", "fp32", NULL};
    static const char *const parallels[] = {"auto", "data", "tasks", NULL};
    static const char *const optimizers[] = {"adam", "adamw", NULL};
    protocol_config *c = &a->c;
    const cli_opt table[] = {
        CLI_OPT("weak", CLI_STR, &c->weak_dir),
        CLI_OPT("strong", CLI_STR, &c->strong_dir),
        CLI_OPT("chain", CLI_STR, &c->chain),
        CLI_OPT("data", CLI_STR, &c->data_path),
        CLI_OPT("test", CLI_STR, &c->test_path),
        CLI_OPT("out", CLI_STR, &c->out_dir),
        CLI_OPT("tokenizer", CLI_STR, &c->tokenizer_dir),
        CLI_OPT("config", CLI_STR, &a->config),
        CLI_OPT("n-train", CLI_SIZE, &c->n_train, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("n-test", CLI_SIZE, &c->n_test, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("n-classes", CLI_SIZE, &c->n_classes, .lo = 2, .hi = 65536),
        CLI_OPT("losses", CLI_FN, c, .parse = parse_losses, .what = "1 to 3 distinct names among xent,logconf,product"),
        CLI_OPT("seeds", CLI_U64_LIST, c->seeds, .n = &c->n_seeds, .max_items = RESULTS_MAX_SEEDS),
        CLI_OPT("precision", CLI_CHOICE, &a->precision, .choices = precisions),
        CLI_OPT("label-precision", CLI_CHOICE, &a->label_precision, .choices = label_precisions),
        CLI_OPT("threads", CLI_SIZE, &a->threads, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("epochs", CLI_SIZE, &c->epochs, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("batch", CLI_SIZE, &c->batch, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("minibatch", CLI_SIZE, &c->minibatch, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("lr", CLI_FLOAT, &c->lr, .min = 0, .max = 1, .open = CLI_OPEN_MIN),
        CLI_OPT("weak-lr", CLI_FLOAT, &c->lr_weak, .min = 0, .max = 1, .open = CLI_OPEN_MIN),
        CLI_OPT("strong-lr", CLI_FLOAT, &c->lr_strong, .min = 0, .max = 1, .open = CLI_OPEN_MIN),
        CLI_OPT("transfer-lr", CLI_FLOAT, &c->lr_transfer, .min = 0, .max = 1, .open = CLI_OPEN_MIN),
        CLI_OPT("gt-epochs", CLI_SIZE, &c->epochs_gt, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("transfer-epochs", CLI_SIZE, &c->epochs_transfer, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("optimizer", CLI_CHOICE, &a->optimizer, .choices = optimizers),
        CLI_OPT("weight-decay", CLI_FLOAT, &c->weight_decay, .min = 0, .max = 1),
        CLI_OPT("eval-every", CLI_SIZE, &c->eval_every, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("aux-coef", CLI_FLOAT, &c->aux_coef, .min = 0, .max = 1),
        CLI_OPT("aux-warmup", CLI_FLOAT, &c->aux_warmup, .min = 0, .max = 1),
        CLI_OPT("max-ctx", CLI_SIZE, &c->max_ctx, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("ckpt-every", CLI_SIZE, &c->ckpt_every, .hi = RUN_MAX_SIZE),
        CLI_OPT("ckpt-minutes", CLI_DOUBLE, &a->ckpt_minutes, .min = 0, .max = INFINITY),
        CLI_OPT("label-cores", CLI_SIZE, &a->label_cores, .lo = 1, .hi = 65536),
        CLI_OPT("train-cores", CLI_SIZE, &a->train_cores, .lo = 1, .hi = 65536),
        CLI_OPT("truncate", CLI_FLAG, &c->truncate),
        CLI_OPT("linear-probe", CLI_FLAG, &c->linear_probe),
        CLI_OPT("save-models", CLI_FLAG, &c->save_models),
        CLI_OPT("quiet", CLI_FLAG, &c->quiet),
        CLI_OPT("no-pipeline", CLI_FLAG, &c->no_pipeline),
        CLI_OPT("parallel", CLI_CHOICE, &a->parallel, .choices = parallels),
    };
    _Static_assert(CLI_N(table) <= RUN_MAX_OPTS, "RUN_MAX_OPTS holds the table");
    memcpy(opts, table, sizeof table);
    return CLI_N(table);
}

// The options whose values are kept aside (a CLI_CHOICE is an index, threads are capped) into c.
static void run_args_finish(run_args *a) {
    static const gpt2_precision precisions[] = {GPT2_BF16, GPT2_FP32};
    static const protocol_label_precision label_precisions[] = {PROTOCOL_LABEL_INT8, PROTOCOL_LABEL_BF16,
                                                               PROTOCOL_LABEL_FP32};
    static const protocol_parallel parallels[] = {PROTOCOL_PARALLEL_AUTO, PROTOCOL_PARALLEL_DATA,
                                                  PROTOCOL_PARALLEL_TASKS};
    if (a->parallel >= 0) a->c.parallel = parallels[a->parallel];
    if (a->precision >= 0) a->c.precision = precisions[a->precision];
    if (a->label_precision >= 0) a->c.label_precision = label_precisions[a->label_precision];
    if (a->optimizer >= 0) a->c.optimizer = a->optimizer ? PROTOCOL_ADAMW : PROTOCOL_ADAM;
    if (a->ckpt_minutes >= 0) a->c.ckpt_every_s = a->ckpt_minutes * 60;
    if (a->label_cores) a->c.label_cores = (int)a->label_cores;
    if (a->train_cores) a->c.train_cores = (int)a->train_cores;
    if (a->threads > 4096) a->threads = 4096;
}

// ---- the JSON config file

typedef struct {
    const cli_opt *opts;  // the table over the run's real state
    size_t n;
    json_t *record, *keep;
    bool failed;          // a config file was at fault, not the command line
} run_ctx;

// Each key (underscores accepted for dashes) applied as an option. Strings stored by the
// table must outlive the run, so they are kept in ctx->keep (a JSON array).
// path names the config in messages ("--config PATH"); root is the parsed file or text.
static int apply_config(run_ctx *x, const char *path, json_t *root) {
    if (!json_is_object(root)) {
        json_decref(root);
        return W2S_FAIL("--config %s: expected a JSON object of options", path);
    }
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, k, v) {
        char key[64], val[1024] = "";
        snprintf(key, sizeof key, "%s", k);
        for (char *p = key; *p; p++) *p = *p == '_' ? '-' : *p;
        const cli_opt *o = strcmp(key, "config") ? cli_opt_find(x->opts, x->n, key) : NULL;
        bool flag = o && o->type == CLI_FLAG;
        if (json_is_string(v)) snprintf(val, sizeof val, "%s", json_string_value(v));
        else if (json_is_integer(v)) snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v)) snprintf(val, sizeof val, "%.17g", json_real_value(v));
        else if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                size_t len = strlen(val);
                if (json_is_integer(e)) snprintf(val + len, sizeof val - len, "%s%lld", i ? "," : "", (long long)json_integer_value(e));
                else if (json_is_string(e)) snprintf(val + len, sizeof val - len, "%s%s", i ? "," : "", json_string_value(e));
            }
        } else if (json_is_boolean(v) && flag) {
            if (json_is_false(v)) continue;
        } else {
            rc = W2S_FAIL("--config %s: key '%s' has a value of an unsupported type", path, k);
            break;
        }
        json_array_append_new(x->keep, json_string(val));
        const char *kept = json_string_value(json_array_get(x->keep, json_array_size(x->keep) - 1));
        rc = o ? cli_opt_set(o, flag ? NULL : kept) : W2S_FAIL("unknown option '--%s' (see w2s run --help)", key);
        if (rc) {
            w2s_error_wrap("--config %s", path);
            break;
        }
        json_object_set(x->record, key, v);
    }
    json_decref(root);
    return rc;
}

static int apply_config_file(run_ctx *x, const char *path) {
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) return W2S_FAIL("--config %s:%d: %s", path, err.line, err.text);
    return apply_config(x, path, root);
}

// First pass: each --config file, in order, before any command-line option.
static int each_config(void *arg, const cli_opt *o, const char *value) {
    run_ctx *x = arg;
    if (strcmp(o->name, "config")) return 0;
    if (apply_config_file(x, value)) {
        x->failed = true;
        return -1;
    }
    json_object_set_new(x->record, "config", json_string(value));
    return 0;
}

// Second pass: the command line, recorded in results.json.
static int each_record(void *arg, const cli_opt *o, const char *value) {
    run_ctx *x = arg;
    if (strcmp(o->name, "config")) json_object_set_new(x->record, o->name, value ? json_string(value) : json_true());
    return 0;
}

int run_parse(int argc, char **argv, const char *config_text, const cli_opt *extra, size_t n_extra, run_parsed *p,
              bool *bad_usage) {
    run_args scratch;
    run_args_init(&p->a);
    run_args_init(&scratch);
    p->record = json_object();
    p->keep = json_array();
    cli_opt opts[RUN_MAX_OPTS + RUN_MAX_EXTRA], scratch_opts[RUN_MAX_OPTS + RUN_MAX_EXTRA];
    size_t n = run_options(&p->a, opts);
    run_options(&scratch, scratch_opts);
    if (n_extra > RUN_MAX_EXTRA) n_extra = RUN_MAX_EXTRA;
    for (size_t i = 0; i < n_extra; i++) opts[n + i] = scratch_opts[n + i] = extra[i];
    n += n_extra;
    run_ctx x = {.opts = opts, .n = n, .record = p->record, .keep = p->keep};
    int rc = 0;
    *bad_usage = false;
    if (config_text) {
        json_error_t err;
        json_t *root = json_loads(config_text, 0, &err);
        rc = root ? apply_config(&x, "(text)", root) : W2S_FAIL("--config (text):%d: %s", err.line, err.text);
        if (!rc) json_object_set_new(x.record, "config", json_string("(text)"));
        x.failed = rc != 0;
    }
    // The config files go first whatever their place (the command line wins), so the first
    // pass applies them and checks the other values into a scratch state; the second reads all.
    if (!rc) rc = cli_opts_scan(argc, argv, scratch_opts, n, each_config, &x);
    if (!rc) rc = cli_opts_scan(argc, argv, opts, n, each_record, &x);
    *bad_usage = rc < 0 && !x.failed;
    if (!rc) run_args_finish(&p->a);
    return rc;
}

void run_parsed_free(run_parsed *p) {
    json_decref(p->record);
    json_decref(p->keep);
    p->record = p->keep = NULL;
}

int run_args_run(int argc, char **argv, const char *config_text, bool print_table, char *out_dir, size_t out_cap,
                 bool *bad_usage) {
    run_parsed p;
    int rc = run_parse(argc, argv, config_text, NULL, 0, &p, bad_usage);
    if (!rc) {
        if (p.a.threads) omp_set_num_threads((int)p.a.threads);
        p.a.c.config_json = p.record;
        p.a.c.print_table = print_table;
        if (out_dir && out_cap) snprintf(out_dir, out_cap, "%s", p.a.c.out_dir ? p.a.c.out_dir : "");
        rc = protocol_run(&p.a.c);
    }
    run_parsed_free(&p);
    return rc;
}
