// cmd_demo.c — `w2s demo`: the built-in weak-to-strong experiment (runtime/demo/demo.h).
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"

#include "demo.h"
#include "image_tokens.h"

#include <stdio.h>

static void usage(FILE *f) {
    fprintf(f, "usage: w2s demo [--out DIR] [--seeds 0,1,2] [--task pullover-coat|upper-body|classes] [--group LIST] [--quick] [--fresh]\n"
               "                [--finetune] [--no-pipeline] [--data DIR] [--cache-dir DIR] [--quiet]\n"
               "                [--bootstrap] [--weak-n N] [--transfer-n N] [--aux-coef A] [--aux-warmup F]\n"
               "                [--threshold batch|running|argmax] [--threshold-buffer N]\n"
               "  Reproduces weak-to-strong generalization on Fashion-MNIST with no downloads (docs/DEMO.md):\n"
               "  pretrains a weak (1 layer, d=32) and a strong (4 layers, d=128) GPT-2 body on captioned\n"
               "  image tokens, then trains linear probes: weak on ground truth, strong students on the\n"
               "  weak labels (xent and the auxiliary confidence loss), and the strong ceiling. Prints the\n"
               "  accuracies and PGR, and writes results.json, results_summary.json, report.html.\n"
               "  --out DIR     output directory (default ./w2s-demo)\n"
               "  --seeds LIST  comma-separated seeds (default 0,1,2)\n"
               "  --task T      pullover-coat: is the garment a pullover or a coat (default); upper-body:\n"
               "                a T-shirt/top, pullover, coat or shirt (the first recipe's task);\n"
               "                classes: the 10 classes (logconf hardens by argmax there)\n"
               "  --group LIST  a binary task of its own: these Fashion-MNIST classes (0..9, comma-separated)\n"
               "                against the rest, e.g. 2,4 is pullover-coat\n"
               "  --quick       a smaller version for smoke tests: 1/5 of the steps and data, one seed\n"
               "                unless --seeds is given\n"
               "  --fresh       pretrain again even if the bodies are cached\n"
               "  --finetune    fine-tune the whole bodies instead of training probes, with w2s run's\n"
               "                protocol (docs/PROTOCOL.md; LR 3e-4, 2 epochs); its per-seed outputs go\n"
               "                to OUT/finetune/seed<k>/ and finished steps are reused when rerun\n"
               "  --bootstrap   also bootstrapping: the weak labels train a probe on an intermediate body\n"
               "                (2 layers, d=64, pretrained and cached like the others), whose labels\n"
               "                train a third strong student (xent at each hop)\n"
               "  --no-pipeline label split B completely before the students train (default: the\n"
               "                int8 weak labels stream into the students on their own cores)\n"
               "  --data DIR    Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
               "  --cache-dir DIR  pretrained bodies (default $XDG_CACHE_HOME/w2s or ~/.cache/w2s)\n"
               "  --quiet       no progress lines\n"
               "  The probes' recipe (docs/DEMO.md; not with --finetune):\n"
               "  --weak-n N        ground-truth examples of the weak probe (split A; default half the pool)\n"
               "  --transfer-n N    weak-labeled examples of the students and the ceiling (split B;\n"
               "                    default half the pool); A and B together at most the pool\n"
               "  --aux-coef A      the confidence loss's final weight of the student's own predictions\n"
               "                    (default 0.75)\n"
               "  --aux-warmup F    fraction of the steps over which that weight ramps up (default 0.2)\n"
               "  --threshold R     how the confidence loss hardens the binary task's predictions: batch\n"
               "                    (the quantile of each batch, default), running (the same quantile over\n"
               "                    the last --threshold-buffer predictions, default 1024), argmax (0.5)\n"
               "  Under mpirun/srun the seeds are shared out over the ranks (seed k on rank k mod ranks);\n"
               "  rank 0 prints and writes the one results set.\n");
}

int cmd_demo(int argc, char **argv) {
    demo_config c;
    demo_config_default(&c);
    int seeds_given = 0, task = DEMO_TASK_PULLOVER_COAT, threshold = PROBE_THRESHOLD_BATCH;
    bool no_pipeline = false;
    const char *const tasks[] = {demo_task_name(DEMO_TASK_PULLOVER_COAT), demo_task_name(DEMO_TASK_UPPER_BODY),
                                 demo_task_name(DEMO_TASK_CLASSES), NULL};
    uint64_t group[FMNIST_CLASSES];
    size_t n_group = 0;
    cli_opt opts[] = {
        CLI_OPT("out", CLI_STR, &c.out_dir),
        CLI_OPT("seeds", CLI_U64_LIST, c.seeds, .n = &c.n_seeds, .max_items = DEMO_MAX_SEEDS, .seen = &seeds_given),
        CLI_OPT("task", CLI_CHOICE, &task, .choices = tasks),
        CLI_OPT("group", CLI_U64_LIST, group, .n = &n_group, .max_items = FMNIST_CLASSES - 1),
        CLI_OPT("data", CLI_STR, &c.data_dir),
        CLI_OPT("cache-dir", CLI_STR, &c.cache_dir),
        CLI_OPT("quick", CLI_FLAG, &c.quick),
        CLI_OPT("fresh", CLI_FLAG, &c.fresh),
        CLI_OPT("finetune", CLI_FLAG, &c.finetune),
        CLI_OPT("bootstrap", CLI_FLAG, &c.bootstrap),
        CLI_OPT("no-pipeline", CLI_FLAG, &no_pipeline),
        CLI_OPT("quiet", CLI_FLAG, &c.quiet),
        CLI_OPT("weak-n", CLI_SIZE, &c.weak_n, .lo = 1),
        CLI_OPT("transfer-n", CLI_SIZE, &c.transfer_n, .lo = 1),
        CLI_OPT("aux-coef", CLI_FLOAT, &c.aux_coef, .min = 0, .max = 1),
        CLI_OPT("aux-warmup", CLI_FLOAT, &c.aux_warmup, .min = 0, .max = 1),
        CLI_OPT("threshold", CLI_CHOICE, &threshold, .choices = CLI_CHOICES("batch", "running", "argmax")),
        CLI_OPT("threshold-buffer", CLI_SIZE, &c.threshold_buffer, .lo = 1),
    };
    int status = cli_opts_parse("demo", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    if (no_pipeline) c.pipelined = false;
    c.task = (demo_task)task;
    if (n_group) {  // a binary task of its own: these classes against the rest
        c.task = DEMO_TASK_GROUP;
        for (size_t i = 0; i < n_group; i++) {
            if (group[i] >= FMNIST_CLASSES || c.group >> group[i] & 1u)
                return cli_usage_error("demo", "--group takes distinct Fashion-MNIST classes 0..9, got %llu twice or "
                                       "out of range", (unsigned long long)group[i]);
            c.group |= 1u << group[i];
        }
    }
    c.threshold = (probe_threshold)threshold;
    if (c.quick && !seeds_given) c.n_seeds = 1;
    if (demo_run(&c) != 0) return cli_fail("demo", NULL);
    return 0;
}
