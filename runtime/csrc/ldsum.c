/* R's sums, means and products of doubles, reproduced bit for bit: R accumulates them in `long double`
 * (80-bit x87 on x86_64) in element order (summary.c: rsum, rprod, real_mean). Rust has no such type, so
 * these few loops are C, compiled like R itself. The accumulator lives in caller memory between calls, so
 * a long vector can be fed block by block. */
#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct { unsigned char bytes[32]; } lzs_ld;

static long double get(const lzs_ld *a) { long double v; memcpy(&v, a->bytes, sizeof v); return v; }
static void put(lzs_ld *a, long double v) { memset(a->bytes, 0, sizeof a->bytes); memcpy(a->bytes, &v, sizeof v); }

void lzs_ld_set(lzs_ld *a, double v) { put(a, v); }

/* a += x[k] for each k (NaN skipped when skip_nan); returns how many were added. The NaN test inside the
 * loop, as in R's, loads each value through an SSE register before the x87 unit sees it: R's NA (a
 * signalling NaN) is then quietened on load and wins over NaN by its larger payload, as in R. Adding
 * straight from memory (one loop without the test) gives NaN instead: a plan test catches that. */
size_t lzs_ld_add(lzs_ld *a, const double *x, size_t n, int skip_nan) {
    long double s = get(a);
    size_t used = 0;
    for (size_t k = 0; k < n; k++) {
        if (!skip_nan || !isnan(x[k])) { s += x[k]; used++; }
    }
    put(a, s);
    return used;
}

/* a *= x[k] for each k (NaN skipped when skip_nan). */
void lzs_ld_mul(lzs_ld *a, const double *x, size_t n, int skip_nan) {
    long double s = get(a);
    for (size_t k = 0; k < n; k++) if (!skip_nan || !isnan(x[k])) s *= x[k];
    put(a, s);
}

/* a += x[k] / d for each k: real_mean's fallback when the plain sum overflows. */
void lzs_ld_add_scaled(lzs_ld *a, const double *x, size_t n, double d, int skip_nan) {
    long double s = get(a);
    for (size_t k = 0; k < n; k++) if (!skip_nan || !isnan(x[k])) s += x[k] / (long double) d;
    put(a, s);
}

/* a += (x[k] - m) for each k, with m in long double: real_mean's refinement. */
void lzs_ld_add_diff(lzs_ld *a, const double *x, size_t n, const lzs_ld *m, int skip_nan) {
    long double s = get(a), mm = get(m);
    for (size_t k = 0; k < n; k++) if (!skip_nan || !isnan(x[k])) s += (x[k] - mm);
    put(a, s);
}

/* a /= d, in long double. */
void lzs_ld_div(lzs_ld *a, double d) { put(a, get(a) / (long double) d); }

/* a += b / d, in long double. */
void lzs_ld_add_quotient(lzs_ld *a, const lzs_ld *b, double d) { put(a, get(a) + get(b) / (long double) d); }

/* a rounded to double, as R's `(double) s`. */
double lzs_ld_get(const lzs_ld *a) { return (double) get(a); }
