// file_hash.h — content hashes of the files a run depends on (data, models, tokenizer), so a
// step is reused when its inputs' bytes are unchanged, not when their timestamps are: `touch`
// or a copy elsewhere keeps the hash, an edit changes it. Not cryptographic (64-bit, FNV-style
// over 8-byte words). The one thing to know: hashing a multi-GB model takes seconds, so each
// hash is cached by the file's identity (absolute path, size, mtime) in a JSON file; an entry
// whose identity differs is recomputed, so a stale cache costs time, never a wrong reuse.
#ifndef W2S_RUNTIME_FILE_HASH_H
#define W2S_RUNTIME_FILE_HASH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    json_t *entries;     // {absolute path: {"size", "mtime", "hash"}}
    char *path;          // the cache file (NULL: memory only)
    bool dirty;
} file_hash_cache;

// Reads the cache at path (NULL, missing or unreadable: starts empty). Returns 0 or -1 (memory).
int file_hash_cache_open(file_hash_cache *fc, const char *path);
// The content hash of `path` into *out: 0, or -1 with the error set (unreadable file).
int file_hash_content(file_hash_cache *fc, const char *path, uint64_t *out);
// Writes the cache atomically when it changed (its folder must exist). Returns 0 or -1.
int file_hash_cache_save(file_hash_cache *fc);
void file_hash_cache_close(file_hash_cache *fc);

#endif
