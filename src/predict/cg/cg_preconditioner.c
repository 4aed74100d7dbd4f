/* The Nystrom preconditioner of cg.h: a rank-r factor L L^T ~ Theta from
 * Theta's columns at r pivots, its eigenpairs U diag(lambda) U^T, and the
 * Woodbury application z = r + U diag(s) U^T r.
 *
 * Pivots: nystrom draws r distinct rows uniformly (a counter-based stream
 * of the seed, so every rank and rank count draws the same); L = C W^{+1/2}
 * with C the columns and W their r x r block, W's eigenvalues below
 * NEGLIGIBLE of its largest dropped (they carry rounding only).
 * pivoted_cholesky is the partial Cholesky factorisation with greedy
 * pivots, in blocks: each block takes the PIVOT_BLOCK largest remaining
 * diagonal entries, gets their columns in one call (one cross kernel
 * assembly when Theta is not stored), then eliminates them one by one;
 * a pivot whose remaining diagonal fell below NEGLIGIBLE of the largest
 * initial one ends the factorisation early (Theta is numerically of that
 * rank). */
#include "predict/cg/cg.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "core/log.h"
#include "core/random.h"
#include "core/mpi_sum.h"

enum { PIVOT_BLOCK = 32, NYSTROM_STREAM = 0x4e7953 };
static const double NEGLIGIBLE = 1e-12;

void cg_preconditioner_free(cg_preconditioner *p)
{
    free(p->u);
    free(p->scale);
    free(p->lambda);
    free(p->work);
    memset(p, 0, sizeof *p);
}

/* Eigenpairs of the symmetric n x n `a` (column-major, overwritten by the
 * eigenvectors), values ascending. Rank-local. */
static ntk_status symmetric_eigen(int64_t n, double *a, double *values)
{
    if (n < 1)
        return NTK_OK;
    const int size = (int)n;
    int info = 0, lwork = -1;
    double query = 0.0;
    dsyev_("V", "L", &size, a, &size, values, &query, &lwork, &info, 1, 1);
    if (info != 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "dsyev workspace query: info %d", info);
    lwork = (int)query + 1;
    double *work = NULL;
    NTK_TRY(NTK_CALLOC(work, lwork, "dsyev workspace"));
    dsyev_("V", "L", &size, a, &size, values, work, &lwork, &info, 1, 1);
    free(work);
    if (info != 0)
        return NTK_RAISE(NTK_ERR_NUMERIC, "dsyev of the %d x %d preconditioner Gram matrix: info %d",
                         size, size, info);
    return NTK_OK;
}

/* The kept columns of W^{+1/2} for the n x n Gram w (row-major, summed over
 * the ranks): w symmetrized, its eigenpairs on every rank alike, and the
 * eigenvalues above rounding kept, largest first, as the columns
 * Q_kept D_kept^{-1/2}. dsyev's order is ascending, so the kept ones are the
 * last *count columns of w, scaled in place. */
static ntk_status inverse_square_root(MPI_Comm comm, int64_t n, double *w, double *values,
                                      int64_t *count)
{
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < i; ++j)
            w[i * n + j] = w[j * n + i] = 0.5 * (w[i * n + j] + w[j * n + i]);
    *count = 0;
    NTK_TRY(ntk_agree(symmetric_eigen(n, w, values), comm));
    if (n < 1)
        return NTK_OK;
    const double largest = values[n - 1];
    while (*count < n && values[n - 1 - *count] > NEGLIGIBLE * largest) {
        const double factor = 1.0 / sqrt(values[n - 1 - *count]);
        double *column = w + (n - 1 - *count) * n;
        for (int64_t j = 0; j < n; ++j)
            column[j] *= factor;
        ++*count;
    }
    return NTK_OK;
}

/* out (a_cols x b_cols) = A^T B over every rank's own rows. */
static ntk_status gram(MPI_Comm comm, int64_t rows, const double *a, int64_t a_cols,
                       const double *b, int64_t b_cols, double *out)
{
    memset(out, 0, sizeof(double) * (size_t)(a_cols * b_cols));
    if (rows > 0 && a_cols > 0 && b_cols > 0)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)a_cols, (int)b_cols, (int)rows,
                    1.0, a, (int)rows, b, (int)rows, 0.0, out, (int)a_cols);
    return ntk_allreduce_sum(NULL, out, a_cols * b_cols, comm);
}

/* r distinct indices of [0, size), uniformly, the same on every rank. */
static void random_pivots(uint64_t seed, int64_t size, int64_t r, int64_t *pivots)
{
    /* Floyd's algorithm over a sorted check would be O(r^2); r is at most a
     * few thousand, so a linear scan for duplicates is fine. */
    int64_t count = 0;
    for (int64_t draw = 0; count < r; ++draw) {
        int64_t candidate = (int64_t)(ntk_random_bits(seed, NYSTROM_STREAM, (uint64_t)draw) %
                                      (uint64_t)size);
        int seen = 0;
        for (int64_t j = 0; j < count && !seen; ++j)
            seen = pivots[j] == candidate;
        if (!seen)
            pivots[count++] = candidate;
    }
}

/* L = C W^{+1/2}: C (own rows x r) the columns at the pivots, W their rows
 * at the pivots. Replaces C by L (own rows x *kept). */
static ntk_status nystrom_factor(cg_operator *op, uint64_t seed, int64_t r, double *c,
                                 int64_t *kept)
{
    const int64_t rows = op->own_rows;
    int64_t *pivots = NULL;
    double *w = NULL, *values = NULL, *l = NULL;
    ntk_status status = NTK_CALLOC(pivots, r, "nystrom pivots");
    if (status == NTK_OK)
        status = NTK_CALLOC(w, r * r, "nystrom core");
    if (status == NTK_OK)
        status = NTK_CALLOC(values, r, "nystrom core");
    if (status == NTK_OK)
        status = NTK_CALLOC(l, (rows > 0 ? rows : 1) * r, "nystrom factor");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    random_pivots(seed, op->size, r, pivots);
    NTK_TRY_GOTO(status, op->columns(op->context, pivots, r, c, rows > 0 ? rows : 1), done);
    for (int64_t j = 0; j < r; ++j) {
        const int64_t local = pivots[j] - op->first_row;
        if (local >= 0 && local < rows)
            for (int64_t i = 0; i < r; ++i)
                w[i * r + j] = c[i * rows + local];
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(MPI_IN_PLACE, w, (int)(r * r), MPI_DOUBLE, MPI_SUM,
                                       op->comm), done);
    int64_t count = 0;
    NTK_TRY_GOTO(status, inverse_square_root(op->comm, r, w, values, &count), done);
    /* L's column order does not matter (its Gram's eigenpairs follow). */
    if (rows > 0 && count > 0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)count, (int)r, 1.0,
                    c, (int)rows, w + (r - count) * r, (int)r, 0.0, l, (int)rows);
    if (rows > 0)
        memcpy(c, l, sizeof(double) * (size_t)(rows * count));
    *kept = count;
done:
    free(pivots);
    free(w);
    free(values);
    free(l);
    return status;
}

/* The `want` largest entries of d (own rows) over all ranks, as global
 * indices, largest first (ties: the lower index), the same on every rank.
 * Entries already pivoted are -INFINITY. Returns how many exist. */
static ntk_status largest_entries(cg_operator *op, const double *d, int want, int64_t *indices,
                                  double *values, int *found)
{
    int ranks = 1;
    MPI_Comm_size(op->comm, &ranks);
    double local_value[PIVOT_BLOCK];
    int64_t local_index[PIVOT_BLOCK];
    for (int j = 0; j < want; ++j) {
        local_value[j] = -INFINITY;
        local_index[j] = -1;
    }
    for (int64_t i = 0; i < op->own_rows; ++i) {
        double v = d[i];
        if (!(v > local_value[want - 1]))
            continue;
        int j = want - 1;
        while (j > 0 && v > local_value[j - 1]) {
            local_value[j] = local_value[j - 1];
            local_index[j] = local_index[j - 1];
            --j;
        }
        local_value[j] = v;
        local_index[j] = op->first_row + i;
    }
    double *all_value = NULL;
    int64_t *all_index = NULL;
    ntk_status status = NTK_CALLOC(all_value, (int64_t)ranks * want, "pivot candidates");
    if (status == NTK_OK)
        status = NTK_CALLOC(all_index, (int64_t)ranks * want, "pivot candidates");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    NTK_MPI_GOTO(status, MPI_Allgather(local_value, want, MPI_DOUBLE, all_value, want, MPI_DOUBLE,
                                       op->comm), done);
    NTK_MPI_GOTO(status, MPI_Allgather(local_index, want, MPI_INT64_T, all_index, want,
                                       MPI_INT64_T, op->comm), done);
    *found = 0;
    for (int j = 0; j < want; ++j) {
        int64_t best = -1;
        for (int64_t e = 0; e < (int64_t)ranks * want; ++e) {
            if (all_index[e] < 0 || !(all_value[e] > -INFINITY))
                continue;
            if (best < 0 || all_value[e] > all_value[best] ||
                (all_value[e] == all_value[best] && all_index[e] < all_index[best]))
                best = e;
        }
        if (best < 0)
            break;
        indices[j] = all_index[best];
        values[j] = all_value[best];
        all_index[best] = -1;
        ++*found;
    }
done:
    free(all_value);
    free(all_index);
    return status;
}

/* L (own rows x *kept, at most r columns) by blocked greedy pivoted
 * Cholesky. */
static ntk_status pivoted_cholesky_factor(cg_operator *op, int64_t r, double *l, int64_t *kept)
{
    const int64_t rows = op->own_rows, ld = rows > 0 ? rows : 1;
    double *d = NULL, *block = NULL, *pivot_row = NULL;
    ntk_status status = NTK_CALLOC(d, ld, "pivoted Cholesky diagonal");
    if (status == NTK_OK)
        status = NTK_CALLOC(block, ld * PIVOT_BLOCK, "pivoted Cholesky columns");
    if (status == NTK_OK)
        status = NTK_CALLOC(pivot_row, r + 1, "pivoted Cholesky row");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    NTK_TRY_GOTO(status, op->diagonal(op->context, d), done);
    double first_largest = 0.0;
    for (int64_t i = 0; i < rows; ++i)
        if (d[i] > first_largest)
            first_largest = d[i];
    NTK_MPI_GOTO(status, MPI_Allreduce(MPI_IN_PLACE, &first_largest, 1, MPI_DOUBLE, MPI_MAX,
                                       op->comm), done);
    int64_t done_columns = 0;
    int exhausted = 0;
    while (done_columns < r && !exhausted) {
        const int want = (int)(r - done_columns < PIVOT_BLOCK ? r - done_columns : PIVOT_BLOCK);
        int64_t pivots[PIVOT_BLOCK];
        double values[PIVOT_BLOCK];
        int found = 0;
        NTK_TRY_GOTO(status, largest_entries(op, d, want, pivots, values, &found), done);
        if (found < 1 || !(values[0] > NEGLIGIBLE * first_largest))
            break;
        NTK_TRY_GOTO(status, op->columns(op->context, pivots, found, block, ld), done);
        for (int j = 0; j < found; ++j) {
            const int64_t i = done_columns, local = pivots[j] - op->first_row;
            const int mine = local >= 0 && local < rows;
            /* L's row at the pivot (i entries) and the column's entry there,
             * from the rank that owns it. */
            memset(pivot_row, 0, sizeof(double) * (size_t)(i + 1));
            if (mine) {
                for (int64_t q = 0; q < i; ++q)
                    pivot_row[q] = l[q * ld + local];
                pivot_row[i] = block[j * ld + local];
            }
            NTK_MPI_GOTO(status, MPI_Allreduce(MPI_IN_PLACE, pivot_row, (int)(i + 1), MPI_DOUBLE,
                                               MPI_SUM, op->comm), done);
            double *v = block + j * ld;
            double pivot = pivot_row[i];
            for (int64_t q = 0; q < i; ++q)
                pivot -= pivot_row[q] * pivot_row[q];
            if (!(pivot > NEGLIGIBLE * first_largest)) {
                exhausted = 1;
                break;
            }
            if (rows > 0 && i > 0)
                cblas_dgemv(CblasColMajor, CblasNoTrans, (int)rows, (int)i, -1.0, l, (int)ld,
                            pivot_row, 1, 1.0, v, 1);
            const double factor = 1.0 / sqrt(pivot);
            double *column = l + i * ld;
            for (int64_t e = 0; e < rows; ++e) {
                column[e] = v[e] * factor;
                d[e] -= column[e] * column[e];
            }
            if (mine)
                d[local] = -INFINITY;
            ++done_columns;
        }
    }
    *kept = done_columns;
done:
    free(d);
    free(block);
    free(pivot_row);
    return status;
}

/* From L (own rows x n): U diag(lambda) U^T = L L^T with U orthonormal to
 * rounding. Gram eigenpairs give Q = L V D^{-1/2}; Q is orthonormalised
 * once more (its Gram's inverse square root) since rounding in the small
 * eigenvalues leaves it slightly off. */
static ntk_status eigenpairs_of_factor(cg_operator *op, const double *l, int64_t n,
                                       cg_preconditioner *p)
{
    const int64_t rows = op->own_rows, ld = rows > 0 ? rows : 1;
    double *g = NULL, *values = NULL, *q = NULL, *h = NULL;
    ntk_status status = NTK_CALLOC(g, n * n, "preconditioner Gram");
    if (status == NTK_OK)
        status = NTK_CALLOC(values, n, "preconditioner eigenvalues");
    if (status == NTK_OK)
        status = NTK_CALLOC(q, ld * n, "preconditioner basis");
    if (status == NTK_OK)
        status = NTK_CALLOC(h, n * n, "preconditioner Gram");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    NTK_TRY_GOTO(status, gram(op->comm, rows, l, n, l, n, g), done);
    NTK_TRY_GOTO(status, ntk_agree(symmetric_eigen(n, g, values), op->comm), done);
    const double largest = n > 0 ? values[n - 1] : 0.0;
    int64_t count = 0;
    for (int64_t i = n - 1; i >= 0; --i) {
        if (!(values[i] > NEGLIGIBLE * largest))
            break;
        const double factor = 1.0 / sqrt(values[i]);
        double *column = h + count * n;
        for (int64_t j = 0; j < n; ++j)
            column[j] = g[i * n + j] * factor;
        p->lambda[count++] = values[i];
    }
    if (rows > 0 && count > 0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)count, (int)n, 1.0,
                    l, (int)ld, h, (int)n, 0.0, q, (int)ld);
    /* Q (Q^T Q)^{-1/2}. */
    NTK_TRY_GOTO(status, gram(op->comm, rows, q, count, q, count, g), done);
    NTK_TRY_GOTO(status, ntk_agree(symmetric_eigen(count, g, values), op->comm), done);
    for (int64_t i = 0; i < count; ++i)
        if (!(values[i] > 0.5))
            status = NTK_RAISE(NTK_ERR_NUMERIC,
                               "predict.preconditioner: the basis lost orthogonality (Gram "
                               "eigenvalue %g); use a smaller predict.preconditioner_rank",
                               values[i]);
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    memset(h, 0, sizeof(double) * (size_t)(n * n));
    for (int64_t a = 0; a < count; ++a)
        for (int64_t b = 0; b < count; ++b) {
            double sum = 0.0;
            for (int64_t i = 0; i < count; ++i)
                sum += g[i * count + a] * g[i * count + b] / sqrt(values[i]);
            h[b * count + a] = sum;
        }
    if (rows > 0 && count > 0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)count,
                    (int)count, 1.0, q, (int)ld, h, (int)count, 0.0, p->u, (int)ld);
    p->rank = count;
done:
    free(g);
    free(values);
    free(q);
    free(h);
    return status;
}

/* One step of subspace iteration (cg_preconditioner_build's `power`):
 * Y = Theta U, in blocks of the operator's widest product; the Nystrom
 * approximation of Theta from the sketch U, L = Y W^{+1/2} with W = U^T Y
 * (symmetrised; its eigenvalues below NEGLIGIBLE of the largest dropped);
 * L L^T's eigenpairs replace U and lambda. A sketch closer to Theta's top
 * eigenvectors than the pivot columns gives a lambda_r closer to Theta's
 * own r-th eigenvalue, which is what sets the iterations. */
static ntk_status power_step(cg_operator *op, cg_preconditioner *p)
{
    const int64_t rows = op->own_rows, ld = rows > 0 ? rows : 1, n = p->rank;
    if (n < 1)
        return NTK_OK;
    double *y = NULL, *w = NULL, *values = NULL, *l = NULL;
    ntk_status status = NTK_CALLOC(y, ld * n, "preconditioner sketch");
    if (status == NTK_OK)
        status = NTK_CALLOC(w, n * n, "preconditioner core");
    if (status == NTK_OK)
        status = NTK_CALLOC(values, n, "preconditioner core");
    if (status == NTK_OK)
        status = NTK_CALLOC(l, ld * n, "preconditioner factor");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    const int64_t widest = op->widest_apply > 0 ? op->widest_apply : n;
    for (int64_t first = 0; first < n; first += widest) {
        const int64_t count = n - first < widest ? n - first : widest;
        NTK_TRY_GOTO(status, op->apply(op->context, p->u + first * ld, count, ld, y + first * ld),
                     done);
        op->products += count;
    }
    NTK_TRY_GOTO(status, gram(op->comm, rows, p->u, n, y, n, w), done);
    int64_t count = 0;
    NTK_TRY_GOTO(status, inverse_square_root(op->comm, n, w, values, &count), done);
    if (rows > 0 && count > 0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)count, (int)n, 1.0,
                    y, (int)ld, w + (n - count) * n, (int)n, 0.0, l, (int)ld);
    NTK_TRY_GOTO(status, eigenpairs_of_factor(op, l, count, p), done);
done:
    free(y);
    free(w);
    free(values);
    free(l);
    return status;
}

ntk_status cg_preconditioner_build(cg_operator *op, cg_preconditioner_kind kind, int64_t rank,
                                   double ridge, uint64_t seed, int64_t max_columns, int power,
                                   cg_preconditioner *p)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->asked = rank;
    p->own_rows = op->own_rows;
    if (kind == CG_PRECONDITIONER_NONE || rank < 1)
        return NTK_OK;
    const double start = MPI_Wtime();
    if (rank > op->size)
        rank = op->size;
    const int64_t ld = op->own_rows > 0 ? op->own_rows : 1;
    double *l = NULL;
    ntk_status status = NTK_CALLOC(l, ld * rank, "preconditioner factor");
    if (status == NTK_OK)
        status = NTK_CALLOC(p->u, ld * rank, "preconditioner basis");
    if (status == NTK_OK)
        status = NTK_CALLOC(p->lambda, rank, "preconditioner eigenvalues");
    if (status == NTK_OK)
        status = NTK_CALLOC(p->scale, rank, "preconditioner weights");
    if (status == NTK_OK)
        status = NTK_CALLOC(p->work, rank * (max_columns > 0 ? max_columns : 1),
                            "preconditioner work");
    p->work_columns = max_columns;
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), fail);
    int64_t kept = 0;
    if (kind == CG_PRECONDITIONER_NYSTROM)
        NTK_TRY_GOTO(status, nystrom_factor(op, seed, rank, l, &kept), fail);
    else
        NTK_TRY_GOTO(status, pivoted_cholesky_factor(op, rank, l, &kept), fail);
    NTK_TRY_GOTO(status, eigenpairs_of_factor(op, l, kept, p), fail);
    free(l);
    l = NULL;
    for (int step = 0; step < power; ++step)
        NTK_TRY_GOTO(status, power_step(op, p), fail);
    if (p->rank > 0) {
        const double floor = p->lambda[p->rank - 1] + ridge;
        for (int64_t i = 0; i < p->rank; ++i)
            p->scale[i] = floor / (p->lambda[i] + ridge) - 1.0;
    }
    p->build_seconds = MPI_Wtime() - start;
    ntk_log("preconditioner %s: rank %lld of %lld asked, %d power step%s, eigenvalues %.4g .. "
            "%.4g, %.2f s",
            kind == CG_PRECONDITIONER_NYSTROM ? "nystrom" : "pivoted_cholesky",
            (long long)p->rank, (long long)p->asked, power, power == 1 ? "" : "s",
            p->rank > 0 ? p->lambda[0] : 0.0, p->rank > 0 ? p->lambda[p->rank - 1] : 0.0,
            p->build_seconds);
    return NTK_OK;
fail:
    free(l);
    cg_preconditioner_free(p);
    return status;
}

ntk_status cg_preconditioner_apply(cg_preconditioner *p, MPI_Comm comm, const double *r,
                                   int64_t columns, int64_t ld, double *z)
{
    const int64_t rows = p->own_rows, n = p->rank;
    if (columns > p->work_columns)
        return NTK_RAISE(NTK_ERR_INTERNAL, "preconditioner applied to %lld columns, at most %lld",
                         (long long)columns, (long long)p->work_columns);
    for (int64_t c = 0; c < columns; ++c)
        if (rows > 0)
            memcpy(z + c * ld, r + c * ld, sizeof(double) * (size_t)rows);
    if (n < 1)
        return NTK_OK;
    /* work = U^T r, summed over ranks; then diag(s); then z += U work. */
    memset(p->work, 0, sizeof(double) * (size_t)(n * columns));
    if (rows > 0)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)n, (int)columns, (int)rows, 1.0,
                    p->u, (int)rows, r, (int)ld, 0.0, p->work, (int)n);
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, p->work, (int)(n * columns), MPI_DOUBLE, MPI_SUM, comm));
    for (int64_t c = 0; c < columns; ++c)
        for (int64_t i = 0; i < n; ++i)
            p->work[c * n + i] *= p->scale[i];
    if (rows > 0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)columns, (int)n,
                    1.0, p->u, (int)rows, p->work, (int)n, 1.0, z, (int)ld);
    return NTK_OK;
}
