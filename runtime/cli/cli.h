// cli.h — the `w2s` command's subcommands. Each cmd_* reads its options through cli_opts.h,
// returns the process exit code, and prints errors as one line: "w2s <cmd>: <what failed>"
// (exit status 2 for a bad command line, 1 for a failure while running).
#ifndef W2S_CLI_H
#define W2S_CLI_H

int cmd_bench(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_pretrain(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_tune(int argc, char **argv);

#endif
