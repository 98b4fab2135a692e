// bind.h — binding threads to PUs and memory to NUMA nodes, through hwloc.
// Thread binding is per thread (HWLOC_CPUBIND_THREAD), one PU per compute thread. Memory is
// bound at allocation (HWLOC_MEMBIND_BIND); where the OS or container refuses (no mbind, or a
// topology that is not this machine), allocation falls back to an aligned malloc that the
// calling thread zero-fills, so first touch places the pages on the caller's node: call it
// from a thread already bound to the stage's PUs. The buffer says which one happened.
#ifndef W2S_RUNTIME_BIND_H
#define W2S_RUNTIME_BIND_H

#include "topology.h"

#include <stdbool.h>
#include <stddef.h>

// Binds the calling thread to the PU with OS index `pu`. -1 with a message if `t` is not this
// machine or the OS refuses (PU outside the process's cgroup, ...).
int bind_thread_to_pu(const topology *t, unsigned pu);
// Binds every thread of the calling thread's OpenMP team: sets omp_set_num_threads(n) for the
// calling thread, then in one parallel region thread i binds to pus[i]. libgomp reuses the same
// pool threads in the same order for later regions of up to n threads started from this thread,
// so the binding holds for them. -1 if a thread failed to bind, the team came out smaller, or
// OMP_PROC_BIND / OMP_PLACES are set (libgomp's own placement would reshuffle threads).
int bind_omp_team(const topology *t, const unsigned *pus, int n);

typedef struct bind_buffer {
    void *ptr;              // 64-byte aligned, zero-filled, `bytes` long
    size_t bytes;
    bool bound;             // true: hwloc bound it to the nodes; false: malloc + first touch
    const char *note;       // why it is not bound ("" when bound), static string
    hwloc_topology_t hw;    // the topology that allocated it (hwloc_free needs it)
} bind_buffer;

// Allocates `bytes` bound to the NUMA nodes with OS indices nodes[0..n_nodes) (interleaving is
// left to the kernel's BIND policy: pages go to the listed nodes). -1 only when out of memory.
int bind_alloc(bind_buffer *b, const topology *t, size_t bytes, const unsigned *nodes, int n_nodes);
// Frees a buffer from bind_alloc; safe on a zeroed or already freed buffer.
void bind_free(bind_buffer *b);

#endif
