/* Theta for the public interface: assembled once per session, exactly as
 * `ntkgram run` assembles it for theta.npy (lower triangle, then mirrored),
 * and handed out whole on one rank or every rank, or as this rank's
 * block-cyclic part. */
#include "api/session.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "core/memory.h"

ntk_status session_theta(ntk_session *session)
{
    if (session->have_theta)
        return NTK_OK;
    const int64_t m = session->checked.m_rows;
    NTK_TRY(ntk_agree(dmatrix_create(&session->grid, m, m, &session->theta), session->comm));
    const ntk_kernel_config kernel_config = job_kernel_config(&session->job);
    NTK_TRY(kernel_assemble(&kernel_config, &session->model, &session->grid, &session->inputs, 1,
                            NULL, &session->theta, NULL));
    NTK_TRY(dmatrix_symmetrize_from_lower(&session->grid, &session->theta));
    session->have_theta = 1;
    return NTK_OK;
}

/* Messages stay below INT_MAX doubles (MPI counts are ints). */
static int64_t columns_per_message(int64_t rows)
{
    const int64_t limit = (int64_t)1 << 28;
    return rows < 1 ? 1 : (limit / rows > 0 ? limit / rows : 1);
}

/* Rank `source`'s part (rows x cols at process (prow, pcol)) into the whole
 * row-major M x M `theta`. */
static void place_part(const double *part, int64_t rows, int64_t first_col, int64_t cols,
                       int prow, int pcol, const ntk_grid *grid, int64_t m, double *theta)
{
    for (int64_t j = 0; j < cols; j++) {
        const int64_t global_j = grid_global_index(first_col + j, grid->block, pcol, grid->cols);
        for (int64_t i = 0; i < rows; i++) {
            const int64_t global_i = grid_global_index(i, grid->block, prow, grid->rows);
            theta[global_i * m + global_j] = part[j * rows + i];
        }
    }
}

/* The largest part any rank sends in one message. */
static int64_t largest_panel(const ntk_grid *grid, int64_t m)
{
    int64_t largest = 0;
    for (int prow = 0; prow < grid->rows; prow++) {
        const int64_t rows = grid_local_count(m, grid->block, prow, grid->rows);
        for (int pcol = 0; pcol < grid->cols; pcol++) {
            const int64_t cols = grid_local_count(m, grid->block, pcol, grid->cols);
            const int64_t step = columns_per_message(rows);
            const int64_t size = rows * (step < cols ? step : cols);
            largest = size > largest ? size : largest;
        }
    }
    return largest;
}

/* Every rank's part to `root`, one column panel per message. The root
 * allocates everything before any message moves, so a failed allocation
 * leaves no rank blocked in a send. */
static ntk_status gather_to(ntk_session *session, int root, double *theta)
{
    const ntk_grid *grid = &session->grid;
    const ntk_dmatrix *mine = &session->theta;
    const int64_t m = mine->rows;
    int coordinates[2] = {grid->myrow, grid->mycol};
    int *all = NULL;
    double *panel = NULL;
    ntk_status status = NTK_OK;
    if (session->rank == root) {
        status = NTK_CALLOC(all, 2 * (size_t)session->ranks, "process coordinates");
        if (status == NTK_OK)
            status = NTK_CALLOC(panel, (size_t)largest_panel(grid, m) + 1, "Theta panel");
    }
    NTK_TRY_GOTO(status, ntk_agree(status, session->comm), done);
    NTK_MPI_GOTO(status, MPI_Gather(coordinates, 2, MPI_INT, all, 2, MPI_INT, root, session->comm),
                 done);
    if (session->rank != root) {
        const int64_t step = columns_per_message(mine->local_rows);
        for (int64_t first = 0; first < mine->local_cols && mine->local_rows > 0; first += step) {
            const int64_t cols = mine->local_cols - first < step ? mine->local_cols - first : step;
            NTK_MPI_GOTO(status,
                         MPI_Send(mine->data + first * mine->local_rows,
                                  (int)(cols * mine->local_rows), MPI_DOUBLE, root, 0,
                                  session->comm),
                         done);
        }
        goto done;
    }
    place_part(mine->data, mine->local_rows, 0, mine->local_cols, grid->myrow, grid->mycol, grid,
               m, theta);
    for (int source = 0; source < session->ranks; source++) {
        if (source == root)
            continue;
        const int prow = all[2 * source], pcol = all[2 * source + 1];
        const int64_t rows = grid_local_count(m, grid->block, prow, grid->rows);
        const int64_t cols = grid_local_count(m, grid->block, pcol, grid->cols);
        const int64_t step = columns_per_message(rows);
        for (int64_t first = 0; first < cols && rows > 0; first += step) {
            const int64_t width = cols - first < step ? cols - first : step;
            NTK_MPI_GOTO(status,
                         MPI_Recv(panel, (int)(width * rows), MPI_DOUBLE, source, 0,
                                  session->comm, MPI_STATUS_IGNORE),
                         done);
            place_part(panel, rows, first, width, prow, pcol, grid, m, theta);
        }
    }
done:
    free(panel);
    free(all);
    return ntk_agree(status, session->comm);
}

static ntk_status theta_gather(ntk_session *session, int root, double *theta)
{
    if (root != NTK_ALL_RANKS && (root < 0 || root >= session->ranks))
        return NTK_RAISE(NTK_ERR_USAGE, "ntk_theta_gather: root %d is not a rank of %d", root,
                         session->ranks);
    const int receives = root == NTK_ALL_RANKS || session->rank == root;
    NTK_TRY(ntk_agree(receives && !theta ? NTK_RAISE(NTK_ERR_USAGE,
                                                     "ntk_theta_gather: theta is NULL on rank %d",
                                                     session->rank)
                                         : NTK_OK,
                      session->comm));
    NTK_TRY(session_theta(session));
    NTK_TRY(gather_to(session, root == NTK_ALL_RANKS ? 0 : root, theta));
    if (root != NTK_ALL_RANKS)
        return NTK_OK;
    const int64_t total = session->theta.rows * session->theta.rows;
    const int64_t step = (int64_t)1 << 28;
    for (int64_t first = 0; first < total; first += step) {
        const int64_t count = total - first < step ? total - first : step;
        NTK_MPI(MPI_Bcast(theta + first, (int)count, MPI_DOUBLE, 0, session->comm));
    }
    return NTK_OK;
}

int ntk_theta_gather(ntk_session *session, int root, double *theta)
{
    if (!session)
        return session_result(NTK_RAISE(NTK_ERR_USAGE, "ntk_theta_gather: session is NULL"));
    ntk_error_clear();
    return session_result(theta_gather(session, root, theta));
}

int ntk_theta_layout_get(ntk_session *session, ntk_theta_layout *layout)
{
    if (!session || !layout)
        return session_result(
            NTK_RAISE(NTK_ERR_USAGE, "ntk_theta_layout_get: session or layout is NULL"));
    const ntk_grid *grid = &session->grid;
    const int64_t m = session->checked.m_rows;
    memset(layout, 0, sizeof *layout);
    layout->rows = layout->cols = m;
    layout->local_rows = grid_local_count(m, grid->block, grid->myrow, grid->rows);
    layout->local_cols = grid_local_count(m, grid->block, grid->mycol, grid->cols);
    layout->block = grid->block;
    layout->grid_rows = grid->rows;
    layout->grid_cols = grid->cols;
    layout->my_row = grid->myrow;
    layout->my_col = grid->mycol;
    layout->blacs_context = grid->context;
    /* The descriptor dmatrix_create builds for this size (without allocating). */
    const int rows = (int)m, block = grid->block, zero = 0, context = grid->context;
    const int lld = layout->local_rows > 1 ? (int)layout->local_rows : 1;
    int info = 0;
    descinit_(layout->descriptor, &rows, &rows, &block, &block, &zero, &zero, &context, &lld,
              &info);
    if (info != 0)
        return session_result(
            NTK_RAISE(NTK_ERR_INTERNAL, "ntk_theta_layout_get: descinit info %d", info));
    return NTK_RESULT_OK;
}

static ntk_status theta_local(ntk_session *session, double *local, int64_t leading_dim)
{
    const int64_t rows = grid_local_count(session->checked.m_rows, session->grid.block,
                                          session->grid.myrow, session->grid.rows);
    const int64_t cols = grid_local_count(session->checked.m_rows, session->grid.block,
                                          session->grid.mycol, session->grid.cols);
    ntk_status status = NTK_OK;
    if (leading_dim < (rows > 1 ? rows : 1) || (rows * cols > 0 && !local))
        status = NTK_RAISE(NTK_ERR_USAGE,
                           "ntk_theta_local: rank %d needs a buffer of %lld x %lld with a "
                           "leading dimension of at least %lld (got %lld%s)",
                           session->rank, (long long)rows, (long long)cols,
                           (long long)(rows > 1 ? rows : 1), (long long)leading_dim,
                           local ? "" : ", NULL");
    NTK_TRY(ntk_agree(status, session->comm));
    NTK_TRY(session_theta(session));
    const ntk_dmatrix *theta = &session->theta;
    for (int64_t j = 0; j < cols; j++)
        memcpy(local + j * leading_dim, theta->data + j * theta->local_rows,
               sizeof(double) * (size_t)rows);
    return NTK_OK;
}

int ntk_theta_local(ntk_session *session, double *local, int64_t leading_dim)
{
    if (!session)
        return session_result(NTK_RAISE(NTK_ERR_USAGE, "ntk_theta_local: session is NULL"));
    ntk_error_clear();
    return session_result(theta_local(session, local, leading_dim));
}
