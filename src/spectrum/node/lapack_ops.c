/* spectrum.solver lapack (see spectrum/eigensolver.h): the gather to rank
 * 0 and LAPACK there (gather_lapack.c, node_eigen.c; float32:
 * gather_ssyevd.c), its rank-0
 * allocations, flops, when auto declines it, and its ops table. */
#include "spectrum/eigensolver.h"

#include <limits.h>

#include "spectrum/solvers.h"

/* Bytes grid rank 0 adds for spectrum.solver lapack (node_eigen.c): the
 * whole matrix, an allowance for the transfer (node_transfer.c's message
 * buffer is at most 8 MiB; the allowance, about the matrix again up to the
 * 1 GiB panel, is what PDGEMR2D took before and is kept as margin: measured
 * peak 606 MiB against 658 planned for all pairs at M = 4096), and
 *   values only: the band of the two-stage reduction ((2 kd + 1) M, kd 64),
 *     dsytrd_sy2sb's workspace (2 kd (M + kd), its query's answer), the
 *     tridiagonal matrix and reflector factors (2M), and each bulge-chasing
 *     thread's vectors (4M, allowed for 16 threads);
 *   all pairs: the eigenvectors (M^2) beside dstedc's workspace
 *     (1 + 4M + M^2, and 6 + 10M integers for the split divide and
 *     conquer, tridiagonal_split.c) and the tridiagonal matrix (2M);
 *   the top k: dsyevr's M x k eigenvectors and 26M + 10M workspace.
 * `*lapack_int` is the largest count one LAPACK call takes as a 32-bit
 * integer. */
static void lapack_workspace(int64_t n, int64_t kept, int want_vectors, int single,
                             int64_t *lwork, int64_t *liwork, int64_t *gathered,
                             int64_t *lapack_int)
{
    const int64_t panel = spectrum_redistribution_columns(n), kd = 64;
    if (single) {
        /* kernel.precision float32 (gather_ssyevd.c), in floats: the
         * gathered matrix, which becomes the eigenvectors, and a transfer
         * message (at most 2^20 entries, node_transfer.c); ssyevd's
         * documented workspace */
        const int64_t message = (int64_t)1 << 20;
        *gathered = n * n + (n * n < message ? n * n : message);
        *lwork = want_vectors ? 1 + 6 * n + 2 * n * n : 2 * n + 1;
        *liwork = want_vectors ? 3 + 5 * n : 1;
        *lapack_int = *lwork;
        return;
    }
    *gathered = n * n + n * (panel < n ? panel : n);
    if (!want_vectors) {
        /* Values only: no margin beyond the transfer's message buffer (the
         * margin was the whole gap between plan and the measured peak). */
        const int64_t message = (int64_t)1 << 20;
        *gathered = n * n + (n > message ? n : message);
        *lwork = (2 * kd + 1) * n + 2 * kd * (n + kd) + 2 * n + 16 * 4 * n;
        *liwork = n;
        *lapack_int = 2 * kd * (n + kd);
    } else if (kept >= n) {
        *lwork = 1 + 6 * n + 2 * n * n;
        *liwork = 6 + 10 * n;
        *lapack_int = 1 + 4 * n + n * n;
    } else {
        *gathered += n * kept;
        *lwork = 26 * n;
        *liwork = 10 * n;
        *lapack_int = 26 * n;
    }
}

/* LAPACK's sizes are 32-bit: for all pairs dstedc's workspace 1 + 4M + M^2
 * reaches 2^31 at M = 46339, where node_eigen.c refuses; auto then does not
 * pick lapack. */
static int lapack_sizes_fit(int64_t n, int64_t kept, int want_vectors, int single)
{
    int64_t lwork = 0, liwork = 0, gathered = 0, lapack_int = 0;
    lapack_workspace(n, kept, want_vectors, single, &lwork, &liwork, &gathered, &lapack_int);
    return lapack_int <= INT_MAX;
}

/* The rank-0 bytes of the lapack path (see lapack_workspace). */
static double lapack_bytes(int64_t n, int64_t kept, int want_vectors, int single)
{
    int64_t lwork = 0, liwork = 0, gathered = 0, lapack_int = 0;
    lapack_workspace(n, kept, want_vectors, single, &lwork, &liwork, &gathered, &lapack_int);
    return (single ? 4.0 : 8.0) * (double)(gathered + lwork) + 4.0 * (double)liwork;
}


static void lapack_solver_workspace(const eigensolver_request *request,
                                    ntk_spectrum_workspace *ws)
{
    int64_t lapack_int = 0;
    lapack_workspace(request->matrix_size, ws->kept_pairs, request->spec->vectors,
                     request->spec->float32, &ws->lwork, &ws->liwork, &ws->gathered_doubles,
                     &lapack_int);
    ws->solved_pairs = ws->kept_pairs;
    /* values only: dsterf solves the whole tridiagonal; dsyevr the top k */
    ws->solved_values = request->spec->vectors ? ws->kept_pairs : request->matrix_size;
    ws->vector_local_cols = request->spec->vectors ? grid_local_count(ws->kept_pairs,
                                                                      request->block, 0,
                                                                      request->grid_cols)
                                                   : 0;
}

/* auto takes the gather only on one node and when rank 0's share of the
 * node's free memory holds it (plus rank 0's own parts of Theta and of the
 * eigenvectors). */
static const char *lapack_site_declines(const eigensolver_request *request)
{
    const ntk_solver_site *site = request->site;
    const int64_t n = request->matrix_size;
    const int64_t kept = spectrum_kept_pairs(request->spec, n);
    if (!site->single_node)
        return "ranks on several nodes";
    const int single = request->spec->float32;
    const double share = site->node_free_bytes / (site->ranks > 0 ? site->ranks : 1);
    const double local = 2.0 * (single ? 4.0 : 8.0) * (double)n * (double)n /
                         (site->ranks > 0 ? site->ranks : 1);
    const int fits = lapack_sizes_fit(n, kept, request->spec->vectors, single) &&
                     (site->node_free_bytes <= 0.0 ||
                      lapack_bytes(n, kept, request->spec->vectors, single) + local <= 0.9 * share);
    return fits ? NULL : "the gathered matrix does not fit one rank's memory share";
}

static ntk_status lapack_solve(const eigensolver_call *call)
{
    return spectrum_solve_lapack(call->grid, call->workspace->kept_pairs, call->minus_theta,
                                 call->w, call->vectors, call->detail, call->detail_size);
}

static ntk_status lapack_solve_float32(const eigensolver_float32_call *call)
{
    return spectrum_solve_lapack_float32(call->grid, call->minus_theta, call->w, call->vectors,
                                         call->detail, call->detail_size);
}

/* dsytrd; all pairs: dsyevd as pdsyevd; top k: dsyevr's k */
static double lapack_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    const double m = (double)matrix_size;
    const int vectors = ws->vector_local_cols > 0;
    if (vectors && ws->solved_pairs >= matrix_size)
        return (4.0 / 3.0 + 4.0) * m * m * m;
    return 4.0 / 3.0 * m * m * m + (vectors ? 2.0 * m * m * (double)ws->solved_pairs : 0.0);
}

/* Seconds: spectrum/workspace.c's table (N = 4096, 2 ranks on one node). */
const ntk_eigensolver_ops spectrum_lapack_ops = {
    .id = NTK_SOLVER_LAPACK,
    .name = "lapack",
    .family = "node",
    .capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_TOP_K |
                    EIGENSOLVER_ALL_PAIRS | EIGENSOLVER_ASSEMBLED | EIGENSOLVER_SCALES_ITSELF |
                    EIGENSOLVER_READS_ONLY,
    .measured_seconds = {54.4, 25.0, 16.1},
    .site_declines = lapack_site_declines,
    .auto_sentence = "all ranks on one node and the gathered matrix fits one rank's share of "
                     "its memory: LAPACK on one rank with the node's cores is fastest there",
    .memory_sentence = "the planned peak of the faster solvers exceeds the memory per rank: "
                       "LAPACK on one rank fits",
    .workspace = lapack_solver_workspace,
    .flops = lapack_flops,
    .solve = lapack_solve,
    .alternative = "pdsyevr",
    .float32_capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_ALL_PAIRS,
    .solve_float32 = lapack_solve_float32,
};
