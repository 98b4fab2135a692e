// cli_opts.c — the option table parser every `w2s` subcommand and the library's run config
// use (cli_opts.h): glibc getopt_long does the scanning; this file only builds its table,
// checks and stores values, and words the errors. Not a parser of its own: getopt decides what
// is an option and a value. It never prints (runtime/cli/cli_usage.c does, for the command).
#include "cli_opts.h"

#include "error.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_OPTS 64
#define CLI_VAL0 256  // getopt's value for opts[i] is CLI_VAL0 + i, above every short option char

_Static_assert(SIZE_MAX >= UINT64_MAX, "a size_t holds every 64-bit integer parse_u64 accepts");

// ---- values

// A decimal integer with nothing before or after it (no sign, no blanks) that fits 64 bits.
static int parse_u64(const char *v, size_t len, uint64_t *out) {
    if (len == 0 || len > 20 || v[0] < '0' || v[0] > '9') return -1;
    char buf[21], *end;
    memcpy(buf, v, len);
    buf[len] = 0;
    errno = 0;
    unsigned long long x = strtoull(buf, &end, 10);
    if (*end || errno == ERANGE) return -1;
    *out = (uint64_t)x;
    return 0;
}

static int parse_list(const char *v, uint64_t *dst, size_t max_items, size_t *n) {
    size_t k = 0;
    for (;;) {
        const char *comma = strchr(v, ',');
        size_t len = comma ? (size_t)(comma - v) : strlen(v);
        if (k == max_items || parse_u64(v, len, &dst[k])) return -1;
        k++;
        if (!comma) break;
        v = comma + 1;
    }
    *n = k;
    return 0;
}

static int parse_number(const char *v, const cli_opt *o, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x)) return -1;
    if (x < o->min || x > o->max) return -1;
    if (((o->open & CLI_OPEN_MIN) && x == o->min) || ((o->open & CLI_OPEN_MAX) && x == o->max)) return -1;
    *out = x;
    return 0;
}

// "expected ..." for a bad value of o.
static void expected(const cli_opt *o, char *buf, size_t cap) {
    switch (o->type) {
    case CLI_SIZE:
        if (o->hi) snprintf(buf, cap, "an integer from %zu to %zu", o->lo, o->hi);
        else snprintf(buf, cap, "an integer >= %zu", o->lo);
        break;
    case CLI_DOUBLE:
    case CLI_FLOAT:
        if (isinf(o->max)) snprintf(buf, cap, "a number %s %g", o->open & CLI_OPEN_MIN ? ">" : ">=", o->min);
        else snprintf(buf, cap, "a number in %c%g, %g%c", o->open & CLI_OPEN_MIN ? '(' : '[', o->min, o->max,
                      o->open & CLI_OPEN_MAX ? ')' : ']');
        break;
    case CLI_CHOICE: {
        size_t len = 0, k = 0;
        buf[0] = 0;
        for (; o->choices[k] && len < cap; k++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s",
                                    k == 0 ? "" : o->choices[k + 1] ? ", " : " or ", o->choices[k]);
        break;
    }
    case CLI_U64_LIST:
        snprintf(buf, cap, "1 to %zu comma-separated integers", o->max_items);
        break;
    default:
        snprintf(buf, cap, "%s", o->what ? o->what : "a valid value");
    }
}

int cli_opt_set(const cli_opt *o, const char *value) {
    int rc = 0;
    uint64_t u;
    double x;
    switch (o->type) {
    case CLI_FLAG:
        *(bool *)o->dst = true;
        break;
    case CLI_STR:
        *(const char **)o->dst = value;
        break;
    case CLI_SIZE:
        rc = parse_u64(value, strlen(value), &u) || u < o->lo || (o->hi && u > o->hi) ? -1 : 0;
        if (!rc) *(size_t *)o->dst = (size_t)u;
        break;
    case CLI_DOUBLE:
        rc = parse_number(value, o, &x);
        if (!rc) *(double *)o->dst = x;
        break;
    case CLI_FLOAT: {
        // Checked again as a float: a value that rounds to an excluded end (1e-50 > 0 is 0.0f) is refused.
        rc = parse_number(value, o, &x);
        float f = (float)x;
        if (!rc && (!isfinite(f) || ((o->open & CLI_OPEN_MIN) && f <= o->min))) rc = -1;
        if (!rc) *(float *)o->dst = f;
        break;
    }
    case CLI_CHOICE:
        rc = -1;
        for (int k = 0; o->choices[k] && rc; k++)
            if (!strcmp(value, o->choices[k])) {
                *(int *)o->dst = k;
                rc = 0;
            }
        break;
    case CLI_U64_LIST:
        rc = parse_list(value, o->dst, o->max_items, o->n);
        break;
    case CLI_FN:
        rc = o->parse(value, o->dst) ? -1 : 0;
        break;
    }
    if (rc) {
        char want[256];
        expected(o, want, sizeof want);
        return W2S_FAIL("bad value '--%s %s': expected %s", o->name, value ? value : "", want);
    }
    if (o->seen) ++*o->seen;
    return 0;
}

const cli_opt *cli_opt_find(const cli_opt *opts, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(opts[i].name, name)) return &opts[i];
    return NULL;
}

// ---- scanning

// Whether word is "--name" or "--name=...": getopt_long also takes any unambiguous prefix,
// which would make today's abbreviation tomorrow's error when an option is added.
static bool written_in_full(const char *word, const char *name) {
    size_t len = strlen(name);
    return !strncmp(word, "--", 2) && !strncmp(word + 2, name, len) && (word[2 + len] == 0 || word[2 + len] == '=');
}

int cli_opts_scan(int argc, char **argv, const cli_opt *opts, size_t n, cli_each_fn each, void *arg) {
    struct option lo[CLI_MAX_OPTS + 2];
    if (n > CLI_MAX_OPTS) return W2S_FAIL("%zu options: cli_opts_scan takes at most %d", n, CLI_MAX_OPTS);
    for (size_t i = 0; i < n; i++)
        lo[i] = (struct option){opts[i].name, opts[i].type == CLI_FLAG ? no_argument : required_argument, NULL,
                                CLI_VAL0 + (int)i};
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){0};
    opterr = 0;  // the errors are ours, in the command's format
    optind = 0;  // glibc: a full re-initialization, for a new argv in the same process
    for (;;) {
        // "+": no permutation, so the word getopt reads next is always argv[optind].
        int at = optind < 1 ? 1 : optind;
        int c = getopt_long(argc, argv, "+:h", lo, NULL);
        if (c == -1) break;
        const char *word = at < argc ? argv[at] : "";
        int k = c >= CLI_VAL0 ? c - CLI_VAL0 : (c == ':' || c == '?') && optopt >= CLI_VAL0 ? optopt - CLI_VAL0 : -1;
        if (c == 'h' && (!strcmp(word, "-h") || written_in_full(word, "help"))) return 1;
        if (k < 0 || !written_in_full(word, opts[k].name)) return W2S_FAIL("unknown option '%s'", word);
        if (c == ':') return W2S_FAIL("--%s needs a value", opts[k].name);
        if (c == '?') return W2S_FAIL("--%s takes no value, got '%s'", opts[k].name, word);
        if (cli_opt_set(&opts[k], optarg)) return -1;
        if (each && each(arg, &opts[k], optarg)) return -1;
    }
    if (optind < argc) return W2S_FAIL("unexpected argument '%s' (options start with --)", argv[optind]);
    return 0;
}
