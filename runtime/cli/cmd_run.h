// cmd_run.h — `w2s run`'s options, shared with `w2s sweep` (cmd_sweep.c), which checks and
// forwards them to each pair's run. Not a library API: runtime/protocol/protocol.h is the protocol's.
#ifndef W2S_CLI_CMD_RUN_H
#define W2S_CLI_CMD_RUN_H

#include "cli_opts.h"
#include "protocol.h"

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

// `w2s run`'s whole argument handling and run (argv[0] is ignored): 0, or -1 with the error
// set, nothing printed. `w2s sweep` runs each model pair through it.
int run_protocol_args(int argc, char **argv);

#endif
