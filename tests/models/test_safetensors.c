// test_safetensors.c — safetensors reader/writer: bit-exact round trips for every dtype,
// deterministic bytes against a hand-written golden file, F16/BF16 -> f32 conversion
// (exhaustive for F16), and one hostile file per validation rule, each checked to fail with
// a message naming the file and the problem. Fixtures are built byte by byte here.
// With arguments it serves test_safetensors_torch.py instead: `--dump FILE` prints a file's
// tensors as JSON, `--write-sample FILE` writes a fixed sample file.
#include "fixture_file.h"
#include "safetensors.h"

#include "dtype.h"
#include "error.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

// ---- helpers

// An image: 8-byte little-endian header length, the header text as given, then data_size
// bytes of pattern (i * 7 + 1) & 0xff.
static uint8_t *make_image(const char *header, size_t data_size, size_t *len) {
    size_t n = strlen(header);
    *len = 8 + n + data_size;
    uint8_t *img = malloc(*len);
    assert_non_null(img);
    for (int i = 0; i < 8; i++) img[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(img + 8, header, n);
    for (size_t i = 0; i < data_size; i++) img[8 + n + i] = (uint8_t)(i * 7 + 1);
    return img;
}

static void assert_contains(const char *msg, const char *want) {
    if (!strstr(msg, want)) fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
}

// Writes img to a file, opens it, asserts failure and that the message names the file and
// contains every string in the NULL-terminated list. Also checks the memory path agrees.
static void expect_fail_image(const uint8_t *img, size_t len, ...) {
    char *path = fixture_file_write("bad.safetensors", img, len);
    w2s_error_clear();
    safetensors_file *f = safetensors_open(path);
    if (f) {
        safetensors_close(f);
        fail_msg("hostile file opened without error");
    }
    const char *msg = w2s_error_message();
    assert_contains(msg, path);
    va_list ap;
    va_start(ap, len);
    for (const char *s; (s = va_arg(ap, const char *));) assert_contains(msg, s);
    va_end(ap);
    fixture_file_remove(path);

    assert_null(safetensors_open_memory(img, len, "mem-image"));
    assert_contains(w2s_error_message(), "mem-image");
}

// Header text + data size: the usual way to make a hostile file.
#define EXPECT_FAIL(header, data_size, ...)                           \
    do {                                                              \
        size_t len_;                                                  \
        uint8_t *img_ = make_image((header), (data_size), &len_);     \
        expect_fail_image(img_, len_, __VA_ARGS__, (const char *)NULL); \
        free(img_);                                                   \
    } while (0)

static safetensors_file *open_ok_image(const char *header, size_t data_size, uint8_t **keep) {
    size_t len;
    *keep = make_image(header, data_size, &len);
    safetensors_file *f = safetensors_open_memory(*keep, len, "ok-image");
    if (!f) fail_msg("valid image rejected: %s", w2s_error_message());
    return f;
}

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, fp), *len);
    fclose(fp);
    return b;
}

// ---- round trips and determinism

static void test_roundtrip_every_dtype(void **state) {
    (void)state;
    enum { ROWS = 3, COLS = 5 };
    uint8_t *bufs[SAFETENSORS_DTYPE_COUNT];
    safetensors_writer *w = safetensors_writer_create();
    assert_non_null(w);
    size_t shape[2] = {ROWS, COLS};
    char name[64];
    // Every dtype, each with distinct bytes; an odd-sized U8 tensor first in insertion order
    // would misalign what follows if the writer kept insertion order.
    for (int d = 0; d < SAFETENSORS_DTYPE_COUNT; d++) {
        size_t nb = ROWS * COLS * safetensors_dtype_size((safetensors_dtype)d);
        bufs[d] = malloc(nb);
        assert_non_null(bufs[d]);
        for (size_t i = 0; i < nb; i++) bufs[d][i] = (uint8_t)(i * 31 + (size_t)d * 101 + 3);
        snprintf(name, sizeof name, "t.%s", safetensors_dtype_name((safetensors_dtype)d));
        assert_int_equal(safetensors_writer_add(w, name, (safetensors_dtype)d, 2, shape, bufs[d]),
                         0);
    }
    const float scalar = 2.5f;
    const size_t zero_shape[3] = {4, 0, 2};
    assert_int_equal(safetensors_writer_add(w, "scalar", SAFETENSORS_F32, 0, NULL, &scalar), 0);
    assert_int_equal(safetensors_writer_add(w, "empty", SAFETENSORS_BF16, 3, zero_shape, NULL), 0);
    assert_int_equal(safetensors_writer_set_metadata(w, "format", "pt"), 0);
    assert_int_equal(safetensors_writer_set_metadata(w, "w2s", "{\"n_layer\": 2}"), 0);
    assert_int_equal(safetensors_writer_set_metadata(w, "format", "w2s"), 0);  // replaces
    char *path = fixture_file_path("rt.safetensors");
    if (safetensors_writer_write(w, path) != 0) fail_msg("%s", w2s_error_message());
    safetensors_writer_destroy(w);

    safetensors_file *f = safetensors_open(path);
    if (!f) fail_msg("%s", w2s_error_message());
    assert_int_equal(safetensors_count(f), SAFETENSORS_DTYPE_COUNT + 2);
    for (int d = 0; d < SAFETENSORS_DTYPE_COUNT; d++) {
        snprintf(name, sizeof name, "t.%s", safetensors_dtype_name((safetensors_dtype)d));
        const safetensors_tensor *t = safetensors_find(f, name);
        assert_non_null(t);
        size_t es = safetensors_dtype_size((safetensors_dtype)d);
        assert_int_equal(t->dtype, d);
        assert_int_equal(t->ndim, 2);
        assert_int_equal(t->shape[0], ROWS);
        assert_int_equal(t->shape[1], COLS);
        assert_int_equal(t->numel, ROWS * COLS);
        assert_int_equal(t->nbytes, ROWS * COLS * es);
        assert_memory_equal(t->data, bufs[d], t->nbytes);
        // Aligned to the element size (the data buffer starts 8-aligned in the mapping).
        assert_int_equal(t->offset % es, 0);
        assert_int_equal((uintptr_t)t->data % es, 0);
        free(bufs[d]);
    }
    const safetensors_tensor *s = safetensors_find(f, "scalar"), *e = safetensors_find(f, "empty");
    assert_non_null(s);
    assert_non_null(e);
    assert_int_equal(s->ndim, 0);
    assert_int_equal(s->numel, 1);
    assert_memory_equal(s->data, &scalar, 4);
    assert_int_equal(e->ndim, 3);
    assert_int_equal(e->numel, 0);
    assert_int_equal(e->nbytes, 0);
    assert_null(safetensors_find(f, "t.F31"));
    assert_null(safetensors_find(f, "__metadata__"));
    // Iteration is by offset: strictly increasing ends that tile the buffer.
    size_t end = 0;
    for (size_t i = 0; i < safetensors_count(f); i++) {
        const safetensors_tensor *t = safetensors_tensor_at(f, i);
        assert_int_equal(t->offset, end);
        end += t->nbytes;
    }
    assert_int_equal(safetensors_metadata_count(f), 2);
    assert_string_equal(safetensors_metadata(f, "format"), "w2s");
    assert_string_equal(safetensors_metadata(f, "w2s"), "{\"n_layer\": 2}");
    assert_null(safetensors_metadata(f, "nope"));
    const char *k, *v;
    safetensors_metadata_at(f, 0, &k, &v);
    assert_string_equal(k, "format");
    assert_int_equal(safetensors_check_unchanged(f), 0);
    safetensors_close(f);
    fixture_file_remove(path);
}

// The exact bytes for a small file, written out by hand from the format description: data
// sorted by dtype size then name, compact JSON with sorted keys, space padding to 8.
static void test_golden_bytes_and_determinism(void **state) {
    (void)state;
    const float b[2] = {1.0f, -2.0f};
    const uint8_t a[3] = {7, 8, 9};
    const size_t sa = 3, sb = 2;
    char *p1 = fixture_file_path("g1.safetensors"), *p2 = fixture_file_path("g2.safetensors");
    for (int order = 0; order < 2; order++) {
        safetensors_writer *w = safetensors_writer_create();
        if (order == 0) {
            assert_int_equal(safetensors_writer_add(w, "a", SAFETENSORS_U8, 1, &sa, a), 0);
            assert_int_equal(safetensors_writer_add(w, "b", SAFETENSORS_F32, 1, &sb, b), 0);
            assert_int_equal(safetensors_writer_set_metadata(w, "k", "v"), 0);
            assert_int_equal(safetensors_writer_set_metadata(w, "j", "u"), 0);
        } else {
            assert_int_equal(safetensors_writer_set_metadata(w, "j", "u"), 0);
            assert_int_equal(safetensors_writer_add(w, "b", SAFETENSORS_F32, 1, &sb, b), 0);
            assert_int_equal(safetensors_writer_set_metadata(w, "k", "v"), 0);
            assert_int_equal(safetensors_writer_add(w, "a", SAFETENSORS_U8, 1, &sa, a), 0);
        }
        assert_int_equal(safetensors_writer_write(w, order == 0 ? p1 : p2), 0);
        safetensors_writer_destroy(w);
    }
    const char *hdr = "{\"__metadata__\":{\"j\":\"u\",\"k\":\"v\"},"
                      "\"a\":{\"data_offsets\":[8,11],\"dtype\":\"U8\",\"shape\":[3]},"
                      "\"b\":{\"data_offsets\":[0,8],\"dtype\":\"F32\",\"shape\":[2]}}";
    size_t hn = strlen(hdr), padded = (hn + 7) / 8 * 8;
    size_t want_len = 8 + padded + 11;
    uint8_t *want = malloc(want_len);
    for (int i = 0; i < 8; i++) want[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(want + 8, hdr, hn);
    memset(want + 8 + hn, ' ', padded - hn);
    memcpy(want + 8 + padded, b, 8);
    memcpy(want + 8 + padded + 8, a, 3);
    size_t n1, n2;
    uint8_t *f1 = read_all(p1, &n1), *f2 = read_all(p2, &n2);
    assert_int_equal(n1, want_len);
    assert_memory_equal(f1, want, want_len);
    assert_int_equal(n2, n1);
    assert_memory_equal(f2, f1, n1);
    free(f1);
    free(f2);
    free(want);
    fixture_file_remove(p1);
    fixture_file_remove(p2);
}

static void test_empty_file_roundtrip(void **state) {
    (void)state;
    safetensors_writer *w = safetensors_writer_create();
    char *path = fixture_file_path("empty.safetensors");
    assert_int_equal(safetensors_writer_write(w, path), 0);
    safetensors_writer_destroy(w);
    size_t n;
    uint8_t *bytes = read_all(path, &n);
    assert_int_equal(n, 16);  // "{}" padded to 8
    assert_memory_equal(bytes + 8, "{}      ", 8);
    free(bytes);
    safetensors_file *f = safetensors_open(path);
    assert_non_null(f);
    assert_int_equal(safetensors_count(f), 0);
    assert_int_equal(safetensors_metadata_count(f), 0);
    safetensors_close(f);
    fixture_file_remove(path);
}

// ---- f32 conversion

// Independent binary16 decoding (arithmetic, not bit surgery) to check the reader against.
static float f16_ref(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
    double v;
    if (exp == 0) v = ldexp(man, -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = ldexp(1024 + man, exp - 25);
    return (float)(sign ? -v : v);
}

static void test_f16_exhaustive(void **state) {
    (void)state;
    uint16_t *h = malloc(65536 * 2);
    float *out = malloc(65536 * sizeof *out);
    for (uint32_t i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    safetensors_writer *w = safetensors_writer_create();
    const size_t shape[2] = {256, 256};
    assert_int_equal(safetensors_writer_add(w, "h", SAFETENSORS_F16, 2, shape, h), 0);
    char *path = fixture_file_path("f16.safetensors");
    assert_int_equal(safetensors_writer_write(w, path), 0);
    safetensors_writer_destroy(w);
    safetensors_file *f = safetensors_open(path);
    assert_non_null(f);
    if (safetensors_read_f32(f, "h", 2, shape, out) != 0) fail_msg("%s", w2s_error_message());
    for (uint32_t i = 0; i < 65536; i++) {
        float r = f16_ref((uint16_t)i);
        if (isnan(r)) {
            if (!isnan(out[i])) fail_msg("f16 0x%04x: want NaN, got %g", i, (double)out[i]);
        } else if (memcmp(&r, &out[i], 4) != 0) {  // bitwise, so -0 differs from +0
            fail_msg("f16 0x%04x: want %a, got %a", i, (double)r, (double)out[i]);
        }
    }
    safetensors_close(f);
    fixture_file_remove(path);
    free(h);
    free(out);
}

// BF16 from an UNALIGNED offset (after a 1-byte tensor, hand-built) so UBSan catches any
// direct 2-byte load; also F32 passthrough and the dtype/shape/missing-name errors.
static void test_read_f32_conversions_and_errors(void **state) {
    (void)state;
    uint8_t *img;
    safetensors_file *f = open_ok_image(
        "{\"pad\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
        "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[1,9]},"
        "\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9,17]},"
        "\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[17,21]}}",
        21, &img);
    const safetensors_tensor *bf = safetensors_find(f, "bf");
    assert_non_null(bf);
    float out[4], want[4];
    const size_t s22[2] = {2, 2}, s2[1] = {2}, s4[1] = {4}, s23[2] = {2, 3};
    assert_int_equal(safetensors_read_f32(f, "bf", 2, s22, out), 0);
    for (int i = 0; i < 4; i++) {
        const uint8_t *p = (const uint8_t *)bf->data + 2 * i;
        want[i] = w2s_bf16_to_f32((w2s_bf16)(p[0] | p[1] << 8));
        assert_memory_equal(&out[i], &want[i], 4);
    }
    const safetensors_tensor *ft = safetensors_find(f, "f");
    assert_int_equal(safetensors_read_f32(f, "f", 1, s2, out), 0);
    assert_memory_equal(out, ft->data, 8);

    assert_int_equal(safetensors_read_f32(f, "bf", 2, s23, out), -1);
    assert_contains(w2s_error_message(), "ok-image");
    assert_contains(w2s_error_message(), "'bf'");
    assert_contains(w2s_error_message(), "[2, 2]");
    assert_contains(w2s_error_message(), "expected [2, 3]");
    assert_int_equal(safetensors_read_f32(f, "bf", 1, s4, out), -1);
    assert_contains(w2s_error_message(), "expected [4]");
    assert_int_equal(safetensors_read_f32(f, "nope", 1, s2, out), -1);
    assert_contains(w2s_error_message(), "'nope' not found");
    const size_t s1[1] = {1};
    assert_int_equal(safetensors_read_f32(f, "i", 1, s1, out), -1);
    assert_contains(w2s_error_message(), "'i' has dtype I32");
    safetensors_close(f);
    free(img);

    // Known F16 values (1, -2, 65504, smallest subnormal) through the public call.
    const uint16_t h[4] = {0x3c00, 0xc000, 0x7bff, 0x0001};
    const float hw[4] = {1.0f, -2.0f, 65504.0f, 0x1p-24f};
    safetensors_writer *w = safetensors_writer_create();
    assert_int_equal(safetensors_writer_add(w, "h", SAFETENSORS_F16, 1, s4, h), 0);
    char *path = fixture_file_path("h.safetensors");
    assert_int_equal(safetensors_writer_write(w, path), 0);
    safetensors_writer_destroy(w);
    f = safetensors_open(path);
    assert_non_null(f);
    assert_int_equal(safetensors_read_f32(f, "h", 1, s4, out), 0);
    assert_memory_equal(out, hw, sizeof hw);
    safetensors_close(f);
    fixture_file_remove(path);
}

// ---- hostile files: one per validation rule

#define T(name, rest) "\"" name "\":{" rest "}"
#define E(dtype, shape, offs) "\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs

static void test_reject_short_and_header_length(void **state) {
    (void)state;
    const uint8_t five[5] = {1, 0, 0, 0, 0};
    expect_fail_image(five, 5, "5 bytes", "too short", (const char *)NULL);
    expect_fail_image(five, 0, "0 bytes", "too short", (const char *)NULL);
    uint8_t huge[16] = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'};  // N = 2^40
    expect_fail_image(huge, sizeof huge, "header length 1099511627776", "exceeds",
                      (const char *)NULL);
    uint8_t all_ones[8];
    memset(all_ones, 0xff, 8);  // N = 2^64 - 1: must not wrap when added to 8
    expect_fail_image(all_ones, 8, "header length 18446744073709551615", "exceeds",
                      (const char *)NULL);
    uint8_t past[20] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    expect_fail_image(past, sizeof past, "header length 100", "runs past the end of the file",
                      "20 bytes", (const char *)NULL);
}

static void test_reject_bad_json(void **state) {
    (void)state;
    EXPECT_FAIL("{\"a\": ", 0, "not valid JSON");
    EXPECT_FAIL("", 0, "not valid JSON");
    EXPECT_FAIL("[1, 2]", 0, "not a JSON object");
    EXPECT_FAIL("{\"x\":{\"dtype\":\"\xff\"}}", 0, "not valid UTF-8", "0xff");
    EXPECT_FAIL("{\"\xc0\xaf\":{}}", 0, "not valid UTF-8", "0xc0");        // overlong '/'
    EXPECT_FAIL("{\"\xed\xa0\x80\":{}}", 0, "not valid UTF-8");            // surrogate
    EXPECT_FAIL("{\"a\xe2\x82\":{}}", 0, "not valid UTF-8");               // truncated seq
    EXPECT_FAIL("{\"a\\u0000b\":{}}", 0, "not valid JSON");                 // NUL in a name
    EXPECT_FAIL("{" T("w", E("F32", "[1]", "[0,4]")) "," T("w", E("F32", "[1]", "[4,8]")) "}", 8,
                "not valid JSON", "duplicate");
    EXPECT_FAIL("{\"big\":{\"dtype\":\"U8\",\"shape\":[1],"
                "\"data_offsets\":[0,18446744073709551616]}}", 1, "not valid JSON");
}

static void test_reject_bad_entries(void **state) {
    (void)state;
    EXPECT_FAIL("{\"a\":5}", 0, "tensor 'a'", "not an object");
    EXPECT_FAIL("{" T("a", E("F33", "[1]", "[0,4]")) "}", 4, "tensor 'a'", "unknown dtype \"F33\"");
    EXPECT_FAIL("{" T("a", "\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]") "}", 4,
                "tensor 'a'", "unknown dtype (not a string)");
    EXPECT_FAIL("{" T("a", "\"dtype\":\"F32\",\"shape\":[1]") "}", 4, "tensor 'a'",
                "missing field \"data_offsets\"");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[0,4]") ",\"offsets\":[0,4]") "}", 4, "tensor 'a'",
                "unknown field \"offsets\"");
    EXPECT_FAIL("{" T("a", E("F32", "3", "[0,12]")) "}", 12, "tensor 'a'",
                "shape is not an array");
    EXPECT_FAIL("{" T("a", E("F32", "[2,-1]", "[0,4]")) "}", 4, "tensor 'a'",
                "shape[1] is not a non-negative integer");
    EXPECT_FAIL("{" T("a", E("F32", "[2.0]", "[0,8]")) "}", 8, "tensor 'a'",
                "shape[0] is not a non-negative integer");
    EXPECT_FAIL("{" T("a", E("F32", "[\"2\"]", "[0,8]")) "}", 8, "shape[0]");
    EXPECT_FAIL("{" T("a", E("U8", "[1,1,1,1,1,1,1,1,1]", "[0,1]")) "}", 1, "tensor 'a'",
                "9 dims");
    EXPECT_FAIL("{" T("a", E("F32", "[4294967296,4294967296,16]", "[0,4]")) "}", 4, "tensor 'a'",
                "[4294967296, 4294967296, 16]", "overflows");
    EXPECT_FAIL("{" T("a", E("U8", "[4294967296,4294967296]", "[0,4]")) "}", 4, "overflows");
}

static void test_reject_bad_offsets(void **state) {
    (void)state;
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[0]")) "}", 4, "tensor 'a'",
                "data_offsets is not [begin, end]");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "{}")) "}", 4, "data_offsets is not [begin, end]");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[0,-4]")) "}", 4, "data_offsets is not [begin, end]");
    EXPECT_FAIL("{" T("a", E("F32", "[0]", "[8,4]")) "}", 8, "tensor 'a'", "begin > end");
    EXPECT_FAIL("{" T("a", E("F32", "[2]", "[0,8]")) "}", 4, "tensor 'a'",
                "runs past the end of the data buffer (4 bytes)");
    EXPECT_FAIL("{" T("a", E("U8", "[1]", "[9223372036854775806,9223372036854775807]")) "}", 4,
                "runs past the end of the data buffer");
    EXPECT_FAIL("{" T("a", E("F32", "[3]", "[0,8]")) "}", 8, "tensor 'a'",
                "span 8 bytes but shape [3] of F32 needs 12");
    EXPECT_FAIL("{" T("a", E("F32", "[2]", "[0,8]")) "," T("b", E("F32", "[2]", "[4,12]")) "}", 12,
                "tensor 'b' (bytes 4..12) overlaps tensor 'a'");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[0,4]")) "," T("b", E("F32", "[1]", "[0,4]")) "}", 4,
                "overlaps");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[0,4]")) "," T("b", E("F32", "[1]", "[8,12]")) "}", 12,
                "bytes 4..8", "belong to no tensor", "'b'");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[4,8]")) "}", 8, "bytes 0..4", "belong to no tensor");
    EXPECT_FAIL("{" T("a", E("F32", "[1]", "[0,4]")) "}", 6, "6 bytes", "cover only 4",
                "trailing");
    EXPECT_FAIL("{}", 3, "3 bytes", "cover only 0");
}

static void test_reject_bad_metadata(void **state) {
    (void)state;
    EXPECT_FAIL("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__[\"k\"] is not a string");
    EXPECT_FAIL("{\"__metadata__\":{\"k\":null}}", 0, "__metadata__[\"k\"] is not a string");
    EXPECT_FAIL("{\"__metadata__\":{\"k\":{\"a\":\"b\"}}}", 0, "is not a string");
    EXPECT_FAIL("{\"__metadata__\":[\"k\"]}", 0, "\"__metadata__\" is not an object");
    EXPECT_FAIL("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, "duplicate");
}

// Lenient where the reference is: padding spaces, zero-size tensors anywhere in the tiling,
// header length not a multiple of 8, key order free.
static void test_accept_valid_variants(void **state) {
    (void)state;
    uint8_t *img;
    safetensors_file *f = open_ok_image(
        "{" T("z", E("BF16", "[0,3]", "[4,4]")) "," T("b", E("U8", "[4]", "[0,4]")) ","
        "\"__metadata__\":{}," T("c", E("I8", "[]", "[4,5]")) "}   ",
        5, &img);
    assert_int_equal(safetensors_count(f), 3);
    assert_string_equal(safetensors_tensor_at(f, 0)->name, "b");
    assert_string_equal(safetensors_tensor_at(f, 1)->name, "z");
    assert_string_equal(safetensors_tensor_at(f, 2)->name, "c");
    assert_int_equal(safetensors_find(f, "c")->numel, 1);
    assert_int_equal(safetensors_find(f, "c")->ndim, 0);
    assert_int_equal(((const uint8_t *)safetensors_find(f, "c")->data)[0], (uint8_t)(4 * 7 + 1));
    safetensors_close(f);
    free(img);
}

static void test_open_missing_and_directory(void **state) {
    (void)state;
    assert_null(safetensors_open("/nonexistent-dir/x.safetensors"));
    assert_contains(w2s_error_message(), "cannot open /nonexistent-dir/x.safetensors");
    assert_null(safetensors_open("/tmp"));
    assert_contains(w2s_error_message(), "not a regular file");
}

// A file modified in place after open is reported; one replaced by rename is not (the
// mapping keeps the old inode, so reads stay consistent).
static void test_check_unchanged(void **state) {
    (void)state;
    const float x[2] = {1, 2};
    const size_t s = 2;
    safetensors_writer *w = safetensors_writer_create();
    assert_int_equal(safetensors_writer_add(w, "x", SAFETENSORS_F32, 1, &s, x), 0);
    char *path = fixture_file_path("cu.safetensors");
    assert_int_equal(safetensors_writer_write(w, path), 0);
    safetensors_file *f = safetensors_open(path);
    assert_non_null(f);
    assert_int_equal(safetensors_writer_write(w, path), 0);  // atomic replace
    assert_int_equal(safetensors_check_unchanged(f), 0);
    safetensors_close(f);

    f = safetensors_open(path);
    assert_non_null(f);
    FILE *fp = fopen(path, "ab");
    assert_non_null(fp);
    fputc('!', fp);
    fclose(fp);
    assert_int_equal(safetensors_check_unchanged(f), -1);
    assert_contains(w2s_error_message(), path);
    assert_contains(w2s_error_message(), "modified in place");
    safetensors_close(f);
    safetensors_writer_destroy(w);
    fixture_file_remove(path);
}

static void test_writer_rejects(void **state) {
    (void)state;
    safetensors_writer *w = safetensors_writer_create();
    const float x = 1;
    const size_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, big[2] = {SIZE_MAX / 2, 4};
    assert_int_equal(safetensors_writer_add(w, "x", SAFETENSORS_F32, 0, NULL, &x), 0);
    assert_int_equal(safetensors_writer_add(w, "x", SAFETENSORS_F32, 0, NULL, &x), -1);
    assert_contains(w2s_error_message(), "duplicate tensor name 'x'");
    assert_int_equal(safetensors_writer_add(w, "", SAFETENSORS_F32, 0, NULL, &x), -1);
    assert_int_equal(safetensors_writer_add(w, "__metadata__", SAFETENSORS_F32, 0, NULL, &x), -1);
    assert_int_equal(safetensors_writer_add(w, "bad\xff", SAFETENSORS_F32, 0, NULL, &x), -1);
    assert_contains(w2s_error_message(), "invalid tensor name");
    assert_int_equal(safetensors_writer_add(w, "y", SAFETENSORS_F32, 9, s9, &x), -1);
    assert_contains(w2s_error_message(), "9 dims");
    assert_int_equal(safetensors_writer_add(w, "y", SAFETENSORS_F32, 2, big, &x), -1);
    assert_contains(w2s_error_message(), "too large");
    assert_int_equal(safetensors_writer_add(w, "y", SAFETENSORS_DTYPE_COUNT, 0, NULL, &x), -1);
    assert_int_equal(safetensors_writer_set_metadata(w, "k", "\xc3"), -1);
    assert_int_equal(safetensors_writer_write(w, "/nonexistent-dir/out.safetensors"), -1);
    assert_contains(w2s_error_message(), "/nonexistent-dir/out.safetensors");
    safetensors_writer_destroy(w);
}

// Every single-byte corruption of a valid file's header (8 values per byte) must be either
// accepted or rejected with a message — never crash or read out of bounds (run under ASan).
static void test_header_mutations_do_not_crash(void **state) {
    (void)state;
    size_t len;
    uint8_t *img = make_image(
        "{\"__metadata__\":{\"a\":\"b\"}," T("w", E("F16", "[2,3]", "[0,12]")) ","
        T("v", E("I64", "[1]", "[12,20]")) "}",
        20, &len);
    const uint8_t vals[8] = {0, '"', '{', '[', '9', '-', 0x80, 0xff};
    size_t accepted = 0;
    for (size_t i = 0; i < len - 20; i++)
        for (int k = 0; k < 8; k++) {
            uint8_t *m = malloc(len);
            memcpy(m, img, len);
            m[i] = vals[k];
            w2s_error_clear();
            safetensors_file *f = safetensors_open_memory(m, len, "mut");
            if (f) {
                accepted++;
                float tmp[6];
                for (size_t t = 0; t < safetensors_count(f); t++) {
                    const safetensors_tensor *tt = safetensors_tensor_at(f, t);
                    if (tt->numel <= 6) safetensors_tensor_to_f32(f, tt, tmp);
                }
            } else {
                assert_true(w2s_error_message()[0] != 0);
            }
            safetensors_close(f);
            free(m);
        }
    assert_true(accepted > 0);  // e.g. changing a metadata character keeps the file valid
    free(img);
}

// ---- modes for the PyTorch cross-check (tests/models/test_safetensors_torch.py)

static void hex_append(json_t *obj, const char *key, const void *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char *h = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = digits[((const uint8_t *)p)[i] >> 4];
        h[2 * i + 1] = digits[((const uint8_t *)p)[i] & 15];
    }
    h[2 * n] = 0;
    json_object_set_new(obj, key, json_string(h));
    free(h);
}

// {"metadata": {..}, "tensors": {name: {"dtype", "shape", "offset", "hex" (raw bytes),
// "f32_hex" (safetensors_read_f32 output, for F32/F16/BF16)}}} on stdout.
static int dump(const char *path) {
    safetensors_file *f = safetensors_open(path);
    if (!f) {
        fprintf(stderr, "%s\n", w2s_error_message());
        return 1;
    }
    json_t *root = json_object(), *meta = json_object(), *tensors = json_object();
    for (size_t i = 0; i < safetensors_metadata_count(f); i++) {
        const char *k, *v;
        safetensors_metadata_at(f, i, &k, &v);
        json_object_set_new(meta, k, json_string(v));
    }
    for (size_t i = 0; i < safetensors_count(f); i++) {
        const safetensors_tensor *t = safetensors_tensor_at(f, i);
        json_t *o = json_object(), *shape = json_array();
        for (int d = 0; d < t->ndim; d++)
            json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
        json_object_set_new(o, "dtype", json_string(safetensors_dtype_name(t->dtype)));
        json_object_set_new(o, "shape", shape);
        json_object_set_new(o, "offset", json_integer((json_int_t)t->offset));
        hex_append(o, "hex", t->data, t->nbytes);
        if (t->dtype == SAFETENSORS_F32 || t->dtype == SAFETENSORS_F16 ||
            t->dtype == SAFETENSORS_BF16) {
            float *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
            if (safetensors_read_f32(f, t->name, t->ndim, t->shape, x) != 0) {
                fprintf(stderr, "%s\n", w2s_error_message());
                return 1;
            }
            hex_append(o, "f32_hex", x, t->numel * sizeof *x);
            free(x);
        }
        json_object_set_new(tensors, t->name, o);
    }
    json_object_set_new(root, "metadata", meta);
    json_object_set_new(root, "tensors", tensors);
    json_dumpf(root, stdout, JSON_COMPACT);
    json_decref(root);
    safetensors_close(f);
    return 0;
}

// The sample the Python side checks value by value (keep the two in sync).
static int write_sample(const char *path) {
    float w[6];
    for (int i = 0; i < 6; i++) w[i] = (float)i * 0.5f - 1.0f;
    const uint16_t h[4] = {0x3c00, 0xc000, 0x7bff, 0x0001};  // 1, -2, 65504, 2^-24
    w2s_bf16 b[3] = {w2s_f32_to_bf16(1.0f), w2s_f32_to_bf16(-3.5f), w2s_f32_to_bf16(1e30f)};
    const int64_t i64[2] = {-1, (int64_t)1 << 40};
    const uint8_t u[5] = {0, 1, 127, 128, 255};
    const size_t s23[2] = {2, 3}, s4 = 4, s3 = 3, s2 = 2, s5 = 5;
    safetensors_writer *wr = safetensors_writer_create();
    int rc = safetensors_writer_add(wr, "u", SAFETENSORS_U8, 1, &s5, u) ||
             safetensors_writer_add(wr, "w", SAFETENSORS_F32, 2, s23, w) ||
             safetensors_writer_add(wr, "h", SAFETENSORS_F16, 1, &s4, h) ||
             safetensors_writer_add(wr, "b", SAFETENSORS_BF16, 1, &s3, b) ||
             safetensors_writer_add(wr, "i", SAFETENSORS_I64, 1, &s2, i64) ||
             safetensors_writer_set_metadata(wr, "format", "pt") ||
             safetensors_writer_write(wr, path);
    safetensors_writer_destroy(wr);
    if (rc) fprintf(stderr, "%s\n", w2s_error_message());
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return dump(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--write-sample") == 0) return write_sample(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_dtype),
        cmocka_unit_test(test_golden_bytes_and_determinism),
        cmocka_unit_test(test_empty_file_roundtrip),
        cmocka_unit_test(test_f16_exhaustive),
        cmocka_unit_test(test_read_f32_conversions_and_errors),
        cmocka_unit_test(test_reject_short_and_header_length),
        cmocka_unit_test(test_reject_bad_json),
        cmocka_unit_test(test_reject_bad_entries),
        cmocka_unit_test(test_reject_bad_offsets),
        cmocka_unit_test(test_reject_bad_metadata),
        cmocka_unit_test(test_accept_valid_variants),
        cmocka_unit_test(test_open_missing_and_directory),
        cmocka_unit_test(test_check_unchanged),
        cmocka_unit_test(test_writer_rejects),
        cmocka_unit_test(test_header_mutations_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
