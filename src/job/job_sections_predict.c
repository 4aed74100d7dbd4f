/* The predict: section (see job_sections.h) and the cross-key rules of
 * held-out data: predictions need the test inputs, the training targets and
 * every eigenpair with its vector; output.test_theta needs the test inputs.
 * (These cross-key checks live here, beside the section they guard, until a
 * common home for job-load rules exists.) */
#include "job/job_sections.h"

#include <string.h>

#include "job/job_keys.h"
#include "job/job_read.h"

/* Predictions are computed from the whole eigendecomposition (no inverse is
 * formed): a values-only or top-k solve cannot give them. */
static ntk_status check_spectrum(const job_context *context, const job_node *node,
                                 const ntk_job *job)
{
    const char *why = NULL;
    if (job->spectrum.solver == NTK_SOLVER_NONE)
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

ntk_status job_read_predict(const job_context *context, const job_node *root, ntk_job *job)
{
    ntk_predict_spec *predict = &job->predict;
    memset(predict, 0, sizeof *predict);
    predict->infinite = 1;
    predict->cutoff = 1e-10;
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
        if (item != NULL)
            NTK_TRY(job_read_steps(context, item, "predict.steps", predict->steps,
                                   &predict->n_steps));
        if ((item = job_node_find(node, "infinite", NULL)) != NULL)
            NTK_TRY(job_read_bool(context, item, "predict.infinite", &predict->infinite));
        if ((item = job_node_find(node, "ridge", NULL)) != NULL)
            NTK_TRY(job_read_number(context, item, "predict.ridge", 0, &predict->ridge));
        if ((item = job_node_find(node, "cutoff", NULL)) != NULL) {
            NTK_TRY(job_read_number(context, item, "predict.cutoff", 0, &predict->cutoff));
            if (predict->cutoff >= 1.0)
                return job_fail(context, item, "predict.cutoff",
                                "must be below 1 (a fraction of the largest eigenvalue), got %g",
                                predict->cutoff);
        }
    }
    if (key != NULL)
        NTK_TRY(job_node_location(context, key, &predict->where));
    if (predict->enabled)
        NTK_TRY(check_spectrum(context, key, job));
    if (job->output.test_theta && job->test_inputs.kind == NTK_SOURCE_NONE) {
        const job_node *output = job_node_find(root, "output", NULL);
        return job_fail(context, job_node_find(output, "test_theta", NULL), "output.test_theta",
                        "needs data.test_inputs (the rows of the cross kernel)");
    }
    return NTK_OK;
}
