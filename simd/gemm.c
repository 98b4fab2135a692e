// gemm.c — the GEMM driver: argument checks, B packing, and BLIS's loops around the
// registered micro-kernels (gemm_kernel.h), run in one OpenMP region. Each thread owns a
// fixed rectangle of C tiles (for few rows, it starts there and then takes chunks from the
// others: gemm_team) and every element is computed in the same K order whatever the thread
// count, tile position or thread, so results are bit-identical across thread counts and
// rows never depend on other rows. A is packed per block unless the kernel reads it in place
// ("direct A"). A B that is not prepacked (weight gradients) is packed in L2-sized blocks, once
// per thread, with the next block's source prefetched during the current block's kernels.
// Packing buffers are per-thread, grow-only, freed at thread exit.
#include "gemm_kernel.h"

#include "error.h"
#include "prof.h"

#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// ---- per-thread workspace

typedef struct {
    void *buf;
    size_t cap;
} gemm_ws;

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static __thread gemm_ws *tls_ws;

static void ws_destroy(void *p) {
    gemm_ws *ws = p;
    free(ws->buf);
    free(ws);
}

static void ws_key_create(void) { (void)pthread_key_create(&ws_key, ws_destroy); }

// The calling thread's workspace of at least `size` bytes, 64-byte aligned; NULL if out of memory.
static void *ws_get(size_t size) {
    if (!tls_ws) {
        pthread_once(&ws_once, ws_key_create);
        tls_ws = calloc(1, sizeof *tls_ws);
        if (!tls_ws) return NULL;
        pthread_setspecific(ws_key, tls_ws);
    }
    if (tls_ws->cap < size) {
        size_t cap = (size + 4095) & ~(size_t)4095;
        void *p = aligned_alloc(64, cap);
        if (!p) return NULL;
        free(tls_ws->buf);
        tls_ws->buf = p;
        tls_ws->cap = cap;
    }
    return tls_ws->buf;
}

// ---- helpers

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t round_up(size_t a, size_t b) { return div_up(a, b) * b; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t type_esz(gemm_type t) { return t == GEMM_F32 ? 4 : t == GEMM_BF16 ? 2 : 1; }

static gemm_view view_at(gemm_view v, w2s_dtype dt, size_t i, size_t j) {
    v.p = (const char *)v.p + ((ptrdiff_t)i * v.rs + (ptrdiff_t)j * v.cs) * (ptrdiff_t)w2s_dtype_size(dt);
    return v;
}

static bool a_dtype_ok(gemm_type t, w2s_dtype d) {
    return t == GEMM_F32    ? d == W2S_DTYPE_F32
           : t == GEMM_BF16 ? d == W2S_DTYPE_F32 || d == W2S_DTYPE_BF16
                            : d == W2S_DTYPE_U8;
}

static bool b_dtype_ok(gemm_type t, w2s_dtype d) {
    return t == GEMM_U8S8 ? d == W2S_DTYPE_S8 : a_dtype_ok(t, d);
}

static const char *type_name(gemm_type t) {
    return t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : t == GEMM_U8S8 ? "u8s8" : "?";
}

static const gemm_kernel *kernel_for(gemm_type type, w2s_isa isa, const char *who) {
    if ((unsigned)type >= GEMM_TYPE_COUNT) {
        W2S_FAIL("%s: unknown gemm type %d", who, (int)type);
        return NULL;
    }
    if ((unsigned)isa >= W2S_ISA_COUNT || !w2s_isa_supported(isa)) {
        W2S_FAIL("%s: isa %d (%s) is not supported by this CPU; use w2s_isa_active()", who,
                 (int)isa, (unsigned)isa < W2S_ISA_COUNT ? w2s_isa_name(isa) : "?");
        return NULL;
    }
    const gemm_kernel *k = gemm_kernel_find(type, isa);
    if (!k) W2S_FAIL("%s: no %s kernel for isa %s", who, type_name(type), w2s_isa_name(isa));
    return k;
}

// Σ_k B[k, j] for j in [0, n) of a strided s8 view.
static void col_sums_s8(int32_t *sum, gemm_view b, size_t K, size_t n) {
    for (size_t j = 0; j < n; j++) {
        int32_t s = 0;
        for (size_t k = 0; k < K; k++) s += ((const int8_t *)b.p)[(ptrdiff_t)k * b.rs + (ptrdiff_t)j * b.cs];
        sum[j] = s;
    }
}

// ---- packed B

static size_t packed_panel_bytes(const gemm_kernel *k, size_t K) {
    return div_up(K, k->kgroup) * k->nr * k->kgroup * type_esz(k->type);
}

int gemm_pack_b(gemm_packed_b *pb, gemm_type type, w2s_isa isa, size_t K, size_t N,
                w2s_dtype b_dtype, gemm_view b) {
    memset(pb, 0, sizeof *pb);
    const gemm_kernel *k = kernel_for(type, isa, "gemm_pack_b");
    if (!k) return -1;
    if (!b_dtype_ok(type, b_dtype))
        return W2S_FAIL("gemm_pack_b: B dtype %d is not valid for %s", (int)b_dtype, type_name(type));
    if (K > 0 && N > 0 && !b.p) return W2S_FAIL("gemm_pack_b: B is NULL for a %zux%zu matrix", K, N);
    size_t bytes = round_up(div_up(N, k->nr) * packed_panel_bytes(k, K), 64);
    pb->data = aligned_alloc(64, bytes ? bytes : 64);
    if (type == GEMM_U8S8) pb->col_sum = malloc((N ? N : 1) * sizeof(int32_t));
    if (!pb->data || (type == GEMM_U8S8 && !pb->col_sum)) {
        gemm_packed_b_free(pb);
        return W2S_FAIL("gemm_pack_b: out of memory packing a %zux%zu %s B (%zu bytes)", K, N,
                        type_name(type), bytes);
    }
    pb->type = type;
    pb->isa = isa;
    pb->K = K;
    pb->N = N;
    pb->nr = k->nr;
    pb->kgroup = k->kgroup;
    gemm_repack_b(pb, b_dtype, b);
    return 0;
}

void gemm_repack_b(gemm_packed_b *pb, w2s_dtype b_dtype, gemm_view b) {
    const gemm_kernel *k = gemm_kernel_find(pb->type, pb->isa);
    size_t panels = div_up(pb->N, pb->nr), pbytes = packed_panel_bytes(k, pb->K);
    double prof_t = prof_begin();  // profiler region (prof.h): weight packing outside gemm()
    // Packing is O(K·N) but runs every training step; panels are independent.
#pragma omp parallel for schedule(static) if (panels * pb->K > 65536)
    for (size_t p = 0; p < panels; p++) {
        size_t n = min_sz(pb->nr, pb->N - p * pb->nr);
        k->pack_b(k, (char *)pb->data + p * pbytes, b_dtype, view_at(b, b_dtype, 0, p * pb->nr),
                  pb->K, n);
    }
    if (pb->type == GEMM_U8S8) col_sums_s8(pb->col_sum, b, pb->K, pb->N);
    prof_end(PROF_PACK, prof_t);
}

int gemm_repack_b_block(gemm_packed_b *pb, w2s_dtype b_dtype, gemm_view b, size_t k0, size_t k1, size_t n0,
                        size_t n1) {
    if (pb->type == GEMM_U8S8 || k0 > k1 || k1 > pb->K || n0 > n1 || n1 > pb->N || k0 % pb->kgroup ||
        (k1 % pb->kgroup && k1 != pb->K) || n0 % pb->nr || (n1 % pb->nr && n1 != pb->N))
        return W2S_FAIL("gemm_repack_b_block: block [%zu, %zu) x [%zu, %zu) of a %zux%zu %s B is not one "
                        "of whole groups of %zu rows and panels of %zu columns", k0, k1, n0, n1, pb->K,
                        pb->N, type_name(pb->type), pb->kgroup, pb->nr);
    const gemm_kernel *k = gemm_kernel_find(pb->type, pb->isa);
    size_t pbytes = packed_panel_bytes(k, pb->K), gbytes = pb->nr * pb->kgroup * type_esz(pb->type);
    if (k1 > k0)
        for (size_t p = n0 / pb->nr; p * pb->nr < n1; p++)
            k->pack_b(k, (char *)pb->data + p * pbytes + k0 / pb->kgroup * gbytes, b_dtype,
                      view_at(b, b_dtype, k0, p * pb->nr), k1 - k0, min_sz(pb->nr, pb->N - p * pb->nr));
    return 0;
}

int gemm_packed_b_columns(gemm_packed_b *view, const gemm_packed_b *pb, size_t n0, size_t n1) {
    if (n0 % pb->nr || n1 <= n0 || n1 > pb->N)
        return W2S_FAIL("gemm_packed_b_columns: columns [%zu, %zu) of %zu in panels of %zu", n0, n1, pb->N, pb->nr);
    const gemm_kernel *k = gemm_kernel_find(pb->type, pb->isa);
    if (!k) return W2S_FAIL("gemm_packed_b_columns: no kernel for this pack");
    *view = *pb;
    view->data = (char *)pb->data + n0 / pb->nr * packed_panel_bytes(k, pb->K);
    if (pb->col_sum) view->col_sum = pb->col_sum + n0;
    view->N = n1 - n0;
    return 0;
}

void gemm_packed_b_free(gemm_packed_b *pb) {
    free(pb->data);
    free(pb->col_sum);
    memset(pb, 0, sizeof *pb);
}

// ---- the driver

typedef struct {
    const gemm_kernel *k;
    const gemm_args *g;
    gemm_type type;
    size_t kcb;           // K block length (multiple of kgroup; K rounded up when unblocked)
    bool accumulate, nonlinear, raw_s32, need_col_sum;
    bool direct_a;        // the kernel reads A in place (gemm_kernel.h, "Direct A")
    int failed;           // shared: some thread could not get its workspace (C incomplete)
} gemm_plan;

// Packed B bytes of one on-the-fly B block: it stays in L2 beside the mc×kc A block and the
// prefetched source of the next B block (~768 KiB of a 1 MiB L2 with kc = 1024 bf16) while
// every row block of A passes over it (A is read from L3 once per B block: 1/nc bytes per
// flop, so nc need not be large).
#define GEMM_FLY_B_BYTES ((size_t)256 << 10)
// Packed A bytes of one A super-block in the on-the-fly B loop: packed once, then read from L3
// once per B block. Bounded so that a tall A (vocabulary-sized weight gradients) does not need
// a buffer of M·kc; B is packed once per super-block, i.e. ceil(M / rows) times per K block.
#define GEMM_FLY_A_BYTES ((size_t)4 << 20)

// Splits T threads into tm × tn over the tile grid, minimising the padded area per thread.
// Ties: when B is packed on the fly (weight gradients), take the split that packs the fewest
// elements per thread (each thread packs all of B for its columns and all of A for its rows,
// so the larger operand should be the one divided). Otherwise as the configuration says
// (k->split); automatically, when every thread would get at least a full mc block of rows,
// split M (each thread then packs only its own rows of A; the shared weights are read from
// L3), else split N (each thread streams only its share of the weights, the decode /
// small-batch case).
static void split_threads(size_t T, size_t M, size_t mt, size_t nt, const gemm_kernel *k, bool fly_b,
                          size_t *tm, size_t *tn) {
    size_t best = (size_t)-1, best_pack = (size_t)-1;
    bool prefer_m = k->split == GEMM_SPLIT_AUTO ? M / T >= k->mc : k->split == GEMM_SPLIT_ROWS;
    *tm = 1;
    *tn = T;
    for (size_t a = 1; a <= T; a++) {
        if (T % a) continue;
        size_t b = T / a;
        size_t area = div_up(mt, a) * k->mr * div_up(nt, b) * k->nr;
        size_t pack = 2 * div_up(mt, a) * k->mr + div_up(nt, b) * k->nr;
        bool tie_wins = fly_b ? pack < best_pack : prefer_m ? a > *tm : b > *tn;
        if (area < best || (area == best && tie_wins)) {
            best = area;
            best_pack = pack;
            *tm = a;
            *tn = b;
        }
    }
}

typedef struct {
    size_t m0, m1, n0, n1;  // the thread's rectangle of C
    size_t kgc;             // groups in the current K block
    size_t pc, kcur;        // current K block
    unsigned flags;         // GEMM_UK_* of the current K block
    const int32_t *col_sum;
} gemm_block;

// Prefetch of the source lines of the next block to pack, spread over the micro-kernel calls
// of the current block: packing reads its source once, from L3 or DRAM, and without this its
// misses are exposed (a pack has no arithmetic to overlap them with), which cost ~8% of a
// weight-gradient product. Lines go to L2 (locality 2), where the pack finds them.
typedef struct {
    const char *p;        // the next line's run
    ptrdiff_t stride;     // bytes between runs
    size_t run_lines;     // 64-byte lines per run
    size_t line, left;    // the next line's index in its run; lines not yet issued
    size_t per_call;      // lines per micro-kernel call
} gemm_prefetch;

// Sets pf to fetch rows [i0, i0 + m) × columns [j0, j0 + n) of view v over `calls` kernel calls;
// only views with one unit stride (contiguous runs), otherwise pf fetches nothing.
static void prefetch_setup(gemm_prefetch *pf, gemm_view v, w2s_dtype dt, size_t i0, size_t m, size_t j0,
                           size_t n, size_t calls) {
    memset(pf, 0, sizeof *pf);
    size_t esz = w2s_dtype_size(dt), runs, len;
    if (!m || !n || !calls) return;
    if (v.cs == 1) {
        runs = m, len = n, pf->stride = v.rs * (ptrdiff_t)esz;
    } else if (v.rs == 1) {
        runs = n, len = m, pf->stride = v.cs * (ptrdiff_t)esz;
    } else {
        return;
    }
    pf->p = view_at(v, dt, i0, j0).p;
    pf->run_lines = div_up(len * esz + 63, 64);  // +63: a run need not start on a line
    pf->left = runs * pf->run_lines;
    pf->per_call = div_up(pf->left, calls);
}

static inline void prefetch_step(gemm_prefetch *pf) {
    for (size_t n = min_sz(pf->left, pf->per_call); n; n--) {
        __builtin_prefetch(pf->p + pf->line * 64, 0, 2);
        if (++pf->line == pf->run_lines) {
            pf->line = 0;
            pf->p += pf->stride;
        }
    }
    pf->left -= min_sz(pf->left, pf->per_call);
}

// Micro-kernel calls over rows [ic, ic + mcb) × columns [jc, jc + ncb) for one K block. A
// micro-panels: packed from `wa` (panel of row i at wa + ((i - ia) / mr) panels), or read in
// place (direct A). B micro-panels: the one of column j at bp + ((j - jc) / nr) * b_step bytes.
static void run_block(const gemm_plan *pl, const gemm_block *bl, size_t ic, size_t mcb, const char *wa,
                      size_t ia, size_t jc, size_t ncb, const char *bp, size_t b_step, gemm_prefetch *pf) {
    const gemm_kernel *k = pl->k;
    const gemm_args *g = pl->g;
    const gemm_epilogue *ep = &g->ep;
    size_t mr = k->mr, nr = k->nr, esz = type_esz(k->type);
    size_t a_step = bl->kgc * mr * k->kgroup * esz;
    for (size_t jr = 0; jr < ncb; jr += nr) {
        size_t j = jc + jr;
        for (size_t ir = 0; ir < mcb; ir += mr) {
            size_t i = ic + ir;
            gemm_uk_args ua = {
                .kc = bl->kcur,
                .a = pl->direct_a ? view_at(g->a, g->a_dtype, i, bl->pc).p : wa + ((i - ia) / mr) * a_step,
                .a_ld = pl->direct_a ? (size_t)g->a.rs * esz : 0,
                .b = bp + (jr / nr) * b_step,
                .c = (char *)g->c + (i * g->ldc + j) * 4,
                .ldc = g->ldc,
                .m = min_sz(mr, ic + mcb - i),
                .n = min_sz(nr, jc + ncb - j),
                .flags = bl->flags,
                .bias = ep->bias ? ep->bias + j : NULL,
                .gelu = ep->gelu,
                .row_scale = ep->row_scale ? ep->row_scale + i : NULL,
                .row_zero = ep->row_zero ? ep->row_zero + i : NULL,
                .col_scale = ep->col_scale ? ep->col_scale + j : NULL,
                .col_sum = bl->col_sum && ep->row_zero ? bl->col_sum + j : NULL,
            };
            k->ukernel(&ua);
            if (pf) {
                prefetch_step(&pf[0]);
                prefetch_step(&pf[1]);
            }
        }
    }
}

// Packs rows [i0, i0 + m) of A for the current K block into micro-panels at wa.
static void pack_a_rows(const gemm_plan *pl, const gemm_block *bl, char *wa, size_t i0, size_t m) {
    const gemm_kernel *k = pl->k;
    const gemm_args *g = pl->g;
    size_t mr = k->mr, step = bl->kgc * mr * k->kgroup * type_esz(k->type);
    if (!bl->kcur || pl->direct_a) return;
    if (k->pack_a_block) {
        k->pack_a_block(k, wa, g->a_dtype, view_at(g->a, g->a_dtype, i0, bl->pc), m, bl->kcur);
        return;
    }
    for (size_t ir = 0; ir < m; ir += mr)
        k->pack_a(k, wa + (ir / mr) * step, g->a_dtype, view_at(g->a, g->a_dtype, i0 + ir, bl->pc),
                  min_sz(mr, m - ir), bl->kcur);
}

// Packs columns [j0, j0 + n) of B for the current K block into micro-panels at wb.
static void pack_b_cols(const gemm_plan *pl, const gemm_block *bl, char *wb, size_t j0, size_t n) {
    const gemm_kernel *k = pl->k;
    const gemm_args *g = pl->g;
    size_t nr = k->nr, step = bl->kgc * nr * k->kgroup * type_esz(k->type);
    if (!bl->kcur) return;
    for (size_t jr = 0; jr < n; jr += nr)
        k->pack_b(k, wb + (jr / nr) * step, g->b_dtype, view_at(g->b, g->b_dtype, bl->pc, j0 + jr),
                  bl->kcur, min_sz(nr, n - jr));
}

// Sets the K block fields of bl for the block starting at pc (flags: gemm_kernel.h).
static void set_k_block(const gemm_plan *pl, gemm_block *bl, size_t pc) {
    const gemm_args *g = pl->g;
    bl->pc = pc;
    bl->kcur = min_sz(pl->kcb, g->K - pc);
    bl->kgc = div_up(bl->kcur, pl->k->kgroup);
    bool last = pc + pl->kcb >= g->K;
    unsigned flags = pl->raw_s32 ? GEMM_UK_S32 : 0;
    if (pl->nonlinear)
        flags |= GEMM_UK_LAST | GEMM_UK_ACCUM;
    else
        flags |= (pl->accumulate || pc > 0 ? GEMM_UK_LOAD : 0) | (last ? GEMM_UK_LAST : 0);
    bl->flags = flags;
}

// Prepacked B (weights): BLIS order jc → pc → ic (pack A block) → jr → ir, B read in place.
static void thread_packed_b(const gemm_plan *pl, gemm_block *bl, char *wa, size_t mc, size_t nc) {
    const gemm_args *g = pl->g;
    const gemm_kernel *k = pl->k;
    size_t nr = k->nr, kg = k->kgroup, esz = type_esz(k->type);
    size_t pk_groups = div_up(g->K, kg), b_step = pk_groups * nr * kg * esz;
    for (size_t jc = bl->n0; jc < bl->n1; jc += nc) {
        size_t ncb = min_sz(nc, bl->n1 - jc);
        for (size_t pc = 0; pc < g->K || (pc == 0 && g->K == 0); pc += pl->kcb) {
            set_k_block(pl, bl, pc);
            const char *bp = (const char *)g->b_packed->data + ((jc / nr) * pk_groups + pc / kg) * nr * kg * esz;
            for (size_t ic = bl->m0; ic < bl->m1; ic += mc) {
                size_t mcb = min_sz(mc, bl->m1 - ic);
                pack_a_rows(pl, bl, wa, ic, mcb);
                run_block(pl, bl, ic, mcb, wa, ic, jc, ncb, bp, b_step, NULL);
            }
            if (g->K == 0) break;
        }
    }
}

// B packed on the fly (weight gradients Aᵀ·dY, whose B is new every call): pc → A super-block
// (ma rows, packed once, block by block during the first B block) → jc (pack an L2-sized B
// block, nc columns) → ic → jr → ir. Each kernel call also prefetches a share of the source of
// the next A block (first B block only) and of the next B block. Every C element still sees
// the K blocks in the same order with the same kernel, as above.
static void thread_fly_b(const gemm_plan *pl, gemm_block *bl, char *wa, char *wb, size_t mc, size_t ma,
                         size_t nc) {
    const gemm_args *g = pl->g;
    const gemm_kernel *k = pl->k;
    size_t mr = k->mr, nr = k->nr, esz = type_esz(k->type);
    for (size_t pc = 0; pc < g->K || (pc == 0 && g->K == 0); pc += pl->kcb) {
        set_k_block(pl, bl, pc);
        size_t a_step = bl->kgc * mr * k->kgroup * esz, b_step = bl->kgc * nr * k->kgroup * esz;
        for (size_t ia = bl->m0; ia < bl->m1; ia += ma) {
            size_t mab = min_sz(ma, bl->m1 - ia);
            for (size_t jc = bl->n0; jc < bl->n1; jc += nc) {
                size_t ncb = min_sz(nc, bl->n1 - jc), jn = jc + ncb;
                bool first = jc == bl->n0;
                pack_b_cols(pl, bl, wb, jc, ncb);
                // The next B block to pack: the next one of this super-block, else the first one
                // for the next super-block, else the first one of the next K block.
                size_t nb_j = jn, nb_k = pc, nb_kc = bl->kcur;
                if (jn >= bl->n1) {
                    nb_j = bl->n0;
                    if (ia + mab >= bl->m1) {
                        nb_k = pc + pl->kcb;
                        nb_kc = nb_k < g->K ? min_sz(pl->kcb, g->K - nb_k) : 0;
                    }
                }
                for (size_t ic = ia; ic < ia + mab; ic += mc) {
                    size_t mcb = min_sz(mc, ia + mab - ic), in = ic + mcb, calls = div_up(mcb, mr) * div_up(ncb, nr);
                    if (first) pack_a_rows(pl, bl, wa + ((ic - ia) / mr) * a_step, ic, mcb);
                    // pf[0]: the next A block, while the super-block is being packed; pf[1]: the
                    // next B block, during the last A block only (earlier, the packed A streaming
                    // through L2 would evict it before it is packed).
                    gemm_prefetch pf[2];
                    size_t an = first && in < ia + mab ? min_sz(mc, ia + mab - in) : 0;
                    prefetch_setup(&pf[0], g->a, g->a_dtype, in, pl->direct_a ? 0 : an, pc, bl->kcur, calls);
                    prefetch_setup(&pf[1], g->b, g->b_dtype, nb_k, in < ia + mab ? 0 : nb_kc, nb_j,
                                   min_sz(nc, bl->n1 - nb_j), calls);
                    run_block(pl, bl, ic, mcb, wa, ia, jc, ncb, wb, b_step, pf);
                }
            }
        }
        if (g->K == 0) break;
    }
}

static void gemm_thread(gemm_plan *pl, size_t t, size_t T) {
    const gemm_kernel *k = pl->k;
    const gemm_args *g = pl->g;
    size_t mr = k->mr, nr = k->nr, kg = k->kgroup, esz = type_esz(k->type);
    size_t mt = div_up(g->M, mr), nt = div_up(g->N, nr), tm, tn;
    bool fly = !g->b_packed;
    split_threads(T, g->M, mt, nt, k, fly, &tm, &tn);
    size_t r = t / tn, s = t % tn;
    gemm_block bl = {0};
    bl.m0 = min_sz(g->M, (r * mt / tm) * mr);
    bl.m1 = min_sz(g->M, ((r + 1) * mt / tm) * mr);
    bl.n0 = min_sz(g->N, (s * nt / tn) * nr);
    bl.n1 = min_sz(g->N, ((s + 1) * nt / tn) * nr);
    if (bl.m0 >= bl.m1 || bl.n0 >= bl.n1) return;

    // Workspace: packed A (a block, or a super-block when B is packed on the fly), packed B
    // block (on the fly), column sums (U8S8 on the fly).
    size_t kgroups = div_up(pl->kcb, kg), a_row = kgroups * kg * esz, b_col = a_row;
    if (fly) a_row = b_col = div_up(min_sz(pl->kcb, g->K), kg) * kg * esz;  // K blocks are no longer than K
    size_t m_all = round_up(bl.m1 - bl.m0, mr), n_all = round_up(bl.n1 - bl.n0, nr);
    size_t mc = min_sz(k->mc, m_all), nc = min_sz(k->nc, n_all), ma = mc;
    if (fly) {
        size_t panels = GEMM_FLY_B_BYTES / (b_col * nr + 1), mcs = GEMM_FLY_A_BYTES / (a_row * mc + 1);
        nc = min_sz(n_all, (panels ? panels : 1) * nr);
        size_t ma_max = (mcs ? mcs : 1) * mc;
        ma = pl->direct_a ? m_all : min_sz(m_all, ma_max);
    }
    size_t a_bytes = pl->direct_a ? 0 : round_up(ma * a_row, 64);
    size_t b_bytes = fly ? round_up(nc * b_col, 64) : 0;
    size_t s_bytes = pl->need_col_sum ? (bl.n1 - bl.n0) * sizeof(int32_t) : 0;
    // Never empty (direct A with prepacked B, or K = 0), so the buffer pointers are never NULL.
    char *ws = ws_get(a_bytes + b_bytes + s_bytes + 64);
    if (!ws) {  // no barrier: the others finish their blocks, gemm() then reports the failure
#pragma omp atomic write
        pl->failed = 1;
        return;
    }

    char *wa = ws, *wb = ws + a_bytes;
    if (pl->need_col_sum) {
        int32_t *sums = (int32_t *)(ws + a_bytes + b_bytes);
        col_sums_s8(sums, view_at(g->b, g->b_dtype, 0, bl.n0), g->K, bl.n1 - bl.n0);
        bl.col_sum = sums - bl.n0;
    } else if (g->b_packed) {
        bl.col_sum = g->b_packed->col_sum;
    }
    if (fly)
        thread_fly_b(pl, &bl, wa, wb, mc, ma, nc);
    else
        thread_packed_b(pl, &bl, wa, mc, nc);
}

// ---- the team

// Products with a few rows against prepacked weights (decode, small batches) last tens of µs,
// so under a fixed split the call waits for the thread that started last (waking one costs a
// few µs) or that the OS took off its core on a shared machine. There each thread starts on
// the share the fixed split gives it, cut into chunks (gemm_thread's rectangles for n virtual
// threads: column slabs), and a thread whose share is done takes chunks from the end of
// another's. Which thread computes a tile never changes its bits (see the header), so results
// stay bit-identical; a claim is one compare-and-swap on a cache line its owner mostly has
// alone. Only with direct A: a packed A would be packed again for every chunk.
enum { GEMM_SHARE_M = 64, GEMM_SHARE_T = 16, GEMM_SHARE_CHUNKS = 8 };
#define GEMM_SHARE_SPIN 20e-6  // most seconds the caller waits awake for the others (below)

typedef struct {
    uint64_t range __attribute__((aligned(64)));  // next chunk (low 32 bits), end (high 32 bits)
} gemm_share;

static uint64_t shared_schedule_calls;  // gemm_shared_schedule_calls(): calls that shared chunks

uint64_t gemm_shared_schedule_calls(void) { return __atomic_load_n(&shared_schedule_calls, __ATOMIC_RELAXED); }

// Claims the first (owner) or the last (thief) chunk left in s; false if none is left.
static bool share_take(gemm_share *s, bool last, size_t *chunk) {
    uint64_t r = __atomic_load_n(&s->range, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t lo = r & 0xffffffffu, hi = r >> 32;
        if (lo >= hi) return false;
        uint64_t next = last ? (hi - 1) << 32 | lo : hi << 32 | (lo + 1);
        if (__atomic_compare_exchange_n(&s->range, &r, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            *chunk = last ? hi - 1 : lo;
            return true;
        }
    }
}

// Runs the product on the team: the fixed split, or shared chunks for few rows (above).
static void gemm_team(gemm_plan *pl, bool parallel) {
    const gemm_args *g = pl->g;
    size_t T = parallel ? (size_t)omp_get_max_threads() : 1, nt = div_up(g->N, pl->k->nr);
    if (T < 2 || T > GEMM_SHARE_T || !g->b_packed || !pl->direct_a || g->M > GEMM_SHARE_M || nt < 2 * T) {
#pragma omp parallel if (parallel)
        gemm_thread(pl, (size_t)omp_get_thread_num(), (size_t)omp_get_num_threads());
        return;
    }
    __atomic_add_fetch(&shared_schedule_calls, 1, __ATOMIC_RELAXED);
    size_t n = min_sz(nt, T * GEMM_SHARE_CHUNKS);
    gemm_share sh[GEMM_SHARE_T];
    size_t done = 0;  // threads other than the caller that have no chunk left
    for (size_t t = 0; t < T; t++) sh[t].range = (uint64_t)((t + 1) * n / T) << 32 | (t * n / T);
#pragma omp parallel num_threads(T)
    {
        size_t t = (size_t)omp_get_thread_num(), team = (size_t)omp_get_num_threads(), c, chunks = 0;
        if (team != T) {  // a smaller team than asked for (nested region, thread limit)
            gemm_thread(pl, t, team);
        } else {
            double t0 = omp_get_wtime();
            for (size_t v = 0; v < T; v++)  // its own share from the front, then the others' ends
                while (share_take(&sh[(t + v) % T], v > 0, &c)) {
                    gemm_thread(pl, c, n);
                    chunks++;
                }
            // The calling thread waits awake for the others' last chunks, for about one chunk's
            // time: asleep in the region's closing barrier, waking it would cost a few µs more,
            // and a thread still busy after that is probably off its core (the wait is lost).
            if (t > 0) {
                __atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
            } else {
                double t1 = omp_get_wtime(), wait = chunks ? 1.5 * (t1 - t0) / (double)chunks : 0.0;
                if (wait > GEMM_SHARE_SPIN) wait = GEMM_SHARE_SPIN;
                while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < T - 1 && omp_get_wtime() - t1 < wait) {
                }
            }
        }
    }
}

static int gemm_run(gemm_type type, w2s_isa isa, const gemm_args *g);

// ---- profiling hook (prof.h): one predictable branch when no observer is installed

int gemm(gemm_type type, w2s_isa isa, const gemm_args *g) {
    gemm_observer_fn obs = gemm_observer;
    if (__builtin_expect(obs == NULL, 1)) return gemm_run(type, isa, g);
    double t0 = prof_now();
    int rc = gemm_run(type, isa, g);
    if (rc == 0 && g->M && g->N) obs(type, isa, g, t0, prof_now());
    return rc;
}

static int gemm_run(gemm_type type, w2s_isa isa, const gemm_args *g) {
    const gemm_kernel *k = kernel_for(type, isa, "gemm");
    if (!k) return -1;
    const gemm_epilogue *ep = &g->ep;
    if (g->M == 0 || g->N == 0) return 0;
    if (!g->c || g->ldc < g->N)
        return W2S_FAIL("gemm: C is NULL or ldc %zu < N %zu", g->ldc, g->N);
    if (!a_dtype_ok(type, g->a_dtype))
        return W2S_FAIL("gemm: A dtype %d is not valid for %s", (int)g->a_dtype, type_name(type));
    if (g->K && !g->a.p) return W2S_FAIL("gemm: A is NULL (M=%zu K=%zu)", g->M, g->K);
    if (g->b_packed) {
        const gemm_packed_b *pb = g->b_packed;
        if (pb->type != type || pb->K != g->K || pb->N != g->N)
            return W2S_FAIL("gemm: packed B is %s %zux%zu, call is %s %zux%zu", type_name(pb->type),
                            pb->K, pb->N, type_name(type), g->K, g->N);
        if (gemm_kernel_find(type, pb->isa) != k)
            return W2S_FAIL("gemm: B was packed for isa %s, call uses %s; repack for this isa",
                            w2s_isa_name(pb->isa), w2s_isa_name(isa));
        if (pb->nr != k->nr)
            return W2S_FAIL("gemm: B was packed in panels of %zu columns, the installed configuration's %s "
                            "takes %zu; repack after installing a configuration",
                            pb->nr, k->name, k->nr);
    } else {
        if (!b_dtype_ok(type, g->b_dtype))
            return W2S_FAIL("gemm: B dtype %d is not valid for %s", (int)g->b_dtype, type_name(type));
        if (g->K && !g->b.p) return W2S_FAIL("gemm: B is NULL and no packed B given");
    }
    bool raw = g->c_dtype == W2S_DTYPE_S32;
    if (raw && (type != GEMM_U8S8 || ep->bias || ep->gelu || ep->row_scale || ep->row_zero || ep->col_scale))
        return W2S_FAIL("gemm: s32 C is only for U8S8 with an empty epilogue (accumulate allowed)");
    if (!raw && g->c_dtype != W2S_DTYPE_F32)
        return W2S_FAIL("gemm: C dtype %d unsupported (f32, or s32 for raw U8S8)", (int)g->c_dtype);

    gemm_plan pl = {.k = k, .g = g, .type = type, .accumulate = ep->accumulate, .raw_s32 = raw};
    pl.nonlinear = ep->accumulate && (ep->gelu || (type == GEMM_U8S8 && !raw));
    pl.kcb = pl.nonlinear ? round_up(g->K > 0 ? g->K : 1, k->kgroup) : k->kc;
    pl.need_col_sum = type == GEMM_U8S8 && !g->b_packed && ep->row_zero;
    // Direct A: row-major, already of the packed element type, whole groups only.
    w2s_dtype packed_dt = type == GEMM_F32 ? W2S_DTYPE_F32 : type == GEMM_BF16 ? W2S_DTYPE_BF16 : W2S_DTYPE_U8;
    pl.direct_a = k->direct_a && g->a.cs == 1 && g->a.rs > 0 && g->a_dtype == packed_dt && g->K % k->kgroup == 0 &&
                  pl.kcb % k->kgroup == 0;

    // Small products are not worth waking the team (the result does not depend on T).
    double work = (double)g->M * (double)g->N * (double)(g->K + 1);
    gemm_team(&pl, work > 262144.0);
    if (pl.failed) return W2S_FAIL("gemm: out of memory for per-thread packing buffers");
    return 0;
}
