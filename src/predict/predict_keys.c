/* The predict section's keys (predict/predict_config.h). */
#include "predict/predict_config.h"
#include "output/file_names.h"

#include <stddef.h>


static const ntk_choice solver_entries[] = {
    {"auto", NTK_LINEAR_AUTO},
    {"eigen", NTK_LINEAR_EIGEN},
    {"cholesky", NTK_LINEAR_CHOLESKY},
    {"cg", NTK_LINEAR_CG},
};
const ntk_choice_table predict_solver_names = NTK_CHOICE_TABLE(solver_entries);

static const ntk_choice f0_entries[] = {
    {"network", NTK_F0_NETWORK},
    {"zero", NTK_F0_ZERO},
};
const ntk_choice_table predict_f0_names = NTK_CHOICE_TABLE(f0_entries);

static const ntk_choice operator_entries[] = {
    {"auto", NTK_OPERATOR_AUTO},
    {"stored", NTK_OPERATOR_STORED},
    {"matrix_free", NTK_OPERATOR_MATRIX_FREE},
};
const ntk_choice_table predict_operator_names = NTK_CHOICE_TABLE(operator_entries);

static const ntk_choice preconditioner_entries[] = {
    {"none", NTK_PRECONDITIONER_NONE},
    {"nystrom", NTK_PRECONDITIONER_NYSTROM},
    {"pivoted_cholesky", NTK_PRECONDITIONER_PIVOTED_CHOLESKY},
};
const ntk_choice_table predict_preconditioner_names = NTK_CHOICE_TABLE(preconditioner_entries);

/* predict.jitter's named value (stored as the number; jitter_auto then). */
static const ntk_choice jitter_entries[] = {
    {"auto", NTK_PREDICT_JITTER_AUTO},
};
const ntk_choice_table predict_jitter_names = NTK_CHOICE_TABLE(jitter_entries);

static const ntk_choice ensemble_kernel_entries[] = {
    {"ntk", NTK_ENSEMBLE_NTK},
    {"nngp", NTK_ENSEMBLE_NNGP},
};
const ntk_choice_table predict_ensemble_kernel_names = NTK_CHOICE_TABLE(ensemble_kernel_entries);

const char *predict_solver_name(ntk_linear_solver solver)
{
    return ntk_choice_name(&predict_solver_names, (int)solver);
}

static const ntk_config_key predict_keys[] = {
    {"steps", NTK_KEY_STEPS, "dynamics.steps", 0, 0, 0, NULL, "steps t at which to predict, in the order given",
     NTK_FIELD_PAIR(ntk_predict_spec, steps, n_steps), .flags = NTK_KEY_ECHO_IF_GIVEN,
     .given_offset = offsetof(ntk_predict_spec, steps_shown)},
    {"infinite", NTK_KEY_BOOL, "true", 0, 0, 0, NULL, "also predict at t = infinity (kernel regression)",
     NTK_FIELD(ntk_predict_spec, infinite)},
    {"ridge", NTK_KEY_NUMBER, "0", NTK_KEY_AT_LEAST, 0, 0, NULL, "at t = infinity each kept mode's 1/lambda becomes 1/(lambda + ridge)",
     NTK_FIELD(ntk_predict_spec, ridge)},
    {"cutoff", NTK_KEY_NUMBER, "1.0e-10", NTK_KEY_AT_LEAST | NTK_KEY_BELOW, 0, 1, NULL, "modes with lambda <= cutoff lambda_max are left out",
     NTK_FIELD(ntk_predict_spec, cutoff), .note = "a fraction of the largest eigenvalue"},
    /* The linear solver's keys are echoed only when set, so jobs without
     * them echo as before; the cg keys apply to predict.solver cg only. */
    {"solver", NTK_KEY_CHOICE, "auto", 0, 0, 0, &predict_solver_names, "how (Theta + ridge I) X = Y is solved; auto: eigen with the eigenpairs or finite t, else cholesky, else cg",
     NTK_FIELD(ntk_predict_spec, solver), .flags = NTK_KEY_ECHO_IF_SET},
    {"jitter", NTK_KEY_NUMBER, "0", NTK_KEY_AT_LEAST, 0, 0, &predict_jitter_names, "cholesky: 0 refuses a Theta + ridge I that is not positive definite; auto or a number >= 0 adds that much to its diagonal",
     NTK_FIELD(ntk_predict_spec, jitter), .flags = NTK_KEY_ECHO_IF_SET},
    {"f0", NTK_KEY_CHOICE, "network", 0, 0, 0, &predict_f0_names, "network: the linearised network from its f_0; zero: plain kernel regression (f_0 = 0)",
     NTK_FIELD(ntk_predict_spec, f0), .flags = NTK_KEY_ECHO_IF_SET},
    {"operator", NTK_KEY_CHOICE, "auto", 0, 0, 0, &predict_operator_names, "cg: Theta stored (PBLAS products) or matrix_free (J J^T products; with spectrum.solver none Theta is never assembled); auto: stored when the stored Theta's plan fits the memory per rank, else matrix_free",
     NTK_FIELD(ntk_predict_spec, operator_choice), .only_key = "solver", .only_value = NTK_LINEAR_CG},
    {"preconditioner", NTK_KEY_CHOICE, "nystrom", 0, 0, 0, &predict_preconditioner_names, "cg: Nystrom preconditioner from Theta's columns at random (nystrom) or greedy (pivoted_cholesky) pivots, or none",
     NTK_FIELD(ntk_predict_spec, preconditioner), .only_key = "solver", .only_value = NTK_LINEAR_CG},
    /* The default is capped at M, which the echo does not know: shown only when given. */
    {"preconditioner_rank", NTK_KEY_INT, "100", NTK_KEY_AT_LEAST | NTK_KEY_AT_MOST, 1, 20000, NULL, "cg: the preconditioner's number of pivot columns (the default is capped at M; its r x r matrices are on every rank)",
     NTK_FIELD(ntk_predict_spec, preconditioner_rank), .only_key = "solver", .only_value = NTK_LINEAR_CG,
     .flags = NTK_KEY_ECHO_IF_GIVEN, .given_offset = offsetof(ntk_predict_spec, preconditioner_rank_given)},
    {"preconditioner_power", NTK_KEY_INT, "0", NTK_KEY_AT_LEAST | NTK_KEY_AT_MOST, 0, 4, NULL, "cg: products of Theta with the preconditioner's basis, each followed by the Nystrom approximation from it (subspace iteration): closer to Theta's top eigenvectors, fewer iterations, rank more columns multiplied per step",
     NTK_FIELD(ntk_predict_spec, preconditioner_power), .only_key = "solver", .only_value = NTK_LINEAR_CG,
     .flags = NTK_KEY_ECHO_IF_SET},
    {"tol", NTK_KEY_NUMBER, "1.0e-8", NTK_KEY_ABOVE | NTK_KEY_BELOW, 0, 1, NULL, "cg: stop when ||Y - (Theta + ridge I) X|| / ||Y|| is below this for every output",
     NTK_FIELD(ntk_predict_spec, tol), .only_key = "solver", .only_value = NTK_LINEAR_CG,
     .note = "a relative residual"},
    {"max_iterations", NTK_KEY_INT, "2000", NTK_KEY_AT_LEAST, 1, 0, NULL, "cg: iterations before giving up (non-zero exit, the residual reached in the error)",
     NTK_FIELD(ntk_predict_spec, max_iterations), .only_key = "solver", .only_value = NTK_LINEAR_CG},
    {"ensemble", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "analytic kernels with kernel.nngp: mean and variance over initialisations (" OUTPUT_FILE_TEST_MEAN ", " OUTPUT_FILE_TEST_VARIANCE ")",
     NTK_FIELD(ntk_predict_spec, ensemble), .flags = NTK_KEY_ECHO_IF_SET},
    {"ensemble_kernel", NTK_KEY_CHOICE, "ntk", 0, 0, 0, &predict_ensemble_kernel_names, "ntk: networks trained by gradient flow to each t; nngp: the GP posterior (t = infinity)",
     NTK_FIELD(ntk_predict_spec, ensemble_kernel), .flags = NTK_KEY_ECHO_IF_SET},
};

const ntk_config_section predict_section =
    NTK_CONFIG_SECTION("predict", "the linearised network's outputs on data.test_inputs (present = on)", predict_keys);
