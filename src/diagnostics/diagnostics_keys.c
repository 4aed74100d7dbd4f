/* The diagnostics section's keys (diagnostics/diagnostics_config.h). */
#include "diagnostics/diagnostics_config.h"

static const ntk_config_key diagnostics_keys[] = {
    {"statistics", NTK_KEY_BOOL, "true", 0, 0, 0, NULL,
     "spectral statistics in the run summary: effective_rank_entropy, stable_rank, condition_number, modes_90, modes_99",
     NTK_FIELD(ntk_diagnostics_spec, statistics)},
    {"alignment", NTK_KEY_BOOL, "false", 0, 0, 0, NULL,
     "kernel-target alignment (uncentred and centred) in the run summary and the modes table's target_power_cumulative column (needs data.targets)",
     NTK_FIELD(ntk_diagnostics_spec, alignment)},
    {"learning_curve", NTK_KEY_SIZES, "none", 0, 0, 0, NULL,
     "training set sizes n of the eigenlearning curve, predicted and measured, written as a table and a plot (needs data.targets, kernel.outputs trace, eigenvectors)",
     NTK_FIELD_PAIR(ntk_diagnostics_spec, curve_sizes, n_curve_sizes), .flags = NTK_KEY_ECHO_IF_SET},
    {"learning_curve_repeats", NTK_KEY_INT, "5", NTK_KEY_AT_LEAST | NTK_KEY_AT_MOST, 1, 1000, NULL,
     "random training subsets per n for the measured test error",
     NTK_FIELD(ntk_diagnostics_spec, curve_repeats)},
    {"learning_curve_seed", NTK_KEY_INT, "0", NTK_KEY_AT_LEAST, 0, 0, NULL,
     "seed of the random training subsets",
     NTK_FIELD(ntk_diagnostics_spec, curve_seed)},
    {"per_layer", NTK_KEY_BOOL, "false", 0, 0, 0, NULL,
     "per-layer kernels Theta_l (sum_l Theta_l = Theta): a table and a bar chart of their trace, lambda_max, effective rank and alignment; output.theta_layers writes the matrices",
     NTK_FIELD(ntk_diagnostics_spec, per_layer)},
    {"compare_weights", NTK_KEY_PATH, "none", 0, 0, 0, NULL,
     "a .safetensors weights file of the same model: kernel_distance and relative_frobenius_distance between its kernel and the job's, in the summary",
     NTK_FIELD(ntk_diagnostics_spec, compare_weights), .flags = NTK_KEY_BESIDE_JOB | NTK_KEY_ECHO_IF_SET},
    {"learning_curve_ridge", NTK_KEY_NUMBER, "predict.ridge", NTK_KEY_AT_LEAST, 0, 0, NULL,
     "ridge delta of the learning curve: kappa's equation and the kernel regression (Theta_SS + delta I)",
     NTK_FIELD(ntk_diagnostics_spec, curve_ridge)},
    {"learning_curve_trace_tolerance", NTK_KEY_NUMBER, "1.0e-3", NTK_KEY_ABOVE | NTK_KEY_BELOW, 0, 1, NULL,
     "with spectrum.top, the kept eigenvalues must hold at least 1 - this of the trace",
     NTK_FIELD(ntk_diagnostics_spec, curve_trace_tolerance), .note = "a fraction of the trace"},
};

const ntk_config_section diagnostics_section = NTK_CONFIG_SECTION(
    "diagnostics", "spectral diagnostics of Theta and the targets (present = on)", diagnostics_keys);
