// demo_finetune.c — `w2s demo --finetune` (demo_finetune.h): the probe pool and test images as
// JSONL, then one `w2s run` protocol per seed on that seed's pretrained bodies.
#include "demo_finetune.h"

#include "error.h"
#include "fileio.h"
#include "metrics.h"
#include "protocol.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Fine-tuning recipe (docs/DEMO.md gives none): the protocol's defaults (batch 32, 2 epochs, Adam,
// cosine to 0, logconf with aux_coef 0.5 and warm-up 0.1) at the learning rate that gave the
// best strong ceiling on seed 0 among 1e-4, 3e-4, 1e-3 and 3e-3 (0.945, 0.946, 0.938, 0.917):
// hyperparameters chosen on ground truth, never on weak-to-strong results.
#define FINETUNE_LR 3e-4f
#define FINETUNE_EPOCHS 2

int demo_finetune_write_jsonl(const char *path, const int32_t *tokens, const int32_t *labels, size_t n, size_t T) {
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem) return W2S_FAIL("demo: out of memory for %s", path);
    for (size_t i = 0; i < n; i++) {
        fputs("{\"input_ids\": [", mem);
        for (size_t t = 0; t < T; t++) fprintf(mem, t ? ", %d" : "%d", (int)tokens[i * T + t]);
        fprintf(mem, "], \"hard_label\": %d}\n", (int)labels[i]);
    }
    if (fclose(mem) != 0 || !text) {
        free(text);
        return W2S_FAIL("demo: out of memory for %s", path);
    }
    size_t old_size = 0;
    char *old = w2s_file_exists(path) ? w2s_read_file(path, size, &old_size) : NULL;
    int same = old && old_size == size && memcmp(old, text, size) == 0;
    w2s_error_clear();  // a file too large to be ours is simply rewritten
    int rc = same ? 0 : w2s_write_file_atomic(path, text, size);
    free(old);
    free(text);
    return rc;
}

int demo_finetune_seed(const demo_finetune_run *f, demo_seed_result *res) {
    protocol_config pc;
    protocol_config_default(&pc);
    pc.weak_dir = f->weak_ckpt;
    pc.strong_dir = f->strong_ckpt;
    pc.data_path = f->data_path;
    pc.test_path = f->test_path;
    pc.out_dir = f->out_dir;
    pc.n_train = f->n_train;
    pc.losses[0] = LOSS_XENT;
    pc.losses[1] = LOSS_LOGCONF;
    pc.n_losses = 2;
    pc.seeds[0] = f->seed;
    pc.n_seeds = 1;
    pc.epochs = FINETUNE_EPOCHS;
    pc.lr = FINETUNE_LR;
    pc.no_pipeline = !f->pipelined;
    pc.quiet = f->quiet;
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:s, s:I, s:[s,s], s:I, s:I, s:f, s:b}", "weak", f->weak_ckpt,
                            "strong", f->strong_ckpt, "data", f->data_path, "test", f->test_path, "n_train",
                            (json_int_t)f->n_train, "losses", "xent", "logconf", "seed", (json_int_t)f->seed,
                            "epochs", (json_int_t)pc.epochs, "lr", (double)pc.lr, "pipelined", f->pipelined);
    if (!cfg) return W2S_FAIL("demo: out of memory");
    pc.config_json = cfg;
    results_seed r;
    memset(&r, 0, sizeof r);
    pc.seed_results = &r;
    int rc = protocol_run(&pc);
    json_decref(cfg);
    if (rc) return w2s_error_wrap("demo --finetune, seed %llu", (unsigned long long)f->seed);
    res->acc_weak = r.weak.accuracy;
    res->acc_ceiling = r.ceiling.accuracy;
    res->acc_xent = r.students[0].accuracy;
    res->acc_logconf = r.students[1].accuracy;
    res->pgr_xent = metrics_pgr(res->acc_weak, res->acc_xent, res->acc_ceiling, &res->pgr_reason);
    res->pgr_logconf = metrics_pgr(res->acc_weak, res->acc_logconf, res->acc_ceiling, &res->pgr_reason);
    res->pipelined = f->pipelined;
    res->label_busy_s = r.label_s;
    res->train_busy_s = r.weak.train_s + r.ceiling.train_s + r.students[0].train_s + r.students[1].train_s;
    return 0;
}
