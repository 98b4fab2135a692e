// probe_loss.c — not a test itself: test_loss_torch.py drives it to compare w2s's losses
// with an independent PyTorch implementation. Reads {"cases": [{"loss", "B", "K", "z", "y",
// "step_frac", "aux_coef", "warmup_frac", "alpha", "beta"}, …]} on stdin and prints
// {"results": [{"loss": L, "dz": […]}, …]} with %.9g (exact for fp32). Exits 1 on error.
#include "error.h"
#include "loss.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int read_floats(json_t *arr, float *out, size_t n) {
    if (!json_is_array(arr) || json_array_size(arr) != n)
        return W2S_FAIL("array of %zu numbers expected", n);
    for (size_t i = 0; i < n; i++) out[i] = (float)json_number_value(json_array_get(arr, i));
    return 0;
}

static double num_or(json_t *c, const char *key, double dflt) {
    json_t *v = json_object_get(c, key);
    return v ? json_number_value(v) : dflt;
}

static int run_case(json_t *c) {
    loss_config cfg;
    loss_kind kind;
    const char *name = json_string_value(json_object_get(c, "loss"));
    if (loss_kind_parse(name ? name : "(missing)", &kind)) return -1;
    loss_config_default(&cfg, kind);
    cfg.aux_coef = (float)num_or(c, "aux_coef", cfg.aux_coef);
    cfg.warmup_frac = (float)num_or(c, "warmup_frac", cfg.warmup_frac);
    cfg.alpha = (float)num_or(c, "alpha", cfg.alpha);
    cfg.beta = (float)num_or(c, "beta", cfg.beta);
    size_t B = (size_t)json_integer_value(json_object_get(c, "B"));
    size_t K = (size_t)json_integer_value(json_object_get(c, "K"));
    float *z = malloc(B * K * sizeof *z), *y = malloc(B * K * sizeof *y);
    float *dz = malloc(B * K * sizeof *dz),
          *work = malloc((loss_work_floats(B, K) + 1) * sizeof *work);
    int rc = -1;
    float loss;
    if (z && y && dz && work && !read_floats(json_object_get(c, "z"), z, B * K) &&
        !read_floats(json_object_get(c, "y"), y, B * K) &&
        !loss_compute(&cfg, z, y, B, K, (float)num_or(c, "step_frac", 1.0), work, &loss, dz)) {
        printf("{\"loss\": %.9g, \"dz\": [", (double)loss);
        for (size_t i = 0; i < B * K; i++) printf(i ? ", %.9g" : "%.9g", (double)dz[i]);
        printf("]}");
        rc = 0;
    }
    free(z);
    free(y);
    free(dz);
    free(work);
    return rc;
}

int main(void) {
    json_error_t err;
    json_t *in = json_loadf(stdin, 0, &err);
    if (!in) {
        fprintf(stderr, "probe_loss: bad input JSON: %s\n", err.text);
        return 1;
    }
    json_t *cases = json_object_get(in, "cases");
    printf("{\"results\": [");
    for (size_t i = 0; i < json_array_size(cases); i++) {
        if (i) printf(", ");
        if (run_case(json_array_get(cases, i))) {
            fprintf(stderr, "probe_loss: case %zu: %s\n", i, w2s_error_message());
            return 1;
        }
    }
    printf("]}\n");
    json_decref(in);
    return 0;
}
