// world.h — the MPI world w2s runs in: rank, size, host, and the few collectives the trainer,
// the labeler and the CLI need, so no other room includes mpi.h.
// Not a launcher and not a protocol of our own: mpirun/srun start the ranks; without one
// (no OMPI_COMM_WORLD_SIZE / PMI_SIZE / PMIX_RANK / SLURM_PROCID in the environment) MPI is
// never initialised and every call below is the world-size-1 identity.
// The one thing to know: every reduction sums in rank order 0, 1, …, p−1 whatever algorithm
// MPI picks, so the same world size, inputs and threads give bit-identical results.
#ifndef W2S_DIST_WORLD_H
#define W2S_DIST_WORLD_H

#include <stdbool.h>
#include <stddef.h>

// Starts MPI (MPI_Init_thread, MPI_THREAD_FUNNELED: OpenMP teams inside each rank, MPI calls
// from the main thread only) when a launcher started this process; otherwise a world of one.
// Returns 0, or -1 (error set) if MPI could not start or lacks FUNNELED support.
int dist_init(int *argc, char ***argv);
// MPI_Finalize when dist_init started MPI; safe to call twice.
void dist_finalize(void);
// Ends every rank of the job (MPI_Abort) with `code`; exit(code) in a world of one.
void dist_abort(int code);

// Rank and size in the current scope: the whole world, or this rank alone after
// dist_scope_self(true) (task parallelism: each rank runs its own jobs, and the trainer and
// labeler below see a world of one). dist_world_* always answer for MPI_COMM_WORLD.
int dist_rank(void);
int dist_size(void);
bool dist_is_root(void);        // rank 0 of the scope: the one that writes files and prints
int dist_world_rank(void);
int dist_world_size(void);
void dist_scope_self(bool on);
const char *dist_host(void);    // this rank's host name
const char *dist_launcher(void);  // "mpirun", "srun", "pmi" or "none"

// The MPI library's version line ("Open MPI v4.1.4, …"), first line only.
const char *dist_library_version(void);
// Each rank's line (NUL-terminated, at most `width` bytes) into rows (p · width) on rank 0,
// in rank order. Collective.
int dist_gather_lines(const char *mine, char *rows, size_t width);

// The contiguous share [*lo, *hi) of n items that rank r of p gets: the first n % p ranks get
// one more (so a world of 3 splits 10 as 4, 3, 3; ranks may get nothing when n < p).
void dist_shard(size_t n, int r, int p, size_t *lo, size_t *hi);

// buf (n floats) becomes the element-wise sum over ranks, added in rank order on one rank per
// chunk (reduce-scatter by all-to-all, then all-gather), in buckets so scratch stays bounded.
// Collective. Returns 0 or -1 (error set).
int dist_allreduce_sum_f32(float *buf, size_t n);
// buf (n doubles, a few: loss sums, counters) becomes the sum over ranks, added in rank order
// on every rank (all-gather, then the sum). Collective. Returns 0 or -1 (error set).
int dist_allreduce_sum_f64(double *buf, size_t n);
// Rank r's `counts[r]` floats, concatenated in rank order, into all (sum of counts) on every
// rank. mine may be NULL when counts[rank] is 0. Collective.
int dist_allgather_f32(const float *mine, float *all, const size_t *counts);
// Like dist_allgather_f32 for bytes, to rank 0 only (all is ignored elsewhere). Collective.
int dist_gather_bytes(const void *mine, void *all, const size_t *counts);
// Rank `root`'s buf (bytes, any size) to every rank. Collective.
int dist_bcast(void *buf, size_t bytes, int root);
int dist_barrier(void);
// Every rank learns whether any rank failed: returns 0 when rc == 0 on all ranks, else -1
// (a rank that did not fail itself gets an error naming the first failed rank). Collective.
int dist_agree(int rc);

// Seconds spent inside the collectives above since dist_init (communication time of a step).
double dist_comm_seconds(void);

// The world a run used, as its results files record it: the scope's ranks in rank order, each
// with its host and OpenMP thread count.
typedef struct {
    char host[64];
    int threads;
} dist_rank_info;
typedef struct {
    int ranks;
    char launcher[16];          // dist_launcher()
    char mpi[128];              // dist_library_version(), "" without a launcher
    dist_rank_info rank[];      // (ranks)
} dist_survey;
// Collective over the current scope: every rank gets the survey (free it). `threads` is this
// rank's OpenMP team size. NULL (error set) on failure.
dist_survey *dist_survey_take(int threads);

#endif
