// probe_gpt2.c — the C side of tests/models/test_gpt2_torch.py: loads a GPT-2 checkpoint,
// runs forward + backward on a batch given as safetensors, and writes what PyTorch checks.
// A probe (tests/CMakeLists.txt builds every probe_*.c; ctest does not run it alone).
//   probe_gpt2 MODEL BATCH OUT [SAVE]
// MODEL: HF directory or w2s checkpoint. BATCH tensors: tokens I32 (B, T), lengths I32 (B),
// optional targets I32 (B, T) (-1 = none) and dlogits F32 (B, K); metadata "lm_mode"
// (none|tied|untied), "lm_vocab", "precision" (fp32|bf16), "n_classes".
// OUT: cls_logits (B, K), lm_loss (1), lnf (B, T, C) and "grad.<name>" for every parameter
// tensor under its checkpoint name. SAVE: re-saves the loaded model (round-trip check).
#include "error.h"
#include "gpt2_checkpoint.h"
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "probe_gpt2: %s: %s\n", what, w2s_error_message());
    return 1;
}

// Copies an I32/F32 tensor out of the (possibly unaligned) mapping; NULL if absent.
static void *fetch(safetensors_file *f, const char *name, safetensors_dtype dt, size_t *numel) {
    const safetensors_tensor *t = safetensors_find(f, name);
    if (!t || t->dtype != dt) return NULL;
    void *p = malloc(t->nbytes ? t->nbytes : 1);
    memcpy(p, t->data, t->nbytes);
    if (numel) *numel = t->numel;
    return p;
}

static const char *meta(safetensors_file *f, const char *key, const char *dflt) {
    const char *v = safetensors_metadata(f, key);
    return v ? v : dflt;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: probe_gpt2 MODEL BATCH OUT [SAVE]\n");
        return 2;
    }
    safetensors_file *bf = safetensors_open(argv[2]);
    if (!bf) return fail("batch");
    const safetensors_tensor *tt = safetensors_find(bf, "tokens");
    if (!tt || tt->ndim != 2) return fail("batch has no tokens (B, T)");
    size_t B = tt->shape[0], T = tt->shape[1], nk = 0;
    int32_t *tokens = fetch(bf, "tokens", SAFETENSORS_I32, NULL);
    int32_t *lengths = fetch(bf, "lengths", SAFETENSORS_I32, NULL);
    int32_t *targets = fetch(bf, "targets", SAFETENSORS_I32, NULL);
    float *dlogits = fetch(bf, "dlogits", SAFETENSORS_F32, &nk);
    const char *lm = meta(bf, "lm_mode", "none");
    gpt2_options opt = {
        .max_batch = B, .max_seq = T,
        .lm_mode = !strcmp(lm, "tied") ? GPT2_LM_TIED : !strcmp(lm, "untied") ? GPT2_LM_UNTIED : GPT2_LM_NONE,
        .lm_vocab = (size_t)atol(meta(bf, "lm_vocab", "0")),
        .precision = !strcmp(meta(bf, "precision", "fp32"), "bf16") ? GPT2_BF16 : GPT2_FP32,
    };
    gpt2_model *m = gpt2_checkpoint_load(argv[1], &opt, atol(meta(bf, "n_classes", "-1")));
    if (!m) return fail("load");
    if (argc == 5 && gpt2_checkpoint_save(m, argv[4])) return fail("save");
    if (gpt2_forward(m, tokens, lengths, B, T, targets)) return fail("forward");
    size_t K = m->cfg.n_classes, C = m->cfg.n_embd;
    float *logits = malloc((K ? B * K : 1) * sizeof(float)), *lnf = malloc(B * T * C * sizeof(float));
    memcpy(logits, m->acts.cls_logits, B * K * sizeof(float));
    memcpy(lnf, m->acts.lnf, B * T * C * sizeof(float));
    float loss = m->lm_loss;
    if (gpt2_backward(m, nk == B * K ? dlogits : NULL, 1.0f)) return fail("backward");

    safetensors_writer *w = safetensors_writer_create();
    size_t sl[2] = {B, K}, s1 = 1, sf[3] = {B, T, C};
    int rc = 0;
    if (K) rc |= safetensors_writer_add(w, "cls_logits", SAFETENSORS_F32, 2, sl, logits);
    rc |= safetensors_writer_add(w, "lm_loss", SAFETENSORS_F32, 1, &s1, &loss);
    rc |= safetensors_writer_add(w, "lnf", SAFETENSORS_F32, 3, sf, lnf);
    char name[300];
    for (int i = 0; i < GPT2_NUM_TENSORS && !rc; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        if (!t->numel) continue;
        size_t layers = t->per_layer ? m->cfg.n_layer : 1, per = t->numel / layers;
        for (size_t l = 0; l < layers && !rc; l++) {
            if (t->per_layer)
                snprintf(name, sizeof name, "grad.h.%zu.%s", l, t->name);
            else
                snprintf(name, sizeof name, "grad.%s", t->name);
            rc = safetensors_writer_add(w, name, SAFETENSORS_F32, t->ndim, t->shape,
                                        m->grads_memory + t->offset + l * per);
        }
    }
    if (rc || safetensors_writer_write(w, argv[3])) return fail("write output");
    safetensors_writer_destroy(w);
    safetensors_close(bf);
    gpt2_destroy(m);
    free(tokens); free(lengths); free(targets); free(dlogits); free(logits); free(lnf);
    return 0;
}
