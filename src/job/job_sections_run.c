/* The sections of a job that say how to compute and what to write: kernel,
 * grid, spectrum, dynamics, output, training, checkpoint; and the top-level
 * walk over all sections with their defaults (see job_sections.h). */
#include "job/job_sections.h"

#include <stdio.h>
#include <string.h>

#include "job/job_keys.h"
#include "job/job_read.h"
#include "model/layer.h"
#include "job/job_rules.h"

static void set_defaults(ntk_job *job)
{
    job->model.parameterization = NTK_PARAM_NTK;
    job->model.w_std = 1.0;
    job->model.b_std = 0.0;
    job->kernel.kind = NTK_KIND_EMPIRICAL;
    job->kernel.method = NTK_METHOD_AUTO;
    job->kernel.outputs = NTK_OUTPUTS_TRACE;
    job->kernel.quadrature_order = 32;
    job->kernel.jacobian_chunk = 8192;
    job->kernel.chunk_mib = NTK_DEFAULT_CHUNK_MIB;
    job->grid.block = NTK_DEFAULT_BLOCK;
    job->spectrum.solver = NTK_SOLVER_AUTO;
    job->spectrum.vectors = 1;
    job->spectrum.tolerance = 1e-10;
    job->dynamics.learning_rate = 1.0;
    static const int64_t steps[] = {0, 1, 10, 100, 1000, 10000};
    job->dynamics.n_steps = 6;
    memcpy(job->dynamics.steps, steps, sizeof steps);
    snprintf(job->output.dir, sizeof job->output.dir, "ntkgram-out");
    job->output.eigenvectors = 1;
    job->output.plot = 1;
    job->training.steps = 1000;
    job->training.record_every = 10;
    job->training.modes = 20;
}

/* Read `key` of `section` as a choice when present. */
static ntk_status read_choice_key(const job_context *context, const job_node *section,
                                  const char *section_name, const char *key,
                                  const ntk_choice_table *names, int *value)
{
    const job_node *node = job_node_find(section, key, NULL);
    if (node == NULL)
        return NTK_OK;
    char path[JOB_PATH_TEXT_MAX];
    job_path_key(path, sizeof path, section_name, key);
    return job_read_enum(context, node, path, "value", names, JOB_ENUM_ANY, value);
}

static ntk_status read_bool_key(const job_context *context, const job_node *section,
                                const char *section_name, const char *key, int *value)
{
    const job_node *node = job_node_find(section, key, NULL);
    if (node == NULL)
        return NTK_OK;
    char path[JOB_PATH_TEXT_MAX];
    job_path_key(path, sizeof path, section_name, key);
    return job_read_bool(context, node, path, value);
}

static ntk_status read_kernel(const job_context *context, const job_node *kernel, ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&kernel_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, kernel, "kernel", keys));
    int kind = job->kernel.kind, method = job->kernel.method, output = job->kernel.outputs;
    NTK_TRY(read_choice_key(context, kernel, "kernel", "kind", &kernel_kind_names, &kind));
    NTK_TRY(read_choice_key(context, kernel, "kernel", "method", &kernel_method_names,
                            &method));
    NTK_TRY(read_choice_key(context, kernel, "kernel", "outputs", &kernel_outputs_names,
                            &output));
    job->kernel.kind = (ntk_kernel_kind)kind;
    job->kernel.method = (ntk_kernel_method)method;
    job->kernel.outputs = (ntk_kernel_outputs)output;
    NTK_TRY(read_bool_key(context, kernel, "kernel", "nngp", &job->kernel.nngp));
    NTK_TRY(read_bool_key(context, kernel, "kernel", "compare_analytic",
                          &job->kernel.compare_analytic));
    const job_node *node = job_node_find(kernel, "quadrature_order", NULL);
    if (node != NULL) {
        int64_t order = 0;
        NTK_TRY(job_read_int(context, node, "kernel.quadrature_order", NULL,
                             "an integer from 2 to 256", 2, 256, &order));
        job->kernel.quadrature_order = (int)order;
    }
    if ((node = job_node_find(kernel, "jacobian_chunk", NULL)) != NULL)
        NTK_TRY(job_read_int(context, node, "kernel.jacobian_chunk", NULL, "a positive integer",
                             1, INT64_MAX, &job->kernel.jacobian_chunk));
    if ((node = job_node_find(kernel, "chunk_mib", NULL)) != NULL)
        NTK_TRY(job_read_int(context, node, "kernel.chunk_mib", NULL,
                             "a positive integer (MiB)", 1, (int64_t)1 << 30,
                             &job->kernel.chunk_mib));
    if (job->kernel.compare_analytic && job->model.parameterization != NTK_PARAM_NTK)
        return job_fail(context, job_node_find(kernel, "compare_analytic", NULL),
                        "kernel.compare_analytic",
                        "the analytic (infinite-width) kernel needs model.parameterization: ntk, "
                        "but the model is standard");
    if (job->kernel.kind == NTK_KIND_ANALYTIC && job->model.parameterization != NTK_PARAM_NTK)
        return job_fail(context, job_node_find(kernel, "kind", NULL), "kernel.kind",
                        "the analytic (infinite-width) kernel needs model.parameterization: ntk, "
                        "but the model is standard");
    /* A layer type states whether it has an infinite-width map (model/layer.h). */
    for (int i = 0; i < job->model.n_layers; ++i) {
        const ntk_layer_ops *ops = job->model.layers[i].ops;
        if (ops->analytic_spatial != NULL || (job->kernel.kind != NTK_KIND_ANALYTIC &&
                                      !job->kernel.compare_analytic))
            continue;
        const int kind = job->kernel.kind == NTK_KIND_ANALYTIC;
        return job_fail(context, job_node_find(kernel, kind ? "kind" : "compare_analytic", NULL),
                        kind ? "kernel.kind" : "kernel.compare_analytic",
                        "model.layers[%d] is a %s layer, which has no infinite-width "
                        "(analytic) kernel", i, ops->name);
    }
    return NTK_OK;
}

static ntk_status read_grid(const job_context *context, const job_node *grid, ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&grid_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, grid, "grid", keys));
    const job_node *node = job_node_find(grid, "block", NULL);
    if (node != NULL) {
        int64_t block = 0;
        NTK_TRY(job_read_int(context, node, "grid.block", NULL, "a positive integer", 1,
                             1 << 20, &block));
        job->grid.block = (int)block;
    }
    node = job_node_find(grid, "shape", NULL);
    NTK_TRY(job_node_location(context, node != NULL ? node : grid, &job->grid.shape_where));
    if (node == NULL || (node->kind == JOB_NODE_SCALAR && strcmp(node->text, "auto") == 0))
        return NTK_OK;
    char description[96];
    if (node->kind != JOB_NODE_SEQUENCE || node->count != 2)
        return job_fail(context, node, "grid.shape",
                        "must be auto or [rows, cols] (two positive integers), got %s",
                        job_node_describe(node, description, sizeof description));
    int64_t rows = 0, cols = 0;
    NTK_TRY(job_read_int(context, node->items[0], "grid.shape[0]", "rows", "a positive integer",
                         1, 1 << 24, &rows));
    NTK_TRY(job_read_int(context, node->items[1], "grid.shape[1]", "cols", "a positive integer",
                         1, 1 << 24, &cols));
    job->grid.rows = (int)rows;
    job->grid.cols = (int)cols;
    return NTK_OK;
}

/* spectrum.grid: [rows, cols], auto or assembly (the default); spectrum.block:
 * an nb, auto or assembly. The rank count is checked in preflight. */
static ntk_status read_solve_layout(const job_context *context, const job_node *spectrum,
                                    ntk_job *job)
{
    const job_node *grid = job_node_find(spectrum, "grid", NULL);
    const job_node *block = job_node_find(spectrum, "block", NULL);
    const job_node *where = grid != NULL ? grid : block != NULL ? block : spectrum;
    NTK_TRY(job_node_location(context, where, &job->spectrum.layout_where));
    char description[96];
    if (grid != NULL && grid->kind == JOB_NODE_SCALAR && strcmp(grid->text, "auto") == 0) {
        job->spectrum.solve_rows = job->spectrum.solve_cols = NTK_SOLVE_LAYOUT_AUTO;
    } else if (grid != NULL &&
               !(grid->kind == JOB_NODE_SCALAR && strcmp(grid->text, "assembly") == 0)) {
        if (grid->kind != JOB_NODE_SEQUENCE || grid->count != 2)
            return job_fail(context, grid, "spectrum.grid",
                            "must be assembly, auto or [rows, cols] (two positive integers), "
                            "got %s",
                            job_node_describe(grid, description, sizeof description));
        int64_t rows = 0, cols = 0;
        NTK_TRY(job_read_int(context, grid->items[0], "spectrum.grid[0]", "rows",
                             "a positive integer", 1, 1 << 24, &rows));
        NTK_TRY(job_read_int(context, grid->items[1], "spectrum.grid[1]", "cols",
                             "a positive integer", 1, 1 << 24, &cols));
        job->spectrum.solve_rows = (int)rows;
        job->spectrum.solve_cols = (int)cols;
        /* With grid.shape given the rank count is known now. */
        const int64_t ranks = (int64_t)job->grid.rows * job->grid.cols;
        if (ranks > 0 && rows * cols != ranks)
            return job_fail(context, grid, "spectrum.grid",
                            "[%lld, %lld] has %lld ranks, but grid.shape [%d, %d] has %lld",
                            (long long)rows, (long long)cols, (long long)(rows * cols),
                            job->grid.rows, job->grid.cols, (long long)ranks);
    }
    if (block != NULL && block->kind == JOB_NODE_SCALAR && strcmp(block->text, "auto") == 0) {
        job->spectrum.solve_block = NTK_SOLVE_LAYOUT_AUTO;
    } else if (block != NULL &&
               !(block->kind == JOB_NODE_SCALAR && strcmp(block->text, "assembly") == 0)) {
        int64_t nb = 0;
        NTK_TRY(job_read_int(context, block, "spectrum.block", NULL,
                             "a positive integer, auto or assembly", 1, 1 << 20, &nb));
        job->spectrum.solve_block = (int)nb;
    }
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

/* The keys of spectrum.solver matrix_free; they mean nothing to the dense
 * solvers, so they are refused there rather than silently ignored. */
static ntk_status read_matrix_free_keys(const job_context *context, const job_node *spectrum,
                                        ntk_job *job)
{
    static const char *const own_keys[] = {"tolerance", "allow_unconverged", "features",
                                           "pair_check", NULL};
    const int matrix_free = job->spectrum.solver == NTK_SOLVER_MATRIX_FREE;
    for (int i = 0; own_keys[i] != NULL; ++i) {
        const job_node *node = job_node_find(spectrum, own_keys[i], NULL);
        char path[JOB_PATH_TEXT_MAX];
        job_path_key(path, sizeof path, "spectrum", own_keys[i]);
        if (node != NULL && !matrix_free)
            return job_fail(context, node, path, "applies only to spectrum.solver: matrix_free");
    }
    const job_node *node = job_node_find(spectrum, "tolerance", NULL);
    if (node != NULL)
        NTK_TRY(job_read_number(context, node, "spectrum.tolerance", 1, &job->spectrum.tolerance));
    NTK_TRY(read_bool_key(context, spectrum, "spectrum", "allow_unconverged",
                          &job->spectrum.allow_unconverged));
    int features = job->spectrum.features;
    NTK_TRY(read_choice_key(context, spectrum, "spectrum", "features", &spectrum_features_names,
                            &features));
    job->spectrum.features = (ntk_features_mode)features;
    int pair_check = job->spectrum.pair_check;
    NTK_TRY(read_choice_key(context, spectrum, "spectrum", "pair_check", &spectrum_pair_check_names,
                            &pair_check));
    job->spectrum.pair_check = (ntk_pair_check)pair_check;
    if (matrix_free && job->spectrum.top == 0)
        return job_fail(context, job_node_find(spectrum, "solver", NULL), "spectrum.solver",
                        "matrix_free computes the top eigenpairs: set spectrum.top (k >= 1)");
    /* vectors: false with matrix_free: Lanczos computes the eigenvectors
     * anyway (and the pair check needs them); the run keeps only the
     * eigenvalues (spectrum/parpack/matrix_free_parpack.c). */
    return NTK_OK;
}

static ntk_status read_spectrum(const job_context *context, const job_node *spectrum,
                                ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&spectrum_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, spectrum, "spectrum", keys));
    int solver = job->spectrum.solver;
    NTK_TRY(read_choice_key(context, spectrum, "spectrum", "solver", &spectrum_solver_names, &solver));
    job->spectrum.solver = (ntk_solver)solver;
#ifndef NTK_HAVE_ELPA
    if (job->spectrum.solver == NTK_SOLVER_ELPA || job->spectrum.solver == NTK_SOLVER_ELPA1)
        return job_fail(context, job_node_find(spectrum, "solver", NULL), "spectrum.solver",
                        "%s needs ELPA, but this ntkgram was built without it (install "
                        "libelpa-dev and rebuild); use auto, pdsyevd, pdsyevr or lapack",
                        solvers[solver]);
#endif
    NTK_TRY(read_bool_key(context, spectrum, "spectrum", "vectors", &job->spectrum.vectors));
    const job_node *node = job_node_find(spectrum, "top", NULL);
    NTK_TRY(job_node_location(context, node != NULL ? node : spectrum, &job->spectrum.top_where));
    if (node != NULL)
        NTK_TRY(job_read_int(context, node, "spectrum.top", NULL, "an integer >= 0 (0 = all)", 0,
                             INT64_MAX, &job->spectrum.top));
    NTK_TRY(read_matrix_free_keys(context, spectrum, job));
    /* A request for less than the solver computes (pdsyevd with top or
     * vectors: false) runs and keeps what was asked (spectrum_solve). */
    return read_solve_layout(context, spectrum, job);
}

ntk_status job_read_steps(const job_context *context, const job_node *node, const char *path,
                          int64_t steps[NTK_MAX_STEPS], int *n_steps)
{
    NTK_TRY(job_check_list(context, node, path, " of step counts such as [0, 10, 100]"));
    if (node->count > NTK_MAX_STEPS)
        return job_fail(context, node, path, "has %d entries, at most %d", node->count,
                        NTK_MAX_STEPS);
    for (int i = 0; i < node->count; ++i) {
        char item_path[JOB_PATH_TEXT_MAX];
        job_path_index(item_path, sizeof item_path, path, i);
        NTK_TRY(job_read_int(context, node->items[i], item_path, NULL, "an integer >= 0", 0,
                             INT64_MAX, &steps[i]));
    }
    *n_steps = node->count;
    return NTK_OK;
}

static ntk_status read_dynamics(const job_context *context, const job_node *dynamics,
                                ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&dynamics_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, dynamics, "dynamics", keys));
    const job_node *node = job_node_find(dynamics, "learning_rate", NULL);
    if (node != NULL)
        NTK_TRY(job_read_number(context, node, "dynamics.learning_rate", 1,
                                &job->dynamics.learning_rate));
    node = job_node_find(dynamics, "steps", NULL);
    if (node == NULL)
        return NTK_OK;
    return job_read_steps(context, node, "dynamics.steps", job->dynamics.steps,
                          &job->dynamics.n_steps);
}

static ntk_status read_output(const job_context *context, const job_node *output, ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&output_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, output, "output", keys));
    const job_node *node = job_node_find(output, "dir", NULL);
    if (node != NULL)
        NTK_TRY(job_read_string(context, node, "output.dir", job->output.dir,
                                sizeof job->output.dir));
    NTK_TRY(read_bool_key(context, output, "output", "theta", &job->output.theta));
    /* Named here, where the key's line is known (plan.c keeps the rule for
     * jobs built in code). */
    if (job->output.theta && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, job_node_find(output, "theta", NULL), "output.theta",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    NTK_TRY(read_bool_key(context, output, "output", "plot", &job->output.plot));
    NTK_TRY(read_bool_key(context, output, "output", "params", &job->output.params));
    NTK_TRY(read_bool_key(context, output, "output", "test_theta", &job->output.test_theta));
    NTK_TRY(read_bool_key(context, output, "output", "theta_layers", &job->output.theta_layers));
    /* Eigenvectors follow the spectrum unless asked for explicitly. */
    int solved_vectors = job->spectrum.vectors && job->spectrum.solver != NTK_SOLVER_NONE;
    node = job_node_find(output, "eigenvectors", NULL);
    job->output.eigenvectors = solved_vectors;
    if (node != NULL) {
        NTK_TRY(job_read_bool(context, node, "output.eigenvectors", &job->output.eigenvectors));
        if (job->output.eigenvectors && !solved_vectors)
            return job_fail(context, node, "output.eigenvectors",
                            "needs eigenvectors, but %s",
                            job->spectrum.solver == NTK_SOLVER_NONE
                                ? "spectrum.solver is none"
                                : "spectrum.vectors is false");
    }
    return NTK_OK;
}

static ntk_status read_training(const job_context *context, const job_node *training,
                                ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&training_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, training, "training", keys));
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
    job->training.enabled = 1;
    job->training.learning_rate = job->dynamics.learning_rate;
    const job_node *node = job_node_find(training, "steps", NULL);
    if (node != NULL)
        NTK_TRY(job_read_int(context, node, "training.steps", NULL, "a positive integer", 1,
                             INT64_MAX, &job->training.steps));
    if ((node = job_node_find(training, "learning_rate", NULL)) != NULL)
        NTK_TRY(job_read_number(context, node, "training.learning_rate", 1,
                                &job->training.learning_rate));
    if ((node = job_node_find(training, "record_every", NULL)) != NULL)
        NTK_TRY(job_read_int(context, node, "training.record_every", NULL, "a positive integer",
                             1, INT64_MAX, &job->training.record_every));
    if ((node = job_node_find(training, "kernel_every", NULL)) != NULL)
        NTK_TRY(job_read_int(context, node, "training.kernel_every", NULL, "a positive integer",
                             1, INT64_MAX, &job->training.kernel_every));
    if ((node = job_node_find(training, "mode_every", NULL)) != NULL)
        NTK_TRY(job_read_int(context, node, "training.mode_every", NULL, "a positive integer",
                             1, INT64_MAX, &job->training.mode_every));
    if ((node = job_node_find(training, "modes", NULL)) != NULL)
        NTK_TRY(job_read_int(context, node, "training.modes", NULL, "a positive integer", 1,
                             INT64_MAX, &job->training.modes));
    return read_bool_key(context, training, "training", "kernel_after",
                         &job->training.kernel_after);
}

static ntk_status read_checkpoint(const job_context *context, const job_node *checkpoint,
                                  ntk_job *job)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&checkpoint_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, checkpoint, "checkpoint", keys));
    const job_node *node = job_node_find(checkpoint, "every", NULL);
    if (node != NULL)
        NTK_TRY(job_read_duration(context, node, "checkpoint.every",
                                  &job->checkpoint.every_seconds));
    if ((node = job_node_find(checkpoint, "dir", NULL)) != NULL)
        return job_read_string(context, node, "checkpoint.dir", job->checkpoint.dir,
                               sizeof job->checkpoint.dir);
    /* Default beside the outputs: known only now that output.dir (and --out) is final. */
    int written = snprintf(job->checkpoint.dir, sizeof job->checkpoint.dir, "%s/checkpoint",
                           job->output.dir);
    if (written < 0 || written >= (int)sizeof job->checkpoint.dir)
        return job_fail(context, node, "checkpoint.dir", "output.dir is too long");
    return NTK_OK;
}

ntk_status job_read_run_sections(const job_context *context, const job_node *root, ntk_job *job)
{
    /* Order matters: kernel needs the model, output the spectrum, training the dynamics,
     * checkpoint the output. */
    NTK_TRY(read_kernel(context, job_node_find(root, "kernel", NULL), job));
    NTK_TRY(read_grid(context, job_node_find(root, "grid", NULL), job));
    NTK_TRY(read_spectrum(context, job_node_find(root, "spectrum", NULL), job));
    if (job->kernel.compare_analytic && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context,
                        job_node_find(job_node_find(root, "kernel", NULL), "compare_analytic",
                                      NULL),
                        "kernel.compare_analytic",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    if (job->kernel.kind != NTK_KIND_EMPIRICAL && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, job_node_find(job_node_find(root, "kernel", NULL), "kind", NULL),
                        "kernel.kind",
                        "spectrum.solver matrix_free needs kernel.kind empirical (it multiplies "
                        "by the Jacobian)");
    NTK_TRY(read_dynamics(context, job_node_find(root, "dynamics", NULL), job));
    NTK_TRY(read_output(context, job_node_find(root, "output", NULL), job));
    NTK_TRY(job_read_predict(context, root, job));
    NTK_TRY(job_read_diagnostics(context, root, job));
    job->training.enabled = 0;
    job->training.learning_rate = job->dynamics.learning_rate;
    const job_node *training = NULL;
    job_node *training_key = NULL;
    training = job_node_find(root, "training", &training_key);
    int enabled = 1;
    /* `training: false` (e.g. --set training=false) switches a job's training off. */
    if (training != NULL && training->kind == JOB_NODE_SCALAR && training->plain &&
        job_text_to_bool(training->text, &enabled)) {
        if (enabled)
            return job_fail(context, training, "training",
                            "must be a mapping such as {steps: 1000} (or false), got true");
    } else if (training_key != NULL) {
        NTK_TRY(read_training(context, training, job));
    }
    if (job->training.enabled && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, training_key != NULL ? training_key : training, "training",
                        "needs all eigenpairs; spectrum.solver matrix_free computes the top "
                        "spectrum.top only");
    return read_checkpoint(context, job_node_find(root, "checkpoint", NULL), job);
}

ntk_status job_read_sections(const job_context *context, const job_node *root, ntk_job *job)
{
    const char *const *keys = job_top_level_names();
    NTK_TRY(job_check_mapping(context, root, "", keys));
    set_defaults(job);
    const job_node *node = job_node_find(root, "name", NULL);
    if (node != NULL)
        NTK_TRY(job_read_string(context, node, "name", job->name, sizeof job->name));

    job_node *key = NULL;
    node = job_node_find(root, "data", &key);
    if (node == NULL)
        return job_fail(context, root, "data",
                        "missing required key 'data' (data.inputs names the input points)");
    NTK_TRY(job_read_data(context, node, job));
    node = job_node_find(root, "model", &key);
    if (node == NULL)
        return job_fail(context, root, "model",
                        "missing required key 'model' (model.layers, e.g. [{dense: 256}, relu, "
                        "{dense: 1}])");
    NTK_TRY(job_node_location(context, key, &job->model.where));
    NTK_TRY(job_read_model(context, node, job));
    NTK_TRY(job_read_run_sections(context, root, job));
    node = job_node_find(root, "sweep", NULL);
    job->sweep.n_keys = 0;
    if (node != NULL)
        NTK_TRY(job_read_sweep(context, node, job));
    return job_check_rules(context, root, job);
}
