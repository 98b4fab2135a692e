// train_ckpt.h — the resumable checkpoint of a training run, shared by the trainer (`w2s
// train`, `w2s run`'s steps) and `w2s pretrain`: parameters and Adam state as raw F32 (so a
// resume is bit-exact), and in the safetensors metadata the run's key, the step reached, the
// total steps and one string of the caller's own (the trainer's learning curve, pretraining's
// tail-loss sums). Not a model export: `gpt2_checkpoint` writes those. The one thing to know:
// only rank 0 touches the file; train_ckpt_load_shared hands its state to the other ranks, so
// they need no shared file system.
#ifndef W2S_RUNTIME_TRAIN_CKPT_H
#define W2S_RUNTIME_TRAIN_CKPT_H

#include "gpt2.h"
#include "optim.h"

#include <stddef.h>
#include <stdint.h>

// Which run's checkpoint: metadata names "<prefix>_key", "<prefix>_step",
// "<prefix>_total_steps" and "<prefix>_<extra>"; `what` names it in messages.
typedef struct {
    const char *prefix;  // "w2s_trainer", "w2s_pretrain"
    const char *extra;   // the caller's string's name: "curve", "tail"
    const char *what;    // "training", "pretraining"
} train_ckpt_kind;

// Writes params, Adam m and v, key, step, total and `extra` (NULL: none) to path atomically.
// Returns 0 or -1 with the error set.
int train_ckpt_save(const train_ckpt_kind *k, const char *path, const gpt2_model *m, const optim_adam *o,
                    uint64_t key, size_t step, size_t total, const char *extra);

// Reads the caller's string (NULL when the file has none) into its own state; 0, or -1 with
// the error set (a damaged file).
typedef int (*train_ckpt_extra_fn)(void *arg, const char *extra);

// Restores params, Adam state (o->step too) and *step from path if it is a checkpoint of this
// run (same key and total), after extra_fn accepted its string. Returns 1 if resumed, 0
// without a usable checkpoint (absent, or another run's), -1 on a damaged file of this run.
int train_ckpt_load(const train_ckpt_kind *k, const char *path, gpt2_model *m, optim_adam *o, uint64_t key,
                    size_t total, size_t *step, train_ckpt_extra_fn extra_fn, void *arg);

// train_ckpt_load on rank 0, then its outcome, *step, the `shared` bytes (the caller's state
// that extra_fn filled, NULL/0: none) and params and Adam state broadcast to every rank.
// Returns 0 (resumed or not: *step says) or -1 on every rank.
int train_ckpt_load_shared(const train_ckpt_kind *k, const char *path, gpt2_model *m, optim_adam *o, uint64_t key,
                           size_t total, size_t *step, train_ckpt_extra_fn extra_fn, void *arg, void *shared,
                           size_t shared_size);

#endif
