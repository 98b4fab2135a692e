// team.c — a stage's OS thread with its own bound OpenMP team (see team.h).
// The team thread copies its thread-local error message into the team before it ends, so
// team_join can hand it to the joining thread.
#include "team.h"

#include "bind.h"
#include "error.h"

#include <errno.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct team {
    team_config cfg;
    char name[32];
    pthread_t thread;
    int result;
    char message[W2S_ERROR_MAX];
};

static void *team_main(void *p) {
    team *tm = p;
    w2s_error_clear();
    int rc = 0;
    if (tm->cfg.bind) {
        rc = bind_omp_team(tm->cfg.topo, tm->cfg.pus, tm->cfg.n_threads);
    } else {
        omp_set_num_threads(tm->cfg.n_threads);
    }
    if (rc == 0) rc = tm->cfg.fn(tm->cfg.arg);
    tm->result = rc;
    if (rc < 0) {
        snprintf(tm->message, sizeof tm->message, "%s", w2s_error_message());
        if (tm->cfg.on_error) tm->cfg.on_error(tm->cfg.arg, tm->message);
    }
    return NULL;
}

team *team_start(const team_config *cfg) {
    if (!cfg->fn || cfg->n_threads < 1 || !cfg->pus) {
        W2S_FAIL("team '%s': needs a function and at least one PU (got %d)", cfg->name ? cfg->name : "?",
                 cfg->n_threads);
        return NULL;
    }
    team *tm = calloc(1, sizeof *tm);
    if (!tm) {
        W2S_FAIL("out of memory starting team '%s'", cfg->name ? cfg->name : "?");
        return NULL;
    }
    tm->cfg = *cfg;
    snprintf(tm->name, sizeof tm->name, "%s", cfg->name ? cfg->name : "stage");
    tm->cfg.name = tm->name;
    int err = pthread_create(&tm->thread, NULL, team_main, tm);
    if (err) {
        W2S_FAIL("cannot start the %s stage's thread: %s", tm->name, strerror(err));
        free(tm);
        return NULL;
    }
    return tm;
}

int team_join(team *tm) {
    pthread_join(tm->thread, NULL);
    int rc = tm->result;
    if (rc < 0) W2S_FAIL("%s stage: %s", tm->name, tm->message);
    free(tm);
    return rc;
}

// ---- libgomp wait policy

// Marks a GOMP_SPINCOUNT that team_wait_policy_apply set (inherited by child processes), so
// team_wait_policy can tell it from the user's.
#define TEAM_SPIN_MARK "W2S_BRIEF_SPIN"

void team_wait_policy_apply(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("GOMP_SPINCOUNT", TEAM_SPIN_COUNT, 1) != 0 || setenv(TEAM_SPIN_MARK, "1", 1) != 0) return;
    execv("/proc/self/exe", argv);
    unsetenv("GOMP_SPINCOUNT");  // exec failed (no /proc): carry on with libgomp's default
    unsetenv(TEAM_SPIN_MARK);
}

const char *team_wait_policy(void) {
    const char *w = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
    if (w && !strcasecmp(w, "passive")) return "passive";
    if (w && !strcasecmp(w, "active")) return "active";
    if (spin && getenv(TEAM_SPIN_MARK) && !strcmp(spin, TEAM_SPIN_COUNT))
        return "brief spin (GOMP_SPINCOUNT=" TEAM_SPIN_COUNT ", ~25 us), then sleep";
    if (spin) return "spin GOMP_SPINCOUNT then sleep";
    return "default (spin then sleep)";
}
