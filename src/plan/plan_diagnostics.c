/* The diagnostics that run before the eigensolve, next to Theta (see
 * plan.h, bytes_diagnostics): what the measured learning curve
 * (diagnostics/learning_curve_measured.c) and diagnostics.compare_weights
 * (pipeline/compare_weights.c) allocate on the rank that holds the most
 * (process coordinate 0 of each grid dimension). Sizes in doubles, n the
 * largest size of diagnostics.learning_curve (each size's matrices are
 * freed before the next), k the outputs, N the inputs (M = N: the curve
 * needs a trace kernel):
 *   learning curve  Theta_SS + ridge I, local rows x local cols of the
 *                   n x n block-cyclic matrix; its right-hand side, local
 *                   rows of n x local cols of k; the exchange buffers of
 *                   the widest panel of columns (ceil(n / 8) columns: a
 *                   receiver's part is at most its local rows of n x its
 *                   local columns of the panel, and a sender's share of a
 *                   random subset of its part of Theta is the same in
 *                   expectation, so both are counted at that size); the
 *                   coefficients n k, the fit and its sum 2 N k, the
 *                   coefficients again N k, the subset and the positions
 *                   2 N, the global index of each local row of Theta
 *   compare_weights the other model's kernel (theta), the features its
 *                   assembly needs (features) and its parameters (model)
 * The larger of the two is bytes_diagnostics: they run one after the other
 * and free what they allocate. */
#include "plan/plan.h"

#include "grid/grid.h"

enum { CURVE_PANELS = 8 }; /* learning_curve_measured.c's SUBSET_PANELS */

static const double DOUBLE_BYTES = 8.0;

double plan_learning_curve_bytes(const ntk_plan *plan, int64_t largest_n)
{
    const int64_t n = largest_n;
    const double n_inputs = (double)plan->n_inputs, k = (double)plan->k;
    const double rows_n = (double)grid_local_count(n, plan->block, 0, plan->grid_rows);
    const double cols_n = (double)grid_local_count(n, plan->block, 0, plan->grid_cols);
    const double cols_k = (double)grid_local_count(plan->k, plan->block, 0, plan->grid_cols);
    const int64_t panel = (n + CURVE_PANELS - 1) / CURVE_PANELS;
    const double cols_panel = (double)grid_local_count(panel, plan->block, 0, plan->grid_cols);
    const double theta_rows = (double)grid_local_count(plan->m_rows, plan->block, 0,
                                                       plan->grid_rows);
    const double doubles = (rows_n > 1.0 ? rows_n : 1.0) * cols_n + rows_n * cols_k +
                           2.0 * rows_n * cols_panel + (double)n * k + 3.0 * n_inputs * k +
                           2.0 * n_inputs + theta_rows;
    return doubles * DOUBLE_BYTES;
}

void plan_diagnostics(const ntk_plan_config *config, ntk_plan *plan)
{
    plan->bytes_diagnostics = 0.0;
    plan->diagnostics_reason = NULL;
    const ntk_diagnostics_spec *spec = config->diagnostics;
    if (spec == NULL || !spec->enabled)
        return;
    int64_t largest_n = 0;
    for (int s = 0; s < spec->n_curve_sizes; ++s)
        if (spec->curve_sizes[s] > largest_n)
            largest_n = spec->curve_sizes[s] < plan->n_inputs ? spec->curve_sizes[s]
                                                              : plan->n_inputs;
    if (largest_n > 0) {
        plan->bytes_diagnostics = plan_learning_curve_bytes(plan, largest_n);
        plan->diagnostics_reason =
            "(diagnostics.learning_curve: Theta_SS of the largest n and its exchange buffers)";
    }
    if (spec->compare_weights[0] != '\0') {
        const double other = plan->bytes_theta + plan->bytes_features + plan->bytes_model;
        if (other > plan->bytes_diagnostics) {
            plan->bytes_diagnostics = other;
            plan->diagnostics_reason =
                "(diagnostics.compare_weights: the other weights' kernel and its features)";
        }
    }
}
