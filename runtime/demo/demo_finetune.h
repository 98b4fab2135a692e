// demo_finetune.h — `w2s demo --finetune`: the demo's pretrained bodies fine-tuned whole by the
// protocol of `w2s run` (protocol.h, docs/PROTOCOL.md) instead of linear probes on frozen features
// (docs/DEMO.md "Known weaker variants"). The probe pool and the test images are written once as
// pre-tokenized JSONL; each seed is one protocol run on that seed's two cached bodies, so a
// rerun reuses every finished step (the protocol's step hashes).
#ifndef W2S_RUNTIME_DEMO_FINETUNE_H
#define W2S_RUNTIME_DEMO_FINETUNE_H

#include "demo_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *weak_ckpt, *strong_ckpt;  // the seed's bodies (w2s checkpoints in the cache)
    const char *data_path, *test_path;    // pre-tokenized JSONL: probe pool, test images
    const char *out_dir;                  // the protocol's output directory for this seed
    size_t n_train;                       // probe-pool examples, halved into A (weak) and B
    uint64_t seed;
    bool pipelined, quiet;
} demo_finetune_run;

// Writes {"input_ids": tokens[i], "hard_label": labels[i]} lines for tokens (n, T) and labels
// (n) to path, atomically — unless path already holds exactly these lines, so that its mtime,
// part of the protocol's step hashes, changes only with its content. 0 or -1 with a message.
int demo_finetune_write_jsonl(const char *path, const int32_t *tokens, const int32_t *labels, size_t n, size_t T);

// Runs the protocol on the seed's bodies (weak on A's ground truth, int8 weak labels of B,
// ceiling, xent and logconf students, all evaluated on the test images) and fills the
// accuracies, PGRs and timings of *res. 0 or -1 with a message.
int demo_finetune_seed(const demo_finetune_run *f, demo_seed_result *res);

#endif
