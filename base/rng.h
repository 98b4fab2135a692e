// rng.h — the one seeded pseudo-random generator of w2s (xoshiro256**, seeded by splitmix64).
// Not cryptographic, and never libc rand(): a given seed gives the same integer stream on
// every platform, so splits, shuffles and initializations are reproducible from the seed.
// One rng per thread (no locking); the struct is plain data and may be copied to fork a stream.
#ifndef W2S_BASE_RNG_H
#define W2S_BASE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];  // xoshiro256** state; never all zero (splitmix64 seeding guarantees it)
} rng;

// Seeds from one 64-bit value (any value, 0 included).
void rng_seed(rng *r, uint64_t seed);
// Seeds an independent stream `stream` of `seed` (e.g. one per worker or per run), so
// (seed, 0), (seed, 1), … do not overlap in practice and do not depend on call order.
void rng_seed_stream(rng *r, uint64_t seed, uint64_t stream);

// splitmix64 (Steele et al. 2014): advances *state by the golden-ratio increment and returns
// its mix. The seeder of rng_seed, also a stateless stream of its own where a 64-bit key must
// map to values without a generator struct (gpt2_init_random's per-chunk streams).
uint64_t rng_splitmix64(uint64_t *state);

// Next 64 uniformly random bits.
uint64_t rng_next_u64(rng *r);
// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). n == 0 returns 0.
uint64_t rng_below(rng *r, uint64_t n);
// Uniform float in [0, 1) with 24 random bits (multiples of 2^-24). Consumes one u64.
float rng_uniform_f32(rng *r);
// Standard normal (Box–Muller on two uniforms, computed in double then rounded). Consumes
// exactly two u64 per call (no cached spare, so the stream position is easy to reason about).
// Bit-identical wherever libm's log/cos agree to the last double bit (glibc x86-64/aarch64).
float rng_normal_f32(rng *r);
// Fisher–Yates shuffle of idx[0..n) in place (does not initialize idx: fill it first).
// Uses rng_below, so the permutation depends only on the seed, n and the input order.
void rng_shuffle_indices(rng *r, size_t *idx, size_t n);

#endif
