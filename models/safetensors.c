// safetensors.c — validating reader (mmap) and deterministic atomic writer for safetensors.
// Not a tensor library: bytes in, bytes out, plus F16/BF16 -> f32 conversion.
// Every number read from a file is range-checked with overflow-checked arithmetic before
// it is used as a length or offset; the checks mirror the reference implementation
// (huggingface/safetensors, safetensors/src/tensor.rs) and are listed in safetensors.h.
#include "safetensors.h"

#include "error.h"
#include "fileio.h"
#include "prof.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// The format is little-endian and so is every data pointer handed out: refuse to build
// where that would silently byte-swap every tensor.
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors.c assumes little-endian");

#define METADATA_KEY "__metadata__"

// ---- dtypes

static const struct {
    const char *name;
    size_t size;
} dtype_info[SAFETENSORS_DTYPE_COUNT] = {
    [SAFETENSORS_BOOL] = {"BOOL", 1},       [SAFETENSORS_U8] = {"U8", 1},
    [SAFETENSORS_I8] = {"I8", 1},           [SAFETENSORS_F8_E5M2] = {"F8_E5M2", 1},
    [SAFETENSORS_F8_E4M3] = {"F8_E4M3", 1}, [SAFETENSORS_I16] = {"I16", 2},
    [SAFETENSORS_U16] = {"U16", 2},         [SAFETENSORS_F16] = {"F16", 2},
    [SAFETENSORS_BF16] = {"BF16", 2},       [SAFETENSORS_I32] = {"I32", 4},
    [SAFETENSORS_U32] = {"U32", 4},         [SAFETENSORS_F32] = {"F32", 4},
    [SAFETENSORS_I64] = {"I64", 8},         [SAFETENSORS_U64] = {"U64", 8},
    [SAFETENSORS_F64] = {"F64", 8},
};

size_t safetensors_dtype_size(safetensors_dtype t) {
    return (unsigned)t < SAFETENSORS_DTYPE_COUNT ? dtype_info[t].size : 0;
}

const char *safetensors_dtype_name(safetensors_dtype t) {
    return (unsigned)t < SAFETENSORS_DTYPE_COUNT ? dtype_info[t].name : "?";
}

int safetensors_dtype_parse(const char *s, safetensors_dtype *out) {
    for (int i = 0; i < SAFETENSORS_DTYPE_COUNT; i++)
        if (strcmp(s, dtype_info[i].name) == 0) {
            *out = (safetensors_dtype)i;
            return 0;
        }
    return -1;
}

// ---- helpers shared by reader and writer

// Returns the offset of the first byte that is not part of well-formed UTF-8 (overlongs,
// surrogates and code points above U+10FFFF are malformed), or n if all of s[0..n) is valid.
static size_t utf8_invalid_at(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;       // overlong
            else if (c == 0xed) hi = 0x9f;  // UTF-16 surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;       // overlong
            else if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
        } else return i;
        if (n - i < len) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return i;
        i += len;
    }
    return n;
}

static int utf8_valid(const char *s) {
    size_t n = strlen(s);
    return utf8_invalid_at((const unsigned char *)s, n) == n;
}

// Formats "[d0, d1, ...]" into buf (truncated to fit).
static const char *shape_str(char *buf, size_t cap, int ndim, const size_t *shape) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%zu", i ? ", " : "", shape[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
    return buf;
}

// numel and bytes of a shape; -1 if either overflows size_t.
static int shape_bytes(int ndim, const size_t *shape, safetensors_dtype dtype, size_t *numel,
                       size_t *nbytes) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(n, shape[i], &n)) return -1;
    if (__builtin_mul_overflow(n, safetensors_dtype_size(dtype), nbytes)) return -1;
    *numel = n;
    return 0;
}

// ---- reader

struct safetensors_file {
    char *path;                   // or label of a memory image
    int fd;                       // -1 for a memory image
    void *map;                    // NULL for a memory image
    size_t map_size;
    struct stat st;               // at open, for safetensors_check_unchanged()
    safetensors_tensor *tensors;  // sorted by offset
    size_t n_tensors;
    size_t *by_name;              // indices into tensors, sorted by name
    char **meta_keys, **meta_values;  // sorted by key
    size_t n_meta;
};

// qsort has no context argument: the name comparator reads the tensor array through this
// pointer, thread-local so that files opened concurrently on several threads stay independent.
static _Thread_local const safetensors_tensor *sort_tensors;

static int cmp_by_name(const void *a, const void *b) {
    return strcmp(sort_tensors[*(const size_t *)a].name, sort_tensors[*(const size_t *)b].name);
}

static int cmp_by_offset(const void *a, const void *b) {
    const safetensors_tensor *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Reads a non-negative JSON integer into *out; -1 (no message) otherwise.
static int json_size(const json_t *v, size_t *out) {
    if (!json_is_integer(v)) return -1;
    json_int_t x = json_integer_value(v);
    if (x < 0 || (unsigned long long)x > SIZE_MAX) return -1;
    *out = (size_t)x;
    return 0;
}

static int parse_metadata(safetensors_file *f, const json_t *meta) {
    if (!json_is_object(meta))
        return W2S_FAIL("%s: header entry \"%s\" is not an object of strings", f->path,
                        METADATA_KEY);
    size_t n = json_object_size(meta);
    f->meta_keys = calloc(n ? n : 1, sizeof *f->meta_keys);
    f->meta_values = calloc(n ? n : 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values) return W2S_FAIL("%s: out of memory", f->path);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)meta, key, val) {
        if (!json_is_string(val))
            return W2S_FAIL("%s: %s[\"%s\"] is not a string (metadata values must be strings)",
                            f->path, METADATA_KEY, key);
        // Keys and values become parallel arrays sorted by key: sort "key\0value" strings.
        size_t kl = strlen(key), vl = json_string_length(val);
        char *kv = malloc(kl + vl + 2);
        if (!kv) return W2S_FAIL("%s: out of memory", f->path);
        memcpy(kv, key, kl + 1);
        memcpy(kv + kl + 1, json_string_value(val), vl + 1);
        f->meta_keys[f->n_meta++] = kv;
    }
    qsort(f->meta_keys, f->n_meta, sizeof *f->meta_keys, cmp_str_ptr);
    for (size_t i = 0; i < f->n_meta; i++)
        f->meta_values[i] = f->meta_keys[i] + strlen(f->meta_keys[i]) + 1;
    return 0;
}

static int parse_tensor(safetensors_file *f, const char *name, const json_t *e,
                        const uint8_t *data, size_t data_size, safetensors_tensor *t) {
    if (!json_is_object(e))
        return W2S_FAIL("%s: tensor '%s': header entry is not an object", f->path, name);
    const char *field;
    json_t *v;
    json_object_foreach((json_t *)e, field, v) {
        if (strcmp(field, "dtype") && strcmp(field, "shape") && strcmp(field, "data_offsets"))
            return W2S_FAIL("%s: tensor '%s': unknown field \"%s\" (expected dtype, shape, "
                            "data_offsets)", f->path, name, field);
    }
    const json_t *dt = json_object_get(e, "dtype"), *sh = json_object_get(e, "shape"),
                 *off = json_object_get(e, "data_offsets");
    if (!dt || !sh || !off)
        return W2S_FAIL("%s: tensor '%s': missing field \"%s\"", f->path, name,
                        !dt ? "dtype" : !sh ? "shape" : "data_offsets");
    if (!json_is_string(dt) || safetensors_dtype_parse(json_string_value(dt), &t->dtype) != 0)
        return W2S_FAIL("%s: tensor '%s': unknown dtype %s%s%s (expected F32, F16, BF16, I8, "
                        "U8, I32, I64, F64, ...)", f->path, name, json_is_string(dt) ? "\"" : "",
                        json_is_string(dt) ? json_string_value(dt) : "(not a string)",
                        json_is_string(dt) ? "\"" : "");

    if (!json_is_array(sh))
        return W2S_FAIL("%s: tensor '%s': shape is not an array", f->path, name);
    if (json_array_size(sh) > SAFETENSORS_MAX_DIMS)
        return W2S_FAIL("%s: tensor '%s': shape has %zu dims, more than the %d supported",
                        f->path, name, json_array_size(sh), SAFETENSORS_MAX_DIMS);
    t->ndim = (int)json_array_size(sh);
    for (int i = 0; i < t->ndim; i++)
        if (json_size(json_array_get(sh, (size_t)i), &t->shape[i]) != 0)
            return W2S_FAIL("%s: tensor '%s': shape[%d] is not a non-negative integer",
                            f->path, name, i);
    char sbuf[256];
    if (shape_bytes(t->ndim, t->shape, t->dtype, &t->numel, &t->nbytes) != 0)
        return W2S_FAIL("%s: tensor '%s': shape %s of %s overflows (size in bytes does not fit "
                        "in 64 bits)", f->path, name,
                        shape_str(sbuf, sizeof sbuf, t->ndim, t->shape), dtype_info[t->dtype].name);

    size_t begin, end;
    if (!json_is_array(off) || json_array_size(off) != 2 ||
        json_size(json_array_get(off, 0), &begin) != 0 ||
        json_size(json_array_get(off, 1), &end) != 0)
        return W2S_FAIL("%s: tensor '%s': data_offsets is not [begin, end] with non-negative "
                        "integers", f->path, name);
    if (begin > end)
        return W2S_FAIL("%s: tensor '%s': data_offsets [%zu, %zu] has begin > end", f->path,
                        name, begin, end);
    if (end > data_size)
        return W2S_FAIL("%s: tensor '%s': data_offsets [%zu, %zu] runs past the end of the data "
                        "buffer (%zu bytes)", f->path, name, begin, end, data_size);
    if (end - begin != t->nbytes)
        return W2S_FAIL("%s: tensor '%s': data_offsets [%zu, %zu] span %zu bytes but shape %s of "
                        "%s needs %zu", f->path, name, begin, end, end - begin,
                        shape_str(sbuf, sizeof sbuf, t->ndim, t->shape),
                        dtype_info[t->dtype].name, t->nbytes);
    t->offset = begin;
    t->data = data + begin;
    t->name = strdup(name);
    if (!t->name) return W2S_FAIL("%s: out of memory", f->path);
    return 0;
}

// Strict tiling, as the reference requires: sorted by offset, each tensor starts where the
// previous one ended and the last one ends at the end of the buffer. This rules out overlaps
// (two names aliasing bytes) and unindexed bytes (data smuggled past readers).
static int check_tiling(const safetensors_file *f, size_t data_size) {
    size_t expected = 0;
    for (size_t i = 0; i < f->n_tensors; i++) {
        const safetensors_tensor *t = &f->tensors[i];
        if (t->offset < expected)
            return W2S_FAIL("%s: tensor '%s' (bytes %zu..%zu) overlaps tensor '%s' (ending at "
                            "%zu)", f->path, t->name, t->offset, t->offset + t->nbytes,
                            f->tensors[i - 1].name, expected);
        if (t->offset > expected)
            return W2S_FAIL("%s: bytes %zu..%zu of the data buffer belong to no tensor (gap "
                            "before tensor '%s')", f->path, expected, t->offset, t->name);
        expected = t->offset + t->nbytes;
    }
    if (expected != data_size)
        return W2S_FAIL("%s: the data buffer has %zu bytes but its tensors cover only %zu "
                        "(trailing bytes)", f->path, data_size, expected);
    return 0;
}

static int parse_image(safetensors_file *f, const uint8_t *buf, size_t size) {
    if (size < 8)
        return W2S_FAIL("%s: file is %zu bytes, too short for the 8-byte header length "
                        "(not a safetensors file?)", f->path, size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | buf[i];
    if (n > SAFETENSORS_MAX_HEADER)
        return W2S_FAIL("%s: header length %llu exceeds the %zu-byte limit (corrupt file or not "
                        "safetensors)", f->path, (unsigned long long)n, SAFETENSORS_MAX_HEADER);
    if (n > size - 8)
        return W2S_FAIL("%s: header length %llu runs past the end of the file (%zu bytes)",
                        f->path, (unsigned long long)n, size);
    const uint8_t *hdr = buf + 8, *data = buf + 8 + n;
    size_t data_size = size - 8 - (size_t)n;
    size_t bad = utf8_invalid_at(hdr, (size_t)n);
    if (bad != n)
        return W2S_FAIL("%s: header is not valid UTF-8 (byte 0x%02x at header offset %zu)",
                        f->path, hdr[bad], bad);

    json_error_t jerr;
    json_t *root = json_loadb((const char *)hdr, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return W2S_FAIL("%s: header is not valid JSON: %s (header line %d, column %d)", f->path,
                        jerr.text, jerr.line, jerr.column);
    int rc = -1;
    if (!json_is_object(root)) {
        W2S_FAIL("%s: header is not a JSON object", f->path);
        goto done;
    }
    size_t cap = json_object_size(root);
    f->tensors = calloc(cap ? cap : 1, sizeof *f->tensors);
    if (!f->tensors) {
        W2S_FAIL("%s: out of memory for %zu tensors", f->path, cap);
        goto done;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, METADATA_KEY) == 0) {
            if (parse_metadata(f, val) != 0) goto done;
            continue;
        }
        if (parse_tensor(f, key, val, data, data_size, &f->tensors[f->n_tensors]) != 0) goto done;
        f->n_tensors++;
    }
    qsort(f->tensors, f->n_tensors, sizeof *f->tensors, cmp_by_offset);
    if (check_tiling(f, data_size) != 0) goto done;
    f->by_name = malloc((f->n_tensors ? f->n_tensors : 1) * sizeof *f->by_name);
    if (!f->by_name) {
        W2S_FAIL("%s: out of memory", f->path);
        goto done;
    }
    for (size_t i = 0; i < f->n_tensors; i++) f->by_name[i] = i;
    sort_tensors = f->tensors;
    qsort(f->by_name, f->n_tensors, sizeof *f->by_name, cmp_by_name);
    rc = 0;
done:
    json_decref(root);
    return rc;
}

static safetensors_file *file_new(const char *path) {
    safetensors_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        W2S_FAIL("out of memory opening %s", path);
        return NULL;
    }
    f->fd = -1;
    return f;
}

safetensors_file *safetensors_open_memory(const void *buf, size_t size, const char *label) {
    safetensors_file *f = file_new(label);
    if (!f) return NULL;
    if (parse_image(f, buf, size) != 0) {
        safetensors_close(f);
        return NULL;
    }
    return f;
}

static int same_stat(const struct stat *a, const struct stat *b) {
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static safetensors_file *open_file(const char *path) {
    safetensors_file *f = file_new(path);
    if (!f) return NULL;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        W2S_FAIL("cannot open %s for reading: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(f->fd, &f->st) != 0 || !S_ISREG(f->st.st_mode)) {
        W2S_FAIL("%s is not a regular file", path);
        goto fail;
    }
    size_t size = (size_t)f->st.st_size;
    if (size < 8) {  // parse_image words the error; mmap of length 0 would fail first
        parse_image(f, (const uint8_t *)"", size);
        goto fail;
    }
    f->map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, f->fd, 0);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        W2S_FAIL("cannot map %s (%zu bytes): %s", path, size, strerror(errno));
        goto fail;
    }
    f->map_size = size;
    // A file truncated under a mapping turns reads past its new end into SIGBUS; catch a
    // writer racing with us at least here, and let the loader re-check at the end.
    struct stat now;
    if (fstat(f->fd, &now) != 0 || !same_stat(&now, &f->st)) {
        W2S_FAIL("%s changed while being opened; retry when its writer has finished", path);
        goto fail;
    }
    if (parse_image(f, f->map, size) != 0) goto fail;
    return f;
fail:
    safetensors_close(f);
    return NULL;
}

safetensors_file *safetensors_open(const char *path) {
    double t = prof_begin();
    safetensors_file *f = open_file(path);
    prof_end(PROF_FILE_IO, t);
    return f;
}

int safetensors_check_unchanged(const safetensors_file *f) {
    if (f->fd < 0) return 0;
    struct stat now;
    if (fstat(f->fd, &now) != 0 || !same_stat(&now, &f->st))
        return W2S_FAIL("%s was modified in place while being read; its tensors may be torn",
                        f->path);
    return 0;
}

void safetensors_close(safetensors_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n_tensors; i++) free((char *)f->tensors[i].name);
    for (size_t i = 0; i < f->n_meta; i++) free(f->meta_keys[i]);
    free(f->tensors);
    free(f->by_name);
    free(f->meta_keys);
    free(f->meta_values);
    if (f->map) munmap(f->map, f->map_size);
    if (f->fd >= 0) close(f->fd);
    free(f->path);
    free(f);
}

size_t safetensors_count(const safetensors_file *f) { return f->n_tensors; }

const safetensors_tensor *safetensors_tensor_at(const safetensors_file *f, size_t i) {
    return i < f->n_tensors ? &f->tensors[i] : NULL;
}

const safetensors_tensor *safetensors_find(const safetensors_file *f, const char *name) {
    size_t lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const safetensors_tensor *t = &f->tensors[f->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

const char *safetensors_metadata(const safetensors_file *f, const char *key) {
    size_t lo = 0, hi = f->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, f->meta_keys[mid]);
        if (c == 0) return f->meta_values[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

size_t safetensors_metadata_count(const safetensors_file *f) { return f->n_meta; }

void safetensors_metadata_at(const safetensors_file *f, size_t i, const char **key,
                             const char **value) {
    *key = i < f->n_meta ? f->meta_keys[i] : NULL;
    *value = i < f->n_meta ? f->meta_values[i] : NULL;
}

// ---- f32 conversion

// IEEE binary16 -> binary32, exact (every f16 value, subnormals included, is an f32 value).
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    uint32_t u;
    if (exp == 0) {
        float v = (float)man * 0x1p-24f;  // zero or subnormal: man · 2^-24
        memcpy(&u, &v, 4);
        u |= sign;
    } else if (exp == 31) {
        u = sign | 0x7f800000u | man << 13;  // inf, or NaN keeping its payload
    } else {
        u = sign | (exp + 112) << 23 | man << 13;  // rebias 15 -> 127
    }
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static int convert_to_f32(const safetensors_file *f, const safetensors_tensor *t, float *out) {
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case SAFETENSORS_F32:
        if (t->nbytes) memcpy(out, p, t->nbytes);
        return 0;
    case SAFETENSORS_F16:
    case SAFETENSORS_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);  // data may be unaligned
            if (t->dtype == SAFETENSORS_F16) {
                out[i] = f16_to_f32(h);
            } else {
                uint32_t u = (uint32_t)h << 16;
                memcpy(&out[i], &u, 4);
            }
        }
        return 0;
    default:
        return W2S_FAIL("%s: tensor '%s' has dtype %s; only F32, F16 and BF16 convert to f32",
                        f->path, t->name, dtype_info[t->dtype].name);
    }
}

// Timed as file I/O: the copy out of the mapping is where the file's pages are read.
int safetensors_tensor_to_f32(const safetensors_file *f, const safetensors_tensor *t, float *out) {
    double t0 = prof_begin();
    int rc = convert_to_f32(f, t, out);
    prof_end(PROF_FILE_IO, t0);
    return rc;
}

int safetensors_read_f32(const safetensors_file *f, const char *name, int ndim,
                         const size_t *shape, float *out) {
    const safetensors_tensor *t = safetensors_find(f, name);
    if (!t) return W2S_FAIL("%s: tensor '%s' not found", f->path, name);
    int same = ndim == t->ndim;
    for (int i = 0; same && i < ndim; i++) same = shape[i] == t->shape[i];
    if (!same) {
        char a[256], b[256];
        return W2S_FAIL("%s: tensor '%s' has shape %s, expected %s", f->path, name,
                        shape_str(a, sizeof a, t->ndim, t->shape),
                        shape_str(b, sizeof b, ndim, shape));
    }
    return safetensors_tensor_to_f32(f, t, out);
}

// ---- writer

typedef struct {
    char *name;
    safetensors_dtype dtype;
    int ndim;
    size_t shape[SAFETENSORS_MAX_DIMS];
    size_t nbytes;
    const void *data;  // borrowed
} writer_entry;

struct safetensors_writer {
    writer_entry *entries;
    size_t n, cap;
    char **meta_keys, **meta_values;
    size_t n_meta, meta_cap;
};

safetensors_writer *safetensors_writer_create(void) {
    safetensors_writer *w = calloc(1, sizeof *w);
    if (!w) W2S_FAIL("out of memory creating a safetensors writer");
    return w;
}

void safetensors_writer_destroy(safetensors_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->entries[i].name);
    for (size_t i = 0; i < w->n_meta; i++) {
        free(w->meta_keys[i]);
        free(w->meta_values[i]);
    }
    free(w->entries);
    free(w->meta_keys);
    free(w->meta_values);
    free(w);
}

int safetensors_writer_add(safetensors_writer *w, const char *name, safetensors_dtype dtype,
                           int ndim, const size_t *shape, const void *data) {
    if (!name[0] || strcmp(name, METADATA_KEY) == 0 || !utf8_valid(name))
        return W2S_FAIL("safetensors writer: invalid tensor name '%s' (empty, \"%s\" or not "
                        "UTF-8)", name, METADATA_KEY);
    if ((unsigned)dtype >= SAFETENSORS_DTYPE_COUNT)
        return W2S_FAIL("safetensors writer: tensor '%s' has invalid dtype %d", name, (int)dtype);
    if (ndim < 0 || ndim > SAFETENSORS_MAX_DIMS)
        return W2S_FAIL("safetensors writer: tensor '%s' has %d dims (0..%d allowed)", name,
                        ndim, SAFETENSORS_MAX_DIMS);
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->entries[i].name, name) == 0)
            return W2S_FAIL("safetensors writer: duplicate tensor name '%s'", name);
    writer_entry e = {.dtype = dtype, .ndim = ndim, .data = data};
    for (int i = 0; i < ndim; i++) e.shape[i] = shape[i];
    size_t numel;
    // json_int_t is signed 64-bit: sizes beyond it cannot be written into the header.
    if (shape_bytes(ndim, e.shape, dtype, &numel, &e.nbytes) != 0 || e.nbytes > INT64_MAX)
        return W2S_FAIL("safetensors writer: tensor '%s' is too large (size overflows)", name);
    if (e.nbytes && !data)
        return W2S_FAIL("safetensors writer: tensor '%s' has no data", name);
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        writer_entry *p = realloc(w->entries, cap * sizeof *p);
        if (!p) return W2S_FAIL("out of memory adding tensor '%s'", name);
        w->entries = p;
        w->cap = cap;
    }
    if (!(e.name = strdup(name))) return W2S_FAIL("out of memory adding tensor '%s'", name);
    w->entries[w->n++] = e;
    return 0;
}

int safetensors_writer_set_metadata(safetensors_writer *w, const char *key, const char *value) {
    if (!utf8_valid(key) || !utf8_valid(value))
        return W2S_FAIL("safetensors writer: metadata \"%s\" is not valid UTF-8", key);
    for (size_t i = 0; i < w->n_meta; i++)
        if (strcmp(w->meta_keys[i], key) == 0) {
            char *v = strdup(value);
            if (!v) return W2S_FAIL("out of memory setting metadata \"%s\"", key);
            free(w->meta_values[i]);
            w->meta_values[i] = v;
            return 0;
        }
    if (w->n_meta == w->meta_cap) {
        size_t cap = w->meta_cap ? 2 * w->meta_cap : 8;
        char **k = realloc(w->meta_keys, cap * sizeof *k);
        if (k) w->meta_keys = k;
        char **v = k ? realloc(w->meta_values, cap * sizeof *v) : NULL;
        if (!v) return W2S_FAIL("out of memory setting metadata \"%s\"", key);
        w->meta_values = v;
        w->meta_cap = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return W2S_FAIL("out of memory setting metadata \"%s\"", key);
    }
    w->meta_keys[w->n_meta] = k;
    w->meta_values[w->n_meta++] = v;
    return 0;
}

// Data order: dtype size descending, then name — keeps each tensor aligned to its element
// size and makes the bytes independent of insertion order.
static int cmp_entry(const void *a, const void *b) {
    const writer_entry *x = *(writer_entry *const *)a, *y = *(writer_entry *const *)b;
    size_t sx = safetensors_dtype_size(x->dtype), sy = safetensors_dtype_size(y->dtype);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

// Builds the padded header text; *order receives the entries in data order.
static char *writer_header(safetensors_writer *w, writer_entry ***order, size_t *len) {
    writer_entry **ord = malloc((w->n ? w->n : 1) * sizeof *ord);
    json_t *root = json_object(), *meta = json_object();
    char *text = NULL;
    if (!ord || !root || !meta) goto oom;
    for (size_t i = 0; i < w->n; i++) ord[i] = &w->entries[i];
    qsort(ord, w->n, sizeof *ord, cmp_entry);
    size_t offset = 0;
    for (size_t i = 0; i < w->n; i++) {
        const writer_entry *e = ord[i];
        size_t end;
        if (__builtin_add_overflow(offset, e->nbytes, &end) || end > INT64_MAX) {
            W2S_FAIL("safetensors writer: total data size overflows at tensor '%s'", e->name);
            goto fail;
        }
        json_t *shape = json_array();
        for (int d = 0; shape && d < e->ndim; d++)
            if (json_array_append_new(shape, json_integer((json_int_t)e->shape[d])) != 0) {
                json_decref(shape);
                shape = NULL;
            }
        // "o" steals the shape reference, also when json_pack fails.
        json_t *obj = shape ? json_pack("{s:s, s:o, s:[I, I]}", "dtype",
                                        dtype_info[e->dtype].name, "shape", shape,
                                        "data_offsets", (json_int_t)offset, (json_int_t)end)
                            : NULL;
        if (!obj || json_object_set_new(root, e->name, obj) != 0) goto oom;
        offset += e->nbytes;
    }
    for (size_t i = 0; i < w->n_meta; i++)
        if (json_object_set_new(meta, w->meta_keys[i], json_string(w->meta_values[i])) != 0)
            goto oom;
    // The reference omits __metadata__ when there is none; so do we.
    if (w->n_meta) {
        if (json_object_set(root, METADATA_KEY, meta) != 0) goto oom;
    }
    text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) goto oom;
    size_t n = strlen(text), padded = (n + 7) & ~(size_t)7;  // data buffer starts 8-aligned
    char *p = realloc(text, padded + 1);
    if (!p) goto oom;
    text = p;
    memset(text + n, ' ', padded - n);
    text[padded] = 0;
    *len = padded;
    *order = ord;
    json_decref(root);
    json_decref(meta);
    return text;
oom:
    W2S_FAIL("out of memory building a safetensors header");
fail:
    free(text);
    free(ord);
    json_decref(root);
    json_decref(meta);
    return NULL;
}

static int write_file(safetensors_writer *w, const char *path) {
    writer_entry **ord;
    size_t hlen;
    char *hdr = writer_header(w, &ord, &hlen);
    if (!hdr) return w2s_error_wrap("writing %s", path);
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, path) != 0) {
        free(hdr);
        free(ord);
        return -1;
    }
    uint8_t lenbuf[8];
    for (int i = 0; i < 8; i++) lenbuf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    int ok = fwrite(lenbuf, 1, 8, af.f) == 8 && fwrite(hdr, 1, hlen, af.f) == hlen;
    for (size_t i = 0; ok && i < w->n; i++)
        ok = !ord[i]->nbytes || fwrite(ord[i]->data, 1, ord[i]->nbytes, af.f) == ord[i]->nbytes;
    int e = errno;
    free(hdr);
    free(ord);
    if (!ok) {
        w2s_atomic_abort(&af);
        return W2S_FAIL("writing %s failed: %s", path, strerror(e));
    }
    return w2s_atomic_commit(&af);
}

int safetensors_writer_write(safetensors_writer *w, const char *path) {
    double t = prof_begin();
    int rc = write_file(w, path);
    prof_end(PROF_FILE_IO, t);
    return rc;
}
