// demo.h — the built-in experiment (`w2s demo`, DEMO.md): weak-to-strong generalization on
// Fashion-MNIST with two small GPT-2-architecture models pretrained here on captioned image
// tokens, then linear probes on their frozen features: weak (ground truth) → weak labels →
// strong students (xent, logconf) vs the strong ceiling; PGR per loss over several seeds.
// --finetune fine-tunes the whole bodies with `w2s run`'s protocol instead (demo_finetune.h).
// Not the general protocol on user data: that is `w2s run`.
#ifndef W2S_RUNTIME_DEMO_H
#define W2S_RUNTIME_DEMO_H

#include "gpt2.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEMO_MAX_SEEDS 64  // --seeds is parsed into a fixed array; 64 is plenty for a seed study

// DEMO.md "Data and splits": the binary "upper-body garment" task, or the secondary 10-class
// task (the garment class itself; logconf then hardens by argmax, DESIGN.md §5).
typedef enum { DEMO_TASK_UPPER_BODY, DEMO_TASK_CLASSES } demo_task;

size_t demo_task_classes(demo_task task);    // 2 or 10
const char *demo_task_name(demo_task task);  // "upper-body" or "classes" (the --task values)
const char *demo_task_text(demo_task task);  // for titles

typedef struct {
    const char *data_dir;    // Fashion-MNIST IDX files (FMNIST_DIR_DEFAULT)
    const char *out_dir;     // results.json, results_summary.json, report.html ("w2s-demo")
    uint64_t seeds[DEMO_MAX_SEEDS];
    size_t n_seeds;          // 3
    const char *cache_dir;   // pretrained bodies; NULL = $XDG_CACHE_HOME/w2s (or ~/.cache/w2s)
    bool fresh;              // ignore cached bodies (and overwrite them)
    bool quick;              // a smaller, faster version for smoke tests
    bool pipelined;          // weak labels stream into the students (false: label, then train)
    bool finetune;           // fine-tune the whole bodies with `w2s run`'s protocol instead of probes
    demo_task task;          // DEMO_TASK_UPPER_BODY
    bool quiet;
} demo_config;

void demo_config_default(demo_config *c);

// Runs everything and writes the outputs. Returns 0, or -1 with a message.
int demo_run(const demo_config *c);

typedef struct demo_body_stats demo_body_stats;  // demo_report.h

// One pretrained body exactly as demo_run makes and caches it (`w2s pretrain --demo`, to warm
// the cache): the weak (strong = false) or strong body of `seed`, loaded from c->cache_dir or
// pretrained there (c->fresh: always), with its probe/test features cached beside it. Uses
// c->data_dir, cache_dir, fresh, quick and quiet. Returns the model (caller destroys) and its
// figures in *st, or NULL with a message.
gpt2_model *demo_pretrain_body(const demo_config *c, bool strong, uint64_t seed, demo_body_stats *st);

#endif
