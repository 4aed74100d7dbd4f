/* What the eigensolve allocates (see spectrum.h): the solver "auto" picks,
 * how many eigenpairs it computes and keeps, and its workspace by the
 * documented ScaLAPACK 2.2.1 formulas. spectrum/solve.c allocates exactly
 * this and plan/plan.c adds it up, so the two cannot drift apart.
 *
 * Every size is for grid process (0, 0), which holds the most rows and
 * columns (numroc with source 0), so it is the largest over the ranks. */
#include "spectrum/spectrum.h"

#include <limits.h>
#include <stdint.h>

#include "spectrum/matrix_free.h"
#include "spectrum/solvers.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int spectrum_have_elpa(void)
{
#ifdef NTK_HAVE_ELPA
    return 1;
#else
    return 0;
#endif
}

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
static void lapack_workspace(int64_t n, int64_t kept, int want_vectors, int64_t *lwork,
                             int64_t *liwork, int64_t *gathered, int64_t *lapack_int)
{
    const int64_t panel = spectrum_redistribution_columns(n), kd = 64;
    *gathered = n * n + n * (panel < n ? panel : n);
    if (!want_vectors) {
        /* No margin here: it was the whole of the gap between plan and the
         * measured peak (200 MiB planned, 131 MiB measured at M = 3000 on 2
         * ranks); only the transfer's message buffer is added. */
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
static int lapack_sizes_fit(int64_t n, int64_t kept, int want_vectors)
{
    int64_t lwork = 0, liwork = 0, gathered = 0, lapack_int = 0;
    lapack_workspace(n, kept, want_vectors, &lwork, &liwork, &gathered, &lapack_int);
    return lapack_int <= INT_MAX;
}

/* The rank-0 bytes of the lapack path (see lapack_workspace). */
static double lapack_bytes(int64_t n, int64_t kept, int want_vectors)
{
    int64_t lwork = 0, liwork = 0, gathered = 0, lapack_int = 0;
    lapack_workspace(n, kept, want_vectors, &lwork, &liwork, &gathered, &lapack_int);
    return 8.0 * (double)(gathered + lwork) + 4.0 * (double)liwork;
}

/* The rule, from bench/eigensolve (README, Performance): N = 4096, Theta of
 * bench/mlp512.yaml, 2 ranks on this 2-core machine while other jobs loaded
 * it (load average 10-14), 3 rounds; seconds of spectrum_solve without the
 * residual check, median (min-max), and numpy (LAPACK dsyevd, 2 threads) in
 * the same rounds:
 *
 *                 all pairs           values only        top 64 pairs
 *   numpy         59.6 (51.3-118.7)   29.8 (24.2-33.8)   (eigh: as all pairs)
 *   lapack        54.4 (44.3-59.8)    25.0 (24.1-25.9)   16.1 (8.8-25.1)
 *   elpa1        102.1 (94.8-102.8)   91.0 (53.7-156.0)  49.9 (13.5-151.6)
 *   elpa (2-st.) 220.7 (1 round)      36.9 (33.0-43.0)   28.1 (26.0-56.0)
 *   pdsyevd/r    300.5 (1 round)      55.7 (31.6-101.2)  34.8 (34.2-37.2)
 *
 * So on one node the gathered LAPACK solve is the fastest for all three.
 * Across nodes the gather would serialise the solve on one node, so the
 * distributed choice: ELPA 1-stage for all pairs (Debian's generic 2-stage
 * back-transformation is slow), ELPA 2-stage for values only and the top k
 * (its band reduction is BLAS-3; only k vectors to back-transform), else
 * ScaLAPACK. */
ntk_solver spectrum_distributed_solver(const ntk_spectrum_spec *spec, const char **reason)
{
    const int all_pairs = spec->vectors && spec->top == 0;
    if (spectrum_have_elpa()) {
        if (reason != NULL)
            *reason = all_pairs ? "ELPA 1-stage for all eigenpairs (the generic 2-stage "
                                  "kernels' back-transformation is slow)"
                                : "ELPA 2-stage for eigenvalues only or the top k";
        return all_pairs ? NTK_SOLVER_ELPA1 : NTK_SOLVER_ELPA;
    }
    /* pdsyevd (divide and conquer) is the faster way to every eigenvector;
     * it cannot compute eigenvalues only or a subset, pdsyevr (MRRR) can. */
    if (reason != NULL)
        *reason = "ScaLAPACK (this ntkgram has no ELPA)";
    return all_pairs ? NTK_SOLVER_PDSYEVD : NTK_SOLVER_PDSYEVR;
}

ntk_solver spectrum_resolve_solver_at(const ntk_spectrum_spec *spec, int64_t matrix_size,
                                      const ntk_solver_site *site, const char **reason)
{
    if (spec->solver != NTK_SOLVER_AUTO) {
        if (reason != NULL)
            *reason = "chosen in spectrum.solver";
        return spec->solver;
    }
    /* Rank 0's share of the node's free memory must hold the gather. */
    const int64_t kept = spectrum_kept_pairs(spec, matrix_size);
    const double share = site->node_free_bytes / (site->ranks > 0 ? site->ranks : 1);
    /* + rank 0's own parts of Theta and of the eigenvectors */
    const double local = 2.0 * 8.0 * (double)matrix_size * (double)matrix_size /
                         (site->ranks > 0 ? site->ranks : 1);
    const int fits = lapack_sizes_fit(matrix_size, kept, spec->vectors) &&
                     (site->node_free_bytes <= 0.0 ||
                      lapack_bytes(matrix_size, kept, spec->vectors) + local <= 0.9 * share);
    if (site->single_node && fits) {
        if (reason != NULL)
            *reason = "all ranks on one node and the gathered matrix fits one rank's share of "
                      "its memory: LAPACK on one rank with the node's cores is fastest there";
        return NTK_SOLVER_LAPACK;
    }
    const ntk_solver solver = spectrum_distributed_solver(spec, NULL);
    /* [several nodes, one node][elpa1, elpa, ScaLAPACK]: constant sentences,
     * since plan keeps the pointer */
    static const char *const sentences[2][3] = {
        {"ranks on several nodes: ELPA 1-stage for all eigenpairs (the generic 2-stage "
         "kernels' back-transformation is slow)",
         "ranks on several nodes: ELPA 2-stage for eigenvalues only or the top k",
         "ranks on several nodes: ScaLAPACK (this ntkgram has no ELPA)"},
        {"the gathered matrix does not fit one rank's memory share: ELPA 1-stage for all "
         "eigenpairs (the generic 2-stage kernels' back-transformation is slow)",
         "the gathered matrix does not fit one rank's memory share: ELPA 2-stage for "
         "eigenvalues only or the top k",
         "the gathered matrix does not fit one rank's memory share: ScaLAPACK (this ntkgram "
         "has no ELPA)"}};
    const int which = solver == NTK_SOLVER_ELPA1 ? 0 : solver == NTK_SOLVER_ELPA ? 1 : 2;
    if (reason != NULL)
        *reason = sentences[site->single_node ? 1 : 0][which];
    return solver;
}

ntk_solver spectrum_resolve_solver(const ntk_spectrum_spec *spec, int64_t matrix_size)
{
    ntk_solver_site site;
    spectrum_site_guess(1, &site);
    return spectrum_resolve_solver_at(spec, matrix_size, &site, NULL);
}

int64_t spectrum_kept_pairs(const ntk_spectrum_spec *spec, int64_t matrix_size)
{
    return spec->top > 0 && spec->top < matrix_size ? spec->top : matrix_size;
}

/* pdsyevr hands PDORMTR (the back-transformation of the eigenvectors) a
 * workspace of its own choosing, SIZE1 = max(18 N, NP00 MQ00 + 2 NB^2) with
 * MQ00 the local columns of the wanted pairs, whatever LWORK the caller
 * gives. PDORMTR needs max(NB (NB-1)/2, (MPC0 + NQC0) NB) + NB^2, with MPC0 <=
 * NP00 and NQC0 <= MQ00. For fewer wanted pairs than a block (MQ00 < NB < NP00)
 * SIZE1 is too small: PDORMTR refuses, pdsyevr returns INFO = 0 and the
 * eigenvectors of the tridiagonal matrix instead of Theta's (issue 7,
 * defect 1). So true when computing `pairs` pairs passes PDORMTR's check. */
static int pdsyevr_back_transform_fits(int64_t n, int64_t pairs, int64_t nb, int rows, int cols)
{
    const int64_t np00 = grid_local_count(n, (int)nb, 0, rows);
    const int64_t mq00 = grid_local_count(pairs, (int)nb, 0, cols);
    const int64_t given = max64(18 * n, np00 * mq00 + 2 * nb * nb);
    const int64_t needed = max64(nb * (nb - 1) / 2, (np00 + mq00) * nb) + nb * nb;
    return given >= needed;
}

static void pdsyevd_workspace(int64_t n, int64_t nb, int rows, int cols,
                              ntk_spectrum_workspace *ws)
{
    /* The documented minimum uses this process's local sizes, but pdstedc's
     * merge steps (pdlaed3) receive other processes' pieces into the same
     * array: a process with few or no local columns overflows it. Sizing it
     * with process (0, 0)'s counts - the largest - is safe. Added to it what
     * pdstedc's pdlasrt and pdormtr need after pdsyevd's 2N, which the
     * documented formula can miss (Reference-ScaLAPACK issue 74). */
    const int64_t np = grid_local_count(n, (int)nb, 0, rows);
    const int64_t nq = grid_local_count(n, (int)nb, 0, cols);
    int64_t lwork = max64(1 + 6 * n + 2 * np * nq, 3 * n + max64(nb * (np + 1), 3 * nb)) + 2 * n;
    lwork = max64(lwork, 2 * n + max64(n, np * (nb + nq)));
    lwork = max64(lwork, 2 * n + (np + nq + nb) * nb + nb * nb);
    ws->lwork = lwork;
    ws->liwork = 7 * n + 8 * (int64_t)cols + 2;
    ws->solved_pairs = n;
    ws->vector_local_cols = nq; /* all M columns until the kept ones are cut */
}

static void pdsyevr_workspace(int64_t n, int64_t nb, int rows, int cols, int want_vectors,
                              ntk_spectrum_workspace *ws)
{
    const int64_t nprocs = (int64_t)rows * cols;
    const int64_t np00 = grid_local_count(n, (int)nb, 0, rows);
    int64_t pairs = ws->kept_pairs;
    if (want_vectors)
        while (pairs < n && !pdsyevr_back_transform_fits(n, pairs, nb, rows, cols))
            ++pairs; /* at most NB steps: NB pairs always fit (see above) */
    ws->solved_pairs = pairs;
    /* pdsyevr's LWMIN; PDSYNTRD (the tridiagonal reduction) gets what is
     * left after the first 5N + 2 entries and needs max(NB (NP+1), 3 NB)
     * of it, which the values-only formula lacks (issue 7, defect 2). */
    const int64_t reduction = max64(nb * (np00 + 1), 3 * nb);
    if (want_vectors) {
        const int64_t mq00 = grid_local_count(pairs, (int)nb, 0, cols);
        ws->lwork = 5 * n + 2 + max64(18 * n, np00 * mq00 + 2 * nb * nb) +
                    ((pairs + nprocs - 1) / nprocs + 2) * n;
    } else {
        ws->lwork = 5 * n + 2 + 12 * n;
    }
    ws->lwork = max64(ws->lwork, 5 * n + 2 + reduction);
    /* For JOBZ = 'N' ScaLAPACK 2.2.1's workspace query asks for far more
     * than the documented minimum: the room PDSYNTRD takes to reduce on a
     * square subgrid of floor(sqrt(P))^2 processes, NPS (NPS + 2 NB + 12) +
     * 5 N + 68 doubles with NPS = ceil(N / floor(sqrt(P))) (the query's
     * answers at N = 1000, 2000, 3000 on 1, 1 x 2 and 2 x 2 grids, NB 64:
     * 4,290,068 against 138,066 documented at N = 2000 on one rank), and the
     * solve allocates what the query answers. lwork stays the documented
     * minimum (the solve passes max(lwork, query), unchanged); plan counts
     * the rest as the library's own, below. */
    int64_t query_extra = 0;
    if (!want_vectors) {
        int64_t square = 1;
        while ((square + 1) * (square + 1) <= nprocs)
            ++square;
        const int64_t nps = (n + square - 1) / square;
        query_extra = max64(nps * (nps + 2 * nb + 12) + 5 * n + 68 - ws->lwork, 0);
    }
    const int64_t nnp = max64(max64(n, nprocs + 1), 4);
    ws->liwork = (want_vectors ? 12 : 10) * nnp + 2 * n;
    /* pdsyevr allocates beyond WORK during its reduction (ScaLAPACK 2.2.1,
     * peak RSS during the call minus the RSS before it and WORK, values only,
     * N = 2000-3000): about one local matrix on a square grid (1 x 1, 2 x 2)
     * and one and a half on a 1 x 2 grid. Without it plan was 0.70 of the
     * measured peak (124 MiB against 178 at N = 3000 on 2 ranks). */
    const int64_t local = np00 * grid_local_count(n, (int)nb, 0, cols);
    ws->internal_doubles = (rows == cols ? local : local + local / 2) + query_extra;
    ws->vector_local_cols = want_vectors ? grid_local_count(pairs, (int)nb, 0, cols) : 0;
}

/* ELPA's own allocations are not documented; this counts the copy of
 * -Theta it overwrites (spectrum_solve keeps -Theta for the residual check)
 * and what it allocated beyond its inputs in bench/eigensolve (N = 4096, 2
 * ranks, one local matrix 64 MiB): peak RSS minus the RSS before the solve,
 * minus the copy and the eigenvectors, was 2.2 local matrices for 1-stage
 * and 2.8 for 2-stage with eigenvectors, and about as much without (ELPA
 * still allocates its eigenvector-sized buffers). So 3 local matrices, and
 * one more in place of the eigenvectors when none are kept. */
static void elpa_workspace(int64_t n, int64_t nb, int rows, int cols, int want_vectors,
                           ntk_spectrum_workspace *ws)
{
    const int64_t np = grid_local_count(n, (int)nb, 0, rows);
    const int64_t nq = grid_local_count(n, (int)nb, 0, cols);
    ws->lwork = (want_vectors ? 4 : 5) * np * nq + 4 * n;
    ws->liwork = 8 * n;
    ws->solved_pairs = ws->kept_pairs;
    /* the eigenvector matrix has ELPA's full local size, cut afterwards */
    ws->vector_local_cols = want_vectors ? nq : 0;
}

int spectrum_elpa_fits(int64_t matrix_size, int block, int grid_rows, int grid_cols)
{
    const int64_t blocks = (matrix_size + block - 1) / block;
    return blocks >= grid_rows && blocks >= grid_cols;
}

void spectrum_workspace_at(const ntk_spectrum_spec *spec, const ntk_solver_site *site,
                           int64_t matrix_size, int grid_rows, int grid_cols, int block,
                           ntk_spectrum_workspace *ws)
{
    *ws = (ntk_spectrum_workspace){0};
    ws->solver = spectrum_resolve_solver_at(spec, matrix_size, site, &ws->reason);
    if ((ws->solver == NTK_SOLVER_ELPA || ws->solver == NTK_SOLVER_ELPA1) &&
        !spectrum_elpa_fits(matrix_size, block, grid_rows, grid_cols)) {
        ws->solver = spec->vectors && spec->top == 0 ? NTK_SOLVER_PDSYEVD : NTK_SOLVER_PDSYEVR;
        ws->reason = "ELPA needs a block of the matrix on every process row and column "
                     "(ELPA_ERROR_DURING_COMPUTATION otherwise), and this matrix has fewer "
                     "blocks than the grid has rows or columns: ScaLAPACK instead";
    }
    ws->kept_pairs = spectrum_kept_pairs(spec, matrix_size);
    const int64_t n = matrix_size, nb = block;
    ws->vector_local_rows = grid_local_count(n, block, 0, grid_rows);
    if (ws->solver == NTK_SOLVER_PDSYEVD) {
        pdsyevd_workspace(n, nb, grid_rows, grid_cols, ws);
    } else if (ws->solver == NTK_SOLVER_PDSYEVR) {
        pdsyevr_workspace(n, nb, grid_rows, grid_cols, spec->vectors, ws);
    } else if (ws->solver == NTK_SOLVER_ELPA || ws->solver == NTK_SOLVER_ELPA1) {
        elpa_workspace(n, nb, grid_rows, grid_cols, spec->vectors, ws);
    } else if (ws->solver == NTK_SOLVER_LAPACK) {
        int64_t lapack_int = 0;
        lapack_workspace(n, ws->kept_pairs, spec->vectors, &ws->lwork, &ws->liwork,
                         &ws->gathered_doubles, &lapack_int);
        ws->solved_pairs = ws->kept_pairs;
        ws->vector_local_cols =
            spec->vectors ? grid_local_count(ws->kept_pairs, block, 0, grid_cols) : 0;
    } else {
        return;
    }
    /* The residual check (spectrum/verify.c) runs after the workspace is
     * freed: a panel of SPECTRUM_CHECK_PANEL_BLOCKS blocks of columns per
     * process (at most the kept pairs) and the saved diagonal. */
    const int64_t panel_cols = grid_local_count(ws->kept_pairs, block, 0, grid_cols);
    const int64_t panel_limit = nb * SPECTRUM_CHECK_PANEL_BLOCKS;
    ws->verify_doubles = ws->vector_local_rows * (panel_cols < panel_limit ? panel_cols : panel_limit) +
                         grid_local_count(n, block, 0, grid_cols);
}

void spectrum_workspace(const ntk_spectrum_spec *spec, int64_t matrix_size, int grid_rows,
                        int grid_cols, int block, ntk_spectrum_workspace *ws)
{
    ntk_solver_site site;
    spectrum_site_guess(grid_rows * grid_cols, &site);
    spectrum_workspace_at(spec, &site, matrix_size, grid_rows, grid_cols, block, ws);
}

double spectrum_workspace_bytes(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    if (ws->solver == NTK_SOLVER_AUTO || ws->solver == NTK_SOLVER_NONE)
        return 0.0;
    /* the lapack path's gathered matrix lives on rank 0 beside its workspace */
    const double solver = ((double)ws->lwork + (double)ws->gathered_doubles +
                           (double)ws->internal_doubles) * sizeof(double) +
                          (double)ws->liwork * sizeof(int);
    const double verify = (double)ws->verify_doubles * sizeof(double);
    /* + the eigenvalues, M doubles on every rank, which outlive both */
    return (solver > verify ? solver : verify) + (double)matrix_size * sizeof(double);
}

double spectrum_vector_bytes(const ntk_spectrum_workspace *ws)
{
    return (double)ws->vector_local_rows * (double)ws->vector_local_cols * sizeof(double);
}

double spectrum_solver_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    const double m = (double)matrix_size;
    const int vectors = ws->vector_local_cols > 0;
    const double reduction = 4.0 / 3.0 * m * m * m;
    switch (ws->solver) {
    case NTK_SOLVER_PDSYEVD: /* reduction 4/3 M^3, divide and conquer + back-transform 4 M^3 */
        return (4.0 / 3.0 + 4.0) * m * m * m;
    case NTK_SOLVER_PDSYEVR: /* reduction, and back-transforming the pairs solved */
        return reduction + (vectors ? 2.0 * m * m * (double)ws->solved_pairs : 0.0);
    case NTK_SOLVER_ELPA1: /* as pdsyevd: D&C merges, back-transformation of the pairs kept */
        return reduction + (vectors ? 4.0 / 3.0 * m * m * m + 2.0 * m * m * (double)ws->solved_pairs
                                    : 0.0);
    case NTK_SOLVER_ELPA: /* band and tridiagonal reductions; two back-transformations */
        return reduction + (vectors ? 4.0 * m * m * (double)ws->solved_pairs : 0.0);
    case NTK_SOLVER_LAPACK: /* dsytrd; all pairs: dsyevd as pdsyevd; top k: dsyevr's k */
        if (vectors && ws->solved_pairs >= matrix_size)
            return (4.0 / 3.0 + 4.0) * m * m * m;
        return reduction + (vectors ? 2.0 * m * m * (double)ws->solved_pairs : 0.0);
    default:
        return 0.0;
    }
}

double spectrum_check_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    /* whenever eigenvectors exist (pdsyevd always computes them) */
    const int vectors = ws->solver == NTK_SOLVER_PDSYEVD ||
                        (ws->solver != NTK_SOLVER_NONE && ws->vector_local_cols > 0);
    const double m = (double)matrix_size, pairs = (double)ws->kept_pairs;
    const double p = SPECTRUM_CHECK_PROBES;
    if (!vectors)
        return 0.0;
    /* verify.c: the exact residual (one PDSYMM over the kept pairs) or p
     * probes (Theta times p vectors, three M x m x p products); the
     * orthogonality probes (two of those products) in both */
    if (spectrum_check_uses_probes(matrix_size, ws->kept_pairs))
        return 2.0 * m * m * p + 6.0 * m * pairs * p;
    return 2.0 * m * m * pairs + 4.0 * m * pairs * p;
}

/* spectrum.solver matrix_free (spectrum/matrix_free_*.c), in doubles:
 *   features  stored: own x (the batched pass's buffers + k outputs);
 *             recompute: one batch of MF_BATCH_INPUTS of them
 *   solver    PARPACK: basis ncv x rows, resid and workd 4 x rows, workl
 *             ncv (ncv + 8); the Ritz vectors rows x (ncv + 1); the check's
 *             product block rows x MF_CHECK_COLUMNS; parameter buffers
 *             MF_CHECK_COLUMNS x channels x P; per pass (a batch of
 *             MF_BATCH_INPUTS inputs) weights, partial products
 *             (2 x inputs x k) and scratch (inputs x the widest
 *             output of a layer with parameters); what a layer's product
 *             allocates per call for a pass's inputs (conv: patch
 *             matrices, at most 32 MiB)
 *   vectors   the M x top block-cyclic matrix of process (0, 0), and the
 *             exchange that fills it (2 x rows x top)
 * with rows = own (trace) or own k (full). Flops, all ranks: a product is
 * J^T v and J g, the layers' product_flops multiply-adds per input and
 * channel (channels = k for the trace kernel, 1 for the full one; about 2 P
 * for dense layers, 2 P_l x positions for a conv layer's weights, shared
 * over its positions), plus, when recomputing, the
 * forward/backward pass twice. Products: PARPACK's first ncv, then
 * (ncv - top) per restart; on NTK spectra (fast decay) it converged to
 * 1e-10 in 1-2 restarts in our measurements (README: top 10 and 100, N up to
 * 20,000); the estimate allows MF_RESTARTS_ESTIMATE, erring long like the rest of plan; plus the
 * check's: top for the exact one, SPECTRUM_CHECK_PROBES for the probes
 * (spectrum.pair_check, mf_pair_check_uses_probes), whose 2 x rows x
 * probes doubles of scratch stay within the exact check's block. */
enum { MF_RESTARTS_ESTIMATE = 4 };

void spectrum_matrix_free_costs(const ntk_spectrum_spec *spec, int stored, int64_t matrix_size,
                                int64_t own_inputs, int k, int full, int64_t n_params,
                                const model_costs *model, int grid_rows, int grid_cols, int block,
                                mf_costs *costs)
{
    const double feature_doubles = model->feature_doubles;
    const double forward_flops = model->forward_flops, backward_flops = model->backward_flops;
    *costs = (mf_costs){0};
    const int64_t top = spec->top > 0 ? spec->top : 1;
    const double rows = (double)own_inputs * (full ? k : 1);
    const double channels = full ? 1.0 : (double)k;
    const double batch = (double)(own_inputs < MF_BATCH_INPUTS ? own_inputs : MF_BATCH_INPUTS);
    const double per_input = feature_doubles + (double)k;
    const int64_t ncv = mf_basis_size(top, matrix_size);
    /* A product's passes take a batch of inputs, stored or recomputed. */
    double product_scratch = batch * model->product_scratch_doubles;
    if (product_scratch > model->product_scratch_limit)
        product_scratch = model->product_scratch_limit;
    costs->stored = stored;
    costs->basis_size = ncv;
    costs->feature_bytes = (stored ? (double)own_inputs : batch) * per_input * sizeof(double);
    costs->solver_bytes =
        (rows * (double)ncv + 4.0 * rows + (double)ncv * (double)(ncv + 8) +
         rows * (double)(ncv + 1) + rows * MF_CHECK_COLUMNS +
         MF_CHECK_COLUMNS * channels * (double)n_params + 2.0 * batch * k +
         batch * (double)model->product_width + product_scratch) *
        sizeof(double);
    costs->vector_bytes = ((double)grid_local_count(matrix_size, block, 0, grid_rows) *
                               (double)grid_local_count(top, block, 0, grid_cols) +
                           2.0 * rows * (double)top) *
                          sizeof(double);
    const double n = (double)(matrix_size / (full ? k : 1));
    costs->product_flops = 2.0 * n * channels * model->product_flops;
    if (!stored)
        costs->product_flops += 2.0 * 2.0 * n * (forward_flops + (double)k * backward_flops);
    costs->products_estimate =
        (double)ncv + (double)MF_RESTARTS_ESTIMATE * (double)(ncv - top) +
        (mf_pair_check_uses_probes(spec->pair_check, top) ? (double)SPECTRUM_CHECK_PROBES
                                                           : (double)top);
}
