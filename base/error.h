// error.h — how every w2s layer reports failure.
// A failing function records one message (what failed, where, a hint) in thread-local
// storage and returns -1 / NULL; the caller adds context with w2s_error_wrap() or prints
// it. Library code never exits. Messages are at most W2S_ERROR_MAX bytes; a longer one keeps
// its start and ends in "...".
#ifndef W2S_BASE_ERROR_H
#define W2S_BASE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define W2S_ERROR_MAX 1024

// Records "fmt" as the current error and returns -1, so `return W2S_FAIL(...)` reads well.
int w2s_error_set(const char *src_file, int src_line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// Prepends "fmt: " to the current error (context from a higher layer); returns -1.
int w2s_error_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// The current thread's last error ("" if none). Valid until the next set/wrap/clear.
const char *w2s_error_message(void);
// Source location of the innermost w2s_error_set ("file:line"); the CLI prints it when
// W2S_DEBUG is set.
const char *w2s_error_origin(void);
void w2s_error_clear(void);

// Formats a message (not a path: paths must fit, see fileio.h) into buf[cap]; one longer than
// the buffer keeps its start and ends in "...".
void w2s_message_format(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define W2S_FAIL(...) w2s_error_set(__FILE__, __LINE__, __VA_ARGS__)

#endif
