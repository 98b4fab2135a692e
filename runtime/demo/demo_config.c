// demo_config.c — defaults of `w2s demo` and the names of its tasks (demo_config.h).
#include "demo_config.h"

#include "image_tokens.h"

#include <string.h>

void demo_config_default(demo_config *c) {
    memset(c, 0, sizeof *c);
    c->data_dir = FMNIST_DIR_DEFAULT;
    c->out_dir = "w2s-demo";
    c->n_seeds = 3;
    c->pipelined = true;
    c->aux_coef = 0.75f;
    c->aux_warmup = 0.2f;
    c->threshold = PROBE_THRESHOLD_BATCH;
    c->threshold_buffer = 1024;
    for (size_t i = 0; i < c->n_seeds; i++) c->seeds[i] = i;
}

size_t demo_task_classes(demo_task task) { return task == DEMO_TASK_CLASSES ? FMNIST_CLASSES : 2; }
const char *demo_task_name(demo_task task) { return task == DEMO_TASK_CLASSES ? "classes" : "upper-body"; }
const char *demo_task_text(demo_task task) {
    return task == DEMO_TASK_CLASSES ? "Fashion-MNIST, 10 classes" : "Fashion-MNIST \"upper-body garment\"";
}

size_t demo_weak_n(const demo_config *c, size_t n_probe) { return c->weak_n ? c->weak_n : n_probe / 2; }
size_t demo_transfer_n(const demo_config *c, size_t n_probe) { return c->transfer_n ? c->transfer_n : n_probe / 2; }
