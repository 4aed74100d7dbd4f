/* Predictions on held-out inputs (docs/design.md, "Predictions on held-out
 * inputs"): the linearised network trained by gradient flow on the training
 * set, evaluated on data.test_inputs at each predict.steps entry and at
 * t = infinity (kernel regression), from the cross kernel Theta(test, train)
 * and the eigenpairs of Theta — no inverse is formed.
 *
 *   f_t(x_test) = f_0(x_test) - C V diag(h_i(t)) V^T r,     r = f_0(x_train) - y
 *   h_i(t) = (1 - exp(-a lambda_i)) / lambda_i,  a = eta t / (N k)   (finite t)
 *   h_i(inf) = 1 / (lambda_i + predict.ridge)
 *   h_i = 0 for lambda_i <= predict.cutoff * lambda_max (every t)
 *
 * C is the cross kernel (N_test x N trace, N_test k x N k full). For a trace
 * kernel each output channel o uses the scalar kernel with the same rates;
 * for kernel.kind analytic f_0 = 0 (the infinite-width mean).
 *
 * Files: predict_data.c (test shapes, own blocks, gathers), predict_math.c
 * (the formula above on distributed matrices), predict_output.c
 * (test_predictions.npy, predict.csv, predict.svg), predict_stage.c (the
 * pipeline stage). */
#ifndef NTK_PREDICT_PREDICT_H
#define NTK_PREDICT_PREDICT_H

#include <mpi.h>
#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "output/output.h"
#include "predict/linear_solver.h"
#include "predict/predict_config.h"
#include "spectrum/spectrum.h"

/* ---- data (predict_data.c) ---- */

typedef struct {
    int64_t n_test;
    int have_targets;
    int labels;    /* data.test_targets is one column of class labels 0..k-1 (k > 1) */
} ntk_test_shape;

/* Shapes of data.test_inputs / data.test_targets against the training
 * inputs' dimension and the model's k outputs; a mismatch is NTK_ERR_DATA
 * naming the key. Rank-local (callers agree). */
ntk_status predict_test_shape(const ntk_predict_config *config, int64_t input_dim, int k,
                              ntk_test_shape *shape);

/* This rank's own block (grid_own_block) of the test inputs, and of the test
 * targets (count x k; labels expanded to one-hot rows), NULL without targets.
 * Rank-local. */
ntk_status predict_read_test_block(const ntk_predict_config *config, const ntk_test_shape *shape,
                                   int64_t dim, int rank, int ranks, ntk_input_block *block);
ntk_status predict_read_test_targets(const ntk_predict_config *config, const ntk_test_shape *shape,
                                     int k, const ntk_input_block *block, double **targets);

/* Rows [first, first + count) of an n x width array from every rank's own
 * block (grid_own_block) into `all` (n x width) on every rank. Collective. */
ntk_status predict_gather_rows(const double *own, int64_t own_count, int64_t n, int64_t width,
                               MPI_Comm comm, double *all);

/* ---- the predictions (predict_math.c) ---- */

typedef struct {
    int slices;           /* predict.steps entries, then infinity when asked */
    double *step;         /* per slice; INFINITY for t = infinity */
    int64_t *step_exact;  /* per slice, the job's integer step (a double rounds
                           * steps above 2^53); unused at infinity */
    int64_t n_test;
    int k;
    double *values;       /* slices x n_test x k (C order) */
    double *train_loss;   /* per slice: 1/(2 N k) ||f_t(train) - y||^2 */
    double *test_loss;    /* per slice: 1/(2 N_test k) ||f_t(test) - y_test||^2; NAN without targets */
    double *test_accuracy;/* per slice; NAN when the targets are not classes */
    int64_t modes_used;   /* eigenpairs above the cutoff */
} ntk_predictions;

/* Inputs of the computation, all on every rank except the distributed ones. */
typedef struct {
    const ntk_predict_spec *spec;
    double learning_rate;          /* dynamics.learning_rate */
    int64_t n_train;
    int k, full;
    const double *train_residual;  /* r = f_0 - y, N x k row-major */
    const double *test_f0;         /* f_0(x_test), N_test x k */
    const double *test_targets;    /* N_test x k, or NULL */
    int64_t n_test;
} ntk_predict_inputs;

/* From every eigenpair (spectrum->have_vectors, m = M) and the cross kernel
 * (columns distributed as Theta's). The result is the same on every rank.
 * Collective. */
ntk_status predict_compute(const ntk_predict_inputs *in, const ntk_spectrum *spectrum,
                           const ntk_grid *grid, const ntk_dmatrix *cross,
                           ntk_predictions *out);
void predict_free(ntk_predictions *predictions);

/* The t = infinity slice alone from the solution X of (Theta + shift I) X =
 * r (M x channels, row-major, every rank; predict/linear_solver.h), by
 * P = -C X. modes_used is -1 (no modes). Collective. */
ntk_status predict_compute_solved(const ntk_predict_inputs *in, const ntk_grid *grid,
                                  const ntk_dmatrix *cross, const double *solution, double shift,
                                  ntk_predictions *out);

/* X = V diag(h) V^T B through every eigenpair (eigen/eigen_ops.c): h has M
 * entries, B and X are M x rhs row-major, the same on every rank.
 * Collective. */
ntk_status predict_eigen_filter(const ntk_grid *grid, const ntk_spectrum *spectrum,
                                const double *h, int64_t rhs, const double *b, double *x);

/* Sum `values` over the ranks in place (each rank filled its own rows). */
ntk_status predict_allreduce_sum(double *values, int64_t count, MPI_Comm comm);

/* product (a->rows x wide, row-major, zeroed by the caller) = A B on every
 * rank, for A distributed on the grid and B (a->cols x wide, row-major) the
 * same on every rank; b_local >= local_cols x wide and ab_local >=
 * local_rows x wide are scratch. Collective. */
ntk_status predict_times_replicated(const ntk_grid *grid, const ntk_dmatrix *a, const double *b,
                                    int64_t wide, double *b_local, double *ab_local,
                                    double *product);

/* The accuracy rule (README, "Predictions"): rows of `targets` (n x k) are
 * classes when k > 1 and each row has one largest entry and all others equal
 * (one-hot, centred one-hot, +-1 one-vs-rest): accuracy = share of rows whose
 * prediction's largest entry is at the target's; for k = 1 when every target
 * is -1 or +1: share of predictions with the target's sign. Otherwise NAN. */
double predict_accuracy(const double *predicted, const double *targets, int64_t n, int k);

/* ---- files (predict_output.c); rank-local, rank 0 writes ---- */

ntk_status predict_write_npy(const char *dir, const ntk_predictions *predictions);
ntk_status predict_write_csv(const char *dir, const ntk_predictions *predictions);
ntk_status predict_write_svg(const char *dir, const ntk_predict_config *config,
                             const ntk_predictions *predictions);

/* ---- the pipeline stage (predict_stage.c) ---- */

/* What training needs to record the held-out loss next to the prediction
 * (train.h, ntk_training_test): the own block of the test inputs and targets
 * and the linearised network's test loss at any step. Owns the cross kernel
 * and the gathered data; borrows the spectrum, grid and job. */
typedef struct predict_tracker predict_tracker;

/* What the predictions are computed from: the eigenpairs and/or Theta, and
 * the linear solver chosen for them (linear_solver_choose). */
typedef struct {
    const ntk_spectrum *spectrum;        /* NULL when spectrum.solver is none */
    const ntk_dmatrix *theta;            /* Theta whole (both triangles), or NULL */
    const ntk_linear_solver_ops *linear; /* NULL without predict: */
    const char *linear_why;              /* auto's reason or the key */
    const ntk_dmatrix *nngp;             /* the training NNGP kernel (predict.ensemble), or NULL */
} ntk_predict_operands;

/* ---- predict.ensemble (ensemble.c) ---- */

typedef struct {
    int slices;        /* as the predictions' (t = infinity only without eigenpairs) */
    int64_t n_test;
    int k;
    double *mean;      /* slices x n_test x k */
    double *variance;  /* slices x n_test: each output channel's */
} ntk_ensemble;

typedef struct {
    const ntk_predict_config *config;
    const ntk_predict_inputs *in;       /* train_residual = -y (analytic f_0 = 0) */
    const ntk_predict_operands *operands;
    const ntk_grid *grid;
    const ntk_input_block *test;        /* this rank's own test inputs */
    const ntk_dmatrix *cross;           /* Theta(test, train) */
    const ntk_dmatrix *cross_nngp;      /* K(test, train) */
    const ntk_dmatrix *nngp;            /* K(train, train), whole */
} ntk_ensemble_inputs;

/* The mean and per-point variance of the infinite ensemble at every slice.
 * Collective; the result is the same on every rank. */
ntk_status predict_ensemble(const ntk_ensemble_inputs *inputs, ntk_ensemble *out);
void predict_ensemble_free(ntk_ensemble *ensemble);
/* test_mean.npy and test_variance.npy (rank-local; rank 0 writes). */
ntk_status predict_write_ensemble(const char *dir, const ntk_ensemble *ensemble);

/* Cross kernel (test_theta.npy, test_nngp.npy for analytic NNGP jobs) and,
 * with predict:, the predictions and their files; `facts` gets the final
 * numbers for summary.yaml. `train_targets` is the own block's targets (NULL
 * without). Call after the eigensolve. When `tracker` is not NULL and the job
 * trains with predict: and test targets, *tracker gets a tracker (else NULL;
 * free it with predict_tracker_free). Collective. */
ntk_status predict_stage(const ntk_predict_config *config, MPI_Comm comm, const ntk_grid *grid,
                         const ntk_model *model, const ntk_input_block *train,
                         const double *train_targets, const ntk_predict_operands *operands,
                         ntk_predict_facts *facts, predict_tracker **tracker);

/* The tracker's own block of held-out inputs and targets (count x k). */
const ntk_input_block *predict_tracker_inputs(const predict_tracker *tracker);
const double *predict_tracker_targets(const predict_tracker *tracker);
/* The linearised network's test loss 1/(2 N_test k) ||f_t - y_test||^2 at
 * training step `step` under gradient flow with training.learning_rate (the
 * same formula as predict.csv). `context` is the tracker. Collective. */
ntk_status predict_tracker_test_loss(void *context, double step, double *loss);
void predict_tracker_free(predict_tracker *tracker);

#endif
