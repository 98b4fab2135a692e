// cli_opts.h — how every `w2s` subcommand (and w2s_run's config) reads its options: a table of typed options (cli_opt)
// walked by glibc getopt_long, each value range-checked as it is stored, and one error format,
// "w2s <cmd>: <what is wrong with which option> (see w2s <cmd> --help)", exit status 2
// (printed by cli_usage.h; this part never prints).
// Not a general argument library: GNU long options written in full ("--name value" or
// "--name=value"), no positional arguments, "-h" the only short option. The one thing to know:
// values are stored in argv order (of two, the last wins); getopt is reset on every call.
#ifndef W2S_CLI_OPTS_H
#define W2S_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CLI_FLAG,      // bool *dst = true; takes no value
    CLI_STR,       // const char **dst = the value itself (points into argv)
    CLI_SIZE,      // size_t *dst: a decimal integer in [lo, hi] (hi 0: no upper bound)
    CLI_DOUBLE,    // double *dst: a finite number in min..max (ends per `open`)
    CLI_FLOAT,     // float *dst: the same, checked after rounding to float
    CLI_CHOICE,    // int *dst: the index of the value in choices
    CLI_U64_LIST,  // uint64_t dst[max_items]: 1 to max_items comma-separated integers, count in *n
    CLI_FN,        // parse(value, dst) == 0 accepts it; `what` says what it accepts
} cli_opt_type;

enum { CLI_OPEN_MIN = 1, CLI_OPEN_MAX = 2 };  // CLI_DOUBLE/CLI_FLOAT: the end is excluded

typedef struct {
    const char *name;                   // without the leading "--"
    cli_opt_type type;
    void *dst;
    size_t lo, hi;                      // CLI_SIZE
    double min, max;                    // CLI_DOUBLE, CLI_FLOAT (max INFINITY: no upper bound)
    unsigned open;                      // CLI_OPEN_MIN | CLI_OPEN_MAX
    const char *const *choices;         // CLI_CHOICE: NULL-terminated, see CLI_CHOICES
    size_t *n, max_items;               // CLI_U64_LIST
    int (*parse)(const char *value, void *dst);  // CLI_FN
    const char *what;                   // CLI_FN: "xent, logconf or product"
    int *seen;                          // not NULL: incremented each time the option is given
} cli_opt;

// One table row: CLI_OPT("batch", CLI_SIZE, &batch, .lo = 1). Fields not named are 0/NULL.
#define CLI_OPT(name_, type_, dst_, ...) {.name = (name_), .type = (type_), .dst = (dst_), __VA_ARGS__}
// A compound literal: valid in the enclosing block only (a table returned from a function
// needs a static array).
#define CLI_CHOICES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CLI_N(table) (sizeof(table) / sizeof((table)[0]))

// Called after each option is stored (value NULL for a flag): 0 goes on, -1 (with the error
// set) stops the scan.
typedef int (*cli_each_fn)(void *arg, const cli_opt *o, const char *value);

// Parses argv[1..argc) against opts[0..n) with getopt_long, storing each value in order and
// calling each(arg, ...) after it (each may be NULL). "--help" / "-h" stops the scan.
// Returns 0, 1 for --help (options after it not read), or -1 with the error set (nothing
// printed): an unknown or abbreviated option, a missing or bad value, a positional argument,
// or each's.
int cli_opts_scan(int argc, char **argv, const cli_opt *opts, size_t n, cli_each_fn each, void *arg);

// Stores `value` (NULL for a flag) into o's destination after checking it. Returns 0, or -1
// with the error "bad value '--name value': expected ..." set.
int cli_opt_set(const cli_opt *o, const char *value);

// The option called `name` (no dashes) in opts[0..n), or NULL.
const cli_opt *cli_opt_find(const cli_opt *opts, size_t n, const char *name);

#endif
