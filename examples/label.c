// label.c — libw2s example: class probabilities of texts by a trained GPT-2 classifier.
// usage: label MODEL TEXTS.txt [int8|bf16|fp32]   (one text per line; prints one line of
// probabilities per text, %.9g, the way `w2s label` writes soft_label)
// Build against an installed w2s: find_package(w2s) (CMakeLists.txt here) or
//   cc label.c $(pkg-config --cflags --libs w2s)
#include <w2s/w2s.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: label MODEL TEXTS.txt [int8|bf16|fp32]\n");
        return 2;
    }
    w2s_precision precision = W2S_PRECISION_INT8;
    if (argc > 3) precision = !strcmp(argv[3], "fp32") ? W2S_PRECISION_FP32
                            : !strcmp(argv[3], "bf16") ? W2S_PRECISION_BF16 : W2S_PRECISION_INT8;

    // Read the texts: one per line, the newline not included.
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char **texts = NULL, *line = NULL;
    size_t n = 0, cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[len - 1] = 0;
        texts = realloc(texts, (n + 1) * sizeof *texts);
        texts[n++] = strdup(line);
    }
    free(line);
    fclose(f);

    char err[1024];
    w2s_context *ctx = NULL;
    w2s_model *model = NULL;
    size_t K = 0;
    float *probs = NULL;
    int rc = 1;
    if (w2s_context_create(&ctx, err, sizeof err) != W2S_OK) goto done;
    if (w2s_model_open(ctx, argv[1], NULL, &model, err, sizeof err) != W2S_OK) goto done;
    if (w2s_model_shape(model, &K, NULL, NULL, err, sizeof err) != W2S_OK) goto done;
    probs = malloc((n ? n : 1) * K * sizeof *probs);  // (n, K)
    if (w2s_model_predict_texts(model, (const char *const *)texts, n, precision, probs, err, sizeof err) != W2S_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++) printf("%.9g%c", probs[i * K + k], k + 1 < K ? ' ' : '\n');
    rc = 0;
done:
    if (rc) fprintf(stderr, "label: %s\n", err);
    free(probs);
    w2s_model_close(model);
    w2s_context_destroy(ctx);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    return rc;
}
