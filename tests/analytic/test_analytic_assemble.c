/* MPI unit test of kernel_assemble_analytic: on the process grid, every local
 * entry of the distributed matrix must equal analytic_pair of its two inputs
 * (outputs: trace and full, NTK and NNGP, lower_only respected), the hooks
 * must see every step once and in order on every rank, and a resumed
 * assembly (first_step > 0) must give the same matrix. Small block size so
 * that blocks and steps are many. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/random.h"
#include "grid/grid.h"
#include "job/job.h"
#include "kernel/analytic.h"

/* The kernel's view of a job built here (job_kernel_config, as an lvalue). */
#define KERNEL_CONFIG(job) \
    (&(const ntk_kernel_config){&(job)->kernel, &(job)->model, (job)->output.theta, 0})

static int failures = 0;

typedef struct {
    int64_t calls, last_done, total;
    int in_order;
} step_counter;

static ntk_status count_step(void *context, ntk_dmatrix *theta, int64_t done, int64_t total)
{
    (void)theta;
    step_counter *counter = context;
    if (done != counter->last_done + 1)
        counter->in_order = 0;
    counter->calls++;
    counter->last_done = done;
    counter->total = total;
    return NTK_OK;
}

static double input_value(int64_t item, int64_t feature)
{
    return ntk_random_normal(42, 7, (uint64_t)(item * 1000 + feature));
}

static void run_case(const ntk_grid *grid, ntk_activation act, int outputs, int lower_only,
                     int want_nngp, int64_t first_step)
{
    enum { N = 13, DIM = 4, K = 3 };
    ntk_job job;
    memset(&job, 0, sizeof job);
    job.model.n_dense = 3;
    job.model.width[0] = 64;
    job.model.width[1] = 64;
    job.model.width[2] = K;
    job.model.act[0] = act;
    job.model.act[1] = act;
    job.model.act[2] = NTK_ACT_IDENTITY;
    job.model.w_std = 1.3;
    job.model.b_std = 0.2;
    job.model.parameterization = NTK_PARAM_NTK;
    job.kernel.kind = NTK_KIND_ANALYTIC;
    job.kernel.outputs = outputs;
    job.kernel.quadrature_order = 16;

    ntk_input_block inputs = {N, DIM, 0, 0, NULL};
    grid_own_block(N, grid->size, grid->rank, &inputs.first, &inputs.count);
    double own[N * DIM];
    for (int64_t i = 0; i < inputs.count; i++)
        for (int f = 0; f < DIM; f++)
            own[i * DIM + f] = input_value(inputs.first + i, f);
    inputs.x = own;

    int64_t per_item = outputs == NTK_OUTPUTS_FULL ? K : 1, m = N * per_item;
    ntk_dmatrix matrix;
    if (dmatrix_create(grid, m, m, &matrix) != NTK_OK) {
        failures++;
        return;
    }
    /* Resume: first fill the steps before first_step as if a run had stopped. */
    step_counter counter = {0, first_step, 0, 1};
    ntk_assembly_hooks hooks = {first_step, count_step, &counter, NULL, NULL};
    ntk_kernel_stats stats;
    ntk_status status = NTK_OK;
    if (first_step > 0) {
        step_counter early = {0, 0, 0, 1};
        ntk_assembly_hooks stop = {0, count_step, &early, NULL, NULL};
        status = kernel_assemble_analytic(KERNEL_CONFIG(&job), NULL, grid, &inputs, lower_only,
                                          want_nngp, &stop, &matrix, &stats);
        /* Keep the steps before first_step (a checkpoint's content) and spoil
         * the rest, which the resumed run must fill again. */
        int64_t lld = matrix.local_rows > 1 ? matrix.local_rows : 1;
        for (int64_t lc = first_step * grid->block; lc < matrix.local_cols; lc++)
            for (int64_t lr = 0; lr < matrix.local_rows; lr++)
                matrix.data[lc * lld + lr] = -12345.0;
    }
    if (status == NTK_OK)
        status = kernel_assemble_analytic(KERNEL_CONFIG(&job), NULL, grid, &inputs, lower_only,
                                          want_nngp, &hooks, &matrix, &stats);
    if (status != NTK_OK) {
        printf("FAIL rank %d: assembly failed: %s\n", grid->rank, ntk_error_message());
        failures++;
        dmatrix_destroy(&matrix);
        return;
    }

    int64_t blocks = (m + grid->block - 1) / grid->block;
    int64_t steps = (blocks + grid->cols - 1) / grid->cols;
    if (counter.calls != steps - first_step || !counter.in_order || counter.total != steps ||
        stats.steps_total != steps || strcmp(stats.method, "analytic") != 0) {
        printf("FAIL rank %d: hooks saw %lld calls (want %lld), total %lld (want %lld)\n",
               grid->rank, (long long)counter.calls, (long long)(steps - first_step),
               (long long)counter.total, (long long)steps);
        failures++;
    }

    double worst = 0.0;
    int64_t checked = 0;
    int64_t lld = matrix.local_rows > 1 ? matrix.local_rows : 1;
    for (int64_t lc = 0; lc < matrix.local_cols; lc++) {
        int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < matrix.local_rows; lr++) {
            int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            if (lower_only && i / grid->block < j / grid->block)
                continue;
            double want = 0.0;
            if (i % per_item == j % per_item) {
                /* Smaller item first, as the assembly does: low-order
                 * quadrature is not symmetric in its two arguments. */
                int64_t first = i / per_item < j / per_item ? i / per_item : j / per_item;
                int64_t second = i / per_item < j / per_item ? j / per_item : i / per_item;
                double x[DIM], y[DIM], theta, nngp;
                for (int f = 0; f < DIM; f++) {
                    x[f] = input_value(first, f);
                    y[f] = input_value(second, f);
                }
                analytic_pair(&job.model, DIM, 16, x, y, &theta, &nngp);
                want = want_nngp ? nngp : theta;
            }
            double got = matrix.data[lc * lld + lr];
            /* Symmetric by construction; quadrature is not, so allow rounding. */
            worst = fmax(worst, fabs(got - want) / fmax(1.0, fabs(want)));
            checked++;
        }
    }
    if (!(worst < 1e-13)) {
        printf("FAIL rank %d (act %s outputs %d lower %d nngp %d resume %lld): "
               "max relative error %.3g over %lld entries\n",
               grid->rank, ntk_activation_name(act), outputs, lower_only, want_nngp, (long long)first_step, worst,
               (long long)checked);
        failures++;
    }
    dmatrix_destroy(&matrix);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rows, cols;
    grid_auto_shape(size, &rows, &cols);
    ntk_grid grid;
    if (grid_create(MPI_COMM_WORLD, 4, rows, cols, &grid) != NTK_OK) {
        printf("FAIL: grid_create: %s\n", ntk_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    run_case(&grid, NTK_ACT_RELU, NTK_OUTPUTS_TRACE, 0, 0, 0);
    run_case(&grid, NTK_ACT_RELU, NTK_OUTPUTS_TRACE, 1, 0, 0);
    run_case(&grid, NTK_ACT_ERF, NTK_OUTPUTS_FULL, 0, 0, 0);
    run_case(&grid, NTK_ACT_ERF, NTK_OUTPUTS_FULL, 1, 1, 0);
    run_case(&grid, NTK_ACT_TANH, NTK_OUTPUTS_TRACE, 0, 1, 0);
    run_case(&grid, NTK_ACT_GELU, NTK_OUTPUTS_FULL, 0, 0, 2);

    /* The standard parameterisation has no such limit: refused everywhere. */
    ntk_job bad;
    memset(&bad, 0, sizeof bad);
    bad.model.n_dense = 2;
    bad.model.width[0] = 8;
    bad.model.width[1] = 1;
    bad.model.act[0] = NTK_ACT_RELU;
    bad.model.w_std = 1.0;
    bad.model.parameterization = NTK_PARAM_STANDARD;
    bad.model.where.file = "job.yaml";
    ntk_input_block inputs = {2, 1, 0, 0, NULL};
    double own[2] = {1.0, 2.0};
    grid_own_block(2, grid.size, grid.rank, &inputs.first, &inputs.count);
    inputs.x = own;
    ntk_dmatrix matrix;
    dmatrix_create(&grid, 2, 2, &matrix);
    ntk_status status = kernel_assemble_analytic(KERNEL_CONFIG(&bad), NULL, &grid, &inputs, 0, 0,
                                                 NULL, &matrix, NULL);
    if (status != NTK_ERR_JOB || !strstr(ntk_error_message(), "model.parameterization")) {
        printf("FAIL rank %d: standard parameterisation not refused (status %d: %s)\n",
               grid.rank, status, ntk_error_message());
        failures++;
    }
    dmatrix_destroy(&matrix);

    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (grid.rank == 0)
        printf(total ? "%d failure(s)\n" : "all analytic assembly checks passed on %d ranks\n",
               total ? total : size);
    grid_destroy(&grid);
    MPI_Finalize();
    return total ? 1 : 0;
}
