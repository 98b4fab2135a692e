// test_cpu.c — ISA levels: detection answers before any other call, W2S_ISA names round-trip,
// and the support relation is consistent with the detected level; the core's family/model and
// cache sizes are plausible (x86: a family, an L1d of 8 KiB to 1 MiB; L1d < L2 < L3 where
// reported).
#include "test_main.h"

#include "cpu.h"

// w2s_isa_supported() must run detection itself: asked first, it may not say "scalar only".
static void test_supported_before_anything_else(void **state) {
    w2s_isa first = W2S_ISA_SCALAR;
    for (int i = 0; i < W2S_ISA_COUNT; i++)
        if (w2s_isa_supported((w2s_isa)i)) first = (w2s_isa)i;
    assert_true(w2s_isa_supported(w2s_isa_detected()));
    if (w2s_isa_detected() != W2S_ISA_SCALAR) assert_int_not_equal(first, W2S_ISA_SCALAR);
}

static void test_names_and_order(void **state) {
    for (int i = 0; i < W2S_ISA_COUNT; i++) assert_int_equal(w2s_isa_from_name(w2s_isa_name((w2s_isa)i)), i);
    assert_int_equal(w2s_isa_from_name("avx9000"), -1);
    assert_true(w2s_isa_supported(W2S_ISA_SCALAR));
    assert_true(w2s_isa_active() <= w2s_isa_detected());
    // Every level between scalar and the detected one on the same architecture is supported,
    // except AVX2_VNNI, which AVX-512 CPUs need not have.
    w2s_isa det = w2s_isa_detected();
    for (int i = 1; i < (int)det; i++) {
        bool same_arch = (det <= W2S_ISA_AVX512_BF16) == (i <= W2S_ISA_AVX512_BF16);
        if (same_arch && i != W2S_ISA_AVX2_VNNI) assert_true(w2s_isa_supported((w2s_isa)i));
    }
}

static void test_core_and_caches(void **state) {
    (void)state;
    const w2s_cpu_features *f = w2s_cpu();
#if defined(__x86_64__)
    assert_true(f->family >= 6);
    assert_true(f->cache_l1d >= 8192 && f->cache_l1d <= (1ul << 20));
#endif
    if (f->cache_l1d && f->cache_l2) assert_true(f->cache_l1d < f->cache_l2);
    if (f->cache_l2 && f->cache_l3) assert_true(f->cache_l2 < f->cache_l3);
}

W2S_TEST_MAIN(NULL, NULL, test_supported_before_anything_else, test_names_and_order, test_core_and_caches)
