// run_args.h — `w2s run`'s options, shared with `w2s sweep` (cmd_sweep.c), which reads them
// once and runs the protocol on each pair with them, and with the library's w2s_run (a JSON
// config as text).
// Not the public API (include/w2s/w2s.h is) nor the protocol (protocol.h). Never prints.
#ifndef W2S_API_RUN_ARGS_H
#define W2S_API_RUN_ARGS_H

#include "cli_opts.h"
#include "protocol.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RUN_MAX_OPTS 48
#define RUN_MAX_EXTRA 4  // options a caller adds to run's (sweep's --models)

typedef struct {
    protocol_config c;
    int precision, label_precision, parallel;  // indexes of --precision / --label-precision / --parallel,
                                               // -1: not given
    int optimizer;                             // index of --optimizer, -1: not given
    size_t threads, label_cores, train_cores;  // 0: not given
    double ckpt_minutes;                     // -1: not given
    const char *config;                      // the last --config (all are applied, in order)
} run_args;

// protocol_config_default and nothing given.
void run_args_init(run_args *a);

// Fills opts with `w2s run`'s option table over *a; returns how many.
size_t run_options(run_args *a, cli_opt opts[RUN_MAX_OPTS]);

typedef struct {
    run_args a;
    json_t *record;  // the options as given (config keys, then the command line): results.json's "config"
    json_t *keep;    // strings from config files that the option table stores pointers to
} run_parsed;

// Reads run's options, and the caller's `extra` ones, from argv (argv[0] is ignored):
// config_text (may be NULL) first, then each --config file, then the command line, which wins.
// 0, 1 after --help, or -1 with the error set and *bad_usage telling whether the command line
// itself was at fault. Free with run_parsed_free in every case. Never prints.
int run_parse(int argc, char **argv, const char *config_text, const cli_opt *extra, size_t n_extra, run_parsed *p,
              bool *bad_usage);
void run_parsed_free(run_parsed *p);

// `w2s run`'s whole argument handling and run (argv[0] is ignored): config_text (may be NULL)
// is a JSON object of options applied first, then each --config file, then the command line.
// print_table: the results table on stdout (the command; --quiet silences progress only).
// out_dir (may be NULL) receives the run's output directory. Returns 0, 1 after --help (the
// caller prints the usage), or -1 with the error set and *bad_usage telling whether the
// command line itself was at fault. Uses getopt (process-wide state): one run at a time.
int run_args_run(int argc, char **argv, const char *config_text, bool print_table, char *out_dir, size_t out_cap,
                 bool *bad_usage);

#endif
