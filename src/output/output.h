/* Result files in output.dir, each written under a temporary name and renamed
 * when complete, so a crash never leaves a half file under a final name.
 *
 *   theta.npy, eigenvectors.npy  distributed matrices, written collectively
 *                                with MPI-IO through a darray file view
 *   eigenvalues.npy              descending
 *   modes.csv                    mode,eigenvalue,rate,target_energy,cumulative_energy
 *                                (and target_power_cumulative with diagnostics.alignment)
 *   learning_curve.csv, .svg     diagnostics.learning_curve (learning_curve.c)
 *   summary.yaml                 job echo, sizes, grid, timings, spectrum statistics
 *   spectrum.svg                 eigenvalues (log scale) and predicted loss curve
 */
#ifndef NTK_OUTPUT_OUTPUT_H
#define NTK_OUTPUT_OUTPUT_H

#include <stdint.h>

#include "core/log.h"
#include "core/partial_file.h"
#include "core/status.h"
#include "diagnostics/diagnostics.h"
#include "diagnostics/kernels.h"
#include "grid/grid.h"
#include "kernel/kernel.h"
#include "spectrum/spectrum.h"

/* Create the directory and its parents (rank 0), then agree. Collective. */
ntk_status output_prepare_dir(const char *dir, MPI_Comm comm);

/* Join dir and name into out (capacity NTK_PATH_MAX). */
ntk_status output_path(const char *dir, const char *name, char *out);

/* Start writing the output file `name` in `dir`: its path into `path`
 * (capacity NTK_PATH_MAX, for partial_file_commit or _discard) and `*file`
 * open on its .partial (core/partial_file.h). */
ntk_status output_file_open(const char *dir, const char *name, char *path, FILE **file);

/* Write a distributed matrix as a float64 .npy file (Fortran order, which for
 * symmetric Theta is byte-for-byte the C-order file). Works for files over
 * 2 GiB and local blocks over 2^31 elements. Collective. */
ntk_status output_write_dmatrix_npy(const char *path, const ntk_grid *grid,
                                    const ntk_dmatrix *matrix);
/* The same for a float32 matrix ('<f4'; kernel.precision float32). */
ntk_status output_write_smatrix_npy(const char *path, const ntk_grid *grid,
                                    const ntk_smatrix *matrix);

/* The held-out predictions' final numbers (src/predict/), for the summary. */
typedef struct {
    int have;                   /* predict ran */
    int64_t n_test;
    int64_t modes_used;         /* eigenpairs above predict.cutoff */
    double cross_flops;         /* the cross kernel's, all ranks; < 0 when not assembled */
    double final_step;          /* the last slice: INFINITY for t = infinity */
    double final_train_loss, final_test_loss, final_test_accuracy; /* NAN when not known */
    /* The linear solve of t = infinity (predict/linear_solver.h) */
    const char *solver;         /* predict.solver that ran; NULL when none did */
    char solver_why[512];       /* auto's reason, or "predict.solver: <name>" */
    char solver_detail[128];
    double solve_seconds;       /* the solve and its check */
    double solve_residual;      /* backward error; NAN when not checked (eigen) */
    double jitter;              /* added to the diagonal besides predict.ridge */
    int64_t iterations;         /* iterative solvers; 0 otherwise */
    double relative_residual;   /* iterative solvers: the final relative residual; NAN otherwise */
    int64_t preconditioner_rank; /* iterative solvers; 0 without a preconditioner */
    double iteration_seconds;   /* iterative solvers: mean per iteration; NAN otherwise */
    double product_seconds;     /* iterative solvers: mean per operator product; NAN otherwise */
    double solve_flops;         /* the table's estimate */
    const char *f0;             /* predict.f0 */
} ntk_predict_facts;

/* Everything the summary says. */
typedef struct {
    const char *job_echo; /* the effective job as YAML indented by 2 (job_echo_text) */
    double learning_rate;               /* dynamics.learning_rate */
    int64_t n_inputs, input_dim, k, m_rows; /* N, d, k, M */
    int64_t n_params;
    int ranks;
    const ntk_grid *grid;
    const ntk_kernel_stats *kernel;
    const ntk_spectrum *spectrum;       /* NULL when solver: none */
    const ntk_modes *modes;             /* NULL when solver: none */
    const ntk_phase_times *phases;
    double training_final_loss;         /* < 0 when the job does not train */
    double kernel_change;               /* ||Theta_T - Theta_0|| / ||Theta_0||, < 0 when not computed */
    double analytic_distance;           /* ||Theta - Theta_inf|| / ||Theta_inf||, < 0 when not computed */
    const ntk_precision_error *precision; /* NULL: kernel.precision float64 */
    const ntk_predict_facts *predict;   /* NULL: no predict/cross stage */
    const ntk_diagnostics_facts *diagnostics; /* NULL or not enabled: diagnostics: null */
    double wall_seconds;
} ntk_run_facts;

/* Rank-local: one rank writes (rank 0 in the pipeline), then all agree. */
ntk_status output_write_eigenvalues(const char *dir, const ntk_spectrum *spectrum);
/* `target_power` (NULL: no such column): P(k) per mode, written as the
 * last column, target_power_cumulative (diagnostics.alignment). */
ntk_status output_write_modes_csv(const char *dir, const ntk_spectrum *spectrum,
                                  const ntk_modes *modes, const double *target_power);
/* learning_curve.csv: n,kappa,predicted_mse,measured_mse,measured_mse_std,
 * and learning_curve.svg (both curves against n, log-log). */
ntk_status output_write_learning_curve(const char *dir, const char *title,
                                       const ntk_learning_curve *curve, int plot);
/* theta_layer_<l>.npy (layers.c). */
void output_theta_layer_name(int layer, char *name, size_t capacity);
/* layers.csv, and layers.svg when `plot` (layers.c). */
ntk_status output_write_layers(const char *dir, const char *title, const ntk_layer_table *table,
                               int plot);
ntk_status output_write_summary(const char *dir, const ntk_run_facts *facts);

/* Generic one-panel charts in spectrum.svg's style (svg.c), written by one
 * rank: `file` in `dir` (an OUTPUT_FILE_ name). Values that are not finite
 * (or not positive on a log axis) are left out. */
typedef struct {
    const char *file, *title, *subtitle, *x_label, *y_label;
    int log_y;
} output_svg_chart;
/* Bars, one per label. */
ntk_status output_write_svg_bars(const char *dir, const output_svg_chart *chart,
                                 const char *const *labels, const double *values, int count);
/* Lines against a linear x axis from 0, with a legend. */
typedef struct {
    const char *label;
    int64_t count;
    const double *x, *y;
    int colour; /* index into a palette of 10 */
    int dashed;
} output_svg_series;
ntk_status output_write_svg_lines(const char *dir, const output_svg_chart *chart,
                                  const output_svg_series *series, int n_series);
/* `title`: the job's name; `learning_rate`: dynamics.learning_rate. */
ntk_status output_write_svg(const char *dir, const char *title, double learning_rate,
                            const ntk_spectrum *spectrum, const ntk_modes *modes);

#endif
