/* The measured learning curve (see diagnostics.h): kernel regression on
 * random training subsets S of the N inputs, evaluated on all of them.
 *
 * Theta_SS moves from Theta's block-cyclic layout into an n x n one on the
 * same grid by one MPI_Alltoallv of values only: a sender walks its local
 * lower triangle column by column and a receiver its local part of
 * Theta_SS the same way, and since S is sorted both walks visit the pairs a
 * sender and a receiver share in the same order (column, then row,
 * ascending), so no indices travel. PDPOSV solves (Theta_SS + ridge I)
 * alpha = Y_S; f = Theta(:, S) alpha is then one pass over the local part
 * of Theta (each lower entry serves both (i, j) and (j, i)) and an
 * allreduce of N k doubles. */
#include "diagnostics/diagnostics.h"
#include "diagnostics/local_index.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "core/random.h"
#include "grid/scalapack.h"

enum { DESC_LLD = 8 };

typedef struct {
    uint64_t key;
    int64_t index;
} keyed_index;

static int compare_keyed(const void *a, const void *b)
{
    const keyed_index *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static int compare_index(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : (x > y);
}

ntk_status diagnostics_training_subset(int64_t seed, int64_t n_inputs, int64_t n, int repeat,
                                       int64_t *subset)
{
    if (n < 1 || n > n_inputs)
        return NTK_RAISE(NTK_ERR_INTERNAL, "training subset of %lld from %lld inputs",
                         (long long)n, (long long)n_inputs);
    keyed_index *keyed = NULL;
    NTK_TRY(NTK_CALLOC(keyed, n_inputs, "the subset's keys"));
    for (int64_t i = 0; i < n_inputs; ++i) {
        keyed[i].key = ntk_random_bits((uint64_t)seed, DIAGNOSTICS_SUBSET_STREAM + (uint64_t)n,
                                       (uint64_t)repeat * (uint64_t)n_inputs + (uint64_t)i);
        keyed[i].index = i;
    }
    qsort(keyed, (size_t)n_inputs, sizeof *keyed, compare_keyed);
    for (int64_t a = 0; a < n; ++a)
        subset[a] = keyed[a].index;
    free(keyed);
    qsort(subset, (size_t)n, sizeof *subset, compare_index);
    return NTK_OK;
}

/* The grid rank owning global entry (row, col). */
static int owner_rank(const ntk_grid *grid, int64_t row, int64_t col)
{
    return grid_owner(row, grid->block, grid->rows) * grid->cols +
           grid_owner(col, grid->block, grid->cols);
}

/* counts (ints) to displacements; NTK_ERR_MEMORY past MPI's int counts. */
static ntk_status displacements(const int64_t *counts, int ranks, int *count_ints, int *starts)
{
    int64_t start = 0;
    for (int r = 0; r < ranks; ++r) {
        if (counts[r] > INT_MAX || start > INT_MAX)
            return NTK_RAISE(NTK_ERR_MEMORY,
                             "learning curve: the training subset's kernel is too large to "
                             "exchange with MPI's int counts; use smaller sizes n");
        count_ints[r] = (int)counts[r];
        starts[r] = (int)start;
        start += counts[r];
    }
    return NTK_OK;
}

/* Columns [first, end) of the lower triangle of Theta_SS + ridge I into
 * `block` (n x n on `grid`). */
static ntk_status gather_subset_panel(const ntk_grid *grid, const ntk_dmatrix *theta,
                                      const int64_t *theta_rows, const int64_t *subset,
                                      const int64_t *position, double ridge, int64_t first,
                                      int64_t end, ntk_dmatrix *block)
{
    const int ranks = grid->size;
    const int64_t lld = theta->desc[DESC_LLD], block_lld = block->desc[DESC_LLD];
    int64_t *send_counts = calloc((size_t)ranks, sizeof(int64_t));
    int64_t *receive_counts = calloc((size_t)ranks, sizeof(int64_t));
    int *counts = calloc((size_t)ranks * 4, sizeof(int));
    int64_t *cursor = calloc((size_t)ranks, sizeof(int64_t));
    double *send = NULL, *receive = NULL;
    ntk_status status = NTK_OK;
    if (send_counts == NULL || receive_counts == NULL || counts == NULL || cursor == NULL)
        status = NTK_RAISE(NTK_ERR_MEMORY, "learning curve: out of memory for %d ranks' counts",
                           ranks);
    int64_t sent = 0, received = 0;
    if (status == NTK_OK) {
        for (int64_t lj = 0; lj < theta->local_cols; ++lj) {
            const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
            if (position[j] < first || position[j] >= end)
                continue;
            const int64_t start =
                diagnostics_first_row_at_least(theta_rows, theta->local_rows, j);
            for (int64_t li = start; li < theta->local_rows; ++li) {
                const int64_t i = theta_rows[li];
                if (position[i] >= 0) {
                    ++send_counts[owner_rank(grid, position[i], position[j])];
                    ++sent;
                }
            }
        }
        for (int64_t lb = 0; lb < block->local_cols; ++lb) {
            const int64_t b = grid_global_index(lb, grid->block, grid->mycol, grid->cols);
            if (b < first || b >= end)
                continue;
            for (int64_t la = 0; la < block->local_rows; ++la) {
                const int64_t a = grid_global_index(la, grid->block, grid->myrow, grid->rows);
                if (a >= b) {
                    ++receive_counts[owner_rank(grid, subset[a], subset[b])];
                    ++received;
                }
            }
        }
        status = NTK_CALLOC(send, sent > 0 ? sent : 1, "the training subset's kernel (send)");
        if (status == NTK_OK)
            status = NTK_CALLOC(receive, received > 0 ? received : 1,
                                "the training subset's kernel (receive)");
    }
    int *send_ints = counts, *send_starts = counts + ranks;
    int *receive_ints = counts + 2 * ranks, *receive_starts = counts + 3 * ranks;
    if (status == NTK_OK)
        status = displacements(send_counts, ranks, send_ints, send_starts);
    if (status == NTK_OK)
        status = displacements(receive_counts, ranks, receive_ints, receive_starts);
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK)
        goto done;

    for (int r = 0; r < ranks; ++r)
        cursor[r] = send_starts[r];
    for (int64_t lj = 0; lj < theta->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        if (position[j] < first || position[j] >= end)
            continue;
        const int64_t start = diagnostics_first_row_at_least(theta_rows, theta->local_rows, j);
        for (int64_t li = start; li < theta->local_rows; ++li) {
            const int64_t i = theta_rows[li];
            if (position[i] >= 0)
                send[cursor[owner_rank(grid, position[i], position[j])]++] =
                    theta->data[lj * lld + li];
        }
    }
    NTK_MPI_GOTO(status,
                 MPI_Alltoallv(send, send_ints, send_starts, MPI_DOUBLE, receive, receive_ints,
                               receive_starts, MPI_DOUBLE, grid->comm),
                 done);
    for (int r = 0; r < ranks; ++r)
        cursor[r] = receive_starts[r];
    for (int64_t lb = 0; lb < block->local_cols; ++lb) {
        const int64_t b = grid_global_index(lb, grid->block, grid->mycol, grid->cols);
        if (b < first || b >= end)
            continue;
        for (int64_t la = 0; la < block->local_rows; ++la) {
            const int64_t a = grid_global_index(la, grid->block, grid->myrow, grid->rows);
            if (a < b)
                continue;
            const double value = receive[cursor[owner_rank(grid, subset[a], subset[b])]++];
            block->data[lb * block_lld + la] = a == b ? value + ridge : value;
        }
    }
done:
    free(receive);
    free(send);
    free(cursor);
    free(counts);
    free(receive_counts);
    free(send_counts);
    return status;
}

/* Theta_SS moves in SUBSET_PANELS panels of columns, so each exchange
 * buffer holds at most n^2 / SUBSET_PANELS doubles over all ranks (the first
 * panel's lower part), not n^2 / 2: beside Theta and the n x n matrix, the
 * learning curve needs at most a quarter of an N x N matrix more (n = N). */
enum { SUBSET_PANELS = 8 };

static ntk_status gather_subset_kernel(const ntk_grid *grid, const ntk_dmatrix *theta,
                                       const int64_t *theta_rows, const int64_t *subset,
                                       const int64_t *position, double ridge,
                                       ntk_dmatrix *block)
{
    const int64_t n = block->rows;
    const int64_t width = (n + SUBSET_PANELS - 1) / SUBSET_PANELS;
    for (int64_t first = 0; first < n; first += width)
        NTK_TRY(gather_subset_panel(grid, theta, theta_rows, subset, position, ridge, first,
                                    first + width < n ? first + width : n, block));
    return NTK_OK;
}

/* alpha = (Theta_SS + ridge I)^-1 Y_S on every rank (n x channels). */
static ntk_status solve_subset(const ntk_diagnostics_spec *spec, const ntk_grid *grid,
                               const ntk_dmatrix *theta, const int64_t *theta_rows,
                               const int64_t *subset,
                               const int64_t *position, int64_t n, const double *targets,
                               int channels, double ridge, double *alpha)
{
    ntk_dmatrix kernel, right;
    memset(&right, 0, sizeof right);
    NTK_TRY(ntk_agree(dmatrix_create(grid, n, n, &kernel), grid->comm));
    ntk_status status = ntk_agree(dmatrix_create(grid, n, channels, &right), grid->comm);
    double *local = NULL;
    if (status == NTK_OK)
        status = ntk_agree(NTK_CALLOC(local, n * channels, "the regression coefficients"),
                           grid->comm);
    if (status == NTK_OK)
        status = gather_subset_kernel(grid, theta, theta_rows, subset, position, ridge, &kernel);
    if (status != NTK_OK)
        goto done;
    const int64_t right_lld = right.desc[DESC_LLD];
    for (int64_t lc = 0; lc < right.local_cols; ++lc) {
        const int64_t c = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t la = 0; la < right.local_rows; ++la) {
            const int64_t a = grid_global_index(la, grid->block, grid->myrow, grid->rows);
            right.data[lc * right_lld + la] = targets[subset[a] * channels + c];
        }
    }
    const int order = (int)n, columns = channels, one = 1;
    int info = 0;
    pdposv_("L", &order, &columns, kernel.data, &one, &one, kernel.desc, right.data, &one, &one,
            right.desc, &info, 1);
    if (info < 0)
        status = grid_check_scalapack("pdposv", info);
    else if (info > 0) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&spec->curve_where, where, sizeof where);
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "%s: diagnostics.learning_curve: Theta on a training subset of n = "
                           "%lld inputs is not positive definite (PDPOSV: leading minor %d); "
                           "kernel regression needs a ridge "
                           "(diagnostics.learning_curve_ridge > 0)",
                           where, (long long)n, info);
    }
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK)
        goto done;
    for (int64_t lc = 0; lc < right.local_cols; ++lc) {
        const int64_t c = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t la = 0; la < right.local_rows; ++la) {
            const int64_t a = grid_global_index(la, grid->block, grid->myrow, grid->rows);
            local[a * channels + c] = right.data[lc * right_lld + la];
        }
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(local, alpha, (int)(n * channels), MPI_DOUBLE, MPI_SUM,
                                       grid->comm),
                 done);
done:
    free(local);
    dmatrix_destroy(&right);
    dmatrix_destroy(&kernel);
    return status;
}

/* Mean over all N inputs and k outputs of (Theta(:, S) alpha - y)^2. */
static ntk_status subset_error(const ntk_grid *grid, const ntk_dmatrix *theta,
                               const int64_t *theta_rows, const int64_t *position, const double *alpha,
                               const double *targets, int channels, double *local_fit,
                               double *fit, double *mse)
{
    const int64_t n_inputs = theta->rows, lld = theta->desc[DESC_LLD];
    memset(local_fit, 0, sizeof(double) * (size_t)(n_inputs * channels));
    for (int64_t lj = 0; lj < theta->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        const int64_t start = diagnostics_first_row_at_least(theta_rows, theta->local_rows, j);
        for (int64_t li = start; li < theta->local_rows; ++li) {
            const int64_t i = theta_rows[li];
            const double value = theta->data[lj * lld + li];
            if (position[j] >= 0)
                for (int c = 0; c < channels; ++c)
                    local_fit[i * channels + c] += value * alpha[position[j] * channels + c];
            if (i != j && position[i] >= 0)
                for (int c = 0; c < channels; ++c)
                    local_fit[j * channels + c] += value * alpha[position[i] * channels + c];
        }
    }
    const int64_t total = n_inputs * channels, slice = 1 << 28;
    for (int64_t start = 0; start < total; start += slice) {
        const int count = (int)(total - start < slice ? total - start : slice);
        NTK_MPI(MPI_Allreduce(local_fit + start, fit + start, count, MPI_DOUBLE, MPI_SUM,
                              grid->comm));
    }
    double sum = 0.0;
    for (int64_t e = 0; e < total; ++e)
        sum += (fit[e] - targets[e]) * (fit[e] - targets[e]);
    *mse = sum / (double)total;
    return NTK_OK;
}

ntk_status diagnostics_learning_curve_measured(const ntk_diagnostics_spec *spec,
                                               const ntk_grid *grid, const ntk_dmatrix *theta,
                                               const double *targets, int channels,
                                               double ridge, ntk_learning_curve *curve)
{
    const int64_t n_inputs = theta->rows;
    int64_t *subset = NULL, *position = NULL, *theta_rows = NULL;
    double *alpha = NULL, *local_fit = NULL, *fit = NULL, *errors = NULL;
    ntk_status status = diagnostics_global_rows(grid, theta, &theta_rows);
    if (status == NTK_OK)
        status = NTK_CALLOC(subset, n_inputs, "the training subset");
    if (status == NTK_OK)
        status = NTK_CALLOC(position, n_inputs, "the training subset's positions");
    if (status == NTK_OK)
        status = NTK_CALLOC(alpha, n_inputs * channels, "the regression coefficients");
    if (status == NTK_OK)
        status = NTK_CALLOC(local_fit, n_inputs * channels, "the regression's outputs");
    if (status == NTK_OK)
        status = NTK_CALLOC(fit, n_inputs * channels, "the regression's outputs");
    if (status == NTK_OK)
        status = NTK_CALLOC(errors, spec->curve_repeats, "the repeats' errors");
    status = ntk_agree(status, grid->comm);
    curve->n_sizes = spec->n_curve_sizes;
    curve->repeats = spec->curve_repeats;
    for (int s = 0; s < spec->n_curve_sizes && status == NTK_OK; ++s) {
        const int64_t n = spec->curve_sizes[s];
        curve->size[s] = n;
        for (int r = 0; r < spec->curve_repeats && status == NTK_OK; ++r) {
            /* n = N: every repeat draws every input, the same regression */
            if (n == n_inputs && r > 0) {
                errors[r] = errors[0];
                continue;
            }
            status = ntk_agree(
                diagnostics_training_subset(spec->curve_seed, n_inputs, n, r, subset),
                grid->comm);
            if (status != NTK_OK)
                break;
            for (int64_t i = 0; i < n_inputs; ++i)
                position[i] = -1;
            for (int64_t a = 0; a < n; ++a)
                position[subset[a]] = a;
            status = solve_subset(spec, grid, theta, theta_rows, subset, position, n, targets,
                                  channels, ridge, alpha);
            if (status == NTK_OK)
                status = subset_error(grid, theta, theta_rows, position, alpha, targets,
                                      channels, local_fit, fit, &errors[r]);
        }
        if (status != NTK_OK)
            break;
        double mean = 0.0, spread = 0.0;
        for (int r = 0; r < spec->curve_repeats; ++r)
            mean += errors[r];
        mean /= spec->curve_repeats;
        for (int r = 0; r < spec->curve_repeats; ++r)
            spread += (errors[r] - mean) * (errors[r] - mean);
        curve->measured_mse[s] = mean;
        curve->measured_mse_std[s] = sqrt(spread / spec->curve_repeats);
    }
    free(errors);
    free(fit);
    free(local_fit);
    free(alpha);
    free(position);
    free(subset);
    free(theta_rows);
    return status;
}
