/* The matrix-free product against the assembled Theta: Theta = J J^T (full)
 * or (1/k) sum_o J_o J_o^T (trace) from explicit Jacobian rows
 * (model_jacobian_rows, kernel.method jacobian's independent one-input
 * forward/backward), times a random block of vectors, to 1e-12 relative;
 * stored features (in one pass or in passes of 3) and recomputed ones (in
 * batches of 2), batches that do not divide the own block; trace(Theta)
 * from the features; and a layer without the matrix-free ops found by
 * name. Dense MLPs, and conv networks (conv_products.c):
 * 2-D and 1-D, same, valid and circular padding, strides 1 and 2, avg_pool,
 * global_avg_pool and flatten, both parameterisations, with and without
 * bias, and one whose patch matrices take several chunks. Each rank owns a
 * block of inputs as in a run. */
#include <math.h>
#include <mpi.h>
#include <stdlib.h>

#include "check.h"
#include "grid/grid.h"
#include "model/model_test_util.h"
#include "spectrum/parpack/matrix_free.h"

/* CHECK with the condition itself as the message. */
#define REQUIRE(condition) CHECK(condition, "%s", #condition)

enum { N = 23, DIM = 4, COLUMNS = 5 };

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_avg_pool, ntk_layer_global_avg_pool,
    ntk_layer_flatten;

static double check_case(const ntk_model *model, const double *x, int full, int stored,
                         int64_t batch, int rank, int ranks)
{
    const int64_t dim = model->stack[0].in.size;
    const int k = model_outputs(model);
    const int64_t p = model->n_params, rows_all = (int64_t)N * k;
    const int64_t m = full ? rows_all : N;
    double *jac = calloc((size_t)(rows_all * p), sizeof(double));
    double *theta = calloc((size_t)(m * m), sizeof(double));
    if (jac == NULL || theta == NULL) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    REQUIRE(model_jacobian_rows(model, x, N, 0, p, jac) == NTK_OK);
    for (int64_t a = 0; a < m; ++a)
        for (int64_t b = 0; b < m; ++b) {
            double sum = 0.0;
            if (full) {
                for (int64_t q = 0; q < p; ++q)
                    sum += jac[a * p + q] * jac[b * p + q];
            } else {
                for (int o = 0; o < k; ++o)
                    for (int64_t q = 0; q < p; ++q)
                        sum += jac[(a * k + o) * p + q] * jac[(b * k + o) * p + q];
                sum /= k;
            }
            theta[a * m + b] = sum;
        }

    ntk_input_block block = {N, dim, 0, 0, NULL};
    grid_own_block(N, ranks, rank, &block.first, &block.count);
    block.x = (double *)x + block.first * dim;
    mf_operator op;
    REQUIRE(mf_operator_create(model, &block, MPI_COMM_WORLD, full, stored, batch, COLUMNS, &op) ==
          NTK_OK);
    const int64_t ld = op.rows + 3; /* a leading dimension larger than the rows */
    double *v = calloc((size_t)(ld * COLUMNS), sizeof(double));
    double *y = calloc((size_t)(ld * COLUMNS), sizeof(double));
    if (v == NULL || y == NULL) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int j = 0; j < COLUMNS; ++j)
        for (int64_t r = 0; r < op.rows; ++r)
            v[j * ld + r] = ntk_random_normal(5, (uint64_t)j, (uint64_t)(op.first_row + r));
    REQUIRE(mf_operator_apply(&op, v, COLUMNS, ld, y) == NTK_OK);
    REQUIRE(op.products == COLUMNS);

    double worst = 0.0, scale = 0.0;
    for (int j = 0; j < COLUMNS; ++j)
        for (int64_t r = 0; r < op.rows; ++r) {
            const int64_t a = op.first_row + r;
            double ref = 0.0;
            for (int64_t b = 0; b < m; ++b)
                ref += theta[a * m + b] * ntk_random_normal(5, (uint64_t)j, (uint64_t)b);
            worst = fmax(worst, fabs(y[j * ld + r] - ref));
            scale = fmax(scale, fabs(ref));
        }
    double all_worst = 0.0, all_scale = 0.0;
    REQUIRE(MPI_Allreduce(&worst, &all_worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) ==
          MPI_SUCCESS);
    REQUIRE(MPI_Allreduce(&scale, &all_scale, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) ==
          MPI_SUCCESS);
    REQUIRE(all_scale > 0.0);
    CHECK(all_worst / all_scale <= 1e-12, "%s %s: product error %.3g", full ? "full" : "trace",
          stored ? "stored" : "recomputed", all_worst / all_scale);

    double trace = 0.0, reference = 0.0;
    REQUIRE(mf_operator_trace(&op, &trace) == NTK_OK);
    for (int64_t a = 0; a < m; ++a)
        reference += theta[a * m + a];
    CHECK(fabs(trace - reference) <= 1e-12 * reference, "trace %.17g, assembled %.17g", trace,
          reference);

    mf_operator_destroy(&op);
    free(v);
    free(y);
    free(jac);
    free(theta);
    return all_worst / all_scale;
}

static ntk_layer_spec conv(int64_t channels, int64_t kh, int64_t kw, int64_t stride,
                           int64_t padding)
{
    ntk_layer_spec layer = {&ntk_layer_conv, {channels, kh, kw, stride, stride, padding, 0, 0},
                            0, 0, ""};
    return layer;
}

static ntk_layer_spec plain(const ntk_layer_ops *ops, int64_t a)
{
    ntk_layer_spec layer = {ops, {a, a, 0, 0, 0, 0, 0, 0}, 0, 0, ""};
    return layer;
}

/* Conv networks (padding 0 same, 1 valid, 2 circular): the product and the
 * trace against the assembled Theta, every parameterisation and bias. */
static void check_conv_networks(int rank, int ranks)
{
    enum { SAME = 0, VALID = 1, CIRCULAR = 2, NETWORKS = 5 };
    static const char *const names[NETWORKS] = {
        "2-D same conv, relu, avg_pool, circular conv, global_avg_pool, dense",
        "2-D valid conv stride 2, tanh, same conv, flatten, dense",
        "1-D circular conv, relu, valid conv stride 2, flatten, dense",
        "1-D same conv (even kernel), erf, global_avg_pool, dense",
        "2-D 64 x 64 x 16 same conv (patch matrices in chunks), global_avg_pool, dense"};
    for (int net = 0; net < NETWORKS; ++net)
        for (int variant = 0; variant < 4; ++variant) {
            const int standard = variant & 1, bias = variant >> 1;
            if (net == 4 && variant != 2)
                continue; /* the large one once: ntk with bias */
            ntk_model_spec spec;
            memset(&spec, 0, sizeof spec);
            spec.parameterization = standard ? NTK_PARAM_STANDARD : NTK_PARAM_NTK;
            spec.w_std = standard ? 0.5 : 1.3;
            spec.b_std = bias ? 0.3 : 0.0;
            spec.seed = 31 + (uint64_t)(4 * net + variant);
            ntk_shape input;
            int n = 0;
            if (net == 0) {
                input = (ntk_shape){3, {6, 6, 2}, 72};
                spec.layers[n++] = conv(4, 3, 3, 1, SAME);
                spec.layers[n++] = plain(&ntk_layer_relu, 0);
                spec.layers[n++] = plain(&ntk_layer_avg_pool, 2);
                spec.layers[n++] = conv(3, 2, 2, 1, CIRCULAR);
                spec.layers[n++] = plain(&ntk_layer_global_avg_pool, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 3);
            } else if (net == 1) {
                input = (ntk_shape){3, {7, 6, 2}, 84};
                spec.layers[n++] = conv(3, 3, 2, 2, VALID);
                spec.layers[n++] = plain(&ntk_layer_tanh, 0);
                spec.layers[n++] = conv(2, 2, 2, 1, SAME);
                spec.layers[n++] = plain(&ntk_layer_flatten, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 2);
            } else if (net == 2) {
                input = (ntk_shape){2, {9, 3, 0}, 27};
                spec.layers[n++] = conv(4, 3, 3, 1, CIRCULAR);
                spec.layers[n++] = plain(&ntk_layer_relu, 0);
                spec.layers[n++] = conv(3, 2, 2, 2, VALID);
                spec.layers[n++] = plain(&ntk_layer_flatten, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 3);
            } else if (net == 3) {
                input = (ntk_shape){2, {8, 2, 0}, 16};
                spec.layers[n++] = conv(3, 4, 4, 1, SAME);
                spec.layers[n++] = plain(&ntk_layer_erf, 0);
                spec.layers[n++] = plain(&ntk_layer_global_avg_pool, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 2);
            } else {
                /* 4096 positions x 144 values: 7 inputs per 32 MiB chunk. */
                input = (ntk_shape){3, {64, 64, 16}, 65536};
                spec.layers[n++] = conv(2, 3, 3, 1, SAME);
                spec.layers[n++] = plain(&ntk_layer_global_avg_pool, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 2);
            }
            spec.n_layers = n;
            ntk_model model;
            if (model_create_shaped(&spec, &input, &model) != NTK_OK) {
                CHECK(0, "%s: model_create: %s", names[net], ntk_error_message());
                continue;
            }
            REQUIRE(mf_missing_ops_layer(model.stack, model.n_stack) == -1);
            double *x = calloc((size_t)(N * input.size), sizeof *x);
            if (x == NULL) {
                fprintf(stderr, "out of memory\n");
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            test_inputs(x, N, input.size, 19 + (uint64_t)net);
            for (int full = net == 4; full <= 1; ++full) { /* the large one: full only */
                double a = check_case(&model, x, full, 1, 0, rank, ranks);
                double b = net == 4 ? 0.0 : check_case(&model, x, full, 0, 2, rank, ranks);
                double c = net == 4 ? 0.0 : check_case(&model, x, full, 1, 3, rank, ranks);
                if (rank == 0)
                    printf("%s, %s, %s, %s: product error %.2e (stored), %.2e (recomputed), "
                           "%.2e (stored, passes of 3)\n",
                           names[net], standard ? "standard" : "ntk", bias ? "bias" : "no bias",
                           full ? "full" : "trace", a, b, c);
            }
            free(x);
            model_destroy(&model);
        }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    check_rank = rank;

    const int64_t widths[] = {9, 7, 3};
    const ntk_activation acts[] = {NTK_ACT_TANH, NTK_ACT_RELU};
    double x[N * DIM];
    test_inputs(x, N, DIM, 17);
    for (int bias = 0; bias <= 1; ++bias) {
        ntk_model_spec spec;
        test_spec(&spec, 3, widths, acts, bias ? NTK_PARAM_NTK : NTK_PARAM_STANDARD, 1.4,
                  bias ? 0.3 : 0.0, 11);
        ntk_model model;
        REQUIRE(model_create(&spec, DIM, &model) == NTK_OK);
        REQUIRE(mf_missing_ops_layer(model.stack, model.n_stack) == -1);
        for (int full = 0; full <= 1; ++full) {
            double a = check_case(&model, x, full, 1, 0, rank, ranks);
            double b = check_case(&model, x, full, 0, 2, rank, ranks); /* batches of 2 */
            double c = check_case(&model, x, full, 1, 3, rank, ranks); /* stored, passes of 3 */
            if (rank == 0)
                printf("bias %d %s: product error %.2e (stored), %.2e (recomputed), %.2e "
                       "(stored, passes of 3)\n", bias, full ? "full" : "trace", a, b, c);
        }
        /* A layer type with parameters but no matrix-free ops is found. */
        ntk_layer_ops without = *model.stack[2].ops;
        REQUIRE(ntk_layer_has_parameters(&without));
        without.param_jvp = NULL;
        model.stack[2].ops = &without;
        REQUIRE(mf_missing_ops_layer(model.stack, model.n_stack) == 2);
        model.stack[2].ops = &ntk_layer_dense;
        model_destroy(&model);
    }
    check_conv_networks(rank, ranks);
    if (rank == 0)
        printf("matrix_free_product: %d checks, %d failed\n", checks, failures);
    MPI_Finalize();
    return failures != 0;
}
