// serve_metrics.c — Prometheus text for `w2s serve` (serve_metrics.h).
// Not a registry: the metric names below are the whole set. The one thing to know: histogram
// buckets are cumulative at render time only; updates bump one bucket each.
#include "serve_metrics.h"

#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double lat_le[SERVE_LAT_BUCKETS] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                                  0.2,   0.5,   1,     2,    5,    10,   30};
static const double size_le[SERVE_SIZE_BUCKETS] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
static const int status_code[SERVE_STATUS_ROWS] = {200, 400, 401, 404, 405, 413, 422, 500, 503};

void serve_metrics_init(serve_metrics *m) {
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->t_start = progress_now();
}

void serve_metrics_free(serve_metrics *m) { pthread_mutex_destroy(&m->lock); }

static void bump(unsigned long long *bucket, const double *le, size_t nb, double v) {
    for (size_t i = 0; i < nb; i++)
        if (v <= le[i]) {
            bucket[i]++;
            return;
        }
}

void serve_metrics_request(serve_metrics *m, int status, double seconds) {
    size_t row = 0;
    while (row < SERVE_STATUS_ROWS - 1 && status_code[row] != status) row++;  // unknown codes count as 503's row
    pthread_mutex_lock(&m->lock);
    m->by_status[row]++;
    m->lat_count++;
    m->lat_sum += seconds;
    bump(m->lat_bucket, lat_le, SERVE_LAT_BUCKETS, seconds);
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_batch(serve_metrics *m, size_t n, size_t tokens) {
    pthread_mutex_lock(&m->lock);
    m->batches++;
    m->batch_size_sum += (double)n;
    m->batch_tok_sum += (double)tokens;
    m->examples += n;
    m->tokens += tokens;
    bump(m->batch_size_bucket, size_le, SERVE_SIZE_BUCKETS, (double)n);
    bump(m->batch_tok_bucket, size_le, SERVE_SIZE_BUCKETS, (double)tokens);
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_queue(serve_metrics *m, size_t depth) {
    pthread_mutex_lock(&m->lock);
    m->queue_depth = depth;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_in_flight(serve_metrics *m, size_t n) {
    pthread_mutex_lock(&m->lock);
    m->in_flight = n;
    pthread_mutex_unlock(&m->lock);
}

static void histogram(FILE *f, const char *name, const char *help, const double *le, size_t nb,
                      const unsigned long long *bucket, unsigned long long count, double sum) {
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long c = 0;
    for (size_t i = 0; i < nb; i++) {
        c += bucket[i];
        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], c);
    }
    fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", name, count, name, sum, name, count);
}

char *serve_metrics_render(serve_metrics *m) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    pthread_mutex_lock(&m->lock);
    fprintf(f, "# HELP w2s_serve_requests_total Requests answered, by HTTP status.\n# TYPE w2s_serve_requests_total counter\n");
    for (size_t i = 0; i < SERVE_STATUS_ROWS; i++)
        fprintf(f, "w2s_serve_requests_total{status=\"%d\"} %llu\n", status_code[i], m->by_status[i]);
    histogram(f, "w2s_serve_request_duration_seconds", "Time from a request's arrival to its answer.", lat_le,
              SERVE_LAT_BUCKETS, m->lat_bucket, m->lat_count, m->lat_sum);
    histogram(f, "w2s_serve_batch_size", "Inputs per forward (dynamic batch).", size_le, SERVE_SIZE_BUCKETS,
              m->batch_size_bucket, m->batches, m->batch_size_sum);
    histogram(f, "w2s_serve_batch_tokens", "Tokens per forward (dynamic batch).", size_le, SERVE_SIZE_BUCKETS,
              m->batch_tok_bucket, m->batches, m->batch_tok_sum);
    double up = progress_now() - m->t_start;
    fprintf(f, "# HELP w2s_serve_queue_depth Inputs waiting for a batch.\n# TYPE w2s_serve_queue_depth gauge\n"
               "w2s_serve_queue_depth %zu\n", m->queue_depth);
    fprintf(f, "# HELP w2s_serve_requests_in_flight Requests admitted and not yet answered.\n"
               "# TYPE w2s_serve_requests_in_flight gauge\nw2s_serve_requests_in_flight %zu\n", m->in_flight);
    fprintf(f, "# HELP w2s_serve_examples_total Inputs labeled.\n# TYPE w2s_serve_examples_total counter\n"
               "w2s_serve_examples_total %llu\n", m->examples);
    fprintf(f, "# HELP w2s_serve_tokens_total Tokens labeled.\n# TYPE w2s_serve_tokens_total counter\n"
               "w2s_serve_tokens_total %llu\n", m->tokens);
    fprintf(f, "# HELP w2s_serve_examples_per_second Inputs labeled per second since start.\n"
               "# TYPE w2s_serve_examples_per_second gauge\nw2s_serve_examples_per_second %.6g\n",
            up > 0 ? (double)m->examples / up : 0.0);
    pthread_mutex_unlock(&m->lock);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}
