// protocol_steps.c — the run's records on disk (protocol_internal.h): step.json per trained
// model (with its test predictions, read back for the student-supervisor agreement), the
// labels (labels.safetensors + their JSONL), saved model directories, reuse from other runs'
// directories, and the provenance/resolved settings for results.json.
// Records are written LAST, after the files they vouch for: a record with the right key means
// the step is complete. Not the decisions of what to run (protocol.c).
#include "protocol_internal.h"

#include "error.h"
#include "fileio.h"
#include "gpt2_checkpoint.h"
#include "hf_config.h"
#include "loss.h"
#include "safetensors.h"
#include "world.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LABELS_META_KEY "w2s_step_key"

void protocol_step_dir(char *out, size_t cap, const char *out_dir, uint64_t seed, const char *step) {
    snprintf(out, cap, "%s/seed%" PRIu64 "/%s", out_dir, seed, step);
}

void protocol_key_hex(char out[17], uint64_t key) { snprintf(out, 17, "%016" PRIx64, key); }

static double json_num(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

// Reads dir/step.json into *m when its key matches. Returns true if reused.
bool protocol_step_load(const char *dir, uint64_t key, results_model *m) {
    char path[4200], hex[17];
    snprintf(path, sizeof path, "%s/step.json", dir);
    json_t *o = json_load_file(path, 0, NULL);
    if (!o) return false;
    protocol_key_hex(hex, key);
    json_t *k = json_object_get(o, "key");
    bool ok = json_is_string(k) && !strcmp(json_string_value(k), hex);
    if (ok) {
        m->accuracy = json_num(o, "accuracy");
        m->auroc = json_num(o, "auroc");
        json_t *why = json_object_get(o, "auroc_undefined_reason");
        snprintf(m->auroc_reason, sizeof m->auroc_reason, "%s", json_is_string(why) ? json_string_value(why) : "");
        m->final_loss = json_num(o, "final_loss");
        m->steps = (size_t)json_integer_value(json_object_get(o, "steps"));
        m->n_train = (size_t)json_integer_value(json_object_get(o, "n_train"));
        m->train_s = json_num(o, "train_s");
        m->eval_s = json_num(o, "eval_s");
        m->examples_per_s = json_num(o, "train_examples_per_s");
        json_t *one = json_object_get(o, "predicts_one_class");
        m->one_class = json_is_integer(one) ? (int)json_integer_value(one) : -1;
        json_t *curve = json_object_get(o, "curve"), *pt;
        size_t i;
        m->n_curve = 0;
        json_array_foreach(curve, i, pt) {
            if (m->n_curve == TRAINER_MAX_CURVE) break;
            m->curve[m->n_curve++] = (trainer_curve_point){(size_t)json_integer_value(json_object_get(pt, "step")),
                                                           json_num(pt, "accuracy"), json_num(pt, "loss")};
        }
        m->reused = true;
    }
    json_decref(o);
    return ok;
}

// step_load as rank 0 sees it, on every rank of the scope (data parallelism: all ranks must
// take the same branch), with want_file (may be NULL) also required to exist there.
bool protocol_step_load_shared(const char *dir, uint64_t key, results_model *m, const char *want_file) {
    bool ok = dist_is_root() && protocol_step_load(dir, key, m) && (!want_file || w2s_file_exists(want_file));
    if (dist_size() == 1) return ok;
    uint8_t flag = ok;
    if (dist_bcast(&flag, 1, 0) || (flag && dist_bcast(m, sizeof *m, 0))) return false;
    return flag;
}

// Puts `to` (made) at `from`'s bytes: a hard link when both are on one file system, else a copy.
static int copy_file(const char *from, const char *to) {
    unlink(to);
    if (link(from, to) == 0) return 0;
    size_t n;
    char *buf = w2s_read_file(from, (size_t)1 << 40, &n);
    int rc = buf ? w2s_write_file_atomic(to, buf, n) : -1;
    free(buf);
    return rc;
}

// Copies another run's finished step directory into `dir`, its record (step.json) last.
int protocol_copy_step(const char *from, const char *dir) {
    static const char *const files[] = {"model.safetensors", "config.json", "vocab.json", "merges.txt",
                                        "encoder.json", "vocab.bpe", "step.json"};
    char a[4200], b[4200];
    if (w2s_mkdir_p(dir) != 0) return -1;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(a, sizeof a, "%s/%s", from, files[i]);
        snprintf(b, sizeof b, "%s/%s", dir, files[i]);
        if (w2s_file_exists(a) && copy_file(a, b) != 0) return w2s_error_wrap("reusing %s", from);
    }
    return 0;
}

bool protocol_step_predictions(const char *dir, size_t n, int32_t *pred) {
    char path[4200];
    snprintf(path, sizeof path, "%s/step.json", dir);
    json_t *o = json_load_file(path, 0, NULL);
    json_t *a = json_object_get(o, "test_predictions"), *v;
    bool ok = json_is_array(a) && json_array_size(a) == n;
    size_t i;
    json_array_foreach(ok ? a : NULL, i, v) pred[i] = (int32_t)json_integer_value(v);
    json_decref(o);
    return ok;
}

// Why the record in dir does not match `key` (NULL when there is none, or it matches): its
// "inputs" tell a data or model change from a changed setting.
const char *protocol_step_stale_reason(const char *dir, uint64_t key, uint64_t data_hash, uint64_t model_hash) {
    char path[4200], hex[17], dh[17], mh[17];
    snprintf(path, sizeof path, "%s/step.json", dir);
    json_t *o = json_load_file(path, 0, NULL);
    if (!o) return NULL;
    protocol_key_hex(hex, key);
    protocol_key_hex(dh, data_hash);
    protocol_key_hex(mh, model_hash);
    json_t *k = json_object_get(o, "key"), *in = json_object_get(o, "inputs");
    const char *d = json_string_value(json_object_get(in, "data")), *m = json_string_value(json_object_get(in, "model"));
    const char *why = json_is_string(k) && !strcmp(json_string_value(k), hex) ? NULL
                      : d && strcmp(d, dh)                                   ? "the data's content changed"
                      : m && strcmp(m, mh)                                   ? "the model's files changed"
                      : d && m ? "a setting changed (see config.resolved in results.json)"
                               : "it was made by another version of w2s";
    json_decref(o);
    return why;
}

int protocol_step_save(const char *dir, uint64_t key, const results_model *m, uint64_t data_hash, uint64_t model_hash,
                       const int32_t *pred, size_t n_test) {
    if (!dist_is_root()) return 0;
    char path[4200], hex[17];
    snprintf(path, sizeof path, "%s/step.json", dir);
    protocol_key_hex(hex, key);
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:f, s:f, s:o}", "key", hex, "accuracy",
                          results_number(m->accuracy), "auroc", results_number(m->auroc), "final_loss",
                          results_number(m->final_loss), "steps", (json_int_t)m->steps, "n_train",
                          (json_int_t)m->n_train, "train_s", m->train_s, "eval_s", m->eval_s,
                          "train_examples_per_s", results_number(m->examples_per_s));
    if (o && m->auroc_reason[0]) json_object_set_new(o, "auroc_undefined_reason", json_string(m->auroc_reason));
    if (o && m->n_curve) json_object_set_new(o, "curve", results_curve_json(m));
    if (o && m->one_class >= 0) json_object_set_new(o, "predicts_one_class", json_integer(m->one_class));
    char dh[17], mh[17];
    protocol_key_hex(dh, data_hash);
    protocol_key_hex(mh, model_hash);
    if (o) json_object_set_new(o, "inputs", json_pack("{s:s, s:s}", "data", dh, "model", mh));
    json_t *preds = pred && o ? json_array() : NULL;
    for (size_t i = 0; preds && i < n_test; i++) json_array_append_new(preds, json_integer(pred[i]));
    if (preds) json_object_set_new(o, "test_predictions", preds);
    int rc = o ? results_write_json(path, o) : W2S_FAIL("cannot build %s", path);
    json_decref(o);
    return rc;
}

// dir/model.safetensors, config.json and the tokenizer's files: a Hugging Face directory that
// label, eval and serve open with no other argument (and from_pretrained too).
int protocol_save_model_dir(const run_ctx *x, const gpt2_model *m, const char *dir, const char *model_file) {
    char p[W2S_PATH_MAX], from[W2S_PATH_MAX];
    int rc = gpt2_checkpoint_save(m, model_file);
    if (!rc && !w2s_path_format(p, sizeof p, "%s/config.json", dir)) rc = hf_config_save(p, &m->cfg);
    for (size_t i = 0; !rc && x->tok_dir && i < TOKENIZER_N_FILES; i++) {
        if (w2s_path_format(from, sizeof from, "%s/%s", x->tok_dir, tokenizer_file_names[i]) ||
            w2s_path_format(p, sizeof p, "%s/%s", dir, tokenizer_file_names[i]))
            return -1;
        if (!w2s_file_exists(from)) continue;
        size_t n;
        char *buf = w2s_read_file(from, (size_t)1 << 30, &n);
        rc = buf ? w2s_write_file_atomic(p, buf, n) : -1;
        free(buf);
    }
    return rc ? w2s_error_wrap("saving the model in %s", dir) : 0;
}

// The directory of a labeling's files under a run's output: seed<k> for the weak model's
// labels, seed<k>/<step> for those of a chain hop's model (step).
static void labels_dir(char *out, size_t cap, const char *out_dir, uint64_t seed, const char *step) {
    if (step) snprintf(out, cap, "%s/seed%" PRIu64 "/%s", out_dir, seed, step);
    else snprintf(out, cap, "%s/seed%" PRIu64, out_dir, seed);
}

static const char *labels_jsonl_name(const char *step) { return step ? "labels.jsonl" : "weak_labels.jsonl"; }

void protocol_label_paths(const run_ctx *x, uint64_t seed, const char *step, char rec[4200], char jsonl[4200],
                          char model_file[4200]) {
    char dir[4096];
    labels_dir(dir, sizeof dir, x->c->out_dir, seed, step);
    snprintf(rec, 4200, "%s/labels.safetensors", dir);
    snprintf(jsonl, 4200, "%s/%s", dir, labels_jsonl_name(step));
    if (step) snprintf(model_file, 4200, "%s/model.safetensors", dir);
    else snprintf(model_file, 4200, "%s/weak/model.safetensors", dir);
}

// True (soft and hard filled) when rec (a labels.safetensors) holds labels of this key.
static bool labels_read(const char *rec, size_t n, size_t K, uint64_t key, float *soft, int32_t *hard) {
    char hex[17];
    protocol_key_hex(hex, key);
    safetensors_file *f = safetensors_open(rec);
    const char *k = f ? safetensors_metadata(f, LABELS_META_KEY) : NULL;
    bool ok = false;
    if (k && !strcmp(k, hex)) {
        size_t s2[2] = {n, K};
        const safetensors_tensor *th = safetensors_find(f, "hard");
        ok = safetensors_read_f32(f, "soft", 2, s2, soft) == 0 && th && th->dtype == SAFETENSORS_I32 && th->numel == n;
        if (ok) memcpy(hard, th->data, n * sizeof(int32_t));
    }
    safetensors_close(f);
    w2s_error_clear();
    return ok;
}

// True (soft and hard filled) when OUT/seed<k>/labels.safetensors holds labels of this key,
// or a reuse directory's does (then its two label files are copied in, the record last).
static bool labels_reuse_local(const run_ctx *x, uint64_t seed, const char *step, size_t n, uint64_t key, float *soft,
                               int32_t *hard) {
    const protocol_config *c = x->c;
    char rec[4200], jsonl[4200], model_file[4200], what[96];
    protocol_label_paths(x, seed, step, rec, jsonl, model_file);
    snprintf(what, sizeof what, "seed %" PRIu64 "%s%s labels", seed, step ? " " : "", step ? step : "");
    if (w2s_file_exists(rec) && w2s_file_exists(jsonl) && labels_read(rec, n, x->K, key, soft, hard)) {
        if (!c->quiet) fprintf(stderr, "%s: reused\n", what);
        return true;
    }
    for (size_t i = 0; i < c->n_reuse_dirs; i++) {
        char orec[4200], ojsonl[4200], dir[4200], odir[4096];
        labels_dir(odir, sizeof odir, c->reuse_dirs[i], seed, step);
        snprintf(orec, sizeof orec, "%s/labels.safetensors", odir);
        snprintf(ojsonl, sizeof ojsonl, "%s/%s", odir, labels_jsonl_name(step));
        labels_dir(dir, sizeof dir, c->out_dir, seed, step);
        if (!w2s_file_exists(orec) || !w2s_file_exists(ojsonl) || !labels_read(orec, n, x->K, key, soft, hard)) continue;
        if (w2s_mkdir_p(dir) != 0 || copy_file(ojsonl, jsonl) != 0 || copy_file(orec, rec) != 0) {
            w2s_error_clear();
            return false;  // labeled again here instead
        }
        if (c->reuse) c->reuse->labels++;
        if (!c->quiet) fprintf(stderr, "%s: reused from %s\n", what, c->reuse_dirs[i]);
        return true;
    }
    return false;
}

// labels_reuse_local on rank 0, its labels broadcast to the scope's other ranks.
bool protocol_labels_reuse(const run_ctx *x, uint64_t seed, const char *step, size_t n, uint64_t key, float *soft,
                           int32_t *hard) {
    bool ok = dist_is_root() && labels_reuse_local(x, seed, step, n, key, soft, hard);
    if (dist_size() == 1) return ok;
    uint8_t flag = ok;
    if (dist_bcast(&flag, 1, 0)) return false;
    if (flag && (dist_bcast(soft, n * x->K * sizeof(float), 0) || dist_bcast(hard, n * sizeof(int32_t), 0)))
        return false;
    return flag;
}

// weak_labels.jsonl, then the record labels.safetensors (last: it vouches for the labels).
int protocol_labels_save(const run_ctx *x, uint64_t seed, const char *step, const dataset_split *sp, uint64_t key,
                         const float *soft, const int32_t *hard) {
    const size_t n = sp->n_train2, K = x->K;
    char rec[4200], jsonl[4200], model_file[4200], hex[17];
    if (!dist_is_root()) return 0;
    protocol_label_paths(x, seed, step, rec, jsonl, model_file);
    protocol_key_hex(hex, key);
    int rc = dataset_write_labels(jsonl, &x->pool, sp->train2, n, soft, hard);
    if (!rc) {
        safetensors_writer *w = safetensors_writer_create();
        size_t s2[2] = {n, K}, s1[1] = {n};
        rc = w ? 0 : W2S_FAIL("out of memory");
        if (!rc) rc = safetensors_writer_add(w, "soft", SAFETENSORS_F32, 2, s2, soft);
        if (!rc) rc = safetensors_writer_add(w, "hard", SAFETENSORS_I32, 1, s1, hard);
        if (!rc) rc = safetensors_writer_set_metadata(w, LABELS_META_KEY, hex);
        if (!rc) rc = safetensors_writer_set_metadata(w, "label_precision", x->label_precision);
        if (!rc) rc = safetensors_writer_write(w, rec);
        safetensors_writer_destroy(w);
    }
    return rc;
}

// What the numbers were computed from, for results.json and the report: each model's path,
// parameters and content hash, each data file's path, lines, examples and content hash.
json_t *protocol_provenance_json(run_ctx *x) {
    const protocol_config *c = x->c;
    char hex[3][17];
    uint64_t d, t = 0;
    protocol_key_hex(hex[0], x->weak_model_hash);
    protocol_key_hex(hex[1], x->strong_model_hash);
    if (file_hash_content(&x->hashes, c->data_path, &d) != 0) d = 0;
    if (x->separate_test && file_hash_content(&x->hashes, c->test_path, &t) != 0) t = 0;
    w2s_error_clear();
    json_t *o = json_pack("{s:{s:s, s:I, s:s}, s:{s:s, s:I, s:s}}", "weak", "path", c->weak_dir, "params",
                          (json_int_t)gpt2_num_params(&x->cw, GPT2_LM_NONE, 0), "hash", hex[0], "strong", "path",
                          c->strong_dir, "params", (json_int_t)gpt2_num_params(&x->cs, GPT2_LM_NONE, 0), "hash", hex[1]);
    protocol_key_hex(hex[2], d);
    json_object_set_new(o, "data", json_pack("{s:s, s:I, s:I, s:s}", "path", c->data_path, "lines",
                                             (json_int_t)x->pool.stats.n_lines, "examples", (json_int_t)x->pool.n,
                                             "hash", hex[2]));
    if (x->separate_test) {
        protocol_key_hex(hex[2], t);
        json_object_set_new(o, "test", json_pack("{s:s, s:I, s:I, s:s}", "path", c->test_path, "lines",
                                                 (json_int_t)x->test_file.stats.n_lines, "examples",
                                                 (json_int_t)x->test_file.n, "hash", hex[2]));
    }
    json_object_set_new(o, "tokenizer", x->tok_dir ? json_string(x->tok_dir) : json_null());
    if (x->n_chain) {  // --chain: every model, M1 (weak) to Mk (strong)
        json_t *chain = json_array();
        for (size_t j = 0; j < x->n_chain; j++) {
            protocol_key_hex(hex[2], x->chain_hash[j]);
            json_array_append_new(chain, json_pack("{s:s, s:I, s:s}", "path", x->chain_dir[j], "params",
                                                   (json_int_t)gpt2_num_params(&x->chain_cfg[j], GPT2_LM_NONE, 0),
                                                   "hash", hex[2]));
        }
        json_object_set_new(o, "chain", chain);
    }
    return o;
}

// A float option as the JSON number it was written as: the fewest significant digits that
// read back as the same float (1e-3, not its double expansion 0.0010000000474974513).
static json_t *float_json(float v) {
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    return json_real(strtod(buf, NULL));
}

json_t *protocol_resolved_json(const run_ctx *x) {
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "n_pool", (json_int_t)x->pool.n,
                     "n_train", (json_int_t)x->n_train, "n_test", (json_int_t)x->n_test, "n_classes", (json_int_t)x->K,
                     "max_ctx", (json_int_t)x->max_ctx,
                     "dropped_too_long", (json_int_t)(x->pool.stats.n_too_long + x->test_file.stats.n_too_long),
                     "truncated", (json_int_t)(x->pool.stats.n_truncated + x->test_file.stats.n_truncated),
                     "weak_n_layers", (json_int_t)x->cw.n_layer, "strong_n_layers", (json_int_t)x->cs.n_layer,
                     "separate_test_file", x->separate_test);
    if (o) {
        json_object_set_new(o, "minibatch_weak", json_integer((json_int_t)x->mb_weak));
        json_object_set_new(o, "minibatch_strong", json_integer((json_int_t)x->mb_strong));
        json_object_set_new(o, "max_tokens", json_integer((json_int_t)x->max_len));
        json_object_set_new(o, "lr_weak", float_json(x->lr_weak));
        json_object_set_new(o, "lr_strong", float_json(x->lr_strong));
        json_object_set_new(o, "lr_transfer", float_json(x->lr_transfer));
        json_object_set_new(o, "epochs_gt", json_integer((json_int_t)x->epochs_gt));
        json_object_set_new(o, "epochs_transfer", json_integer((json_int_t)x->epochs_transfer));
        json_object_set_new(o, "optimizer", json_string(x->c->optimizer == PROTOCOL_ADAMW ? "adamw" : "adam"));
        json_object_set_new(o, "weight_decay", float_json(x->weight_decay));
        json_object_set_new(o, "eval_every", json_integer((json_int_t)x->c->eval_every));
        loss_config lc;
        loss_config_default(&lc, LOSS_LOGCONF);
        json_object_set_new(o, "aux_coef", float_json(x->c->aux_coef >= 0 ? x->c->aux_coef : lc.aux_coef));
        json_object_set_new(o, "aux_warmup", float_json(x->c->aux_warmup >= 0 ? x->c->aux_warmup : lc.warmup_frac));
    }
    return o;
}

// ---- step names, and the agreement read back from the records

// The step of hop h of loss l's chain (into name[64]): chain<h>_<loss>, but student_<loss> for
// hop 1 of a 2-model chain, which is the student itself.
void protocol_chain_step_name(const run_ctx *x, size_t l, size_t h, char *name) {
    if (h == 1 && x->n_chain == 2) snprintf(name, 64, "student_%s", loss_kind_name(x->c->losses[l]));
    else snprintf(name, 64, "chain%zu_%s", h, loss_kind_name(x->c->losses[l]));
}

// The fraction of n test predictions of step `name` equal to the weak model's (w), read back
// from its record (a reused step brings its own); NAN when it has none.
static double step_agreement(const run_ctx *x, uint64_t seed, const char *name, const int32_t *w, int32_t *p,
                             size_t n) {
    char dir[4096];
    protocol_step_dir(dir, sizeof dir, x->c->out_dir, seed, name);
    if (!w || !p || !n || !protocol_step_predictions(dir, n, p)) return NAN;
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += p[i] == w[i];
    return (double)same / (double)n;
}

// Student-supervisor agreement on test (the paper's §5.1.3) of the ceiling and each student;
// rank 0's figures (it writes the results).
void protocol_seed_agreement(const run_ctx *x, uint64_t seed, size_t n, results_seed *r) {
    int32_t *w = malloc((n ? n : 1) * sizeof(int32_t)), *p = malloc((n ? n : 1) * sizeof(int32_t));  // (n_test)
    char dir[4096];
    protocol_step_dir(dir, sizeof dir, x->c->out_dir, seed, "weak");
    bool have = dist_is_root() && w && p && protocol_step_predictions(dir, n, w);
    r->weak.agreement = NAN;
    r->ceiling.agreement = have ? step_agreement(x, seed, "ceiling", w, p, n) : NAN;
    for (size_t l = 0; l < x->c->n_losses; l++) {
        char name[64];
        snprintf(name, sizeof name, "student_%s", loss_kind_name(x->c->losses[l]));
        r->students[l].agreement = have ? step_agreement(x, seed, name, w, p, n) : NAN;
        for (size_t h = 1; h < x->n_chain; h++) {  // a chain's hops (hop 1 of a 2-model chain: the student)
            protocol_chain_step_name(x, l, h, name);
            r->chain[l][h - 1].agreement = have ? step_agreement(x, seed, name, w, p, n) : NAN;
        }
    }
    free(w);
    free(p);
}
