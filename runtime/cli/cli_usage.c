// cli_usage.c — how the command reports (cli_usage.h): usage on --help, one "w2s <cmd>: ..."
// line on stderr and exit status 2 for a bad command line, status 1 for a failure while
// running. Not in cli_opts.c, which the library shares and which therefore never prints.
#include "cli_usage.h"

#include "error.h"
#include "world.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "w2s %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see w2s %s --help)\n", cmd);
    return 2;
}

int cli_opts_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t n, void (*usage)(FILE *)) {
    int rc = cli_opts_scan(argc, argv, opts, n, NULL, NULL);
    if (rc == 1) usage(stdout);
    if (rc < 0) return cli_usage_error(cmd, "%s", w2s_error_message());
    return rc == 1 ? 0 : -1;
}

// ---- failures while running

int cli_fail(const char *cmd, const char *hint) {
    if (dist_world_size() > 1)  // which rank and host failed, for a job of many
        fprintf(stderr, "w2s %s (rank %d on %s): %s\n", cmd, dist_world_rank(), dist_host(), w2s_error_message());
    else
        fprintf(stderr, "w2s %s: %s\n", cmd, w2s_error_message());
    if (hint) fprintf(stderr, "  hint: %s\n", hint);
    const char *debug = getenv("W2S_DEBUG");
    if (debug && *debug && strcmp(debug, "0")) fprintf(stderr, "  (raised at %s)\n", w2s_error_origin());
    return 1;
}
