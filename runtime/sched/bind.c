// bind.c — thread and memory binding with hwloc; see bind.h for the fallback rules.
// Errors from inside an OpenMP region are collected per thread and reported once by the
// calling thread, because w2s error messages are thread-local.
#include "bind.h"

#include "error.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- threads

int bind_thread_to_pu(const topology *t, unsigned pu) {
    if (!t->this_system)
        return W2S_FAIL("cannot bind to PU %u: topology %s is not this machine", pu, t->source);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set) return W2S_FAIL("out of memory binding to PU %u", pu);
    hwloc_bitmap_only(set, pu);
    int rc = hwloc_set_cpubind(t->hw, set, HWLOC_CPUBIND_THREAD);
    int err = errno;
    hwloc_bitmap_free(set);
    if (rc < 0)
        return W2S_FAIL("binding thread to PU %u failed: %s (is the PU in this process's cpuset? see `w2s info`)", pu,
                        strerror(err));
    return 0;
}

int bind_omp_team(const topology *t, const unsigned *pus, int n) {
    if (n < 1) return W2S_FAIL("OpenMP team of %d threads: need at least 1", n);
    // With OMP_PROC_BIND/OMP_PLACES, libgomp may hand thread numbers to different pool threads
    // from one region to the next, which would silently undo the binding below.
    if (omp_get_proc_bind() != omp_proc_bind_false)
        return W2S_FAIL("OMP_PROC_BIND or OMP_PLACES is set, but w2s binds its threads itself: unset them");
    omp_set_num_threads(n);
    int bad_thread = -1, got = 0;
    char why[W2S_ERROR_MAX] = "";
#pragma omp parallel num_threads(n)
    {
        int i = omp_get_thread_num();
#pragma omp single
        got = omp_get_num_threads();
        if (i < n && bind_thread_to_pu(t, pus[i]) < 0) {
#pragma omp critical(w2s_bind_team)
            if (bad_thread < 0) {
                bad_thread = i;
                snprintf(why, sizeof why, "%s", w2s_error_message());
            }
        }
    }
    if (bad_thread >= 0) return W2S_FAIL("OpenMP thread %d of %d: %s", bad_thread, n, why);
    if (got != n)
        return W2S_FAIL("OpenMP gave a team of %d threads, %d wanted (OMP_THREAD_LIMIT or OMP_DYNAMIC set?)", got, n);
    return 0;
}

// ---- memory

enum { BIND_ALIGN = 64 };

int bind_alloc(bind_buffer *b, const topology *t, size_t bytes, const unsigned *nodes, int n_nodes) {
    memset(b, 0, sizeof *b);
    b->bytes = bytes;
    b->hw = t->hw;
    size_t alloc = bytes ? bytes : 1;
    const struct hwloc_topology_support *sup = hwloc_topology_get_support(t->hw);
    if (!t->this_system) {
        b->note = "topology is not this machine: first touch";
    } else if (!sup->membind->alloc_membind || !sup->membind->bind_membind) {
        b->note = "hwloc has no memory binding on this OS: first touch";
    } else if (n_nodes < 1) {
        b->note = "no NUMA node given: first touch";
    } else {
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set) return W2S_FAIL("out of memory allocating %zu bytes", bytes);
        for (int i = 0; i < n_nodes; i++) hwloc_bitmap_set(set, nodes[i]);
        // hwloc_alloc_membind mmaps, so the memory is page aligned and already zero.
        b->ptr = hwloc_alloc_membind(t->hw, alloc, set, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET);
        hwloc_bitmap_free(set);
        if (b->ptr) {
            b->bound = true;
            b->note = "";
            return 0;
        }
        // EPERM/ENOSYS: a container without mbind (seccomp); EXDEV: a node outside the cgroup.
        b->note = errno == ENOMEM ? "bound allocation out of memory: first touch"
                                  : "the OS refused memory binding (mbind): first touch";
    }
    if (posix_memalign(&b->ptr, BIND_ALIGN, alloc) != 0) {
        b->ptr = NULL;
        return W2S_FAIL("out of memory allocating %zu bytes", bytes);
    }
    memset(b->ptr, 0, alloc); // first touch by the calling (bound) thread places the pages
    return 0;
}

void bind_free(bind_buffer *b) {
    if (!b->ptr) return;
    if (b->bound) hwloc_free(b->hw, b->ptr, b->bytes ? b->bytes : 1);
    else free(b->ptr);
    b->ptr = NULL;
}
