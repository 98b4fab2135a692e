// cli_usage.h — how a `w2s` subcommand reports a bad command line: usage on --help, else one
// line on stderr and exit status 2. Not the option parser (cli_opts.h, shared with the
// library, never prints).
#ifndef W2S_CLI_USAGE_H
#define W2S_CLI_USAGE_H

#include "cli_opts.h"

#include <stdio.h>

// cli_opts_scan for command `cmd` ("train", "bench label"): prints usage(stdout) for --help,
// or the error in the command's format on stderr. Returns -1 when the command should go on,
// else the exit status to return (0 after --help, 2 after an error).
int cli_opts_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t n, void (*usage)(FILE *));

// Prints "w2s <cmd>: <fmt ...> (see w2s <cmd> --help)" on stderr for a usage error found after
// parsing (a missing or contradictory option); returns 2, the exit status.
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Prints "w2s <cmd>: <current error>" (and a hint if given) to stderr; returns 1: the one
// format of a failure while running, as cli_usage_error's is of a bad command line. With
// W2S_DEBUG set, also where the error was raised.
int cli_fail(const char *cmd, const char *hint);

#endif
