/* Infinite-width maps of conv, avg_pool and global_avg_pool
 * (window_analytic.h). Positions are row-major (y, x) as in conv_geometry;
 * a full state is indexed [p * P + p'] with p a position of the first input
 * and p' of the second. The full form costs P^2 per map and is the hot loop
 * of a conv net's kernel: it is blocked and separable (below); the diagonal
 * form is P short sums. */
#include "model/layers/window_analytic.h"

#include "core/vector_clones.h"

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

/* The full form, blocked by rows of output positions, and separable: the
 * sum over the q = kh kw shared taps is a sum over the kh rows of taps of
 * whole blocks of the input (row r1 of x against row r2 of x', a w x w
 * block of contiguous rows), then, inside the block, over the kw columns
 * of taps along its diagonals. That is kh + kw additions per output pair
 * instead of kh kw, every inner loop runs over contiguous positions of x',
 * and a block stays in cache while its kw column taps read it. Avg_pool is
 * the same with every pair of taps (d, d') instead of the same tap. */

static inline void zero(double *restrict values, int64_t count)
{
    for (int64_t e = 0; e < count; ++e)
        values[e] = 0.0;
}

/* acc_row[c] for c the input column that tap d of output column x reads,
 * added to out_row[x] for every x of the output row; a tap in the zero
 * padding adds nothing. `first`: out_row holds nothing yet, the tap is
 * stored (with zeros where it reads padding) instead of zeroing the row
 * and adding it: the same values, one pass over the row fewer. */
static inline void add_column_taps(const conv_geometry *g, const double *restrict acc_row,
                                   int64_t d, int first, double *restrict out_row)
{
    if (g->sw == 1 && !g->circular) {
        const int64_t shift = d - g->pad_left;
        const int64_t begin = shift < 0 ? (-shift < g->wo ? -shift : g->wo) : 0;
        int64_t end = g->w - shift < g->wo ? g->w - shift : g->wo;
        if (end < begin)
            end = begin;
        if (first) {
            for (int64_t x = 0; x < begin; ++x)
                out_row[x] = 0.0;
            for (int64_t x = begin; x < end; ++x)
                out_row[x] = 0.0 + acc_row[x + shift]; /* see add_row_block */
            for (int64_t x = end; x < g->wo; ++x)
                out_row[x] = 0.0;
            return;
        }
        for (int64_t x = begin; x < end; ++x)
            out_row[x] += acc_row[x + shift];
        return;
    }
    if (first)
        zero(out_row, g->wo);
    for (int64_t x = 0; x < g->wo; ++x) {
        const int64_t column = conv_source(x, d, g->sw, g->pad_left, g->w, g->circular);
        if (column >= 0)
            out_row[x] += acc_row[column];
    }
}

/* acc += the w x w block of the full input state `in` (positions_in
 * columns) at input rows r1 (of x) and r2 (of x'); acc = the block when
 * `first` (acc holds nothing yet: no zeroing pass). */
static inline void add_row_block(const double *restrict in, int64_t positions_in, int64_t w,
                                 int64_t r1, int64_t r2, int first, double *restrict acc)
{
    for (int64_t a = 0; a < w; ++a) {
        const double *restrict from = in + (r1 * w + a) * positions_in + r2 * w;
        double *restrict to = acc + a * w;
        if (first) /* 0 + from, as a zeroed acc would give (-0 becomes +0); and
                    * an add, not a copy, which the compiler would make a call */
            for (int64_t b = 0; b < w; ++b)
                to[b] = 0.0 + from[b];
        else
            for (int64_t b = 0; b < w; ++b)
                to[b] += from[b];
    }
}

/* Output row pair (y1, y2) of a window map on a full state: the block sums
 * of `sigma` (and `theta` when not NULL) over the row taps into acc, then
 * their column taps into the output rows; `pairs_of_taps`: avg_pool's
 * every pair (d, d'), else conv's same tap on both sides. */
NTK_VECTOR_CLONES
static void window_rows(const conv_geometry *g, int pairs_of_taps, const double *sigma,
                               const double *theta, int64_t y1, int64_t y2, double *acc_sigma,
                               double *acc_theta, double *next_sigma, double *next_theta)
{
    const int64_t w = g->w, positions_in = g->h * g->w, positions_out = g->positions;
    /* The first block and the first column tap are stored, the others
     * added: the sums of zero and them, without the zeroing passes. */
    int first = 1;
    for (int64_t dy1 = 0; dy1 < g->kh; ++dy1) {
        const int64_t r1 = conv_source(y1, dy1, g->sh, g->pad_top, g->h, g->circular);
        if (r1 < 0)
            continue; /* zero padding: contributes 0, still one of the q taps */
        for (int64_t dy2 = pairs_of_taps ? 0 : dy1; dy2 < (pairs_of_taps ? g->kh : dy1 + 1);
             ++dy2) {
            const int64_t r2 = conv_source(y2, dy2, g->sh, g->pad_top, g->h, g->circular);
            if (r2 < 0)
                continue;
            add_row_block(sigma, positions_in, w, r1, r2, first, acc_sigma);
            if (theta != NULL)
                add_row_block(theta, positions_in, w, r1, r2, first, acc_theta);
            first = 0;
        }
    }
    if (first) { /* every row tap in the padding */
        zero(acc_sigma, w * w);
        if (theta != NULL)
            zero(acc_theta, w * w);
    }
    for (int64_t x1 = 0; x1 < g->wo; ++x1) {
        const int64_t at = (y1 * g->wo + x1) * positions_out + y2 * g->wo;
        double *sigma_row = next_sigma + at, *theta_row = next_theta + at;
        int first_tap = 1;
        for (int64_t dx1 = 0; dx1 < g->kw; ++dx1) {
            const int64_t c1 = conv_source(x1, dx1, g->sw, g->pad_left, g->w, g->circular);
            if (c1 < 0)
                continue;
            for (int64_t dx2 = pairs_of_taps ? 0 : dx1; dx2 < (pairs_of_taps ? g->kw : dx1 + 1);
                 ++dx2) {
                add_column_taps(g, acc_sigma + c1 * w, dx2, first_tap, sigma_row);
                if (theta != NULL)
                    add_column_taps(g, acc_theta + c1 * w, dx2, first_tap, theta_row);
                first_tap = 0;
            }
        }
        if (first_tap) { /* every column tap in the padding */
            zero(sigma_row, g->wo);
            if (theta != NULL)
                zero(theta_row, g->wo);
        }
    }
}

/* conv with stride 1 along the rows and zero (not circular) padding, in
 * single passes: the row taps' blocks summed element by element into a
 * block with a border of zeros (`lead` zeros before each row and column,
 * `width` wide), then each output row pair's column taps, scale and bias in
 * one loop over x', the column taps read along the block's diagonals. The
 * same sums in the same order as window_rows and conv_full (first 0.0 plus
 * the first tap, then the others; a tap in the padding adds the border's
 * 0.0, which changes no sum: none is -0.0 after a first 0.0 +), so the same
 * bits, without the passes that store and reload the partial sums. */
enum { padded_row_taps_max = 16 };

typedef struct {
    int64_t lead, width; /* zeros before the block's first row and column; its row length */
} padded_block;

/* Whether the single-pass form applies and fits the scratch (two padded
 * blocks in 8 w^2 doubles: ntk_spatial_state); `taps`: the row taps' blocks
 * summed per output row pair (conv kh, avg_pool kh^2). */
static int padded_block_of(const conv_geometry *g, int64_t taps, padded_block *block)
{
    if (g->circular || g->pad_left < 0 || taps > padded_row_taps_max)
        return 0;
    block->lead = g->pad_left;
    block->width = g->pad_left + g->w;
    if ((g->wo - 1) * g->sw + g->kw > block->width)
        block->width = (g->wo - 1) * g->sw + g->kw;
    return block->width <= 2 * g->w;
}

/* out (the padded block's interior) = the sum of the n blocks of the full
 * input state (w x w, rows positions_in apart), in their order; one block
 * as 0.0 + it (an add, not a copy the compiler would make a call). Sums
 * start from the first block, not from a zero: the same values, with -0
 * where every term is -0 (no later step tells the two zeros apart). */
NTK_CLONED_HELPER void sum_row_blocks(const double *const *blocks, int n, int64_t positions_in,
                                  int64_t w, const padded_block *pad, double *restrict out)
{
    for (int64_t a = 0; a < w; ++a) {
        double *restrict to = out + (pad->lead + a) * pad->width + pad->lead;
        const double *restrict b0 = blocks[0] + a * positions_in;
        if (n == 3) {
            const double *restrict b1 = blocks[1] + a * positions_in;
            const double *restrict b2 = blocks[2] + a * positions_in;
            for (int64_t b = 0; b < w; ++b)
                to[b] = b0[b] + b1[b] + b2[b];
        } else if (n == 4) {
            const double *restrict b1 = blocks[1] + a * positions_in;
            const double *restrict b2 = blocks[2] + a * positions_in;
            const double *restrict b3 = blocks[3] + a * positions_in;
            for (int64_t b = 0; b < w; ++b)
                to[b] = b0[b] + b1[b] + b2[b] + b3[b];
        } else if (n == 2) {
            const double *restrict b1 = blocks[1] + a * positions_in;
            for (int64_t b = 0; b < w; ++b)
                to[b] = b0[b] + b1[b];
        } else {
            for (int64_t b = 0; b < w; ++b)
                to[b] = 0.0 + b0[b];
            for (int t = 1; t < n; ++t) {
                const double *restrict bt = blocks[t] + a * positions_in;
                for (int64_t b = 0; b < w; ++b)
                    to[b] += bt[b];
            }
        }
    }
}

/* row[x2] = the sum over the kw column taps of the padded sums `acc`
 * (rows wp apart) along output row x1's diagonals, from a zeroed row. */
NTK_CLONED_HELPER void column_tap_sums(const conv_geometry *g, int64_t wp, const double *acc,
                                       int64_t x1, double *restrict row)
{
    for (int64_t x2 = 0; x2 < g->wo; ++x2)
        row[x2] = 0.0;
    for (int64_t dx = 0; dx < g->kw; ++dx) {
        const double *restrict from = acc + (x1 + dx) * wp + dx;
        for (int64_t x2 = 0; x2 < g->wo; ++x2)
            row[x2] += from[x2];
    }
}

/* Output rows (y1, x1) x (y2, all x2) from the padded sums: the kw column
 * taps along the diagonal, then scale, bias and Sigma' into Theta'. */
NTK_CLONED_HELPER void conv_padded_row(const conv_geometry *g, const padded_block *pad,
                                   const double *acc_sigma, const double *acc_theta, int64_t x1,
                                   double scale, double b2, double own, double *restrict sigma_row,
                                   double *restrict theta_row)
{
    const int64_t wp = pad->width;
    if (g->kw == 3) {
        const double *restrict s0 = acc_sigma + x1 * wp, *restrict s1 = s0 + wp + 1,
                               *restrict s2 = s0 + 2 * wp + 2;
        if (acc_theta != NULL && own == 1.0 && b2 == 0.0) {
            /* the common case (no bias, the whole NTK) without the product
             * by 1 and the sum with 0, which change nothing */
            const double *restrict t0 = acc_theta + x1 * wp, *restrict t1 = t0 + wp + 1,
                                   *restrict t2 = t0 + 2 * wp + 2;
            for (int64_t x2 = 0; x2 < g->wo; ++x2) {
                const double sigma = scale * (s0[x2] + s1[x2] + s2[x2]);
                sigma_row[x2] = sigma;
                theta_row[x2] = sigma + scale * (t0[x2] + t1[x2] + t2[x2]);
            }
        } else if (acc_theta != NULL) {
            const double *restrict t0 = acc_theta + x1 * wp, *restrict t1 = t0 + wp + 1,
                                   *restrict t2 = t0 + 2 * wp + 2;
            for (int64_t x2 = 0; x2 < g->wo; ++x2) {
                const double sigma = scale * (s0[x2] + s1[x2] + s2[x2]) + b2;
                sigma_row[x2] = sigma;
                theta_row[x2] = own * sigma + scale * (t0[x2] + t1[x2] + t2[x2]);
            }
        } else {
            for (int64_t x2 = 0; x2 < g->wo; ++x2) {
                const double sigma = scale * (s0[x2] + s1[x2] + s2[x2]) + b2;
                sigma_row[x2] = sigma;
                theta_row[x2] = own * sigma;
            }
        }
        return;
    }
    /* any other width: the taps one pass each (a zeroed sum plus the first) */
    column_tap_sums(g, wp, acc_sigma, x1, sigma_row);
    if (acc_theta != NULL)
        column_tap_sums(g, wp, acc_theta, x1, theta_row);
    for (int64_t x2 = 0; x2 < g->wo; ++x2) {
        const double sigma = scale * sigma_row[x2] + b2;
        sigma_row[x2] = sigma;
        theta_row[x2] = acc_theta != NULL ? own * sigma + scale * theta_row[x2] : own * sigma;
    }
}

/* A w x w block (rows ld_in apart) summed in groups of k x k: out[X1 ld_out
 * + X2] sums the block's (k X1 + a, k X2 + b), a then b (avg_pool's column
 * taps in its order), for X1, X2 < w / k. Both ways an avg_pool with
 * disjoint column groups runs (fused after a conv's activation, or on its
 * own: pool_full_grouped) sum them here, so both give the same bits. */
NTK_CLONED_HELPER void sum_column_groups(int64_t k, int64_t w, const double *restrict in,
                                         int64_t ld_in, double *restrict out, int64_t ld_out)
{
    const int64_t groups = w / k;
    for (int64_t x1 = 0; x1 < groups; ++x1) {
        double *restrict row = out + x1 * ld_out;
        const double *restrict r0 = in + k * x1 * ld_in;
        if (k == 2) {
            const double *restrict r1 = r0 + ld_in;
            for (int64_t x2 = 0; x2 < groups; ++x2)
                row[x2] = r0[2 * x2] + r0[2 * x2 + 1] + r1[2 * x2] + r1[2 * x2 + 1];
            continue;
        }
        for (int64_t x2 = 0; x2 < groups; ++x2) {
            double sum = 0.0;
            for (int64_t a = 0; a < k; ++a)
                for (int64_t b = 0; b < k; ++b)
                    sum += r0[a * ld_in + k * x2 + b];
            row[x2] = sum;
        }
    }
}

/* Output row pair (y1, y2) from the padded sums: every x1's row, written
 * to the next state, or with the next layer's map (`map`: state->row_map,
 * or NULL) into its buffers and through the map from there, so the conv's
 * output never goes to memory whole: all wo rows at once when they fit the
 * buffers, else row by row. */
NTK_CLONED_HELPER void conv_padded_rows(const conv_geometry *g, const padded_block *pad,
                                        const double *acc_sigma, const double *acc_theta,
                                        int64_t y1, int64_t y2, double scale, double b2,
                                        double own, const ntk_spatial_row_map *map,
                                        const ntk_spatial_state *state)
{
    const int64_t positions_out = g->positions, wo = g->wo;
    const int64_t at = y1 * wo * positions_out + y2 * wo; /* of row x1 = 0 */
    if (map == NULL) {
        for (int64_t x1 = 0; x1 < wo; ++x1)
            conv_padded_row(g, pad, acc_sigma, acc_theta, x1, scale, b2, own,
                            state->next_sigma + at + x1 * positions_out,
                            state->next_theta + at + x1 * positions_out);
        return;
    }
    if (wo * wo <= map->capacity) {
        for (int64_t x1 = 0; x1 < wo; ++x1)
            conv_padded_row(g, pad, acc_sigma, acc_theta, x1, scale, b2, own,
                            map->row_sigma + x1 * wo, map->row_theta + x1 * wo);
        if (map->pool_columns > 1) {
            map->apply(map, y1 * wo, wo, y2 * wo, wo, map->row_sigma, map->row_theta, wo,
                       map->out_sigma, map->out_theta, wo);
            /* into rows of wo / k columns: ho wo / k positions */
            const int64_t k = map->pool_columns, groups = wo / k, grouped = g->ho * groups;
            const int64_t to = y1 * groups * grouped + y2 * groups;
            sum_column_groups(k, wo, map->out_sigma, wo, state->next_sigma + to, grouped);
            sum_column_groups(k, wo, map->out_theta, wo, state->next_theta + to, grouped);
            return;
        }
        map->apply(map, y1 * wo, wo, y2 * wo, wo, map->row_sigma, map->row_theta, wo,
                   state->next_sigma + at, state->next_theta + at, positions_out);
        return;
    }
    for (int64_t x1 = 0; x1 < wo; ++x1) {
        conv_padded_row(g, pad, acc_sigma, acc_theta, x1, scale, b2, own, map->row_sigma,
                        map->row_theta);
        map->apply(map, y1 * wo + x1, 1, y2 * wo, wo, map->row_sigma, map->row_theta, wo,
                   state->next_sigma + at + x1 * positions_out,
                   state->next_theta + at + x1 * positions_out, positions_out);
    }
}

/* Two neighbours on a diagonal of the (y1, y2) walk with three row taps
 * each, the second's the first's last two and one more (stride 1, no tap in
 * the padding): out1 = b0 + b1 + b2 and out2 = b1 + b2 + b3, each
 * in sum_row_blocks' order (the same bits), the shared blocks loaded once
 * for both outputs. Each step of the walk reads one block it has not read
 * before, from memory: `ahead` (or NULL), the next pair's two new blocks,
 * are prefetched row by row meanwhile. */
NTK_CLONED_HELPER void sum_row_blocks_pair(const double *const *blocks,
                                           const double *const *ahead, int64_t positions_in,
                                           int64_t w, const padded_block *pad,
                                           double *restrict out1, double *restrict out2)
{
    for (int64_t a = 0; a < w; ++a) {
        const int64_t at = (pad->lead + a) * pad->width + pad->lead;
        double *restrict to1 = out1 + at, *restrict to2 = out2 + at;
        const double *restrict b0 = blocks[0] + a * positions_in;
        const double *restrict b1 = blocks[1] + a * positions_in;
        const double *restrict b2 = blocks[2] + a * positions_in;
        const double *restrict b3 = blocks[3] + a * positions_in;
        if (ahead != NULL) /* a line in 8 doubles */
            for (int64_t b = 0; b < w; b += 8) {
                __builtin_prefetch(ahead[0] + a * positions_in + b);
                __builtin_prefetch(ahead[1] + a * positions_in + b);
            }
        for (int64_t b = 0; b < w; ++b) {
            to1[b] = b0[b] + b1[b] + b2[b];
            to2[b] = b1[b] + b2[b] + b3[b];
        }
    }
}

/* The row taps' blocks of output rows (y1, y2) that are not in the padding,
 * in tap order; their count. */
static inline int conv_row_taps(const conv_geometry *g, const ntk_spatial_state *state,
                                const double *theta, int64_t y1, int64_t y2,
                                const double **sigma_blocks, const double **theta_blocks)
{
    const int64_t w = g->w, positions_in = g->h * g->w;
    int n = 0;
    for (int64_t dy = 0; dy < g->kh; ++dy) {
        const int64_t r1 = conv_source(y1, dy, g->sh, g->pad_top, g->h, g->circular);
        const int64_t r2 = conv_source(y2, dy, g->sh, g->pad_top, g->h, g->circular);
        if (r1 < 0 || r2 < 0)
            continue; /* zero padding: contributes 0, still one of the q taps */
        sigma_blocks[n] = state->sigma + r1 * w * positions_in + r2 * w;
        if (theta != NULL)
            theta_blocks[n] = theta + r1 * w * positions_in + r2 * w;
        ++n;
    }
    return n;
}

/* Whether the next row pair on the diagonal reads the three blocks after
 * this one's first (then both sum in one pass: sum_row_blocks_pair). */
static inline int taps_slide_by_one(int n, int n_next, const double *const *blocks,
                                    const double *const *next_blocks)
{
    return n == 3 && n_next == 3 && next_blocks[0] == blocks[1] && next_blocks[1] == blocks[2];
}

NTK_VECTOR_CLONES
static void conv_full_padded(const conv_geometry *g, const padded_block *pad, double scale,
                             double b2, const ntk_spatial_row_map *map,
                             ntk_spatial_state *state)
{
    const int64_t w = g->w, positions_in = g->h * g->w;
    const int64_t block_doubles = pad->width * pad->width;
    const double *theta = state->has_theta ? state->theta : NULL;
    const double own = state->theta_skips_sigma ? 0.0 : 1.0; /* Sigma' in Theta' */
    double *acc_sigma = state->scratch, *acc_theta = theta != NULL ? state->scratch + block_doubles : NULL;
    /* Two neighbours at once when four blocks fit the 8 w^2 doubles of
     * scratch (ntk_spatial_state): the second pair's after the first's. */
    const int pairs = 4 * block_doubles <= 8 * w * w;
    double *acc_sigma_2 = state->scratch + 2 * block_doubles,
           *acc_theta_2 = theta != NULL ? state->scratch + 3 * block_doubles : NULL;
    /* the borders stay zero: only the interiors are written below */
    zero(state->scratch, (pairs ? 4 : 2) * block_doubles);
    const double *sigma_blocks[padded_row_taps_max], *theta_blocks[padded_row_taps_max];
    const double *next_sigma_blocks[padded_row_taps_max], *next_theta_blocks[padded_row_taps_max];
    /* Along diagonals y2 - y1 = k, as conv_full. */
    for (int64_t k = 1 - g->ho; k < g->ho; ++k) {
        const int64_t end = k < 0 ? g->ho : g->ho - k;
        for (int64_t y1 = k < 0 ? -k : 0; y1 < end; ++y1) {
            const int64_t y2 = y1 + k;
            const int n = conv_row_taps(g, state, theta, y1, y2, sigma_blocks, theta_blocks);
            if (pairs && y1 + 1 < end) {
                const int n_next = conv_row_taps(g, state, theta, y1 + 1, y2 + 1,
                                                 next_sigma_blocks, next_theta_blocks);
                if (taps_slide_by_one(n, n_next, sigma_blocks, next_sigma_blocks)) {
                    /* the blocks one and two diagonal steps after the last
                     * (stride 1), where they are still in the state */
                    const int64_t step = w * positions_in + w;
                    const int64_t last = next_sigma_blocks[2] - state->sigma;
                    const int prefetch =
                        last + 2 * step + (w - 1) * positions_in + w <= positions_in * positions_in;
                    const double *sigma_ahead[2] = {NULL, NULL}, *theta_ahead[2] = {NULL, NULL};
                    if (prefetch) {
                        sigma_ahead[0] = state->sigma + last + step;
                        sigma_ahead[1] = state->sigma + last + 2 * step;
                        if (theta != NULL) {
                            theta_ahead[0] = theta + last + step;
                            theta_ahead[1] = theta + last + 2 * step;
                        }
                    }
                    sigma_blocks[3] = next_sigma_blocks[2];
                    sum_row_blocks_pair(sigma_blocks, prefetch ? sigma_ahead : NULL,
                                        positions_in, w, pad, acc_sigma, acc_sigma_2);
                    if (theta != NULL) {
                        theta_blocks[3] = next_theta_blocks[2];
                        sum_row_blocks_pair(theta_blocks, prefetch ? theta_ahead : NULL,
                                            positions_in, w, pad, acc_theta, acc_theta_2);
                    }
                    conv_padded_rows(g, pad, acc_sigma, acc_theta, y1, y2, scale, b2, own,
                                     map, state);
                    conv_padded_rows(g, pad, acc_sigma_2, acc_theta_2, y1 + 1, y2 + 1, scale,
                                     b2, own, map, state);
                    ++y1; /* the neighbour is done */
                    continue;
                }
            }
            if (n == 0) { /* every row tap in the padding */
                zero(acc_sigma, block_doubles);
                if (theta != NULL)
                    zero(acc_theta, block_doubles);
            } else {
                sum_row_blocks(sigma_blocks, n, positions_in, w, pad, acc_sigma);
                if (theta != NULL)
                    sum_row_blocks(theta_blocks, n, positions_in, w, pad, acc_theta);
            }
            conv_padded_rows(g, pad, acc_sigma, acc_theta, y1, y2, scale, b2, own, map, state);
        }
    }
}

NTK_VECTOR_CLONES
static void conv_full(const conv_geometry *g, double scale, double b2, ntk_spatial_state *state)
{
    const int64_t w = g->w, positions_out = g->positions;
    const double *theta = state->has_theta ? state->theta : NULL;
    const double own = state->theta_skips_sigma ? 0.0 : 1.0; /* Sigma' in Theta' */
    double *acc_sigma = state->scratch, *acc_theta = state->scratch + w * w;
    /* Output row pairs along diagonals y2 - y1 = k: with the same tap on
     * both sides, (y1, y2) reads input row pairs (y1 s + dy, y2 s + dy), and
     * its neighbour on the diagonal reads most of the same blocks, still in
     * cache. Each output's sums are the same whatever the order. */
    for (int64_t k = 1 - g->ho; k < g->ho; ++k)
        for (int64_t y1 = k < 0 ? -k : 0; y1 < (k < 0 ? g->ho : g->ho - k); ++y1) {
            const int64_t y2 = y1 + k;
            window_rows(g, 0, state->sigma, theta, y1, y2, acc_sigma, acc_theta,
                        state->next_sigma, state->next_theta);
            for (int64_t x1 = 0; x1 < g->wo; ++x1) {
                const int64_t at = (y1 * g->wo + x1) * positions_out + y2 * g->wo;
                double *restrict sigma_row = state->next_sigma + at;
                double *restrict theta_row = state->next_theta + at;
                if (theta != NULL)
                    for (int64_t x2 = 0; x2 < g->wo; ++x2) {
                        const double sigma = scale * sigma_row[x2] + b2;
                        sigma_row[x2] = sigma;
                        theta_row[x2] = own * sigma + scale * theta_row[x2];
                    }
                else
                    for (int64_t x2 = 0; x2 < g->wo; ++x2) {
                        const double sigma = scale * sigma_row[x2] + b2;
                        sigma_row[x2] = sigma;
                        theta_row[x2] = own * sigma;
                    }
            }
        }
}

void window_analytic_conv(const conv_geometry *g, double w2, double b2, ntk_spatial_state *state)
{
    const double scale = w2 / (double)(g->kh * g->kw);
    const int has_theta = state->has_theta;
    const double own = state->theta_skips_sigma ? 0.0 : 1.0; /* Sigma' in Theta' */
    if (state->form == NTK_ANALYTIC_DIAGONAL) {
        for (int64_t y = 0; y < g->ho; ++y)
            for (int64_t x = 0; x < g->wo; ++x) {
                const int64_t p = y * g->wo + x;
                const double sigma = scale * conv_tap_sum_diagonal(g, state->sigma, y, x) + b2;
                state->next_sigma[p] = sigma;
                state->next_theta[p] =
                    has_theta ? own * sigma + scale * conv_tap_sum_diagonal(g, state->theta, y, x)
                              : own * sigma;
            }
    } else {
        padded_block pad;
        if (g->sw == 1 && padded_block_of(g, g->kh, &pad)) {
            /* the next layer's map applied as the rows are written (and
             * the pool's column groups after it summed), when they fit its
             * buffers */
            const ntk_spatial_row_map *offer = state->row_map;
            const int fits = offer != NULL && offer->capacity >= g->wo &&
                             (offer->pool_columns <= 1 ||
                              (g->wo * g->wo <= offer->capacity && g->wo % offer->pool_columns == 0));
            const ntk_spatial_row_map *map = fits ? offer : NULL;
            conv_full_padded(g, &pad, scale, b2, map, state);
            state->row_map_applied = map != NULL;
            state->columns_pooled = map != NULL ? map->pool_columns : 1;
        } else {
            conv_full(g, scale, b2, state);
        }
    }
    state->positions = g->positions;
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

NTK_VECTOR_CLONES
static void pool_full(const conv_geometry *g, double scale, ntk_spatial_state *state)
{
    const int64_t w = g->w, positions_out = g->positions;
    const double *theta = state->has_theta ? state->theta : NULL;
    double *acc_sigma = state->scratch, *acc_theta = state->scratch + w * w;
    for (int64_t y1 = 0; y1 < g->ho; ++y1)
        for (int64_t y2 = 0; y2 < g->ho; ++y2) {
            window_rows(g, 1, state->sigma, theta, y1, y2, acc_sigma, acc_theta,
                        state->next_sigma, state->next_theta);
            for (int64_t x1 = 0; x1 < g->wo; ++x1) {
                const int64_t at = (y1 * g->wo + x1) * positions_out + y2 * g->wo;
                double *restrict sigma_row = state->next_sigma + at;
                double *restrict theta_row = state->next_theta + at;
                for (int64_t x2 = 0; x2 < g->wo; ++x2)
                    sigma_row[x2] *= scale;
                if (theta != NULL)
                    for (int64_t x2 = 0; x2 < g->wo; ++x2)
                        theta_row[x2] *= scale;
            }
        }
}

/* avg_pool's output rows (y1, x1) x (y2, all x2) from the padded sums of
 * every pair of row taps: every pair of column taps (dx1, dx2) in
 * window_rows' order, then the scale, as pool_full. */
NTK_CLONED_HELPER void pool_padded_row(const conv_geometry *g, const padded_block *pad,
                                       const double *acc, int64_t x1, double scale,
                                       double *restrict row)
{
    const int64_t wp = pad->width, sw = g->sw;
    if (g->kw == 2) {
        const double *restrict a0 = acc + x1 * sw * wp, *restrict a1 = a0 + wp;
        for (int64_t x2 = 0; x2 < g->wo; ++x2) {
            const int64_t c = x2 * sw;
            row[x2] = (a0[c] + a0[c + 1] + a1[c] + a1[c + 1]) * scale;
        }
        return;
    }
    for (int64_t x2 = 0; x2 < g->wo; ++x2) {
        double sum = 0.0;
        for (int64_t dx1 = 0; dx1 < g->kw; ++dx1)
            for (int64_t dx2 = 0; dx2 < g->kw; ++dx2)
                sum += acc[(x1 * sw + dx1) * wp + x2 * sw + dx2];
        row[x2] = sum * scale;
    }
}

/* The pairs of row taps (rows_1[t] of x, rows_2[t] of x') of a pool's
 * output row pair (y1, y2) that are not in the padding, in tap order; their
 * count (at most kh^2). */
static inline int pool_row_taps(const conv_geometry *g, int64_t y1, int64_t y2, int64_t *rows_1,
                                int64_t *rows_2)
{
    int n = 0;
    for (int64_t dy1 = 0; dy1 < g->kh; ++dy1) {
        const int64_t r1 = conv_source(y1, dy1, g->sh, g->pad_top, g->h, g->circular);
        if (r1 < 0)
            continue;
        for (int64_t dy2 = 0; dy2 < g->kh; ++dy2) {
            const int64_t r2 = conv_source(y2, dy2, g->sh, g->pad_top, g->h, g->circular);
            if (r2 < 0)
                continue;
            rows_1[n] = r1;
            rows_2[n] = r2;
            ++n;
        }
    }
    return n;
}

/* pool_full in single passes, as conv_full_padded: the same sums in the
 * same order, so the same bits. */
NTK_VECTOR_CLONES
static void pool_full_padded(const conv_geometry *g, const padded_block *pad, double scale,
                             ntk_spatial_state *state)
{
    const int64_t w = g->w, positions_in = g->h * g->w, positions_out = g->positions;
    const int64_t block_doubles = pad->width * pad->width;
    const double *theta = state->has_theta ? state->theta : NULL;
    double *acc_sigma = state->scratch, *acc_theta = state->scratch + block_doubles;
    zero(state->scratch, 2 * block_doubles); /* the borders stay zero */
    const double *sigma_blocks[padded_row_taps_max], *theta_blocks[padded_row_taps_max];
    for (int64_t y1 = 0; y1 < g->ho; ++y1)
        for (int64_t y2 = 0; y2 < g->ho; ++y2) {
            int64_t rows_1[padded_row_taps_max], rows_2[padded_row_taps_max];
            const int n = pool_row_taps(g, y1, y2, rows_1, rows_2);
            for (int t = 0; t < n; ++t) {
                sigma_blocks[t] = state->sigma + rows_1[t] * w * positions_in + rows_2[t] * w;
                if (theta != NULL)
                    theta_blocks[t] = theta + rows_1[t] * w * positions_in + rows_2[t] * w;
            }
            if (n == 0) {
                zero(state->scratch, 2 * block_doubles);
            } else {
                sum_row_blocks(sigma_blocks, n, positions_in, w, pad, acc_sigma);
                if (theta != NULL)
                    sum_row_blocks(theta_blocks, n, positions_in, w, pad, acc_theta);
            }
            for (int64_t x1 = 0; x1 < g->wo; ++x1) {
                const int64_t at = (y1 * g->wo + x1) * positions_out + y2 * g->wo;
                pool_padded_row(g, pad, acc_sigma, x1, scale, state->next_sigma + at);
                if (theta != NULL)
                    pool_padded_row(g, pad, acc_theta, x1, scale, state->next_theta + at);
            }
        }
}

/* The geometry of the pool of rows alone that is left of avg_pool `whole`
 * once its column groups are summed (rows of w / kw positions). */
static conv_geometry rows_only_of(const conv_geometry *whole)
{
    conv_geometry rows_only = *whole;
    rows_only.w = whole->w / whole->kw;
    rows_only.kw = rows_only.sw = 1;
    rows_only.pad_left = 0;
    return rows_only;
}

int64_t window_analytic_pool_column_groups(const conv_geometry *g)
{
    if (!(g->kw > 1 && g->kw == g->sw && g->pad_left == 0 && g->pad_top == 0 && !g->circular &&
          g->wo * g->kw == g->w))
        return 1;
    /* the rows' pool in single passes, and its blocks of grouped columns
     * with the sum in scratch (pool_full_grouped) */
    const conv_geometry rows_only = rows_only_of(g);
    padded_block pad;
    const int64_t groups = rows_only.w, taps = g->kh * g->kh;
    if (!padded_block_of(&rows_only, taps, &pad) ||
        (taps + 1) * groups * groups > 8 * g->w * g->w)
        return 1;
    return g->kw;
}

/* avg_pool with disjoint column groups (window_analytic_pool_column_groups)
 * on a full state, as it runs after a conv's activation that sums its
 * groups as it writes (columns_pooled): per output row pair, each row tap
 * pair's block summed in groups into scratch, then the rows' pool of those
 * blocks as pool_full_padded on the grouped state, the same sums in the
 * same order. */
NTK_VECTOR_CLONES
static void pool_full_grouped(const conv_geometry *whole, double scale, ntk_spatial_state *state)
{
    const conv_geometry rows_only = rows_only_of(whole);
    const conv_geometry *g = &rows_only;
    padded_block pad;
    (void)padded_block_of(g, g->kh * g->kh, &pad); /* checked by the caller */
    const int64_t k = whole->kw, w = whole->w, positions_in = whole->h * w;
    const int64_t groups = g->w, block = groups * groups, positions_out = g->positions;
    const double *theta = state->has_theta ? state->theta : NULL;
    double *acc_sigma = state->scratch, *acc_theta = state->scratch + block;
    double *grouped = state->scratch + 2 * block; /* the taps' blocks, sigma's then theta's */
    const double *sigma_blocks[padded_row_taps_max], *theta_blocks[padded_row_taps_max];
    for (int64_t y1 = 0; y1 < g->ho; ++y1)
        for (int64_t y2 = 0; y2 < g->ho; ++y2) {
            int64_t rows_1[padded_row_taps_max], rows_2[padded_row_taps_max];
            const int n = pool_row_taps(g, y1, y2, rows_1, rows_2);
            for (int t = 0; t < n; ++t) {
                const int64_t at = rows_1[t] * w * positions_in + rows_2[t] * w;
                double *to = grouped + 2 * t * block;
                sum_column_groups(k, w, state->sigma + at, positions_in, to, groups);
                sigma_blocks[t] = to;
                if (theta != NULL) {
                    sum_column_groups(k, w, theta + at, positions_in, to + block, groups);
                    theta_blocks[t] = to + block;
                }
            }
            if (n == 0) {
                zero(state->scratch, 2 * block);
            } else {
                sum_row_blocks(sigma_blocks, n, groups, groups, &pad, acc_sigma);
                if (theta != NULL)
                    sum_row_blocks(theta_blocks, n, groups, groups, &pad, acc_theta);
            }
            for (int64_t x1 = 0; x1 < g->wo; ++x1) {
                const int64_t at = (y1 * g->wo + x1) * positions_out + y2 * g->wo;
                pool_padded_row(g, &pad, acc_sigma, x1, scale, state->next_sigma + at);
                if (theta != NULL)
                    pool_padded_row(g, &pad, acc_theta, x1, scale, state->next_theta + at);
            }
        }
}

void window_analytic_pool(const conv_geometry *whole, ntk_spatial_state *state)
{
    const double q = (double)(whole->kh * whole->kw);
    const double scale = 1.0 / (q * q);
    /* With its columns already summed in groups of kw (columns_pooled: the
     * column taps are those groups, avg_pool_analytic_column_groups), the
     * rest is a pool of the rows alone on rows of w / kw positions. */
    conv_geometry rows_only = *whole;
    if (state->columns_pooled > 1) {
        rows_only = rows_only_of(whole);
        state->columns_pooled = 1;
    } else if (state->out_form == NTK_ANALYTIC_FULL &&
               window_analytic_pool_column_groups(whole) > 1) {
        pool_full_grouped(whole, scale, state);
        state->positions = whole->positions;
        return;
    }
    const conv_geometry *g = &rows_only;
    padded_block pad;
    if (state->out_form == NTK_ANALYTIC_FULL && padded_block_of(g, g->kh * g->kh, &pad)) {
        pool_full_padded(g, &pad, scale, state);
    } else if (state->out_form == NTK_ANALYTIC_FULL) {
        pool_full(g, scale, state);
    } else {
        /* matching output positions only: P window pairs, no blocks */
        for (int64_t y = 0; y < g->ho; ++y)
            for (int64_t x = 0; x < g->wo; ++x) {
                const int64_t p = y * g->wo + x;
                state->next_sigma[p] = scale * pool_pair_sum(g, state->sigma, y, x, y, x);
                if (state->has_theta)
                    state->next_theta[p] = scale * pool_pair_sum(g, state->theta, y, x, y, x);
            }
    }
    state->positions = g->positions;
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

/* Additions of the separable sums (Sigma and Theta): per pair of output
 * rows, the row taps' blocks (w^2 each) and the column taps (wo^2 each). */
static double separable_flops(const conv_geometry *g, double row_taps, double column_taps)
{
    const double rows = (double)g->ho * (double)g->ho;
    return 2.0 * rows *
           (row_taps * (double)g->w * (double)g->w + column_taps * (double)g->wo * (double)g->wo);
}

double window_analytic_conv_flops(const conv_geometry *g, ntk_analytic_form form)
{
    const double q = (double)(g->kh * g->kw);
    if (form == NTK_ANALYTIC_FULL)
        /* the sums, then the scale, bias and Sigma + Theta per output pair */
        return separable_flops(g, (double)g->kh, (double)g->kw) +
               4.0 * (double)g->positions * (double)g->positions;
    /* Sigma and Theta: one add per tap each, and the scale, bias and sum */
    return (double)g->positions * (2.0 * q + 4.0);
}

double window_analytic_pool_flops(const conv_geometry *g, ntk_analytic_form output_form)
{
    const double q = (double)(g->kh * g->kw);
    if (output_form == NTK_ANALYTIC_FULL)
        return separable_flops(g, (double)(g->kh * g->kh), (double)(g->kw * g->kw)) +
               2.0 * (double)g->positions * (double)g->positions;
    return (double)g->positions * (2.0 * q * q + 2.0);
}
