// cmd_run.c — `w2s run`: the weak-to-strong protocol on user models and data (protocol.h).
// Options come from an optional JSON config file (same keys as the long options, without
// "--"), then the command line, which wins. Every applied option is recorded in results.json.
#include "cli.h"
#include "cli_opts.h"
#include "cmd_run.h"

#include "error.h"
#include "protocol.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s run --weak DIR --strong DIR --data FILE.jsonl --out DIR [options]\n"
        "  Weak-to-strong protocol (Burns et al. 2023; DESIGN.md section 5). For each seed: split the\n"
        "  data (seeded shuffle; n_train halves train1/train2, n_test for test), fine-tune the weak\n"
        "  model on train1 ground truth, label train2 with it (OUT/seed<k>/weak_labels.jsonl), train\n"
        "  the strong ceiling on train2 ground truth and one strong student per loss on the weak\n"
        "  labels, evaluate all on test, and report PGR = (student - weak) / (ceiling - weak).\n"
        "  Writes OUT/results.json, OUT/results_summary.json, OUT/report.html. Finished steps are\n"
        "  reused when rerun with the same options and files; a killed run resumes from checkpoints.\n"
        "\n"
        "  --weak DIR         weak model: Hugging Face GPT-2 directory (config.json, model.safetensors)\n"
        "  --strong DIR      strong model, same layout; vocab.json + merges.txt in the strong (or weak)\n"
        "                    directory tokenize \"txt\" lines\n"
        "  --data FILE       JSONL: {\"txt\": str, \"hard_label\": int} or {\"input_ids\": [...], \"hard_label\": int}\n"
        "  --test FILE       separate JSONL test set (default: take the test split from --data)\n"
        "  --n-train N       training examples, halved into train1/train2 (default: all the rest)\n"
        "  --n-test N        test examples (default: the whole --test file, or 1/5 of --data)\n"
        "  --losses LIST     student losses among xent,logconf,product (default xent,logconf,product)\n"
        "  --seeds LIST      comma-separated seeds (default 0)\n"
        "  --out DIR         output directory (created)\n"
        "  --precision P     bf16 (default) or fp32 for training and evaluation\n"
        "  --label-precision int8 (default; DESIGN.md section 3), bf16 or fp32: the weak model labeling train2\n"
        "  --threads N       OpenMP threads (default: all; results are bit-identical per thread count)\n"
        "  --epochs E        epochs (default 2)\n"
        "  --batch B         examples per optimizer step; the loss sees the whole batch (default 32)\n"
        "  --minibatch b     examples per forward/backward, bounds activation memory (default: the most\n"
        "                    that fit 1 GiB of activations, at most --batch); when smaller than --batch,\n"
        "                    minibatches are forwarded again before their backward\n"
        "  --lr X            peak learning rate, cosine to 0 (default 5e-5 for n_embd <= 1024, else 1e-5)\n"
        "  --max-ctx T       drop examples longer than T tokens (default min(1024, n_positions))\n"
        "  --truncate        cut long examples to their first T tokens instead of dropping them\n"
        "  --linear-probe    train the classification heads only\n"
        "  --ckpt-every N    training checkpoint every N steps (default: every 10 minutes)\n"
        "  --ckpt-minutes M  training checkpoint every M minutes (default 10; 0 = off)\n"
        "  --save-models     keep the ceiling's and students' weights (the weak model is always kept)\n"
        "  --config FILE     JSON object with the same keys (\"weak\", \"n-train\" or \"n_train\", \"seeds\": [0,1], ...);\n"
        "                    command-line options override it\n"
        "  --quiet           no progress lines\n"
        "  --no-pipeline     label all of train2, then train the students (default: the first student\n"
        "                    trains on each labeled batch as it arrives, on its own cores; same results\n"
        "                    at the same student thread count)\n"
        "  --label-cores N   cores for the labeler while the first student trains (default: split by\n"
        "  --train-cores N   cost, weak forward 2*P_weak vs student step 6*P_strong; the other gets the rest)\n"
        "  --parallel data|tasks|auto  under mpirun/srun: data = every model trained by all ranks (each\n"
        "                    batch split, gradients summed in rank order); tasks = seeds on different\n"
        "                    ranks; auto (default) = tasks when every rank gets a seed and the strong\n"
        "                    model is under 1B parameters, else data (it says what it picked)\n"
        "example:\n"
        "  w2s run --weak gpt2 --strong gpt2-medium --data sciq_train.jsonl --test sciq_test.jsonl \\\n"
        "          --n-train 10000 --seeds 0,1,2 --out runs/sciq\n");
}

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
    a->precision = a->label_precision = -1;
    a->ckpt_minutes = -1;
}

size_t run_options(run_args *a, cli_opt opts[RUN_MAX_OPTS]) {
    // Static: the table outlives this function (CLI_CHOICES would not).
    static const char *const precisions[] = {"bf16", "fp32", NULL};
    static const char *const label_precisions[] = {"int8", "bf16", "fp32", NULL};
    static const char *const parallels[] = {"auto", "data", "tasks", NULL};  // protocol_parallel's order
    _Static_assert(sizeof(protocol_parallel) == sizeof(int), "--parallel is parsed as an int choice");
    protocol_config *c = &a->c;
    const cli_opt table[] = {
        CLI_OPT("weak", CLI_STR, &c->weak_dir),
        CLI_OPT("strong", CLI_STR, &c->strong_dir),
        CLI_OPT("data", CLI_STR, &c->data_path),
        CLI_OPT("test", CLI_STR, &c->test_path),
        CLI_OPT("out", CLI_STR, &c->out_dir),
        CLI_OPT("config", CLI_STR, &a->config),
        CLI_OPT("n-train", CLI_SIZE, &c->n_train, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("n-test", CLI_SIZE, &c->n_test, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("losses", CLI_FN, c, .parse = parse_losses, .what = "1 to 3 distinct names among xent,logconf,product"),
        CLI_OPT("seeds", CLI_U64_LIST, c->seeds, .n = &c->n_seeds, .max_items = RESULTS_MAX_SEEDS),
        CLI_OPT("precision", CLI_CHOICE, &a->precision, .choices = precisions),
        CLI_OPT("label-precision", CLI_CHOICE, &a->label_precision, .choices = label_precisions),
        CLI_OPT("threads", CLI_SIZE, &a->threads, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("epochs", CLI_SIZE, &c->epochs, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("batch", CLI_SIZE, &c->batch, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("minibatch", CLI_SIZE, &c->minibatch, .lo = 1, .hi = RUN_MAX_SIZE),
        CLI_OPT("lr", CLI_FLOAT, &c->lr, .min = 0, .max = 1, .open = CLI_OPEN_MIN),
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
        CLI_OPT("parallel", CLI_CHOICE, (int *)&c->parallel, .choices = parallels),
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
    if (a->precision >= 0) a->c.precision = precisions[a->precision];
    if (a->label_precision >= 0) a->c.label_precision = label_precisions[a->label_precision];
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
static int apply_config_file(run_ctx *x, const char *path) {
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) return W2S_FAIL("--config %s:%d: %s", path, err.line, err.text);
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

// Reads the options and runs the protocol: 0, 1 after --help (usage printed), or -1 with the
// error set and *bad_usage telling whether the command line itself was at fault.
static int run_args_run(int argc, char **argv, bool *bad_usage) {
    run_args a, scratch;
    run_args_init(&a);
    run_args_init(&scratch);
    cli_opt opts[RUN_MAX_OPTS], scratch_opts[RUN_MAX_OPTS];
    run_ctx x = {.opts = opts, .n = run_options(&a, opts), .record = json_object(), .keep = json_array()};
    run_options(&scratch, scratch_opts);
    // The config files go first whatever their place (the command line wins), so the first
    // pass applies them and checks the other values into a scratch state; the second reads all.
    int rc = cli_opts_scan(argc, argv, scratch_opts, x.n, each_config, &x);
    if (!rc) rc = cli_opts_scan(argc, argv, opts, x.n, each_record, &x);
    *bad_usage = rc < 0 && !x.failed;
    if (rc == 1) usage(stdout);
    if (!rc) {
        run_args_finish(&a);
        if (a.threads) omp_set_num_threads((int)a.threads);
        a.c.config_json = x.record;
        rc = protocol_run(&a.c);
    }
    json_decref(x.record);
    json_decref(x.keep);
    return rc;
}

int cmd_run(int argc, char **argv) {
    bool bad_usage;
    int rc = run_args_run(argc, argv, &bad_usage);
    if (rc >= 0) return 0;
    return bad_usage ? cli_usage_error("run", "%s", w2s_error_message()) : cli_fail("run", NULL);
}

int run_protocol_args(int argc, char **argv) {
    bool bad_usage;
    return run_args_run(argc, argv, &bad_usage) < 0 ? -1 : 0;
}
