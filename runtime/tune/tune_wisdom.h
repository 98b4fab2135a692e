// tune_wisdom.h — stored GEMM configurations ("wisdom", after FFTW): what `w2s tune` chose,
// one JSON file per CPU signature in $XDG_CACHE_HOME/w2s/, written atomically, and installed
// (gemm_config_install) by every command at start-up. Not the timing (tune.h). The one thing
// to know: a file is used only when its CPU signature and w2s version are this process's and
// every configuration in it passes gemm_config_check; anything else is ignored with a note.
#ifndef W2S_RUNTIME_TUNE_WISDOM_H
#define W2S_RUNTIME_TUNE_WISDOM_H

#include "gemm_config.h"

#include <stdio.h>

// What makes a configuration valid here: vendor, family/model/stepping, brand, cache sizes
// and the active ISA level (W2S_ISA changes the kernels), e.g.
// "AuthenticAMD 25/17/1 AMD EPYC 9R14 L1d 32K L2 1024K L3 32768K isa avx512_bf16".
void tune_cpu_signature(char *buf, size_t cap);

// $XDG_CACHE_HOME/w2s/gemm-wisdom-<16 hex digits of the signature's hash>.json; 0 or -1.
int tune_wisdom_path(char *buf, size_t cap);

// What the tuner records beside the configurations (shown by `w2s info`).
typedef struct {
    char arch[32];        // model whose shapes were timed
    int threads;
    double seconds;       // tuning time
    char when[32];        // UTC, ISO 8601
} tune_wisdom_meta;

// Reads the wisdom file for this CPU. Returns 0 and fills s (and meta, may be NULL) when it is
// usable; 1 when there is none; 2 when there is one that must be ignored, with the reason in
// note (one line: which file and why); -1 on an error finding the cache folder.
int tune_wisdom_load(gemm_config_set *s, tune_wisdom_meta *meta, char *note, size_t note_cap);

// Writes s for this CPU atomically (creating the cache folder). 0, or -1 with the error set.
int tune_wisdom_save(const gemm_config_set *s, const tune_wisdom_meta *meta);

// Installs the stored configuration if there is a usable one (source "wisdom <path>"); a file
// that is ignored is named on `notes` (may be NULL) with the reason, and the built-in default
// stays. Returns 1 if wisdom was installed, 0 if not.
int tune_wisdom_apply(FILE *notes);
// tune_wisdom_apply once per process (later calls do nothing and return the first's result):
// what the `w2s` program and the public library's first context call, before any weights are
// packed, so the configuration never changes under a running product.
int tune_wisdom_apply_once(FILE *notes);

#endif
