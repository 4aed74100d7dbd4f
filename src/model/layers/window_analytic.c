/* Infinite-width maps of conv, avg_pool and global_avg_pool
 * (window_analytic.h). Positions are row-major (y, x) as in conv_geometry;
 * a full state is indexed [p * P + p'] with p a position of the first input
 * and p' of the second, so the four-fold loops below run over (y, y') rows
 * of windows first and the columns inside. Plain loops: each entry of the
 * output is a short sum over taps and the cost is dominated by the number of
 * pairs of positions, which the diagonal form keeps linear. */
#include "model/layers/window_analytic.h"

/* Sums over the q taps shared by output positions (y1, x1) and (y2, x2) of
 * the full input matrices `sigma` and, when `theta` is not NULL, `theta`
 * (positions_in = g->h g->w); both in one pass over the taps. */
static void conv_tap_sums(const conv_geometry *g, const double *sigma, const double *theta,
                          int64_t y1, int64_t x1, int64_t y2, int64_t x2, double *sum_sigma,
                          double *sum_theta)
{
    const int64_t positions_in = g->h * g->w;
    double s = 0.0, t = 0.0;
    for (int64_t dy = 0; dy < g->kh; ++dy) {
        const int64_t row_1 = conv_source(y1, dy, g->sh, g->pad_top, g->h, g->circular);
        const int64_t row_2 = conv_source(y2, dy, g->sh, g->pad_top, g->h, g->circular);
        if (row_1 < 0 || row_2 < 0)
            continue; /* zero padding: contributes 0, still one of the q taps */
        for (int64_t dx = 0; dx < g->kw; ++dx) {
            const int64_t column_1 = conv_source(x1, dx, g->sw, g->pad_left, g->w, g->circular);
            const int64_t column_2 = conv_source(x2, dx, g->sw, g->pad_left, g->w, g->circular);
            if (column_1 < 0 || column_2 < 0)
                continue;
            const int64_t at = (row_1 * g->w + column_1) * positions_in + row_2 * g->w + column_2;
            s += sigma[at];
            if (theta != NULL)
                t += theta[at];
        }
    }
    *sum_sigma = s;
    *sum_theta = t;
}

/* The diagonal form: taps of one output position on a diagonal input. */
static double conv_tap_sum_diagonal(const conv_geometry *g, const double *in, int64_t y, int64_t x)
{
    double sum = 0.0;
    for (int64_t dy = 0; dy < g->kh; ++dy)
        for (int64_t dx = 0; dx < g->kw; ++dx) {
            const int64_t at = conv_tap(g, y, x, dy, dx);
            if (at >= 0)
                sum += in[at];
        }
    return sum;
}

void window_analytic_conv(const conv_geometry *g, double w2, double b2, ntk_spatial_state *state)
{
    const double scale = w2 / (double)(g->kh * g->kw);
    const int has_theta = state->has_theta;
    const int64_t out_positions = g->positions;
    if (state->form == NTK_ANALYTIC_DIAGONAL) {
        for (int64_t y = 0; y < g->ho; ++y)
            for (int64_t x = 0; x < g->wo; ++x) {
                const int64_t p = y * g->wo + x;
                const double sigma = scale * conv_tap_sum_diagonal(g, state->sigma, y, x) + b2;
                state->next_sigma[p] = sigma;
                state->next_theta[p] =
                    has_theta ? sigma + scale * conv_tap_sum_diagonal(g, state->theta, y, x)
                              : sigma;
            }
    } else {
        for (int64_t y1 = 0; y1 < g->ho; ++y1)
            for (int64_t x1 = 0; x1 < g->wo; ++x1) {
                const int64_t p = y1 * g->wo + x1;
                for (int64_t y2 = 0; y2 < g->ho; ++y2)
                    for (int64_t x2 = 0; x2 < g->wo; ++x2) {
                        const int64_t at = p * out_positions + y2 * g->wo + x2;
                        double sum_sigma, sum_theta;
                        conv_tap_sums(g, state->sigma, has_theta ? state->theta : NULL, y1, x1,
                                      y2, x2, &sum_sigma, &sum_theta);
                        const double sigma = scale * sum_sigma + b2;
                        state->next_sigma[at] = sigma;
                        state->next_theta[at] = has_theta ? sigma + scale * sum_theta : sigma;
                    }
            }
    }
    state->positions = out_positions;
    state->has_theta = 1;
    state->is_gaussian = 1;
}

/* Sum over all pairs of taps of windows (y1, x1) and (y2, x2) of a full
 * input: the windows of avg_pool lie inside the input (valid), but a tap
 * outside would be a zero that still counts, as with count_include_pad. */
static double pool_pair_sum(const conv_geometry *g, const double *in, int64_t y1, int64_t x1,
                            int64_t y2, int64_t x2)
{
    const int64_t positions_in = g->h * g->w;
    double sum = 0.0;
    for (int64_t dy1 = 0; dy1 < g->kh; ++dy1)
        for (int64_t dx1 = 0; dx1 < g->kw; ++dx1) {
            const int64_t a = conv_tap(g, y1, x1, dy1, dx1);
            if (a < 0)
                continue;
            const double *row = in + a * positions_in;
            for (int64_t dy2 = 0; dy2 < g->kh; ++dy2)
                for (int64_t dx2 = 0; dx2 < g->kw; ++dx2) {
                    const int64_t b = conv_tap(g, y2, x2, dy2, dx2);
                    if (b >= 0)
                        sum += row[b];
                }
        }
    return sum;
}

void window_analytic_pool(const conv_geometry *g, ntk_spatial_state *state)
{
    const double q = (double)(g->kh * g->kw);
    const double scale = 1.0 / (q * q);
    const int64_t out_positions = g->positions;
    const int full = state->out_form == NTK_ANALYTIC_FULL;
    for (int64_t y1 = 0; y1 < g->ho; ++y1)
        for (int64_t x1 = 0; x1 < g->wo; ++x1) {
            const int64_t p = y1 * g->wo + x1;
            for (int64_t y2 = full ? 0 : y1; y2 < (full ? g->ho : y1 + 1); ++y2)
                for (int64_t x2 = full ? 0 : x1; x2 < (full ? g->wo : x1 + 1); ++x2) {
                    const int64_t at = full ? p * out_positions + y2 * g->wo + x2 : p;
                    state->next_sigma[at] = scale * pool_pair_sum(g, state->sigma, y1, x1, y2, x2);
                    if (state->has_theta)
                        state->next_theta[at] =
                            scale * pool_pair_sum(g, state->theta, y1, x1, y2, x2);
                }
        }
    state->positions = out_positions;
}

void window_analytic_global_pool(ntk_spatial_state *state)
{
    const int64_t count = state->positions * state->positions;
    double sigma = 0.0, theta = 0.0;
    for (int64_t e = 0; e < count; ++e) {
        sigma += state->sigma[e];
        if (state->has_theta)
            theta += state->theta[e];
    }
    state->next_sigma[0] = sigma / (double)count;
    if (state->has_theta)
        state->next_theta[0] = theta / (double)count;
    state->positions = 1;
}

double window_analytic_conv_flops(const conv_geometry *g, ntk_analytic_form form)
{
    const double pairs = form == NTK_ANALYTIC_FULL ? (double)g->positions * (double)g->positions
                                                   : (double)g->positions;
    /* Sigma and Theta: one add per tap each, and the scale, bias and sum */
    return pairs * (2.0 * (double)(g->kh * g->kw) + 4.0);
}

double window_analytic_pool_flops(const conv_geometry *g, ntk_analytic_form output_form)
{
    const double pairs = output_form == NTK_ANALYTIC_FULL
                             ? (double)g->positions * (double)g->positions
                             : (double)g->positions;
    const double q = (double)(g->kh * g->kw);
    return pairs * (2.0 * q * q + 2.0);
}
