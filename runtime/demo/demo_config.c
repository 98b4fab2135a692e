// demo_config.c — defaults of `w2s demo` and the names of its tasks (demo_config.h).
#include "demo_config.h"

#include "image_tokens.h"

#include <stdio.h>
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

// Each binary task is a set of classes: bit k of `group` set = class k is in it.
static const struct {
    const char *name, *text;
    unsigned group;  // 0: the 10 classes
} demo_tasks[DEMO_TASK_NAMED] = {
    [DEMO_TASK_PULLOVER_COAT] = {"pullover-coat", "Fashion-MNIST \"pullover or coat\"", 1u << 2 | 1u << 4},
    [DEMO_TASK_UPPER_BODY] = {"upper-body", "Fashion-MNIST \"upper-body garment\"",
                              1u << 0 | 1u << 2 | 1u << 4 | 1u << 6},  // T-shirt/top, Pullover, Coat, Shirt
    [DEMO_TASK_CLASSES] = {"classes", "Fashion-MNIST, 10 classes", 0},
};

const char *demo_task_name(demo_task task) { return task < DEMO_TASK_NAMED ? demo_tasks[task].name : "group"; }

static unsigned task_group(const demo_config *c) {
    return c->task == DEMO_TASK_GROUP ? c->group : demo_tasks[c->task].group;
}

size_t demo_classes(const demo_config *c) { return task_group(c) ? 2 : FMNIST_CLASSES; }

int32_t demo_label(const demo_config *c, uint8_t fmnist_class) {
    unsigned g = task_group(c);
    return g ? (int32_t)(g >> fmnist_class & 1u) : fmnist_class;
}

// "2,4": the classes of a group, ascending.
static void group_list(unsigned g, char out[24]) {
    size_t len = 0;
    out[0] = 0;
    for (int k = 0; k < FMNIST_CLASSES; k++)
        if (g >> k & 1u) len += (size_t)snprintf(out + len, 24 - len, len ? ",%d" : "%d", k);
}

void demo_task_id(const demo_config *c, char out[32]) {
    char list[24];
    group_list(c->group, list);
    if (c->task == DEMO_TASK_GROUP) snprintf(out, 32, "group:%s", list);
    else snprintf(out, 32, "%s", demo_tasks[c->task].name);
}

void demo_task_title(const demo_config *c, char out[96]) {
    char list[24];
    group_list(c->group, list);
    if (c->task == DEMO_TASK_GROUP) snprintf(out, 96, "Fashion-MNIST classes {%s} against the rest", list);
    else snprintf(out, 96, "%s", demo_tasks[c->task].text);
}

size_t demo_weak_n(const demo_config *c, size_t n_probe) { return c->weak_n ? c->weak_n : n_probe / 2; }
size_t demo_transfer_n(const demo_config *c, size_t n_probe) { return c->transfer_n ? c->transfer_n : n_probe / 2; }
