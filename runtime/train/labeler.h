// labeler.h — weak labels of a dataset: classification logits of many examples by the int8
// graph (default) or the fp32/bf16 model, batched by length, returned in the caller's order.
// Not a file writer or a CLI (cmd_label.c does those) and it owns no model. The one thing to
// know: examples are sorted by length into batches (int8 packs them without padding; fp32/bf16
// pad each batch to its longest), and since every model here is batch-independent, a label
// does not depend on which batch its example landed in.
#ifndef W2S_RUNTIME_LABELER_H
#define W2S_RUNTIME_LABELER_H

#include "dataset.h"
#include "gpt2.h"
#include "gpt2_int8.h"
#include "progress.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Exactly one of q / m is set.
typedef struct {
    gpt2_int8 *q;        // int8 graph: batches of <= its max_batch examples and max_tokens tokens
    gpt2_model *m;       // fp32/bf16 model (its opt.precision): <= max_batch x max_seq per batch
} labeler_model;

// Classification logits (n, K) of examples idx[0..n) of ds (idx NULL: examples 0..n-1),
// logits row i for idx[i]. Every example must fit the model (length <= max_seq, ids < V):
// load the dataset with max_ctx = the model's max_seq. prog (may be NULL) is updated with
// the examples done. Allocates O(n) scratch once. Returns 0 or -1 with the error set.
int labeler_logits(const labeler_model *lm, const dataset *ds, const size_t *idx, size_t n,
                   float *logits, progress *prog);

// labeler_logits with the examples split across the MPI world (world.h): each rank labels its
// contiguous share, then rank 0 (to_all false; other ranks' rows stay unset) or every rank
// (to_all true) gets all rows (n, K) in input order. Labels depend on their example only,
// so the rows equal a one-process run's bit for bit. Collective; returns 0 or -1 on every rank.
int labeler_logits_sharded(const labeler_model *lm, const dataset *ds, const size_t *idx, size_t n, size_t K,
                           float *logits, progress *prog, bool to_all);

// The same for n sequences given directly (stream mode): seqs[i] / lens[i], logits (n, K);
// n <= the model's batch capacity and Σ lens within its token capacity.
int labeler_logits_seqs(const labeler_model *lm, const int32_t *const *seqs, const size_t *lens,
                        size_t n, float *logits);

// Int8 graph sizes for labeling: batch capacity B and max_seq T give a token budget of B·T.
gpt2_int8 *labeler_int8_create(const gpt2_model *m, size_t batch, size_t max_seq);

#endif
