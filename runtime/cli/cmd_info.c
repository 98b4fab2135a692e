// cmd_info.c — `w2s info`: CPU features, the ISA path chosen, threads, library versions,
// topology and the placement of the two pipeline stages: for equal costs, or the plan
// `w2s run` would use for a given weak → strong pair.
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"

#include "cpu.h"
#include "error.h"
#include "fileio.h"
#include "gemm_config.h"
#include "gpt2_checkpoint.h"
#include "hf_config.h"
#include "peak.h"
#include "placement.h"
#include "protocol_pipeline.h"
#include "team.h"
#include "topology.h"
#include "world.h"

#include <hwloc.h>
#include <jansson.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

static void print_features(const w2s_cpu_features *f) {
    struct { const char *name; bool on; } flags[] = {
        {"avx2", f->avx2}, {"fma", f->fma}, {"f16c", f->f16c}, {"avx_vnni", f->avx_vnni},
        {"avx512f", f->avx512f}, {"avx512bw", f->avx512bw}, {"avx512vl", f->avx512vl},
        {"avx512dq", f->avx512dq}, {"avx512_vnni", f->avx512_vnni}, {"avx512_bf16", f->avx512_bf16},
        {"neon", f->neon}, {"neon_dotprod", f->neon_dotprod}, {"neon_bf16", f->neon_bf16},
    };
    printf("features:");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].on) printf(" %s", flags[i].name);
    printf("\nos state:  ymm=%s zmm=%s\n", f->os_ymm ? "yes" : "no", f->os_zmm ? "yes" : "no");
}

// `w2s info --peak`: measured peaks (always re-measured here, then cached for the profiler).
static int print_peak(void) {
    peak_info p;
    int threads = omp_get_max_threads();
    if (peak_measure(&p, w2s_isa_active(), threads)) return cli_fail("info", NULL);
    char path[W2S_PATH_MAX];
    if (peak_cache_path(path, sizeof path)) return cli_fail("info", NULL);
    bool saved = peak_cache_save(&p) == 0;
    printf("peak (%s, isa %s, measured in %.1f s; best of several short runs)\n", p.cpu, p.isa, p.seconds);
    printf("  %-5s %-34s %14s %14s\n", "", "instruction", "1 core", "all cores");
    for (int f = 0; f < PEAK_FAMILY_COUNT; f++)
        printf("  %-5s %-34s %9.1f %s %9.1f %s  (%d threads)\n", peak_family_name((peak_family)f), p.loop[f],
               p.core[f], f == PEAK_S8_DOT ? "GOP/s" : "GF/s ", p.all[f], f == PEAK_S8_DOT ? "GOP/s" : "GF/s ",
               p.threads);
    printf("  memory triad %.1f GB/s, copy %.1f GB/s (%d threads)\n", p.triad_gbs, p.copy_gbs, p.threads);
    printf("  cache: %s%s\n", path, saved ? "" : " (not writable)");
    return 0;
}

// A released GPT-2 name ("gpt2-medium") or a model path (checkpoint or HF directory).
static int model_config(const char *name, gpt2_config *c) {
    if (hf_config_named(name, c) == 0) return 0;
    w2s_error_clear();
    return gpt2_checkpoint_config(name, c);
}

// The plan `w2s run --weak W --strong S` would use on t (transfer_plan).
static int print_run_plan(const topology *t, const char *weak, const char *strong) {
    gpt2_config cw, cs;
    if (model_config(weak, &cw) != 0 || model_config(strong, &cs) != 0) return -1;
    size_t pw = gpt2_num_params(&cw, GPT2_LM_NONE, 0), ps = gpt2_num_params(&cs, GPT2_LM_NONE, 0);
    placement_request req = transfer_placement_request(pw, ps, 0, 0);
    placement pl;
    double gain;
    if (transfer_plan(t, &req, &pl, &gain) != 0) return -1;
    printf("w2s run %s -> %s: %.0fM -> %.0fM parameters, per-example cost 2P : 6P = 1 : %.2f, core split's "
           "estimated gain %.2f (interleaved below %.2f)\n",
           weak, strong, (double)pw / 1e6, (double)ps / 1e6, req.train_cost / req.label_cost, gain,
           TRANSFER_MIN_GAIN);
    placement_print(stdout, &pl);
    placement_free(&pl);
    return 0;
}

// The world section: every rank's host, the PUs and NUMA nodes its affinity mask (set by the
// launcher, e.g. mpirun --map-by numa --bind-to numa) gives its OpenMP team, and its threads.
static int print_world(const topology *t) {
    char line[512], nodes[128] = "", pus[256];
    unsigned *list = malloc((size_t)t->n_pus * sizeof(unsigned));
    if (!list) return W2S_FAIL("info: out of memory");
    for (int i = 0; i < t->n_pus; i++) list[i] = t->pus[i];
    topology_format_pus(pus, sizeof pus, list, t->n_pus);
    free(list);
    for (int i = 0, o = 0; i < t->n_nodes; i++)
        if (t->nodes[i].n_cores > 0 && o < (int)sizeof nodes)
            o += snprintf(nodes + o, sizeof nodes - (size_t)o, "%s%u", o ? "," : "", t->nodes[i].os_index);
    snprintf(line, sizeof line, "%-16s cores %d (PUs %s), NUMA node %s, %d threads", dist_host(), t->n_cores, pus,
             nodes, omp_get_max_threads());
    const int p = dist_size();
    char *rows = dist_is_root() ? malloc((size_t)p * sizeof line) : NULL;
    if (dist_is_root() && !rows) return W2S_FAIL("info: out of memory");
    int rc = dist_gather_lines(line, rows, sizeof line);
    if (!rc && dist_is_root()) {
        if (p == 1)
            printf("world:     1 rank (no MPI launcher), %s\n", rows);
        else
            printf("world:     %d ranks, launched by %s, %s\n", p, dist_launcher(), dist_library_version());
        for (int r = 0; r < p && p > 1; r++) printf("  rank %-3d %s\n", r, rows + (size_t)r * sizeof line);
    }
    free(rows);
    return rc;
}

static void usage(FILE *f) {
    fprintf(f, "usage: w2s info [--peak] [--weak M --strong M]\n"
               "  Prints the CPU's features, the ISA path kernels use (W2S_ISA=<level>\n"
               "  lowers it), the OpenMP thread count and the versions of the libraries used, then the\n"
               "  topology and the world: alone, this process; under mpirun/srun, each rank's host,\n"
               "  cores, NUMA node and threads (rank 0 prints).\n"
               "  --peak also measures fp32/bf16/int8 peak throughput (1 core, all cores) and memory\n"
               "  bandwidth (a few seconds) and caches them for `w2s profile`.\n"
               "  --weak M --strong M also prints the placement `w2s run` would use for that pair\n"
               "  (a released name such as gpt2, gpt2-medium, or a checkpoint / HF directory).\n");
}

int cmd_info(int argc, char **argv) {
    bool peak = false;
    const char *weak = NULL, *strong = NULL;
    cli_opt opts[] = {
        CLI_OPT("peak", CLI_FLAG, &peak),
        CLI_OPT("weak", CLI_STR, &weak),
        CLI_OPT("strong", CLI_STR, &strong),
    };
    int status = cli_opts_parse("info", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    if ((weak != NULL) != (strong != NULL)) return cli_usage_error("info", "--weak and --strong go together");
    // Ranks other than 0 only contribute their line to the world section.
    if (!dist_is_root()) {
        topology *t = topology_load_this_system();
        int rc = t ? print_world(t) : dist_gather_lines("(no topology)", NULL, 512);
        if (t) topology_destroy(t);
        return rc ? cli_fail("info", NULL) : 0;
    }
    const w2s_cpu_features *f = w2s_cpu();
    printf("cpu:       %s (%s)\n", f->brand[0] ? f->brand : "unknown", f->vendor);
    printf("core:      family %u model %u stepping %u; caches L1d %lu KiB, L2 %lu KiB, L3 %lu KiB (0: unknown)\n",
           f->family, f->model, f->stepping, f->cache_l1d >> 10, f->cache_l2 >> 10, f->cache_l3 >> 10);
    print_features(f);
    printf("isa:       %s (detected %s)\n", w2s_isa_name(w2s_isa_active()), w2s_isa_name(w2s_isa_detected()));
    gemm_config_set gc;
    const char *gsrc, *how;
    gemm_config_active(&gc, &gsrc);
    gemm_core_kind kind = gemm_core(&how);
    printf("core kind: %s (%s)\n", gemm_core_name(kind), how);
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        char buf[128];
        printf("gemm %-5s %s\n", t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : "int8",
               gemm_config_format(&gc.type[t], buf, sizeof buf));
    }
    printf("gemm from: %s\n", gsrc);
    printf("supported:");
    for (int i = 0; i < W2S_ISA_COUNT; i++)
        if (w2s_isa_supported((w2s_isa)i)) printf(" %s", w2s_isa_name((w2s_isa)i));
    printf("\nthreads:   %d (OpenMP max), wait policy %s\n", omp_get_max_threads(), team_wait_policy());
    const dnnl_version_t *dv = dnnl_version();
    char pcre_ver[32] = "?";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre_ver);
    unsigned hv = hwloc_get_api_version();
    printf("libraries: oneDNN %d.%d.%d, hwloc %u.%u.%u, jansson %s, pcre2 %s, OpenMP %d\n", dv->major,
           dv->minor, dv->patch, hv >> 16, (hv >> 8) & 0xff, hv & 0xff, jansson_version_str(), pcre_ver,
           _OPENMP);
    topology *t = topology_load_this_system();
    if (!t) return cli_fail("info", NULL);
    topology_print(stdout, t);
    if (print_world(t) != 0) {
        topology_destroy(t);
        return cli_fail("info", NULL);
    }
    placement pl;
    if (placement_plan(t, NULL, &pl) == 0) {
        placement_print(stdout, &pl);
        placement_free(&pl);
    }
    int rc = weak && strong ? print_run_plan(t, weak, strong) : 0;
    topology_destroy(t);
    if (rc) return cli_fail("info", NULL);
    return peak ? print_peak() : 0;
}
