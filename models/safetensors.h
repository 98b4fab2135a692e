// safetensors.h — read and write the Hugging Face safetensors checkpoint format.
// Layout: u64 little-endian N, N bytes of UTF-8 JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the data buffer (offsets are relative to its start). Not a tensor library: it hands out
// raw bytes (plus an f32 conversion helper); it never interprets tensor names.
// One thing to know: every length in the file is validated before use, and the reader is
// STRICT like the reference implementation — tensors must tile the data buffer exactly.
#ifndef W2S_MODELS_SAFETENSORS_H
#define W2S_MODELS_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SAFETENSORS_MAX_DIMS 8
// Largest header accepted (the reference implementation's limit, 100 MB).
#define SAFETENSORS_MAX_HEADER ((size_t)100 * 1000 * 1000)

// Every dtype of the format. Little-endian in the file; w2s only runs on little-endian hosts.
typedef enum {
    SAFETENSORS_BOOL = 0,
    SAFETENSORS_U8,
    SAFETENSORS_I8,
    SAFETENSORS_F8_E5M2,
    SAFETENSORS_F8_E4M3,
    SAFETENSORS_I16,
    SAFETENSORS_U16,
    SAFETENSORS_F16,
    SAFETENSORS_BF16,
    SAFETENSORS_I32,
    SAFETENSORS_U32,
    SAFETENSORS_F32,
    SAFETENSORS_I64,
    SAFETENSORS_U64,
    SAFETENSORS_F64,
    SAFETENSORS_DTYPE_COUNT
} safetensors_dtype;

// Bytes per element (1, 2, 4 or 8); 0 for an out-of-range value.
size_t safetensors_dtype_size(safetensors_dtype t);
// The header spelling ("F32", "BF16", ...); "?" for an out-of-range value.
const char *safetensors_dtype_name(safetensors_dtype t);
// Parses a header spelling; returns -1 (no error message set) if unknown.
int safetensors_dtype_parse(const char *s, safetensors_dtype *out);

// ---- reader

// One tensor of an open file. Valid until safetensors_close().
typedef struct {
    const char *name;                    // NUL-terminated, valid UTF-8, no embedded NUL
    safetensors_dtype dtype;
    int ndim;                            // 0 (scalar) .. SAFETENSORS_MAX_DIMS
    size_t shape[SAFETENSORS_MAX_DIMS];  // unused entries are 0
    size_t numel;                        // product of shape (1 for a scalar, 0 if a dim is 0)
    size_t offset;                       // data_offsets[0], relative to the data buffer
    size_t nbytes;                       // numel * dtype size == data_offsets[1] - [0]
    const void *data;                    // read-only bytes; may be UNALIGNED for the dtype
} safetensors_tensor;

typedef struct safetensors_file safetensors_file;

// Maps `path` read-only (mmap, so a 6 GB gpt2-xl file costs no copy) and validates the whole
// header. The descriptor stays open: see safetensors_check_unchanged(). Returns NULL with
// w2s_error_message() naming the file (and the tensor, when one is at fault) on failure.
// Checks: file < 8 bytes; N > SAFETENSORS_MAX_HEADER or beyond the file; header not UTF-8,
// not JSON, not an object, duplicate keys; an entry not an object, unknown/missing fields,
// unknown dtype, shape not an array of <= 8 non-negative integers, shape × dtype size
// overflowing, data_offsets not [begin, end] with begin <= end, end beyond the buffer,
// end - begin != shape × dtype size; tensors overlapping, leaving gaps, or not reaching the
// end of the buffer (strict: every data byte belongs to exactly one tensor, as in the
// reference); `__metadata__` not an object of string values.
safetensors_file *safetensors_open(const char *path);

// Same checks on an in-memory image (tests, fuzzing). `buf` is BORROWED and must outlive the
// returned file; `label` names it in error messages (copied).
safetensors_file *safetensors_open_memory(const void *buf, size_t size, const char *label);

// Unmaps and frees. NULL is a no-op. Tensor pointers and names die with the file.
void safetensors_close(safetensors_file *f);

// Returns 0 if the file's size and mtime are what they were at open, -1 with a message
// otherwise. A file replaced by rename (what w2s and HF writers do) stays safe to read, since
// the mapping keeps the old inode; one rewritten in place is not, so a loader should call this
// after copying tensors out and discard what it copied if it fails. Always 0 for memory images.
int safetensors_check_unchanged(const safetensors_file *f);


// Tensors, ordered by data offset (file order). i < safetensors_count().
size_t safetensors_count(const safetensors_file *f);
const safetensors_tensor *safetensors_tensor_at(const safetensors_file *f, size_t i);
// Lookup by exact name (binary search); NULL (no error message set) if absent.
const safetensors_tensor *safetensors_find(const safetensors_file *f, const char *name);

// `__metadata__` entries, sorted by key. Returns NULL if the key is absent.
const char *safetensors_metadata(const safetensors_file *f, const char *key);
size_t safetensors_metadata_count(const safetensors_file *f);
// i < safetensors_metadata_count(); both strings live as long as the file.
void safetensors_metadata_at(const safetensors_file *f, size_t i, const char **key,
                             const char **value);

// Copies tensor `name` into `out` as f32, converting from F32, F16 or BF16 (other dtypes are
// an error). `ndim`/`shape` give the shape the caller expects; a missing tensor, another
// shape or an unsupported dtype fails with a message naming the file, the tensor and both
// shapes. `out` holds prod(shape) floats.
int safetensors_read_f32(const safetensors_file *f, const char *name, int ndim,
                         const size_t *shape, float *out);
// Converts one tensor (any shape) to f32; out holds t->numel floats. F32/F16/BF16 only.
int safetensors_tensor_to_f32(const safetensors_file *f, const safetensors_tensor *t, float *out);

// ---- writer

typedef struct safetensors_writer safetensors_writer;

safetensors_writer *safetensors_writer_create(void);
void safetensors_writer_destroy(safetensors_writer *w);  // NULL is a no-op

// Adds a tensor. `name` and `shape` are copied; `data` (numel × dtype size bytes, host
// little-endian) is BORROWED until safetensors_writer_write() returns. Fails on a duplicate
// or empty name, the name "__metadata__", ndim outside 0..8, or a size overflow.
int safetensors_writer_add(safetensors_writer *w, const char *name, safetensors_dtype dtype,
                           int ndim, const size_t *shape, const void *data);

// Sets `__metadata__[key] = value` (both copied; a repeated key replaces the value).
int safetensors_writer_set_metadata(safetensors_writer *w, const char *key, const char *value);

// Writes the file atomically (base/fileio.h: temp + fsync + rename); data is streamed, never
// copied whole. The bytes depend only on the tensors' names, dtypes, shapes, data and the
// metadata — not on insertion order: the header is compact JSON with sorted keys, padded with
// spaces to a multiple of 8 bytes; the data buffer holds tensors sorted by dtype size
// (largest first), then name (the reference writer also sorts by dtype, then name), so
// every tensor is aligned to its element size within an 8-aligned buffer.
int safetensors_writer_write(safetensors_writer *w, const char *path);

#endif
