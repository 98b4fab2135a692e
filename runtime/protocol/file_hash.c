// file_hash.c — cached content hashes of input files (file_hash.h).
#include "file_hash.h"

#include "error.h"
#include "fileio.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FILE_HASH_CHUNK ((size_t)1 << 20)

int file_hash_cache_open(file_hash_cache *fc, const char *path) {
    memset(fc, 0, sizeof *fc);
    json_t *o = path ? json_load_file(path, 0, NULL) : NULL;
    fc->entries = json_is_object(o) ? o : json_object();
    if (o && fc->entries != o) json_decref(o);
    fc->path = path ? strdup(path) : NULL;
    return fc->entries && (!path || fc->path) ? 0 : W2S_FAIL("out of memory");
}

// 64-bit FNV-1a over little-endian 8-byte words, then the tail bytes and the length.
static int hash_stream(FILE *f, uint64_t *out) {
    unsigned char *buf = malloc(FILE_HASH_CHUNK);
    if (!buf) return W2S_FAIL("out of memory");
    uint64_t h = 0xcbf29ce484222325ULL, total = 0;
    size_t n;
    while ((n = fread(buf, 1, FILE_HASH_CHUNK, f)) > 0) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, buf + i, 8);
            h = (h ^ w) * 0x100000001b3ULL;
        }
        for (; i < n; i++) h = (h ^ buf[i]) * 0x100000001b3ULL;
        total += n;
    }
    free(buf);
    if (ferror(f)) return W2S_FAIL("read error");
    *out = (h ^ total) * 0x100000001b3ULL;
    return 0;
}

int file_hash_content(file_hash_cache *fc, const char *path, uint64_t *out) {
    struct stat st;
    char abs[PATH_MAX], mtime[48], hex[17];
    if (stat(path, &st) != 0 || !realpath(path, abs)) return W2S_FAIL("cannot read %s", path);
    snprintf(mtime, sizeof mtime, "%lld.%09ld", (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    json_t *e = json_object_get(fc->entries, abs);
    json_t *size = json_object_get(e, "size"), *mt = json_object_get(e, "mtime"), *hash = json_object_get(e, "hash");
    if (json_is_integer(size) && json_integer_value(size) == (json_int_t)st.st_size && json_is_string(mt) &&
        !strcmp(json_string_value(mt), mtime) && json_is_string(hash) && strlen(json_string_value(hash)) == 16) {
        *out = strtoull(json_string_value(hash), NULL, 16);
        return 0;
    }
    FILE *f = w2s_fopen(path, "rb");
    if (!f) return -1;
    int rc = hash_stream(f, out);
    fclose(f);
    if (rc) return w2s_error_wrap("hashing %s", path);
    snprintf(hex, sizeof hex, "%016" PRIx64, *out);
    json_object_set_new(fc->entries, abs, json_pack("{s:I, s:s, s:s}", "size", (json_int_t)st.st_size, "mtime",
                                                     mtime, "hash", hex));
    fc->dirty = true;
    return 0;
}

int file_hash_cache_save(file_hash_cache *fc) {
    if (!fc->path || !fc->dirty) return 0;
    char *text = json_dumps(fc->entries, JSON_INDENT(1) | JSON_SORT_KEYS);
    int rc = text ? w2s_write_file_atomic(fc->path, text, strlen(text)) : W2S_FAIL("cannot serialize %s", fc->path);
    free(text);
    if (!rc) fc->dirty = false;
    return rc;
}

void file_hash_cache_close(file_hash_cache *fc) {
    json_decref(fc->entries);
    free(fc->path);
    memset(fc, 0, sizeof *fc);
}
