// serve_metrics.h — the counters `w2s serve` exposes on GET /metrics, in Prometheus' text
// format (version 0.0.4): requests by status, request latency and batch histograms, queue depth,
// requests in flight. Not a metrics library: fixed metric names, one mutex. The one thing to
// know: every update and the rendering take the same lock, so a scrape sees one consistent snapshot.
#ifndef W2S_SERVE_METRICS_H
#define W2S_SERVE_METRICS_H

#include <pthread.h>
#include <stddef.h>

enum { SERVE_LAT_BUCKETS = 14, SERVE_SIZE_BUCKETS = 12, SERVE_STATUS_ROWS = 9 };

typedef struct {
    pthread_mutex_t lock;
    double t_start;                                  // seconds (monotonic) at creation
    unsigned long long by_status[SERVE_STATUS_ROWS]; // 200 400 401 404 405 413 422 500 503
    unsigned long long lat_count, lat_bucket[SERVE_LAT_BUCKETS];
    double lat_sum;                                  // seconds
    unsigned long long batches, batch_size_bucket[SERVE_SIZE_BUCKETS], batch_tok_bucket[SERVE_SIZE_BUCKETS];
    double batch_size_sum, batch_tok_sum;
    unsigned long long examples, tokens;
    size_t queue_depth;                              // inputs waiting, set by the batcher
    size_t in_flight;                                // admitted requests not yet answered
} serve_metrics;

void serve_metrics_init(serve_metrics *m);
void serve_metrics_free(serve_metrics *m);
// One answered request: its HTTP status and wall time from first byte to answer (seconds).
void serve_metrics_request(serve_metrics *m, int status, double seconds);
// One forward: `n` inputs of `tokens` tokens in all.
void serve_metrics_batch(serve_metrics *m, size_t n, size_t tokens);
void serve_metrics_queue(serve_metrics *m, size_t depth);
// Requests admitted (at most --max-concurrent) and not yet completed.
void serve_metrics_in_flight(serve_metrics *m, size_t n);
// The text of GET /metrics; malloc'd, or NULL.
char *serve_metrics_render(serve_metrics *m);

#endif
