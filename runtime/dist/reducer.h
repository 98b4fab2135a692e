// reducer.h — gradient summation over ranks overlapped with the backward pass, as PyTorch
// DDP's reducer does: ranges of a gradient buffer grouped into buckets, each started as soon
// as its gradients are final, while the backward computes the next ones.
// Not a different sum: every element is added in rank order 0, 1, …, p−1 on the rank that
// owns its chunk, exactly as dist_allreduce_sum_f32 does, so the result is bit-identical to
// the blocking path (MPI_Iallreduce would let MPI choose the association for p > 2).
// The one thing to know: with MPI_THREAD_FUNNELED there is no progress thread, so the bytes
// move only inside MPI calls — dist_reducer_start and dist_reducer_poll, called between
// layers, are what advance the transfers started earlier.
#ifndef W2S_DIST_REDUCER_H
#define W2S_DIST_REDUCER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dist_reducer dist_reducer;

// W2S_ALLREDUCE selects how the trainers sum gradients over ranks: "blocking" (the default:
// dist_allreduce_sum_f32 after the backward) or "overlap" (this reducer). Blocking is the
// default because overlap measured no gain on a 2-core machine, where no core is free to move
// the bytes (docs/SCALING.md). *overlap gets the choice; -1 (error set) on another value.
int dist_allreduce_mode(bool *overlap);

// A reducer of buf's gradients in n_buckets buckets, empty until dist_reducer_add fills them,
// over the current scope's ranks (its communicators are duplicated here: collective).
// NULL (error set) on failure.
dist_reducer *dist_reducer_create(float *buf, size_t n_buckets);
void dist_reducer_destroy(dist_reducer *r);  // NULL is a no-op; collective (frees communicators)

// Appends buf[offset, offset + count) to bucket b. Every rank adds the same ranges.
int dist_reducer_add(dist_reducer *r, size_t b, size_t offset, size_t count);

// Starts summing bucket b: its gradients must be final. Buckets start in order 0, 1, … on
// every rank (MPI matches collectives by order); starting b also starts any earlier bucket
// not yet started. Advances the transfers in flight. Returns 0 or -1 (error set).
int dist_reducer_start(dist_reducer *r, size_t b);
// Advances the transfers in flight without waiting. Returns 0 or -1.
int dist_reducer_poll(dist_reducer *r);
// Starts the buckets not yet started, waits for all and writes the sums back into buf; the
// reducer is then ready for the next step. Returns 0 or -1 (error set).
int dist_reducer_finish(dist_reducer *r);

#endif
