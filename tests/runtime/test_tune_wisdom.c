// test_tune_wisdom.c — the stored GEMM configuration (runtime/tune/tune_wisdom.c) in a scratch
// $XDG_CACHE_HOME: a saved choice is loaded and installed (gemm() then runs its kernel and
// blocking, `source` names the file); a corrupt file, a file for another CPU, for another w2s
// version, or naming a kernel this CPU cannot run is ignored with a note naming the reason,
// and the built-in configuration stays. Also the tuner's choice rule (tune_choose).
#include "gemm_config.h"
#include "gemm_kernel.h"
#include "tune.h"
#include "tune_wisdom.h"

#include "error.h"
#include "fileio.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_main.h"

static char scratch[256], path[W2S_PATH_MAX], builtin_src[4352];
static gemm_config_set builtin;

static int setup(void **state) {
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/w2s_test_wisdom_XXXXXX");
    if (!mkdtemp(scratch)) return -1;
    setenv("XDG_CACHE_HOME", scratch, 1);
    if (tune_wisdom_path(path, sizeof path)) return -1;
    const char *src;
    gemm_config_active(&builtin, &src);
    snprintf(builtin_src, sizeof builtin_src, "%s", src);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

// A configuration other than the built-in one, from the tuner's candidates.
static gemm_config_set other_config(void) {
    gemm_config_set s = builtin;
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        gemm_config cand[TUNE_MAX_CANDIDATES];
        size_t n = gemm_config_candidates((gemm_type)t, cand, TUNE_MAX_CANDIDATES);
        if (n > 1) s.type[t] = cand[n - 1];
    }
    return s;
}

static void write_text(const char *text) { assert_int_equal(w2s_write_file_atomic(path, text, strlen(text)), 0); }

static void save_then_edit(const char *from, const char *to) {
    gemm_config_set s = other_config();
    tune_wisdom_meta meta = {.threads = 2, .seconds = 1.0};
    snprintf(meta.arch, sizeof meta.arch, "gpt2");
    snprintf(meta.when, sizeof meta.when, "2026-01-01T00:00:00Z");
    assert_int_equal(tune_wisdom_save(&s, &meta), 0);
    size_t n;
    char *text = w2s_read_file(path, 1 << 20, &n);
    assert_non_null(text);
    char *at = strstr(text, from);
    assert_non_null(at);
    char edited[1 << 14];
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    write_text(edited);
}

// Loads the file and expects it to be ignored with a note containing `why`, the built-in
// configuration still installed after tune_wisdom_apply.
static void expect_ignored(const char *why) {
    gemm_config_set s;
    char note[W2S_PATH_MAX + 512];
    assert_int_equal(tune_wisdom_load(&s, NULL, note, sizeof note), 2);
    printf("  note: %s\n", note);
    assert_non_null(strstr(note, path));
    assert_non_null(strstr(note, why));
    assert_int_equal(tune_wisdom_apply(NULL), 0);
    const char *src;
    gemm_config_active(&s, &src);
    assert_memory_equal(&s, &builtin, sizeof s);
    assert_string_equal(src, builtin_src);
}

static void test_absent(void **state) {
    (void)state;
    remove(path);
    gemm_config_set s;
    char note[W2S_PATH_MAX + 512];
    assert_int_equal(tune_wisdom_load(&s, NULL, note, sizeof note), 1);
    assert_int_equal(tune_wisdom_apply(NULL), 0);
}

static void test_stored_choice_used(void **state) {
    (void)state;
    gemm_config_set want = other_config();
    tune_wisdom_meta meta = {.threads = 2, .seconds = 3.5};
    snprintf(meta.arch, sizeof meta.arch, "gpt2-medium");
    snprintf(meta.when, sizeof meta.when, "2026-01-01T00:00:00Z");
    assert_int_equal(tune_wisdom_save(&want, &meta), 0);
    gemm_config_set got;
    tune_wisdom_meta gm;
    char note[W2S_PATH_MAX + 512];
    assert_int_equal(tune_wisdom_load(&got, &gm, note, sizeof note), 0);
    assert_memory_equal(&got, &want, sizeof got);
    assert_string_equal(gm.arch, "gpt2-medium");
    assert_int_equal(tune_wisdom_apply(stderr), 1);
    const char *src;
    gemm_config_active(&got, &src);
    assert_memory_equal(&got, &want, sizeof got);
    assert_non_null(strstr(src, "wisdom"));
    assert_non_null(strstr(src, path));
    // gemm() now runs the stored tile and blocking.
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        const gemm_kernel *k = gemm_kernel_find((gemm_type)t, w2s_isa_active());
        assert_string_equal(k->name, want.type[t].kernel);
        assert_int_equal(k->kc, want.type[t].kc);
        assert_int_equal(k->mc, want.type[t].mc);
        assert_int_equal(k->split, want.type[t].split);
    }
    assert_int_equal(gemm_config_install(&builtin, builtin_src), 0);
}

static void test_corrupt(void **state) {
    (void)state;
    write_text("{\"format\": \"w2s-gemm-wisdom\", \"configs\": {");  // cut short
    expect_ignored("not a wisdom file");
    write_text("\x01\x02 not json at all");
    expect_ignored("not a wisdom file");
    write_text("[1, 2, 3]");
    expect_ignored("not a wisdom file");
    save_then_edit("\"kc\"", "\"kc_\"");
    expect_ignored("malformed");
    save_then_edit("\"mc\": ", "\"mc\": -");
    expect_ignored("malformed");
    save_then_edit("\"split\": \"", "\"split\": \"x");
    expect_ignored("malformed");
}

static void test_foreign(void **state) {
    (void)state;
    char sig[256];
    tune_cpu_signature(sig, sizeof sig);
    save_then_edit(sig, "GenuineIntel 6/143/8 Intel(R) Xeon(R) Platinum 8480+ L1d 48K L2 2048K L3 107520K isa avx512_bf16");
    expect_ignored("another CPU");
    save_then_edit("\"w2s_version\": \"" W2S_VERSION_STRING "\"", "\"w2s_version\": \"0.0.1-old\"");
    expect_ignored("w2s 0.0.1-old");
    // A kernel this CPU's level does not run (or that does not exist).
    gemm_config_set s = other_config();
    save_then_edit(s.type[GEMM_F32].kernel, "gemm_f32_neon_8x12");
    expect_ignored("gemm_f32_neon_8x12");
}

// The tuner keeps the built-in (candidate 0) unless another is min_gain faster in sum without
// losing any shape by more than max_shape_loss.
static void test_choose(void **state) {
    (void)state;
    const tune_options opt = {.min_gain = 0.02, .max_shape_loss = 0.03};
    const double secs[4] = {10.0, 9.0, 9.5, 9.9}, worst_ok[4] = {1.0, 0.98, 0.99, 1.0};
    assert_int_equal(tune_choose(secs, worst_ok, 4, &opt), 1);          // fastest, no shape lost
    const double worst_bad[4] = {1.0, 0.90, 0.99, 1.0};
    assert_int_equal(tune_choose(secs, worst_bad, 4, &opt), 2);         // 1 loses a shape by 10%
    const double worst_all_bad[4] = {1.0, 0.90, 0.96, 1.0};
    assert_int_equal(tune_choose(secs, worst_all_bad, 4, &opt), 0);     // 3 is under min_gain
    const double close[2] = {10.0, 9.85}, worst2[2] = {1.0, 1.0};
    assert_int_equal(tune_choose(close, worst2, 2, &opt), 0);           // 1.5% is not enough
    assert_int_equal(tune_choose(secs, worst_ok, 1, &opt), 0);          // only the built-in
}

W2S_TEST_MAIN(setup, teardown, test_absent, test_stored_choice_used, test_corrupt, test_foreign, test_choose)
