// cmd_demo.c — `w2s demo`: the built-in weak-to-strong experiment (runtime/demo.h).
#include "cli.h"

#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: w2s demo [--out DIR] [--seeds 0,1,2] [--quick] [--fresh] [--no-pipeline] [--data DIR]\n"
               "                [--cache-dir DIR] [--quiet]\n"
               "  Reproduces weak-to-strong generalization on Fashion-MNIST with no downloads (DEMO.md):\n"
               "  pretrains a weak (1 layer, d=32) and a strong (4 layers, d=128) GPT-2 body on captioned\n"
               "  image tokens, then trains linear probes: weak on ground truth, strong students on the\n"
               "  weak labels (xent and the auxiliary confidence loss), and the strong ceiling. Prints the\n"
               "  accuracies and PGR, and writes results.json, results_summary.json, report.html.\n"
               "  --out DIR     output directory (default ./w2s-demo)\n"
               "  --seeds LIST  comma-separated seeds (default 0,1,2)\n"
               "  --quick       a smaller version for smoke tests: 1/5 of the steps and data, one seed\n"
               "                unless --seeds is given\n"
               "  --fresh       pretrain again even if the bodies are cached\n"
               "  --no-pipeline label split B completely before the students train (default: the\n"
               "                int8 weak labels stream into the students on their own cores)\n"
               "  --data DIR    Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
               "  --cache-dir DIR  pretrained bodies (default $XDG_CACHE_HOME/w2s or ~/.cache/w2s)\n"
               "  --quiet       no progress lines\n");
}

static int parse_seeds(const char *s, demo_config *c) {
    c->n_seeds = 0;
    while (*s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || (*end && *end != ',') || c->n_seeds == DEMO_MAX_SEEDS) return -1;
        c->seeds[c->n_seeds++] = v;
        s = *end ? end + 1 : end;
    }
    return c->n_seeds ? 0 : -1;
}

int cmd_demo(int argc, char **argv) {
    demo_config c;
    demo_config_default(&c);
    int seeds_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            c.quick = 1;
        } else if (!strcmp(a, "--no-pipeline")) {
            c.pipelined = 0;
        } else if (!strcmp(a, "--fresh")) {
            c.fresh = 1;
        } else if (!strcmp(a, "--cache-dir") && has_value) {
            c.cache_dir = argv[++i];
        } else if (!strcmp(a, "--quiet")) {
            c.quiet = 1;
        } else if (!strcmp(a, "--out") && has_value) {
            c.out_dir = argv[++i];
        } else if (!strcmp(a, "--data") && has_value) {
            c.data_dir = argv[++i];
        } else if (!strcmp(a, "--seeds") && has_value) {
            seeds_given = 1;
            if (parse_seeds(argv[++i], &c) != 0) {
                fprintf(stderr, "w2s demo: --seeds takes 1 to %d comma-separated integers, got '%s'\n", DEMO_MAX_SEEDS,
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "w2s demo: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (c.quick && !seeds_given) c.n_seeds = 1;
    if (demo_run(&c) != 0) return cli_fail("demo", NULL);
    return 0;
}
