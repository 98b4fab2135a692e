// image_tokens.h — the built-in demo's data: Fashion-MNIST IDX files and the image → token
// encoder of docs/DEMO.md (2×2 sum pooling to 4 levels, one token per 2×2 block of levels).
// Reads the gzip'ed IDX files Debian's dataset-fashion-mnist installs; validates every header
// field against the file's real size. Not a general image library.
#ifndef W2S_MODELS_IMAGE_TOKENS_H
#define W2S_MODELS_IMAGE_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#define FMNIST_DIR_DEFAULT "/usr/share/datasets/fashion-mnist"
#define FMNIST_SIDE 28
#define FMNIST_PIXELS (FMNIST_SIDE * FMNIST_SIDE)
#define FMNIST_CLASSES 10

// Token vocabulary of the demo (docs/DEMO.md "Tokens").
#define IMAGE_TOKENS_PER_IMAGE 49    // 7×7 blocks of 2×2 levels
#define IMAGE_TOKEN_CAPTION0 256     // caption token = 256 + class
#define IMAGE_TOKEN_BOS 266
#define IMAGE_TOKEN_VOCAB_OUT 266    // outputs: 256 block tokens + 10 captions
#define IMAGE_TOKEN_VOCAB_IN 267     // embedding rows: + BOS

typedef struct {
    size_t n;            // number of images
    uint8_t *pixels;     // (n, 28, 28) row-major
    uint8_t *labels;     // (n) class 0..9
} fmnist_split;

// Loads "<dir>/<prefix>-images-idx3-ubyte.gz" and "<dir>/<prefix>-labels-idx1-ubyte.gz"
// (prefix "train" or "t10k"). On failure returns -1 with a message that says how to install
// the Debian package when the files are missing.
int fmnist_load(fmnist_split *split, const char *dir, const char *prefix);
void fmnist_free(fmnist_split *split);

// Reads one gzip'ed IDX file: byte 2 = element type (0x08, u8 only), byte 3 = number of dims,
// then one big-endian u32 per dim, then the data. *data is malloc'ed; dims[0..*ndim).
int idx_read_u8(const char *path, uint8_t **data, uint32_t dims[4], int *ndim);

// Encodes one 28×28 image into 49 tokens in 0..255 (docs/DEMO.md steps 1–2).
void image_tokens_encode(const uint8_t *pixels /* (28, 28) */, int32_t *tokens /* (49) */);

#endif
