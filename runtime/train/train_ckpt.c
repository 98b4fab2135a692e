// train_ckpt.c — resumable training checkpoints (train_ckpt.h).
#include "train_ckpt.h"

#include "error.h"
#include "fileio.h"
#include "safetensors.h"
#include "world.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void meta_name(const train_ckpt_kind *k, const char *field, char out[64]) {
    snprintf(out, 64, "%s_%s", k->prefix, field);
}

int train_ckpt_save(const train_ckpt_kind *k, const char *path, const gpt2_model *m, const optim_adam *o,
                    uint64_t key, size_t step, size_t total, const char *extra) {
    safetensors_writer *w = safetensors_writer_create();
    if (!w) return W2S_FAIL("%s checkpoint: out of memory", k->what);
    const size_t shape[1] = {m->num_params};
    char skey[32], sstep[32], stotal[32], name[64];
    snprintf(skey, sizeof skey, "%016" PRIx64, key);
    snprintf(sstep, sizeof sstep, "%zu", step);
    snprintf(stotal, sizeof stotal, "%zu", total);
    int rc = safetensors_writer_add(w, "params", SAFETENSORS_F32, 1, shape, m->params_memory);
    if (!rc) rc = safetensors_writer_add(w, "adam.m", SAFETENSORS_F32, 1, shape, o->m);
    if (!rc) rc = safetensors_writer_add(w, "adam.v", SAFETENSORS_F32, 1, shape, o->v);
    meta_name(k, "key", name);
    if (!rc) rc = safetensors_writer_set_metadata(w, name, skey);
    meta_name(k, "step", name);
    if (!rc) rc = safetensors_writer_set_metadata(w, name, sstep);
    meta_name(k, "total_steps", name);
    if (!rc) rc = safetensors_writer_set_metadata(w, name, stotal);
    meta_name(k, k->extra, name);
    if (!rc && extra) rc = safetensors_writer_set_metadata(w, name, extra);
    if (!rc) rc = safetensors_writer_write(w, path);
    safetensors_writer_destroy(w);
    return rc ? w2s_error_wrap("writing %s checkpoint %s", k->what, path) : 0;
}

int train_ckpt_load(const train_ckpt_kind *k, const char *path, gpt2_model *m, optim_adam *o, uint64_t key,
                    size_t total, size_t *step, train_ckpt_extra_fn extra_fn, void *arg) {
    if (!w2s_file_exists(path)) return 0;
    safetensors_file *f = safetensors_open(path);
    if (!f) return w2s_error_wrap("reading %s checkpoint (delete it to start over)", k->what);
    char skey[32], stotal[32], nkey[64], nstep[64], ntotal[64], nextra[64];
    snprintf(skey, sizeof skey, "%016" PRIx64, key);
    snprintf(stotal, sizeof stotal, "%zu", total);
    meta_name(k, "key", nkey);
    meta_name(k, "step", nstep);
    meta_name(k, "total_steps", ntotal);
    meta_name(k, k->extra, nextra);
    const char *fk = safetensors_metadata(f, nkey), *fs = safetensors_metadata(f, nstep),
               *ft = safetensors_metadata(f, ntotal);
    int rc = 0;
    if (fk && fs && ft && !strcmp(fk, skey) && !strcmp(ft, stotal)) {  // this run's: resume, or fail loudly
        const size_t shape[1] = {m->num_params};
        char *end;
        unsigned long long sv = strtoull(fs, &end, 10);
        rc = *end || sv > total ? W2S_FAIL("%s: bad step '%s'", path, fs) : 0;
        if (!rc && extra_fn && extra_fn(arg, safetensors_metadata(f, nextra)) != 0)
            rc = w2s_error_wrap("%s: bad or missing %s", path, nextra);
        if (!rc) rc = safetensors_read_f32(f, "params", 1, shape, m->params_memory);
        if (!rc) rc = safetensors_read_f32(f, "adam.m", 1, shape, o->m);
        if (!rc) rc = safetensors_read_f32(f, "adam.v", 1, shape, o->v);
        if (!rc) {
            *step = (size_t)sv;
            o->step = (size_t)sv;
            rc = 1;
        }
    }
    safetensors_close(f);
    return rc;
}

int train_ckpt_load_shared(const train_ckpt_kind *k, const char *path, gpt2_model *m, optim_adam *o, uint64_t key,
                           size_t total, size_t *step, train_ckpt_extra_fn extra_fn, void *arg, void *shared,
                           size_t shared_size) {
    int r = dist_is_root() ? train_ckpt_load(k, path, m, o, key, total, step, extra_fn, arg) : 0;
    if (dist_size() == 1) return r < 0 ? -1 : 0;
    if (dist_agree(r < 0)) return -1;
    uint64_t head[2] = {(uint64_t)r, (uint64_t)*step};
    int rc = dist_bcast(head, sizeof head, 0);
    if (rc || head[0] != 1) return rc;
    *step = (size_t)head[1];
    o->step = (size_t)head[1];
    if (shared_size) rc = dist_bcast(shared, shared_size, 0);
    if (!rc) rc = dist_bcast(m->params_memory, m->num_params * sizeof(float), 0);
    if (!rc) rc = dist_bcast(o->m, m->num_params * sizeof(float), 0);
    if (!rc) rc = dist_bcast(o->v, m->num_params * sizeof(float), 0);
    return rc;
}
