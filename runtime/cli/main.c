// main.c — `w2s` entry point: dispatches to one subcommand per file in runtime/cli/.
#include "cli.h"

#include "error.h"
#include "profile_report.h"
#include "team.h"
#include "tune_wisdom.h"
#include "world.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    bool mpi;  // runs under mpirun/srun (shares its work over the ranks); the others refuse to
} subcommand;

static const subcommand subcommands[] = {
    {"bench", cmd_bench, "speed of training steps, labeling and the pipeline (bench train|label|pipeline)", true},
    {"demo", cmd_demo, "the built-in weak-to-strong experiment on Fashion-MNIST, no downloads", true},
    {"eval", cmd_eval, "accuracy/AUROC of a model on a JSONL dataset, optional predictions", false},
    {"info", cmd_info, "ISA chosen and available, topology, threads, library versions", true},
    {"label", cmd_label, "weak labels (soft_label + hard_label) of a JSONL dataset, int8; --stream serves stdin", true},
    {"pretrain", cmd_pretrain, "autoregressive pretraining of a GPT-2 on JSONL token sequences (or a demo body)", true},
    {"profile", cmd_profile, "time per matmul path and operation of a GPT-2 step, roofline report", false},
    {"run", cmd_run, "the weak-to-strong protocol on your models and data (PGR report)", true},
    {"serve", cmd_serve, "the weak labeler as an HTTP service (TEI-style /predict, /label, /health, /metrics)", false},
    {"sweep", cmd_sweep, "w2s run on every weak <= strong pair of a list of models, accuracy vs size", true},
    {"tokenize", cmd_tokenize, "GPT-2 BPE token ids of each stdin line (or --decode them)", false},
    {"train", cmd_train, "fine-tune one model on a JSONL dataset (any loss), save a checkpoint", true},
    {"tune", cmd_tune, "time GEMM configurations on a model's shapes, store the fastest for this CPU", false},
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
    team_wait_policy_apply(argv); // before any OpenMP region: may re-exec with a brief spin count (team.h)
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
    // Under mpirun/srun every rank runs the same subcommand (world.h); alone, MPI stays off.
    if (dist_init(&argc, &argv) != 0) {
        fprintf(stderr, "w2s: %s\n", w2s_error_message());
        dist_abort(1);
    }
    // Before any weights are packed: the stored GEMM configuration for this CPU, if any.
    tune_wisdom_apply_once(stderr);
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i].name)) {
            if (!subcommands[i].mpi && dist_world_size() > 1) {
                if (dist_world_rank() == 0)
                    fprintf(stderr, "w2s %s: runs as one process; run it without mpirun/srun (under MPI: bench "
                                    "train, demo, info, label, pretrain, run, sweep, train)\n", argv[1]);
                dist_finalize();
                return 2;
            }
            int rc = stdout_checked(subcommands[i].run(argc - 1, argv + 1));
            // A rank that fails alone would leave the others waiting in a collective: end them.
            if (rc && dist_world_size() > 1) dist_abort(rc);
            dist_finalize();
            return rc;
        }
    dist_finalize();
    fprintf(stderr, "w2s: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
