/* The rules of the job's sections and across them (see job_rules.h). */
#include "job/job_rules.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

#include "job/job_sections.h"
#include "model/branch.h"
#include "model/layer.h"

/* The node of `section.key` in the tree, or the section, or NULL: where a
 * message points. */
static const job_node *find_key(const job_node *root, const char *section, const char *key)
{
    const job_node *node = job_node_find(root, section, NULL);
    if (node == NULL || node->kind != JOB_NODE_MAPPING || key == NULL)
        return node;
    const job_node *value = job_node_find(node, key, NULL);
    return value != NULL ? value : node;
}

ntk_status job_rules_data(const job_context *context, const job_node *root, const job_node *node,
                          ntk_job *job)
{
    (void)root;
    /* Held-out data for predict: (src/predict/). Test targets without test
     * inputs would be read by nothing. */
    if (job->test_targets.kind != NTK_SOURCE_NONE && job->test_inputs.kind == NTK_SOURCE_NONE)
        return job_fail(context, job_node_find(node, "test_targets", NULL), "data.test_targets",
                        "needs data.test_inputs (the held-out points these targets belong to)");
    return NTK_OK;
}

ntk_status job_rules_model(const job_context *context, const job_node *root,
                           const job_node *node, ntk_job *job)
{
    ntk_model_spec *model = &job->model;
    job_node *key = NULL;
    job_node_find(root, "model", &key);
    NTK_TRY(job_node_location(context, key, &model->where));
    /* Every other number key takes subnormal values (a cutoff, ridge, rate
     * or b_std that small acts as the tiny number it is). Weights drawn at a
     * subnormal scale keep only a few significant bits and Theta, made of
     * their products, underflows to 0: no answer. */
    const job_node *w_std = job_node_find(node, "w_std", NULL);
    if (w_std != NULL && model->w_std < DBL_MIN)
        return job_fail(context, w_std, "model.w_std",
                        "%s is subnormal (below %.17g, the smallest normal double): the "
                        "weights would keep only a few significant bits and Theta would "
                        "underflow to 0", w_std->text, DBL_MIN);
    const job_node *weights = job_node_find(node, "weights", NULL);
    if (weights != NULL && !job_has_extension(weights->text, ".safetensors"))
        return job_fail(context, weights, "model.weights",
                        "expected a .safetensors file, got '%s'", weights->text);
    return NTK_OK;
}

static const char *const analytic_needs_ntk =
    "the analytic (infinite-width) kernel needs model.parameterization: ntk, but the model is "
    "standard";

ntk_status job_rules_kernel(const job_context *context, const job_node *root,
                            const job_node *node, ntk_job *job)
{
    (void)root;
    if (job->kernel.compare_analytic && job->model.parameterization != NTK_PARAM_NTK)
        return job_fail(context, job_node_find(node, "compare_analytic", NULL),
                        "kernel.compare_analytic", "%s", analytic_needs_ntk);
    if (job->kernel.kind == NTK_KIND_ANALYTIC && job->model.parameterization != NTK_PARAM_NTK)
        return job_fail(context, job_node_find(node, "kind", NULL), "kernel.kind", "%s",
                        analytic_needs_ntk);
    /* A layer type states whether it has an infinite-width map (model/layer.h). */
    for (int i = 0; i < job->model.n_layers; ++i) {
        const ntk_layer_ops *ops = job->model.layers[i].ops;
        /* a block's branch layers have their maps in the recursion itself */
        if (ops->analytic_spatial != NULL || ops->branch != NTK_BRANCH_NONE ||
            (job->kernel.kind != NTK_KIND_ANALYTIC && !job->kernel.compare_analytic))
            continue;
        const int kind = job->kernel.kind == NTK_KIND_ANALYTIC;
        char key[160];
        snprintf(key, sizeof key, "model.layers[%d]", i);
        if (model_stack_has_branch_specs(job->model.layers, job->model.n_layers))
            model_layer_key(job->model.layers, i, key, sizeof key); /* its nested path */
        return job_fail(context, job_node_find(node, kind ? "kind" : "compare_analytic", NULL),
                        kind ? "kernel.kind" : "kernel.compare_analytic",
                        "%s is a %s layer, which has no infinite-width "
                        "(analytic) kernel", key, ops->name);
    }
    return NTK_OK;
}

ntk_status job_rules_grid(const job_context *context, const job_node *root, const job_node *node,
                          ntk_job *job)
{
    (void)root;
    const job_node *shape = job_node_find(node, "shape", NULL);
    return job_node_location(context, shape != NULL ? shape : node, &job->grid.shape_where);
}

/* spectrum.grid and spectrum.block: the rank count when grid.shape says it
 * (the rest in preflight), and only for the solvers that lay Theta out. */
static ntk_status solve_layout_rules(const job_context *context, const job_node *node,
                                     ntk_job *job)
{
    const job_node *grid = job_node_find(node, "grid", NULL);
    const job_node *block = job_node_find(node, "block", NULL);
    const job_node *where = grid != NULL ? grid : block != NULL ? block : node;
    NTK_TRY(job_node_location(context, where, &job->spectrum.layout_where));
    const int64_t rows = job->spectrum.solve_rows, cols = job->spectrum.solve_cols;
    const int64_t ranks = (int64_t)job->grid.rows * job->grid.cols;
    if (rows > 0 && ranks > 0 && rows * cols != ranks)
        return job_fail(context, grid, "spectrum.grid",
                        "[%lld, %lld] has %lld ranks, but grid.shape [%d, %d] has %lld",
                        (long long)rows, (long long)cols, (long long)(rows * cols),
                        job->grid.rows, job->grid.cols, (long long)ranks);
    /* Neither solver has a block-cyclic Theta to lay out: matrix_free never
     * assembles it and lapack gathers it to one rank whatever its layout. */
    const ntk_solver solver = job->spectrum.solver;
    if ((grid != NULL || block != NULL) &&
        (solver == NTK_SOLVER_MATRIX_FREE || solver == NTK_SOLVER_LAPACK ||
         solver == NTK_SOLVER_NONE))
        return job_fail(context, where, grid != NULL ? "spectrum.grid" : "spectrum.block",
                        "applies only to the distributed solvers (auto, pdsyevd, pdsyevr, elpa, "
                        "elpa1), not to %s", spectrum_solver_name(solver));
    return NTK_OK;
}

ntk_status job_rules_spectrum(const job_context *context, const job_node *root,
                              const job_node *node, ntk_job *job)
{
    const ntk_solver solver = job->spectrum.solver;
#ifndef NTK_HAVE_ELPA
    if (solver == NTK_SOLVER_ELPA || solver == NTK_SOLVER_ELPA1)
        return job_fail(context, job_node_find(node, "solver", NULL), "spectrum.solver",
                        "%s needs ELPA, but this ntkgram was built without it (install "
                        "libelpa-dev and rebuild); use auto, pdsyevd, pdsyevr or lapack",
                        spectrum_solver_name(solver));
#endif
    const job_node *top = job_node_find(node, "top", NULL);
    NTK_TRY(job_node_location(context, top != NULL ? top : node, &job->spectrum.top_where));
    if (solver == NTK_SOLVER_MATRIX_FREE && job->spectrum.top == 0)
        return job_fail(context, job_node_find(node, "solver", NULL), "spectrum.solver",
                        "matrix_free computes the top eigenpairs: set spectrum.top (k >= 1)");
    /* vectors: false with matrix_free: Lanczos computes the eigenvectors
     * anyway (and the pair check needs them); the run keeps only the
     * eigenvalues (spectrum/parpack/matrix_free_parpack.c). A request for
     * less than the solver computes (pdsyevd with top or vectors: false)
     * runs and keeps what was asked (spectrum_solve). */
    NTK_TRY(solve_layout_rules(context, node, job));
    const job_node *kernel = job_node_find(root, "kernel", NULL);
    if (job->kernel.compare_analytic && solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, job_node_find(kernel, "compare_analytic", NULL),
                        "kernel.compare_analytic",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    if (job->kernel.kind != NTK_KIND_EMPIRICAL && solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, job_node_find(kernel, "kind", NULL), "kernel.kind",
                        "spectrum.solver matrix_free needs kernel.kind empirical (it multiplies "
                        "by the Jacobian)");
    return NTK_OK;
}

ntk_status job_rules_output(const job_context *context, const job_node *root,
                            const job_node *node, ntk_job *job)
{
    (void)root;
    /* Named here, where the key's line is known (plan.c keeps the rule for
     * jobs built in code). */
    if (job->output.theta && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, job_node_find(node, "theta", NULL), "output.theta",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    /* Eigenvectors follow the spectrum (the table's default copies
     * spectrum.vectors) unless asked for explicitly. */
    const job_node *eigenvectors = job_node_find(node, "eigenvectors", NULL);
    const int none = job->spectrum.solver == NTK_SOLVER_NONE;
    if (eigenvectors == NULL && none)
        job->output.eigenvectors = 0;
    if (eigenvectors != NULL && job->output.eigenvectors && (none || !job->spectrum.vectors))
        return job_fail(context, eigenvectors, "output.eigenvectors", "needs eigenvectors, but %s",
                        none ? "spectrum.solver is none" : "spectrum.vectors is false");
    return NTK_OK;
}

/* Predictions are computed from the whole eigendecomposition (no inverse is
 * formed): a values-only or top-k solve cannot give them. */
/* Predictions at finite t, and predict.solver eigen, are computed from the
 * whole eigendecomposition: a values-only or top-k solve cannot give them.
 * t = infinity alone goes through a linear solver (predict/linear_solver.h),
 * which preflight chooses and checks. */
static ntk_status predict_needs(const job_context *context, const job_node *node,
                                const ntk_job *job)
{
    const ntk_predict_spec *predict = &job->predict;
    const int eigenpairs = predict->solver == NTK_LINEAR_EIGEN ||
                           (predict->solver == NTK_LINEAR_AUTO && predict->steps_given &&
                            predict->n_steps > 0);
    const char *why = NULL;
    if (!eigenpairs)
        why = NULL;
    else if (job->spectrum.solver == NTK_SOLVER_NONE)
        why = "spectrum.solver is none";
    else if (job->spectrum.top > 0)
        why = "spectrum.top keeps only some eigenpairs (set it to 0)";
    else if (!job->spectrum.vectors)
        why = "spectrum.vectors is false";
    if (why != NULL)
        return job_fail(context, node, "predict",
                        "needs every eigenpair with its eigenvector, but %s", why);
    if (job->test_inputs.kind == NTK_SOURCE_NONE)
        return job_fail(context, node, "predict",
                        "needs data.test_inputs (the held-out points to predict)");
    if (job->targets.kind == NTK_SOURCE_NONE)
        return job_fail(context, node, "predict",
                        "needs data.targets (the training targets the network is fitted to)");
    return NTK_OK;
}

/* What the linear-solver keys leave to the rules: where predict.solver and
 * preconditioner_rank stand (run-time refusals name them), jitter: auto,
 * whether predict.steps was given (auto's choice) and whether the echo
 * shows it (given, or every eigenpair computed), and the matrix-free
 * operator's needs. */
static ntk_status predict_solver_rules(const job_context *context, const job_node *node,
                                       ntk_job *job)
{
    ntk_predict_spec *predict = &job->predict;
    predict->steps_given = predict->steps_shown;
    predict->steps_shown |= job->spectrum.solver != NTK_SOLVER_NONE &&
                            job->spectrum.solver != NTK_SOLVER_MATRIX_FREE &&
                            job->spectrum.vectors && job->spectrum.top == 0;
    predict->jitter_auto = predict->jitter == (double)NTK_PREDICT_JITTER_AUTO;
    if (predict->jitter_auto)
        predict->jitter = 0.0;
    predict->solver_where = predict->where;
    const job_node *item = job_node_find(node, "solver", NULL);
    if (item != NULL)
        NTK_TRY(job_node_location(context, item, &predict->solver_where));
    if ((item = job_node_find(node, "preconditioner_rank", NULL)) != NULL)
        NTK_TRY(job_node_location(context, item, &predict->rank_where));
    item = job_node_find(node, "operator", NULL);
    if (predict->operator_choice == NTK_OPERATOR_MATRIX_FREE &&
        job->kernel.kind == NTK_KIND_ANALYTIC)
        return job_fail(context, item, "predict.operator",
                        "matrix_free needs J J^T products, which kernel.kind analytic has "
                        "not (use stored)");
    return NTK_OK;
}

ntk_status job_rules_predict(const job_context *context, const job_node *root,
                             const job_node *node, ntk_job *job)
{
    job_node *key = NULL;
    job_node_find(root, "predict", &key);
    if (key != NULL)
        NTK_TRY(job_node_location(context, key, &job->predict.where));
    if (job->predict.enabled) {
        NTK_TRY(predict_solver_rules(context, node, job));
        NTK_TRY(predict_needs(context, key, job));
    }
    if (job->predict.enabled && job->predict.ensemble) {
        /* the ensemble is over the infinite-width network's initialisations:
         * its mean and covariance are the analytic NTK and NNGP kernels */
        const char *why = job->kernel.kind != NTK_KIND_ANALYTIC ? "kernel.kind analytic"
                          : !job->kernel.nngp                   ? "kernel.nngp: true"
                          : job->kernel.outputs != NTK_OUTPUTS_TRACE
                              ? "kernel.outputs trace (the outputs are independent)"
                              : NULL;
        if (why != NULL)
            return job_fail(context, job_node_find(node, "ensemble", NULL), "predict.ensemble",
                            "needs %s", why);
    }
    if (job->output.test_theta && job->test_inputs.kind == NTK_SOURCE_NONE)
        return job_fail(context, find_key(root, "output", "test_theta"), "output.test_theta",
                        "needs data.test_inputs (the rows of the cross kernel)");
    return NTK_OK;
}

ntk_status job_rules_training(const job_context *context, const job_node *root,
                              const job_node *node, ntk_job *job)
{
    if (!job->training.enabled)
        return NTK_OK;
    job_node *key = NULL;
    const job_node *training = job_node_find(root, "training", &key);
    /* src/train/gradient.c takes the loss gradient through each layer's
     * param_vjp: a layer type with parameters but without it is not trained. */
    for (int i = 0; i < job->model.n_layers; ++i) {
        const ntk_layer_ops *ops = job->model.layers[i].ops;
        if (ntk_layer_has_parameters(ops) && ops->param_vjp == NULL)
            return job_fail(context, training, "training",
                            "model.layers[%d] is a %s layer, which has no gradient path for "
                            "training (param_vjp); the predicted curve (dynamics) needs no "
                            "training", i, ops->name);
    }
    (void)node;
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, key != NULL ? key : training, "training",
                        "needs all eigenpairs; spectrum.solver matrix_free computes the top "
                        "spectrum.top only");
    return NTK_OK;
}

ntk_status job_rules_checkpoint(const job_context *context, const job_node *root,
                                const job_node *node, ntk_job *job)
{
    (void)root;
    if (job_node_find(node, "dir", NULL) != NULL)
        return NTK_OK;
    /* Default beside the outputs: known only now that output.dir (and --out) is final. */
    int written = snprintf(job->checkpoint.dir, sizeof job->checkpoint.dir, "%s/checkpoint",
                           job->output.dir);
    if (written < 0 || written >= (int)sizeof job->checkpoint.dir)
        return job_fail(context, node, "checkpoint.dir", "output.dir is too long");
    return NTK_OK;
}

ntk_status job_check_rules(const job_context *context, const job_node *root, const ntk_job *job)
{
    if (job->training.enabled) {
        if (job->targets.kind == NTK_SOURCE_NONE)
            return job_fail(context, find_key(root, "training", NULL), "training",
                            "needs data.targets (gradient descent fits the network to them), "
                            "but the job has none");
        if (job->spectrum.solver == NTK_SOLVER_NONE)
            return job_fail(context, find_key(root, "spectrum", "solver"), "spectrum.solver",
                            "is none, but training needs the spectrum (its predicted loss); "
                            "use auto, or remove training");
        if (job->training.kernel_every > 0 && job->kernel.kind != NTK_KIND_EMPIRICAL)
            return job_fail(context, find_key(root, "training", "kernel_every"),
                            "training.kernel_every",
                            "needs kernel.kind empirical: the analytic kernel does not depend "
                            "on the parameters, so it cannot drift");
        if (job->training.mode_every > 0 && !job->spectrum.vectors)
            return job_fail(context, find_key(root, "training", "mode_every"),
                            "training.mode_every",
                            "needs the eigenvectors of Theta_0 (spectrum.vectors: true)");
    }
    if (job->output.theta_layers && !(job->diagnostics.enabled && job->diagnostics.per_layer))
        return job_fail(context, find_key(root, "output", "theta_layers"), "output.theta_layers",
                        "needs diagnostics.per_layer: true (the per-layer kernels it writes)");
    NTK_TRY(job_check_precision(context, root, job));
    /* With synthetic inputs M is known now; with data files, when their shape
     * is read (job_check_top_against_rows, before any output). */
    if (job->inputs.kind == NTK_SOURCE_SYNTHETIC && job->model.n_dense > 0) {
        const int64_t k = job->model.width[job->model.n_dense - 1];
        const int64_t m_rows =
            job->kernel.outputs == NTK_OUTPUTS_FULL && job->inputs.n <= INT64_MAX / k
                ? job->inputs.n * k
                : job->inputs.n;
        if (job->spectrum.solver != NTK_SOLVER_NONE && job->spectrum.top > m_rows)
            return job_fail(context, find_key(root, "spectrum", "top"), "spectrum.top",
                            "%lld is more than the matrix size M = %lld",
                            (long long)job->spectrum.top, (long long)m_rows);
    }
    return NTK_OK;
}

ntk_status job_check_top_against_rows(const ntk_job *job, int64_t m_rows)
{
    if (job->spectrum.solver == NTK_SOLVER_NONE || job->spectrum.top <= m_rows)
        return NTK_OK;
    return NTK_RAISE(NTK_ERR_JOB, "%s: spectrum.top: %lld is more than the matrix size M = %lld",
                     job->path, (long long)job->spectrum.top, (long long)m_rows);
}
