// topology.h — the machine as w2s sees it: packages, NUMA nodes, cores, PUs, caches (hwloc).
// Loaded once from this machine, a synthetic description or an XML file, then exposed as a
// plain C view (counts and index arrays) so placement logic is pure and testable anywhere.
// Not a binding API (see bind.h). The one thing to know: PU numbers are OS indices (what
// cpusets, `taskset`, sched_getcpu() and hwloc list strings like "0-3,8" use); core and node
// numbers in this view are positions in the arrays below (hwloc logical order).
#ifndef W2S_RUNTIME_TOPOLOGY_H
#define W2S_RUNTIME_TOPOLOGY_H

#include <hwloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct topology_core {
    int package;         // index of its package (0..n_packages-1)
    int node;            // index into topology.nodes of its NUMA node (the first one, in
                         // logical order, whose cpuset holds the core)
    int pu_first, n_pus; // its PUs are topology.pus[pu_first .. pu_first+n_pus)
    size_t l1d_bytes;    // L1 data (or unified) cache size, 0 when unknown
    size_t l2_bytes;
    size_t l3_bytes;     // size of the whole L3 this core sees (shared), 0 when none
    int l3_sharing;      // cores sharing that L3 (0 when none)
} topology_core;

typedef struct topology_node {
    unsigned os_index;     // what the kernel (mbind, numactl) calls this node
    uint64_t memory_bytes; // local memory, 0 when unknown (synthetic topologies)
    int n_cores;           // 0 for CPU-less memory nodes (HBM, CXL): never given to a stage
    int *cores;            // (n_cores) indices into topology.cores, ascending
} topology_node;

typedef struct topology {
    hwloc_topology_t hw;   // the loaded hwloc topology (owned), for binding and allocation
    bool this_system;      // true when it describes the running machine, so binding is real
    char source[256];      // "this machine", "synthetic: <desc>", "xml: <path>" (+ restriction)
    int n_packages, n_nodes, n_cores, n_pus;
    topology_node *nodes;  // (n_nodes) in hwloc logical order
    topology_core *cores;  // (n_cores) in hwloc logical order
    unsigned *pus;         // (n_pus) OS index of each PU, grouped by core in core order
} topology;

// This machine, restricted to the CPUs the process may run on (its affinity mask, so
// `taskset -c 0-3 w2s ...` confines placement to those PUs). NULL on failure (error set).
// hwloc's HWLOC_SYNTHETIC="pack:2 [numa] core:8 pu:2" or HWLOC_XMLFILE=<path> in the
// environment substitute that machine (this_system is then false): `w2s info` previews the
// placement a bigger server would get.
topology *topology_load_this_system(void);
// A synthetic machine in hwloc's syntax, e.g. "pack:2 [numa] core:8 pu:2" or
// "numa:4 core:4 pu:2" (PU OS indices are then 0..n_pus-1 in order). Never bound to.
topology *topology_load_synthetic(const char *description);
// A topology exported by hwloc (lstopo foo.xml, hwloc_topology_export_xml). Never bound to.
topology *topology_load_xml(const char *path);
// Keeps only the PUs in `cpulist` (hwloc list syntax of OS indices, "0-3,8"); nodes left
// without CPUs keep n_cores = 0. Rebuilds the view; on failure the topology is unchanged.
int topology_restrict(topology *t, const char *cpulist);
void topology_destroy(topology *t);

// Parses a PU list in hwloc list syntax ("0-3,8", "5", "0-31") into a new bitmap and checks
// that every PU exists in `t`. NULL with a message naming the bad token otherwise.
hwloc_bitmap_t topology_parse_cpulist(const topology *t, const char *cpulist);
// Formats a list of PU OS indices as an hwloc list string ("0,2,4-7") into buf.
void topology_format_pus(char *buf, size_t size, const unsigned *pus, int n);

// `w2s info` section: counts, NUMA nodes with memory and cores, caches per core.
void topology_print(FILE *f, const topology *t);

#endif
