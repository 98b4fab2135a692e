// tune.h — times the candidate GEMM configurations (gemm_config_candidates) on a model's
// shapes and picks the fastest per type: `w2s tune`. Not the storage (tune_wisdom.h).
// The one thing to know: timing is interleaved (each repetition runs every candidate once,
// per shape) and scored by the sum over shapes of each candidate's median CPU time per product
// (all threads), so a noisy neighbour neither favours the candidate that ran in a quiet moment
// nor charges one for the time slices its threads lost.
#ifndef W2S_RUNTIME_TUNE_H
#define W2S_RUNTIME_TUNE_H

#include "gemm_config.h"

#include <stdio.h>

typedef struct {
    size_t M, N, K;
} tune_shape;

enum { TUNE_MAX_SHAPES = 16, TUNE_MAX_CANDIDATES = 16 };

// The forward products of a GPT-2 of width C at M rows each of m_small and m_large:
// (C→3C attention in), (C→C attention out), (C→4C MLP in), (4C→C MLP out). Returns the count.
size_t tune_gpt2_shapes(size_t C, size_t m_small, size_t m_large, tune_shape *out, size_t cap);

typedef struct {
    int reps;                 // interleaved repetitions (medians over them); >= 1
    double min_gain;          // keep the built-in unless the best is this much faster (0.02) ...
    double max_shape_loss;    // ... and no shape is more than this much slower than the built-in (0.03)
    FILE *progress;           // one line per type as it finishes, or NULL
} tune_options;

typedef struct {
    gemm_config cand[TUNE_MAX_CANDIDATES];
    double seconds[TUNE_MAX_CANDIDATES];   // Σ over shapes of the median CPU time (all threads) of one product
    double worst[TUNE_MAX_CANDIDATES];     // min over shapes of built-in median / candidate median
    size_t n;                              // candidates timed
    size_t builtin, chosen;                // indices into cand
} tune_type_result;

typedef struct {
    tune_type_result type[GEMM_TYPE_COUNT];
    gemm_config_set chosen;
    double seconds;                        // wall time of the whole tuning
} tune_result;

// Times every candidate of every GEMM type on the shapes with omp_get_max_threads() threads,
// fills r, and leaves the configuration that was installed before installed again (the
// caller installs r->chosen if it wants it). Returns 0, or -1 with the error set (out of memory).
// Which of n timed candidates to keep (candidate 0 the built-in): the fastest in sum among
// those that lose no shape by more than opt->max_shape_loss (a gain on the big products must
// not buy a loss on another layer's), and only if it beats the built-in by opt->min_gain;
// else 0. seconds and worst as in tune_type_result.
size_t tune_choose(const double *seconds, const double *worst, size_t n, const tune_options *opt);

int tune_run(const tune_shape *shapes, size_t n_shapes, const tune_options *opt, tune_result *r);

#endif
