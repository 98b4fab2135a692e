/* w2s.h — the public C API of libw2s: open a GPT-2 classifier and its tokenizer, tokenize, label
 * texts or token ids in int8/bf16/fp32, fine-tune on a JSONL dataset, run the whole
 * weak-to-strong protocol from a JSON config. Not the `w2s` command (a client of this library)
 * and not the runtime's internal headers, which are not installed.
 * The one thing to know: every function that can fail returns a w2s_status and writes one
 * message line (what failed, where, a hint) into the caller's buffer err[0..err_cap) (err may
 * be NULL); nothing here exits, aborts or prints, unless a context asks for progress lines.
 *
 * Ownership: handles are created by *_create / *_open and freed by the matching *_destroy /
 * *_close (NULL is accepted); strings returned through `const char **` are static. Arrays are
 * the caller's. Thread-safety: a context and the models opened in it are used by one thread at
 * a time; distinct contexts may label on distinct threads. w2s_train and w2s_run use the
 * process's OpenMP threads and command-line parser, so run one of them at a time per process.
 */
#ifndef W2S_W2S_H
#define W2S_W2S_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(W2S_BUILDING_LIBRARY)
#define W2S_API __attribute__((visibility("default")))
#else
#define W2S_API
#endif

/* Version of this header; w2s_version gives the library's (they match in one install). */
#define W2S_VERSION_MAJOR 0
#define W2S_VERSION_MINOR 1
#define W2S_VERSION_PATCH 0

typedef enum {
    W2S_OK = 0,
    W2S_ERR_ARGUMENT = 1,  /* a NULL handle, an empty input, an unknown name: the call's fault */
    W2S_ERR_RUNTIME = 2,   /* the work failed: a missing or bad file, bad data, out of memory */
    W2S_ERR_SPACE = 3      /* an output buffer is too small; the size it needs is reported */
} w2s_status;

typedef enum {
    W2S_PRECISION_INT8 = 0,  /* s8 weights, u8 per-token activations (what `w2s label` uses) */
    W2S_PRECISION_BF16 = 1,
    W2S_PRECISION_FP32 = 2
} w2s_precision;

typedef struct w2s_context w2s_context;
typedef struct w2s_model w2s_model;

/* "0.1.0": the library's version (static string). */
W2S_API w2s_status w2s_version(const char **version);
/* "ok", "argument", "runtime", "space": a name for a status (static string). */
W2S_API const char *w2s_status_name(w2s_status status);

/* ---- context: the options every call made in it uses (no other global state) */

/* A new context: all OpenMP threads, silent. Free with w2s_context_destroy. */
W2S_API w2s_status w2s_context_create(w2s_context **ctx, char *err, size_t err_cap);
W2S_API void w2s_context_destroy(w2s_context *ctx);
/* OpenMP threads for the calls made in ctx, set on the calling thread at each call (0: leave
 * the thread's OpenMP setting as it is). Results are bit-identical for a given thread count. */
W2S_API w2s_status w2s_context_set_threads(w2s_context *ctx, size_t threads, char *err, size_t err_cap);
/* 1: w2s_train and w2s_run print what the commands print (progress lines on stderr, w2s_run's
 * final table on stdout); 0 (default): nothing is printed. */
W2S_API w2s_status w2s_context_set_progress(w2s_context *ctx, int progress, char *err, size_t err_cap);
/* The instruction set the kernels use on this CPU ("avx512_bf16", "avx2", "scalar", ...; the
 * environment variable W2S_ISA can lower it). Static string. */
W2S_API w2s_status w2s_context_isa(const w2s_context *ctx, const char **isa, char *err, size_t err_cap);

/* ---- models */

/* Opens a trained GPT-2 classifier: a w2s checkpoint (.safetensors with a score.weight head) or
 * a Hugging Face GPT-2 directory with a classification head. Its tokenizer (vocab.json +
 * merges.txt, or encoder.json + vocab.bpe) is read from tokenizer_dir, or when that is NULL
 * from the model's directory (the checkpoint file's directory); without one, only token ids
 * can be labeled. Weights are loaded at the first w2s_model_predict_*. Free with w2s_model_close.
 * The model keeps ctx's settings: ctx must outlive it. */
W2S_API w2s_status w2s_model_open(w2s_context *ctx, const char *path, const char *tokenizer_dir, w2s_model **model,
                                  char *err, size_t err_cap);
W2S_API void w2s_model_close(w2s_model *model);
/* The classifier's shape: classes K, positions (longest input in tokens), vocabulary size.
 * Any pointer may be NULL. */
W2S_API w2s_status w2s_model_shape(const w2s_model *model, size_t *n_classes, size_t *n_positions,
                                   size_t *vocab_size, char *err, size_t err_cap);
/* Examples per forward pass (default 8, as `w2s label`). Labels do not depend on it. */
W2S_API w2s_status w2s_model_set_batch(w2s_model *model, size_t batch, char *err, size_t err_cap);

/* GPT-2 BPE ids of text[0..len) into ids[0..cap); *n_ids = the count. If cap is too small,
 * returns W2S_ERR_SPACE with *n_ids = the count needed (call again with that much). */
W2S_API w2s_status w2s_model_tokenize(w2s_model *model, const char *text, size_t len, int32_t *ids, size_t cap,
                                      size_t *n_ids, char *err, size_t err_cap);

/* Class probabilities (softmax of the head's logits) of n examples at a precision, into
 * probs (n, K) row-major, row i for example i. Examples are sorted by length into batches, as
 * `w2s label` does, so the same inputs give the same numbers as the command.
 *   ids:     every example's token ids, concatenated
 *   offsets: (n + 1) example i is ids[offsets[i] .. offsets[i+1]); each 1..n_positions long
 * An example too long or an id outside the vocabulary is W2S_ERR_ARGUMENT naming it. */
W2S_API w2s_status w2s_model_predict_ids(w2s_model *model, const int32_t *ids, const size_t *offsets, size_t n,
                                         w2s_precision precision, float *probs, char *err, size_t err_cap);
/* The same for n NUL-terminated UTF-8 texts, tokenized with the model's tokenizer. */
W2S_API w2s_status w2s_model_predict_texts(w2s_model *model, const char *const *texts, size_t n,
                                           w2s_precision precision, float *probs, char *err, size_t err_cap);

/* ---- training and the protocol */

/* Fine-tunes a GPT-2 model on a JSONL dataset and saves a w2s checkpoint: what
 * `w2s train --model MODEL --data DATA --out OUT` does, with the options of `w2s train`
 * given in options_json as an object ({"loss": "logconf", "epochs": 1, "lr": 1e-4, ...};
 * NULL or "{}": the defaults). A JSON summary ({"out", "examples", "steps", "final_loss",
 * "train_s", "resumed_step"}) is written to summary[0..summary_cap) (may be NULL); if it does
 * not fit, W2S_ERR_SPACE with *summary_len (may be NULL) = the bytes needed (NUL included),
 * after the checkpoint is saved. */
W2S_API w2s_status w2s_train(w2s_context *ctx, const char *model, const char *data, const char *out,
                             const char *options_json, char *summary, size_t summary_cap, size_t *summary_len,
                             char *err, size_t err_cap);

/* Runs (or resumes) the whole weak-to-strong protocol: what `w2s run --config FILE` does, with
 * the config given as JSON text (the same keys: {"weak": DIR, "strong": DIR, "data": FILE,
 * "out": DIR, "n_train": 200, "seeds": [0, 1], ...}). Writes OUT/results.json,
 * results_summary.json and report.html, and copies results_summary.json's text into
 * summary[0..summary_cap) (W2S_ERR_SPACE and *summary_len as for w2s_train). */
W2S_API w2s_status w2s_run(w2s_context *ctx, const char *config_json, char *summary, size_t summary_cap,
                           size_t *summary_len, char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif

#endif
