// demo.h — the built-in experiment (`w2s demo`, docs/DEMO.md): weak-to-strong generalization on
// Fashion-MNIST with two small GPT-2-architecture models pretrained here on captioned image
// tokens, then linear probes on their frozen features: weak (ground truth) → weak labels →
// strong students (xent, logconf) vs the strong ceiling; PGR per loss over several seeds.
// --finetune fine-tunes the whole bodies with `w2s run`'s protocol instead (demo_finetune.h).
// Not the general protocol on user data: that is `w2s run`.
#ifndef W2S_RUNTIME_DEMO_H
#define W2S_RUNTIME_DEMO_H

#include "demo_config.h"
#include "gpt2.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


// Runs everything and writes the outputs. Returns 0, or -1 with a message.
int demo_run(const demo_config *c);

typedef struct demo_body_stats demo_body_stats;  // demo_report.h

// The demo's bodies: the weak and strong ones, and --bootstrap's intermediate one.
typedef enum { DEMO_BODY_WEAK, DEMO_BODY_STRONG, DEMO_BODY_MID } demo_body_kind;

// One pretrained body exactly as demo_run makes and caches it (`w2s pretrain --demo`, to warm
// the cache) for `seed`, loaded from c->cache_dir or pretrained there (c->fresh: always), with
// its probe/test features cached beside it. Uses c->data_dir, cache_dir, fresh, quick and
// quiet. Returns the model (caller destroys) and its figures in *st, or NULL with a message.
gpt2_model *demo_pretrain_body(const demo_config *c, demo_body_kind body, uint64_t seed, demo_body_stats *st);

#endif
