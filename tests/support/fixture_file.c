// fixture_file.c — per-test temp fixture files (see fixture_file.h).
#include "fixture_file.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fixture_file_path(const char *name) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base) + strlen(name) + 32;
    char *dir = malloc(n);
    if (!dir) {
        fail_msg("fixture_file_path: out of memory");
        return NULL;  // not reached: cmocka's fail_msg longjmps, but the compiler cannot know
    }
    snprintf(dir, n, "%s/w2s_test_XXXXXX", base);
    if (!mkdtemp(dir)) fail_msg("fixture_file_path: mkdtemp in %s failed", base);
    size_t dl = strlen(dir);
    snprintf(dir + dl, n - dl, "/%s", name);
    return dir;
}

char *fixture_file_write(const char *name, const void *data, size_t len) {
    char *path = fixture_file_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("fixture_file_write: cannot create %s", path);
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("fixture_file_write: short write to %s", path);
    if (fclose(f) != 0) fail_msg("fixture_file_write: close %s failed", path);
    return path;
}

char *fixture_file_write_str(const char *name, const char *text) {
    return fixture_file_write(name, text, strlen(text));
}

void fixture_file_remove(char *path) {
    if (!path) return;
    unlink(path);
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = 0;
        rmdir(path);
    }
    free(path);
}
