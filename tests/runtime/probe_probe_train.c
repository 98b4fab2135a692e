// probe_probe_train.c — not a test itself: test_probe_torch.py drives it to compare w2s's
// linear-probe training (runtime/train/probe.c) with an independent PyTorch probe. Reads one JSON
// case {"n", "d", "k", "x", "y", "loss", "seed", "epochs", "first_epoch_in_order"} on stdin,
// trains with probe_config_default(loss) and prints {"w", "b", "mean", "inv_std", "orders"}
// with %.9g (exact for fp32). "orders" are the per-epoch visiting orders implied by probe.h's
// contract (rng_seed(seed), one shuffle of the running order per shuffled epoch), so PyTorch
// can visit the same batches. Exits 1 on error.
#include "error.h"
#include "probe.h"
#include "rng.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int read_floats(json_t *arr, float *out, size_t n) {
    if (!json_is_array(arr) || json_array_size(arr) != n) return W2S_FAIL("array of %zu numbers expected", n);
    for (size_t i = 0; i < n; i++) out[i] = (float)json_number_value(json_array_get(arr, i));
    return 0;
}

static void print_floats(const char *key, const float *v, size_t n, const char *sep) {
    printf("\"%s\": [", key);
    for (size_t i = 0; i < n; i++) printf(i ? ", %.9g" : "%.9g", (double)v[i]);
    printf("]%s", sep);
}

static void print_orders(const probe_config *c, size_t n) {
    size_t *order = malloc(n * sizeof *order);
    rng r;
    rng_seed(&r, c->seed);
    for (size_t i = 0; i < n; i++) order[i] = i;
    printf("\"orders\": [");
    for (size_t ep = 0; ep < c->epochs; ep++) {
        if (ep > 0 || !c->first_epoch_in_order) rng_shuffle_indices(&r, order, n);
        printf(ep ? ", [" : "[");
        for (size_t i = 0; i < n; i++) printf(i ? ", %zu" : "%zu", order[i]);
        printf("]");
    }
    printf("]");
    free(order);
}

int main(void) {
    json_error_t err;
    json_t *c = json_loadf(stdin, 0, &err);
    if (!c) {
        fprintf(stderr, "probe_probe_train: bad input JSON: %s\n", err.text);
        return 1;
    }
    size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
    size_t d = (size_t)json_integer_value(json_object_get(c, "d"));
    size_t k = (size_t)json_integer_value(json_object_get(c, "k"));
    const char *name = json_string_value(json_object_get(c, "loss"));
    loss_kind kind;
    probe_config pc;
    probe_head h = {0};
    float *x = malloc(n * d * sizeof *x), *y = malloc(n * k * sizeof *y);
    int rc = x && y && n && d && k ? 0 : W2S_FAIL("bad case (n=%zu d=%zu k=%zu) or out of memory", n, d, k);
    if (rc == 0) rc = loss_kind_parse(name ? name : "(missing)", &kind);
    if (rc == 0) {
        probe_config_default(&pc, kind);
        pc.seed = (uint64_t)json_integer_value(json_object_get(c, "seed"));
        pc.epochs = (size_t)json_integer_value(json_object_get(c, "epochs"));
        pc.first_epoch_in_order = json_is_true(json_object_get(c, "first_epoch_in_order"));
        rc = read_floats(json_object_get(c, "x"), x, n * d);
    }
    if (rc == 0) rc = read_floats(json_object_get(c, "y"), y, n * k);
    if (rc == 0) rc = probe_head_init(&h, d, k);
    if (rc == 0) rc = probe_train(&h, &pc, x, y, n);
    if (rc == 0) {
        printf("{");
        print_floats("w", h.w, k * d, ", ");
        print_floats("b", h.b, k, ", ");
        print_floats("mean", h.mean, d, ", ");
        print_floats("inv_std", h.inv_std, d, ", ");
        print_orders(&pc, n);
        printf("}\n");
    } else {
        fprintf(stderr, "probe_probe_train: %s\n", w2s_error_message());
    }
    probe_head_free(&h);
    free(x);
    free(y);
    json_decref(c);
    return rc == 0 ? 0 : 1;
}
