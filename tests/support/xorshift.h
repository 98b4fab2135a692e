// xorshift.h — the tests' small random stream (Marsaglia's xorshift64, 2003): inputs for kernel
// and model checks, not statistics (base/rng.h is the product's generator). One definition for
// every test; each keeps its own state, so its inputs depend on its seed alone.
#ifndef W2S_TESTS_XORSHIFT_H
#define W2S_TESTS_XORSHIFT_H

#include <stdint.h>

// Advances *s (never 0) and returns it.
static inline uint64_t xorshift64(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

// Uniform in [lo, hi) from the top 24 bits.
static inline float xorshift_uniform(uint64_t *s, float lo, float hi) {
    return lo + (hi - lo) * (float)(xorshift64(s) >> 40) * (1.0f / 16777216.0f);
}

// Uniform in [0, 1) in double from the top 53 bits.
static inline double xorshift_unit(uint64_t *s) { return (double)(xorshift64(s) >> 11) * (1.0 / 9007199254740992.0); }

#endif
