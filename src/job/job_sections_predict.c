/* The predict: section (see job_sections.h) and the cross-key rules of
 * held-out data: predictions need the test inputs, the training targets and
 * every eigenpair with its vector; output.test_theta needs the test inputs.
 * (These cross-key checks live here, beside the section they guard, until a
 * common home for job-load rules exists.) */
#include "job/job_sections.h"

#include <stdint.h>
#include <string.h>

#include "job/job_keys.h"
#include "job/job_read.h"

/* Predictions at finite t, and predict.solver eigen, are computed from the
 * whole eigendecomposition: a values-only or top-k solve cannot give them.
 * t = infinity alone goes through a linear solver (predict/linear_solver.h),
 * which preflight chooses and checks. */
static ntk_status check_spectrum(const job_context *context, const job_node *node,
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

/* predict.solver, jitter, f0 and ensemble. */
static ntk_status read_solver_keys(const job_context *context, const job_node *node,
                                   ntk_predict_spec *predict)
{
    const job_node *item = job_node_find(node, "solver", NULL);
    if (item != NULL) {
        int solver = 0;
        NTK_TRY(job_read_enum(context, item, "predict.solver", "value", &predict_solver_names,
                              JOB_ENUM_ANY, &solver));
        predict->solver = (ntk_linear_solver)solver;
        NTK_TRY(job_node_location(context, item, &predict->solver_where));
    }
    if ((item = job_node_find(node, "f0", NULL)) != NULL) {
        int f0 = 0;
        NTK_TRY(job_read_enum(context, item, "predict.f0", "value", &predict_f0_names,
                              JOB_ENUM_ANY, &f0));
        predict->f0 = (ntk_predict_f0)f0;
    }
    if ((item = job_node_find(node, "ensemble", NULL)) != NULL)
        NTK_TRY(job_read_bool(context, item, "predict.ensemble", &predict->ensemble));
    if ((item = job_node_find(node, "ensemble_kernel", NULL)) != NULL) {
        int kernel = 0;
        NTK_TRY(job_read_enum(context, item, "predict.ensemble_kernel", "value",
                              &predict_ensemble_kernel_names, JOB_ENUM_ANY, &kernel));
        predict->ensemble_kernel = (ntk_ensemble_kernel)kernel;
    }
    if ((item = job_node_find(node, "jitter", NULL)) != NULL) {
        if (item->kind == JOB_NODE_SCALAR && strcmp(item->text, "auto") == 0)
            predict->jitter_auto = 1;
        else
            NTK_TRY(job_read_number(context, item, "predict.jitter", 0, &predict->jitter));
    }
    return NTK_OK;
}

/* predict.operator, preconditioner, preconditioner_rank, tol and
 * max_iterations (predict.solver cg). */
static ntk_status read_cg_keys(const job_context *context, const job_node *node,
                               const ntk_job *job, ntk_predict_spec *predict)
{
    int choice = 0;
    const job_node *item = job_node_find(node, "operator", NULL);
    if (item != NULL) {
        NTK_TRY(job_read_enum(context, item, "predict.operator", "value", &predict_operator_names,
                              JOB_ENUM_ANY, &choice));
        predict->operator_choice = (ntk_predict_operator)choice;
        if (choice == NTK_OPERATOR_MATRIX_FREE && predict->solver != NTK_LINEAR_CG)
            return job_fail(context, item, "predict.operator",
                            "matrix_free is for predict.solver cg, not %s",
                            predict_solver_name(predict->solver));
        if (choice == NTK_OPERATOR_MATRIX_FREE && job->kernel.kind == NTK_KIND_ANALYTIC)
            return job_fail(context, item, "predict.operator",
                            "matrix_free needs J J^T products, which kernel.kind analytic has "
                            "not (use stored)");
    }
    if ((item = job_node_find(node, "preconditioner", NULL)) != NULL) {
        NTK_TRY(job_read_enum(context, item, "predict.preconditioner", "value",
                              &predict_preconditioner_names, JOB_ENUM_ANY, &choice));
        predict->preconditioner = (ntk_predict_preconditioner)choice;
    }
    if ((item = job_node_find(node, "preconditioner_rank", NULL)) != NULL) {
        NTK_TRY(job_read_int(context, item, "predict.preconditioner_rank", NULL,
                             "an integer from 1 to 20000 (columns of Theta; the r x r "
                             "matrices of the preconditioner are on every rank)", 1, 20000,
                             &predict->preconditioner_rank));
        predict->preconditioner_rank_given = 1;
        NTK_TRY(job_node_location(context, item, &predict->rank_where));
    }
    if ((item = job_node_find(node, "tol", NULL)) != NULL) {
        NTK_TRY(job_read_number(context, item, "predict.tol", 1, &predict->tol));
        if (predict->tol >= 1.0)
            return job_fail(context, item, "predict.tol",
                            "must be below 1 (a relative residual), got %g", predict->tol);
    }
    if ((item = job_node_find(node, "max_iterations", NULL)) != NULL)
        NTK_TRY(job_read_int(context, item, "predict.max_iterations", NULL, "a positive integer",
                             1, INT32_MAX, &predict->max_iterations));
    return NTK_OK;
}

ntk_status job_read_predict(const job_context *context, const job_node *root, ntk_job *job)
{
    ntk_predict_spec *predict = &job->predict;
    memset(predict, 0, sizeof *predict);
    predict->infinite = 1;
    predict->cutoff = 1e-10;
    predict->preconditioner = NTK_PRECONDITIONER_NYSTROM;
    predict->preconditioner_rank = NTK_PRECONDITIONER_DEFAULT_RANK;
    predict->tol = 1e-8;
    predict->max_iterations = 2000;
    predict->n_steps = job->dynamics.n_steps;
    memcpy(predict->steps, job->dynamics.steps, sizeof predict->steps);

    job_node *key = NULL;
    const job_node *node = job_node_find(root, "predict", &key);
    int enabled = 1;
    if (node != NULL && node->kind == JOB_NODE_SCALAR && node->plain &&
        job_text_to_bool(node->text, &enabled)) {
        /* `predict: true` takes every default; `predict: false` switches it off. */
        predict->enabled = enabled;
    } else if (key != NULL) {
        const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&predict_section, keys, JOB_SECTION_KEYS_MAX);
        NTK_TRY(job_check_mapping(context, node, "predict", keys));
        predict->enabled = 1;
        const job_node *item = job_node_find(node, "steps", NULL);
        if (item != NULL) {
            NTK_TRY(job_read_steps(context, item, "predict.steps", predict->steps,
                                   &predict->n_steps));
            predict->steps_given = 1;
        }
        if ((item = job_node_find(node, "infinite", NULL)) != NULL)
            NTK_TRY(job_read_bool(context, item, "predict.infinite", &predict->infinite));
        if ((item = job_node_find(node, "ridge", NULL)) != NULL)
            NTK_TRY(job_read_number(context, item, "predict.ridge", 0, &predict->ridge));
        NTK_TRY(read_solver_keys(context, node, predict));
        NTK_TRY(read_cg_keys(context, node, job, predict));
        if ((item = job_node_find(node, "cutoff", NULL)) != NULL) {
            NTK_TRY(job_read_number(context, item, "predict.cutoff", 0, &predict->cutoff));
            if (predict->cutoff >= 1.0)
                return job_fail(context, item, "predict.cutoff",
                                "must be below 1 (a fraction of the largest eigenvalue), got %g",
                                predict->cutoff);
        }
    }
    if (key != NULL) {
        NTK_TRY(job_node_location(context, key, &predict->where));
        if (predict->solver_where.line == 0 && predict->solver_where.file == NULL)
            predict->solver_where = predict->where;
    }
    if (predict->enabled)
        NTK_TRY(check_spectrum(context, key, job));
    if (predict->enabled && predict->ensemble) {
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
    if (job->output.test_theta && job->test_inputs.kind == NTK_SOURCE_NONE) {
        const job_node *output = job_node_find(root, "output", NULL);
        return job_fail(context, job_node_find(output, "test_theta", NULL), "output.test_theta",
                        "needs data.test_inputs (the rows of the cross kernel)");
    }
    return NTK_OK;
}
