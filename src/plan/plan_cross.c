/* The held-out stage's part of a plan (plan.h, plan_cross): the cross kernel
 * Theta(test, train) and the predictions (src/kernel/cross.c,
 * src/predict/predict_math.c), for jobs with data.test_inputs.
 *
 * Memory per rank (doubles), the rank that holds the most:
 *   cross     local test rows x local columns of the (N_test p) x M matrix,
 *             p = k (full) or 1; the columns are laid out as Theta's
 *   features  while it is assembled: structured, the packed feature vectors of
 *             both own blocks and of the items behind the local test rows and
 *             train columns (W each) plus the tile temporaries of Theta's
 *             assembly; jacobian, Jacobian rows of local rows and columns x
 *             chunk; analytic, their inputs and the pair cache
 *   predict   on every rank: alpha (M c), the weights and U (2 M S c), P
 *             (N_test p S c), their local parts, the residual and f_0 (N k,
 *             N_test k) and the predictions (S N_test k); c = k (trace) or 1
 * The eigenvectors live throughout (theta is freed after the eigensolve), so
 * the predict phase is baseline + inputs + model + vectors + cross +
 * the larger of features and predict.
 * Flops (all ranks): the test inputs' forward and backward passes are added
 * to flops_features; flops_cross is the cross kernel's tiles (every entry, no
 * triangle; what the run reports as predict.cross_flops), flops_predict the
 * three products of predict_math.c: 2 M^2 c + 2 M^2 S c + 2 (N_test p) M S c.
 *
 * With a linear solver other than eigen (predict.solver, t = infinity only,
 * S = 1): its workspace (linear_solver_workspace: a Cholesky factor, the
 * copy of Theta kept through the eigensolve when one runs, or Theta itself
 * when none does) and its flops, plus the product 2 (N_test p) M c. */
#include "plan/plan.h"

#include <math.h>
#include <string.h>

#include "data/data.h"
#include "grid/grid.h"
#include "kernel/analytic.h"
#include "predict/linear_solver.h"

/* predict.solver as preflight resolves it (without a memory limit known
 * here: the plan's own, memory_limit). */
static void plan_linear(const ntk_plan_config *config, double channels, ntk_plan *plan)
{
    const ntk_solver solver = config->spectrum->solver;
    const int eigensolve = solver != NTK_SOLVER_NONE && solver != NTK_SOLVER_MATRIX_FREE;
    const linear_request request = {
        .spec = config->predict,
        .matrix_size = plan->m_rows,
        .right_hand_sides = (int64_t)channels,
        .grid_rows = plan->grid_rows,
        .grid_cols = plan->grid_cols,
        .block = plan->block,
        .spectrum_has_vectors =
            eigensolve && config->spectrum->vectors && config->spectrum->top == 0,
        .theta_assembled = solver != NTK_SOLVER_MATRIX_FREE && !plan->predict_matrix_free,
        .theta_kept = solver == NTK_SOLVER_NONE,
        .bytes_per_rank = plan->memory_limit,
        .bytes_besides =
            plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model + plan->bytes_cross};
    const ntk_linear_solver_ops *ops = NULL;
    if (linear_solver_choose(&request, &ops, plan->linear_why, sizeof plan->linear_why) != NTK_OK) {
        /* run refuses it with the message; the plan shows what it can */
        ntk_error_clear();
        plan->linear_solver = "none (refused)";
        return;
    }
    plan->linear_solver = ops->name;
    if (ops->id == NTK_LINEAR_EIGEN)
        return;
    ntk_linear_workspace workspace;
    linear_solver_workspace(ops, &request, &workspace);
    plan->bytes_linear = workspace.matrix_bytes + workspace.vector_bytes;
    plan->bytes_linear_theta_copy = workspace.theta_copy_bytes;
    plan->flops_linear = ops->flops != NULL ? ops->flops(&request) : 0.0;
}

ntk_status plan_cross(const ntk_plan_config *config, const model_costs *costs, int64_t n_params,
                      double bytes_tiles, ntk_plan *plan)
{
    plan->n_test = 0;
    plan->bytes_cross = plan->bytes_predict = plan->bytes_phase_predict = 0.0;
    plan->flops_cross = plan->flops_predict = 0.0;
    plan->linear_solver = NULL;
    plan->linear_why[0] = '\0';
    plan->bytes_linear = plan->bytes_linear_theta_copy = plan->flops_linear = 0.0;
    if (config->test_inputs->kind == NTK_SOURCE_NONE)
        return NTK_OK;
    int64_t n_test = 0, dim = 0;
    NTK_TRY(data_shape_as(config->test_inputs, DATA_ROLE_INPUTS, &n_test, &dim));
    plan->n_test = n_test;
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    const double k = (double)plan->k, per_item = full ? k : 1.0, channels = full ? 1.0 : k;
    const double m = (double)plan->m_rows, test_rows = (double)n_test * per_item;
    const double local_rows = (double)grid_local_count((int64_t)test_rows, plan->block, 0,
                                                       plan->grid_rows);
    const double local_cols = (double)grid_local_count(plan->m_rows, plan->block, 0,
                                                       plan->grid_cols);
    /* Items behind the local rows and columns: at most one per index, and
     * for full kernels one per index divided by k plus one per block. */
    const double row_items = full ? local_rows / k + local_rows / plan->block + 1.0 : local_rows;
    const double col_items = full ? local_cols / k + local_cols / plan->block + 1.0 : local_cols;
    int64_t first = 0, own_test = 0, own_train = 0;
    grid_own_block(n_test, plan->ranks, 0, &first, &own_test);
    grid_own_block(plan->n_inputs, plan->ranks, 0, &first, &own_train);
    const double slices =
        (double)config->predict->n_steps + (config->predict->infinite ? 1.0 : 0.0);

    plan->bytes_cross = local_rows * local_cols * 8.0;
    double features = 0.0;
    if (config->kernel->kind == NTK_KIND_ANALYTIC) {
        /* conv nets: each input with its statistics, and the recursion's
         * work buffer (plan_make's analytic fields) */
        features = (row_items + col_items) *
                       (double)(plan->input_dim + plan->analytic_stats_doubles) +
                   row_items * (plan->block + 2) + plan->analytic_work_doubles;
        if (config->kernel->nngp &&
            config->output->test_theta) /* test_nngp.npy next to the cross NTK */
            features += local_rows * local_cols;
        plan->flops_cross = (double)n_test * (double)plan->n_inputs *
                            analytic_pair_flops(config->model, &plan->input,
                                                config->kernel->quadrature_order) *
                            (config->kernel->nngp && config->output->test_theta ? 2.0 : 1.0);
    } else if (config->kernel->method == NTK_METHOD_JACOBIAN) {
        double chunk =
            (double)(config->kernel->jacobian_chunk < n_params ? config->kernel->jacobian_chunk
                                                               : n_params);
        features = (local_rows + local_cols) * chunk * (full ? 1.0 : k);
        plan->flops_features += (double)n_test * (2.0 * costs->forward_flops +
                                                  2.0 * k * costs->backward_flops +
                                                  k * (double)n_params);
        plan->flops_cross = 2.0 * test_rows * m * (double)n_params * (full ? 1.0 : k);
    } else {
        /* The Jacobian blocks beyond kernel.chunk_mib go in chunk passes
         * (kernel_assemble_structured_cross decides as Theta's assembly). */
        const double items = row_items + col_items + (double)own_test + (double)own_train;
        features = items * (costs->packed_doubles - plan->block_doubles) +
                   fmin(items * plan->block_doubles, plan->chunk_budget_bytes / 8.0) +
                   bytes_tiles / 8.0;
        plan->flops_features +=
            (double)n_test * (2.0 * costs->forward_flops + 2.0 * k * costs->backward_flops);
        plan->flops_cross = test_rows * m * costs->tile_flops_per_pair;
    }
    if (config->predict->enabled)
        plan_linear(config, channels, plan);
    if (config->predict->enabled && plan->linear_solver != NULL &&
        strcmp(plan->linear_solver, "eigen") != 0) {
        /* X (M c), its local rows, P (N_test p c), the residual and f_0 (N k,
         * N_test k), the one slice (N_test k); Theta lives on (kept, or
         * spectrum.solver none) */
        plan->bytes_predict = (2.0 * m * channels + test_rows * channels +
                               (local_rows + local_cols) * channels +
                               ((double)plan->n_inputs + (double)n_test) * k +
                               (double)n_test * k) * 8.0 + plan->bytes_linear;
        plan->flops_predict = plan->flops_linear + 2.0 * test_rows * m * channels;
        plan->bytes_phase_predict = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model +
                                    plan->bytes_vectors + plan->bytes_cross + plan->bytes_theta +
                                    (features * 8.0 > plan->bytes_predict ? features * 8.0
                                                                          : plan->bytes_predict);
        return NTK_OK;
    }
    if (config->predict->enabled) {
        const double wide = slices * channels;
        plan->bytes_predict = (m * channels + 2.0 * m * wide + test_rows * wide +
                               (local_rows + local_cols + 2.0 * local_cols) * wide +
                               ((double)plan->n_inputs + (double)n_test) * k +
                               slices * (double)n_test * k) * 8.0;
        plan->flops_predict = 2.0 * m * m * channels + 2.0 * m * m * wide + 2.0 * test_rows * m * wide;
    }
    plan->bytes_phase_predict = plan->bytes_baseline + plan->bytes_inputs + plan->bytes_model +
                                plan->bytes_vectors + plan->bytes_cross +
                                (features * 8.0 > plan->bytes_predict ? features * 8.0
                                                                      : plan->bytes_predict);
    return NTK_OK;
}
