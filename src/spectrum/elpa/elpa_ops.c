/* ELPA's two solvers (see spectrum/eigensolver.h): elpa (2-stage) and
 * elpa1 (1-stage), on ntkgram's block-cyclic layout (elpa_solver.c runs
 * them): their workspace, flops, what layouts they refuse, and their ops
 * tables. */
#include "spectrum/eigensolver.h"

#include <string.h>

#include "spectrum/solvers.h"

enum { DESC_LLD = 8 };

/* ELPA's own allocations are not documented; this counts the copy of
 * -Theta it overwrites (spectrum_solve keeps -Theta for the residual check)
 * and what it allocated beyond its inputs in bench/eigensolve (N = 4096, 2
 * ranks, one local matrix 64 MiB): peak RSS minus the RSS before the solve,
 * minus the copy and the eigenvectors, was 2.2 local matrices for 1-stage
 * and 2.8 for 2-stage with eigenvectors, and about as much without (ELPA
 * still allocates its eigenvector-sized buffers). So 3 local matrices, and
 * one more in place of the eigenvectors when none are kept. */
static void elpa_workspace(const eigensolver_request *request, ntk_spectrum_workspace *ws)
{
    const int64_t n = request->matrix_size, nb = request->block;
    const int rows = request->grid_rows, cols = request->grid_cols;
    const int want_vectors = request->spec->vectors;
    const int64_t np = grid_local_count(n, (int)nb, 0, rows);
    const int64_t nq = grid_local_count(n, (int)nb, 0, cols);
    /* float32 solves -Theta itself (its check's probes are taken first) */
    ws->lwork = ((want_vectors ? 4 : 5) - (request->spec->float32 ? 1 : 0)) * np * nq + 4 * n;
    ws->liwork = 8 * n;
    ws->solved_pairs = ws->kept_pairs; /* nev */
    ws->solved_values = n;             /* ELPA returns all na eigenvalues */
    /* the eigenvector matrix has ELPA's full local size, cut afterwards */
    ws->vector_local_cols = want_vectors ? nq : 0;
}

int spectrum_elpa_fits(int64_t matrix_size, int block, int grid_rows, int grid_cols)
{
    const int64_t blocks = (matrix_size + block - 1) / block;
    return blocks >= grid_rows && blocks >= grid_cols;
}


static const char *elpa_unfit(const eigensolver_request *request)
{
    if (spectrum_elpa_fits(request->matrix_size, request->block, request->grid_rows,
                           request->grid_cols))
        return NULL;
    return "ELPA needs a block of the matrix on every process row and column "
           "(ELPA_ERROR_DURING_COMPUTATION otherwise), and this matrix has fewer "
           "blocks than the grid has rows or columns: ScaLAPACK instead";
}

/* ELPA on a copy of -Theta (it overwrites the whole matrix; the original
 * is kept for the residual check). */
static ntk_status elpa_solve_copy(const eigensolver_call *call, int two_stage)
{
    const ntk_grid *grid = call->grid;
    const ntk_dmatrix *theta = call->minus_theta;
    ntk_dmatrix copy;
    ntk_status status = dmatrix_create(grid, theta->rows, theta->cols, &copy);
    if (status == NTK_OK)
        memcpy(copy.data, theta->data,
               (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols * sizeof(double));
    NTK_TRY(ntk_agree(status, grid->comm));
    status = spectrum_solve_elpa(grid, two_stage, call->workspace->solved_pairs, &copy, call->w,
                                 call->vectors, call->detail, call->detail_size);
    dmatrix_destroy(&copy);
    return status;
}

static ntk_status elpa2_solve(const eigensolver_call *call) { return elpa_solve_copy(call, 1); }
static ntk_status elpa1_solve(const eigensolver_call *call) { return elpa_solve_copy(call, 0); }

/* float32 (spectrum/solve_float32.c): on -Theta itself, whose probes were
 * taken before the solve, so without the copy. */
static ntk_status elpa2_solve_float32(const eigensolver_float32_call *call)
{
    return spectrum_solve_elpa_float32(call->grid, 1, call->minus_theta, call->w, call->vectors,
                                       call->detail, call->detail_size);
}

static ntk_status elpa1_solve_float32(const eigensolver_float32_call *call)
{
    return spectrum_solve_elpa_float32(call->grid, 0, call->minus_theta, call->w, call->vectors,
                                       call->detail, call->detail_size);
}

/* the band and tridiagonal reductions; two back-transformations */
static double elpa2_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    const double m = (double)matrix_size;
    const int vectors = ws->vector_local_cols > 0;
    return 4.0 / 3.0 * m * m * m + (vectors ? 4.0 * m * m * (double)ws->solved_pairs : 0.0);
}

/* as pdsyevd: divide and conquer merges, back-transformation of the pairs kept */
static double elpa1_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    const double m = (double)matrix_size;
    const int vectors = ws->vector_local_cols > 0;
    return 4.0 / 3.0 * m * m * m +
           (vectors ? 4.0 / 3.0 * m * m * m + 2.0 * m * m * (double)ws->solved_pairs : 0.0);
}

enum {
    ELPA_CAPABILITIES = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_TOP_K |
                        EIGENSOLVER_ALL_PAIRS | EIGENSOLVER_SEVERAL_NODES |
                        EIGENSOLVER_OWN_LAYOUT | EIGENSOLVER_ASSEMBLED | EIGENSOLVER_READS_BOTH
};

/* Seconds: spectrum/workspace.c's table (N = 4096, 2 ranks; Debian's
 * generic 2-stage kernels, whose back-transformation is slow). */
const ntk_eigensolver_ops spectrum_elpa_ops = {
    .id = NTK_SOLVER_ELPA,
    .name = "elpa",
    .family = "elpa",
    .capabilities = ELPA_CAPABILITIES,
    .measured_seconds = {220.7, 36.9, 28.1},
    .available = spectrum_have_elpa,
    .unfit = elpa_unfit,
    .auto_sentence = "ELPA 2-stage for eigenvalues only or the top k",
    .memory_sentence = "the faster solvers' planned peak exceeds the memory per rank: ELPA "
                       "2-stage fits",
    .workspace = elpa_workspace,
    .flops = elpa2_flops,
    .solve = elpa2_solve,
    .scale_floor = 1.0,
    .alternative = "pdsyevr or lapack",
    .float32_capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_ALL_PAIRS,
    .solve_float32 = elpa2_solve_float32,
    .float32_available = spectrum_elpa_single_precision,
};

const ntk_eigensolver_ops spectrum_elpa1_ops = {
    .id = NTK_SOLVER_ELPA1,
    .name = "elpa1",
    .family = "elpa",
    .capabilities = ELPA_CAPABILITIES,
    .measured_seconds = {102.1, 91.0, 49.9},
    .available = spectrum_have_elpa,
    .unfit = elpa_unfit,
    .auto_sentence = "ELPA 1-stage for all eigenpairs (the generic 2-stage kernels' "
                     "back-transformation is slow)",
    .memory_sentence = "the faster solvers' planned peak exceeds the memory per rank: ELPA "
                       "1-stage fits",
    .workspace = elpa_workspace,
    .flops = elpa1_flops,
    .solve = elpa1_solve,
    .scale_floor = 1.0,
    .alternative = "pdsyevr or lapack",
    .float32_capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_ALL_PAIRS,
    .solve_float32 = elpa1_solve_float32,
    .float32_available = spectrum_elpa_single_precision,
};
