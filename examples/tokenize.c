// tokenize.c — libw2s example: GPT-2 token ids of each line of a file, as JSON arrays (the
// output of `w2s tokenize`), with the tokenizer beside a model.
// usage: tokenize MODEL TEXTS.txt
// Build against an installed w2s: find_package(w2s) (CMakeLists.txt here) or
//   cc tokenize.c $(pkg-config --cflags --libs w2s)
#include <w2s/w2s.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tokenize MODEL TEXTS.txt\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char err[1024];
    w2s_context *ctx = NULL;
    w2s_model *model = NULL;
    char *line = NULL;
    size_t cap = 0, ids_cap = 16;
    int32_t *ids = malloc(ids_cap * sizeof *ids);
    ssize_t len;
    int rc = 1;
    if (w2s_context_create(&ctx, err, sizeof err) != W2S_OK) goto done;
    if (w2s_model_open(ctx, argv[1], NULL, &model, err, sizeof err) != W2S_OK) goto done;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') len--;
        size_t n;
        w2s_status st = w2s_model_tokenize(model, line, (size_t)len, ids, ids_cap, &n, err, sizeof err);
        if (st == W2S_ERR_SPACE) {  // n is the size needed: grow and ask again
            ids = realloc(ids, n * sizeof *ids);
            ids_cap = n;
            st = w2s_model_tokenize(model, line, (size_t)len, ids, ids_cap, &n, err, sizeof err);
        }
        if (st != W2S_OK) goto done;
        putchar('[');
        for (size_t i = 0; i < n; i++) printf("%s%d", i ? "," : "", (int)ids[i]);
        printf("]\n");
    }
    rc = 0;
done:
    if (rc) fprintf(stderr, "tokenize: %s\n", err);
    free(line);
    free(ids);
    fclose(f);
    w2s_model_close(model);
    w2s_context_destroy(ctx);
    return rc;
}
