// quant.c — quantization policy (quant.h): scales, zero points, bad-input handling, error
// statistics. Scalar code with the per-element loops delegated to simd/convert.h, so every ISA
// produces the same bytes; nothing here is performance-critical beyond those loops.
#include "quant.h"

#include "convert.h"
#include "error.h"

#include <float.h>
#include <math.h>

// ---- weights

int quant_weights_s8_per_channel(int8_t *q, float *scale, const float *w, size_t K, size_t N) {
    for (size_t n = 0; n < N; n++) {
        float m = 0.0f;
        for (size_t k = 0; k < K; k++) {
            float v = w[k * N + n];
            if (!isfinite(v))
                return W2S_FAIL("quant_weights_s8_per_channel: W[%zu,%zu] = %g is not finite (K=%zu, N=%zu); "
                                "the model's weights are corrupt or diverged", k, n, (double)v, K, N);
            m = fabsf(v) > m ? fabsf(v) : m;
        }
        scale[n] = m < 127.0f * FLT_MIN ? 1.0f : m / 127.0f;
    }
    for (size_t k = 0; k < K; k++)
        for (size_t n = 0; n < N; n++) {
            float v = rintf(w[k * N + n] / scale[n]);
            v = v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v;
            q[k * N + n] = (int8_t)v;
        }
    return 0;
}

// ---- activations

int quant_rows_u8_isa(w2s_isa isa, uint8_t *q, size_t ldq, float *scale, int32_t *zero,
                      const float *x, size_t ldx, size_t M, size_t K) {
    const convert_kernels *ck = convert_get(isa);
    for (size_t i = 0; i < M; i++) {
        const float *row = x + i * ldx;
        float lo, hi;
        if (!ck->range_f32(&lo, &hi, row, K))
            return W2S_FAIL("quant_rows_u8: row %zu of %zu holds a NaN or Inf (K=%zu); the "
                            "activations diverged", i, M, K);
        float range = hi - lo;
        if (!isfinite(range))
            return W2S_FAIL("quant_rows_u8: row %zu range [%g, %g] overflows f32", i, (double)lo,
                            (double)hi);
        float s = 1.0f;
        int32_t z = 0;
        if (range >= 255.0f * FLT_MIN) {
            s = range / 255.0f;
            float zf = rintf(-lo / s);  // in [0, 255] up to rounding: clamp anyway
            z = zf < 0.0f ? 0 : zf > 255.0f ? 255 : (int32_t)zf;
            ck->quantize_u8(q + i * ldq, row, K, 1.0f / s, z);
        } else {
            for (size_t k = 0; k < K; k++) q[i * ldq + k] = 0;
        }
        scale[i] = s;
        zero[i] = z;
    }
    return 0;
}

int quant_rows_u8(uint8_t *q, size_t ldq, float *scale, int32_t *zero, const float *x, size_t ldx,
                  size_t M, size_t K) {
    return quant_rows_u8_isa(w2s_isa_active(), q, ldq, scale, zero, x, ldx, M, K);
}

// ---- error statistics

static void err_add(quant_error *e, double *sum, double x, double deq) {
    double d = fabs(x - deq);
    e->max_abs = d > e->max_abs ? d : e->max_abs;
    e->max_ref = fabs(x) > e->max_ref ? fabs(x) : e->max_ref;
    *sum += d;
}

quant_error quant_error_weights_s8(const float *w, const int8_t *q, const float *scale, size_t K,
                                   size_t N) {
    quant_error e = {0};
    double sum = 0.0;
    for (size_t k = 0; k < K; k++)
        for (size_t n = 0; n < N; n++)
            err_add(&e, &sum, w[k * N + n], (double)scale[n] * q[k * N + n]);
    e.mean_abs = K && N ? sum / (double)(K * N) : 0.0;
    return e;
}

quant_error quant_error_rows_u8(const float *x, size_t ldx, const uint8_t *q, size_t ldq,
                                const float *scale, const int32_t *zero, size_t M, size_t K) {
    quant_error e = {0};
    double sum = 0.0;
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < K; k++)
            err_add(&e, &sum, x[i * ldx + k], (double)scale[i] * ((int32_t)q[i * ldq + k] - zero[i]));
    e.mean_abs = M && K ? sum / (double)(M * K) : 0.0;
    return e;
}
