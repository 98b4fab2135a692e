// cmd_run.c — `w2s run`: the weak-to-strong protocol on user models and data (protocol.h).
// Options come from an optional JSON config file (same keys as the long options, without
// "--"), then the command line, which wins. Every applied option is recorded in results.json.
// The options and the run are run_args.c's (shared with the library's w2s_run); this file
// prints the usage and the errors.
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "run_args.h"

#include "error.h"

#include <stdbool.h>
#include <stdio.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s run --weak DIR --strong DIR --data FILE.jsonl --out DIR [options]\n"
        "       w2s run --chain DIR1,DIR2,...,DIRk --data FILE.jsonl --out DIR [options]\n"
        "  Weak-to-strong protocol (Burns et al. 2023; docs/PROTOCOL.md). For each seed: split the\n"
        "  data (seeded shuffle; n_train halves train1/train2, n_test for test), fine-tune the weak\n"
        "  model on train1 ground truth, label train2 with it (OUT/seed<k>/weak_labels.jsonl), train\n"
        "  the strong ceiling on train2 ground truth and one strong student per loss on the weak\n"
        "  labels, evaluate all on test, and report PGR = (student - weak) / (ceiling - weak).\n"
        "  Writes OUT/results.json, OUT/results_summary.json, OUT/report.html. Finished steps are\n"
        "  reused when rerun with the same options and files; a killed run resumes from checkpoints.\n"
        "\n"
        "  --weak DIR         weak model: Hugging Face GPT-2 directory (config.json, model.safetensors)\n"
        "  --strong DIR      strong model, same layout (a local directory: download hub models first)\n"
        "  --chain M1,...,Mk bootstrapping (2 to 6 models, weak first): the run above with weak M1 and\n"
        "                    strong Mk, plus per loss M2 trained on M1's labels of train2, M3 on M2's labels\n"
        "                    of the same train2, ..., Mk; reports each hop's accuracy and the PGR of the\n"
        "                    chain's end beside the direct student's (instead of --weak/--strong)\n"
        "  --tokenizer DIR   vocab.json + merges.txt that tokenize \"txt\" lines (default: those in the strong,\n"
        "                    else the weak directory)\n"
        "  --data FILE       JSONL: {\"txt\": str, \"hard_label\": int} or {\"input_ids\": [...], \"hard_label\": int}\n"
        "  --test FILE       separate JSONL test set (default: take the test split from --data)\n"
        "  --n-train N       training examples, halved into train1/train2 (default: all the rest)\n"
        "  --n-test N        test examples (default: the whole --test file, or 1/5 of --data)\n"
        "  --n-classes K     classes (default: the models' id2label in config.json, else inferred from the\n"
        "                    largest hard_label, printed; then a class under 1%% of the data or an unused\n"
        "                    label value is an error naming its lines)\n"
        "  --losses LIST     student losses among xent,logconf,product (default xent,logconf,product)\n"
        "  --seeds LIST      comma-separated seeds (default 0)\n"
        "  --out DIR         output directory (created)\n"
        "  --precision P     bf16 (default) or fp32 for training and evaluation\n"
        "  --label-precision int8 (default; docs/PROTOCOL.md, Numerics), bf16 or fp32: the weak model labeling train2\n"
        "  --threads N       OpenMP threads (default: all; results are bit-identical per thread count)\n"
        "  --epochs E        epochs of every stage (default 2)\n"
        "  --gt-epochs E     epochs of the weak model and the ceiling (ground truth; default --epochs)\n"
        "  --transfer-epochs E  epochs of the students (weak labels; default --epochs)\n"
        "  --batch B         examples per optimizer step; the loss sees the whole batch (default 32)\n"
        "  --minibatch b     examples per forward/backward, bounds activation memory (default: the most\n"
        "                    that fit 1 GiB of activations, at most --batch); when smaller than --batch,\n"
        "                    minibatches are forwarded again before their backward\n"
        "  --lr X            peak learning rate of every stage, cosine to 0 (default by model size, the\n"
        "                    reference's rule at batch 32: 5e-5 for n_embd <= 1024, else 1e-5)\n"
        "  --weak-lr X       the weak model's (default --lr)\n"
        "  --strong-lr X     the ceiling's (default --lr)\n"
        "  --transfer-lr X   the students' (default: the ceiling's, --strong-lr)\n"
        "  --optimizer O     adam (default; no weight decay) or adamw\n"
        "  --weight-decay W  adamw's decoupled weight decay on matrices and embeddings (default 0.01)\n"
        "  --eval-every N    test accuracy and loss every N optimizer steps of each training: a curve per\n"
        "                    model in results.json and report.html (default: at the end only)\n"
        "  --aux-coef A      logconf's final weight of the student's own predictions (default 0.5)\n"
        "  --aux-warmup F    fraction of the students' steps over which it ramps up from 0 (default 0.1)\n"
        "  --max-ctx T       drop examples longer than T tokens (default min(1024, n_positions))\n"
        "  --truncate        cut long examples to their first T tokens instead of dropping them\n"
        "  --linear-probe    train the classification heads only\n"
        "  --ckpt-every N    training checkpoint every N steps (default: every 10 minutes)\n"
        "  --ckpt-minutes M  training checkpoint every M minutes (default 10; 0 = off)\n"
        "  --save-models     keep the ceiling's and students' weights (the weak model is always kept); each\n"
        "                    is a Hugging Face directory OUT/seed<k>/<step>/ with config.json and the tokenizer\n"
        "  --config FILE     JSON object with the same keys (\"weak\", \"n-train\" or \"n_train\", \"seeds\": [0,1], ...);\n"
        "                    command-line options override it\n"
        "  --quiet           no progress lines (stderr); the results table is still printed\n"
        "  --no-pipeline     label all of train2, then train the students (default: the first student\n"
        "                    trains on each labeled batch as it arrives, on its own cores; same results\n"
        "                    at the same student thread count)\n"
        "  --label-cores N   cores for the labeler while the first student trains (default: split by\n"
        "  --train-cores N   cost, weak forward 2*P_weak vs student step 6*P_strong; the other gets the rest)\n"
        "  --parallel data|tasks|auto  under mpirun/srun: data = every model trained by all ranks (each\n"
        "                    batch split, gradients summed in rank order); tasks = seeds on different\n"
        "                    ranks; auto (default) = tasks when every rank gets a seed and the strong\n"
        "                    model is under 1B parameters, else data (it says what it picked)\n"
        "example:\n"
        "  w2s run --weak models/gpt2 --strong models/gpt2-medium --data sciq_train.jsonl --test sciq_test.jsonl \\\n"
        "          --n-train 10000 --seeds 0,1,2 --out runs/sciq\n");
}

int cmd_run(int argc, char **argv) {
    bool bad_usage;
    int rc = run_args_run(argc, argv, NULL, true, NULL, 0, &bad_usage);
    if (rc == 1) usage(stdout);
    if (rc >= 0) return 0;
    return bad_usage ? cli_usage_error("run", "%s", w2s_error_message()) : cli_fail("run", NULL);
}

