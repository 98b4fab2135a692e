// world.c — MPI start-up and deterministic collectives (world.h). OpenMPI's tuned allreduce
// picks its algorithm (and so its summation order) by message size and world size, and
// segments large messages: we never let MPI add floats. MPI only moves bytes (all-to-all,
// all-gather, gather, broadcast); the additions happen here, in rank order.
#include "world.h"

#include "dist_internal.h"
#include "error.h"

#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    bool mpi;        // dist_init called MPI_Init_thread
    bool finalized;
    int rank, size;              // in the current scope (dist_scope_self)
    int world_rank, world_size;  // in MPI_COMM_WORLD
    MPI_Comm comm;               // the current scope's communicator
    char host[256];
    const char *launcher;
    double comm_s;
} w = {.size = 1, .world_size = 1, .launcher = "none"};

// Largest piece one MPI call moves: counts are int, and bounded scratch keeps the all-to-all
// of a 3 GB gradient (gpt2-large) from doubling the rank's memory.
#define DIST_BUCKET_FLOATS ((size_t)1 << 22)
#define DIST_CHUNK_BYTES ((size_t)1 << 30)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *launcher_from_env(void) {
    if (getenv("OMPI_COMM_WORLD_SIZE")) return "mpirun";
    if (getenv("PMIX_RANK")) return "pmix";
    if (getenv("PMI_SIZE")) return "pmi";
    if (getenv("SLURM_PROCID")) return "srun";
    return NULL;
}

static int mpi_fail(int err, const char *what) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(err, msg, &len);
    return W2S_FAIL("MPI %s failed on rank %d of %d (%s): %s", what, w.world_rank, w.world_size, w.host, msg);
}

MPI_Comm dist_comm_current(void) { return w.comm; }
void dist_comm_seconds_add(double s) { w.comm_s += s; }
double dist_now(void) { return now_s(); }
int dist_mpi_fail(int err, const char *what) { return mpi_fail(err, what); }

int dist_init(int *argc, char ***argv) {
    if (gethostname(w.host, sizeof w.host) != 0) snprintf(w.host, sizeof w.host, "unknown");
    w.host[sizeof w.host - 1] = 0;
    const char *l = launcher_from_env();
    if (!l) return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return W2S_FAIL("MPI_Init_thread failed (launched by %s)", l);
    w.mpi = true;
    w.launcher = l;
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.size);
    w.world_rank = w.rank;
    w.world_size = w.size;
    w.comm = MPI_COMM_WORLD;
    // Errors come back as codes, so a failed collective becomes one message, not a crash.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (provided < MPI_THREAD_FUNNELED)
        return W2S_FAIL("this MPI gives thread level %d, w2s needs MPI_THREAD_FUNNELED (OpenMP inside ranks)",
                        provided);
    return 0;
}

void dist_finalize(void) {
    if (w.mpi && !w.finalized) MPI_Finalize();
    w.finalized = true;
}

void dist_abort(int code) {
    fflush(stdout);
    fflush(stderr);
    if (w.mpi && !w.finalized) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

void dist_scope_self(bool on) {
    w.rank = on ? 0 : w.world_rank;
    w.size = on ? 1 : w.world_size;
    if (w.mpi) w.comm = on ? MPI_COMM_SELF : MPI_COMM_WORLD;
}

int dist_world_rank(void) { return w.world_rank; }
int dist_world_size(void) { return w.world_size; }
int dist_rank(void) { return w.rank; }
int dist_size(void) { return w.size; }
bool dist_is_root(void) { return w.rank == 0; }
const char *dist_host(void) { return w.host; }
const char *dist_launcher(void) { return w.launcher; }
double dist_comm_seconds(void) { return w.comm_s; }

const char *dist_library_version(void) {
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(v, &len);
    v[strcspn(v, "\n,")] = 0;
    return v;
}

int dist_gather_lines(const char *mine, char *rows, size_t width) {
    char *line = calloc(1, width);
    size_t *counts = malloc((size_t)w.size * sizeof(size_t));
    int rc = (!line || !counts) ? W2S_FAIL("dist: out of memory") : 0;
    if (!rc) {
        snprintf(line, width, "%s", mine);
        for (int r = 0; r < w.size; r++) counts[r] = width;
        rc = dist_gather_bytes(line, rows, counts);
    }
    free(line);
    free(counts);
    return rc;
}

void dist_shard(size_t n, int r, int p, size_t *lo, size_t *hi) {
    size_t q = n / (size_t)p, extra = n % (size_t)p, ur = (size_t)r;
    *lo = ur * q + (ur < extra ? ur : extra);
    *hi = *lo + q + (ur < extra ? 1 : 0);
}

// ---- collectives

static int allreduce_bucket(float *buf, size_t n, float *scratch, int *cnt, int *dsp) {
    const int p = w.size;
    size_t lo, hi;
    for (int r = 0; r < p; r++) {
        dist_shard(n, r, p, &lo, &hi);
        cnt[r] = (int)(hi - lo);
        dsp[r] = (int)lo;
    }
    const int mine = cnt[w.rank];
    int *rcnt = cnt + p, *rdsp = dsp + p;
    for (int r = 0; r < p; r++) {
        rcnt[r] = mine;
        rdsp[r] = r * mine;
    }
    // scratch (p, mine): row r is rank r's copy of this rank's chunk.
    int e = MPI_Alltoallv(buf, cnt, dsp, MPI_FLOAT, scratch, rcnt, rdsp, MPI_FLOAT, w.comm);
    if (e != MPI_SUCCESS) return mpi_fail(e, "all-to-all (gradient reduce-scatter)");
    float *out = buf + dsp[w.rank];
    for (int i = 0; i < mine; i++) {
        float s = scratch[i];
        for (int r = 1; r < p; r++) s += scratch[(size_t)r * (size_t)mine + (size_t)i];
        out[i] = s;
    }
    e = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, cnt, dsp, MPI_FLOAT, w.comm);
    return e == MPI_SUCCESS ? 0 : mpi_fail(e, "all-gather (gradient)");
}

int dist_allreduce_sum_f32(float *buf, size_t n) {
    if (w.size == 1 || n == 0) return 0;
    double t0 = now_s();
    const size_t bucket = n < DIST_BUCKET_FLOATS ? n : DIST_BUCKET_FLOATS;
    float *scratch = malloc((bucket / (size_t)w.size + 1) * (size_t)w.size * sizeof(float));
    int *cnt = malloc(4 * (size_t)w.size * sizeof(int));
    int rc = (!scratch || !cnt) ? W2S_FAIL("dist: out of memory for an allreduce of %zu floats", n) : 0;
    for (size_t o = 0; o < n && !rc; o += bucket)
        rc = allreduce_bucket(buf + o, n - o < bucket ? n - o : bucket, scratch, cnt, cnt + 2 * w.size);
    free(scratch);
    free(cnt);
    w.comm_s += now_s() - t0;
    return rc;
}

int dist_allreduce_sum_f64(double *buf, size_t n) {
    if (w.size == 1 || n == 0) return 0;
    if (n > INT_MAX / (size_t)w.size) return W2S_FAIL("dist: an allreduce of %zu doubles is too large", n);
    double t0 = now_s();
    double *all = malloc((size_t)w.size * n * sizeof(double));  // (p, n): row r is rank r's buf
    int rc = all ? 0 : W2S_FAIL("dist: out of memory");
    if (!rc) {
        int e = MPI_Allgather(buf, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, w.comm);
        if (e != MPI_SUCCESS) rc = mpi_fail(e, "all-gather (sum of doubles)");
    }
    for (size_t i = 0; i < n && !rc; i++) {
        double s = all[i];
        for (int r = 1; r < w.size; r++) s += all[(size_t)r * n + i];
        buf[i] = s;
    }
    free(all);
    w.comm_s += now_s() - t0;
    return rc;
}

static int counts_to_int(const size_t *counts, size_t unit, int *cnt, int *dsp) {
    size_t off = 0;
    for (int r = 0; r < w.size; r++) {
        if (counts[r] * unit > INT_MAX || off * unit > INT_MAX)
            return W2S_FAIL("dist: a gather of %zu elements is too large for one MPI call", off + counts[r]);
        cnt[r] = (int)(counts[r] * unit);
        dsp[r] = (int)(off * unit);
        off += counts[r];
    }
    return 0;
}

int dist_allgather_f32(const float *mine, float *all, const size_t *counts) {
    if (w.size == 1) {
        if (counts[0] && mine != all) memmove(all, mine, counts[0] * sizeof(float));
        return 0;
    }
    double t0 = now_s();
    int *cnt = malloc(2 * (size_t)w.size * sizeof(int));
    int rc = cnt ? counts_to_int(counts, 1, cnt, cnt + w.size) : W2S_FAIL("dist: out of memory");
    if (!rc) {
        // mine already in its place in all: MPI forbids aliased buffers, MPI_IN_PLACE says so.
        const void *src = mine == all + cnt[w.size + w.rank] ? MPI_IN_PLACE : mine;
        int e = MPI_Allgatherv(src, cnt[w.rank], MPI_FLOAT, all, cnt, cnt + w.size, MPI_FLOAT, w.comm);
        if (e != MPI_SUCCESS) rc = mpi_fail(e, "all-gather");
    }
    free(cnt);
    w.comm_s += now_s() - t0;
    return rc;
}

int dist_gather_bytes(const void *mine, void *all, const size_t *counts) {
    if (w.size == 1) {
        if (counts[0] && mine != all) memmove(all, mine, counts[0]);
        return 0;
    }
    double t0 = now_s();
    int *cnt = malloc(2 * (size_t)w.size * sizeof(int));
    int rc = cnt ? counts_to_int(counts, 1, cnt, cnt + w.size) : W2S_FAIL("dist: out of memory");
    if (!rc) {
        const void *src = w.rank == 0 && mine == all ? MPI_IN_PLACE : mine;
        int e = MPI_Gatherv(src, cnt[w.rank], MPI_BYTE, all, cnt, cnt + w.size, MPI_BYTE, 0, w.comm);
        if (e != MPI_SUCCESS) rc = mpi_fail(e, "gather");
    }
    free(cnt);
    w.comm_s += now_s() - t0;
    return rc;
}

int dist_bcast(void *buf, size_t bytes, int root) {
    if (w.size == 1) return 0;
    double t0 = now_s();
    int rc = 0;
    for (size_t o = 0; o < bytes && !rc; o += DIST_CHUNK_BYTES) {
        size_t n = bytes - o < DIST_CHUNK_BYTES ? bytes - o : DIST_CHUNK_BYTES;
        int e = MPI_Bcast((char *)buf + o, (int)n, MPI_BYTE, root, w.comm);
        if (e != MPI_SUCCESS) rc = mpi_fail(e, "broadcast");
    }
    w.comm_s += now_s() - t0;
    return rc;
}

int dist_barrier(void) {
    if (w.size == 1) return 0;
    int e = MPI_Barrier(w.comm);
    return e == MPI_SUCCESS ? 0 : mpi_fail(e, "barrier");
}

int dist_agree(int rc) {
    if (w.size == 1) return rc ? -1 : 0;
    double t0 = now_s();
    // The lowest failed rank, or size when none failed (integer MIN: order does not matter).
    int mine = rc ? w.rank : w.size, first = w.size;
    int e = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, w.comm);
    w.comm_s += now_s() - t0;
    if (e != MPI_SUCCESS) return mpi_fail(e, "agreement");
    if (first == w.size) return 0;
    if (rc) return -1;  // keep this rank's own message
    return W2S_FAIL("rank %d failed (its message is on its standard error)", first);
}

// ---- survey

dist_survey *dist_survey_take(int threads) {
    const int p = w.size;
    dist_survey *s = calloc(1, sizeof *s + (size_t)p * sizeof(dist_rank_info));
    if (!s) {
        W2S_FAIL("dist: out of memory");
        return NULL;
    }
    s->ranks = p;
    snprintf(s->launcher, sizeof s->launcher, "%s", w.launcher);
    if (w.mpi) snprintf(s->mpi, sizeof s->mpi, "%.127s", dist_library_version());
    dist_rank_info mine = {.threads = threads};
    snprintf(mine.host, sizeof mine.host, "%.63s", w.host);  // HOST_NAME_MAX is 64 on Linux
    size_t *counts = malloc((size_t)p * sizeof *counts);
    int rc = counts ? 0 : W2S_FAIL("dist: out of memory");
    for (int r = 0; r < p && !rc; r++) counts[r] = sizeof mine;
    // The fixed-size records go as bytes: every rank runs this same binary.
    if (!rc) rc = dist_gather_bytes(&mine, s->rank, counts);
    if (!rc) rc = dist_bcast(s->rank, (size_t)p * sizeof mine, 0);
    free(counts);
    if (rc) {
        free(s);
        return NULL;
    }
    return s;
}
