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
    c->task = DEMO_TASK_PULLOVER_COAT;
    c->aux_coef = 0.75f;
    c->aux_warmup = 0.2f;
    c->threshold = PROBE_THRESHOLD_BATCH;
    c->threshold_buffer = 1024;
    for (size_t i = 0; i < c->n_seeds; i++) c->seeds[i] = i;
}

// Each binary task is a set of classes: bit c of `group` set = class c is in it.
static const struct {
    const char *name, *text;
    unsigned group;  // 0: the 10 classes
} demo_tasks[DEMO_TASK_COUNT] = {
    [DEMO_TASK_PULLOVER_COAT] = {"pullover-coat", "Fashion-MNIST \"pullover or coat\"", 1u << 2 | 1u << 4},
    [DEMO_TASK_UPPER_BODY] = {"upper-body", "Fashion-MNIST \"upper-body garment\"",
                              1u << 0 | 1u << 2 | 1u << 4 | 1u << 6},  // T-shirt/top, Pullover, Coat, Shirt
    [DEMO_TASK_CLASSES] = {"classes", "Fashion-MNIST, 10 classes", 0},
};

size_t demo_task_classes(demo_task task) { return demo_tasks[task].group ? 2 : FMNIST_CLASSES; }
const char *demo_task_name(demo_task task) { return demo_tasks[task].name; }
const char *demo_task_text(demo_task task) { return demo_tasks[task].text; }
int32_t demo_task_label(demo_task task, uint8_t fmnist_class) {
    unsigned g = demo_tasks[task].group;
    return g ? (int32_t)(g >> fmnist_class & 1u) : fmnist_class;
}

size_t demo_weak_n(const demo_config *c, size_t n_probe) { return c->weak_n ? c->weak_n : n_probe / 2; }
size_t demo_transfer_n(const demo_config *c, size_t n_probe) { return c->transfer_n ? c->transfer_n : n_probe / 2; }
