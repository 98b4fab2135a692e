// tune_wisdom.c — the per-CPU wisdom file (tune_wisdom.h): JSON through jansson, atomic writes
// through base/fileio. Every field read is checked: a corrupt file is a note, never a crash or
// a half-applied configuration.
#include "tune_wisdom.h"

#include "cpu.h"
#include "error.h"
#include "fileio.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define WISDOM_FORMAT "w2s-gemm-wisdom"
#define WISDOM_MAX_BYTES (1u << 20)

static const char *const type_key[GEMM_TYPE_COUNT] = {"f32", "bf16", "u8s8"};

void tune_cpu_signature(char *buf, size_t cap) {
    const w2s_cpu_features *f = w2s_cpu();
    snprintf(buf, cap, "%s %u/%u/%u %s L1d %luK L2 %luK L3 %luK isa %s", f->vendor, f->family, f->model,
             f->stepping, f->brand[0] ? f->brand : "unknown", f->cache_l1d >> 10, f->cache_l2 >> 10,
             f->cache_l3 >> 10, w2s_isa_name(w2s_isa_active()));
}

int tune_wisdom_path(char *buf, size_t cap) {
    char dir[W2S_PATH_MAX], sig[256];
    if (w2s_cache_dir(dir, sizeof dir)) return -1;
    tune_cpu_signature(sig, sizeof sig);
    uint64_t h = 1469598103934665603ull;  // FNV-1a: a short, stable name per signature
    for (const unsigned char *p = (const unsigned char *)sig; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return w2s_path_format(buf, cap, "%s/gemm-wisdom-%016llx.json", dir, (unsigned long long)h);
}

// A size_t field of o, or false.
static bool get_size(json_t *o, const char *key, size_t *v) {
    json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0) return false;
    *v = (size_t)json_integer_value(j);
    return true;
}

int tune_wisdom_load(gemm_config_set *s, tune_wisdom_meta *meta, char *note, size_t note_cap) {
    char path[W2S_PATH_MAX];
    note[0] = 0;
    if (tune_wisdom_path(path, sizeof path)) return -1;
    if (!w2s_file_exists(path)) return 1;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    int rc = 2;
    char sig[256];
    tune_cpu_signature(sig, sizeof sig);
    gemm_config_set cs;
    memset(&cs, 0, sizeof cs);
    if (!json_is_object(root)) {
        if (root)
            snprintf(note, note_cap, "ignoring %s: not a wisdom file (not a JSON object); `w2s tune` rewrites it", path);
        else
            snprintf(note, note_cap, "ignoring %s: not a wisdom file (line %d: %s); `w2s tune` rewrites it", path,
                     je.line, je.text);
        goto done;
    }
    const char *fmt = json_string_value(json_object_get(root, "format"));
    const char *ver = json_string_value(json_object_get(root, "w2s_version"));
    const char *cpu = json_string_value(json_object_get(root, "cpu"));
    if (!fmt || strcmp(fmt, WISDOM_FORMAT)) {
        snprintf(note, note_cap, "ignoring %s: not a wisdom file (format is not \"" WISDOM_FORMAT "\")", path);
        goto done;
    }
    if (!ver || strcmp(ver, W2S_VERSION_STRING)) {
        snprintf(note, note_cap, "ignoring %s: tuned by w2s %s, this is %s; run `w2s tune` again", path,
                 ver ? ver : "(unknown)", W2S_VERSION_STRING);
        goto done;
    }
    if (!cpu || strcmp(cpu, sig)) {
        snprintf(note, note_cap, "ignoring %s: tuned for another CPU (%s); run `w2s tune` here", path,
                 cpu ? cpu : "(none)");
        goto done;
    }
    json_t *configs = json_object_get(root, "configs");
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        json_t *c = json_object_get(configs, type_key[t]);
        const char *kernel = json_string_value(json_object_get(c, "kernel"));
        gemm_config *g = &cs.type[t];
        if (!kernel || strlen(kernel) >= sizeof g->kernel || !get_size(c, "kc", &g->kc) ||
            !get_size(c, "mc", &g->mc) || !get_size(c, "nc", &g->nc) ||
            gemm_split_parse(json_string_value(json_object_get(c, "split")), &g->split)) {
            snprintf(note, note_cap, "ignoring %s: configs.%s is missing or malformed; `w2s tune` rewrites it", path,
                     type_key[t]);
            goto done;
        }
        memcpy(g->kernel, kernel, strlen(kernel) + 1);
    }
    if (gemm_config_check(&cs)) {
        snprintf(note, note_cap, "ignoring %s: %s", path, w2s_error_message());
        w2s_error_clear();
        goto done;
    }
    if (meta) {
        memset(meta, 0, sizeof *meta);
        const char *arch = json_string_value(json_object_get(root, "arch"));
        const char *when = json_string_value(json_object_get(root, "tuned_utc"));
        snprintf(meta->arch, sizeof meta->arch, "%s", arch ? arch : "?");
        snprintf(meta->when, sizeof meta->when, "%s", when ? when : "?");
        meta->threads = (int)json_integer_value(json_object_get(root, "threads"));
        meta->seconds = json_number_value(json_object_get(root, "seconds"));
    }
    *s = cs;
    rc = 0;
done:
    json_decref(root);
    return rc;
}

int tune_wisdom_save(const gemm_config_set *s, const tune_wisdom_meta *meta) {
    char path[W2S_PATH_MAX], dir[W2S_PATH_MAX], sig[256];
    if (tune_wisdom_path(path, sizeof path) || w2s_cache_dir(dir, sizeof dir) || w2s_mkdir_p(dir)) return -1;
    tune_cpu_signature(sig, sizeof sig);
    json_t *configs = json_object();
    for (int t = 0; t < GEMM_TYPE_COUNT; t++)
        json_object_set_new(configs, type_key[t],
                            json_pack("{s:s, s:I, s:I, s:I, s:s}", "kernel", s->type[t].kernel, "kc",
                                      (json_int_t)s->type[t].kc, "mc", (json_int_t)s->type[t].mc, "nc",
                                      (json_int_t)s->type[t].nc, "split", gemm_split_name(s->type[t].split)));
    json_t *root = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:s, s:o}", "format", WISDOM_FORMAT, "w2s_version",
                             W2S_VERSION_STRING, "cpu", sig, "arch", meta->arch, "threads", meta->threads,
                             "seconds", meta->seconds, "tuned_utc", meta->when, "configs", configs);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    if (!text) return W2S_FAIL("tune: out of memory serializing %s", path);
    size_t n = strlen(text);
    text[n] = '\n';  // json_dumps leaves room for its NUL: the newline takes its place
    int rc = w2s_write_file_atomic(path, text, n + 1);
    free(text);
    return rc;
}

int tune_wisdom_apply(FILE *notes) {
    gemm_config_set s;
    tune_wisdom_meta meta;
    char note[W2S_PATH_MAX + 512], path[W2S_PATH_MAX];
    int rc = tune_wisdom_load(&s, &meta, note, sizeof note);
    if (rc == -1) {
        w2s_error_clear();  // no cache folder: nothing stored, the built-in default applies
        return 0;
    }
    if (rc == 2 && notes) fprintf(notes, "w2s: %s\n", note);
    if (rc != 0 || tune_wisdom_path(path, sizeof path)) return 0;
    char source[W2S_PATH_MAX + 128];
    snprintf(source, sizeof source, "wisdom %s (w2s tune --arch %s, %s)", path, meta.arch, meta.when);
    if (gemm_config_install(&s, source)) {
        if (notes) fprintf(notes, "w2s: ignoring %s: %s\n", path, w2s_error_message());
        w2s_error_clear();
        return 0;
    }
    return 1;
}

static pthread_once_t apply_once = PTHREAD_ONCE_INIT;
static FILE *apply_notes;
static int apply_result;

static void apply_first(void) { apply_result = tune_wisdom_apply(apply_notes); }

int tune_wisdom_apply_once(FILE *notes) {
    apply_notes = notes;  // read by the one call that runs apply_first
    pthread_once(&apply_once, apply_first);
    return apply_result;
}
