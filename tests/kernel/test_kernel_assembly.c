/* The empirical kernels on the real grid, run on 1..4 ranks with every grid
 * shape of that rank count and several block sizes, including sizes that
 * blocks do not divide (N = 37, nb = 4 or 5):
 *   - kernel_exchange delivers exactly the items behind local rows/columns,
 *     and kernel_item_union_* exactly those plus the own items, in one set;
 *   - structured == jacobian (1e-12 relative), trace and full;
 *   - both == a serial brute-force sum_p J J^T from model_jacobian_rows;
 *   - lower_only reproduces the lower triangle;
 *   - a run stopped after some steps and resumed (first_step > 0) on a copy of
 *     its Theta is bit-for-bit the uninterrupted result;
 *   - an identity network with one hidden layer matches its closed form.
 * Local elements are gathered with an MPI_Allreduce into a global M x M
 * buffer (the matrices here are small). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "kernel/kernel_local.h"
#include "check.h"

/* The kernel's view of a job built here (job_kernel_config, as an lvalue). */
#define KERNEL_CONFIG(job) \
    (&(const ntk_kernel_config){&(job)->kernel, &(job)->model, (job)->output.theta, 0})

static int world_rank = 0;

#define MUST(call)                                                             \
    do {                                                                       \
        if ((call) != NTK_OK) {                                                \
            fprintf(stderr, "FAIL [rank %d] %s:%d: %s: %s\n", world_rank, __FILE__, __LINE__, \
                    #call, ntk_error_message());                               \
            MPI_Abort(MPI_COMM_WORLD, 1);                                      \
        }                                                                      \
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
} kernel_case;

static void make_model(const kernel_case *c, ntk_model *model)
{
    ntk_model_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.n_dense = c->n_dense;
    for (int i = 0; i < c->n_dense; ++i) {
        spec.width[i] = c->widths[i];
        spec.act[i] = i + 1 < c->n_dense ? c->acts[i] : NTK_ACT_IDENTITY;
    }
    spec.parameterization = c->param;
    spec.w_std = 1.2;
    spec.b_std = c->b_std;
    spec.seed = 42;
    MUST(model_create(&spec, c->dim, model));
}

static void make_job(const kernel_case *c, ntk_kernel_method method, int64_t chunk, ntk_job *job)
{
    memset(job, 0, sizeof *job);
    job->kernel.kind = NTK_KIND_EMPIRICAL;
    job->kernel.method = method;
    job->kernel.outputs = c->outputs;
    job->kernel.jacobian_chunk = chunk;
}

/* Every element of a distributed matrix, on every rank. */
static double *gather(const ntk_grid *grid, const ntk_dmatrix *a)
{
    int64_t m = a->rows;
    double *global = calloc((size_t)(m * m), sizeof *global);
    int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    for (int64_t j = 0; j < a->local_cols; ++j) {
        int64_t gj = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t i = 0; i < a->local_rows; ++i) {
            int64_t gi = grid_global_index(i, grid->block, grid->myrow, grid->rows);
            global[gi * m + gj] = a->data[j * lld + i];
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, global, (int)(m * m), MPI_DOUBLE, MPI_SUM, grid->comm);
    return global;
}

/* max |a - b| / max |b| over the lower triangle (or all elements). */
static double relative_difference(const double *a, const double *b, int64_t m, int lower)
{
    double diff = 0.0, scale = 0.0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < (lower ? i + 1 : m); ++j) {
            diff = fmax(diff, fabs(a[i * m + j] - b[i * m + j]));
            scale = fmax(scale, fabs(b[i * m + j]));
        }
    return diff / (scale > 0.0 ? scale : 1.0);
}

/* sum_p J J^T by brute force, serially, from the explicit Jacobian. */
static double *reference_theta(const ntk_model *model, const double *x, int64_t n, int full)
{
    int k = model_outputs(model);
    int64_t p = model->n_params, m = full ? n * k : n;
    double *jac = calloc((size_t)(n * k * p), sizeof *jac);
    MUST(model_jacobian_rows(model, x, n, 0, p, jac));
    double *theta = calloc((size_t)(m * m), sizeof *theta);
    for (int64_t a = 0; a < n * k; ++a)
        for (int64_t b = 0; b < n * k; ++b) {
            int oa = (int)(a % k), ob = (int)(b % k);
            if (!full && oa != ob)
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

/* A hook that stops the run (like a signal) once `stop_after` steps are done. */
typedef struct {
    int64_t stop_after;
    int64_t calls;
} stop_hook;

static ntk_status stop_after_step(void *context, ntk_dmatrix *theta, int64_t done, int64_t total)
{
    (void)theta;
    (void)total;
    stop_hook *hook = context;
    hook->calls++;
    if (done == hook->stop_after)
        return NTK_RAISE(NTK_ERR_INTERRUPTED, "test: stopped after step %lld", (long long)done);
    return NTK_OK;
}

static void assemble(const ntk_job *job, const ntk_model *model, const ntk_grid *grid,
                     const ntk_input_block *inputs, int lower_only, ntk_dmatrix *theta,
                     ntk_kernel_stats *stats)
{
    int64_t m = kernel_rows(KERNEL_CONFIG(job), inputs->n, model_outputs(model));
    MUST(dmatrix_create(grid, m, m, theta));
    ntk_assembly_hooks hooks = {0, NULL, NULL, NULL, NULL};
    MUST(
        kernel_assemble(KERNEL_CONFIG(job), model, grid, inputs, lower_only, &hooks, theta, stats));
}

/* Stop after `stop` steps, then resume on a copy: must equal `whole` bit for bit. */
static void check_resume(const char *what, const ntk_job *job, const ntk_model *model,
                         const ntk_grid *grid, const ntk_input_block *inputs,
                         const ntk_dmatrix *whole, int64_t steps_total)
{
    if (steps_total < 2)
        return;
    int64_t stop = steps_total / 2;
    ntk_dmatrix partial, resumed;
    MUST(dmatrix_create(grid, whole->rows, whole->cols, &partial));
    stop_hook hook = {stop, 0};
    ntk_assembly_hooks hooks = {0, stop_after_step, &hook, NULL, NULL};
    ntk_kernel_stats stats;
    ntk_status status =
        kernel_assemble(KERNEL_CONFIG(job), model, grid, inputs, 0, &hooks, &partial, &stats);
    ntk_error_clear();
    CHECK(status == NTK_ERR_INTERRUPTED && hook.calls == stop, "%s: stop hook: status %d calls %lld",
          what, (int)status, (long long)hook.calls);
    MUST(dmatrix_create(grid, whole->rows, whole->cols, &resumed));
    size_t bytes = sizeof(double) * (size_t)(partial.local_rows * partial.local_cols);
    memcpy(resumed.data, partial.data, bytes);
    stop_hook never = {-1, 0};
    ntk_assembly_hooks resume_hooks = {stop, stop_after_step, &never, NULL, NULL};
    MUST(kernel_assemble(KERNEL_CONFIG(job), model, grid, inputs, 0, &resume_hooks, &resumed,
                         &stats));
    CHECK(never.calls == steps_total - stop, "%s: resumed run called the hook %lld times, expected %lld",
          what, (long long)never.calls, (long long)(steps_total - stop));
    CHECK(memcmp(resumed.data, whole->data, bytes) == 0, "%s: resumed Theta is not bit-identical", what);
    dmatrix_destroy(&partial);
    dmatrix_destroy(&resumed);
}

/* kernel_exchange on its own: vector of item i is (i, -i). */
static void check_exchange(const ntk_grid *grid, int64_t n, int64_t per_item)
{
    int64_t first, count;
    grid_own_block(n, grid->size, grid->rank, &first, &count);
    double *own = calloc((size_t)(2 * count + 1), sizeof *own);
    for (int64_t i = 0; i < count; ++i) {
        own[2 * i] = (double)(first + i);
        own[2 * i + 1] = -(double)(first + i);
    }
    ntk_item_set rows, cols;
    MUST(kernel_exchange(grid, n, per_item, n * per_item, 2, own, &rows, &cols));
    for (int by_rows = 0; by_rows < 2; ++by_rows) {
        const ntk_item_set *set = by_rows ? &rows : &cols;
        int proc = by_rows ? grid->myrow : grid->mycol, nprocs = by_rows ? grid->rows : grid->cols;
        /* Expected: items with at least one matrix index owned by this process coordinate. */
        int64_t expected = 0, bad = 0;
        for (int64_t item = 0; item < n; ++item) {
            int needed = 0;
            for (int64_t g = item * per_item; g < (item + 1) * per_item; ++g)
                needed |= grid_owner(g, grid->block, nprocs) == proc;
            if (!needed)
                continue;
            if (expected >= set->count || set->item[expected] != item ||
                set->vectors[2 * expected] != (double)item || set->vectors[2 * expected + 1] != -(double)item)
                ++bad;
            ++expected;
        }
        CHECK(bad == 0 && expected == set->count, "exchange n=%lld per_item=%lld nb=%d: %lld wrong, %lld vs %lld items",
              (long long)n, (long long)per_item, grid->block, (long long)bad, (long long)expected,
              (long long)set->count);
    }
    kernel_item_set_free(&rows);
    kernel_item_set_free(&cols);
    free(own);
}

/* kernel_item_union_*: one ascending set of the items behind local rows or
 * columns, or owned; own vectors written in place, the rest delivered. */
static void check_union_exchange(const ntk_grid *grid, int64_t n, int64_t per_item)
{
    int64_t first, count, own_position;
    grid_own_block(n, grid->size, grid->rank, &first, &count);
    ntk_item_set set;
    MUST(kernel_item_union_create(grid, n, per_item, n * per_item, 2, &set, &own_position));
    for (int64_t i = 0; i < count; ++i) {
        CHECK(set.item[own_position + i] == first + i, "union: own item %lld not at %lld",
              (long long)(first + i), (long long)(own_position + i));
        set.vectors[2 * (own_position + i)] = (double)(first + i);
        set.vectors[2 * (own_position + i) + 1] = -(double)(first + i);
    }
    MUST(kernel_item_union_share(grid, n, per_item, n * per_item, 2, &set));
    int64_t expected = 0, bad = 0;
    for (int64_t item = 0; item < n; ++item) {
        int needed = item >= first && item < first + count;
        for (int64_t g = item * per_item; g < (item + 1) * per_item; ++g)
            needed |= grid_owner(g, grid->block, grid->rows) == grid->myrow ||
                      grid_owner(g, grid->block, grid->cols) == grid->mycol;
        if (!needed)
            continue;
        if (expected >= set.count || set.item[expected] != item ||
            set.vectors[2 * expected] != (double)item || set.vectors[2 * expected + 1] != -(double)item)
            ++bad;
        ++expected;
    }
    CHECK(bad == 0 && expected == set.count, "union exchange n=%lld per_item=%lld nb=%d: %lld wrong, %lld vs %lld items",
          (long long)n, (long long)per_item, grid->block, (long long)bad, (long long)expected,
          (long long)set.count);
    kernel_item_set_free(&set);
}

static void run_case(const kernel_case *c, const ntk_grid *grid, int check_steps)
{
    ntk_model model;
    make_model(c, &model);
    int k = model_outputs(&model);
    int full = c->outputs == NTK_OUTPUTS_FULL;
    double *x_all = calloc((size_t)(c->n * c->dim), sizeof *x_all);
    for (int64_t e = 0; e < c->n * c->dim; ++e)
        x_all[e] = ntk_random_normal(7, 3, (uint64_t)e);
    ntk_input_block inputs = {c->n, c->dim, 0, 0, NULL};
    grid_own_block(c->n, grid->size, grid->rank, &inputs.first, &inputs.count);
    inputs.x = x_all + inputs.first * c->dim;
    int64_t m = full ? c->n * k : c->n;
    char what[160];
    snprintf(what, sizeof what, "%s grid %dx%d nb %d", c->label, grid->rows, grid->cols, grid->block);

    ntk_job structured_job, jacobian_job;
    make_job(c, NTK_METHOD_STRUCTURED, 0, &structured_job);
    make_job(c, NTK_METHOD_JACOBIAN, 7, &jacobian_job); /* 7 parameters a step: many steps */
    ntk_dmatrix s_theta, j_theta, s_lower, j_lower;
    ntk_kernel_stats s_stats, j_stats, stats;
    assemble(&structured_job, &model, grid, &inputs, 0, &s_theta, &s_stats);
    assemble(&jacobian_job, &model, grid, &inputs, 0, &j_theta, &j_stats);
    assemble(&structured_job, &model, grid, &inputs, 1, &s_lower, &stats);
    assemble(&jacobian_job, &model, grid, &inputs, 1, &j_lower, &stats);
    double *s = gather(grid, &s_theta), *j = gather(grid, &j_theta);
    double *sl = gather(grid, &s_lower), *jl = gather(grid, &j_lower);
    double *ref = reference_theta(&model, x_all, c->n, full);

    double d_sj = relative_difference(s, j, m, 0), d_sr = relative_difference(s, ref, m, 0);
    double d_jr = relative_difference(j, ref, m, 0);
    CHECK(d_sj < 1e-12, "%s: structured vs jacobian %.3g", what, d_sj);
    CHECK(d_sr < 1e-12, "%s: structured vs reference %.3g", what, d_sr);
    CHECK(d_jr < 1e-12, "%s: jacobian vs reference %.3g", what, d_jr);
    double d_lower = relative_difference(sl, s, m, 1);
    CHECK(d_lower < 1e-14, "%s: structured lower_only differs by %.3g", what, d_lower);
    CHECK(relative_difference(jl, j, m, 1) < 1e-14, "%s: jacobian lower_only differs", what);
    CHECK(strcmp(s_stats.method, "structured") == 0 && strcmp(j_stats.method, "jacobian") == 0,
          "%s: method names", what);
    CHECK(s_stats.flops_total > 0.0 && j_stats.flops_total > s_stats.flops_total * 0.0 &&
              j_stats.steps_total == (model.n_params + 6) / 7,
          "%s: stats (flops %g/%g, steps %lld)", what, s_stats.flops_total, j_stats.flops_total,
          (long long)j_stats.steps_total);
    if (check_steps) {
        check_resume(what, &structured_job, &model, grid, &inputs, &s_theta, s_stats.steps_total);
        check_resume(what, &jacobian_job, &model, grid, &inputs, &j_theta, j_stats.steps_total);
    }
    if (world_rank == 0 && getenv("NTK_TEST_VERBOSE"))
        printf("%s: M=%lld structured-jacobian %.2e structured-ref %.2e steps %lld/%lld\n", what,
               (long long)m, d_sj, d_sr, (long long)s_stats.steps_total, (long long)j_stats.steps_total);

    free(s);
    free(j);
    free(sl);
    free(jl);
    free(ref);
    dmatrix_destroy(&s_theta);
    dmatrix_destroy(&j_theta);
    dmatrix_destroy(&s_lower);
    dmatrix_destroy(&j_lower);
    free(x_all);
    model_destroy(&model);
}

/* f = c2 W2 (c1 W1 x + s1 b1) + s2 b2 with identity activation:
 *   df_o/dW2[o',i] = [o=o'] c2 h_i        (h = c1 W1 x + s1 b1)
 *   df_o/db2[o']   = [o=o'] s2
 *   df_o/dW1[i,j]  = c2 W2[o,i] c1 x_j
 *   df_o/db1[i]    = c2 W2[o,i] s1
 * so Theta[(x,o),(x',o')] = [o=o'] (c2^2 <h,h'> + s2^2) + c2^2 (W2 W2^T)[o,o'] (c1^2 <x,x'> + s1^2),
 * and the trace kernel (mean over o) is c2^2 <h,h'> + s2^2 + c2^2 ||W2||_F^2 / k (c1^2 <x,x'> + s1^2). */
static void check_closed_form(const ntk_grid *grid, ntk_kernel_outputs outputs)
{
    kernel_case c = {"identity closed form", 23, 4, 2, {9, 3}, {NTK_ACT_IDENTITY}, NTK_PARAM_NTK, 0.7, outputs};
    ntk_model model;
    make_model(&c, &model);
    int k = 3, full = outputs == NTK_OUTPUTS_FULL;
    int64_t n = c.n, d = c.dim, n1 = 9, m = full ? n * k : n;
    double *x = calloc((size_t)(n * d), sizeof *x);
    for (int64_t e = 0; e < n * d; ++e)
        x[e] = ntk_random_normal(8, 1, (uint64_t)e);
    double c1 = model.weight_scale[1], s1 = model.bias_scale[1];
    double c2 = model.weight_scale[2], s2 = model.bias_scale[2];
    const double *w1 = model.weight[1], *b1 = model.bias[1], *w2 = model.weight[2];
    double *h = calloc((size_t)(n * n1), sizeof *h);
    for (int64_t xi = 0; xi < n; ++xi)
        for (int64_t i = 0; i < n1; ++i) {
            double sum = 0.0;
            for (int64_t j = 0; j < d; ++j)
                sum += w1[i * d + j] * x[xi * d + j];
            h[xi * n1 + i] = c1 * sum + s1 * b1[i];
        }
    double ww[3][3], frobenius = 0.0;
    for (int o = 0; o < k; ++o)
        for (int p = 0; p < k; ++p) {
            ww[o][p] = 0.0;
            for (int64_t i = 0; i < n1; ++i)
                ww[o][p] += w2[o * n1 + i] * w2[p * n1 + i];
        }
    for (int o = 0; o < k; ++o)
        frobenius += ww[o][o];
    double *expected = calloc((size_t)(m * m), sizeof *expected);
    for (int64_t a = 0; a < n; ++a)
        for (int64_t b = 0; b < n; ++b) {
            double hh = 0.0, xx = 0.0;
            for (int64_t i = 0; i < n1; ++i)
                hh += h[a * n1 + i] * h[b * n1 + i];
            for (int64_t j = 0; j < d; ++j)
                xx += x[a * d + j] * x[b * d + j];
            double top = c2 * c2 * hh + s2 * s2, bottom = c1 * c1 * xx + s1 * s1;
            if (!full)
                expected[a * m + b] = top + c2 * c2 * frobenius / k * bottom;
            else
                for (int o = 0; o < k; ++o)
                    for (int p = 0; p < k; ++p)
                        expected[(a * k + o) * m + b * k + p] = (o == p ? top : 0.0) + c2 * c2 * ww[o][p] * bottom;
        }
    ntk_input_block inputs = {n, d, 0, 0, NULL};
    grid_own_block(n, grid->size, grid->rank, &inputs.first, &inputs.count);
    inputs.x = x + inputs.first * d;
    for (int method = 0; method < 2; ++method) {
        ntk_job job;
        make_job(&c, method ? NTK_METHOD_JACOBIAN : NTK_METHOD_STRUCTURED, 5, &job);
        ntk_dmatrix theta;
        ntk_kernel_stats stats;
        assemble(&job, &model, grid, &inputs, 0, &theta, &stats);
        double *got = gather(grid, &theta);
        double diff = relative_difference(got, expected, m, 0);
        CHECK(diff < 1e-12, "closed form (%s, %s, grid %dx%d nb %d): relative difference %.3g",
              method ? "jacobian" : "structured", full ? "full" : "trace", grid->rows, grid->cols,
              grid->block, diff);
        free(got);
        dmatrix_destroy(&theta);
    }
    free(expected);
    free(h);
    free(x);
    model_destroy(&model);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    check_rank = world_rank;
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    const kernel_case cases[] = {
        {"relu trace N=37", 37, 3, 3, {5, 4, 1}, {NTK_ACT_RELU, NTK_ACT_RELU}, NTK_PARAM_NTK, 0.5, NTK_OUTPUTS_TRACE},
        {"tanh trace k=3", 37, 3, 2, {6, 3}, {NTK_ACT_TANH}, NTK_PARAM_STANDARD, 0.3, NTK_OUTPUTS_TRACE},
        {"erf full k=3", 37, 2, 3, {4, 5, 3}, {NTK_ACT_ERF, NTK_ACT_GELU}, NTK_PARAM_NTK, 0.2, NTK_OUTPUTS_FULL},
        {"gelu full k=2 nobias", 13, 4, 2, {5, 2}, {NTK_ACT_GELU}, NTK_PARAM_STANDARD, 0.0, NTK_OUTPUTS_FULL},
        /* Widths above the structured method's shallow-Gram depth (32): both
         * Grams as DGEMMs, and (k=3 last layer) a shallow cotangent Gram. */
        {"relu trace wide", 19, 33, 3, {34, 33, 1}, {NTK_ACT_RELU, NTK_ACT_RELU}, NTK_PARAM_NTK, 0.5, NTK_OUTPUTS_TRACE},
        {"tanh trace wide k=3", 19, 33, 2, {34, 3}, {NTK_ACT_TANH}, NTK_PARAM_NTK, 0.3, NTK_OUTPUTS_TRACE},
    };
    /* Enough columns for several structured steps (panels of 256 columns), for resume. */
    const kernel_case resume_cases[] = {
        {"relu trace N=600", 600, 3, 2, {4, 1}, {NTK_ACT_RELU}, NTK_PARAM_NTK, 0.1, NTK_OUTPUTS_TRACE},
        {"tanh full N=190 k=3", 190, 2, 2, {3, 3}, {NTK_ACT_TANH}, NTK_PARAM_NTK, 0.0, NTK_OUTPUTS_FULL},
    };
    const int blocks[] = {4, 5, 64};
    /* The sanitizer lane (NTK_SANITIZE=1, instrumented and on the reference
     * BLAS) looks for memory and undefined-behaviour errors, not for another
     * grid's numbers: there the block of 5 (between 4 and 64 in what it
     * reaches) and the resumed assemblies on grids after the first are left
     * to the normal build, which runs them all on 1-4 ranks. */
    const char *sanitize = getenv("NTK_SANITIZE");
    const int lane = sanitize != NULL && strcmp(sanitize, "1") == 0;
    int grids = 0;
    for (int rows = 1; rows <= size; ++rows) {
        if (size % rows)
            continue;
        for (int b = 0; b < 3; ++b) {
            if (lane && blocks[b] == 5)
                continue;
            ntk_grid grid;
            MUST(grid_create(MPI_COMM_WORLD, blocks[b], rows, size / rows, &grid));
            for (int per_item = 1; per_item <= 3; per_item += 2)
            {
                check_exchange(&grid, 37, per_item);
                check_union_exchange(&grid, 37, per_item);
            }
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
                run_case(&cases[i], &grid, 1);
            if (blocks[b] == 64 && !(lane && rows > 1))
                for (size_t i = 0; i < sizeof resume_cases / sizeof resume_cases[0]; ++i)
                    run_case(&resume_cases[i], &grid, 1);
            check_closed_form(&grid, NTK_OUTPUTS_TRACE);
            check_closed_form(&grid, NTK_OUTPUTS_FULL);
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
            printf("ok: %d ranks, %d grid/block combinations\n", size, grids);
    }
    MPI_Finalize();
    return total ? 1 : 0;
}
