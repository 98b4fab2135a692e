// topology.c — loads an hwloc topology and flattens it into the plain view of topology.h.
// The view is rebuilt from the hwloc tree after every load or restriction; nothing else in
// w2s walks the hwloc tree, so the oddities (CPU-less NUMA nodes, nodes sharing a cpuset,
// missing caches in synthetic topologies) are handled here once.
#include "topology.h"

#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

// ---- building the view

static void view_free(topology *t) {
    for (int i = 0; i < t->n_nodes; i++) free(t->nodes[i].cores);
    free(t->nodes);
    free(t->cores);
    free(t->pus);
    t->nodes = NULL;
    t->cores = NULL;
    t->pus = NULL;
    t->n_packages = t->n_nodes = t->n_cores = t->n_pus = 0;
}

static void core_caches(hwloc_topology_t hw, hwloc_obj_t core, topology_core *c) {
    for (hwloc_obj_t o = core->parent; o; o = o->parent) {
        if (!hwloc_obj_type_is_dcache(o->type)) continue; // data or unified, not L1i
        size_t size = (size_t)o->attr->cache.size;
        switch (o->attr->cache.depth) {
        case 1: c->l1d_bytes = size; break;
        case 2: c->l2_bytes = size; break;
        case 3:
            c->l3_bytes = size;
            c->l3_sharing = hwloc_get_nbobjs_inside_cpuset_by_type(hw, o->cpuset, HWLOC_OBJ_CORE);
            break;
        default: break;
        }
    }
}

// Machines without Core objects (some VMs, odd XML) expose PUs only: each PU is then its
// own core, which is what the kernel's scheduler would assume too.
static int view_build(topology *t) {
    hwloc_topology_t hw = t->hw;
    hwloc_obj_type_t core_type = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int n_cores = hwloc_get_nbobjs_by_type(hw, core_type);
    int n_pus = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_PU);
    int n_nodes = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_NUMANODE);
    int n_packages = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_PACKAGE);
    if (n_cores <= 0 || n_pus <= 0 || n_nodes <= 0)
        return W2S_FAIL("topology %s has %d cores, %d PUs, %d NUMA nodes: need at least one of each", t->source,
                        n_cores, n_pus, n_nodes);
    t->cores = calloc((size_t)n_cores, sizeof *t->cores);
    t->pus = calloc((size_t)n_pus, sizeof *t->pus);
    t->nodes = calloc((size_t)n_nodes, sizeof *t->nodes);
    if (!t->cores || !t->pus || !t->nodes) {
        view_free(t);
        return W2S_FAIL("out of memory building the topology view (%d cores)", n_cores);
    }
    t->n_cores = n_cores;
    t->n_nodes = n_nodes;
    t->n_packages = n_packages > 0 ? n_packages : 1;
    for (int i = 0; i < n_nodes; i++) {
        hwloc_obj_t node = hwloc_get_obj_by_type(hw, HWLOC_OBJ_NUMANODE, (unsigned)i);
        t->nodes[i].os_index = node->os_index;
        t->nodes[i].memory_bytes = node->attr ? node->attr->numanode.local_memory : 0;
    }
    int pu_pos = 0;
    for (int c = 0; c < n_cores; c++) {
        hwloc_obj_t core = hwloc_get_obj_by_type(hw, core_type, (unsigned)c);
        topology_core *tc = &t->cores[c];
        hwloc_obj_t pack = hwloc_get_ancestor_obj_by_type(hw, HWLOC_OBJ_PACKAGE, core);
        tc->package = pack ? (int)pack->logical_index : 0;
        tc->node = -1;
        for (int i = 0; i < n_nodes && tc->node < 0; i++) {
            hwloc_obj_t node = hwloc_get_obj_by_type(hw, HWLOC_OBJ_NUMANODE, (unsigned)i);
            if (hwloc_bitmap_isincluded(core->cpuset, node->cpuset)) tc->node = i;
        }
        if (tc->node < 0) tc->node = 0; // a core outside every node's cpuset: hwloc never builds one
        t->nodes[tc->node].n_cores++;
        core_caches(hw, core, tc);
        tc->pu_first = pu_pos;
        unsigned os;
        hwloc_bitmap_foreach_begin(os, core->cpuset) {
            if (pu_pos < n_pus) t->pus[pu_pos++] = os;
        }
        hwloc_bitmap_foreach_end();
        tc->n_pus = pu_pos - tc->pu_first;
    }
    t->n_pus = pu_pos;
    for (int i = 0; i < n_nodes; i++) {
        topology_node *nd = &t->nodes[i];
        nd->cores = calloc(nd->n_cores > 0 ? (size_t)nd->n_cores : 1, sizeof *nd->cores);
        if (!nd->cores) {
            view_free(t);
            return W2S_FAIL("out of memory building the topology view (%d nodes)", n_nodes);
        }
        nd->n_cores = 0;
    }
    for (int c = 0; c < n_cores; c++) {
        topology_node *nd = &t->nodes[t->cores[c].node];
        nd->cores[nd->n_cores++] = c;
    }
    return 0;
}

// ---- loading

typedef enum { SOURCE_THIS, SOURCE_SYNTHETIC, SOURCE_XML } topology_kind;

static topology *load(topology_kind kind, const char *arg) {
    topology *t = calloc(1, sizeof *t);
    if (!t) {
        W2S_FAIL("out of memory allocating a topology");
        return NULL;
    }
    if (hwloc_topology_init(&t->hw) < 0) {
        free(t);
        W2S_FAIL("hwloc_topology_init failed: %s", strerror(errno));
        return NULL;
    }
    int rc = 0;
    switch (kind) {
    case SOURCE_THIS: snprintf(t->source, sizeof t->source, "this machine"); break;
    case SOURCE_SYNTHETIC:
        snprintf(t->source, sizeof t->source, "synthetic: %s", arg);
        rc = hwloc_topology_set_synthetic(t->hw, arg);
        if (rc < 0)
            W2S_FAIL("bad synthetic topology '%s': hwloc rejected it (expected e.g. \"pack:2 [numa] core:8 pu:2\")",
                     arg);
        break;
    case SOURCE_XML:
        snprintf(t->source, sizeof t->source, "xml: %s", arg);
        rc = hwloc_topology_set_xml(t->hw, arg);
        if (rc < 0)
            W2S_FAIL("cannot read topology XML %s: %s (write one with `lstopo %s` or hwloc_topology_export_xml)", arg,
                     strerror(errno), arg);
        break;
    }
    if (rc == 0 && hwloc_topology_load(t->hw) < 0) {
        rc = W2S_FAIL("hwloc could not load topology (%s): %s", t->source, strerror(errno));
    }
    if (rc == 0) {
        t->this_system = hwloc_topology_is_thissystem(t->hw) != 0;
        // hwloc's own HWLOC_SYNTHETIC / HWLOC_XMLFILE variables substitute another machine.
        const char *syn = getenv("HWLOC_SYNTHETIC"), *xml = getenv("HWLOC_XMLFILE");
        if (kind == SOURCE_THIS && !t->this_system)
            snprintf(t->source, sizeof t->source, "%s=%s", syn ? "HWLOC_SYNTHETIC" : "HWLOC_XMLFILE",
                     syn ? syn : xml ? xml : "?");
        rc = view_build(t);
    }
    if (rc < 0) {
        hwloc_topology_destroy(t->hw);
        free(t);
        return NULL;
    }
    return t;
}

topology *topology_load_this_system(void) {
    topology *t = load(SOURCE_THIS, NULL);
    if (!t) return NULL;
    // Honour the process affinity (taskset, cgroup-less containers): placement must never
    // hand a stage a PU the process cannot run on.
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    hwloc_const_bitmap_t all = hwloc_topology_get_topology_cpuset(t->hw);
    if (allowed && hwloc_get_cpubind(t->hw, allowed, HWLOC_CPUBIND_PROCESS) == 0 && !hwloc_bitmap_iszero(allowed) &&
        !hwloc_bitmap_isincluded(all, allowed)) {
        char list[256];
        hwloc_bitmap_list_snprintf(list, sizeof list, allowed);
        if (topology_restrict(t, list) < 0) {
            hwloc_bitmap_free(allowed);
            topology_destroy(t);
            return NULL;
        }
    }
    hwloc_bitmap_free(allowed);
    return t;
}

topology *topology_load_synthetic(const char *description) {
    if (!description || !*description) {
        W2S_FAIL("empty synthetic topology description (expected e.g. \"numa:4 core:4 pu:2\")");
        return NULL;
    }
    return load(SOURCE_SYNTHETIC, description);
}

topology *topology_load_xml(const char *path) {
    if (!path || !*path) {
        W2S_FAIL("empty topology XML path");
        return NULL;
    }
    return load(SOURCE_XML, path);
}

int topology_restrict(topology *t, const char *cpulist) {
    hwloc_bitmap_t set = topology_parse_cpulist(t, cpulist);
    if (!set) return w2s_error_wrap("restricting topology (%s)", t->source);
    // Restrict a duplicate first so a failure leaves `t` untouched.
    hwloc_topology_t dup;
    if (hwloc_topology_dup(&dup, t->hw) < 0) {
        hwloc_bitmap_free(set);
        return W2S_FAIL("hwloc_topology_dup failed: %s", strerror(errno));
    }
    int rc = hwloc_topology_restrict(dup, set, 0);
    hwloc_bitmap_free(set);
    if (rc < 0) {
        hwloc_topology_destroy(dup);
        return W2S_FAIL("hwloc could not restrict topology %s to PUs %s: %s", t->source, cpulist, strerror(errno));
    }
    topology saved = *t;
    t->hw = dup;
    t->nodes = NULL;
    t->cores = NULL;
    t->pus = NULL;
    if (view_build(t) < 0) {
        hwloc_topology_destroy(dup);
        *t = saved;
        return -1;
    }
    hwloc_topology_destroy(saved.hw);
    view_free(&saved);
    size_t len = strlen(t->source);
    snprintf(t->source + len, sizeof t->source - len, " restricted to PUs %s", cpulist);
    return 0;
}

void topology_destroy(topology *t) {
    if (!t) return;
    view_free(t);
    hwloc_topology_destroy(t->hw);
    free(t);
}

// ---- PU lists

// Strict parser: hwloc_bitmap_list_sscanf accepts "3-" (to infinity) and stops quietly at
// junk, which would turn a typo into a different placement.
hwloc_bitmap_t topology_parse_cpulist(const topology *t, const char *cpulist) {
    if (!cpulist || !*cpulist) {
        W2S_FAIL("empty cpuset string (expected a PU list like \"0-3,8\")");
        return NULL;
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set) {
        W2S_FAIL("out of memory parsing cpuset '%s'", cpulist);
        return NULL;
    }
    const char *p = cpulist;
    while (*p) {
        const char *tok = p;
        char *end;
        if (*p < '0' || *p > '9') goto bad;
        errno = 0;
        unsigned long lo = strtoul(p, &end, 10), hi = lo;
        if (errno || lo > 1000000) goto bad;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9') goto bad;
            hi = strtoul(p, &end, 10);
            if (errno || hi > 1000000 || hi < lo) goto bad;
            p = end;
        }
        if (*p == ',') {
            p++;
            if (!*p) goto bad;
        } else if (*p) {
            goto bad;
        }
        for (unsigned long os = lo; os <= hi; os++) {
            if (!hwloc_get_pu_obj_by_os_index(t->hw, (unsigned)os)) {
                W2S_FAIL("cpuset '%s' names PU %lu, which %s does not have (it has %d PUs: %s)", cpulist, os,
                         t->source, t->n_pus, "see `w2s info`");
                hwloc_bitmap_free(set);
                return NULL;
            }
            hwloc_bitmap_set(set, (unsigned)os);
        }
        continue;
    bad:
        W2S_FAIL("bad cpuset '%s' near '%s': expected a PU list like \"0-3,8\" (ascending ranges, no spaces)",
                 cpulist, tok);
        hwloc_bitmap_free(set);
        return NULL;
    }
    return set;
}

void topology_format_pus(char *buf, size_t size, const unsigned *pus, int n) {
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set) {
        snprintf(buf, size, "?");
        return;
    }
    for (int i = 0; i < n; i++) hwloc_bitmap_set(set, pus[i]);
    hwloc_bitmap_list_snprintf(buf, size, set);
    hwloc_bitmap_free(set);
}

// ---- printing

static void print_bytes(FILE *f, uint64_t b) {
    if (b >= (1ull << 30)) fprintf(f, "%.1f GiB", (double)b / (double)(1ull << 30));
    else if (b >= (1ull << 20)) fprintf(f, "%llu MiB", (unsigned long long)(b >> 20));
    else fprintf(f, "%llu KiB", (unsigned long long)(b >> 10));
}

void topology_print(FILE *f, const topology *t) {
    fprintf(f, "topology:  %s%s\n", t->source, t->this_system ? "" : " (not this machine: no binding)");
    fprintf(f, "           %d package%s, %d NUMA node%s, %d cores, %d PUs\n", t->n_packages,
            t->n_packages == 1 ? "" : "s", t->n_nodes, t->n_nodes == 1 ? "" : "s", t->n_cores, t->n_pus);
    for (int i = 0; i < t->n_nodes; i++) {
        const topology_node *nd = &t->nodes[i];
        unsigned pus[4096];
        int n = 0;
        for (int k = 0; k < nd->n_cores; k++) {
            const topology_core *c = &t->cores[nd->cores[k]];
            for (int j = 0; j < c->n_pus && n < 4096; j++) pus[n++] = t->pus[c->pu_first + j];
        }
        char list[512];
        topology_format_pus(list, sizeof list, pus, n);
        fprintf(f, "  node %u: %d cores, PUs %s, memory ", nd->os_index, nd->n_cores, n ? list : "none");
        if (nd->memory_bytes) print_bytes(f, nd->memory_bytes);
        else fprintf(f, "unknown");
        fprintf(f, "\n");
    }
    const topology_core *c0 = &t->cores[0];
    fprintf(f, "  caches per core: L1d ");
    if (c0->l1d_bytes) print_bytes(f, c0->l1d_bytes);
    else fprintf(f, "?");
    fprintf(f, ", L2 ");
    if (c0->l2_bytes) print_bytes(f, c0->l2_bytes);
    else fprintf(f, "?");
    fprintf(f, ", L3 ");
    if (c0->l3_bytes) {
        print_bytes(f, c0->l3_bytes);
        fprintf(f, " shared by %d core%s", c0->l3_sharing, c0->l3_sharing == 1 ? "" : "s");
    } else {
        fprintf(f, "?");
    }
    fprintf(f, " (core 0)\n");
}
