// gpt2_checkpoint.c — HF GPT-2 directory / w2s checkpoint loading and atomic saving.
// Not a format parser: safetensors.c validates files and hf_config.c reads configs; this file
// maps tensor names onto the model's size table. The one thing to know: per-layer tensors are
// one (L, ...) block in memory and L separate "h.<i>.<name>" tensors in files.
#include "gpt2_checkpoint.h"

#include "error.h"
#include "fileio.h"
#include "hf_config.h"
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BODY_PREFIX "transformer."

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *gpt2_checkpoint_body_prefix(const safetensors_file *f) {
    // openai/weak-to-strong's TransformerWithHead keeps the body under its causal LM ("lm.").
    static const char *const prefixes[] = {BODY_PREFIX, "lm." BODY_PREFIX};
    char name[64];
    for (size_t i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%swte.weight", prefixes[i]);
        if (safetensors_find(f, name)) return prefixes[i];
    }
    return "";
}

// A path that does not exist but reads like a Hugging Face hub name ("gpt2", "openai-community/gpt2").
static bool looks_like_hub_name(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 || !*path || path[0] == '.' || path[0] == '/' || strstr(path, ".safetensors"))
        return false;
    size_t slashes = 0;
    for (const char *p = path; *p; p++) {
        if (*p == '/') slashes++;
        else if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || *p == '-' ||
                   *p == '_' || *p == '.'))
            return false;
    }
    return slashes <= 1;
}


static bool is_body(const gpt2_tensor_info *t) {
    return strcmp(t->name, "score.weight") && strcmp(t->name, "lm_head.weight");
}

// The file name of tensor t (layer `l` if per-layer), with or without the body prefix.
static void tensor_name(char *out, size_t cap, const gpt2_tensor_info *t, size_t l, const char *prefix) {
    const char *p = is_body(t) ? prefix : "";
    if (t->per_layer)
        snprintf(out, cap, "%sh.%zu.%s", p, l, t->name);
    else
        snprintf(out, cap, "%s%s", p, t->name);
}

// ---- config

int gpt2_checkpoint_config(const char *path, gpt2_config *cfg) {
    if (looks_like_hub_name(path))
        return W2S_FAIL("%s: no such file or directory; w2s reads models from local directories, not the Hugging "
                        "Face hub: download one (huggingface-cli download %s --local-dir models/%s, keeping "
                        "config.json, model.safetensors, vocab.json and merges.txt) and pass models/%s",
                        path, path, path, path);
    if (is_dir(path)) {
        char st[W2S_PATH_MAX], bin[W2S_PATH_MAX];
        if (w2s_path_format(st, sizeof st, "%s/model.safetensors", path) ||
            w2s_path_format(bin, sizeof bin, "%s/pytorch_model.bin", path))
            return -1;
        if (!w2s_file_exists(st) && w2s_file_exists(bin))
            return W2S_FAIL("%s holds pytorch_model.bin but no model.safetensors, and w2s reads safetensors only: "
                            "convert it with your PyTorch, python3 scripts/convert_to_safetensors.py %s", path, path);
        char p[W2S_PATH_MAX];
        if (w2s_path_format(p, sizeof p, "%s/config.json", path)) return -1;
        return hf_config_load(p, cfg);
    }
    safetensors_file *f = safetensors_open(path);
    if (!f) return -1;
    const char *json = safetensors_metadata(f, GPT2_META_CONFIG);
    int rc = json ? hf_config_parse(json, strlen(json), path, cfg)
                  : W2S_FAIL("%s: no '%s' in __metadata__ (not a w2s checkpoint); pass the "
                             "Hugging Face directory holding config.json instead",
                             path, GPT2_META_CONFIG);
    safetensors_close(f);
    return rc;
}

// ---- load

int gpt2_checkpoint_load_weights(gpt2_model *m, const char *file) {
    safetensors_file *f = safetensors_open(file);
    if (!f) return -1;
    // HF GPT2Model files have bare names, GPT2LMHeadModel / ForSequenceClassification prefix them.
    const char *prefix = gpt2_checkpoint_body_prefix(f);
    char name[256];
    int rc = 0;
    for (int i = 0; i < GPT2_NUM_TENSORS && !rc; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        if (!t->numel) continue;
        float *dst = m->params_memory + t->offset;
        bool score = !strcmp(t->name, "score.weight"), lm = !strcmp(t->name, "lm_head.weight");
        if (score || lm) {
            tensor_name(name, sizeof name, t, 0, "");
            if (safetensors_find(f, name)) {
                rc = safetensors_read_f32(f, name, t->ndim, t->shape, dst);
            } else if (score) {
                memset(dst, 0, t->numel * sizeof(float));  // a fresh zero-initialized head
            } else if (t->shape[0] == m->cfg.vocab_size) {
                memcpy(dst, m->params.wte, t->numel * sizeof(float));  // HF ties lm_head to wte
            } else {
                rc = W2S_FAIL("%s: no lm_head.weight for an untied LM head of %zu outputs", file,
                              t->shape[0]);
            }
            continue;
        }
        size_t layers = t->per_layer ? m->cfg.n_layer : 1, per = t->numel / layers;
        for (size_t l = 0; l < layers && !rc; l++) {
            tensor_name(name, sizeof name, t, l, prefix);
            rc = safetensors_read_f32(f, name, t->ndim, t->shape, dst + l * per);
        }
    }
    if (!rc) rc = safetensors_check_unchanged(f);
    safetensors_close(f);
    return rc;
}

gpt2_model *gpt2_checkpoint_load(const char *path, const gpt2_options *opt, long n_classes) {
    gpt2_config cfg;
    if (gpt2_checkpoint_config(path, &cfg)) return NULL;
    if (n_classes >= 0) cfg.n_classes = (size_t)n_classes;
    gpt2_model *m = gpt2_create(&cfg, opt);
    if (!m) {
        w2s_error_wrap("%s", path);
        return NULL;
    }
    char file[W2S_PATH_MAX];
    if (w2s_path_format(file, sizeof file, is_dir(path) ? "%s/model.safetensors" : "%s", path) ||
        gpt2_checkpoint_load_weights(m, file)) {
        gpt2_destroy(m);
        return NULL;
    }
    return m;
}

// ---- save

int gpt2_checkpoint_save(const gpt2_model *m, const char *file) {
    safetensors_writer *w = safetensors_writer_create();
    if (!w) return W2S_FAIL("gpt2_checkpoint_save: out of memory");
    char *json = hf_config_to_json(&m->cfg);
    int rc = json ? 0 : -1;
    char name[256], vo[32];
    for (int i = 0; i < GPT2_NUM_TENSORS && !rc; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        if (!t->numel) continue;
        size_t layers = t->per_layer ? m->cfg.n_layer : 1, per = t->numel / layers;
        for (size_t l = 0; l < layers && !rc; l++) {
            tensor_name(name, sizeof name, t, l, BODY_PREFIX);
            rc = safetensors_writer_add(w, name, SAFETENSORS_F32, t->ndim, t->shape,
                                        m->params_memory + t->offset + l * per);
        }
    }
    const char *mode = m->opt.lm_mode == GPT2_LM_TIED ? "tied" : m->opt.lm_mode == GPT2_LM_UNTIED ? "untied" : "none";
    snprintf(vo, sizeof vo, "%zu", m->lm_vocab);
    if (!rc) rc = safetensors_writer_set_metadata(w, "format", "pt");  // what HF loaders expect
    if (!rc) rc = safetensors_writer_set_metadata(w, GPT2_META_CONFIG, json);
    if (!rc) rc = safetensors_writer_set_metadata(w, GPT2_META_LM_HEAD, mode);
    if (!rc && m->opt.lm_mode == GPT2_LM_UNTIED) rc = safetensors_writer_set_metadata(w, GPT2_META_LM_VOCAB, vo);
    if (!rc) rc = safetensors_writer_write(w, file);
    free(json);
    safetensors_writer_destroy(w);
    return rc ? w2s_error_wrap("saving GPT-2 checkpoint %s", file) : 0;
}
