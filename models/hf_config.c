// hf_config.c — Hugging Face GPT-2 config.json reader/writer and the named GPT-2 shapes.
// Field names and defaults follow transformers' GPT2Config (models/gpt2/configuration_gpt2.py).
// A value of the wrong JSON type is an error, never coerced (12.0 is not a layer count).
#include "hf_config.h"

#include "error.h"
#include "fileio.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// config.json files are a few kB; anything near this is not a config.
#define HF_CONFIG_MAX_BYTES ((size_t)16 << 20)

// ---- reading

// Reads integer key `key` into *out. Absent: *present = 0, return 0. Present but not a
// non-negative integer: error.
static int get_size(const json_t *root, const char *label, const char *key, size_t *out,
                    int *present) {
    const json_t *v = json_object_get(root, key);
    *present = v != NULL;
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return W2S_FAIL("%s: \"%s\" must be a non-negative integer", label, key);
    *out = (size_t)json_integer_value(v);
    return 0;
}

static int get_required(const json_t *root, const char *label, const char *key, size_t *out) {
    int present;
    if (get_size(root, label, key, out, &present) != 0) return -1;
    if (!present) return W2S_FAIL("%s: missing key \"%s\"", label, key);
    return 0;
}

// A string key that must be absent or equal `want`.
static int check_string(const json_t *root, const char *label, const char *key,
                        const char *want, const char *why) {
    const json_t *v = json_object_get(root, key);
    if (!v) return 0;
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        return W2S_FAIL("%s: \"%s\" is %s%s%s; only \"%s\" is supported (%s)", label, key,
                        json_is_string(v) ? "\"" : "",
                        json_is_string(v) ? json_string_value(v) : "not a string",
                        json_is_string(v) ? "\"" : "", want, why);
    return 0;
}

// A boolean option whose `true` would change the math; absent or false is fine.
static int check_false(const json_t *root, const char *label, const char *key) {
    const json_t *v = json_object_get(root, key);
    if (v && !json_is_false(v))
        return W2S_FAIL("%s: \"%s\" must be false or absent (w2s does not implement it)", label,
                        key);
    return 0;
}

static int parse_classes(const json_t *root, const char *label, gpt2_config *cfg) {
    int have_num;
    size_t num = 0;
    if (get_size(root, label, "num_labels", &num, &have_num) != 0) return -1;
    const json_t *ids = json_object_get(root, "id2label");
    if (ids && !json_is_object(ids))
        return W2S_FAIL("%s: \"id2label\" must be an object {\"0\": name, ...}", label);
    cfg->n_classes = have_num ? num : 0;
    if (!ids) return 0;
    size_t n = json_object_size(ids);
    // Keys must be exactly "0".."n-1" so class k has a name and the count is n.
    for (size_t k = 0; k < n; k++) {
        char key[32];
        snprintf(key, sizeof key, "%zu", k);
        if (!json_object_get(ids, key))
            return W2S_FAIL("%s: \"id2label\" has %zu entries but no key \"%s\" (keys must be "
                            "\"0\"..\"%zu\")", label, n, key, n ? n - 1 : 0);
    }
    if (have_num && num != n)
        return W2S_FAIL("%s: \"num_labels\" is %zu but \"id2label\" has %zu entries", label, num,
                        n);
    cfg->n_classes = n;
    return 0;
}

static int parse_root(const json_t *root, const char *label, gpt2_config *cfg) {
    gpt2_config c = {0};
    if (!json_is_object(root)) return W2S_FAIL("%s: not a JSON object", label);
    if (check_string(root, label, "model_type", "gpt2", "this is a GPT-2 loader") != 0 ||
        check_string(root, label, "activation_function", "gelu_new",
                     "the tanh GELU approximation GPT-2 uses") != 0 ||
        check_false(root, label, "scale_attn_by_inverse_layer_idx") != 0 ||
        check_false(root, label, "reorder_and_upcast_attn") != 0)
        return -1;
    if (get_required(root, label, "n_layer", &c.n_layer) != 0 ||
        get_required(root, label, "n_head", &c.n_head) != 0 ||
        get_required(root, label, "n_embd", &c.n_embd) != 0 ||
        get_required(root, label, "vocab_size", &c.vocab_size) != 0)
        return -1;
    // transformers sizes wpe by n_positions; n_ctx is a legacy alias kept in old files.
    int have_pos;
    if (get_size(root, label, "n_positions", &c.n_positions, &have_pos) != 0) return -1;
    if (!have_pos && get_size(root, label, "n_ctx", &c.n_positions, &have_pos) != 0) return -1;
    if (!have_pos) return W2S_FAIL("%s: missing key \"n_positions\" (or \"n_ctx\")", label);

    c.ln_eps = 1e-5f;  // GPT2Config's default
    const json_t *eps = json_object_get(root, "layer_norm_epsilon");
    if (eps) {
        if (!json_is_number(eps))
            return W2S_FAIL("%s: \"layer_norm_epsilon\" must be a number", label);
        double e = json_number_value(eps);
        if (!(e > 0 && e < 1))
            return W2S_FAIL("%s: \"layer_norm_epsilon\" is %g; it must be in (0, 1)", label, e);
        c.ln_eps = (float)e;
    }
    if (parse_classes(root, label, &c) != 0) return -1;
    if (hf_config_validate(&c, label) != 0) return -1;
    // After validation, so 4 * n_embd cannot wrap.
    const json_t *inner = json_object_get(root, "n_inner");
    if (inner && !json_is_null(inner) &&
        (!json_is_integer(inner) || json_integer_value(inner) < 0 ||
         (size_t)json_integer_value(inner) != 4 * c.n_embd))
        return W2S_FAIL("%s: \"n_inner\" must be null or 4 * n_embd (w2s's MLP is 4C wide)",
                        label);
    *cfg = c;
    return 0;
}

int hf_config_parse(const char *text, size_t len, const char *label, gpt2_config *cfg) {
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return W2S_FAIL("%s: not valid JSON: %s (line %d, column %d)", label, jerr.text,
                        jerr.line, jerr.column);
    int rc = parse_root(root, label, cfg);
    json_decref(root);
    return rc;
}

int hf_config_load(const char *path, gpt2_config *cfg) {
    size_t n;
    char *text = w2s_read_file(path, HF_CONFIG_MAX_BYTES, &n);
    if (!text) return -1;
    int rc = hf_config_parse(text, n, path, cfg);
    free(text);
    return rc;
}

int hf_config_validate(const gpt2_config *cfg, const char *label) {
    const struct {
        const char *key;
        size_t v, lo, hi;
    } r[] = {
        {"n_layer", cfg->n_layer, 1, HF_CONFIG_MAX_LAYER},
        {"n_head", cfg->n_head, 1, HF_CONFIG_MAX_HEAD},
        {"n_embd", cfg->n_embd, 1, HF_CONFIG_MAX_EMBD},
        {"vocab_size", cfg->vocab_size, 1, HF_CONFIG_MAX_VOCAB},
        {"n_positions", cfg->n_positions, 1, HF_CONFIG_MAX_POSITIONS},
        {"num_labels", cfg->n_classes, 0, HF_CONFIG_MAX_CLASSES},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (r[i].v < r[i].lo || r[i].v > r[i].hi)
            return W2S_FAIL("%s: \"%s\" is %zu; it must be in [%zu, %zu]", label, r[i].key,
                            r[i].v, r[i].lo, r[i].hi);
    if (cfg->n_embd % cfg->n_head != 0)
        return W2S_FAIL("%s: \"n_embd\" (%zu) is not a multiple of \"n_head\" (%zu)", label,
                        cfg->n_embd, cfg->n_head);
    if (!(cfg->ln_eps > 0 && cfg->ln_eps < 1))
        return W2S_FAIL("%s: \"layer_norm_epsilon\" is %g; it must be in (0, 1)", label,
                        (double)cfg->ln_eps);
    return 0;
}

// ---- writing

// The shortest decimal that reads back as the same float (1e-05, not 9.99999975e-06), as a
// double whose %.15g spelling is that decimal: at most 9 significant digits survive %.15g.
static double shortest_float(float x) {
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)x);
        if (strtof(buf, NULL) == x) break;
    }
    return strtod(buf, NULL);
}

char *hf_config_to_json(const gpt2_config *cfg) {
    if (hf_config_validate(cfg, "config to write") != 0) return NULL;
    json_t *root = json_pack(
        "{s:s, s:[s], s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "model_type", "gpt2",
        "architectures", cfg->n_classes ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel",
        "activation_function", "gelu_new", "n_layer", (json_int_t)cfg->n_layer, "n_head",
        (json_int_t)cfg->n_head, "n_embd", (json_int_t)cfg->n_embd, "vocab_size",
        (json_int_t)cfg->vocab_size, "n_positions", (json_int_t)cfg->n_positions, "n_ctx",
        (json_int_t)cfg->n_positions, "layer_norm_epsilon", shortest_float(cfg->ln_eps));
    char *text = NULL;
    if (!root) goto oom;
    if (cfg->n_classes) {
        json_t *ids = json_object();
        if (json_object_set_new(root, "id2label", ids) != 0 ||
            json_object_set_new(root, "num_labels", json_integer((json_int_t)cfg->n_classes)) != 0)
            goto oom;
        for (size_t k = 0; k < cfg->n_classes; k++) {
            char key[32], name[48];
            snprintf(key, sizeof key, "%zu", k);
            snprintf(name, sizeof name, "LABEL_%zu", k);
            if (json_object_set_new(ids, key, json_string(name)) != 0) goto oom;
        }
    }
    text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (!text) goto oom;
    json_decref(root);
    return text;
oom:
    json_decref(root);
    W2S_FAIL("out of memory formatting a GPT-2 config");
    return NULL;
}

int hf_config_save(const char *path, const gpt2_config *cfg) {
    char *text = hf_config_to_json(cfg);
    if (!text) return w2s_error_wrap("writing %s", path);
    size_t n = strlen(text);
    text[n] = '\n';  // replaces the NUL: the buffer is written by length
    int rc = w2s_write_file_atomic(path, text, n + 1);
    free(text);
    return rc;
}

// ---- named architectures

int hf_config_named(const char *name, gpt2_config *cfg) {
    static const struct {
        const char *name;
        size_t n_layer, n_head, n_embd;
    } arch[] = {
        {"gpt2", 12, 12, 768},
        {"gpt2-medium", 24, 16, 1024},
        {"gpt2-large", 36, 20, 1280},
        {"gpt2-xl", 48, 25, 1600},
    };
    for (size_t i = 0; i < sizeof arch / sizeof arch[0]; i++)
        if (strcmp(name, arch[i].name) == 0) {
            *cfg = (gpt2_config){.n_layer = arch[i].n_layer,
                                 .n_head = arch[i].n_head,
                                 .n_embd = arch[i].n_embd,
                                 .vocab_size = 50257,
                                 .n_positions = 1024,
                                 .n_classes = 0,
                                 .ln_eps = 1e-5f};
            return 0;
        }
    return W2S_FAIL("unknown architecture \"%s\" (known: gpt2, gpt2-medium, gpt2-large, "
                    "gpt2-xl)", name);
}
