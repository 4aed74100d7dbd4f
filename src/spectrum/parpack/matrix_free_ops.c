/* spectrum.solver matrix_free's ops table (see spectrum/eigensolver.h):
 * PARPACK on the product Theta v = J (J^T v), Theta never assembled. Its
 * costs depend on the model (spectrum_matrix_free_costs) and its solve on
 * the operator (spectrum_solve_matrix_free), so the table states what it
 * can do; auto never picks it (it needs spectrum.top). */
#include "spectrum/eigensolver.h"

const ntk_eigensolver_ops spectrum_matrix_free_ops = {
    .id = NTK_SOLVER_MATRIX_FREE,
    .name = "matrix_free",
    .family = "parpack",
    /* the top k with eigenvectors, which it always computes (Lanczos needs
     * them); a values-only request keeps the eigenvalues */
    .capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_TOP_K |
                    EIGENSOLVER_SEVERAL_NODES | EIGENSOLVER_ALWAYS_VECTORS,
    .measured_seconds = {0.0, 0.0, 0.0},
    .alternative = "a dense solver (pdsyevr or lapack) on the assembled Theta",
};
