// label_output.c — what `w2s label`'s batch mode (cmd_label.c) and stream mode
// (cmd_label_stream.c) share besides the labeling model (runtime/api/label_model.h): the fp32
// comparison and JSON string output.
#include "cmd_label.h"

#include <math.h>
#include <stdio.h>

// ---- comparison

void label_compare(const float *p, const float *ref, size_t n, size_t K, label_check *c) {
    size_t agree = 0;
    double sum = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = 0, r = 0;
        for (size_t k = 1; k < K; k++) {
            if (p[i * K + k] > p[i * K + a]) a = k;
            if (ref[i * K + k] > ref[i * K + r]) r = k;
        }
        agree += a == r;
        for (size_t k = 0; k < K; k++) {
            double d = fabs((double)p[i * K + k] - (double)ref[i * K + k]);
            sum += d;
            mx = d > mx ? d : mx;
        }
    }
    c->agreement = n ? (double)agree / (double)n : 1.0;
    c->mean_abs_dp = n ? sum / (double)(n * K) : 0.0;
    c->max_abs_dp = mx;
}

// ---- output

void label_print_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}
