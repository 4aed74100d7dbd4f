/* Theta assembly: from the model and the inputs to the distributed Gram matrix.
 *
 * Rows of Theta are indexed by i = x (outputs: trace, M = N) or i = x*k + o
 * (outputs: full, M = N k). Every rank starts with its own block of inputs
 * (grid_own_block over all ranks). Methods:
 *   structured (empirical): forward/backward once per own input, features sent
 *       to the ranks whose tiles need them, then per layer
 *       Theta += (cotangent Gram) o (c_l^2 input Gram + s_l^2), as local DGEMMs;
 *   jacobian (empirical): explicit Jacobian rows in parameter chunks, Theta += J J^T;
 *   analytic: the infinite-width NTK (and NNGP) of the model description.
 * The trace kernel is the MEAN over the k logits (neural-tangents' convention).
 * With config->only_layer = l, every method assembles Theta_l instead, the
 * contribution of layer l's weights and bias (structured: layer l's term;
 * jacobian: its parameter columns; analytic: its Sigma term carried up the
 * recursion), so that Theta = sum_l Theta_l.
 *
 * Assembly runs in steps that are the same on every rank (local column
 * blocks, or parameter chunks for the jacobian method); after each step the
 * hooks are called collectively, which is where progress, checkpoints and
 * signals are handled. A step's result depends only on the job, so a resumed
 * run is bit-for-bit the same as an uninterrupted one.
 */
#ifndef NTK_KERNEL_KERNEL_H
#define NTK_KERNEL_KERNEL_H

#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"
#include "kernel/kernel_config.h"
#include "model/model.h"

/* The own block of inputs of this rank. */
typedef struct {
    int64_t n;      /* all inputs */
    int64_t dim;
    int64_t first;  /* own block [first, first + count) */
    int64_t count;
    double *x;      /* count x dim, row-major */
} ntk_input_block;

typedef struct {
    int64_t first_step; /* resume: steps [0, first_step) are already in theta */
    /* Called collectively after each step; a non-OK status stops assembly
     * (NTK_ERR_INTERRUPTED after a checkpoint on a signal). May be NULL. */
    ntk_status (*after_step)(void *context, ntk_dmatrix *theta, int64_t steps_done,
                             int64_t steps_total);
    void *context;
    /* kernel.kind analytic: also fill this NNGP matrix (Theta's size and
     * layout, the same triangle) from the same pair evaluations, from
     * first_step on; NULL: Theta only. */
    ntk_dmatrix *nngp;
    /* kernel.kind analytic: one flag per step; a step whose flag is set is
     * not computed (its tiles are already in theta, from the pieces of a job
     * array, or belong to another piece), but after_step is still called
     * for it. NULL: every step from first_step on. The empirical methods
     * accumulate Theta over their steps and take no such set. */
    const unsigned char *skip_step;
} ntk_assembly_hooks;

typedef struct {
    const char *method;     /* "structured", "jacobian", "analytic" */
    double flops;           /* floating-point operations this rank performed in tiles */
    double flops_total;     /* summed over ranks */
    int64_t steps_total;
    /* Where the assembly's time goes (structured and jacobian methods: timed
     * set): the Jacobians (forward and backward passes, Jacobian blocks,
     * packed features, or Jacobian rows) and the J J^T products (the tiles,
     * whose flops `flops` counts); the exchange of features between ranks is
     * in neither. This rank's seconds, then after the reduction the slowest
     * rank's and the sum over ranks (for rates per rank). The same parts in
     * CPU seconds of the process (kernel_cpu_seconds), summed over ranks
     * after the reduction: on a shared machine a rank waiting for a core
     * counts in the wall seconds but not here. */
    int timed;
    double jacobian_seconds, products_seconds;
    double jacobian_seconds_max, products_seconds_max;
    double jacobian_seconds_sum, products_seconds_sum;
    double jacobian_cpu_seconds, products_cpu_seconds;
    /* The structured method's parameter chunk passes (kernel.chunk_mib);
     * a float32 Theta is rounded once more per pass. */
    int64_t chunk_passes;
} ntk_kernel_stats;

/* CPU seconds this process has used (all its threads), for the stats. */
double kernel_cpu_seconds(void);

/* Whether a job needs Theta's upper triangle too: only when the whole matrix
 * is written (output.theta). The pipeline always assembles the lower
 * triangle (the eigensolvers and the Frobenius distances read nothing else)
 * and, when this says so, mirrors it into the upper one: a transpose costs far
 * less than computing the upper triangle's tiles, and the result is exactly
 * symmetric. */
int kernel_needs_upper_triangle(const ntk_kernel_config *config);

/* The steps of kernel.kind analytic's assembly of a matrix of `cols`
 * columns on `grid`: step s fills local column block s of every process
 * (the most blocks a process column holds). */
int64_t kernel_analytic_steps(const ntk_grid *grid, int64_t cols);

/* M for a job: N (trace) or N k (full). */
int64_t kernel_rows(const ntk_kernel_config *config, int64_t n_inputs, int k);

/* The structured kernel's working sizes, stated by the module that allocates
 * them (kernel/structured.c) so that plan adds up the same numbers: inputs per
 * forward/backward batch for a given feature size per input (a batch's buffers
 * stay within a fixed budget), local columns per step (a panel of whole
 * blocks), and rows per tile. */
int64_t kernel_structured_batch(double doubles_per_input, double budget_bytes);
/* The batch for a network's layers at kernel.chunk_mib = budget_bytes (the
 * layers' pass scratch per input counted with its buffers), and the doubles
 * per input its buffers take (model_features_reserve), in *reserved when not
 * NULL. */
int64_t kernel_structured_feature_batch(const ntk_layer *stack, int n_stack, int k,
                                        double budget_bytes, double scratch_per_input,
                                        double *reserved);
int64_t kernel_structured_panel_columns(int block);
int64_t kernel_structured_row_chunk(void);

/* What the structured assembly holds next to its packed feature vectors, for
 * the rank that holds the most (own_count inputs, local_rows x local_cols of
 * Theta; plan and the kernel pass the same maxima). A feature pass holds one
 * forward/backward batch (model_features_reserve's buffers: batch_doubles),
 * the layers' pass scratch and one input's Jacobian-block scratch; the tiles
 * then hold two row chunk x panel Grams and the index maps, and full kernels
 * per-(x, o) panels of (row chunk + panel) / k vectors' width
 * (tile_vectors). The two stages are never alive at once. In doubles. */
typedef struct {
    int64_t batch;                                     /* inputs per batch, at most */
    double batch_doubles, pass_scratch, block_scratch; /* the feature pass */
    double tiles;                                      /* the tiles' fixed part */
    double tile_vectors;                               /* vectors' worth in the tiles */
} kernel_structured_overhead;
void kernel_structured_overhead_of(const ntk_layer *stack, int n_stack, int k, int full,
                                   int quadrature_order, double budget_bytes, int64_t own_count,
                                   int64_t local_rows, int64_t local_cols, int block,
                                   kernel_structured_overhead *overhead);

/* The bytes kernel.chunk_mib leaves the packed vectors: the budget less the
 * larger of the feature pass and the tiles' fixed part, so that the whole
 * assembly stage fits it; at least a quarter of the budget (a budget below
 * 4/3 of the fixed part is then exceeded by the fixed part: plan says so). */
double kernel_chunk_vector_budget(double budget_bytes, const kernel_structured_overhead *overhead);

/* The structured kernel's parameter chunks, decided alike by the kernel
 * (structured.c) and plan from per-layer sizes. Each rank keeps one packed
 * feature vector per item it needs (its own inputs and the partners' behind
 * its rows and columns). A conv layer's Jacobian block is large (k x its
 * parameter count per input), so when items x the whole width exceeds the
 * budget (kernel.chunk_mib), the widest block layers are taken out of the
 * vector, widest first, until the rest fits; each of those is then assembled
 * in passes over ranges of its block rows,
 *     Theta_l = sum over row ranges c of J_l[:, c] J_l[:, c]^T,
 * every pass holding only its range for every item: rows per pass such that
 * items x k x rows x row width fits the budget. Memory per rank is then
 * about the budget whatever the parameter count; each pass recomputes the
 * forward pass of the own inputs and the backward pass down to its layer.
 * A conv layer in the pairwise form (P positions, patches of D values, C
 * output channels) packs P D + (P + 1) k C doubles per item; its parameter
 * chunks are rectangles of its C x D weights, a range of output channels
 * (their cotangents, and their bias sums in the first depth range) times a
 * range of patch columns:
 *     Theta_l = sum over (channels c, columns d) of
 *               c^2 sum_{p,p'} G_c[p,p'] K_d[p,p'] (+ the bias term of c, d first)
 * with G_c the position Gram of channels c's cotangents and K_d that of the
 * patches' columns d; channel ranges outer, column ranges inner. */
typedef struct {
    int n_layers;                         /* layers with parameters; arrays 1-based */
    double packed[NTK_MAX_DENSE + 2];     /* doubles per item of layer l's packed features */
    int64_t block_rows[NTK_MAX_DENSE + 2];/* its Jacobian block's rows; 0: not a block layer */
    double row_doubles[NTK_MAX_DENSE + 2];/* doubles per item of one block row (all logits) */
    int64_t pair_positions[NTK_MAX_DENSE + 2]; /* pairwise: P (0: not pairwise), */
    int64_t pair_depth[NTK_MAX_DENSE + 2];     /* D, */
    int64_t pair_channels[NTK_MAX_DENSE + 2];  /* C, */
    int k;                                     /* and the logits k */
    /* decided by kernel_structured_chunking: */
    int chunked[NTK_MAX_DENSE + 2];       /* assembled in passes */
    int64_t chunk_rows[NTK_MAX_DENSE + 2];/* block rows (pairwise: output channels) per pass */
    int64_t chunk_depth[NTK_MAX_DENSE + 2];/* pairwise: patch columns per pass */
    int64_t passes;                       /* over all chunked layers; 0: none */
    double resident;                      /* doubles per item kept whole */
    double widest_chunk;                  /* doubles per item of the widest pass */
} kernel_chunking;

/* Decide for `items` vectors (the most any rank holds at once, its tile
 * panels' copies included) and a budget in bytes; packed, block_rows,
 * row_doubles, the pairwise sizes, k and n_layers filled by the caller. Pure. */
void kernel_structured_chunking(double items, double budget_bytes, kernel_chunking *chunking);

/* The passes of chunked layer l (0 when it is not chunked). */
int64_t kernel_chunk_layer_passes(const kernel_chunking *chunking, int l);

/* Pass `pass` (numbered from 0 over the chunked layers in order): its layer,
 * and its range of block rows (pairwise: output channels [first, first +
 * rows) and patch columns [depth_first, depth_first + depth); a block
 * layer's depth range is 0, 0). */
typedef struct {
    int layer;
    int64_t first, rows, depth_first, depth;
} kernel_chunk_pass;
void kernel_chunk_pass_of(const kernel_chunking *chunking, int64_t pass, kernel_chunk_pass *out);

/* kernel.chunk_mib in bytes (its default for a job built in code). */
double kernel_chunk_budget_bytes(const ntk_kernel_config *config);

/* The vectors' budget as kernel_structured_chunking takes it (it counts the
 * packed values at 8 bytes): kernel_chunk_vector_budget of kernel.chunk_mib,
 * twice that for kernel.precision mixed and float32, whose vectors hold
 * floats (the batch and the tiles are float64 in every precision). */
double kernel_chunk_decision_bytes(const ntk_kernel_config *config,
                                   const kernel_structured_overhead *overhead);

/* The error statement of a kernel.precision other than float64
 * (docs/precision.md): how far Theta and its eigenvalues can be from the
 * float64 ones. u is float32's unit roundoff 2^-24. An entry of Theta is a
 * sum over layers of products of Grams; each Gram entry is a float32 inner
 * product of D terms whose operands were rounded to float32, so its error is
 * at most about (D + 2) u relative to the inner product of the magnitudes,
 * and a layer's term (two Grams) about (D_cotangent + D_input + 4) u; the
 * sum over layers is in float64. The dense layers' forward and backward
 * passes are SGEMMs too (model/single_passes.h): each of depth D adds about
 * (D + 2) u to the features it reaches, so a layer's length also counts,
 * twice (both inputs of a pair), the forward GEMMs before it and the
 * backward GEMMs after it. P is the largest such length over the layers,
 * plus 1 for float32, whose Theta is rounded once more when it is stored. */
typedef struct {
    ntk_kernel_precision precision;
    double unit_roundoff;           /* u = 2^-24 */
    int64_t accumulation_length;    /* P */
    double theta_relative_bound;    /* P u: the worst case (no cancellation in the Grams) */
    double theta_relative_typical;  /* sqrt(P) u: rounding errors of random sign */
    double solver_error;            /* the eigensolver's share of eigenvalue_bound */
    double theta_frobenius;         /* ||Theta||_F of the assembled Theta */
    /* After the eigensolve (kernel_precision_error_eigenvalues); eigenvalues
     * 0 (and the bound NaN) without one. */
    double eigenvalue_bound;        /* |lambda_i - lambda_i(float64)| <= this, for every i */
    double bound_factor;            /* eigenvalue_bound / (u lambda_max) */
    int64_t eigenvalues;            /* reported */
    int64_t eigenvalues_above;      /* of them, above eigenvalue_bound: the meaningful ones */
} ntk_precision_error;

/* The job's P and the relative bounds of Theta (NTK_ERR_JOB where the
 * precision has no assembly, as kernel_assemble says); `chunk_passes` the
 * assembly's (its stats: float32 rounds Theta once more per pass).
 * theta_frobenius is the caller's to set. Rank-local. */
ntk_status kernel_precision_error_begin(const ntk_kernel_config *config, const ntk_model *model,
                                        int64_t chunk_passes, ntk_precision_error *error);

/* The eigenvalue bound by Weyl's inequality, |lambda_i(Theta + E) -
 * lambda_i(Theta)| <= ||E||_2 <= ||E||_F <= P u ||Theta||_F (the entrywise
 * bound summed in squares), plus the eigensolver's own error `solver_error`
 * (absolute; the caller's: mixed M 2^-53 lambda_max, float32 from its
 * check); and how many of the `count` eigenvalues (descending) exceed it.
 * Pure. */
void kernel_precision_error_eigenvalues(ntk_precision_error *error, double solver_error,
                                        const double *values, int64_t count);

/* Assemble Theta into `theta` (created by the caller as M x M on `grid`).
 * `lower_only`: fill only blocks that touch the lower triangle (the
 * eigensolver reads only that one); otherwise the whole matrix. Collective. */
ntk_status kernel_assemble(const ntk_kernel_config *config, const ntk_model *model,
                           const ntk_grid *grid, const ntk_input_block *inputs, int lower_only,
                           const ntk_assembly_hooks *hooks, ntk_dmatrix *theta,
                           ntk_kernel_stats *stats);

/* kernel.precision float32: Theta into the float32 matrix `theta`, lower
 * triangle (lower_only) or whole, by the structured method's float32
 * products with each block's sum over layers formed in float64 and stored
 * rounded to float32 (structured_mixed.c). No hooks: a float32 assembly
 * takes no checkpoints. Collective. */
ntk_status kernel_assemble_float32(const ntk_kernel_config *config, const ntk_model *model,
                                   const ntk_grid *grid, const ntk_input_block *inputs,
                                   int lower_only, ntk_smatrix *theta, ntk_kernel_stats *stats);

/* The analytic NNGP kernel (kernel.nngp), same layout as Theta. Collective. */
ntk_status kernel_assemble_nngp(const ntk_kernel_config *config, const ntk_model *model,
                                const ntk_grid *grid, const ntk_input_block *inputs,
                                ntk_dmatrix *nngp);

/* The analytic NNGP kernel's lower triangle in the steps whose flag in
 * `skip_step` is 0 (the others are left as they are): what a run that
 * combines the pieces of a job array lacks (pieces of Theta without their
 * NNGP). The same values as kernel_assemble_nngp's. Collective. */
ntk_status kernel_assemble_nngp_steps(const ntk_kernel_config *config, const ntk_model *model,
                                      const ntk_grid *grid, const ntk_input_block *inputs,
                                      const unsigned char *skip_step, ntk_dmatrix *nngp);

/* Delivering per-item vectors to the ranks whose tiles need them.
 *
 * Each rank holds `width`-long vectors for its own block of items (as
 * grid_own_block). Matrix index i belongs to item i / per_item. After the
 * call, `rows` holds the vectors of every item that has a matrix row in this
 * rank's local rows, `cols` likewise for local columns, each in ascending item
 * order. Collective over grid->comm. */
typedef struct {
    int64_t count;   /* items held */
    int64_t *item;   /* their global numbers, ascending */
    double *vectors; /* count x width, row-major */
} ntk_item_set;

ntk_status kernel_exchange(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                           int64_t matrix_size, int64_t width, const double *own_vectors,
                           ntk_item_set *rows, ntk_item_set *cols);
void kernel_item_set_free(ntk_item_set *set);

/* One axis of kernel_exchange, for a matrix whose rows and columns belong to
 * different item sets (the cross kernel): the items behind this rank's local
 * rows (by_rows != 0) or local columns of a matrix with `matrix_size` rows
 * (or columns). Collective over grid->comm. */
ntk_status kernel_exchange_axis(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                int64_t matrix_size, int64_t width, const double *own_vectors,
                                int by_rows, ntk_item_set *out);

/* The cross kernel Theta(A, B) (docs/design.md, "Predictions on held-out
 * inputs"): rows from input set `rows` (A, e.g. data.test_inputs), columns
 * from input set `cols` (B, the training inputs), by the job's kernel kind and
 * method; for kernel.kind analytic with want_nngp, the NNGP cross kernel.
 * `cross` is created by the caller as (|A| per_item) x (|B| per_item) on
 * `grid` (per_item = k for full outputs, else 1): its columns are
 * distributed exactly as Theta's, so local column j of `cross` and of Theta
 * (or its eigenvectors' rows) are the same training index. Every rank holds
 * its own block (grid_own_block) of both sets. Steps and `hooks` (may be
 * NULL) as for Theta: the held-out stage's checkpoints and stop signals; a
 * resumed assembly starts at hooks->first_step. Collective. */
ntk_status kernel_assemble_cross(const ntk_kernel_config *config, const ntk_model *model,
                                 const ntk_grid *grid, const ntk_input_block *rows,
                                 const ntk_input_block *cols, int want_nngp,
                                 const ntk_assembly_hooks *hooks, ntk_dmatrix *cross,
                                 ntk_kernel_stats *stats);

#endif
