/* Sizing a job (see plan.h): memory per rank per phase, flops per phase, the
 * grid, whether it fits and the fewest ranks that make it fit.
 *
 * Memory follows what the run allocates, rank by rank, for the rank that
 * holds the most (process coordinate 0 of each grid dimension, own-block part
 * 0). Sizes in doubles:
 *   inputs    own block N/P x d, own targets N/P x k, the residual N x k that
 *             every rank keeps (pipeline/inputs.c)
 *   model     all parameters, on every rank
 *   theta     local rows x local cols of the M x M block-cyclic matrix
 *   features  (structured, plan_structured) with W the packed feature width
 *             per input (dense: n_{l-1} + k n_l; conv: k (C D + C) or the
 *             pairwise packing) and U the items behind local rows, local
 *             columns and the own block (one shared set), after the chunk
 *             decision (kernel.h, kernel_structured_chunking: W_res the layers
 *             kept whole, W_c the widest pass of a chunked layer), the larger of
 *             whole layers  U x W_res + the larger of (forward, tiles at W_res)
 *             chunk passes  U x W_c + the larger of (forward, tiles at W_c)
 *             with forward  one batch of model_features_reserve's buffers, the
 *                           layers' bounded pass scratch (conv patches, 32 MiB)
 *                           and one input's Jacobian-block scratch;
 *                  tiles    2 x chunk x panel Grams + copies x width (copies:
 *                           the row chunk where local rows are not a run of
 *                           the set, the panel likewise for columns) (+ (chunk
 *                           + panel) x the widest per-logit width, full),
 *             chunk = min(1024, local rows), panel = 256 columns rounded to
 *             blocks (kernel/structured_tiles.c);
 *             (jacobian) Jacobian rows of the local rows and cols x chunk;
 *             (analytic) the inputs of the local rows and cols and a
 *             pair cache of local rows x (block + 2)
 *   vectors   the eigenvector matrix: same layout as theta (all pairs) or
 *             M x the pairs pdsyevr computes (spectrum/workspace.c)
 *   solver    the eigensolver's workspace and eigenvalues as
 *             spectrum_workspace() states them (spectrum/workspace.c has
 *             the ScaLAPACK formulas)
 *   output    modes arrays (rates, factors, energies: 5 m) on every rank
 *   baseline  the process itself: MPI, BLAS and ScaLAPACK libraries and
 *             their buffers, PLAN_BASELINE_BYTES, measured on a tiny job
 *             (tests/plan/plan_memory.sh prints it)
 * The phases and what coexists in them:
 *   assembly  baseline + inputs + model + theta (+ its copy) + features
 *   diagnostics (before the eigensolve; plan_diagnostics.c)
 *             baseline + inputs + model + theta (+ copy) + the measured
 *             learning curve's or compare_weights' own matrices
 *   solve     baseline + inputs + model + theta (+ copy) + vectors + solver
 *   output    baseline + inputs + model (+ theta copy) + vectors + output
 * and the peak is the largest of them.
 *
 * Two ways the estimate runs high, both on purpose (a scheduler that kills a
 * job for memory is worse than one that reserves a little too much): Theta
 * is counted in every assembly stage, although a fresh run touches its
 * (calloc'd) pages only when tiles are filled - a resumed run loads it first;
 * and the pdsyevd workspace is counted as allocated (2 NP NQ), while the
 * solver touches about 1.1 to 1.5 NP NQ of it. Measured: theta-dominated
 * jobs within 3% of the peak RSS, solver-dominated ones 15-22% above it.
 *
 * Flops (all ranks together, a multiply-add counted as 2):
 *   features  structured: N (2 sum_l n_l n_{l-1} forward + 2 k sum_{l>=2} n_l n_{l-1}
 *             backward + 2 x the conv Jacobian blocks), plus per chunk pass
 *             N (2 forward + 2 k x the backward flops above its layer);
 *             jacobian: the same plus N k P_params for the rows
 *   assembly  structured: per layer a cotangent Gram and an input Gram over the
 *             filled part of the M x M matrix: 2 f M^2 (w_cot + n_{l-1}), with
 *             w_cot = k n_l (trace, rows are inputs) or n_l (full), f = the
 *             fraction of blocks on or below the diagonal (about 1/2);
 *             jacobian: 2 f M^2 P_params; analytic: f M^2 x the per-pair cost
 *   solver    as spectrum_solver_flops() states them (spectrum/workspace.c)
 *   check     the eigenpair residual check, spectrum_check_flops()
 * The time estimate divides these by sustained per-rank rates (below), which
 * are deliberately conservative: slurm/submit multiplies it by a safety
 * factor and keeps a floor.
 */
#include "plan/plan.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"

#include "grid/grid.h"
#include "kernel/analytic.h"
#include "kernel/kernel.h"
#include "spectrum/parpack/matrix_free.h"
#include "spectrum/spectrum.h"
#include "model/branch.h"
#include "model/model.h"
#include "model/single_passes.h"
#include "model/weights.h"

/* Resident memory of an ntkgram process before it allocates any job data:
 * Open MPI, OpenBLAS (one thread), BLACS/ScaLAPACK and libyaml. Measured as
 * the peak RSS of a 64-input job with an eigensolve on the reference machine
 * (Debian 12, Open MPI 4.1, OpenBLAS 0.3.21): 16.5 MiB per rank under mpirun,
 * 19.6 MiB as a single process; tests/plan/plan_memory.sh prints it. */
/* Layer i's nested path ("model.layers[2].residual.body[0].dense") when
 * the model has blocks, whose flat list numbers layers otherwise than the
 * job; "" otherwise (plan then names layers by their index, as always). */
static void plan_nested_key(const ntk_model_spec *spec, int i, char *key, size_t size)
{
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0;
    key[0] = '\0';
    model_spec_layers(spec, list, &count);
    if (i < count && model_stack_has_branch_specs(list, count))
        model_layer_key(list, i, key, size);
}

static const double PLAN_BASELINE_BYTES = 18.0 * 1048576.0;

/* Sustained rates per rank, flop/s: DGEMM-bound phases (features, tiles),
 * the eigensolver (half of its reduction is matrix-vector bound) and the
 * analytic kernel's scalar per-pair formulas. They are about half of what
 * bench/run measures on the reference machine (a quarter for the solver,
 * whose efficiency falls as ranks grow; the measurements are in
 * docs/design.md, "The plan's time estimate"), so the estimate errs long;
 * slurm/submit adds its own safety factor. */
static const double PLAN_RATE_GEMM = 15.0e9;
static const double PLAN_RATE_SOLVER = 6.0e9;
static const double PLAN_RATE_SCALAR = 0.5e9;
/* The spatial recursion of conv nets (window maps and activations over
 * pairs of positions, vectorised; bench/cntk/run measures it), per flop of
 * analytic_spatial_plan's count. */
static const double PLAN_RATE_SPATIAL = 1.0e9;
/* Writing theta.npy / eigenvectors.npy and reading inputs: bytes/s for the job. */
static const double PLAN_RATE_IO = 200.0e6;
/* Start-up, MPI wire-up, model creation. */
static const double PLAN_FIXED_SECONDS = 2.0;

static const double DOUBLE_BYTES = 8.0;

/* kernel.precision float32 stores Theta, the eigenvectors and the solver's
 * REAL workspace in 4-byte floats, and mixed and float32 keep the feature
 * vectors as floats (two to a double of the item set). The float32 rate
 * factor, for the assembly's products and the float32 eigensolve alike, is
 * the smaller of the two gains bench/precision measured on AVX2 kernels
 * (docs/performance.md, "Precision"), rounded down with a margin: parts of
 * the passes stay float64 (norm layers, activations), and the gain is the
 * CPU's float32 rate, which varies with its vector units. */
static const double FLOAT_BYTES = 4.0;
static const double PLAN_FLOAT32_SPEEDUP = 1.5;

static int plan_float32(const ntk_plan_config *config)
{
    return config->kernel->precision == NTK_PRECISION_FLOAT32;
}

/* Bytes per entry of Theta and the eigenvectors. */
static double plan_matrix_bytes(const ntk_plan_config *config)
{
    return plan_float32(config) ? FLOAT_BYTES : DOUBLE_BYTES;
}

/* The sustained per-rank rate of the assembly's flops. */
static double plan_assembly_rate(const ntk_plan_config *config, const ntk_plan *plan)
{
    if (config->kernel->kind != NTK_KIND_ANALYTIC)
        return PLAN_RATE_GEMM;
    return plan->n_analytic_layers > 0 ? PLAN_RATE_SPATIAL : PLAN_RATE_SCALAR;
}

/* Items (inputs) behind the local rows of process coordinate `proc`: matrix
 * index i belongs to item i / per_item. Counted exactly, block by block. */
static int64_t plan_local_items(int64_t matrix_size, int64_t per_item, int block, int proc,
                                int nprocs)
{
    if (per_item == 1)
        return grid_local_count(matrix_size, block, proc, nprocs);
    int64_t items = 0, last_item = -1;
    for (int64_t first = (int64_t)proc * block; first < matrix_size;
         first += (int64_t)block * nprocs) {
        int64_t end = first + block < matrix_size ? first + block : matrix_size;
        int64_t first_item = first / per_item, end_item = (end - 1) / per_item;
        if (first_item == last_item)
            ++first_item;
        if (end_item >= first_item)
            items += end_item - first_item + 1;
        last_item = end_item;
    }
    return items;
}

/* Items in the one set the structured kernel keeps (kernel_item_union_create):
 * those behind local rows of process row 0, local columns of process column
 * 0, and own block 0. Counted by blocks in constant time (plan_min_ranks
 * calls this for many rank counts): blocks b with b % rows == 0 or
 * b % cols == 0, by inclusion-exclusion over lcm(rows, cols); an item that
 * straddles two blocks (full kernels) may be counted twice, and the own block
 * is added whole, so the estimate errs high by at most a block per block and
 * the own block. */
static int64_t plan_union_items(int64_t n_items, int64_t matrix_size, int64_t per_item, int block,
                                int grid_rows, int grid_cols, int64_t own_count)
{
    int64_t a = grid_rows, b = grid_cols;
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    const int64_t lcm = (int64_t)grid_rows / a * grid_cols;
    const int64_t blocks = (matrix_size + block - 1) / block;
    const int64_t union_blocks = (blocks + grid_rows - 1) / grid_rows +
                                 (blocks + grid_cols - 1) / grid_cols - (blocks + lcm - 1) / lcm;
    int64_t indices = union_blocks * block < matrix_size ? union_blocks * block : matrix_size;
    int64_t items = (indices + per_item - 1) / per_item + (per_item > 1 ? union_blocks : 0);
    items += own_count;
    return items < n_items ? items : n_items;
}

/* Fraction of the M x M blocks the kernel fills: those on or below the
 * diagonal (the pipeline mirrors the lower triangle when it needs the rest). */
static double plan_filled_fraction(int64_t m_rows, int block)
{
    double blocks = ceil((double)m_rows / block);
    return (blocks + 1.0) / (2.0 * blocks);
}

/* The grid plan_make assumes: the job's grid.shape when it matches `ranks`,
 * else the automatic one (the run itself refuses a mismatched shape). */
static void plan_grid_shape(const ntk_plan_config *config, int ranks, int *rows, int *cols)
{
    if (config->grid->rows > 0 && config->grid->cols > 0 &&
        (int64_t)config->grid->rows * config->grid->cols == ranks) {
        *rows = config->grid->rows;
        *cols = config->grid->cols;
    } else {
        grid_auto_shape(ranks, rows, cols);
    }
}

/* The kernels assembled after the eigensolve (plan.h, bytes_extra_kernels):
 * diagnostics.per_layer holds one Theta_l at a time (never more), and
 * training.kernel_every the previous and the current kernel; each assembly
 * needs its features again. */
static void plan_extra_kernels(const ntk_plan_config *config, ntk_plan *plan)
{
    plan->bytes_extra_kernels = 0.0;
    plan->extra_kernels_reason = NULL;
    if (config->diagnostics != NULL && config->diagnostics->enabled &&
        config->diagnostics->per_layer) {
        plan->bytes_extra_kernels = plan->bytes_theta + plan->bytes_features;
        plan->extra_kernels_reason = "(diagnostics.per_layer: one Theta_l at a time)";
    }
    if (config->training->enabled && config->training->kernel_every > 0 &&
        2.0 * plan->bytes_theta + plan->bytes_features > plan->bytes_extra_kernels) {
        plan->bytes_extra_kernels = 2.0 * plan->bytes_theta + plan->bytes_features;
        plan->extra_kernels_reason = "(training.kernel_every: previous and current kernel)";
    }
}

/* Eigenvectors and solver workspace as spectrum/workspace.c states them
 * (the module that allocates them), for grid process (0, 0). */
static void plan_solver_bytes(const ntk_plan_config *config, ntk_plan *plan)
{
    /* auto weighs each solver's eigenvectors and workspace on top of what
     * the eigensolve phase holds anyway against the memory limit */
    plan->bytes_besides_solver = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model +
                                 plan->bytes_theta + plan->bytes_theta_copy;
    ntk_solver_site site;
    spectrum_site_guess(plan->grid_rows * plan->grid_cols, &site);
    site.bytes_per_rank = plan->memory_limit;
    site.bytes_besides_solver = plan->bytes_besides_solver;
    ntk_spectrum_workspace ws;
    if (plan_float32(config)) {
        /* float32: auto ranks the solvers with a float32 path as for
         * float64, on the assembly's layout; their matrices and REAL
         * workspaces are floats (ws.single). */
        ntk_spectrum_spec float32 = *config->spectrum;
        float32.float32 = 1;
        spectrum_workspace_at(&float32, &site, plan->m_rows, plan->grid_rows, plan->grid_cols,
                              plan->block, &ws);
        plan->solver = ws.solver;
        plan->solver_reason = ws.reason;
        plan->eigenpairs = ws.kept_pairs;
        plan->solve_rows = plan->grid_rows;
        plan->solve_cols = plan->grid_cols;
        plan->solve_block = plan->block;
        plan->solve_moved = 0;
        plan->bytes_redistribute = 0.0;
        plan->bytes_vectors = spectrum_vector_bytes(&ws);
        plan->bytes_solver = spectrum_workspace_bytes(&ws, plan->m_rows);
        plan->bytes_theta_solve = plan->bytes_theta;
        plan->flops_solver = spectrum_solver_flops(&ws, plan->m_rows);
        plan->flops_check = spectrum_check_flops(&ws, plan->m_rows);
        return;
    }
    spectrum_workspace_at(config->spectrum, &site, plan->m_rows, plan->grid_rows, plan->grid_cols,
                          plan->block, &ws);
    ntk_solve_layout layout;
    spectrum_solve_layout(config->spectrum, ws.solver, plan->ranks, plan->m_rows, plan->grid_rows,
                          plan->grid_cols, plan->block, &layout);
    plan->solve_rows = layout.rows;
    plan->solve_cols = layout.cols;
    plan->solve_block = layout.block;
    plan->solve_moved = layout.moved;
    plan->bytes_redistribute = 0.0;
    if (layout.moved) {
        /* The solve's workspace and eigenvectors on its own layout. */
        const double assembly_vectors = spectrum_vector_bytes(&ws);
        /* on its own layout; a solver auto chose for memory stays chosen */
        ntk_spectrum_spec chosen = *config->spectrum;
        const int by_memory = chosen.solver == NTK_SOLVER_AUTO && plan->memory_limit > 0.0;
        const char *reason = ws.reason;
        if (by_memory)
            chosen.solver = ws.solver;
        spectrum_workspace_at(&chosen, &site, plan->m_rows, layout.rows, layout.cols,
                              layout.block, &ws);
        if (by_memory)
            ws.reason = reason;
        plan->bytes_redistribute =
            spectrum_layout_move_bytes(&layout, plan->m_rows, ws.kept_pairs, plan->grid_rows,
                                       plan->grid_cols, plan->block);
        plan->bytes_vectors = assembly_vectors; /* the output phase's, raised below */
    }
    plan->solver = ws.solver;
    plan->solver_reason = ws.reason;
    plan->eigenpairs = ws.kept_pairs;
    const double solve_vectors = spectrum_vector_bytes(&ws);
    plan->bytes_vectors = layout.moved && plan->bytes_vectors > solve_vectors ? plan->bytes_vectors
                                                                              : solve_vectors;
    plan->bytes_solver = spectrum_workspace_bytes(&ws, plan->m_rows);
    plan->bytes_theta_solve = plan->bytes_theta;
    if (layout.moved)
        plan->bytes_theta_solve =
            (double)grid_local_count(plan->m_rows, layout.block, 0, layout.rows) *
            (double)grid_local_count(plan->m_rows, layout.block, 0, layout.cols) * DOUBLE_BYTES;
    plan->flops_solver = spectrum_solver_flops(&ws, plan->m_rows);
    plan->flops_check = spectrum_check_flops(&ws, plan->m_rows);
}

/* M in checked 64-bit arithmetic, and the sizes no run can have, refused by
 * name: M above ScaLAPACK's 32-bit index limit (NTK_ERR_MEMORY, as
 * dmatrix_create would), a grid.shape of more than 2^31 - 1 ranks
 * (NTK_ERR_JOB). The layers check their own sizes (model_layout_make). */
static ntk_status plan_check_sizes(const ntk_plan_config *config, int64_t n_inputs, int64_t k,
                                   int full, int64_t *m_rows)
{
    const int64_t shape_ranks = (int64_t)config->grid->rows * config->grid->cols; /* each < 2^31 */
    if (shape_ranks > INT_MAX) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&config->grid->shape_where, where, sizeof where);
        /* A --set location already names the key. */
        const char *key = config->grid->shape_where.line > 0 ? " grid.shape:" : "";
        return NTK_RAISE(NTK_ERR_JOB, "%s:%s [%d, %d] needs %lld ranks, more than MPI can run (%d)",
                         where, key, config->grid->rows, config->grid->cols, (long long)shape_ranks,
                         INT_MAX);
    }
    int64_t matrix_rows = n_inputs;
    if ((full && ntk_mul_overflow_i64(n_inputs, k, &matrix_rows)) || matrix_rows > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "%s: Theta would be M x M with M = %s = %lld x %lld, more than "
                         "ScaLAPACK's 32-bit index limit (%d)",
                         config->path, full ? "N k" : "N", (long long)n_inputs,
                         (long long)(full ? k : 1), INT_MAX);
    *m_rows = matrix_rows;
    return NTK_OK;
}

/* spectrum.solver matrix_free: no Theta and no assembly; the features of
 * the own inputs (stored or one batch), PARPACK and the eigenvectors, as
 * spectrum_matrix_free_costs() states them. */
static void plan_matrix_free(const ntk_plan_config *config, const model_costs *costs,
                             int64_t own_count, int stored, ntk_plan *plan)
{
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    mf_costs mf;
    spectrum_matrix_free_costs(config->spectrum, stored, plan->m_rows, own_count, (int)plan->k,
                               full, plan->n_params, costs, plan->grid_rows, plan->grid_cols,
                               plan->block, &mf);
    plan->method = "matrix_free";
    plan->solver = NTK_SOLVER_MATRIX_FREE;
    plan->eigenpairs = spectrum_kept_pairs(config->spectrum, plan->m_rows);
    plan->matrix_free_stored = stored;
    plan->basis_size = mf.basis_size;
    plan->products_estimate = mf.products_estimate;
    plan->product_flops = mf.product_flops;
    plan->bytes_theta = 0.0;
    plan->bytes_features = mf.feature_bytes;
    plan->bytes_solver = mf.solver_bytes;
    plan->bytes_vectors = mf.vector_bytes;
    plan->bytes_output = 5.0 * (double)plan->eigenpairs * DOUBLE_BYTES;
    plan->flops_features =
        stored ? (double)plan->n_inputs * (2.0 * costs->forward_flops +
                                           2.0 * (double)plan->k * costs->backward_flops)
               : 0.0; /* recomputed: inside every product */
    plan->flops_assembly = 0.0;
    plan->flops_check = (double)plan->eigenpairs * mf.product_flops;
    plan->flops_solver = (mf.products_estimate - (double)plan->eigenpairs) * mf.product_flops;
    const double common = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model;
    plan->bytes_phase_assembly = common + plan->bytes_features;
    plan->bytes_phase_solve = common + plan->bytes_features + plan->bytes_solver +
                              plan->bytes_vectors;
    plan->bytes_phase_output = common + plan->bytes_vectors + plan->bytes_output;
    plan->bytes_peak = plan->bytes_phase_solve;
    plan->peak_phase = "eigensolve";
    double io_bytes = config->output->eigenvectors
                          ? (double)plan->m_rows * (double)plan->eigenpairs * DOUBLE_BYTES
                          : 0.0;
    plan->seconds_estimate = PLAN_FIXED_SECONDS +
                             (plan->flops_features + plan->flops_solver + plan->flops_check) /
                                 (plan->ranks * PLAN_RATE_GEMM) +
                             io_bytes / PLAN_RATE_IO;
}

/* predict.solver cg with predict.operator matrix_free and spectrum.solver
 * none: Theta is never assembled. The own inputs' features (stored) and the
 * CG vectors (predict/cg/cg_ops.c's workspace: 9 own-row columns per output,
 * the replicated right-hand sides and solution, the preconditioner's 5 own
 * rows per rank column while it is built); flops: predict.max_iterations block products (an
 * upper bound: a converged solve stops earlier) plus the check's one. */
int plan_predict_matrix_free(const ntk_plan_config *config)
{
    const ntk_predict_spec *predict = config->predict;
    return predict != NULL && predict->enabled && config->test_inputs != NULL &&
           config->test_inputs->kind != NTK_SOURCE_NONE &&
           config->spectrum->solver == NTK_SOLVER_NONE && predict->solver == NTK_LINEAR_CG &&
           predict->operator_choice == NTK_OPERATOR_MATRIX_FREE;
}

static void plan_cg_matrix_free(const ntk_plan_config *config, const model_costs *costs,
                                int64_t own_count, ntk_plan *plan)
{
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    mf_costs mf;
    spectrum_matrix_free_costs(config->spectrum, 1, plan->m_rows, own_count, (int)plan->k, full,
                               plan->n_params, costs, plan->grid_rows, plan->grid_cols,
                               plan->block, &mf);
    const double rhs = full ? 1.0 : (double)plan->k;
    const double own_rows = (double)own_count * (full ? (double)plan->k : 1.0);
    const double rank = config->predict->preconditioner == NTK_PRECONDITIONER_NONE
                            ? 0.0
                            : fmin((double)config->predict->preconditioner_rank,
                                   (double)plan->m_rows);
    plan->method = "matrix_free (predict.solver cg)";
    plan->solver = NTK_SOLVER_NONE;
    plan->eigenpairs = 0;
    plan->matrix_free_stored = 1;
    plan->products_estimate = ((double)config->predict->max_iterations + 1.0) * rhs;
    plan->product_flops = mf.product_flops;
    plan->bytes_theta = 0.0;
    plan->bytes_features = mf.feature_bytes;
    plan->bytes_solver = DOUBLE_BYTES * (9.0 * own_rows * rhs +
                                         2.0 * (double)plan->m_rows * rhs + 5.0 * own_rows * rank);
    plan->bytes_vectors = 0.0;
    plan->bytes_output = 0.0;
    plan->flops_features = (double)plan->n_inputs * (2.0 * costs->forward_flops +
                                                     2.0 * (double)plan->k * costs->backward_flops);
    plan->flops_assembly = 0.0;
    plan->flops_check = rhs * mf.product_flops;
    plan->flops_solver = plan->products_estimate * mf.product_flops +
                         6.0 * (double)plan->m_rows * rank * rank;
    const double common = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model;
    plan->bytes_phase_assembly = common + plan->bytes_features;
    plan->bytes_phase_solve = common + plan->bytes_features + plan->bytes_solver;
    plan->bytes_phase_output = common;
    plan->bytes_peak = plan->bytes_phase_solve;
    plan->peak_phase = "cg";
}

/* kernel.kind analytic on a conv net: the spatial recursion's plan (its
 * refusals name the layer) and the form each layer takes; *work_doubles
 * its work buffer. Dense nets on flat inputs leave it empty. */
static ntk_status plan_analytic_layers(const ntk_plan_config *config, ntk_plan *plan,
                                       double *work_doubles)
{
    *work_doubles = 0.0;
    plan->n_analytic_layers = 0;
    if (!analytic_uses_spatial(config->model, &plan->input))
        return NTK_OK;
    analytic_spatial_plan *spatial = NULL;
    NTK_TRY(NTK_CALLOC(spatial, 1, "analytic kernel plan"));
    ntk_status status = analytic_spatial_plan_make(
        config->model, &plan->input, config->kernel->outputs == NTK_OUTPUTS_FULL,
        config->kernel->quadrature_order, spatial);
    if (status == NTK_OK) {
        plan->n_analytic_layers = spatial->n_layers;
        for (int i = 0; i < spatial->n_layers; ++i) {
            plan->analytic_layers[i].type = spatial->stack[i].ops->name;
            plan->analytic_layers[i].form =
                analytic_spatial_form_name(spatial->input_form[i]);
            plan->analytic_layers[i].positions = spatial->positions[i];
            plan->analytic_layers[i].flops = spatial->layer_flops[i];
            plan_nested_key(config->model, i, plan->analytic_layers[i].key,
                            sizeof plan->analytic_layers[i].key);
        }
        plan->analytic_pair_flops = spatial->flops_per_pair;
        plan->analytic_stats_doubles = spatial->stats_size;
        *work_doubles = (double)analytic_spatial_work_doubles(spatial);
        plan->analytic_work_doubles = *work_doubles;
    }
    free(spatial);
    return status;
}

static ntk_status plan_make_features(const ntk_plan_config *config, int64_t n_inputs,
                                     const ntk_shape *input, int ranks, int matrix_free_stored,
                                     int predict_matrix_free, double memory_limit,
                                     ntk_plan *plan);

/* What matrix_free cannot do, refused before anything runs: it needs the
 * empirical kernel's Jacobian, and a Lanczos basis larger than the top
 * pairs (k < M; for all pairs a dense solver is the right tool). */
static ntk_status plan_check_matrix_free(const ntk_plan_config *config, const model_layout *layout,
                                         int64_t m_rows)
{
    /* Products go through each layer's param_vjp / param_jvp (model/layer.h). */
    const int i = mf_missing_ops_layer(layout->stack, layout->n_stack);
    if (i >= 0) {
        ntk_layer_spec list[NTK_MAX_LAYERS];
        int count = 0;
        char key[96];
        model_spec_layers(config->model, list, &count);
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: %s (%s) has no matrix-free product "
                         "(param_vjp/param_jvp), so spectrum.solver matrix_free cannot run this "
                         "model; use solver auto",
                         config->path,
                         i < count ? model_layer_key(list, i, key, sizeof key) : "a layer",
                         layout->stack[i].ops->name);
    }
    if (config->kernel->kind != NTK_KIND_EMPIRICAL)
        return NTK_RAISE(NTK_ERR_JOB, "%s: spectrum.solver matrix_free needs kernel.kind "
                         "empirical (it multiplies by the Jacobian)", config->path);
    if (config->output->theta || config->kernel->compare_analytic)
        return NTK_RAISE(NTK_ERR_JOB, "%s: %s needs the assembled Theta, which spectrum.solver "
                         "matrix_free never forms", config->path,
                         config->output->theta ? "output.theta" : "kernel.compare_analytic");
    if (config->training->enabled)
        return NTK_RAISE(NTK_ERR_JOB, "%s: training needs all eigenpairs; spectrum.solver "
                         "matrix_free computes the top spectrum.top only", config->path);
    if (config->spectrum->top >= m_rows) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&config->spectrum->top_where, where, sizeof where);
        /* A --set location already names the key. */
        const char *key = config->spectrum->top_where.line > 0 ? " spectrum.top:" : "";
        return NTK_RAISE(NTK_ERR_JOB, "%s:%s matrix_free needs top < M = %lld (the rows of "
                         "Theta), got %lld; for all eigenpairs use solver pdsyevd",
                         where, key, (long long)m_rows, (long long)config->spectrum->top);
    }
    return NTK_OK;
}

/* Is the run of local rows (or columns) of one process coordinate a run of
 * the item set (structured_tiles.c reads it in place, else copies each tile's
 * part)? Yes with one process along the axis (its rows are every item) or
 * a single local block; otherwise the set holds other items in between. */
static int plan_axis_consecutive(int nprocs, int64_t local, int block)
{
    return nprocs == 1 || local <= block;
}

/* The structured kernel as kernel/structured.c allocates it, for the rank
 * that holds the most: one item set (its own inputs and those behind its
 * local rows and columns) of packed feature vectors, then per chunk pass
 * (kernel.h, kernel_structured_chunking) a set of one pass's block rows,
 * never both at once; next to each set the larger of one forward/backward
 * batch (model_features_reserve's buffers, the layers' bounded pass scratch
 * and one input's Jacobian-block scratch) and the tiles (two row chunk x
 * panel Grams, the row chunk's and panel's copies of their vectors when the
 * axis is not a run of the set, per-(x, o) panels for full kernels, index
 * maps). Fills the forms, the chunking, bytes_features and flops_features;
 * returns the tiles' bytes of the widest stage (plan_cross). */
static double plan_structured(const ntk_plan_config *config, const model_layout *layout,
                              const model_costs *costs, int64_t n_inputs, int64_t own_count,
                              int64_t local_rows, int64_t local_cols, int per_item, ntk_plan *plan)
{
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    const int k = (int)layout->k;
    kernel_chunking chunking;
    memset(&chunking, 0, sizeof chunking);
    chunking.k = k;
    int form_of[NTK_MAX_DENSE + 2] = {0}, stack_of[NTK_MAX_DENSE + 2] = {0};
    double widest_of[NTK_MAX_DENSE + 2] = {0};
    for (int i = 0; i < layout->n_stack; ++i) {
        const ntk_layer *layer = &layout->stack[i];
        ntk_layer_cost cost;
        memset(&cost, 0, sizeof cost);
        layer->ops->cost(layer, k, full, config->kernel->quadrature_order, &cost);
        if (!ntk_layer_has_parameters(layer->ops) || layer->ops->structured_term == NULL)
            continue;
        const int l = ++chunking.n_layers;
        ntk_structured_term term;
        memset(&term, 0, sizeof term);
        layer->ops->structured_term(layer, k, full, &term);
        chunking.packed[l] = cost.packed_doubles;
        stack_of[l] = i;
        widest_of[l] = (double)cost.widest;
        if (term.pairwise) {
            chunking.pair_positions[l] = term.positions;
            chunking.pair_depth[l] = term.patch_width;
            chunking.pair_channels[l] = term.channels;
        }
        if (term.block_width > 0 && !term.pairwise) {
            chunking.block_rows[l] = term.block_rows > 0 ? term.block_rows : 1;
            chunking.row_doubles[l] =
                (double)k * (double)(term.block_rows > 0 ? term.block_row_width : term.block_width);
        }
        form_of[l] = -1;
        if (cost.structured_form != NULL && plan->n_forms < 16) {
            form_of[l] = plan->n_forms;
            plan->forms[plan->n_forms].layer = i;
            plan_nested_key(config->model, i, plan->forms[plan->n_forms].key,
                            sizeof plan->forms[plan->n_forms].key);
            plan->forms[plan->n_forms].type = layer->ops->name;
            plan->forms[plan->n_forms].form = cost.structured_form;
            plan->forms[plan->n_forms].block_flops = cost.block_pair_flops;
            plan->forms[plan->n_forms].block_rows = chunking.block_rows[l];
            plan->forms[plan->n_forms++].pairwise_flops = cost.pairwise_pair_flops;
        }
    }
    /* The sizes structured.c works with (kernel.h states them). */
    const ntk_kernel_config kernel_config = {config->kernel, config->model, config->output->theta, 0};
    plan->chunk_budget_bytes = kernel_chunk_budget_bytes(&kernel_config);
    kernel_structured_overhead overhead;
    kernel_structured_overhead_of(layout->stack, layout->n_stack, k, full,
                                  config->kernel->quadrature_order, plan->chunk_budget_bytes,
                                  own_count, local_rows, local_cols, plan->block, &overhead);
    double block_scratch = overhead.block_scratch;
    const double set = (double)plan_union_items(n_inputs, plan->m_rows, per_item, plan->block,
                                                plan->grid_rows, plan->grid_cols, own_count);
    /* Tiles never exceed the local matrix (structured.c sizes them so). */
    const double panel_columns = fmin((double)kernel_structured_panel_columns(plan->block),
                                      fmax(1.0, (double)local_cols));
    const double row_chunk = fmin((double)kernel_structured_row_chunk(),
                                  fmax(1.0, (double)local_rows));
    const double copies =
        (plan_axis_consecutive(plan->grid_rows, local_rows, plan->block) ? 0.0 : row_chunk) +
        (plan_axis_consecutive(plan->grid_cols, local_cols, plan->block) ? 0.0 : panel_columns);
    for (int l = 1; l <= chunking.n_layers; ++l)
        if (chunking.block_rows[l] > 0)
            plan->block_doubles += chunking.packed[l];
    kernel_structured_chunking(set + copies + overhead.tile_vectors,
                               kernel_chunk_decision_bytes(&kernel_config, &overhead), &chunking);
    plan->chunk_passes = chunking.passes;
    plan->chunk_tile_flops_per_pair = 0.0;
    for (int l = 1; l <= chunking.n_layers; ++l) {
        if (!chunking.chunked[l] || chunking.pair_positions[l] == 0)
            continue;
        /* A chunked pairwise layer: its passes' position Grams (structured.c
         * counts them so) less the whole form's, and the whole patches it
         * cuts them from. */
        const double P = (double)chunking.pair_positions[l], D = (double)chunking.pair_depth[l];
        const double C = (double)chunking.pair_channels[l], p2 = P * P;
        const double n_c = ceil(C / (double)chunking.chunk_rows[l]);
        const double n_d = ceil(D / (double)chunking.chunk_depth[l]);
        const double passes =
            full ? 2.0 * p2 * (D * n_c / k + C * n_d) / k + (2.0 * P * C + 2.0 * C) * n_d +
                       n_c * n_d
                 : 2.0 * p2 * (D * n_c + k * C * n_d + n_c * n_d) + 2.0 * k * C * n_d;
        const double whole = full ? 2.0 * p2 * (D / k + C) / k + 2.0 * P * C + 2.0 * C + 1.0
                                  : 2.0 * p2 * (D + k * C + 1.0) + 2.0 * k * C;
        plan->chunk_tile_flops_per_pair += passes - whole;
        block_scratch = fmax(block_scratch, P * D);
        if (form_of[l] >= 0) {
            plan->forms[form_of[l]].pair_channels = chunking.pair_channels[l];
            plan->forms[form_of[l]].pair_depth = chunking.pair_depth[l];
            plan->forms[form_of[l]].chunk_depth = chunking.chunk_depth[l];
        }
    }

    /* mixed and float32: the float32 passes' weights and scratch, in doubles */
    const double single_passes =
        config->kernel->precision != NTK_PRECISION_FLOAT64
            ? 0.5 * model_single_passes_floats(layout->stack, layout->n_stack, k, overhead.batch,
                                               NULL)
            : 0.0;
    const double stage_forward =
        overhead.batch_doubles + overhead.pass_scratch + block_scratch + single_passes;
    const double maps = 2.5 * (double)(local_rows + local_cols);
    double widest_resident = 1.0;
    for (int l = 1; l <= chunking.n_layers; ++l) {
        if (!chunking.chunked[l])
            widest_resident = fmax(widest_resident, widest_of[l]);
        if (form_of[l] >= 0)
            plan->forms[form_of[l]].chunk_rows = chunking.chunked[l] ? chunking.chunk_rows[l] : 0;
    }
    const double tiles_resident = 2.0 * row_chunk * panel_columns + copies * chunking.resident +
                                  (full ? (row_chunk + panel_columns) * widest_resident : 0.0) + maps;
    /* mixed and float32: the item set holds floats */
    const double set_bytes = config->kernel->precision != NTK_PRECISION_FLOAT64 ? FLOAT_BYTES
                                                                              : DOUBLE_BYTES;
    plan->bytes_features_resident = set * chunking.resident * set_bytes +
                                    fmax(stage_forward, tiles_resident) * DOUBLE_BYTES;
    double bytes_tiles = tiles_resident * DOUBLE_BYTES;
    if (chunking.passes > 0) {
        const double tiles_chunk = 2.0 * row_chunk * panel_columns + copies * chunking.widest_chunk +
                                   (full ? (row_chunk + panel_columns) * chunking.widest_chunk / k
                                         : 0.0) + maps;
        plan->bytes_features_chunks = set * chunking.widest_chunk * set_bytes +
                                      fmax(stage_forward, tiles_chunk) * DOUBLE_BYTES;
        bytes_tiles = fmax(bytes_tiles, tiles_chunk * DOUBLE_BYTES);
    }
    plan->bytes_features = fmax(plan->bytes_features_resident, plan->bytes_features_chunks);

    /* Flops: one forward/backward of every input with its resident blocks;
     * each chunk pass the forward pass again and the backward pass down to
     * its layer (model_features_down_to), and its rows of the block. */
    double backward_below[NTK_MAX_DENSE + 2] = {0}; /* backward flops of the stack above layer l */
    for (int l = 1; l <= chunking.n_layers; ++l)
        for (int i = stack_of[l] + 1; i < layout->n_stack; ++i) {
            ntk_layer_cost cost;
            memset(&cost, 0, sizeof cost);
            layout->stack[i].ops->cost(&layout->stack[i], k, full, config->kernel->quadrature_order,
                                       &cost);
            backward_below[l] += cost.backward_flops;
        }
    plan->flops_forward_backward =
        (double)n_inputs * (2.0 * costs->forward_flops + 2.0 * k * costs->backward_flops);
    plan->flops_features = plan->flops_forward_backward + (double)n_inputs * 2.0 * costs->block_flops;
    for (int l = 1; l <= chunking.n_layers; ++l) {
        if (!chunking.chunked[l])
            continue;
        const double passes = (double)kernel_chunk_layer_passes(&chunking, l);
        plan->flops_chunk_features += (double)n_inputs * passes *
                                      (2.0 * costs->forward_flops + 2.0 * k * backward_below[l]);
    }
    plan->flops_features += plan->flops_chunk_features;
    return bytes_tiles;
}

ntk_status plan_make(const ntk_plan_config *config, int64_t n_inputs, int64_t input_dim, int ranks,
                     ntk_plan *plan)
{
    const ntk_shape flat = {1, {input_dim, 0, 0}, input_dim};
    return plan_make_shaped(config, n_inputs, &flat, ranks, plan);
}

ntk_status plan_make_shaped(const ntk_plan_config *config, int64_t n_inputs, const ntk_shape *input,
                            int ranks, ntk_plan *plan)
{
    /* spectrum.features auto plans stored features first (plan_fit_features) */
    return plan_make_within(config, n_inputs, input, ranks, 0.0, plan);
}

ntk_status plan_make_within(const ntk_plan_config *config, int64_t n_inputs, const ntk_shape *input,
                            int ranks, double bytes_per_rank, ntk_plan *plan)
{
    /* spectrum.features auto plans stored features first (plan_fit_features) */
    return plan_make_features(config, n_inputs, input, ranks,
                              config->spectrum->features != NTK_FEATURES_RECOMPUTE,
                              plan_predict_matrix_free(config), bytes_per_rank, plan);
}

ntk_status plan_fit_features(const ntk_plan_config *config, double bytes_per_rank, ntk_plan *plan)
{
    if (plan->solver != NTK_SOLVER_MATRIX_FREE || config->spectrum->features != NTK_FEATURES_AUTO ||
        bytes_per_rank <= 0.0 || plan->bytes_peak <= bytes_per_rank)
        return NTK_OK;
    ntk_plan recompute;
    const ntk_shape input = plan->input;
    NTK_TRY(plan_make_features(config, plan->n_inputs, &input, plan->ranks, 0,
                               plan->predict_matrix_free, plan->memory_limit, &recompute));
    *plan = recompute;
    return NTK_OK;
}

static double plan_gib(double bytes) { return bytes / 1073741824.0; }

/* Bytes in MiB below a GiB, else GiB, for messages. */
static void plan_bytes_text(double bytes, char *text, size_t size)
{
    if (bytes < 1073741824.0)
        snprintf(text, size, "%.1f MiB", bytes / 1048576.0);
    else
        snprintf(text, size, "%.2f GiB", plan_gib(bytes));
}

/* predict.operator auto may multiply instead: cg (asked, or auto's choice)
 * for t = infinity on an empirical kernel, when nothing else of the run
 * needs the assembled Theta (no eigensolve, theta.npy, training, analytic
 * comparison or diagnostics that read it). */
static int predict_operator_may_switch(const ntk_plan_config *config)
{
    const ntk_predict_spec *predict = config->predict;
    const ntk_diagnostics_spec *diagnostics = config->diagnostics;
    const int diagnostics_need_theta =
        diagnostics != NULL && diagnostics->enabled &&
        (diagnostics->alignment || diagnostics->per_layer || diagnostics->n_curve_sizes > 0);
    return predict != NULL && predict->enabled && config->test_inputs != NULL &&
           config->test_inputs->kind != NTK_SOURCE_NONE &&
           config->spectrum->solver == NTK_SOLVER_NONE &&
           (predict->solver == NTK_LINEAR_CG || predict->solver == NTK_LINEAR_AUTO) &&
           predict->operator_choice == NTK_OPERATOR_AUTO &&
           config->kernel->kind == NTK_KIND_EMPIRICAL && !config->kernel->compare_analytic &&
           !config->output->theta && !config->training->enabled && !diagnostics_need_theta;
}

ntk_status plan_fit_predict_operator(const ntk_plan_config *config, double bytes_per_rank,
                                     ntk_plan *plan)
{
    if (plan->predict_matrix_free || !predict_operator_may_switch(config) ||
        bytes_per_rank <= 0.0 || plan->bytes_peak <= bytes_per_rank)
        return NTK_OK;
    ntk_plan products;
    const ntk_shape input = plan->input;
    NTK_TRY(plan_make_features(config, plan->n_inputs, &input, plan->ranks,
                               config->spectrum->features != NTK_FEATURES_RECOMPUTE, 1,
                               plan->memory_limit, &products));
    /* predict.solver auto on the products: cg, unless the job asks for
     * what only the eigenpairs give (then the stored plan's refusal stands) */
    if (products.linear_solver == NULL || strcmp(products.linear_solver, "cg") != 0)
        return NTK_OK;
    char stored[32], limit[32];
    plan_bytes_text(plan->bytes_peak, stored, sizeof stored);
    plan_bytes_text(bytes_per_rank, limit, sizeof limit);
    snprintf(products.predict_operator_why, sizeof products.predict_operator_why,
             "predict.operator auto: matrix_free, the stored Theta's plan needs %s per rank, "
             "above the memory per rank (%s)",
             stored, limit);
    *plan = products;
    return NTK_OK;
}

/* kernel.kind analytic is the infinite-width limit: it has no weights, so a
 * model.weights file would be ignored without a word. Refused, naming both
 * keys (plan, validate and run's preflight all come here). */
static ntk_status plan_check_weights_used(const ntk_plan_config *config)
{
    if (config->kernel->kind != NTK_KIND_ANALYTIC || config->model->weights_path[0] == '\0')
        return NTK_OK;
    char where[NTK_PATH_MAX + 64];
    job_location_text(&config->model->where, where, sizeof where);
    return NTK_RAISE(NTK_ERR_JOB,
                     "%s: model.weights: kernel.kind analytic is the infinite-width limit, "
                     "which has no weights, so %s would be ignored; remove model.weights or use "
                     "kernel.kind: empirical",
                     where, config->model->weights_path);
}

static ntk_status plan_make_features(const ntk_plan_config *config, int64_t n_inputs,
                                     const ntk_shape *input, int ranks, int matrix_free_stored,
                                     int predict_matrix_free, double memory_limit,
                                     ntk_plan *plan)
{
    const int64_t input_dim = input->size;
    memset(plan, 0, sizeof *plan);
    plan->memory_limit = memory_limit;
    plan->predict_matrix_free = predict_matrix_free;
    if (ranks < 1)
        return NTK_RAISE(NTK_ERR_USAGE, "plan: the number of ranks must be at least 1, got %d",
                         ranks);
    if (n_inputs < 1 || input_dim < 1 ||
        (config->model->n_dense < 1 && config->model->n_layers < 1))
        return NTK_RAISE(NTK_ERR_JOB, "%s: plan: the job has no inputs or no layers", config->path);

    /* The layers state their own sizes and costs (model/layer.h); a job whose
     * sizes do not fit is refused naming the layer. */
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    NTK_TRY(plan_check_weights_used(config));
    model_layout layout;
    NTK_TRY(model_layout_make(config->model, config->path, input, 0, &layout));
    /* Counted as the run counts them (a weights file decides the biases). */
    NTK_TRY(model_param_count(config->model, &layout, &layout.n_params));
    model_costs costs;
    model_layout_costs(&layout, full, config->kernel->quadrature_order, &costs);
    const int64_t k = layout.k;

    plan->config = *config;
    plan->n_inputs = n_inputs;
    plan->input_dim = input_dim;
    plan->input = *input;
    plan->k = k;
    NTK_TRY(plan_check_sizes(config, n_inputs, k, full, &plan->m_rows));
    plan->ranks = ranks;
    /* The block the run uses: grid.block, clamped to the matrix. */
    plan->block = grid_effective_block(
        config->grid->block > 0 ? config->grid->block : NTK_DEFAULT_BLOCK, plan->m_rows);
    plan_grid_shape(config, ranks, &plan->grid_rows, &plan->grid_cols);
    const int64_t params = layout.n_params;
    plan->n_params = params;

    /* The largest local block: process coordinate 0 holds the most rows and
     * columns; own-block part 0 holds the most inputs. */
    const int64_t local_rows = grid_local_count(plan->m_rows, plan->block, 0, plan->grid_rows);
    const int64_t local_cols = grid_local_count(plan->m_rows, plan->block, 0, plan->grid_cols);
    int64_t own_first = 0, own_count = 0;
    grid_own_block(n_inputs, ranks, 0, &own_first, &own_count);
    const int per_item = full ? (int)k : 1;
    const int64_t row_items = plan_local_items(plan->m_rows, per_item, plan->block, 0,
                                               plan->grid_rows);
    const int64_t col_items = plan_local_items(plan->m_rows, per_item, plan->block, 0,
                                               plan->grid_cols);

    const int have_targets = config->targets->kind != NTK_SOURCE_NONE;
    plan->bytes_inputs = ((double)own_count * (double)input_dim +
                          (have_targets ? (double)own_count * k + (double)n_inputs * k : 0.0)) *
                         DOUBLE_BYTES;
    plan->bytes_model = (double)params * DOUBLE_BYTES;
    /* A request for less than the solver computes runs (keeping that);
     * one for more is refused naming the key. */
    NTK_TRY(spectrum_check_request(config->spectrum, config->spectrum->solver));
    if (config->spectrum->solver == NTK_SOLVER_MATRIX_FREE) {
        NTK_TRY(plan_check_matrix_free(config, &layout, plan->m_rows));
        plan->bytes_baseline = PLAN_BASELINE_BYTES;
        plan_matrix_free(config, &costs, own_count, matrix_free_stored, plan);
        return NTK_OK;
    }
    if (plan->predict_matrix_free) {
        plan->bytes_baseline = PLAN_BASELINE_BYTES;
        plan_cg_matrix_free(config, &costs, own_count, plan);
        NTK_TRY(plan_cross(config, &costs, params, 0.0, plan));
        if (plan->bytes_phase_predict > plan->bytes_peak) {
            plan->bytes_peak = plan->bytes_phase_predict;
            plan->peak_phase = "predict";
        }
        plan->seconds_estimate =
            PLAN_FIXED_SECONDS + plan->flops_features / (ranks * PLAN_RATE_GEMM) +
            (plan->flops_solver + plan->flops_check) / (ranks * PLAN_RATE_GEMM) +
            plan->flops_cross / (ranks * PLAN_RATE_GEMM) +
            plan->flops_predict / (ranks * PLAN_RATE_GEMM);
        return NTK_OK;
    }
    plan->bytes_theta = (double)local_rows * (double)local_cols * plan_matrix_bytes(config);
    plan->bytes_baseline = PLAN_BASELINE_BYTES;
    const ntk_kernel_config kernel_config = {config->kernel, config->model, config->output->theta, 0};
    plan->lower_only = !kernel_needs_upper_triangle(&kernel_config);
    /* training.kernel_after keeps a copy of the initial Theta to compare with */
    plan->bytes_theta_copy = (config->training->enabled && (config->training->kernel_after ||
                                                            config->training->kernel_every > 0))
                                 ? plan->bytes_theta
                                 : 0.0;

    double bytes_tiles = 0.0; /* the structured kernel's tile temporaries (plan_cross) */
    const double fraction = plan_filled_fraction(plan->m_rows, plan->block);
    if (config->kernel->compare_analytic && config->kernel->kind == NTK_KIND_EMPIRICAL) {
        /* the comparison's limit is refused here, not after the empirical Theta */
        double unused = 0.0;
        NTK_TRY(plan_analytic_layers(config, plan, &unused));
        plan->n_analytic_layers = 0;
    }
    const double matrix_rows = (double)plan->m_rows;
    if (config->kernel->kind == NTK_KIND_ANALYTIC) {
        plan->method = "analytic";
        double cache = (double)row_items * (plan->block + 2);
        double work = 0.0; /* the spatial recursion's states */
        NTK_TRY(plan_analytic_layers(config, plan, &work));
        plan->bytes_features =
            ((double)(row_items + col_items) *
                 (double)(input_dim + plan->analytic_stats_doubles) +
             cache + work) *
            DOUBLE_BYTES;
        if (plan->n_analytic_layers > 0) {
            plan->analytic_entry_seconds = plan->analytic_pair_flops / PLAN_RATE_SPATIAL;
            /* the first step: every local row against a block of columns,
             * less the pairs above the diagonal of its diagonal block */
            const double columns =
                (double)(plan->block < plan->n_inputs ? plan->block : plan->n_inputs);
            plan->analytic_step_rows = row_items;
            plan->analytic_step_seconds =
                ((double)row_items * columns - 0.5 * columns * (columns - 1.0)) *
                plan->analytic_entry_seconds;
        }
        if (config->kernel->nngp) /* the NNGP matrix is assembled while Theta lives */
            plan->bytes_features += plan->bytes_theta;
        /* conv nets: each input's own recursion (its statistics), once */
        plan->flops_features = (double)n_inputs * plan->analytic_pair_flops;
        /* one evaluation per pair gives Theta and the NNGP kernel alike */
        plan->flops_assembly = fraction * (double)n_inputs * (double)n_inputs *
                               analytic_pair_flops(config->model, &plan->input,
                                                   config->kernel->quadrature_order);
    } else if (config->kernel->method == NTK_METHOD_JACOBIAN) {
        plan->method = "jacobian";
        double chunk =
            (double)(config->kernel->jacobian_chunk < params ? config->kernel->jacobian_chunk
                                                             : params);
        double rows = (double)row_items * k, cols = (double)col_items * k;
        plan->bytes_features = (rows + cols) * chunk * DOUBLE_BYTES;
        plan->flops_features = (double)n_inputs * (2.0 * costs.forward_flops +
                                                   2.0 * k * costs.backward_flops +
                                                   (double)k * (double)params);
        plan->flops_assembly = 2.0 * fraction * matrix_rows * matrix_rows * (double)params *
                               (full ? 1.0 : (double)k);
    } else {
        plan->method = "structured";
        bytes_tiles = plan_structured(config, &layout, &costs, n_inputs, own_count, local_rows,
                                      local_cols, per_item, plan);
        plan->flops_assembly = fraction * matrix_rows * matrix_rows *
                               (costs.tile_flops_per_pair + plan->chunk_tile_flops_per_pair);
    }

    plan_solver_bytes(config, plan);
    int64_t eigenpairs = plan->solver == NTK_SOLVER_NONE ? 0 : plan->eigenpairs;
    plan->bytes_output = 5.0 * (double)eigenpairs * DOUBLE_BYTES;

    const double common = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model;
    /* kernel.compare_analytic assembles the limit kernel next to Theta once the
     * features are freed. */
    const double assembly_extra =
        config->kernel->compare_analytic && plan->bytes_theta > plan->bytes_features
            ? plan->bytes_theta
            : plan->bytes_features;
    plan->bytes_phase_assembly =
        common + plan->bytes_theta + plan->bytes_theta_copy + assembly_extra;
    plan->bytes_phase_solve = plan->solver == NTK_SOLVER_NONE
                                  ? 0.0
                                  : common + plan->bytes_theta_solve + plan->bytes_theta_copy +
                                        plan->bytes_vectors + plan->bytes_solver;
    /* Moving Theta to the solve layout holds both copies for a while. */
    if (plan->bytes_redistribute > 0.0 &&
        common + plan->bytes_theta_copy + plan->bytes_redistribute > plan->bytes_phase_solve)
        plan->bytes_phase_solve = common + plan->bytes_theta_copy + plan->bytes_redistribute;
    plan->bytes_phase_output = plan->solver == NTK_SOLVER_NONE
                                   ? 0.0
                                   : common + plan->bytes_theta_copy + plan->bytes_vectors +
                                         plan->bytes_output;
    plan_extra_kernels(config, plan);
    if (plan->bytes_extra_kernels > 0.0) {
        const double extra = common + plan->bytes_theta_copy + plan->bytes_vectors +
                             plan->bytes_output + plan->bytes_extra_kernels;
        if (extra > plan->bytes_phase_output)
            plan->bytes_phase_output = extra;
    }
    /* The diagnostics before the eigensolve hold their own matrices next to
     * Theta once the assembly has freed its features. */
    plan_diagnostics(config, plan);
    plan->bytes_phase_diagnostics =
        plan->bytes_diagnostics > 0.0
            ? common + plan->bytes_theta + plan->bytes_theta_copy + plan->bytes_diagnostics
            : 0.0;
    plan->bytes_peak = plan->bytes_phase_assembly;
    plan->peak_phase = "assembly";
    if (plan->bytes_phase_diagnostics > plan->bytes_peak) {
        plan->bytes_peak = plan->bytes_phase_diagnostics;
        plan->peak_phase = "diagnostics";
    }
    if (plan->bytes_phase_solve > plan->bytes_peak) {
        plan->bytes_peak = plan->bytes_phase_solve;
        plan->peak_phase = "eigensolve";
    }
    if (plan->bytes_phase_output > plan->bytes_peak) {
        plan->bytes_peak = plan->bytes_phase_output;
        plan->peak_phase = "output";
    }
    NTK_TRY(plan_cross(config, &costs, params, bytes_tiles, plan));
    if (plan->bytes_linear_theta_copy > 0.0 && plan->solver != NTK_SOLVER_NONE) {
        /* predict.solver cholesky keeps Theta through the eigensolve */
        plan->bytes_phase_solve += plan->bytes_linear_theta_copy;
        plan->bytes_phase_output += plan->bytes_linear_theta_copy;
        if (plan->bytes_phase_solve > plan->bytes_peak) {
            plan->bytes_peak = plan->bytes_phase_solve;
            plan->peak_phase = "eigensolve";
        }
        if (plan->bytes_phase_output > plan->bytes_peak) {
            plan->bytes_peak = plan->bytes_phase_output;
            plan->peak_phase = "output";
        }
    }
    if (plan->bytes_phase_predict > plan->bytes_peak) {
        plan->bytes_peak = plan->bytes_phase_predict;
        plan->peak_phase = "predict";
    }

    double io_bytes = 0.0;
    if (config->output->theta)
        io_bytes += matrix_rows * matrix_rows * plan_matrix_bytes(config);
    if (plan->bytes_vectors > 0.0 && config->output->eigenvectors)
        io_bytes += matrix_rows * (double)eigenpairs * plan_matrix_bytes(config);
    const double speedup = plan_float32(config) ? PLAN_FLOAT32_SPEEDUP : 1.0;
    const double rate_assembly = plan_assembly_rate(config, plan) * speedup;
    /* the analytic kernel's features are each input's own recursion */
    const double rate_features =
        config->kernel->kind == NTK_KIND_ANALYTIC ? rate_assembly : PLAN_RATE_GEMM;
    plan->seconds_estimate = PLAN_FIXED_SECONDS + plan->flops_features / (ranks * rate_features) +
                             plan->flops_assembly / (ranks * rate_assembly) +
                             plan->flops_solver / (ranks * PLAN_RATE_SOLVER * speedup) +
                             plan->flops_check / (ranks * PLAN_RATE_GEMM * speedup) +
                             plan->flops_cross / (ranks * rate_assembly) +
                             plan->flops_predict / (ranks * PLAN_RATE_GEMM) +
                             io_bytes / PLAN_RATE_IO;
    return NTK_OK;
}


ntk_status plan_check_fits(const ntk_plan *plan, double bytes_per_rank)
{
    if (bytes_per_rank <= 0.0 || plan->bytes_peak <= bytes_per_rank)
        return NTK_OK;
    char advice[160];
    int fewest = plan->config.path != NULL ? plan_min_ranks_shaped(&plan->config, plan->n_inputs,
                                                                   &plan->input, bytes_per_rank)
                                           : 0;
    if (fewest > 0)
        snprintf(advice, sizeof advice, "use at least %d ranks", fewest);
    else
        snprintf(advice, sizeof advice, "no rank count up to 2^20 fits: make the job smaller");
    return NTK_RAISE(NTK_ERR_MEMORY,
                     "job needs %.2f GiB per rank (theta %.2f, features %.2f, solver %.2f) but only "
                     "%.2f GiB are available per rank on %d ranks; %s (ntkgram plan %s "
                     "--mem-per-rank %.0f%s)",
                     plan_gib(plan->bytes_peak), plan_gib(plan->bytes_theta),
                     plan_gib(plan->bytes_features),
                     plan_gib(plan->bytes_solver + plan->bytes_vectors), plan_gib(bytes_per_rank),
                     plan->ranks, advice, plan->config.path != NULL ? plan->config.path : "JOB",
                     bytes_per_rank < 1048576.0 ? bytes_per_rank : bytes_per_rank / 1048576.0,
                     bytes_per_rank < 1048576.0 ? "" : "M");
}

int plan_min_ranks(const ntk_plan_config *config, int64_t n_inputs, int64_t input_dim,
                   double bytes_per_rank)
{
    const ntk_shape flat = {1, {input_dim, 0, 0}, input_dim};
    return plan_min_ranks_shaped(config, n_inputs, &flat, bytes_per_rank);
}

/* The plan on `ranks` within the limit (predict.operator auto included)
 * fits it. */
static int plan_fits_within(const ntk_plan_config *config, int64_t n_inputs,
                            const ntk_shape *input, int ranks, double bytes_per_rank,
                            ntk_plan *plan)
{
    if (plan_make_within(config, n_inputs, input, ranks, bytes_per_rank, plan) != NTK_OK ||
        plan_fit_predict_operator(config, bytes_per_rank, plan) != NTK_OK) {
        ntk_error_clear();
        return 0;
    }
    return plan->bytes_peak <= bytes_per_rank;
}

int plan_min_ranks_shaped(const ntk_plan_config *config, int64_t n_inputs, const ntk_shape *input,
                          double bytes_per_rank)
{
    const int limit = 1 << 20;
    ntk_plan plan;
    /* auto picks within the limit (plan_make_within): the gather to rank 0
     * (lapack), whose memory does not fall with more ranks, only when it
     * fits. */
    /* Memory falls almost monotonically with the rank count (grid shapes make
     * small bumps), so double until it fits, then scan the last interval. */
    int low = 0, high = 1;
    while (high <= limit) {
        if (plan_fits_within(config, n_inputs, input, high, bytes_per_rank, &plan))
            break;
        low = high;
        high *= 2;
    }
    if (high > limit)
        return 0;
    for (int ranks = low + 1; ranks < high; ++ranks)
        if (plan_fits_within(config, n_inputs, input, ranks, bytes_per_rank, &plan))
            return ranks;
    return high;
}
