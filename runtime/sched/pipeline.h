// pipeline.h — the bounded ring of batch slots between the labeler (producer) and the
// trainer (consumer). One producer thread and one consumer thread; each holds at most one
// slot at a time. Blocking is a mutex + two condition variables: no busy waiting.
// Slot memory is allocated once at creation, on the consumer's NUMA node, and never moves.
// Errors: either side may pipeline_fail(); every pending or later call on either side then
// returns -1 promptly (blocked calls are woken) with "pipeline failed: <message>".
#ifndef W2S_RUNTIME_PIPELINE_H
#define W2S_RUNTIME_PIPELINE_H

#include "topology.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pipeline_slot {
    int32_t *tokens;   // (B, T) token ids, row stride max_t; rows past `batch` are unspecified
    int32_t *lengths;  // (B) real tokens in each row (<= max_t)
    float *labels;     // (B, K) soft labels, row stride max_k
    int64_t *indices;  // (B) index of each example in the dataset
    size_t batch;      // B used in this slot (1..max_b), set by the producer
    uint64_t seq;      // commit order (0, 1, 2, ...), set by pipeline_commit_write
} pipeline_slot;

typedef struct pipeline_config {
    size_t slots;           // ring capacity (>= 1; 2-4 lets the producer run ahead)
    size_t max_b, max_t, max_k;
    const topology *topo;   // for NUMA placement of the slots; NULL = plain allocation
    unsigned node;          // OS index of the consumer's NUMA node (placement.ring_node)
} pipeline_config;

typedef struct pipeline_stats {
    double producer_blocked_s; // time the producer waited for a free slot
    double consumer_blocked_s; // time the consumer waited for a filled slot
    double first_commit_s;     // seconds from creation to the first commit (-1: none yet)
    uint64_t committed;        // batches committed
    uint64_t consumed;         // batches released by the consumer
    int memory_bound;          // 1: slots bound to cfg.node; 0: first touch by the creator
} pipeline_stats;

typedef struct pipeline pipeline;

// NULL (error set) on bad sizes or out of memory. Call from the consumer's side of the machine
// (or any thread when binding works): the fallback without mbind places slots by first touch.
pipeline *pipeline_create(const pipeline_config *cfg);
// Not thread-safe against pending calls: join both stages first.
void pipeline_destroy(pipeline *p);

// Producer. Blocks until a slot is free; 0 with *slot set, -1 if the pipeline failed or was
// closed (or the producer already holds a slot).
int pipeline_acquire_write(pipeline *p, pipeline_slot **slot);
// Publishes the slot to the consumer (batch must be 1..max_b). -1 if the pipeline failed
// (the slot is dropped) or the slot is not the one acquired.
int pipeline_commit_write(pipeline *p, pipeline_slot *slot);
// The producer is finished: the consumer drains the committed slots, then gets end-of-stream.
// A slot acquired and not committed is dropped. Idempotent.
void pipeline_close(pipeline *p);

// Consumer. Blocks until a filled slot is available: 1 with *slot set; 0 at end of stream
// (closed and drained); -1 if the pipeline failed (or the consumer already holds a slot).
int pipeline_acquire_read(pipeline *p, pipeline_slot **slot);
// Returns the slot to the producer. The slot is released either way; -1 if the pipeline has
// failed meanwhile, so the consumer stops promptly.
int pipeline_release_read(pipeline *p, pipeline_slot *slot);

// Either side: stop both sides with `message`. The first failure wins; later ones are ignored.
void pipeline_fail(pipeline *p, const char *message);

pipeline_stats pipeline_get_stats(pipeline *p);
// The first failure's message, or NULL if the pipeline has not failed. Stable until destroy.
const char *pipeline_failure(pipeline *p);
// True once the producer has closed the ring and the consumer has released every batch.
bool pipeline_drained(pipeline *p);

#endif
