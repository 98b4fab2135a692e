// progress.h — progress lines for long steps: rate and ETA, redrawn in place on a terminal,
// plain lines (at most one every 5 s, plus the last) when stderr is a file or pipe.
// Writes to stderr only, so stdout stays machine-readable. Not thread-safe: one per stage.
#ifndef W2S_BASE_PROGRESS_H
#define W2S_BASE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char label[64];
    const char *unit;    // "steps", "examples", ...
    size_t total;
    double t_start, t_last_print;
    bool tty, quiet, printed;
} progress;

void progress_start(progress *p, const char *label, size_t total, const char *unit, bool quiet);
// done = units finished so far; fmt (may be NULL) adds a short status ("loss 1.234").
void progress_update(progress *p, size_t done, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Ends the line on a terminal. Returns the seconds since progress_start.
double progress_finish(progress *p);

// Monotonic wall-clock seconds.
double progress_now(void);
// CPU seconds of the whole process (all threads). On a shared machine, with OpenMP waiting
// passively, this is what the work cost; wall time also counts other processes' turns.
double progress_cpu_now(void);

#endif
