// gemm_check.c — builds, runs and checks one GEMM case against gemm_ref (see gemm_check.h).
// Padding inside matrices (lda > K, ldc > N) and guard zones around every buffer are NaN for
// float data (a read shows up as NaN in C) and 0x7f/0xff for int8 data (a read changes the
// exact integer result); C guards and padding are verified bit-for-bit after the call.
#include "gemm_check.h"

#include "error.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Tolerances, relative to S = Σ_k |a_ik·b_kj| + |bias_j| (+ |C_old|): gemm_ref sums in double,
// the kernels in f32 in some order, so the error of a K-term sum is at most ~K·u·S with
// u = 2^-24 (Higham, Accuracy and Stability, §3.1). TOL_SUM_ULPS doubles that for the final
// bias/accumulate additions and the pairwise sums inside vdpbf16ps.
#define TOL_SUM_ULPS 2.0
#define TOL_U 5.9604644775390625e-8
// The vectorised tanh in the GELU epilogue is accurate to a few f32 ulps of tanh; GELU's
// derivative is below 1.13, so 8 ulps of max(|v|, 1) covers it.
#define TOL_GELU (8.0 * TOL_U)
// The bf16 kernels with vdpbf16ps flush bf16 denormal inputs to zero; our random operands are
// never denormal, so no extra term is needed.
enum { GUARD = 64 };  // elements of poison before and after every buffer

static uint64_t rng_next(uint64_t *s) {  // splitmix64
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static float rng_unit(uint64_t *s) { return (float)((rng_next(s) >> 40) * 0x1p-24) * 2.0f - 1.0f; }

typedef struct {
    void *base;   // allocation
    void *p;      // first element
    size_t n, esz;
} gbuf;

static void fill_poison(void *p, size_t n, size_t esz) {
    if (esz == 4) {
        uint32_t nan = 0x7fc00000u;
        for (size_t i = 0; i < n; i++) memcpy((char *)p + 4 * i, &nan, 4);
    } else if (esz == 2) {
        for (size_t i = 0; i < n; i++) ((uint16_t *)p)[i] = 0x7fc0;  // bf16 NaN
    } else {
        memset(p, 0x7f, n);
    }
}

static gbuf gbuf_new(size_t n, size_t esz) {
    gbuf b = {.n = n, .esz = esz};
    b.base = malloc((n + 2 * GUARD) * esz);
    if (!b.base) return b;
    fill_poison(b.base, n + 2 * GUARD, esz);
    b.p = (char *)b.base + GUARD * esz;
    return b;
}

// Guard zones intact?
static bool gbuf_guard_ok(const gbuf *b) {
    gbuf ref = gbuf_new(0, b->esz);
    bool ok = ref.base && !memcmp(b->base, ref.base, GUARD * b->esz) &&
              !memcmp((char *)b->p + b->n * b->esz, ref.base, GUARD * b->esz);
    free(ref.base);
    return ok;
}

const char *gemm_case_str(const gemm_case *tc) {
    static __thread char s[256];
    static const char *tn[] = {"f32", "bf16", "u8s8"};
    snprintf(s, sizeof s,
             "%s isa=%s M=%zu N=%zu K=%zu a=%d%s b=%d%s%s%s%s%s%s%s seed=%llu", tn[tc->type],
             w2s_isa_name(tc->isa), tc->M, tc->N, tc->K, (int)tc->a_dtype, tc->a_trans ? "ᵀ" : "",
             (int)tc->b_dtype, tc->b_trans ? "ᵀ" : "", tc->b_prepacked ? " packed" : "",
             tc->bias ? " bias" : "", tc->gelu ? " gelu" : "", tc->accumulate ? " acc" : "",
             tc->quant ? " quant" : "", tc->raw_s32 ? " s32" : "", (unsigned long long)tc->seed);
    return s;
}

typedef struct {
    gemm_case tc;
    gbuf a, b, c, bias, rs, rz, cs;
    size_t lda, ldb, ldc;
    gemm_packed_b pb;
    gemm_args args;
} gemm_fixture;

static void fixture_free(gemm_fixture *f) {
    free(f->a.base);
    free(f->b.base);
    free(f->c.base);
    free(f->bias.base);
    free(f->rs.base);
    free(f->rz.base);
    free(f->cs.base);
    gemm_packed_b_free(&f->pb);
}

// Builds operands; C's interior is NaN unless accumulating (then random).
static int fixture_init(gemm_fixture *f, const gemm_case *tc) {
    memset(f, 0, sizeof *f);
    f->tc = *tc;
    gemm_case *t = &f->tc;
    if (t->type == GEMM_U8S8) {
        t->a_dtype = W2S_DTYPE_U8;
        t->b_dtype = W2S_DTYPE_S8;
    } else if (t->type == GEMM_F32) {
        t->a_dtype = t->b_dtype = W2S_DTYPE_F32;
    }
    uint64_t s = t->seed * 0x2545f4914f6cdd1dull + 1;
    size_t M = t->M, N = t->N, K = t->K;
    size_t aesz = w2s_dtype_size(t->a_dtype), besz = w2s_dtype_size(t->b_dtype);
    // Leading dimensions with 3 elements of interior padding.
    f->lda = (t->a_trans ? M : K) + 3;
    f->ldb = (t->b_trans ? K : N) + 3;
    f->ldc = N + 3;
    size_t a_rows = t->a_trans ? K : M, b_rows = t->b_trans ? N : K;
    f->a = gbuf_new(a_rows * f->lda, aesz);
    f->b = gbuf_new(b_rows * f->ldb, besz);
    f->c = gbuf_new(M * f->ldc, 4);
    f->bias = gbuf_new(N, 4);
    f->rs = gbuf_new(M, 4);
    f->rz = gbuf_new(M, 4);
    f->cs = gbuf_new(N, 4);
    if (!f->a.base || !f->b.base || !f->c.base || !f->bias.base || !f->rs.base || !f->rz.base ||
        !f->cs.base)
        return -1;
    for (size_t r = 0; r < a_rows; r++)
        for (size_t q = 0; q < (t->a_trans ? M : K); q++) {
            size_t o = r * f->lda + q;
            if (t->a_dtype == W2S_DTYPE_U8) ((uint8_t *)f->a.p)[o] = (uint8_t)(rng_next(&s) & 255);
            else if (t->a_dtype == W2S_DTYPE_BF16) ((w2s_bf16 *)f->a.p)[o] = w2s_f32_to_bf16(rng_unit(&s));
            else ((float *)f->a.p)[o] = rng_unit(&s);
        }
    for (size_t r = 0; r < b_rows; r++)
        for (size_t q = 0; q < (t->b_trans ? K : N); q++) {
            size_t o = r * f->ldb + q;
            if (t->b_dtype == W2S_DTYPE_S8) ((int8_t *)f->b.p)[o] = (int8_t)((int)(rng_next(&s) % 255) - 127);
            else if (t->b_dtype == W2S_DTYPE_BF16) ((w2s_bf16 *)f->b.p)[o] = w2s_f32_to_bf16(rng_unit(&s));
            else ((float *)f->b.p)[o] = rng_unit(&s);
        }
    for (size_t j = 0; j < N; j++) {
        ((float *)f->bias.p)[j] = rng_unit(&s);
        ((float *)f->cs.p)[j] = 0.001f + 0.01f * fabsf(rng_unit(&s));
    }
    for (size_t i = 0; i < M; i++) {
        ((float *)f->rs.p)[i] = 0.001f + 0.02f * fabsf(rng_unit(&s));
        ((int32_t *)f->rz.p)[i] = (int32_t)(rng_next(&s) % 256);
    }
    if (t->accumulate)
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                size_t o = i * f->ldc + j;
                if (t->raw_s32) ((int32_t *)f->c.p)[o] = (int32_t)(rng_next(&s) % 2000001) - 1000000;
                else ((float *)f->c.p)[o] = rng_unit(&s);
            }

    gemm_view bv = t->b_trans ? (gemm_view){f->b.p, 1, (ptrdiff_t)f->ldb}
                              : (gemm_view){f->b.p, (ptrdiff_t)f->ldb, 1};
    if (t->b_prepacked && gemm_pack_b(&f->pb, t->type, t->isa, K, N, t->b_dtype, bv)) return -1;
    gemm_args *g = &f->args;
    g->M = M;
    g->N = N;
    g->K = K;
    g->a_dtype = t->a_dtype;
    g->a = t->a_trans ? (gemm_view){f->a.p, 1, (ptrdiff_t)f->lda} : (gemm_view){f->a.p, (ptrdiff_t)f->lda, 1};
    g->b_packed = t->b_prepacked ? &f->pb : NULL;
    g->b_dtype = t->b_dtype;
    g->b = bv;
    g->c_dtype = t->raw_s32 ? W2S_DTYPE_S32 : W2S_DTYPE_F32;
    g->c = f->c.p;
    g->ldc = f->ldc;
    g->ep.bias = t->bias ? f->bias.p : NULL;
    g->ep.gelu = t->gelu;
    g->ep.accumulate = t->accumulate;
    if (t->quant) {
        g->ep.row_scale = f->rs.p;
        g->ep.row_zero = f->rz.p;
        g->ep.col_scale = f->cs.p;
    }
    return 0;
}

static double a_abs(const gemm_fixture *f, size_t i, size_t k) {
    size_t o = f->tc.a_trans ? k * f->lda + i : i * f->lda + k;
    switch (f->tc.a_dtype) {
    case W2S_DTYPE_U8: return ((const uint8_t *)f->a.p)[o];
    case W2S_DTYPE_BF16: return fabs(w2s_bf16_to_f32(((const w2s_bf16 *)f->a.p)[o]));
    default: return fabs(((const float *)f->a.p)[o]);
    }
}

static double b_abs(const gemm_fixture *f, size_t k, size_t j) {
    size_t o = f->tc.b_trans ? j * f->ldb + k : k * f->ldb + j;
    switch (f->tc.b_dtype) {
    case W2S_DTYPE_S8: return abs(((const int8_t *)f->b.p)[o]);
    case W2S_DTYPE_BF16: return fabs(w2s_bf16_to_f32(((const w2s_bf16 *)f->b.p)[o]));
    default: return fabs(((const float *)f->b.p)[o]);
    }
}

void *gemm_check_run(const gemm_case *tc, int threads) {
    gemm_fixture f;
    void *out = NULL;
    if (fixture_init(&f, tc)) {
        fprintf(stderr, "gemm_check_run: setup failed: %s (%s)\n", w2s_error_message(), gemm_case_str(tc));
        fixture_free(&f);
        return NULL;
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    int rc = gemm(tc->type, tc->isa, &f.args);
    omp_set_num_threads(saved);
    if (rc) {
        fprintf(stderr, "gemm_check_run: gemm failed: %s (%s)\n", w2s_error_message(), gemm_case_str(tc));
    } else if ((out = malloc(tc->M * tc->N * 4 + 1))) {
        for (size_t i = 0; i < tc->M; i++)
            memcpy((char *)out + i * tc->N * 4, (char *)f.c.p + i * f.ldc * 4, tc->N * 4);
    }
    fixture_free(&f);
    return out;
}

int gemm_check_case(const gemm_case *tc) {
    gemm_fixture f;
    int ret = -1;
    if (fixture_init(&f, tc)) {
        fprintf(stderr, "gemm_check: setup failed: %s (%s)\n", w2s_error_message(), gemm_case_str(tc));
        goto done;
    }
    size_t M = tc->M, N = tc->N, K = tc->K;
    gbuf ref = gbuf_new(M * f.ldc, 4);
    if (!ref.base) goto done;
    memcpy(ref.base, f.c.base, (M * f.ldc + 2 * GUARD) * 4);
    gemm_args rargs = f.args;
    rargs.c = ref.p;
    if (gemm(tc->type, tc->isa, &f.args)) {
        fprintf(stderr, "gemm_check: gemm failed: %s (%s)\n", w2s_error_message(), gemm_case_str(tc));
        free(ref.base);
        goto done;
    }
    gemm_ref(tc->type, &rargs);

    bool bad = !gbuf_guard_ok(&f.c);
    if (bad) fprintf(stderr, "gemm_check: C guard zone written (%s)\n", gemm_case_str(tc));
    for (size_t i = 0; i < M && !bad; i++) {
        for (size_t j = f.ldc - 3; j < f.ldc; j++) {  // interior padding of C
            uint32_t u;
            memcpy(&u, (char *)f.c.p + (i * f.ldc + j) * 4, 4);
            if (u != 0x7fc00000u) {
                fprintf(stderr, "gemm_check: C padding (%zu,%zu) written (%s)\n", i, j, gemm_case_str(tc));
                bad = true;
            }
        }
        for (size_t j = 0; j < N && !bad; j++) {
            size_t o = i * f.ldc + j;
            if (tc->raw_s32) {
                int32_t got = ((int32_t *)f.c.p)[o], want = ((int32_t *)ref.p)[o];
                if (got != want) {
                    fprintf(stderr, "gemm_check: C(%zu,%zu) = %d, want %d (%s)\n", i, j, got, want,
                            gemm_case_str(tc));
                    bad = true;
                }
                continue;
            }
            double sum = 0, babs = 0;
            for (size_t k = 0; k < K; k++) {
                double bb = b_abs(&f, k, j);
                sum += a_abs(&f, i, k) * bb;
                babs += bb;
            }
            if (tc->quant) {
                double sc = ((float *)f.rs.p)[i] * ((float *)f.cs.p)[j];
                sum = sc * (sum + fabs((double)((int32_t *)f.rz.p)[i]) * babs);
            }
            if (tc->bias) sum += fabs(((float *)f.bias.p)[j]);
            double tol = TOL_SUM_ULPS * (double)(K + 2) * TOL_U * sum;
            if (tc->gelu) tol = 1.13 * tol + TOL_GELU * fmax(sum, 1.0);
            if (tc->accumulate) tol += 2 * TOL_U * fabs(((float *)ref.p)[o]);
            float got = ((float *)f.c.p)[o], want = ((float *)ref.p)[o];
            double err = fabs((double)got - want);
            if (!(err <= tol)) {  // catches NaN
                fprintf(stderr, "gemm_check: C(%zu,%zu) = %.9g, want %.9g, err %.3g > tol %.3g (%s)\n",
                        i, j, got, want, err, tol, gemm_case_str(tc));
                bad = true;
            }
        }
    }
    free(ref.base);
    ret = bad ? -1 : 0;
done:
    fixture_free(&f);
    return ret;
}
