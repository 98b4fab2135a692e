// rng.c — xoshiro256** (Blackman & Vigna 2018) seeded by splitmix64; see rng.h.
// Only integer arithmetic decides the stream; floats are derived from it at the end, so
// shuffles and splits are identical on every platform and compiler.
#include "rng.h"

#include <math.h>

uint64_t rng_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = rng_splitmix64(&x);
}

void rng_seed_stream(rng *r, uint64_t seed, uint64_t stream) {
    // Hash (seed, stream) through splitmix64 twice so nearby pairs give unrelated states.
    uint64_t x = seed;
    uint64_t h = rng_splitmix64(&x);
    x = h ^ (stream * 0xD1B54A32D192ED03ull);
    rng_seed(r, rng_splitmix64(&x));
}

uint64_t rng_next_u64(rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(rng *r, uint64_t n) {
    if (n == 0) return 0;
    // Lemire, "Fast random integer generation in an interval" (2019): the high word of
    // x·n is uniform in [0,n) once the low words falling in the biased zone are rejected.
    __uint128_t m = (__uint128_t)rng_next_u64(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold) {
            m = (__uint128_t)rng_next_u64(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

float rng_uniform_f32(rng *r) { return (float)(rng_next_u64(r) >> 40) * 0x1.0p-24f; }

float rng_normal_f32(rng *r) {
    // u1 in (0,1] (53 bits) so log never sees 0; u2 in [0,1).
    double u1 = ((double)(rng_next_u64(r) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(rng_next_u64(r) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2));
}

void rng_shuffle_indices(rng *r, size_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, (uint64_t)i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
