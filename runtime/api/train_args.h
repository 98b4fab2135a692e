// train_args.h — `w2s train`'s options and run, shared by the command (cmd_train.c, which prints
// the usage and the summary line) and the library's w2s_train (options as JSON). Not the
// trainer (trainer.h). Never prints, apart from the trainer's progress lines without --quiet.
#ifndef W2S_API_TRAIN_ARGS_H
#define W2S_API_TRAIN_ARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char out[4096];        // the checkpoint written
    size_t examples, steps, resumed_step;
    double final_loss, train_s;
} train_summary;

// Parses `w2s train`'s options (argv[0] ignored), fine-tunes and saves the checkpoint. Returns
// 0, 1 after --help (the caller prints the usage), or -1 with the error set and *bad_usage
// telling whether the command line was at fault. Uses getopt: one call at a time per process.
int train_args_run(int argc, char **argv, train_summary *s, bool *bad_usage);

// The summary as one JSON object line, the command's stdout ({"out", "examples", "steps",
// "final_loss", "train_s", "resumed_step"}): the length written, as snprintf.
int train_summary_json(const train_summary *s, char *buf, size_t cap);

#endif
