// profile_onednn.c — oneDNN matmul vs w2s gemm() per recorded shape (profile_onednn.h).
// Not the benchmark suite (bench/gemm_bench.cc is): one median of a few interleaved calls per
// shape, enough to say which shapes lag.
#include "profile_onednn.h"

#include "dtype.h"
#include "error.h"
#include "prof.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

#define CMP_REPS 7   // interleaved pairs per shape; the median damps a noisy neighbour

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

#define DNNL_CHECK(call)                                                                       \
    do {                                                                                       \
        dnnl_status_t st_ = (call);                                                            \
        if (st_ != dnnl_success) {                                                             \
            rc = W2S_FAIL("oneDNN %s failed (status %d) for %zux%zux%zu", #call, (int)st_, r->M, \
                          r->N, r->K);                                                         \
            goto out;                                                                          \
        }                                                                                      \
    } while (0)

// Times one row's shape; both sides read the same physical layouts as the model's call.
static int compare_row(profile_gemm_row *r, dnnl_engine_t eng, dnnl_stream_t stream) {
    bool bf16 = r->type == GEMM_BF16;
    bool at = r->op == PROF_OP_ATB || r->op == PROF_OP_ATBT, bt = r->op == PROF_OP_ABT || r->op == PROF_OP_ATBT;
    size_t M = r->M, N = r->N, K = r->K;
    int rc = 0;
    float *a = malloc(M * K * sizeof(float)), *b = malloc(K * N * sizeof(float)), *c = malloc(M * N * sizeof(float));
    w2s_bf16 *a16 = bf16 ? malloc(M * K * sizeof(w2s_bf16)) : NULL, *b16 = bf16 ? malloc(K * N * sizeof(w2s_bf16)) : NULL;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t prim = NULL, reorder = NULL;
    dnnl_memory_t a_mem = NULL, b_user = NULL, b_mem = NULL, c_mem = NULL;
    gemm_packed_b pb = {0};
    if (!a || !b || !c || (bf16 && (!a16 || !b16))) {
        rc = W2S_FAIL("profile_compare_onednn: out of memory for %zux%zux%zu", M, N, K);
        goto out;
    }
    uint64_t s = 7;
    for (size_t i = 0; i < M * K; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        a[i] = (float)((s >> 40) * 0x1p-24) - 0.5f;
    }
    for (size_t i = 0; i < K * N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (float)((s >> 40) * 0x1p-24) - 0.5f;
    }
    if (bf16) {
        for (size_t i = 0; i < M * K; i++) a16[i] = w2s_f32_to_bf16(a[i]);
        for (size_t i = 0; i < K * N; i++) b16[i] = w2s_f32_to_bf16(b[i]);
    }
    // Physical layouts: A is (M, K) row-major, or (K, M) when read transposed; B likewise.
    ptrdiff_t a_rs = at ? 1 : (ptrdiff_t)K, a_cs = at ? (ptrdiff_t)M : 1;
    ptrdiff_t b_rs = bt ? 1 : (ptrdiff_t)N, b_cs = bt ? (ptrdiff_t)K : 1;
    gemm_args g = {.M = M, .N = N, .K = K, .a_dtype = W2S_DTYPE_F32, .a = {a, a_rs, a_cs},
                   .b_dtype = W2S_DTYPE_F32, .b = {b, b_rs, b_cs}, .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = N};
    // The model's prepacked weights are packed outside the call, like oneDNN's reorder.
    if (r->b_packed) {
        if (gemm_pack_b(&pb, r->type, r->isa, K, N, W2S_DTYPE_F32, g.b)) {
            rc = w2s_error_wrap("profile_compare_onednn: packing B %zux%zu", K, N);
            goto out;
        }
        g.b_packed = &pb;
    }

    dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t a_md, b_md, b_any, c_md;
    dnnl_dims_t ad = {(dnnl_dim_t)M, (dnnl_dim_t)K}, as = {a_rs, a_cs};
    dnnl_dims_t bd = {(dnnl_dim_t)K, (dnnl_dim_t)N}, bs = {b_rs, b_cs};
    dnnl_dims_t cd = {(dnnl_dim_t)M, (dnnl_dim_t)N};
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(&a_md, 2, ad, dt, as));
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(&b_md, 2, bd, dt, bs));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&b_any, 2, bd, dt, dnnl_format_tag_any));
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&c_md, 2, cd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t mdesc;
    DNNL_CHECK(dnnl_matmul_desc_init(&mdesc, &a_md, &b_any, NULL, &c_md));
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &mdesc, NULL, eng, NULL));
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    DNNL_CHECK(dnnl_memory_create(&a_mem, &a_md, eng, bf16 ? (void *)a16 : (void *)a));
    DNNL_CHECK(dnnl_memory_create(&b_user, &b_md, eng, bf16 ? (void *)b16 : (void *)b));
    DNNL_CHECK(dnnl_memory_create(&b_mem, w_md, eng, DNNL_MEMORY_ALLOCATE));
    DNNL_CHECK(dnnl_memory_create(&c_mem, &c_md, eng, c));
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&rpd, &b_md, eng, w_md, eng, NULL));
    DNNL_CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, b_user}, {DNNL_ARG_TO, b_mem}};
    DNNL_CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs));
    DNNL_CHECK(dnnl_stream_wait(stream));
    DNNL_CHECK(dnnl_primitive_create(&prim, pd));
    dnnl_exec_arg_t margs[3] = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};

    double tw[CMP_REPS], td[CMP_REPS];
    for (int rep = -1; rep < CMP_REPS; rep++) {  // rep -1: warm-up of both
        double t0 = prof_now();
        if (gemm(r->type, r->isa, &g)) {
            rc = w2s_error_wrap("profile_compare_onednn: w2s gemm %zux%zux%zu", M, N, K);
            goto out;
        }
        double t1 = prof_now();
        DNNL_CHECK(dnnl_primitive_execute(prim, stream, 3, margs));
        DNNL_CHECK(dnnl_stream_wait(stream));
        double t2 = prof_now();
        if (rep >= 0) {
            tw[rep] = t1 - t0;
            td[rep] = t2 - t1;
        }
    }
    qsort(tw, CMP_REPS, sizeof(double), cmp_double);
    qsort(td, CMP_REPS, sizeof(double), cmp_double);
    r->cmp_w2s_s = tw[CMP_REPS / 2];
    r->cmp_onednn_s = td[CMP_REPS / 2];
out:
    if (prim) dnnl_primitive_destroy(prim);
    if (reorder) dnnl_primitive_destroy(reorder);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (a_mem) dnnl_memory_destroy(a_mem);
    if (b_user) dnnl_memory_destroy(b_user);
    if (b_mem) dnnl_memory_destroy(b_mem);
    if (c_mem) dnnl_memory_destroy(c_mem);
    gemm_packed_b_free(&pb);
    free(a); free(b); free(c); free(a16); free(b16);
    return rc;
}

int profile_compare_onednn(profile_data *d) {
    dnnl_engine_t eng = NULL;
    dnnl_stream_t stream = NULL;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&stream, eng, dnnl_stream_default_flags) != dnnl_success) {
        if (eng) dnnl_engine_destroy(eng);
        return W2S_FAIL("profile_compare_onednn: cannot create a oneDNN CPU engine/stream");
    }
    int rc = 0;
    for (size_t i = 0; i < d->n_gemm && !rc; i++) {
        profile_gemm_row *r = &d->gemm[i];
        if (r->type == GEMM_U8S8 || !r->calls) continue;
        // Rows that differ only in phase/accumulate share a shape: time it once.
        bool done = false;
        for (size_t j = 0; j < i && !done; j++) {
            profile_gemm_row *q = &d->gemm[j];
            if (q->cmp_onednn_s > 0 && q->type == r->type && q->op == r->op && q->b_packed == r->b_packed &&
                q->M == r->M && q->N == r->N && q->K == r->K) {
                r->cmp_w2s_s = q->cmp_w2s_s;
                r->cmp_onednn_s = q->cmp_onednn_s;
                done = true;
            }
        }
        if (!done) rc = compare_row(r, eng, stream);
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return rc;
}
