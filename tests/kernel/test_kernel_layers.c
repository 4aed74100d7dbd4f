/* Per-layer kernels Theta_l (kernel_config.h, only_layer) on 1..4 ranks,
 * every grid shape of that rank count and two block sizes:
 *   - sum_l Theta_l == Theta (1e-12 relative) for the structured, jacobian
 *     and analytic kernels, trace and full outputs;
 *   - structured Theta_l == jacobian Theta_l (1e-12 relative);
 *   - each empirical Theta_l == a serial brute-force J_l J_l^T from the
 *     Jacobian columns of layer l's weights and bias alone (1e-12 relative);
 *   - each analytic Theta_l == an independent serial recursion (ReLU arc-cosine
 *     closed forms) that keeps layer l's Sigma term only (1e-12 relative).
 * Local elements are gathered with an MPI_Allreduce (the matrices are small). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "check.h"

static int world_rank = 0;

#define MUST(call)                                                                          \
    do {                                                                                    \
        if ((call) != NTK_OK) {                                                             \
            fprintf(stderr, "FAIL [rank %d] %s:%d: %s: %s\n", world_rank, __FILE__, __LINE__, \
                    #call, ntk_error_message());                                            \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                   \
        }                                                                                   \
    } while (0)

typedef struct {
    const char *label;
    int64_t n, dim;
    int n_dense;
    int64_t widths[4];
    ntk_activation acts[4];
    ntk_parameterization param;
    double b_std;
    ntk_kernel_outputs outputs;
} layer_case;

static void make_spec(const layer_case *c, ntk_model_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->n_dense = c->n_dense;
    for (int i = 0; i < c->n_dense; ++i) {
        spec->width[i] = c->widths[i];
        spec->act[i] = i + 1 < c->n_dense ? c->acts[i] : NTK_ACT_IDENTITY;
    }
    spec->parameterization = c->param;
    spec->w_std = 1.3;
    spec->b_std = c->b_std;
    spec->seed = 5;
}

static double *gather(const ntk_grid *grid, const ntk_dmatrix *a)
{
    const int64_t m = a->rows;
    double *global = calloc((size_t)(m * m), sizeof *global);
    const int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    for (int64_t j = 0; j < a->local_cols; ++j) {
        const int64_t gj = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t i = 0; i < a->local_rows; ++i) {
            const int64_t gi = grid_global_index(i, grid->block, grid->myrow, grid->rows);
            global[gi * m + gj] = a->data[j * lld + i];
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, global, (int)(m * m), MPI_DOUBLE, MPI_SUM, grid->comm);
    return global;
}

/* max |a - b| / max |b| over the lower triangle. */
static double relative_difference(const double *a, const double *b, int64_t m)
{
    double diff = 0.0, scale = 0.0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            diff = fmax(diff, fabs(a[i * m + j] - b[i * m + j]));
            scale = fmax(scale, fabs(b[i * m + j]));
        }
    return diff / (scale > 0.0 ? scale : 1.0);
}

/* The kernel of one method and layer (0: all), gathered. */
static double *assemble(ntk_job *job, ntk_kernel_kind kind, ntk_kernel_method method, int layer,
                        const ntk_model *model, const ntk_grid *grid, const ntk_input_block *inputs)
{
    job->kernel.kind = kind;
    job->kernel.method = method;
    const ntk_kernel_config config = {&job->kernel, &job->model, 0, layer};
    const int64_t m = kernel_rows(&config, inputs->n, model_outputs(model));
    ntk_dmatrix theta;
    MUST(dmatrix_create(grid, m, m, &theta));
    ntk_kernel_stats stats;
    MUST(kernel_assemble(&config, model, grid, inputs, 1, NULL, &theta, &stats));
    double *global = gather(grid, &theta);
    dmatrix_destroy(&theta);
    return global;
}

/* J_l J_l^T over layer l's parameter columns, serially (trace: mean over logits). */
static double *brute_force_layer(const ntk_model *model, const double *x, int64_t n, int full,
                                 int layer)
{
    const int k = model_outputs(model);
    const int64_t first = model_param_offset(model, layer);
    const int64_t p = model_param_offset(model, layer + 1) - first, m = full ? n * k : n;
    double *jac = calloc((size_t)(n * k * p), sizeof *jac);
    MUST(model_jacobian_rows(model, x, n, first, p, jac));
    double *theta = calloc((size_t)(m * m), sizeof *theta);
    for (int64_t a = 0; a < n * k; ++a)
        for (int64_t b = 0; b < n * k; ++b) {
            if (!full && a % k != b % k)
                continue;
            double sum = 0.0;
            for (int64_t q = 0; q < p; ++q)
                sum += jac[a * p + q] * jac[b * p + q];
            if (full)
                theta[a * m + b] = sum;
            else
                theta[(a / k) * m + b / k] += sum / k;
        }
    free(jac);
    return theta;
}

/* The infinite-width ReLU NTK of one pair with only layer `layer`'s Sigma
 * term kept, written out independently of kernel/analytic_pair.c:
 * Sigma_1 = w^2 <x,x'>/d + b^2; per hidden layer the arc-cosine maps. */
static double relu_layer_pair(const layer_case *c, const double *x, const double *y, int layer)
{
    const double w2 = 1.3 * 1.3, b2 = c->b_std * c->b_std;
    double s11 = 0.0, s22 = 0.0, s12 = 0.0;
    for (int64_t j = 0; j < c->dim; ++j) {
        s11 += x[j] * x[j];
        s22 += y[j] * y[j];
        s12 += x[j] * y[j];
    }
    s11 = w2 * s11 / (double)c->dim + b2;
    s22 = w2 * s22 / (double)c->dim + b2;
    s12 = w2 * s12 / (double)c->dim + b2;
    double theta = layer == 1 ? s12 : 0.0;
    for (int l = 2; l <= c->n_dense; ++l) {
        const double norm = sqrt(s11 * s22);
        double cosine = x == y ? 1.0 : s12 / norm; /* the diagonal exactly */
        cosine = cosine > 1.0 ? 1.0 : cosine < -1.0 ? -1.0 : cosine;
        const double angle = acos(cosine);
        const double e_phi = norm * (sin(angle) + (M_PI - angle) * cosine) / (2.0 * M_PI);
        const double e_dphi = (M_PI - angle) / (2.0 * M_PI);
        s11 = w2 * s11 / 2.0 + b2;
        s22 = w2 * s22 / 2.0 + b2;
        s12 = w2 * e_phi + b2;
        theta = (layer == l ? s12 : 0.0) + w2 * e_dphi * theta;
    }
    return theta;
}

static void run_case(const layer_case *c, const ntk_grid *grid)
{
    ntk_job job;
    memset(&job, 0, sizeof job);
    make_spec(c, &job.model);
    job.kernel.outputs = c->outputs;
    job.kernel.jacobian_chunk = 7; /* several chunks per layer, one across a layer boundary */
    job.kernel.quadrature_order = 32;
    ntk_model model;
    MUST(model_create(&job.model, c->dim, &model));
    double *x_all = calloc((size_t)(c->n * c->dim), sizeof *x_all);
    for (int64_t e = 0; e < c->n * c->dim; ++e)
        x_all[e] = ntk_random_normal(11, 2, (uint64_t)e);
    ntk_input_block inputs = {c->n, c->dim, 0, 0, NULL};
    grid_own_block(c->n, grid->size, grid->rank, &inputs.first, &inputs.count);
    inputs.x = x_all + inputs.first * c->dim;
    const int full = c->outputs == NTK_OUTPUTS_FULL;
    const int64_t m = full ? c->n * model_outputs(&model) : c->n;

    const ntk_kernel_method methods[2] = {NTK_METHOD_STRUCTURED, NTK_METHOD_JACOBIAN};
    for (int method = 0; method < 2; ++method) {
        double *whole = assemble(&job, NTK_KIND_EMPIRICAL, methods[method], 0, &model, grid, &inputs);
        double *sum = calloc((size_t)(m * m), sizeof *sum);
        for (int l = 1; l <= model.n_layers; ++l) {
            double *part = assemble(&job, NTK_KIND_EMPIRICAL, methods[method], l, &model, grid, &inputs);
            double *reference = brute_force_layer(&model, x_all, c->n, full, l);
            double error = relative_difference(part, reference, m);
            CHECK(error < 1e-12, "%s, %s, layer %d: Theta_l vs J_l J_l^T: %.3g", c->label,
                  method ? "jacobian" : "structured", l, error);
            for (int64_t e = 0; e < m * m; ++e)
                sum[e] += part[e];
            free(reference);
            free(part);
        }
        double error = relative_difference(sum, whole, m);
        CHECK(error < 1e-12, "%s, %s: sum_l Theta_l vs Theta: %.3g", c->label,
              method ? "jacobian" : "structured", error);
        free(sum);
        free(whole);
    }

    if (c->param == NTK_PARAM_NTK) {
        double *whole = assemble(&job, NTK_KIND_ANALYTIC, NTK_METHOD_AUTO, 0, &model, grid, &inputs);
        double *sum = calloc((size_t)(m * m), sizeof *sum);
        const int k = model_outputs(&model);
        for (int l = 1; l <= model.n_layers; ++l) {
            double *part = assemble(&job, NTK_KIND_ANALYTIC, NTK_METHOD_AUTO, l, &model, grid, &inputs);
            double *reference = calloc((size_t)(m * m), sizeof *reference);
            const int per = full ? k : 1;
            for (int64_t a = 0; a < m; ++a)
                for (int64_t b = 0; b < m; ++b)
                    if (a % per == b % per)
                        reference[a * m + b] = relu_layer_pair(c, x_all + (a / per) * c->dim,
                                                               x_all + (b / per) * c->dim, l);
            double error = relative_difference(part, reference, m);
            CHECK(error < 1e-12, "%s, analytic layer %d vs the serial recursion: %.3g", c->label,
                  l, error);
            for (int64_t e = 0; e < m * m; ++e)
                sum[e] += part[e];
            free(reference);
            free(part);
        }
        double error = relative_difference(sum, whole, m);
        CHECK(error < 1e-12, "%s, analytic: sum_l Theta_l vs Theta: %.3g", c->label, error);
        free(sum);
        free(whole);
    }
    free(x_all);
    model_destroy(&model);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    check_rank = world_rank;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const layer_case cases[] = {
        {"relu trace 3 layers", 23, 3, 3, {6, 5, 1}, {NTK_ACT_RELU, NTK_ACT_RELU}, NTK_PARAM_NTK, 0.4, NTK_OUTPUTS_TRACE},
        {"relu full k=2 4 layers", 11, 4, 4, {5, 4, 3, 2}, {NTK_ACT_RELU, NTK_ACT_RELU, NTK_ACT_RELU}, NTK_PARAM_NTK, 0.3, NTK_OUTPUTS_FULL},
        {"tanh trace k=3 standard", 17, 2, 3, {4, 3, 3}, {NTK_ACT_TANH, NTK_ACT_TANH}, NTK_PARAM_STANDARD, 0.2, NTK_OUTPUTS_TRACE},
        {"relu trace no bias, wide", 19, 33, 3, {34, 33, 3}, {NTK_ACT_RELU, NTK_ACT_RELU}, NTK_PARAM_NTK, 0.0, NTK_OUTPUTS_TRACE},
    };
    const int blocks[] = {4, 64};
    int grids = 0;
    for (int rows = 1; rows <= size; ++rows) {
        if (size % rows)
            continue;
        for (int b = 0; b < 2; ++b) {
            ntk_grid grid;
            MUST(grid_create(MPI_COMM_WORLD, blocks[b], rows, size / rows, &grid));
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
                run_case(&cases[i], &grid);
            grid_destroy(&grid);
            ++grids;
        }
    }
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (world_rank == 0) {
        if (total)
            fprintf(stderr, "%d failure(s)\n", total);
        else
            printf("ok: %d ranks, %d grid/block combinations, %d checks\n", size, grids, checks);
    }
    MPI_Finalize();
    return total ? 1 : 0;
}
