/* The diagnostics section's configuration: what is computed from Theta, the
 * targets and the spectrum beyond the training modes (docs/diagnostics.md).
 * Its keys are described in diagnostics/diagnostics_keys.c. */
#ifndef NTK_DIAGNOSTICS_DIAGNOSTICS_CONFIG_H
#define NTK_DIAGNOSTICS_DIAGNOSTICS_CONFIG_H

#include <stdint.h>

#include "core/config_keys.h"
#include "core/location.h"

enum { DIAGNOSTICS_MAX_CURVE_SIZES = 64 }; /* entries of diagnostics.learning_curve */

typedef struct {
    int enabled;          /* the diagnostics key is present (`diagnostics: true` takes the defaults) */
    int statistics;       /* spectral statistics in summary.yaml; default true */
    int alignment;        /* kernel-target alignment and target power; default false */
    int n_curve_sizes;    /* 0: no learning curve */
    int64_t curve_sizes[DIAGNOSTICS_MAX_CURVE_SIZES];          /* training set sizes n, >= 1 */
    ntk_location curve_size_where[DIAGNOSTICS_MAX_CURVE_SIZES]; /* each n, for n > N */
    int curve_repeats;    /* random subsets per n for the measured curve; default 5 */
    int64_t curve_seed;   /* the subsets' seed; default 0 */
    double curve_ridge;   /* delta of the kappa equation and the regression; default predict.ridge */
    /* With spectrum.top, the kept eigenvalues must hold at least
     * 1 - curve_trace_tolerance of the trace; default 1e-3 */
    double curve_trace_tolerance;
    ntk_location where;           /* the diagnostics key */
    ntk_location alignment_where; /* diagnostics.alignment */
    ntk_location curve_where;     /* diagnostics.learning_curve */
    int per_layer;                /* per-layer kernels Theta_l, layers.csv; default false */
    ntk_location per_layer_where;
    /* a weights file of the same model: kernel_distance and
     * relative_frobenius_distance in summary.yaml; "" (default): none */
    char compare_weights[NTK_PATH_MAX];
    ntk_location compare_weights_where;
} ntk_diagnostics_spec;

extern const ntk_config_section diagnostics_section;

#endif
