/* spectrum.solver matrix_free: the top-k eigenpairs of Theta from products
 * Theta V = J (J^T V), without assembling Theta (issue 10).
 *
 * Rows are distributed as the inputs are: each rank owns the rows of its own
 * block of inputs (grid_own_block), x for the trace kernel and x k + o for the
 * full one, and keeps the features (per-layer inputs h_{l-1} and cotangents
 * delta_l) of those inputs only. A product is two passes of local DGEMMs
 * over the own inputs, through the layers' param_vjp / param_jvp ops, and one
 * MPI_Allreduce of parameter-shaped buffers.
 *
 * The trace kernel: Theta_bar = (1/k) sum_o J_o J_o^T with J_o the N x P
 * Jacobian of output o, that is Theta_bar = J_bar J_bar^T with the N x (k P)
 * matrix J_bar = [J_1, ..., J_k] / sqrt(k). So a vector v on N rows gives k
 * parameter-shaped buffers g_o = J_o^T v / sqrt(k) (weights v(x)/sqrt(k) on
 * the rows (x, o) of output o only), and Theta_bar v = sum_o J_o g_o /
 * sqrt(k). The full kernel: one buffer g = J^T v, Theta v = J g. */
#ifndef NTK_SPECTRUM_MATRIX_FREE_H
#define NTK_SPECTRUM_MATRIX_FREE_H

#include <mpi.h>
#include <stdint.h>

#include "core/status.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "spectrum/spectrum.h"

typedef struct {
    const ntk_model *model;
    const ntk_input_block *inputs;
    MPI_Comm comm;
    int full;              /* kernel.outputs full: rows (x, o) */
    int k;                 /* model outputs */
    int channels;          /* parameter buffers per vector: k (trace) or 1 (full) */
    int64_t rows;          /* own rows: count (trace) or count k (full) */
    int64_t first_row;     /* global index of the first own row */
    int64_t n_params;
    int stored;            /* features of every own input kept between products */
    int64_t batch;         /* inputs per pass (views of stored features, or recomputed) */
    int64_t max_vectors;   /* columns a product takes at most */
    ntk_features features; /* stored: all own inputs; recompute: `batch` inputs */
    double *gradient;      /* max_vectors x channels x n_params */
    double *weight;        /* batch x k */
    double *partial;       /* batch x k */
    double *scratch;       /* batch x the widest layer output */
    int64_t products;      /* Theta-vector products so far (columns) */
} mf_operator;

/* The first layer of `stack` with parameters but without the matrix-free
 * ops (its index), or -1 when every such layer has them. */
int mf_missing_ops_layer(const ntk_layer *stack, int n_stack);

/* Set up the operator for the own block; `stored` chooses whether features
 * are kept; `batch` inputs per pass (< 1: all own inputs at once); products
 * take up to `max_vectors` columns. Rank-local. */
ntk_status mf_operator_create(const ntk_model *model, const ntk_input_block *inputs,
                              MPI_Comm comm, int full, int stored, int64_t batch,
                              int64_t max_vectors, mf_operator *op);
void mf_operator_destroy(mf_operator *op);

/* Y = Theta V for `columns` vectors: V and Y are op->rows x columns,
 * column-major with leading dimension `ld` (>= op->rows), own rows only.
 * Collective over op->comm (every rank passes the same `columns`). */
ntk_status mf_operator_apply(mf_operator *op, const double *v, int64_t columns, int64_t ld,
                             double *y);

/* trace(Theta) exactly from the features: per layer from its structured
 * term's norms (dense) or from its Jacobian rows by param_vjp (conv).
 * Collective. */
ntk_status mf_operator_trace(mf_operator *op, double *trace);

/* Theta's diagonal at the own rows (op->rows entries): per layer from
 * norms of the features (dense) or Jacobian rows (conv), as the trace.
 * Used by predict.preconditioner pivoted_cholesky. Collective. */
ntk_status mf_operator_diagonal(mf_operator *op, double *diagonal);

/* PARPACK's basis size (ncv) for the top `top` pairs of an M x M matrix. */
int64_t mf_basis_size(int64_t top, int64_t matrix_size);

/* The checks of the pairs (matrix_free_check.c; README "The top of the
 * spectrum without Theta"). Probes: the limit of each probe is
 * MF_PROBE_SAFETY times what the estimates allow, plus MF_ROUNDING_FACTOR
 * eps sqrt(M) ||c|| of rounding (matrix_free_check.c says why). */
enum { MF_PROBE_SAFETY = 4, MF_ROUNDING_FACTOR = 16 };

/* 1 when spectrum.pair_check `mode` checks `pairs` pairs by probes (auto:
 * above SPECTRUM_CHECK_EXACT_PAIRS, the dense check's rule). */
int mf_pair_check_uses_probes(ntk_pair_check mode, int64_t pairs);

/* ||Theta z_i - lambda_i z_i|| / scale for every pair (z: op->rows x
 * pairs, leading dimension ld), one product each, in blocks of
 * op->max_vectors. Collective. */
ntk_status mf_exact_residuals(mf_operator *op, const double *z, int64_t ld, const double *values,
                              int64_t pairs, double scale, double *residual);

typedef struct {
    double residual;      /* max_k ||(Theta Z - Z Lambda) c_k|| / scale */
    double limit_ratio;   /* max_k of that over probe k's limit: above 1 fails */
    double orthogonality; /* max_k ||(Z^T Z - I) c_k|| */
} mf_probe_result;

/* The SPECTRUM_CHECK_PROBES probes of the pairs whose residuals relative to
 * `scale` are claimed to be `estimates` (NULL: the orthogonality only,
 * without products; the other fields NaN). `tolerance` is
 * spectrum.tolerance, `matrix_size` M. Collective. */
ntk_status mf_probe_pairs(mf_operator *op, const double *z, int64_t ld, const double *values,
                          const double *estimates, int64_t pairs, double scale, double tolerance,
                          int64_t matrix_size, mf_probe_result *result);

/* The own-row eigenvectors z (op->rows x pairs, leading dimension ld) into
 * an M x pairs block-cyclic matrix on `grid` (created here), for the modes
 * and eigenvectors.npy. Collective. */
ntk_status mf_vectors_to_dmatrix(const ntk_grid *grid, const mf_operator *op, const double *z,
                                 int64_t ld, int64_t pairs, ntk_dmatrix *vectors);

/* The top spectrum.top eigenpairs by PARPACK on `op`: values descending,
 * every pair verified by an explicit product or, by spectrum.pair_check, its
 * Ritz estimate by probes (spectrum->pair_residual), the
 * eigenvectors as a dmatrix on `grid`. Fewer converged pairs than asked is
 * NTK_ERR_NUMERIC unless spectrum.allow_unconverged. Without PARPACK in the
 * build: NTK_ERR_JOB. Collective. */
ntk_status spectrum_solve_matrix_free(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                      mf_operator *op, ntk_spectrum *spectrum);

/* Inputs per pass over the own block (scratch and recomputed features are
 * this many inputs), and columns per product of the residual check. */
enum { MF_BATCH_INPUTS = 2048, MF_CHECK_COLUMNS = 8 };

/* What the matrix-free solve allocates on the rank with the most inputs,
 * and its flops (spectrum/workspace.c; plan adds them up). */
typedef struct {
    int stored;                  /* features kept (1) or recomputed (0) */
    int64_t basis_size;          /* PARPACK's ncv */
    double feature_bytes;        /* all own inputs (stored) or one batch (recompute) */
    double solver_bytes;         /* Lanczos basis and work, Ritz vectors, product buffers */
    double vector_bytes;         /* the M x top eigenvector matrix and its exchange */
    double product_flops;        /* one Theta-vector product, all ranks */
    double products_estimate;    /* products the solve is expected to take, check included */
} mf_costs;

/* `own_inputs`: the most any rank holds; `model`: the layers' costs per
 * input (the batched pass's feature_doubles, forward_flops and
 * backward_flops per (x, o) row, and the products' product_flops,
 * product_width and product_scratch_doubles); `n_params` P. */
void spectrum_matrix_free_costs(const ntk_spectrum_spec *spec, int stored, int64_t matrix_size,
                                int64_t own_inputs, int k, int full, int64_t n_params,
                                const model_costs *model, int grid_rows, int grid_cols, int block,
                                mf_costs *costs);

#endif
