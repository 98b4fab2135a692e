// team.h — a pipeline stage's thread team: one OS thread that owns an OpenMP team bound to
// the stage's PUs, and runs the stage's function.
// libgomp keeps a separate thread pool per root (non-OpenMP) thread, so two teams started
// from two pthreads never share workers: each stage's kernels run on its own cores.
// Not a scheduler: the stage function decides what runs; errors come back through team_join.
//
// Waiting threads: libgomp's idle workers spin (GOMP_SPINCOUNT, 300k iterations by default,
// for ever with OMP_WAIT_POLICY=active) before sleeping. On a machine shared with other jobs a
// spinning worker burns a core a neighbour wants, and once preempted it wakes late. Measured
// on 2 cores at load ~12 (2-thread empty region, medians of 7 interleaved runs): started 1 ms
// after the previous one, 27 ms default / 26 ms active / 9 us passive; back to back, 51 us
// default / 36 us active / 24 us passive (a quiet machine gives ~3 us active). Passive alone
// pays a futex wake-up for each of the ~70 parallel regions of one example's forward, which
// follow each other within microseconds: GPT-2 small int8, 1 x 64 tokens, 15.5 ms passive
// against 14.3 ms with 1000 spins. So w2s spins briefly, then blocks: team_wait_policy_apply(),
// first thing in main, re-executes the program once with GOMP_SPINCOUNT=1000 (1000 `pause`
// iterations, ~25 us on Zen 4: longer than the gap between a forward's regions, far shorter
// than a neighbour's time slice; with two busy neighbours on the 2 cores it was no slower than
// passive) unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT (set OMP_WAIT_POLICY=active
// on a dedicated machine). libgomp reads these in its constructor, before main, so setenv
// alone would come too late.
#ifndef W2S_RUNTIME_TEAM_H
#define W2S_RUNTIME_TEAM_H

#include "topology.h"

#include <stdbool.h>

// The stage body, run on the team's root thread (OpenMP thread 0) after binding. Returns 0, or
// -1 with the w2s error set. `#pragma omp parallel` inside it uses the bound team.
typedef int (*team_fn)(void *arg);
// Called on the team's thread when binding or `fn` failed, with the message, before the thread
// ends: the place to pipeline_fail() so the other stage stops waiting.
typedef void (*team_error_fn)(void *arg, const char *message);

typedef struct team_config {
    const char *name;       // stage name for messages ("label", "train")
    const topology *topo;
    const unsigned *pus;    // (n_threads) PU OS index for each OpenMP thread
    int n_threads;
    bool bind;              // false: no binding (a synthetic topology, or a user opt-out)
    team_fn fn;
    team_error_fn on_error; // may be NULL
    void *arg;              // passed to fn and on_error
} team_config;

typedef struct team team;

// Starts the team's thread. NULL (error set) if the thread cannot be created; failures after
// that (binding, fn) are reported by team_join. `cfg->pus` must outlive the team.
team *team_start(const team_config *cfg);
// Waits for the thread, frees the team, and returns fn's result; on -1 the calling thread's
// error is "<name> stage: <the team thread's message>".
int team_join(team *tm);

// The spin count team_wait_policy_apply sets (libgomp `pause` iterations before sleeping).
#define TEAM_SPIN_COUNT "1000"

// Re-executes /proc/self/exe with GOMP_SPINCOUNT=TEAM_SPIN_COUNT when neither OMP_WAIT_POLICY
// nor GOMP_SPINCOUNT is set. Returns only when no re-exec was needed or exec failed (the run then
// continues with libgomp's default policy).
void team_wait_policy_apply(char **argv);
// What libgomp was started with: "passive", "active", "brief spin (...), then sleep" (w2s's
// own), "spin GOMP_SPINCOUNT then sleep" (the user's) or "default (spin then sleep)".
const char *team_wait_policy(void);

#endif
