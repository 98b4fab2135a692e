// cmd_train.c — `w2s train`: fine-tune one GPT-2 classifier on a JSONL dataset (trainer.h)
// with any loss, on ground truth or soft labels, and save a w2s checkpoint. A killed run
// rerun with the same command resumes from OUT.ckpt (bit-identical result, same threads).
// The options and the run are train_args.c's (shared with the library's w2s_train); this
// file prints the usage, the summary line and the errors.
#include "cli.h"
#include "cli_usage.h"
#include "train_args.h"

#include "error.h"
#include "world.h"

#include <stdbool.h>
#include <stdio.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: w2s train --model PATH --data FILE.jsonl --out FILE.safetensors [options]\n"
        "  Fine-tunes a GPT-2 classifier (head on the last real token) on the examples of FILE:\n"
        "  targets are each line's \"soft_label\" when present, else one-hot \"hard_label\".\n"
        "  Adam (0.9/0.999, no weight decay), LR cosine to 0 without warm-up, fixed data order.\n"
        "  --model PATH      Hugging Face GPT-2 directory or w2s checkpoint file\n"
        "  --data FILE       JSONL ({\"txt\"|\"input_ids\", \"hard_label\", optional \"soft_label\"})\n"
        "  --out FILE        trained model (w2s checkpoint: safetensors with HF names + score.weight)\n"
        "  --loss L          xent (default), logconf or product\n"
        "  --epochs E        (default 2)     --batch B (32)\n"
        "  --minibatch b     examples per forward/backward (default: the most that fit 1 GiB of activations)\n"
        "  --lr X            peak LR (default 5e-5 for n_embd <= 1024, else 1e-5)\n"
        "  --precision P     bf16 (default) or fp32\n"
        "  --max-ctx T       drop examples longer than T tokens (default n_positions); --truncate cuts them\n"
        "  --tokenizer DIR   vocab.json + merges.txt for \"txt\" lines (default: the model directory)\n"
        "  --linear-probe    train the head only\n"
        "  --ckpt-every N    checkpoint OUT.ckpt every N steps (default: every 10 minutes)\n"
        "  --threads N       OpenMP threads\n"
        "  --quiet           no progress lines\n");
}

int cmd_train(int argc, char **argv) {
    train_summary s;
    bool bad_usage;
    int rc = train_args_run(argc, argv, &s, &bad_usage);
    if (rc == 1) usage(stdout);
    if (rc > 0) return 0;
    if (rc < 0) return bad_usage ? cli_usage_error("train", "%s", w2s_error_message()) : cli_fail("train", NULL);
    char line[4400];
    train_summary_json(&s, line, sizeof line);
    if (dist_is_root()) printf("%s\n", line);  // one summary per job, not one per rank
    return 0;
}
