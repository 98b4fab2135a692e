// profile_report.h — the profiler's outputs: a sorted text table, profile.json, and a
// self-contained profile.html (inline SVG roofline and time-breakdown bar, no network).
// Not the accounting (profiler.h) and not the measurement of peaks (peak.h).
// The one thing to know: every output prints the profiled total next to the wall clock of the
// profiled span, so missing coverage (time outside GEMMs and marked regions) is visible.
#ifndef W2S_RUNTIME_PROFILE_REPORT_H
#define W2S_RUNTIME_PROFILE_REPORT_H

#include "peak.h"
#include "profiler.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *title;          // one line, e.g. "gpt2 train bf16 B=8 T=128"
    const char *arch, *mode, *precision;   // NULL when not a `w2s profile` run
    size_t batch, seq, steps;
    int threads;
    double wall_seconds;        // wall clock of the profiled span (the timed steps)
    double step_seconds_median; // 0 if not measured per step
    double cpu_seconds;         // process CPU time over the same span (0 = not measured): well
                                // below threads × wall means the machine was shared (or threads
                                // idled), and every rate here is then a share of the machine
    bool compared_onednn;       // rows carry cmp_* figures
} profile_meta;

// Rows sorted by total time, then the totals: profiled vs wall clock. peak may be NULL.
void profile_print_table(FILE *out, const profile_data *d, const peak_info *peak, const profile_meta *meta);
// profile.json (atomic write). Returns 0 or -1 with the error set.
int profile_write_json(const char *path, const profile_data *d, const peak_info *peak, const profile_meta *meta);
// profile.html (atomic write); needs peak for the ceilings (without it only points are drawn).
// A script in the page checks the SVG and sets document.title to "ok:<points>" (tests).
int profile_write_html(const char *path, const profile_data *d, const peak_info *peak, const profile_meta *meta);

// Number of roofline points profile_write_html draws (one per GEMM row with calls).
size_t profile_html_points(const profile_data *d);

// Process-wide profiling for any subcommand: if `force` or env W2S_PROFILE is set to a value
// other than "0", starts the profiler and registers an exit handler that prints the table to
// stderr and writes profile.json into env W2S_PROFILE_DIR (default: the current directory).
// Percentages of peak use the cached peaks only (`w2s info --peak` fills the cache).
void profile_report_install_at_exit(bool force);

#endif
