// test_image_tokens.c — the demo's IDX reader (valid and hostile files) and token encoder.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "fixture_file.h"
#include "image_tokens.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

// Writes raw bytes gzip-compressed to a fresh fixture path; returns the path.
static char *write_gz(const char *name, const void *bytes, size_t n) {
    char *path = fixture_file_path(name);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    if (n) assert_int_equal(gzwrite(gz, bytes, (unsigned)n), (int)n);
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

static void test_idx_round_trip(void **state) {
    uint8_t file[4 + 12 + 2 * 3 * 5] = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 5};
    for (int i = 0; i < 30; i++) file[16 + i] = (uint8_t)(7 * i + 1);
    char *path = write_gz("a.idx.gz", file, sizeof file);
    uint8_t *data;
    uint32_t dims[4];
    int nd;
    assert_int_equal(idx_read_u8(path, &data, dims, &nd), 0);
    assert_int_equal(nd, 3);
    assert_int_equal(dims[0], 2);
    assert_int_equal(dims[1], 3);
    assert_int_equal(dims[2], 5);
    assert_memory_equal(data, file + 16, 30);
    free(data);
    fixture_file_remove(path);
}

// Each hostile file must fail with a message containing `needle`.
static void expect_idx_error(const uint8_t *bytes, size_t n, const char *needle) {
    char *path = write_gz("bad.idx.gz", bytes, n);
    uint8_t *data = (uint8_t *)1;
    uint32_t dims[4];
    int nd;
    assert_int_equal(idx_read_u8(path, &data, dims, &nd), -1);
    assert_null(data);
    if (!strstr(w2s_error_message(), needle)) fail_msg("message '%s' lacks '%s'", w2s_error_message(), needle);
    fixture_file_remove(path);
}

static void test_idx_hostile(void **state) {
    const uint8_t empty[1] = {0};
    expect_idx_error(empty, 0, "ends inside the IDX header");
    const uint8_t magic[] = {0, 0, 0x0d, 1, 0, 0, 0, 1, 0};
    expect_idx_error(magic, sizeof magic, "not an unsigned-byte IDX");
    const uint8_t ndim[] = {0, 0, 0x08, 9};
    expect_idx_error(ndim, sizeof ndim, "9 dimensions");
    const uint8_t huge[] = {0, 0, 0x08, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4};
    expect_idx_error(huge, sizeof huge, "over");
    const uint8_t zero[] = {0, 0, 0x08, 1, 0, 0, 0, 0};
    expect_idx_error(zero, sizeof zero, "empty");
    const uint8_t short_data[] = {0, 0, 0x08, 1, 0, 0, 0, 4, 1, 2};
    expect_idx_error(short_data, sizeof short_data, "ends inside the IDX data");
    const uint8_t trailing[] = {0, 0, 0x08, 1, 0, 0, 0, 1, 1, 2};
    expect_idx_error(trailing, sizeof trailing, "trailing bytes");

    // Not gzip at all: zlib reads plain files transparently, so a raw file with a bad magic
    // must still be rejected by the header check.
    char *path = fixture_file_write("plain.idx", "hello world", 11);
    uint8_t *data;
    uint32_t dims[4];
    int nd;
    assert_int_equal(idx_read_u8(path, &data, dims, &nd), -1);
    fixture_file_remove(path);

    fmnist_split s;
    assert_int_equal(fmnist_load(&s, "/nonexistent-w2s-dir", "train"), -1);
    assert_non_null(strstr(w2s_error_message(), "apt-get install dataset-fashion-mnist"));
}

// Tokens computed by hand from docs/DEMO.md: level = (4·s) >> 10 of each 2×2 pixel sum.
static void test_encode_by_hand(void **state) {
    uint8_t img[FMNIST_PIXELS];
    int32_t tok[IMAGE_TOKENS_PER_IMAGE];
    memset(img, 0, sizeof img);
    image_tokens_encode(img, tok);
    for (int i = 0; i < IMAGE_TOKENS_PER_IMAGE; i++) assert_int_equal(tok[i], 0);
    memset(img, 255, sizeof img);
    image_tokens_encode(img, tok);  // s = 1020, level = 4080 >> 10 = 3, token = 85·3 = 255
    for (int i = 0; i < IMAGE_TOKENS_PER_IMAGE; i++) assert_int_equal(tok[i], 255);

    // Block (0,0) of the token grid covers pixels rows 0..3, cols 0..3. Give its four pooled
    // cells the sums 256 (level 1), 512 (2), 768 (3) and 255 (0): token 64·1+16·2+4·3+0 = 108.
    memset(img, 0, sizeof img);
    const unsigned sums[4] = {256, 512, 768, 255};
    const int cell_r[4] = {0, 0, 2, 2}, cell_c[4] = {0, 2, 0, 2};
    for (int k = 0; k < 4; k++) {
        unsigned left = sums[k];
        for (int d = 0; d < 4; d++) {
            unsigned v = left > 255 ? 255 : left;
            img[(cell_r[k] + d / 2) * FMNIST_SIDE + cell_c[k] + d % 2] = (uint8_t)v;
            left -= v;
        }
    }
    image_tokens_encode(img, tok);
    assert_int_equal(tok[0], 108);
    for (int i = 1; i < IMAGE_TOKENS_PER_IMAGE; i++) assert_int_equal(tok[i], 0);

    // Row-major token order: the block at token-grid row 1, column 2 covers pixel rows 4..7,
    // cols 8..11; only its top-right pooled cell (pixels 4..5 × 10..11) is full: level 3 in
    // the 16· slot, token 48, at index 7·1 + 2 = 9 (a column-major order would put it at 15).
    memset(img, 0, sizeof img);
    for (int d = 0; d < 4; d++) img[(4 + d / 2) * FMNIST_SIDE + 10 + d % 2] = 255;
    image_tokens_encode(img, tok);
    for (int i = 0; i < IMAGE_TOKENS_PER_IMAGE; i++) assert_int_equal(tok[i], i == 9 ? 48 : 0);
}

// The real files, when Debian's package is installed (setup.sh installs it): shapes, the
// published class balance (6000 / 1000 per class), and tokens in range.
static void test_real_dataset(void **state) {
    if (access(FMNIST_DIR_DEFAULT "/t10k-images-idx3-ubyte.gz", R_OK) != 0) skip();
    fmnist_split test;
    assert_int_equal(fmnist_load(&test, FMNIST_DIR_DEFAULT, "t10k"), 0);
    assert_int_equal(test.n, 10000);
    size_t per_class[FMNIST_CLASSES] = {0};
    for (size_t i = 0; i < test.n; i++) per_class[test.labels[i]]++;
    for (int c = 0; c < FMNIST_CLASSES; c++) assert_int_equal(per_class[c], 1000);
    int32_t tok[IMAGE_TOKENS_PER_IMAGE];
    for (size_t i = 0; i < test.n; i += 97) {
        image_tokens_encode(test.pixels + i * FMNIST_PIXELS, tok);
        for (int t = 0; t < IMAGE_TOKENS_PER_IMAGE; t++) assert_in_range(tok[t], 0, 255);
    }
    fmnist_free(&test);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_round_trip),
        cmocka_unit_test(test_idx_hostile),
        cmocka_unit_test(test_encode_by_hand),
        cmocka_unit_test(test_real_dataset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
