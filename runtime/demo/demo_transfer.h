// demo_transfer.h — the demo's weak-label transfer: the int8 weak body (+ its probe) labels
// split B batch by batch on the label team while the two strong students (xent, logconf)
// step on each batch as it arrives on the train team (stages_run, docs/ARCHITECTURE.md); with an
// interleaved plan the caller's threads label each batch just before the students' step; or
// one after the other with pipelined = false. Both orders give bit-identical labels and students: the
// int8 graph is batch-independent and a student's first epoch visits B in labeling order.
#ifndef W2S_RUNTIME_DEMO_TRANSFER_H
#define W2S_RUNTIME_DEMO_TRANSFER_H

#include "gpt2_int8.h"
#include "placement.h"
#include "probe.h"
#include "topology.h"

#include <stdbool.h>
#include <stddef.h>

enum { DEMO_STUDENTS = 2 };  // [0] xent, [1] logconf

typedef struct {
    gpt2_int8 *weak;                  // the weak body in int8 (features only)
    const probe_head *weak_head;      // the weak probe, trained on split A
    const int32_t *tokens;            // (·, T) token sequences; row rows[i] is example i of B
    const size_t *rows;               // (n) rows of B in labeling order
    size_t n, T;
    const float *x_strong;            // (n, Ds) strong features of B, same order
    probe_config student_cfg[DEMO_STUDENTS];
    probe_head *students[DEMO_STUDENTS];   // trained in place (init'ed by the caller)
    float *weak_soft;                 // (n, K) out: the weak soft labels of B (K = weak_head->k)
    bool pipelined;
    const topology *topo;             // pipelined only
    const placement *plan;            // pipelined only: a split or interleaved plan (transfer_plan)
} demo_transfer;

typedef struct {
    double wall_s;        // labeling + students' first epoch ... to the end of all epochs
    double label_busy_s;  // time inside the int8 forward + weak probe
    double train_busy_s;  // time inside student steps
    double first_step_s;  // from the first label batch's start to the students' first step
    size_t label_batches;
} demo_transfer_stats;

// Runs the transfer; 0, or -1 with a message (a failure on either stage stops both).
int demo_transfer_run(demo_transfer *t, demo_transfer_stats *st);

#endif
