// cmd_bench_pipeline.h — `w2s bench pipeline` (cmd_bench_pipeline.c), dispatched from
// cmd_bench.c; argv[0] is "pipeline".
#ifndef W2S_CLI_CMD_BENCH_PIPELINE_H
#define W2S_CLI_CMD_BENCH_PIPELINE_H

int bench_pipeline(int argc, char **argv);

#endif
