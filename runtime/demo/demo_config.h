// demo_config.h — what `w2s demo` is asked to run: the task, the seeds, the options. Below
// both the experiment (demo.h) and its report (demo_report.h), so the report names tasks
// without calling back into the experiment.
#ifndef W2S_RUNTIME_DEMO_CONFIG_H
#define W2S_RUNTIME_DEMO_CONFIG_H

#include "probe.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEMO_MAX_SEEDS 64  // --seeds is parsed into a fixed array; 64 is plenty for a seed study

// docs/DEMO.md "Data and splits": binary tasks that group Fashion-MNIST's classes ("pullover or
// coat", the default; "upper-body garment", the first recipe's; any group given by --group),
// or the 10 classes themselves (logconf then hardens by argmax, docs/PROTOCOL.md).
typedef enum {
    DEMO_TASK_PULLOVER_COAT,
    DEMO_TASK_UPPER_BODY,
    DEMO_TASK_CLASSES,
    DEMO_TASK_NAMED,  // the tasks above have names (--task); the one below is a class group
    DEMO_TASK_GROUP = DEMO_TASK_NAMED,
} demo_task;

const char *demo_task_name(demo_task task);  // the --task value of a named task

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
    bool bootstrap;          // also weak → intermediate body → strong (probes, xent at each hop)
    demo_task task;          // DEMO_TASK_PULLOVER_COAT
    unsigned group;          // DEMO_TASK_GROUP: bit k set = Fashion-MNIST class k is class 1
    // The probes' recipe (docs/DEMO.md): split sizes and the confidence-loss student's settings.
    size_t weak_n;           // A: the weak probe's ground-truth examples (0: half the probe pool)
    size_t transfer_n;       // B: weak-labeled examples of the students and the ceiling (0: half)
    float aux_coef;          // logconf's final α (0.75)
    float aux_warmup;        // fraction of the steps over which α ramps up (0.2)
    probe_threshold threshold;  // how logconf hardens (PROBE_THRESHOLD_BATCH)
    size_t threshold_buffer;    // predictions in the running threshold's buffer (1024)
    bool quiet;
} demo_config;

void demo_config_default(demo_config *c);
// The task's class count (2 or 10), its label of a Fashion-MNIST class (0..9: 1 in the group,
// else 0; the class itself for the 10-class task), its name in results ("pullover-coat",
// "group:2,4") and its title.
size_t demo_classes(const demo_config *c);
int32_t demo_label(const demo_config *c, uint8_t fmnist_class);
void demo_task_id(const demo_config *c, char out[32]);
void demo_task_title(const demo_config *c, char out[96]);
// The sizes of A and B out of a probe pool of n_probe images (the defaults: half each).
size_t demo_weak_n(const demo_config *c, size_t n_probe);
size_t demo_transfer_n(const demo_config *c, size_t n_probe);

#endif
