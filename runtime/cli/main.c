// main.c — `w2s` entry point: dispatches to one subcommand per file in runtime/cli/.
#include "cli.h"

#include "profile_report.h"
#include "team.h"
#include "tune_wisdom.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"bench", cmd_bench, "speed of training steps, labeling and the pipeline (bench train|label|pipeline)"},
    {"demo", cmd_demo, "the built-in weak-to-strong experiment on Fashion-MNIST, no downloads"},
    {"eval", cmd_eval, "accuracy/AUROC of a model on a JSONL dataset, optional predictions"},
    {"info", cmd_info, "ISA chosen and available, topology, threads, library versions"},
    {"label", cmd_label, "weak labels (soft_label + hard_label) of a JSONL dataset, int8; --stream serves stdin"},
    {"pretrain", cmd_pretrain, "autoregressive pretraining of a GPT-2 on JSONL token sequences (or a demo body)"},
    {"profile", cmd_profile, "time per matmul path and operation of a GPT-2 step, roofline report"},
    {"run", cmd_run, "the weak-to-strong protocol on your models and data (PGR report)"},
    {"serve", cmd_serve, "the weak labeler as an HTTP service (TEI-style /predict, /label, /health, /metrics)"},
    {"sweep", cmd_sweep, "w2s run on every weak <= strong pair of a list of models, accuracy vs size"},
    {"tokenize", cmd_tokenize, "GPT-2 BPE token ids of each stdin line (or --decode them)"},
    {"train", cmd_train, "fine-tune one model on a JSONL dataset (any loss), save a checkpoint"},
    {"tune", cmd_tune, "time GEMM configurations on a model's shapes, store the fastest for this CPU"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: w2s [--profile] <command> [options]   (w2s <command> --help for its options)\n"
                 "  --profile (or env W2S_PROFILE=1): time per matmul path and operation, table at exit\n"
                 "  and profile.json in $W2S_PROFILE_DIR (default .)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
}

// A result printed on stdout that never arrived (full disk, a closed pipe) must not exit 0.
static int stdout_checked(int rc) {
    int failed = fflush(stdout) != 0, e = errno;
    if (!failed && !ferror(stdout)) return rc;
    fprintf(stderr, "w2s: writing standard output failed: %s\n", failed ? strerror(e) : "I/O error");
    return rc ? rc : 1;
}

int main(int argc, char **argv) {
    team_wait_policy_apply(argv); // before any OpenMP region: may re-exec with OMP_WAIT_POLICY=passive
    bool profile = argc >= 2 && !strcmp(argv[1], "--profile");
    if (profile) {
        argc--;
        argv++;
    }
    profile_report_install_at_exit(profile);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    // Before any weights are packed: the stored GEMM configuration for this CPU, if any.
    tune_wisdom_apply_once(stderr);
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return stdout_checked(subcommands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "w2s: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
