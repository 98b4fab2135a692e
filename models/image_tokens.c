// image_tokens.c — gzip'ed IDX reader and the demo's image → token encoder (image_tokens.h).
#include "image_tokens.h"

#include "error.h"
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

// Largest IDX payload accepted: Fashion-MNIST train is 47 MB; 1 GiB bounds hostile headers.
#define IDX_MAX_BYTES ((size_t)1 << 30)

static int gz_read_exact(gzFile gz, void *buf, size_t n, const char *path, const char *what) {
    size_t done = 0;
    while (done < n) {
        unsigned chunk = n - done > (1u << 30) ? (1u << 30) : (unsigned)(n - done);
        int got = gzread(gz, (char *)buf + done, chunk);
        if (got < 0) {
            int zerr;
            return W2S_FAIL("%s: corrupt gzip data while reading %s (%s)", path, what, gzerror(gz, &zerr));
        }
        if (got == 0) return W2S_FAIL("%s: file ends inside the %s (%zu of %zu bytes)", path, what, done, n);
        done += (size_t)got;
    }
    return 0;
}

int idx_read_u8(const char *path, uint8_t **data, uint32_t dims[4], int *ndim) {
    *data = NULL;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        return W2S_FAIL("cannot open %s: %s", path, errno ? strerror(errno) : "gzopen failed");
    }
    uint8_t head[4];
    if (gz_read_exact(gz, head, 4, path, "IDX header") != 0) goto fail;
    if (head[0] != 0 || head[1] != 0 || head[2] != 0x08) {
        W2S_FAIL("%s: not an unsigned-byte IDX file (magic %02x %02x %02x)", path, head[0], head[1], head[2]);
        goto fail;
    }
    if (head[3] < 1 || head[3] > 4) {
        W2S_FAIL("%s: IDX file declares %u dimensions (1 to 4 supported)", path, head[3]);
        goto fail;
    }
    *ndim = head[3];
    size_t total = 1;
    for (int d = 0; d < *ndim; d++) {
        uint8_t be[4];
        if (gz_read_exact(gz, be, 4, path, "IDX dimensions") != 0) goto fail;
        dims[d] = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
        if (dims[d] == 0 || total > IDX_MAX_BYTES / dims[d]) {
            W2S_FAIL("%s: dimension %d is %u: the payload would be empty or over %zu bytes", path, d, dims[d],
                     IDX_MAX_BYTES);
            goto fail;
        }
        total *= dims[d];
    }
    *data = malloc(total);
    if (!*data) {
        W2S_FAIL("%s: out of memory for %zu bytes", path, total);
        goto fail;
    }
    if (gz_read_exact(gz, *data, total, path, "IDX data") != 0) goto fail;
    uint8_t extra;
    if (gzread(gz, &extra, 1) != 0) {
        W2S_FAIL("%s: trailing bytes after the %zu declared by the header", path, total);
        goto fail;
    }
    gzclose(gz);
    return 0;
fail:
    free(*data);
    *data = NULL;
    gzclose(gz);
    return -1;
}

int fmnist_load(fmnist_split *split, const char *dir, const char *prefix) {
    memset(split, 0, sizeof *split);
    char img_path[W2S_PATH_MAX], lab_path[W2S_PATH_MAX];
    if (w2s_path_format(img_path, sizeof img_path, "%s/%s-images-idx3-ubyte.gz", dir, prefix) ||
        w2s_path_format(lab_path, sizeof lab_path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix))
        return -1;
    uint32_t idims[4], ldims[4];
    int ind, lnd;
    if (idx_read_u8(img_path, &split->pixels, idims, &ind) != 0) {
        if (errno == ENOENT)
            w2s_error_wrap("Fashion-MNIST is missing (install it with: apt-get install dataset-fashion-mnist)");
        return -1;
    }
    if (idx_read_u8(lab_path, &split->labels, ldims, &lnd) != 0) {
        fmnist_free(split);
        return -1;
    }
    if (ind != 3 || idims[1] != FMNIST_SIDE || idims[2] != FMNIST_SIDE) {
        fmnist_free(split);
        return W2S_FAIL("%s: expected images of shape (n, 28, 28)", img_path);
    }
    if (lnd != 1 || ldims[0] != idims[0]) {
        fmnist_free(split);
        return W2S_FAIL("%s: expected %u labels to match the images", lab_path, idims[0]);
    }
    split->n = idims[0];
    for (size_t i = 0; i < split->n; i++)
        if (split->labels[i] >= FMNIST_CLASSES) {
            int bad = split->labels[i];
            fmnist_free(split);
            return W2S_FAIL("%s: label %d of image %zu is not a class 0..9", lab_path, bad, i);
        }
    return 0;
}

void fmnist_free(fmnist_split *split) {
    free(split->pixels);
    free(split->labels);
    memset(split, 0, sizeof *split);
}

void image_tokens_encode(const uint8_t *pixels, int32_t *tokens) {
    // level[r][c] on the 14×14 grid: 2×2 sum s ∈ 0..1020, level = (4·s) >> 10 ∈ 0..3.
    uint8_t level[14][14];
    for (int r = 0; r < 14; r++)
        for (int c = 0; c < 14; c++) {
            const uint8_t *p = pixels + (2 * r) * FMNIST_SIDE + 2 * c;
            unsigned s = p[0] + p[1] + p[FMNIST_SIDE] + p[FMNIST_SIDE + 1];
            level[r][c] = (uint8_t)((4 * s) >> 10);
        }
    for (int r = 0; r < 7; r++)
        for (int c = 0; c < 7; c++)
            tokens[7 * r + c] = 64 * level[2 * r][2 * c] + 16 * level[2 * r][2 * c + 1] +
                                4 * level[2 * r + 1][2 * c] + level[2 * r + 1][2 * c + 1];
}
