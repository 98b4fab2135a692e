// error.c — thread-local last-error message (see error.h).
#include "error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char error_text[W2S_ERROR_MAX];
static _Thread_local char error_where[128];

// A message longer than its buffer keeps its start and ends in "..." so the cut shows.
static void mark_if_clipped(int wanted, char *buf, size_t cap) {
    if (wanted >= 0 && (size_t)wanted >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
}

void w2s_message_format(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mark_if_clipped(vsnprintf(buf, cap, fmt, ap), buf, cap);
    va_end(ap);
}

int w2s_error_set(const char *src_file, int src_line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mark_if_clipped(vsnprintf(error_text, sizeof error_text, fmt, ap), error_text, sizeof error_text);
    va_end(ap);
    const char *slash = strrchr(src_file, '/');
    snprintf(error_where, sizeof error_where, "%s:%d", slash ? slash + 1 : src_file, src_line);
    return -1;
}

int w2s_error_wrap(const char *fmt, ...) {
    char prefix[W2S_ERROR_MAX], old[W2S_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    mark_if_clipped(vsnprintf(prefix, sizeof prefix, fmt, ap), prefix, sizeof prefix);
    va_end(ap);
    memcpy(old, error_text, sizeof old);
    mark_if_clipped(snprintf(error_text, sizeof error_text, "%s: %s", prefix, old), error_text,
                    sizeof error_text);
    return -1;
}

const char *w2s_error_message(void) { return error_text; }
const char *w2s_error_origin(void) { return error_where; }
void w2s_error_clear(void) { error_text[0] = 0; error_where[0] = 0; }
