// run_args.h — `w2s run`'s options, shared with `w2s sweep` (cmd_sweep.c), which checks and
// forwards them to each pair's run, and with the library's w2s_run (a JSON config as text).
// Not the public API (include/w2s/w2s.h is) nor the protocol (protocol.h). Never prints.
#ifndef W2S_API_RUN_ARGS_H
#define W2S_API_RUN_ARGS_H

#include "cli_opts.h"
#include "protocol.h"

#include <stdbool.h>
#include <stddef.h>

#define RUN_MAX_OPTS 32

typedef struct {
    protocol_config c;
    int precision, label_precision;          // indexes of --precision / --label-precision, -1: not given
    size_t threads, label_cores, train_cores;  // 0: not given
    double ckpt_minutes;                     // -1: not given
    const char *config;                      // the last --config (all are applied, in order)
} run_args;

// protocol_config_default and nothing given.
void run_args_init(run_args *a);

// Fills opts with `w2s run`'s option table over *a; returns how many.
size_t run_options(run_args *a, cli_opt opts[RUN_MAX_OPTS]);

// `w2s run`'s whole argument handling and run (argv[0] is ignored): config_text (may be NULL)
// is a JSON object of options applied first, then each --config file, then the command line.
// out_dir (may be NULL) receives the run's output directory. Returns 0, 1 after --help (the
// caller prints the usage), or -1 with the error set and *bad_usage telling whether the
// command line itself was at fault. Uses getopt (process-wide state): one run at a time.
int run_args_run(int argc, char **argv, const char *config_text, char *out_dir, size_t out_cap, bool *bad_usage);

// The same as the command does it, usage on --help included (cmd_run.c): 0, or -1 with the
// error set. `w2s sweep` runs each model pair through it.
int run_protocol_args(int argc, char **argv);

#endif
