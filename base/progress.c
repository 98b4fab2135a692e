// progress.c — rate/ETA progress lines on stderr (progress.h).
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Plain (non-terminal) output prints at most this often, so logs stay short.
#define PROGRESS_PLAIN_INTERVAL_S 5.0
// Terminal redraws are throttled too: a redraw per step would cost more than tiny steps.
#define PROGRESS_TTY_INTERVAL_S 0.2

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double progress_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(progress *p, const char *label, size_t total, const char *unit, bool quiet) {
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->unit = unit;
    p->total = total;
    p->quiet = quiet;
    p->tty = isatty(STDERR_FILENO);
    p->t_start = p->t_last_print = progress_now();
}

void progress_update(progress *p, size_t done, const char *fmt, ...) {
    if (p->quiet) return;
    double now = progress_now();
    bool last = done >= p->total;
    double interval = p->tty ? PROGRESS_TTY_INTERVAL_S : PROGRESS_PLAIN_INTERVAL_S;
    if (!last && now - p->t_last_print < interval) return;
    p->t_last_print = now;
    double el = now - p->t_start, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(p->total - (done < p->total ? done : p->total)) / rate : 0;
    char status[128] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(status, sizeof status, fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "%s%-10s %6zu/%zu %s  %8.1f %s/s  ETA %5.1fs  %s%s", p->tty ? "\r" : "", p->label, done,
            p->total, p->unit, rate, p->unit, eta, status, p->tty ? "\033[K" : "\n");
    fflush(stderr);
    p->printed = true;
}

double progress_finish(progress *p) {
    if (p->tty && p->printed && !p->quiet) fputc('\n', stderr);
    return progress_now() - p->t_start;
}
