// error.c — thread-local last-error message (see error.h).
#include "error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char error_text[W2S_ERROR_MAX];
static _Thread_local char error_where[128];

int w2s_error_set(const char *src_file, int src_line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_text, sizeof error_text, fmt, ap);
    va_end(ap);
    const char *slash = strrchr(src_file, '/');
    snprintf(error_where, sizeof error_where, "%s:%d", slash ? slash + 1 : src_file, src_line);
    return -1;
}

int w2s_error_wrap(const char *fmt, ...) {
    char prefix[W2S_ERROR_MAX], old[W2S_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, error_text, sizeof old);
    snprintf(error_text, sizeof error_text, "%s: %s", prefix, old);
    return -1;
}

const char *w2s_error_message(void) { return error_text; }
const char *w2s_error_origin(void) { return error_where; }
void w2s_error_clear(void) { error_text[0] = 0; error_where[0] = 0; }
