/* The predict section's configuration: the linearised network's outputs on
 * held-out inputs. Its keys are described in predict/predict_keys.c. */
#ifndef NTK_PREDICT_PREDICT_CONFIG_H
#define NTK_PREDICT_PREDICT_CONFIG_H

#include <stdint.h>

#include "checkpoint/checkpoint_config.h"
#include "core/location.h"
#include "data/data_config.h"
#include "kernel/kernel_config.h"
#include "output/output_config.h"
#include "train/train_config.h"
#include "spectrum/spectrum_config.h"
#include "core/config_keys.h"


/* predict.solver: how (Theta + ridge I) X = B is solved (predict/linear_solver.h;
 * the order of predict_solver_names). auto: eigen when the run computes every
 * eigenpair or finite t is asked, cholesky when only t = infinity is asked
 * and Theta fits, cg when it does not (linear_solver_choose). */
typedef enum {
    NTK_LINEAR_AUTO = 0,
    NTK_LINEAR_EIGEN,
    NTK_LINEAR_CHOLESKY,
    NTK_LINEAR_CG
} ntk_linear_solver;

/* predict.f0: the function regressed from. network: the linearised network,
 * which starts at the random network's f_0; zero: f_0 = 0, plain kernel
 * regression on the targets. */
typedef enum { NTK_F0_NETWORK = 0, NTK_F0_ZERO } ntk_predict_f0;

/* predict.operator (cg): Theta as the stored distributed matrix, or
 * matrix-free J (J^T V) products; auto: stored when the plan with it fits
 * the memory per rank (plan_fit_predict_operator), else matrix_free, as
 * with spectrum.solver matrix_free, which assembles no Theta. */
typedef enum { NTK_OPERATOR_AUTO = 0, NTK_OPERATOR_STORED, NTK_OPERATOR_MATRIX_FREE } ntk_predict_operator;

/* predict.preconditioner (cg), the order of cg_preconditioner_kind
 * (predict/cg/cg.h). */
typedef enum {
    NTK_PRECONDITIONER_NONE = 0,
    NTK_PRECONDITIONER_NYSTROM,
    NTK_PRECONDITIONER_PIVOTED_CHOLESKY
} ntk_predict_preconditioner;

/* predict.preconditioner_rank's default, capped at M. */
enum { NTK_PRECONDITIONER_DEFAULT_RANK = 100 };
/* predict.jitter: auto, as the job reader stores it (jitter_auto is then set). */
enum { NTK_PREDICT_JITTER_AUTO = -1 };
/* predict.ensemble_kernel: ntk, the ensemble of infinite-width networks
 * trained by gradient flow (NTK and NNGP); nngp, the GP posterior with the
 * NNGP kernel alone (t = infinity). */
typedef enum { NTK_ENSEMBLE_NTK = 0, NTK_ENSEMBLE_NNGP } ntk_ensemble_kernel;

/* predict: the linearised network's outputs on data.test_inputs under
 * gradient flow (src/predict/predict.h). */
typedef struct {
    int enabled;                   /* the predict key is present */
    int n_steps;
    int64_t steps[NTK_MAX_STEPS];  /* default: dynamics.steps */
    int infinite;                  /* also t = infinity (kernel regression); default true */
    double ridge;                  /* t = infinity uses 1/(lambda + ridge); default 0 */
    double cutoff;                 /* modes with lambda <= cutoff lambda_max are left out; default 1e-10 */
    int steps_shown;               /* the echo shows predict.steps: given, or every eigenpair
                                    * is computed (the predictions at finite t then) */
    int steps_given;               /* predict.steps is in the job (else dynamics.steps, or
                                    * none when the eigenpairs are not computed) */
    ntk_linear_solver solver;      /* predict.solver; default auto */
    ntk_predict_f0 f0;             /* predict.f0; default network */
    /* predict.jitter: 0 (default: a Theta + ridge I that is not positive
     * definite is refused), a number added to the diagonal when it is not,
     * or auto (jitter_auto: the smallest of 1e-12, 1e-10, ... times the mean
     * diagonal that makes it so). */
    double jitter;
    int jitter_auto;
    int ensemble;                  /* predict.ensemble: mean and variance over initialisations */
    ntk_ensemble_kernel ensemble_kernel; /* predict.ensemble_kernel; default ntk */
    ntk_location solver_where;     /* predict.solver (or the section) for run-time refusals */
    ntk_location where;            /* the predict key */
    /* predict.solver cg (predict/cg/cg.h) */
    ntk_predict_operator operator_choice;      /* predict.operator; default auto */
    ntk_predict_preconditioner preconditioner; /* default nystrom */
    int64_t preconditioner_rank;   /* default NTK_PRECONDITIONER_DEFAULT_RANK, capped at M */
    int preconditioner_rank_given;
    ntk_location rank_where;       /* predict.preconditioner_rank (refused above M at validate) */
    int preconditioner_power;      /* products with the basis, each a Nystrom step; default 0 */
    double tol;                    /* relative residual per output; default 1e-8 */
    int64_t max_iterations;        /* default 2000 */
} ntk_predict_spec;

/* What the held-out stage reads of the configuration (job_predict_config,
 * job/job.h): its pointers are into one job. */
typedef struct {
    const ntk_predict_spec *predict;        /* the predict section */
    const ntk_data_source *inputs;          /* data.inputs */
    const ntk_data_source *test_inputs;     /* data.test_inputs */
    const ntk_data_source *test_targets;    /* data.test_targets */
    ntk_kernel_config kernel;               /* the cross kernel's assembly */
    const ntk_output_spec *output;          /* output.dir, test_theta, plot */
    const ntk_checkpoint_spec *checkpoint;  /* the cross kernel's checkpoint */
    uint64_t job_hash;                      /* job_hash of the run, for that checkpoint */
    double learning_rate;                   /* dynamics.learning_rate */
    const ntk_training_spec *training;      /* training with predict: the held-out loss */
} ntk_predict_config;

extern const ntk_config_section predict_section;
extern const ntk_choice_table predict_solver_names; /* ntk_linear_solver */
extern const ntk_choice_table predict_f0_names;     /* ntk_predict_f0 */
extern const ntk_choice_table predict_jitter_names; /* predict.jitter: auto */
extern const ntk_choice_table predict_operator_names;       /* ntk_predict_operator */
extern const ntk_choice_table predict_preconditioner_names; /* ntk_predict_preconditioner */
extern const ntk_choice_table predict_ensemble_kernel_names; /* ntk_ensemble_kernel */

/* The name of a linear solver, for messages and outputs. */
const char *predict_solver_name(ntk_linear_solver solver);

#endif
