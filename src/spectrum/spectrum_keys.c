/* The spectrum and dynamics sections' keys (spectrum/spectrum_config.h). */
#include "spectrum/spectrum_config.h"

static const ntk_choice solver_entries[] = {
    {"auto", NTK_SOLVER_AUTO},
    {"pdsyevd", NTK_SOLVER_PDSYEVD},
    {"pdsyevr", NTK_SOLVER_PDSYEVR},
    {"none", NTK_SOLVER_NONE},
    {"matrix_free", NTK_SOLVER_MATRIX_FREE},
    {"elpa", NTK_SOLVER_ELPA},
    {"elpa1", NTK_SOLVER_ELPA1},
    {"lapack", NTK_SOLVER_LAPACK},
};
const ntk_choice_table spectrum_solver_names = NTK_CHOICE_TABLE(solver_entries);

static const ntk_choice features_entries[] = {
    {"auto", NTK_FEATURES_AUTO},
    {"stored", NTK_FEATURES_STORED},
    {"recompute", NTK_FEATURES_RECOMPUTE},
};
const ntk_choice_table spectrum_features_names = NTK_CHOICE_TABLE(features_entries);

static const ntk_choice pair_check_entries[] = {
    {"auto", NTK_PAIR_CHECK_AUTO},
    {"exact", NTK_PAIR_CHECK_EXACT},
    {"probes", NTK_PAIR_CHECK_PROBES},
};
const ntk_choice_table spectrum_pair_check_names = NTK_CHOICE_TABLE(pair_check_entries);

const char *spectrum_solver_name(ntk_solver solver)
{
    return ntk_choice_name(&spectrum_solver_names, (int)solver);
}

static const ntk_choice layout_entries[] = {
    {"assembly", NTK_SOLVE_LAYOUT_ASSEMBLY},
    {"auto", NTK_SOLVE_LAYOUT_AUTO},
};
static const ntk_choice_table layout_names = NTK_CHOICE_TABLE(layout_entries);
/* The same names in the order spectrum.block's message lists them. */
static const ntk_choice block_entries[] = {
    {"auto", NTK_SOLVE_LAYOUT_AUTO},
    {"assembly", NTK_SOLVE_LAYOUT_ASSEMBLY},
};
static const ntk_choice_table block_names = NTK_CHOICE_TABLE(block_entries);

#define MATRIX_FREE_ONLY .only_key = "solver", .only_value = NTK_SOLVER_MATRIX_FREE

static const ntk_config_key spectrum_keys[] = {
    {"solver", NTK_KEY_CHOICE, "auto", 0, 0, 0, &spectrum_solver_names, "the eigensolver; auto picks from the size, the ranks and the build",
     NTK_FIELD(ntk_spectrum_spec, solver)},
    {"vectors", NTK_KEY_BOOL, "true", 0, 0, 0, NULL, "compute eigenvectors (needed for target energies and predictions)",
     NTK_FIELD(ntk_spectrum_spec, vectors)},
    {"top", NTK_KEY_INT, "0", NTK_KEY_AT_LEAST, 0, 0, NULL, "0: every eigenpair; otherwise the k largest",
     NTK_FIELD(ntk_spectrum_spec, top), .note = "0 = all"},
    /* Written only when set, so jobs without them echo as before. */
    {"grid", NTK_KEY_SHAPE, "assembly", 0, 0, 0, &layout_names, "the eigensolve's BLACS grid: assembly (Theta's own), auto or [rows, cols]",
     NTK_FIELD_PAIR(ntk_spectrum_spec, solve_rows, solve_cols), .flags = NTK_KEY_ECHO_IF_SET},
    {"block", NTK_KEY_INT, "assembly", NTK_KEY_AT_LEAST, 1, 0, &block_names, "the eigensolve's block size: assembly (grid.block), auto (64) or an integer > 0",
     NTK_FIELD(ntk_spectrum_spec, solve_block), .flags = NTK_KEY_ECHO_IF_SET},
    {"tolerance", NTK_KEY_NUMBER, "1.0e-10", NTK_KEY_ABOVE, 0, 0, NULL, "matrix_free only: ||Theta v - lambda v|| / lambda_max every pair must reach",
     NTK_FIELD(ntk_spectrum_spec, tolerance), MATRIX_FREE_ONLY},
    {"allow_unconverged", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "matrix_free only: keep the pairs when fewer than spectrum.top converge",
     NTK_FIELD(ntk_spectrum_spec, allow_unconverged), MATRIX_FREE_ONLY},
    {"features", NTK_KEY_CHOICE, "auto", 0, 0, 0, &spectrum_features_names, "matrix_free only: keep the per-input features between products, or recompute them",
     NTK_FIELD(ntk_spectrum_spec, features), MATRIX_FREE_ONLY},
    {"pair_check", NTK_KEY_CHOICE, "auto", 0, 0, 0, &spectrum_pair_check_names, "matrix_free only: one product per pair (exact) or Ritz estimates checked by random probes",
     NTK_FIELD(ntk_spectrum_spec, pair_check), MATRIX_FREE_ONLY},
};

const ntk_config_section spectrum_section =
    NTK_CONFIG_SECTION("spectrum", "the eigensolver and what it computes", spectrum_keys);

static const ntk_config_key dynamics_keys[] = {
    {"learning_rate", NTK_KEY_NUMBER, "1.0", NTK_KEY_ABOVE, 0, 0, NULL,
     "learning rate eta of the predicted gradient-descent dynamics",
     NTK_FIELD(ntk_dynamics_spec, learning_rate)},
    {"steps", NTK_KEY_STEPS, "[0, 1, 10, 100, 1000, 10000]", 0, 0, 0, NULL,
     "steps at which the predicted loss is reported",
     NTK_FIELD_PAIR(ntk_dynamics_spec, steps, n_steps)},
};

const ntk_config_section dynamics_section = NTK_CONFIG_SECTION(
    "dynamics", "the training curve the spectrum predicts", dynamics_keys);
