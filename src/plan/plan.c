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
 *   features  (structured) with W = sum_l (n_{l-1} + k n_l) the packed feature
 *             width per input and U the items behind local rows, local
 *             columns and the own block (one shared set):
 *             U x W + the larger of
 *             forward/backward  min(own, 1024) x (k + sum_l (n_{l-1} + (k+1) n_l))
 *             tiles             2 x 1024 x panel + (1024 + panel) x W
 *                               (+ (1024 + panel) x max n_l for full kernels),
 *             panel = 256 columns rounded to blocks (kernel/structured.c);
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
 *   solve     baseline + inputs + model + theta (+ copy) + vectors + solver
 *   output    baseline + inputs + model (+ theta copy) + vectors + output
 * and the peak is the largest of the three.
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
 *             backward); jacobian: the same plus N k P_params for the rows
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
#include <string.h>

#include "core/checked_math.h"

#include "grid/grid.h"
#include "kernel/kernel.h"
#include "spectrum/spectrum.h"

/* Resident memory of an ntkgram process before it allocates any job data:
 * Open MPI, OpenBLAS (one thread), BLACS/ScaLAPACK and libyaml. Measured as
 * the peak RSS of a 64-input job with an eigensolve on the reference machine
 * (Debian 12, Open MPI 4.1, OpenBLAS 0.3.21): 16.5 MiB per rank under mpirun,
 * 19.6 MiB as a single process; tests/plan/plan_memory.sh prints it. */
static const double PLAN_BASELINE_BYTES = 18.0 * 1048576.0;

/* Sustained rates per rank, flop/s: DGEMM-bound phases (features, tiles),
 * the eigensolver (half of its reduction is matrix-vector bound) and the
 * analytic kernel's scalar per-pair formulas. Measured by bench/run on the
 * reference machine (2 cores, one rank each): tiles 33 GFLOP/s and pdsyevd
 * 26 GFLOP/s per rank at M = 4096. The rates here are about half (a quarter
 * for the solver, whose efficiency falls as ranks grow) of those, so the
 * estimate errs long; slurm/submit adds its own safety factor. */
static const double PLAN_RATE_GEMM = 15.0e9;
static const double PLAN_RATE_SOLVER = 6.0e9;
static const double PLAN_RATE_SCALAR = 0.5e9;
/* Writing theta.npy / eigenvectors.npy and reading inputs: bytes/s for the job. */
static const double PLAN_RATE_IO = 200.0e6;
/* Start-up, MPI wire-up, model creation. */
static const double PLAN_FIXED_SECONDS = 2.0;

static const double DOUBLE_BYTES = 8.0;

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
static void plan_grid_shape(const ntk_job *job, int ranks, int *rows, int *cols)
{
    if (job->grid.rows > 0 && job->grid.cols > 0 &&
        (int64_t)job->grid.rows * job->grid.cols == ranks) {
        *rows = job->grid.rows;
        *cols = job->grid.cols;
    } else {
        grid_auto_shape(ranks, rows, cols);
    }
}

/* Eigenvectors and solver workspace as spectrum/workspace.c states them
 * (the module that allocates them), for grid process (0, 0). */
static void plan_solver_bytes(const ntk_job *job, ntk_plan *plan)
{
    ntk_spectrum_workspace ws;
    spectrum_workspace(&job->spectrum, plan->m_rows, plan->grid_rows, plan->grid_cols, plan->block,
                       &ws);
    plan->solver = ws.solver;
    plan->solver_reason = ws.reason;
    plan->eigenpairs = ws.kept_pairs;
    plan->bytes_vectors = spectrum_vector_bytes(&ws);
    plan->bytes_solver = spectrum_workspace_bytes(&ws, plan->m_rows);
    plan->flops_solver = spectrum_solver_flops(&ws, plan->m_rows);
    plan->flops_check = spectrum_check_flops(&ws, plan->m_rows);
}

/* Per-pair cost of the analytic kernel, as analytic_assemble.c counts it. */
static double plan_analytic_pair_flops(const ntk_job *job, int64_t input_dim)
{
    double flops = 6.0 * (double)input_dim;
    double order = job->kernel.quadrature_order;
    for (int layer = 0; layer + 1 < job->model.n_dense; ++layer) {
        ntk_activation act = job->model.act[layer];
        if (act == NTK_ACT_RELU || act == NTK_ACT_ERF || act == NTK_ACT_IDENTITY)
            flops += 3 * 40.0;
        else
            flops += 25.0 * (order * order + 2.0 * order);
    }
    return flops;
}

/* M and the parameter count in checked 64-bit arithmetic, and the sizes
 * no run can have, refused by name: M above ScaLAPACK's 32-bit index limit
 * (NTK_ERR_MEMORY, as dmatrix_create would), a parameter count beyond 2^63
 * (NTK_ERR_MEMORY), a grid.shape of more than 2^31 - 1 ranks (NTK_ERR_JOB). */
static ntk_status plan_check_sizes(const ntk_job *job, int64_t n_inputs, const int64_t *width,
                                   int layers, int full, int64_t *m_rows, int64_t *params)
{
    const int64_t shape_ranks = (int64_t)job->grid.rows * job->grid.cols; /* each < 2^31 */
    if (shape_ranks > INT_MAX) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&job->grid.shape_where, where, sizeof where);
        /* A --set location already names the key. */
        const char *key = job->grid.shape_where.line > 0 ? " grid.shape:" : "";
        return NTK_RAISE(NTK_ERR_JOB, "%s:%s [%d, %d] needs %lld ranks, more than MPI can run (%d)",
                         where, key, job->grid.rows, job->grid.cols, (long long)shape_ranks,
                         INT_MAX);
    }
    int64_t m = n_inputs;
    if ((full && ntk_mul_overflows(n_inputs, width[layers], &m)) || m > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "%s: Theta would be M x M with M = %s = %lld x %lld, more than "
                         "ScaLAPACK's 32-bit index limit (%d)",
                         job->path, full ? "N k" : "N", (long long)n_inputs,
                         (long long)(full ? width[layers] : 1), INT_MAX);
    int64_t total = 0;
    for (int l = 1; l <= layers; ++l) {
        int64_t weights = 0;
        if (ntk_mul_overflows(width[l], width[l - 1], &weights) ||
            ntk_add_overflows(total, weights, &total) ||
            ntk_add_overflows(total, job->model.b_std != 0.0 ? width[l] : 0, &total))
            return NTK_RAISE(NTK_ERR_MEMORY,
                             "%s: model.layers: layer %d (%lld x %lld) takes the parameter count "
                             "past 2^63; no machine holds this model",
                             job->path, l, (long long)width[l], (long long)width[l - 1]);
    }
    *m_rows = m;
    *params = total;
    return NTK_OK;
}

ntk_status plan_make(const ntk_job *job, int64_t n_inputs, int64_t input_dim, int ranks,
                     ntk_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (ranks < 1)
        return NTK_RAISE(NTK_ERR_USAGE, "plan: the number of ranks must be at least 1, got %d",
                         ranks);
    if (n_inputs < 1 || input_dim < 1 || job->model.n_dense < 1)
        return NTK_RAISE(NTK_ERR_JOB, "%s: plan: the job has no inputs or no layers", job->path);

    /* widths n_0 = d, n_1 .. n_{L+1} = k, as in design.md */
    const int layers = job->model.n_dense;
    int64_t width[NTK_MAX_DENSE + 1];
    width[0] = input_dim;
    for (int l = 1; l <= layers; ++l)
        width[l] = job->model.width[l - 1];
    const int64_t k = width[layers];
    const int full = job->kernel.outputs == NTK_OUTPUTS_FULL;

    plan->job = job;
    plan->n_inputs = n_inputs;
    plan->input_dim = input_dim;
    plan->k = k;
    NTK_TRY(plan_check_sizes(job, n_inputs, width, layers, full, &plan->m_rows, &plan->n_params));
    plan->ranks = ranks;
    /* The block the run uses: grid.block, clamped to the matrix. */
    plan->block = grid_effective_block(job->grid.block > 0 ? job->grid.block : NTK_DEFAULT_BLOCK,
                                       plan->m_rows);
    plan_grid_shape(job, ranks, &plan->grid_rows, &plan->grid_cols);
    const int64_t params = plan->n_params;
    double sum_products = 0.0, sum_products_backward = 0.0;
    for (int l = 1; l <= layers; ++l) {
        sum_products += (double)width[l] * (double)width[l - 1];
        if (l >= 2)
            sum_products_backward += (double)width[l] * (double)width[l - 1];
    }

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

    const int have_targets = job->targets.kind != NTK_SOURCE_NONE;
    plan->bytes_inputs = ((double)own_count * (double)input_dim +
                          (have_targets ? (double)own_count * k + (double)n_inputs * k : 0.0)) *
                         DOUBLE_BYTES;
    plan->bytes_model = (double)params * DOUBLE_BYTES;
    plan->bytes_theta = (double)local_rows * (double)local_cols * DOUBLE_BYTES;
    plan->bytes_baseline = PLAN_BASELINE_BYTES;
    plan->lower_only = kernel_lower_only(job);
    /* training.kernel_after keeps a copy of the initial Theta to compare with */
    plan->bytes_theta_copy =
        (job->training.enabled && job->training.kernel_after) ? plan->bytes_theta : 0.0;

    const double fraction = plan_filled_fraction(plan->m_rows, plan->block);
    const double m = (double)plan->m_rows;
    if (job->kernel.kind == NTK_KIND_ANALYTIC) {
        plan->method = "analytic";
        double cache = (double)row_items * (plan->block + 2);
        plan->bytes_features =
            ((double)(row_items + col_items) * (double)input_dim + cache) * DOUBLE_BYTES;
        if (job->kernel.nngp) /* the NNGP matrix is assembled while Theta lives */
            plan->bytes_features += plan->bytes_theta;
        plan->flops_features = 0.0;
        plan->flops_assembly = fraction * (double)n_inputs * (double)n_inputs *
                               plan_analytic_pair_flops(job, input_dim) *
                               (job->kernel.nngp ? 2.0 : 1.0);
    } else if (job->kernel.method == NTK_METHOD_JACOBIAN) {
        plan->method = "jacobian";
        double chunk = (double)(job->kernel.jacobian_chunk < params ? job->kernel.jacobian_chunk
                                                                    : params);
        double rows = (double)row_items * k, cols = (double)col_items * k;
        plan->bytes_features = (rows + cols) * chunk * DOUBLE_BYTES;
        plan->flops_features = (double)n_inputs * (2.0 * sum_products +
                                                   2.0 * k * sum_products_backward +
                                                   (double)k * (double)params);
        plan->flops_assembly = 2.0 * fraction * m * m * (double)params *
                               (full ? 1.0 : (double)k);
    } else {
        plan->method = "structured";
        /* As kernel/structured.c allocates: one item set for rows, columns
         * and the own block (packed feature vectors), which lives throughout,
         * plus the larger of (1) the forward/backward buffers of one batch of
         * up to 1024 own inputs and (2) the tile temporaries: two 1024 x panel
         * Grams, packed row/column panels (bounded by (1024 + panel) x the
         * packed width), per-(x,o) cotangent panels (full) and index maps. */
        double forward_width = (double)k, packed_width = 0.0, tile_flops_per_pair = 0.0;
        int64_t widest = 1;
        for (int l = 1; l <= layers; ++l) {
            forward_width += (double)width[l - 1] + (double)(k + 1) * width[l];
            packed_width += (double)width[l - 1] + (double)k * width[l];
            tile_flops_per_pair += 2.0 * ((full ? 1.0 : (double)k) * width[l] + width[l - 1]);
            if (width[l] > widest)
                widest = width[l];
        }
        const double batch = (double)(own_count < 1024 ? own_count : 1024);
        const double set = (double)plan_union_items(n_inputs, plan->m_rows, per_item, plan->block,
                                                    plan->grid_rows, plan->grid_cols, own_count);
        const double panel_columns = (double)((256 / plan->block > 1 ? 256 / plan->block : 1) *
                                              plan->block);
        double stage_forward = batch * forward_width;
        double stage_tiles = 2.0 * 1024.0 * panel_columns +
                             (1024.0 + panel_columns) * packed_width +
                             (full ? (1024.0 + panel_columns) * (double)widest : 0.0) +
                             2.5 * (double)(local_rows + local_cols);
        plan->bytes_features = (set * packed_width + fmax(stage_forward, stage_tiles)) * DOUBLE_BYTES;
        plan->flops_features =
            (double)n_inputs * (2.0 * sum_products + 2.0 * k * sum_products_backward);
        plan->flops_assembly = fraction * m * m * tile_flops_per_pair;
    }

    plan_solver_bytes(job, plan);
    int64_t eigenpairs = plan->solver == NTK_SOLVER_NONE ? 0 : plan->eigenpairs;
    plan->bytes_output = 5.0 * (double)eigenpairs * DOUBLE_BYTES;

    const double common = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model;
    /* kernel.compare_analytic assembles the limit kernel next to Theta once the
     * features are freed. */
    const double assembly_extra = job->kernel.compare_analytic && plan->bytes_theta > plan->bytes_features
                                      ? plan->bytes_theta
                                      : plan->bytes_features;
    plan->bytes_phase_assembly =
        common + plan->bytes_theta + plan->bytes_theta_copy + assembly_extra;
    plan->bytes_phase_solve = plan->solver == NTK_SOLVER_NONE
                                  ? 0.0
                                  : common + plan->bytes_theta + plan->bytes_theta_copy +
                                        plan->bytes_vectors + plan->bytes_solver;
    plan->bytes_phase_output = plan->solver == NTK_SOLVER_NONE
                                   ? 0.0
                                   : common + plan->bytes_theta_copy + plan->bytes_vectors +
                                         plan->bytes_output;
    plan->bytes_peak = plan->bytes_phase_assembly;
    plan->peak_phase = "assembly";
    if (plan->bytes_phase_solve > plan->bytes_peak) {
        plan->bytes_peak = plan->bytes_phase_solve;
        plan->peak_phase = "eigensolve";
    }
    if (plan->bytes_phase_output > plan->bytes_peak) {
        plan->bytes_peak = plan->bytes_phase_output;
        plan->peak_phase = "output";
    }

    double io_bytes = 0.0;
    if (job->output.theta)
        io_bytes += m * m * DOUBLE_BYTES;
    if (plan->bytes_vectors > 0.0 && job->output.eigenvectors)
        io_bytes += m * (double)eigenpairs * DOUBLE_BYTES;
    const double rate_assembly =
        job->kernel.kind == NTK_KIND_ANALYTIC ? PLAN_RATE_SCALAR : PLAN_RATE_GEMM;
    plan->seconds_estimate = PLAN_FIXED_SECONDS + plan->flops_features / (ranks * PLAN_RATE_GEMM) +
                             plan->flops_assembly / (ranks * rate_assembly) +
                             plan->flops_solver / (ranks * PLAN_RATE_SOLVER) +
                             plan->flops_check / (ranks * PLAN_RATE_GEMM) +
                             io_bytes / PLAN_RATE_IO;
    return NTK_OK;
}

static double plan_gib(double bytes) { return bytes / 1073741824.0; }

ntk_status plan_check_fits(const ntk_plan *plan, double bytes_per_rank)
{
    if (bytes_per_rank <= 0.0 || plan->bytes_peak <= bytes_per_rank)
        return NTK_OK;
    char advice[160];
    int fewest = plan->job != NULL ? plan_min_ranks(plan->job, plan->n_inputs, plan->input_dim,
                                                    bytes_per_rank)
                                   : 0;
    if (fewest > 0)
        snprintf(advice, sizeof advice, "use at least %d ranks", fewest);
    else
        snprintf(advice, sizeof advice, "no rank count up to 2^20 fits: make the job smaller");
    return NTK_RAISE(NTK_ERR_MEMORY,
                     "job needs %.2f GiB per rank (theta %.2f, features %.2f, solver %.2f) but only "
                     "%.2f GiB are available per rank on %d ranks; %s (ntkgram plan %s "
                     "--mem-per-rank %.0fM)",
                     plan_gib(plan->bytes_peak), plan_gib(plan->bytes_theta),
                     plan_gib(plan->bytes_features),
                     plan_gib(plan->bytes_solver + plan->bytes_vectors), plan_gib(bytes_per_rank),
                     plan->ranks, advice, plan->job != NULL ? plan->job->path : "JOB",
                     bytes_per_rank / 1048576.0);
}

int plan_min_ranks(const ntk_job *job, int64_t n_inputs, int64_t input_dim,
                   double bytes_per_rank)
{
    const int limit = 1 << 20;
    ntk_plan plan;
    /* auto may gather to rank 0 (spectrum.solver lapack), whose memory does
     * not fall with more ranks: search with the distributed solver auto
     * picks when the gather does not fit. */
    ntk_job distributed = *job;
    if (job->spectrum.solver == NTK_SOLVER_AUTO)
        distributed.spectrum.solver = spectrum_distributed_solver(&job->spectrum, NULL);
    job = &distributed;
    /* Memory falls almost monotonically with the rank count (grid shapes make
     * small bumps), so double until it fits, then scan the last interval. */
    int low = 0, high = 1;
    while (high <= limit) {
        if (plan_make(job, n_inputs, input_dim, high, &plan) == NTK_OK &&
            plan.bytes_peak <= bytes_per_rank)
            break;
        low = high;
        high *= 2;
    }
    if (high > limit)
        return 0;
    for (int ranks = low + 1; ranks < high; ++ranks)
        if (plan_make(job, n_inputs, input_dim, ranks, &plan) == NTK_OK &&
            plan.bytes_peak <= bytes_per_rank)
            return ranks;
    return high;
}
