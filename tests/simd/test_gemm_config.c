// test_gemm_config.c — run-time GEMM configurations: every configuration `w2s tune` may choose
// (gemm_config_candidates, each tile and blocking this CPU runs) against gemm_ref on ragged
// and prime shapes with NaN-poisoned padding, K and M spanning several of its blocks; the
// built-in configuration of every kind of core passes the checks; bad configurations are
// refused; B packed under another tile is refused by gemm() instead of read wrongly.
#include "gemm_check.h"
#include "gemm_config.h"
#include "gemm_kernel.h"

#include "error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "test_main.h"

typedef struct {
    size_t M, N, K;
} shape;

// Edges of every tile (8×48, 12×32, the scalar and NEON ones); K across several blocks of the
// L1-derived candidate kc (tens to hundreds) and past the largest (4096); M across several mc.
static const shape shapes[] = {
    {1, 1, 1},    {1, 17, 33},  {7, 13, 0},    {13, 33, 64},  {12, 32, 16},  {25, 65, 200},
    {97, 101, 103}, {1, 300, 300}, {200, 31, 77}, {37, 70, 1100}, {409, 45, 300}, {9, 50, 4500},
};

static uint64_t seed_state = 777;
static uint64_t next_rand(void) {
    seed_state = seed_state * 6364136223846793005ull + 1442695040888963407ull;
    return seed_state >> 33;
}

static int check_config(gemm_type type) {
    int failures = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        uint64_t r = next_rand();
        gemm_case tc = {
            .type = type, .isa = w2s_isa_active(), .M = shapes[s].M, .N = shapes[s].N, .K = shapes[s].K,
            .a_dtype = (type == GEMM_BF16 && (r & 1)) ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
            .b_dtype = (type == GEMM_BF16 && (r & 2)) ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
            .a_trans = (r >> 2) & 1, .b_prepacked = s % 2 == 0, .b_trans = (r >> 4) & 1,
            .bias = (r >> 5) & 1, .gelu = (r >> 6) & 1, .accumulate = (r >> 7) & 1, .seed = r,
        };
        if (type == GEMM_U8S8) {
            tc.raw_s32 = (r >> 8) & 1;
            if (tc.raw_s32) tc.bias = tc.gelu = false;
            else tc.quant = true;
        }
        if (gemm_check_case(&tc)) failures++;
    }
    return failures;
}

static void test_every_candidate(void **state) {
    (void)state;
    gemm_config_set saved;
    const char *src;
    gemm_config_active(&saved, &src);
    char saved_src[160];
    snprintf(saved_src, sizeof saved_src, "%s", src);
    int failures = 0, tried = 0;
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        gemm_config cand[16];
        size_t n = gemm_config_candidates((gemm_type)t, cand, 16);
        assert_true(n >= 1);
        for (size_t i = 0; i < n && i < 16; i++) {
            gemm_config_set s = saved;
            s.type[t] = cand[i];
            assert_int_equal(gemm_config_install(&s, "test candidate"), 0);
            // The driver now runs the candidate's tile with its blocking.
            const gemm_kernel *k = gemm_kernel_find((gemm_type)t, w2s_isa_active());
            assert_string_equal(k->name, cand[i].kernel);
            assert_int_equal(k->kc, cand[i].kc);
            assert_int_equal(k->mc, cand[i].mc);
            assert_int_equal(k->split, cand[i].split);
            int f = check_config((gemm_type)t);
            char buf[128];
            printf("  %-60s %s\n", gemm_config_format(&cand[i], buf, sizeof buf), f ? "FAILED" : "ok");
            failures += f;
            tried++;
        }
    }
    assert_int_equal(gemm_config_install(&saved, saved_src), 0);
    assert_true(tried >= GEMM_TYPE_COUNT);
    assert_int_equal(failures, 0);
}

// Every kind of core's built-in configuration is valid here (a kind whose tile this CPU lacks
// falls back to the level's default tile), and on Zen 4 the built-in one is the registered
// kernels' own blocking (measured there: the default must not change what it runs).
static void test_builtin(void **state) {
    (void)state;
    for (int kind = 0; kind < GEMM_CORE_KIND_COUNT; kind++) {
        gemm_config_set s;
        gemm_config_builtin(&s, (gemm_core_kind)kind);
        if (gemm_config_check(&s)) fail_msg("%s: %s", gemm_core_name((gemm_core_kind)kind), w2s_error_message());
    }
    const w2s_cpu_features *f = w2s_cpu();
    const char *how;
    gemm_core_kind kind = gemm_core(&how);
    printf("  core: %s (%s)\n", gemm_core_name(kind), how);
    if (!strcmp(f->vendor, "AuthenticAMD") && f->family == 25 && f->model >= 0x10 && f->model <= 0x1f &&
        w2s_isa_active() >= W2S_ISA_AVX512) {
        assert_int_equal(kind, GEMM_CORE_AVX512_1PIPE);
        gemm_config_set s;
        gemm_config_builtin(&s, kind);
        for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
            const gemm_kernel *d = gemm_kernel_find_default((gemm_type)t, w2s_isa_active());
            assert_string_equal(s.type[t].kernel, d->name);
            assert_int_equal(s.type[t].kc, d->kc);
            assert_int_equal(s.type[t].mc, d->mc);
            assert_int_equal(s.type[t].nc, d->nc);
        }
    }
}

static void test_refused(void **state) {
    (void)state;
    gemm_config_set saved, s;
    const char *src;
    gemm_config_active(&saved, &src);
    char saved_src[160];
    snprintf(saved_src, sizeof saved_src, "%s", src);
    s = saved;
    snprintf(s.type[GEMM_F32].kernel, sizeof s.type[GEMM_F32].kernel, "gemm_no_such_kernel");
    assert_int_equal(gemm_config_install(&s, "bad"), -1);
    assert_non_null(strstr(w2s_error_message(), "gemm_no_such_kernel"));
    s = saved;
    s.type[GEMM_BF16].kc += 1;  // not a whole number of pairs
    assert_int_equal(gemm_config_install(&s, "bad"), -1);
    s = saved;
    s.type[GEMM_U8S8].mc = 0;
    assert_int_equal(gemm_config_install(&s, "bad"), -1);
    // Nothing changed.
    gemm_config_active(&s, &src);
    assert_memory_equal(&s, &saved, sizeof s);
    assert_string_equal(src, saved_src);

    // B packed under one tile, then a configuration with another tile: gemm() refuses it.
    const gemm_kernel *tiles[8];
    size_t nt = gemm_config_tiles(GEMM_F32, tiles, 8);
    if (nt < 2) return;  // one tile at this level: nothing to mix up
    float a[4 * 4] = {0}, b[4 * 4] = {0}, c[4 * 4];
    gemm_packed_b pb;
    assert_int_equal(gemm_pack_b(&pb, GEMM_F32, w2s_isa_active(), 4, 4, W2S_DTYPE_F32, (gemm_view){b, 4, 1}), 0);
    s = saved;
    const gemm_kernel *other = strcmp(tiles[0]->name, saved.type[GEMM_F32].kernel) ? tiles[0] : tiles[1];
    snprintf(s.type[GEMM_F32].kernel, sizeof s.type[GEMM_F32].kernel, "%s", other->name);
    s.type[GEMM_F32].kc = other->kc;
    s.type[GEMM_F32].mc = other->mc;
    s.type[GEMM_F32].nc = other->nc;
    assert_int_equal(gemm_config_install(&s, "other tile"), 0);
    gemm_args g = {.M = 4, .N = 4, .K = 4, .a_dtype = W2S_DTYPE_F32, .a = {a, 4, 1}, .b_packed = &pb,
                   .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = 4};
    if (pb.nr != other->nr) {
        assert_int_equal(gemm(GEMM_F32, w2s_isa_active(), &g), -1);
        assert_non_null(strstr(w2s_error_message(), "repack"));
    }
    gemm_packed_b_free(&pb);
    assert_int_equal(gemm_config_install(&saved, saved_src), 0);
}

W2S_TEST_MAIN(NULL, NULL, test_every_candidate, test_builtin, test_refused)
