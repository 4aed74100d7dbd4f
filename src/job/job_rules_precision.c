/* kernel.precision against the rest of the job (docs/precision.md): every
 * path that does not compute in the precision asked for refuses it here,
 * before anything runs, naming kernel.precision's place in the job. None
 * falls back to float64 where less was asked for.
 *
 * What runs in mixed precision: the empirical kernel by the structured
 * method (kernel/structured_mixed.c), trace outputs, every layer type with
 * parameters (dense, conv in either form, batch and layer norm); every
 * solver that reads the assembled Theta (it is float64). float32: the same
 * kernels and networks, Theta stored in float32 and solved in float32 for
 * every pair or every eigenvalue on the assembly's grid by the solvers
 * with a float32 path (spectrum/solve_float32.c: pssyevd, pssyevr, ELPA,
 * the node solver; matrix_free's products are float64 and it is refused
 * with mixed's refusals); everything that reads a float64
 * Theta or eigenvectors (diagnostics, the analytic comparison, training,
 * predictions) or keeps them (checkpoints) is refused. */
#include "job/job_rules.h"
#include "job/job_sections.h"
#include "predict/predict_config.h"
#include "spectrum/spectrum.h"

/* The one-line message: "<file>:<line>:<col>: kernel.precision: mixed is not
 * supported with <what> (<why>); use ..." */
static ntk_status refuse(const job_context *context, const job_node *where, const char *name,
                         const char *what)
{
    return job_fail(context, where, "kernel.precision", "%s is not supported with %s", name, what);
}

/* float32 predictions come from the float32 eigenpairs (predict.solver
 * eigen: the modes above the eigenvalues' error bound) with the cross
 * kernel's products in float32; the linear solvers read a float64 Theta
 * and are refused, as are the files and ensembles float32 has no path
 * for. */
static ntk_status check_float32_predictions(const job_context *context, const job_node *where,
                                            const ntk_job *job)
{
    const ntk_predict_spec *predict = &job->predict;
    if (job->output.test_theta)
        return refuse(context, where, "float32",
                      "output.test_theta (the cross kernel is kept in float64)");
    if (job->test_inputs.kind == NTK_SOURCE_NONE && !predict->enabled)
        return NTK_OK;
    if (!predict->enabled)
        return refuse(context, where, "float32",
                      "data.test_inputs without predict (float32 uses held-out inputs for "
                      "predictions only)");
    if (predict->ensemble)
        return refuse(context, where, "float32", "predict.ensemble");
    if (predict->solver != NTK_LINEAR_AUTO && predict->solver != NTK_LINEAR_EIGEN)
        return refuse(context, where, "float32",
                      "predict.solver cholesky or cg (they solve a float64 Theta; float32 "
                      "predicts through its eigenpairs: predict.solver auto or eigen)");
    if (predict->operator_choice == NTK_OPERATOR_MATRIX_FREE)
        return refuse(context, where, "float32",
                      "predict.operator matrix_free (its products are float64)");
    if (job->spectrum.solver == NTK_SOLVER_NONE || !job->spectrum.vectors)
        return refuse(context, where, "float32",
                      "predict without every eigenpair (float32 predicts through the "
                      "eigenpairs: spectrum.vectors: true and a solver other than none)");
    return NTK_OK;
}

/* float32 beyond what mixed refuses: the eigensolve computes every pair
 * or every eigenvalue in float32 on the assembly's layout (pssyevd for the
 * pairs, pssyevr for the values, elpa, elpa1 and lapack for both; mixed's
 * rules refuse matrix_free), and nothing reads or keeps a float64 Theta. */
static ntk_status check_float32(const job_context *context, const job_node *where,
                                const ntk_job *job)
{
    const ntk_spectrum_spec *spectrum = &job->spectrum;
    const ntk_solver solver = spectrum->solver;
    if ((solver == NTK_SOLVER_ELPA || solver == NTK_SOLVER_ELPA1) &&
        !spectrum_elpa_single_precision())
        return job_fail(context, where, "kernel.precision",
                        "float32 is not supported with spectrum.solver %s (this ELPA library "
                        "was built without single precision; use spectrum.solver auto, pdsyevd, "
                        "pdsyevr or lapack)", spectrum_solver_name(solver));
    if (solver != NTK_SOLVER_NONE && spectrum->top > 0)
        return refuse(context, where, "float32",
                      "spectrum.top (the float32 solvers compute every eigenvalue; use "
                      "spectrum.top: 0)");
    if (solver == NTK_SOLVER_PDSYEVD && !spectrum->vectors)
        return refuse(context, where, "float32",
                      "spectrum.solver pdsyevd without spectrum.vectors (float32 solves the "
                      "eigenvalues alone by pssyevr: spectrum.solver auto or pdsyevr)");
    if (solver == NTK_SOLVER_PDSYEVR && spectrum->vectors)
        return refuse(context, where, "float32",
                      "spectrum.solver pdsyevr with spectrum.vectors (float32 solves every pair "
                      "by pssyevd: spectrum.solver auto or pdsyevd)");
    if (spectrum->solve_rows != NTK_SOLVE_LAYOUT_ASSEMBLY ||
        spectrum->solve_block != NTK_SOLVE_LAYOUT_ASSEMBLY)
        return refuse(context, where, "float32",
                      "spectrum.grid or spectrum.block (the float32 eigensolve runs on the "
                      "assembly's grid)");
    if (job->diagnostics.enabled)
        return refuse(context, where, "float32",
                      "diagnostics (they read a float64 Theta and eigenvectors)");
    if (job->kernel.compare_analytic)
        return refuse(context, where, "float32",
                      "kernel.compare_analytic (the analytic kernel is float64)");
    if (job->checkpoint.every_seconds > 0.0)
        return refuse(context, where, "float32",
                      "checkpoint.every (checkpoints hold a float64 Theta; a stopped float32 "
                      "run starts over)");
    return check_float32_predictions(context, where, job);
}

ntk_status job_check_precision(const job_context *context, const job_node *root,
                               const ntk_job *job)
{
    const ntk_kernel_precision precision = job->kernel.precision;
    if (precision == NTK_PRECISION_FLOAT64)
        return NTK_OK;
    const job_node *kernel = job_node_find(root, "kernel", NULL);
    const job_node *where = job_node_find(kernel, "precision", NULL);
    if (where == NULL)
        where = kernel != NULL ? kernel : root;
    const char *name = ntk_choice_name(&kernel_precision_names, (int)precision);
    if (job->kernel.kind != NTK_KIND_EMPIRICAL)
        return refuse(context, where, name,
                      "kernel.kind analytic (the infinite-width kernel is computed in float64 "
                      "only; use kernel.precision: float64)");
    if (job->kernel.method == NTK_METHOD_JACOBIAN)
        return refuse(context, where, name,
                      "kernel.method jacobian (only the structured method has mixed products)");
    if (job->kernel.outputs != NTK_OUTPUTS_TRACE)
        return refuse(context, where, name, "kernel.outputs full (only trace kernels)");
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return refuse(context, where, name,
                      "spectrum.solver matrix_free (its Jacobian products are float64)");
    if (job->training.enabled)
        return refuse(context, where, name, "training (its gradients and kernels are float64)");
    const int held_out =
        job->predict.enabled || job->output.test_theta || job->test_inputs.kind != NTK_SOURCE_NONE;
    if (held_out && precision == NTK_PRECISION_MIXED)
        return refuse(context, where, name,
                      "held-out inputs (predict, data.test_inputs, output.test_theta: the cross "
                      "kernel is float64)");
    if (job->sweep.n_keys > 0)
        return refuse(context, where, name, "a sweep");
    if (precision == NTK_PRECISION_FLOAT32)
        return check_float32(context, where, job);
    return NTK_OK;
}
