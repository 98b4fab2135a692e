// cmd_run.c — `w2s run`: the weak-to-strong protocol on user models and data (protocol.h).
// Options come from an optional JSON config file (same keys as the long options, without
// "--"), then the command line, which wins. Every applied option is recorded in results.json.
#include "cli.h"

#include "error.h"
#include "protocol.h"

#include <jansson.h>
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
        "example:\n"
        "  w2s run --weak gpt2 --strong gpt2-medium --data sciq_train.jsonl --test sciq_test.jsonl \\\n"
        "          --n-train 10000 --seeds 0,1,2 --out runs/sciq\n");
}

static int parse_size(const char *v, size_t *out) {
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || v[0] == '-') return -1;
    *out = (size_t)x;
    return 0;
}

static int parse_list(const char *v, protocol_config *c, bool seeds) {
    size_t n = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (seeds) {
            size_t s;
            if (n == RESULTS_MAX_SEEDS || parse_size(tok, &s)) return -1;
            c->seeds[n++] = s;
        } else {
            if (n == RESULTS_MAX_LOSSES || loss_kind_parse(tok, &c->losses[n])) return -1;
            for (size_t i = 0; i < n; i++)
                if (c->losses[i] == c->losses[n]) return -1;
            n++;
        }
    }
    if (!n) return -1;
    if (seeds) c->n_seeds = n;
    else c->n_losses = n;
    return 0;
}

static const char *flags[] = {"truncate", "linear-probe", "save-models", "quiet", "no-pipeline"};

static bool is_flag(const char *key) {
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(key, flags[i])) return true;
    return false;
}

// Applies option `key` (no dashes) = value (NULL for flags). Returns 0, or -1 with a message.
static int apply(protocol_config *c, int *threads, const char *key, const char *v) {
    size_t n;
    if (!strcmp(key, "truncate")) c->truncate = true;
    else if (!strcmp(key, "linear-probe")) c->linear_probe = true;
    else if (!strcmp(key, "save-models")) c->save_models = true;
    else if (!strcmp(key, "quiet")) c->quiet = true;
    else if (!strcmp(key, "no-pipeline")) c->no_pipeline = true;
    else if (!strcmp(key, "weak")) c->weak_dir = v;
    else if (!strcmp(key, "strong")) c->strong_dir = v;
    else if (!strcmp(key, "data")) c->data_path = v;
    else if (!strcmp(key, "test")) c->test_path = v;
    else if (!strcmp(key, "out")) c->out_dir = v;
    else if (!strcmp(key, "losses")) {
        if (parse_list(v, c, false)) return W2S_FAIL("--losses takes 1 to 3 distinct names among xent,logconf,product, got '%s'", v);
    } else if (!strcmp(key, "seeds")) {
        if (parse_list(v, c, true)) return W2S_FAIL("--seeds takes 1 to %d comma-separated integers, got '%s'", RESULTS_MAX_SEEDS, v);
    } else if (!strcmp(key, "precision")) {
        if (!strcmp(v, "bf16")) c->precision = GPT2_BF16;
        else if (!strcmp(v, "fp32")) c->precision = GPT2_FP32;
        else return W2S_FAIL("--precision is bf16 or fp32, got '%s'", v);
    } else if (!strcmp(key, "label-precision")) {
        if (!strcmp(v, "int8")) c->label_precision = PROTOCOL_LABEL_INT8;
        else if (!strcmp(v, "bf16")) c->label_precision = PROTOCOL_LABEL_BF16;
        else if (!strcmp(v, "fp32")) c->label_precision = PROTOCOL_LABEL_FP32;
        else return W2S_FAIL("--label-precision is int8, bf16 or fp32, got '%s'", v);
    } else if (!strcmp(key, "lr")) {
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || !(x > 0) || x > 1) return W2S_FAIL("--lr takes a number in (0, 1], got '%s'", v);
        c->lr = (float)x;
    } else if (!strcmp(key, "label-cores") || !strcmp(key, "train-cores")) {
        if (parse_size(v, &n) || n == 0 || n > 65536) return W2S_FAIL("--%s takes a positive integer, got '%s'", key, v);
        *(key[0] == 'l' ? &c->label_cores : &c->train_cores) = (int)n;
    } else if (!strcmp(key, "ckpt-minutes")) {
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || !(x >= 0)) return W2S_FAIL("--ckpt-minutes takes a number >= 0, got '%s'", v);
        c->ckpt_every_s = x * 60;
    } else {
        static const char *sizes[] = {"n-train", "n-test", "threads", "epochs", "batch", "minibatch", "max-ctx", "ckpt-every"};
        size_t *dst[] = {&c->n_train, &c->n_test, NULL, &c->epochs, &c->batch, &c->minibatch, &c->max_ctx, &c->ckpt_every};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            if (strcmp(key, sizes[i])) continue;
            if (parse_size(v, &n) || (n == 0 && i != 7) || n > ((size_t)1 << 40))
                return W2S_FAIL("--%s takes a positive integer, got '%s'", key, v);
            if (dst[i]) *dst[i] = n;
            else *threads = (int)(n > 4096 ? 4096 : n);
            return 0;
        }
        return W2S_FAIL("unknown option '--%s' (see w2s run --help)", key);
    }
    return 0;
}

// The JSON config file: each key (underscores accepted for dashes) applied as an option.
// Strings given to apply() must outlive the run, so they are kept in `keep` (a JSON array).
static int apply_config_file(protocol_config *c, int *threads, const char *path, json_t *record, json_t *keep) {
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
        } else if (json_is_boolean(v) && is_flag(key)) {
            if (json_is_false(v)) continue;
        } else {
            rc = W2S_FAIL("--config %s: key '%s' has a value of an unsupported type", path, k);
            break;
        }
        json_array_append_new(keep, json_string(val));
        const char *kept = json_string_value(json_array_get(keep, json_array_size(keep) - 1));
        if ((rc = apply(c, threads, key, is_flag(key) ? NULL : kept)) != 0) {
            w2s_error_wrap("--config %s", path);
            break;
        }
        json_object_set(record, key, v);
    }
    json_decref(root);
    return rc;
}

int cmd_run(int argc, char **argv) { return run_protocol_args(argc, argv) ? cli_fail("run", NULL) : 0; }

int run_protocol_args(int argc, char **argv) {
    protocol_config c;
    protocol_config_default(&c);
    int threads = 0;
    json_t *record = json_object(), *keep = json_array();
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            json_decref(record);
            json_decref(keep);
            return 0;
        }
    }
    for (int i = 1; i + 1 < argc && !rc; i++)
        if (!strcmp(argv[i], "--config")) {
            rc = apply_config_file(&c, &threads, argv[i + 1], record, keep);
            json_object_set_new(record, "config", json_string(argv[i + 1]));
        }
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2)) {
            rc = W2S_FAIL("unexpected argument '%s' (options start with --; see w2s run --help)", a);
            break;
        }
        const char *key = a + 2;
        if (!strcmp(key, "config") && i + 1 < argc) {
            i++;
            continue;
        }
        if (is_flag(key)) {
            rc = apply(&c, &threads, key, NULL);
            json_object_set_new(record, key, json_true());
            continue;
        }
        if (i + 1 >= argc) {
            rc = W2S_FAIL("option '%s' needs a value (see w2s run --help)", a);
            break;
        }
        rc = apply(&c, &threads, key, argv[++i]);
        json_object_set_new(record, key, json_string(argv[i]));
    }
    if (!rc && threads > 0) omp_set_num_threads(threads);
    c.config_json = record;
    if (!rc) rc = protocol_run(&c);
    json_decref(record);
    json_decref(keep);
    return rc;
}
