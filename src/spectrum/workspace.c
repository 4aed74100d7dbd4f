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
#include <stdio.h>

#include "spectrum/eigensolver.h"
#include "spectrum/parpack/matrix_free.h"
#include "spectrum/solvers.h"

int spectrum_have_elpa(void)
{
#ifdef NTK_HAVE_ELPA
    return 1;
#else
    return 0;
#endif
}

/* The rule, from bench/eigensolve (docs/performance.md, Performance): N = 4096, Theta of
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
/* The size the measured seconds are for, and the top k of their top-k kind. */
enum { MEASURED_SIZE = 4096, MEASURED_TOP = 64, NOMINAL_BLOCK = 64 };

/* The flops `ops` states for `spec` at M, from its workspace on a nominal
 * 1 x 1 grid (the flops depend only on the pairs solved and whether
 * eigenvectors are computed, not on the layout). */
static double flops_at(const ntk_eigensolver_ops *ops, const ntk_spectrum_spec *spec,
                       int64_t matrix_size)
{
    const ntk_solver_site site = {0};
    const eigensolver_request request = {spec, matrix_size, 1, 1, NOMINAL_BLOCK, &site};
    ntk_spectrum_workspace ws = {0};
    ws.solver = ops->id;
    ws.kept_pairs = spectrum_kept_pairs(spec, matrix_size);
    ws.vector_local_rows = matrix_size;
    ops->workspace(&request, &ws);
    return ops->flops(&ws, matrix_size);
}

/* auto's estimate of the solve's seconds at M: the measured seconds of the
 * request's kind times the ratio of the flops the table states at M to
 * those at the measured size, i.e. the flops at the rate each solver was
 * measured to sustain. At M = 4096 (and the top 64) it is the measurement;
 * for all pairs and values only every solver's flops grow as M^3, so the
 * ranking is the measured one at every M; for the top k the back-
 * transformation's M^2 k weighs by solver. M 0 (unknown): the measurement. */
static double estimated_seconds(const ntk_eigensolver_ops *ops, const ntk_spectrum_spec *spec,
                                int64_t matrix_size)
{
    const eigensolver_kind kind = eigensolver_request_kind(spec, matrix_size);
    const double measured = ops->measured_seconds[kind];
    if (measured <= 0.0 || matrix_size <= 0 || ops->workspace == NULL || ops->flops == NULL)
        return measured;
    ntk_spectrum_spec reference = *spec;
    reference.vectors = kind != EIGENSOLVER_KIND_VALUES;
    reference.top = kind == EIGENSOLVER_KIND_TOP_K ? MEASURED_TOP : 0;
    const double at_measured = flops_at(ops, &reference, MEASURED_SIZE);
    const double here = flops_at(ops, spec, matrix_size);
    return at_measured > 0.0 && here > 0.0 ? measured * here / at_measured : measured;
}

/* The registry's solvers that can do what `spec` asks, fastest first for
 * its kind at M by estimated_seconds (0 measured seconds: not ranked).
 * Returns how many. */
static int ranked_solvers(const ntk_spectrum_spec *spec, int64_t matrix_size,
                          const ntk_eigensolver_ops *ranked[])
{
    double seconds[EIGENSOLVER_MAX];
    int count = 0;
    for (int i = 0; i < eigensolver_count(); ++i) {
        const ntk_eigensolver_ops *ops = eigensolver_at(i);
        const double estimate = estimated_seconds(ops, spec, matrix_size);
        if (estimate <= 0.0 || !eigensolver_capable(ops, spec, matrix_size))
            continue;
        int at = count++;
        while (at > 0 && seconds[at - 1] > estimate) {
            ranked[at] = ranked[at - 1];
            seconds[at] = seconds[at - 1];
            --at;
        }
        ranked[at] = ops;
        seconds[at] = estimate;
    }
    return count;
}

/* "<why the faster one declined>: <the sentence of the one picked>",
 * composed once and kept (plan keeps the pointer). */
static const char *joined_reason(const char *declined, const char *sentence)
{
    enum { SLOTS = 32, LENGTH = 320 };
    static struct {
        const char *declined, *sentence;
        char text[LENGTH];
    } slots[SLOTS];
    static int used = 0;
    for (int i = 0; i < used; ++i)
        if (slots[i].declined == declined && slots[i].sentence == sentence)
            return slots[i].text;
    if (used == SLOTS)
        return sentence;
    slots[used].declined = declined;
    slots[used].sentence = sentence;
    snprintf(slots[used].text, LENGTH, "%s: %s", declined, sentence);
    return slots[used++].text;
}

ntk_solver spectrum_distributed_solver(const ntk_spectrum_spec *spec, const char **reason)
{
    const ntk_eigensolver_ops *ranked[EIGENSOLVER_MAX];
    const int count = ranked_solvers(spec, 0, ranked);
    for (int i = 0; i < count; ++i)
        if (ranked[i]->capabilities & EIGENSOLVER_SEVERAL_NODES) {
            if (reason != NULL)
                *reason = ranked[i]->auto_sentence;
            return ranked[i]->id;
        }
    if (reason != NULL)
        *reason = "no solver can compute this";
    return NTK_SOLVER_PDSYEVD;
}

ntk_solver spectrum_resolve_solver_at(const ntk_spectrum_spec *spec, int64_t matrix_size,
                                      const ntk_solver_site *site, const char **reason)
{
    if (spec->solver != NTK_SOLVER_AUTO) {
        if (reason != NULL)
            *reason = "chosen in spectrum.solver";
        return spec->solver;
    }
    /* The fastest solver whose site check passes (lapack: one node, and
     * rank 0's share of its memory holds the gather). */
    const eigensolver_request request = {spec, matrix_size, 0, 0, 0, site};
    const ntk_eigensolver_ops *ranked[EIGENSOLVER_MAX];
    const int count = ranked_solvers(spec, matrix_size, ranked);
    const char *declined = NULL;
    for (int i = 0; i < count; ++i) {
        const char *why = ranked[i]->site_declines ? ranked[i]->site_declines(&request) : NULL;
        if (why != NULL) {
            if (declined == NULL)
                declined = why;
            continue;
        }
        if (reason != NULL)
            *reason = declined != NULL ? joined_reason(declined, ranked[i]->auto_sentence)
                                       : ranked[i]->auto_sentence;
        return ranked[i]->id;
    }
    if (reason != NULL)
        *reason = "no solver can compute this";
    return NTK_SOLVER_PDSYEVD;
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

/* The workspace of `ops` for the request (no layout fallback). */
static void workspace_of(const ntk_eigensolver_ops *ops, const eigensolver_request *request,
                         ntk_spectrum_workspace *ws)
{
    const ntk_spectrum_spec *spec = request->spec;
    const int64_t n = request->matrix_size, nb = request->block;
    const int block = request->block, grid_cols = request->grid_cols;
    ws->solver = ops->id;
    ws->single = spec->float32;
    ws->kept_pairs = spectrum_kept_pairs(spec, n);
    ws->vector_local_rows = grid_local_count(n, block, 0, request->grid_rows);
    ops->workspace(request, ws);
    /* The residual check (spectrum/verify.c) runs after the workspace is
     * freed: a panel of SPECTRUM_CHECK_PANEL_BLOCKS blocks of columns per
     * process (at most the kept pairs) and the saved diagonal. */
    const int64_t panel_cols = grid_local_count(ws->kept_pairs, block, 0, grid_cols);
    const int64_t panel_limit = nb * SPECTRUM_CHECK_PANEL_BLOCKS;
    ws->verify_doubles = ws->vector_local_rows * (panel_cols < panel_limit ? panel_cols : panel_limit) +
                         grid_local_count(n, block, 0, grid_cols);
}

/* The solve phase's bytes on grid process (0, 0) with this workspace. */
static double planned_peak(const ntk_solver_site *site, const ntk_spectrum_workspace *ws,
                           int64_t matrix_size)
{
    return site->bytes_besides_solver + spectrum_vector_bytes(ws) +
           spectrum_workspace_bytes(ws, matrix_size);
}

void spectrum_workspace_at(const ntk_spectrum_spec *spec, const ntk_solver_site *site,
                           int64_t matrix_size, int grid_rows, int grid_cols, int block,
                           ntk_spectrum_workspace *ws)
{
    *ws = (ntk_spectrum_workspace){0};
    const char *reason = NULL;
    const ntk_solver solver = spectrum_resolve_solver_at(spec, matrix_size, site, &reason);
    const eigensolver_request request = {spec,      matrix_size, grid_rows,
                                         grid_cols, block,       site};
    const ntk_eigensolver_ops *ops = eigensolver_find(solver);
    if (ops == NULL || ops->workspace == NULL) { /* none, matrix_free */
        ws->solver = solver;
        ws->reason = reason;
        return;
    }
    const ntk_eigensolver_ops *ranked[EIGENSOLVER_MAX];
    const int count = ranked_solvers(spec, matrix_size, ranked);
    /* A layout the solver cannot run on (ELPA without a block on every
     * process row and column): the fastest distributed solver that can. */
    const char *unfit = ops->unfit != NULL ? ops->unfit(&request) : NULL;
    if (unfit != NULL) {
        reason = unfit;
        for (int i = 0; i < count; ++i)
            if ((ranked[i]->capabilities & EIGENSOLVER_OWN_LAYOUT) &&
                (ranked[i]->unfit == NULL || ranked[i]->unfit(&request) == NULL)) {
                ops = ranked[i];
                break;
            }
    }
    workspace_of(ops, &request, ws);
    ws->reason = reason;
    /* auto with a memory limit: never a solver whose planned peak exceeds
     * it while a slower one fits (none fits: the fastest, and plan refuses
     * the job with its numbers). */
    if (spec->solver != NTK_SOLVER_AUTO || site->bytes_per_rank <= 0.0 ||
        planned_peak(site, ws, matrix_size) <= site->bytes_per_rank)
        return;
    for (int i = 0; i < count; ++i) {
        if ((ranked[i]->site_declines != NULL && ranked[i]->site_declines(&request) != NULL) ||
            (ranked[i]->unfit != NULL && ranked[i]->unfit(&request) != NULL))
            continue;
        ntk_spectrum_workspace candidate = {0};
        workspace_of(ranked[i], &request, &candidate);
        if (planned_peak(site, &candidate, matrix_size) <= site->bytes_per_rank) {
            *ws = candidate;
            ws->reason = ranked[i]->memory_sentence;
            return;
        }
    }
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
    /* float32: the entries, the REAL workspace and the check's probes in
     * floats (the integer workspace is the same) */
    const double entry = ws->single ? sizeof(float) : sizeof(double);
    /* the lapack path's gathered matrix lives on rank 0 beside its workspace */
    const double solver = ((double)ws->lwork + (double)ws->gathered_doubles +
                           (double)ws->internal_doubles) * entry +
                          (double)ws->liwork * sizeof(int);
    const double verify = (double)ws->verify_doubles * entry;
    /* + the eigenvalues, M doubles on every rank, which outlive both */
    return (solver > verify ? solver : verify) + (double)matrix_size * sizeof(double);
}

double spectrum_vector_bytes(const ntk_spectrum_workspace *ws)
{
    return (double)ws->vector_local_rows * (double)ws->vector_local_cols *
           (ws->single ? sizeof(float) : sizeof(double));
}

double spectrum_solver_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    const ntk_eigensolver_ops *ops = eigensolver_find(ws->solver);
    return ops != NULL && ops->flops != NULL ? ops->flops(ws, matrix_size) : 0.0;
}

double spectrum_check_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    /* whenever eigenvectors exist (pdsyevd always computes them) */
    const int vectors = eigensolver_has(ws->solver, EIGENSOLVER_ALWAYS_VECTORS) ||
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

/* spectrum.solver matrix_free (spectrum/parpack/matrix_free_*.c), in doubles:
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
    /* vectors: false keeps the Ritz vectors in the solver's block only */
    costs->vector_bytes = spec->vectors ? ((double)grid_local_count(matrix_size, block, 0,
                                                                     grid_rows) *
                                               (double)grid_local_count(top, block, 0, grid_cols) +
                                           2.0 * rows * (double)top) *
                                              sizeof(double)
                                        : 0.0;
    const double n = (double)(matrix_size / (full ? k : 1));
    costs->product_flops = 2.0 * n * channels * model->product_flops;
    if (!stored)
        costs->product_flops += 2.0 * 2.0 * n * (forward_flops + (double)k * backward_flops);
    costs->products_estimate =
        (double)ncv + (double)MF_RESTARTS_ESTIMATE * (double)(ncv - top) +
        (mf_pair_check_uses_probes(spec->pair_check, top) ? (double)SPECTRUM_CHECK_PROBES
                                                           : (double)top);
}
