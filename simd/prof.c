// prof.c — storage of the profiling hooks (prof.h) and the names of their kinds.
// Not a profiler: runtime/profile/profiler.c installs the observers and does the accounting.
#include "prof.h"

gemm_observer_fn gemm_observer = NULL;
prof_region_fn prof_region_observer = NULL;
__thread prof_phase prof_current_phase = PROF_PHASE_FORWARD;
prof_phase prof_last_phase = PROF_PHASE_FORWARD;

const char *prof_kind_name(prof_kind kind) {
    static const char *const names[PROF_KIND_COUNT] = {
        [PROF_EMBED] = "embedding",   [PROF_LAYERNORM] = "layernorm", [PROF_ATTENTION] = "attention",
        [PROF_GELU] = "gelu",         [PROF_SOFTMAX] = "softmax",     [PROF_RESIDUAL] = "residual",
        [PROF_BIAS_GRAD] = "bias_grad", [PROF_HEAD] = "head",         [PROF_LOSS] = "loss",
        [PROF_OPTIMIZER] = "optimizer", [PROF_QUANTIZE] = "quantize", [PROF_PACK] = "weight_pack",
        [PROF_DATA] = "data",         [PROF_FILE_IO] = "file_io",   [PROF_OTHER] = "other",
    };
    return (unsigned)kind < PROF_KIND_COUNT ? names[kind] : "?";
}

const char *prof_phase_name(prof_phase phase) {
    static const char *const names[PROF_PHASE_COUNT] = {
        [PROF_PHASE_FORWARD] = "forward", [PROF_PHASE_BACKWARD] = "backward", [PROF_PHASE_UPDATE] = "update"};
    return (unsigned)phase < PROF_PHASE_COUNT ? names[phase] : "?";
}
