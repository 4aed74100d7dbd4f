/* Unit test of the spatial infinite-width recursion's plan and its
 * diagonal shortcut (src/kernel/analytic_spatial.c):
 *  - the form of each layer's input state is derived from the layers after
 *    it: all pairs below a pooling layer, matching positions below flatten;
 *  - the diagonal form gives the same kernels as the full one (the plan
 *    forced to all pairs), to rounding, on a net ending in flatten;
 *  - the layers a pair's run fuses give the bits of each layer on its own;
 *  - a layer type without an infinite-width map (a stand-in max_pool, such
 *    as a type a later version may add) is refused naming the layer and its
 *    type, as is an activation of values that are not Gaussian. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernel/analytic.h"
#include "model/model.h"

static int failures = 0;

#define CHECK(condition, ...)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            failures++;                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static int same_shape(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                      size_t why_size)
{
    (void)option;
    (void)why;
    (void)why_size;
    *out = *in;
    return 0;
}

/* A layer type with no infinite-width map (as max pooling or batch norm would be). */
static const ntk_layer_ops no_map = {.name = "max_pool", .bare = 1, .infer = same_shape};

static ntk_layer_spec conv(int64_t channels, int64_t kh, int64_t kw, int64_t stride, int padding)
{
    ntk_layer_spec layer = {.ops = ntk_layer_find("conv")};
    layer.option[0] = channels;
    layer.option[1] = kh;
    layer.option[2] = kw;
    layer.option[3] = layer.option[4] = stride;
    layer.option[5] = padding; /* 0 same, 1 valid, 2 circular */
    return layer;
}

static ntk_layer_spec named(const char *name, int64_t option)
{
    ntk_layer_spec layer = {.ops = ntk_layer_find(name)};
    layer.option[0] = layer.option[1] = option; /* dense width, avg_pool window */
    return layer;
}

static ntk_model_spec spec_of(const ntk_layer_spec *layers, int count)
{
    ntk_model_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.n_layers = count;
    memcpy(spec.layers, layers, (size_t)count * sizeof *layers);
    spec.parameterization = NTK_PARAM_NTK;
    spec.w_std = 1.3;
    spec.b_std = 0.2;
    spec.where.file = "spatial.yaml";
    return spec;
}

static void test_forms(void)
{
    const ntk_layer_spec layers[] = {conv(3, 3, 3, 1, 0), named("relu", 0),
                                     named("avg_pool", 2),  conv(2, 2, 2, 1, 2),
                                     named("erf", 0),       named("flatten", 0),
                                     named("dense", 2)};
    const ntk_model_spec spec = spec_of(layers, 7);
    const ntk_shape input = {3, {6, 4, 2}, 48};
    analytic_spatial_plan plan;
    CHECK(analytic_spatial_plan_make(&spec, &input, 0, 32, &plan) == NTK_OK, "plan: %s",
          ntk_error_message());
    const ntk_analytic_form want[] = {NTK_ANALYTIC_FULL,     NTK_ANALYTIC_FULL,
                                      NTK_ANALYTIC_FULL,     NTK_ANALYTIC_DIAGONAL,
                                      NTK_ANALYTIC_DIAGONAL, NTK_ANALYTIC_DIAGONAL,
                                      NTK_ANALYTIC_DIAGONAL, NTK_ANALYTIC_DIAGONAL};
    const int64_t positions[] = {24, 24, 24, 6, 6, 6, 6, 1};
    for (int i = 0; i <= 7; ++i) {
        CHECK(plan.input_form[i] == want[i], "layer %d: form %d, want %d", i,
              (int)plan.input_form[i], (int)want[i]);
        CHECK(plan.positions[i] == positions[i], "layer %d: %lld positions, want %lld", i,
              (long long)plan.positions[i], (long long)positions[i]);
    }
    CHECK(plan.stats_size == 24 + 6, "statistics of %lld doubles, want 30",
          (long long)plan.stats_size);
}

/* The same net with every state forced to all pairs. */
static void test_diagonal_shortcut(void)
{
    const ntk_layer_spec layers[] = {conv(3, 3, 2, 1, 0), named("relu", 0),
                                     conv(2, 2, 3, 2, 1), named("erf", 0),
                                     named("flatten", 0), named("dense", 3),
                                     named("relu", 0),    named("dense", 1)};
    const ntk_model_spec spec = spec_of(layers, 8);
    const ntk_shape input = {3, {7, 6, 2}, 84};
    analytic_spatial_plan diagonal, full;
    CHECK(analytic_spatial_plan_make(&spec, &input, 0, 32, &diagonal) == NTK_OK, "plan: %s",
          ntk_error_message());
    full = diagonal;
    for (int i = 0; i <= 4; ++i) {
        CHECK(diagonal.input_form[i] == NTK_ANALYTIC_DIAGONAL, "layer %d should be diagonal", i);
        full.input_form[i] = NTK_ANALYTIC_FULL;
    }
    full.capacity = 42 * 42;
    full.scratch_doubles = 8 * 6 * 6; /* the window maps' blocks of input rows 6 wide */
    /* and the activations' deviations and rows, 8 x 42 for all pairs */
    full.activation_doubles = 8 * 42;
    CHECK(analytic_spatial_work_doubles(&full) == 4 * 42 * 42 + 8 * 6 * 6 + 8 * 42 &&
              analytic_spatial_work_doubles(&diagonal) <= analytic_spatial_work_doubles(&full),
          "work of %lld doubles", (long long)analytic_spatial_work_doubles(&full));
    double x[2][84], work[4 * 42 * 42 + 8 * 6 * 6 + 8 * 42], stats[2][2][64], kernels[2][2];
    for (int e = 0; e < 84; ++e) {
        x[0][e] = sin(0.7 * e + 0.3);
        x[1][e] = cos(1.3 * e - 0.2);
    }
    const ntk_analytic_context context = {spec.w_std, spec.b_std, 32, analytic_expect_with};
    const analytic_spatial_plan *plans[2] = {&diagonal, &full};
    for (int f = 0; f < 2; ++f) {
        CHECK(plans[f]->stats_size <= 64, "statistics fit");
        analytic_spatial_self(plans[f], &context, x[0], stats[f][0], work);
        analytic_spatial_self(plans[f], &context, x[1], stats[f][1], work);
        analytic_spatial_pair(plans[f], &context, x[0], x[1], stats[f][0], stats[f][1], 0, work,
                              &kernels[f][0], &kernels[f][1]);
    }
    for (int k = 0; k < 2; ++k)
        CHECK(fabs(kernels[0][k] - kernels[1][k]) <= 1e-14 * fabs(kernels[1][k]),
              "%s: diagonal form %.17g, all pairs %.17g", k ? "nngp" : "theta", kernels[0][k],
              kernels[1][k]);
}

static void expect_refusal(const ntk_layer_spec *layers, int count, const char *want)
{
    const ntk_model_spec spec = spec_of(layers, count);
    const ntk_shape input = {3, {5, 4, 2}, 40};
    analytic_spatial_plan plan;
    ntk_status status = analytic_spatial_plan_make(&spec, &input, 0, 32, &plan);
    CHECK(status == NTK_ERR_JOB && strstr(ntk_error_message(), want) != NULL,
          "status %d, message '%s', want '%s'", (int)status, ntk_error_message(), want);
    ntk_error_clear();
}

static void test_refusals(void)
{
    const ntk_layer_spec no_limit[] = {conv(2, 3, 3, 1, 0), named("relu", 0),
                                       {.ops = &no_map, .line = 4, .column = 9},
                                       named("flatten", 0), named("dense", 1)};
    expect_refusal(no_limit, 5,
                   "spatial.yaml:4:9: model.layers[2]: the analytic (infinite-width) kernel: "
                   "max_pool layers have no infinite-width kernel");
    const ntk_layer_spec not_gaussian[] = {conv(2, 3, 3, 1, 0), named("relu", 0),
                                           named("avg_pool", 2), named("erf", 0),
                                           named("flatten", 0), named("dense", 1)};
    expect_refusal(not_gaussian, 6,
                   "model.layers[3]: the analytic (infinite-width) kernel: erf of values that "
                   "are not Gaussian");
}

/* The layers a pair's run fuses (a conv applying the relu after it to its
 * output rows, and summing the column groups of the 2 x 2 avg_pool after
 * that) give the same bits as each layer on its own, for two inputs and for
 * an input against itself (where relu's correlation 1 must stay exact: the
 * self recursion, never fused, records the variances it is compared with). */
static void test_fused_layers(void)
{
    const ntk_layer_spec layers[] = {conv(3, 3, 3, 1, 0), named("relu", 0), named("avg_pool", 2),
                                     conv(2, 3, 3, 1, 0), named("relu", 0), named("avg_pool", 2),
                                     named("flatten", 0), named("dense", 1)};
    const ntk_model_spec spec = spec_of(layers, 8);
    const ntk_shape input = {3, {8, 8, 2}, 128};
    analytic_spatial_plan fused, unfused;
    CHECK(analytic_spatial_plan_make(&spec, &input, 0, 32, &fused) == NTK_OK, "plan: %s",
          ntk_error_message());
    unfused = fused;
    unfused.unfused = 1;
    static double work[1 << 16];
    CHECK(analytic_spatial_work_doubles(&fused) <= (int64_t)(sizeof work / sizeof *work),
          "work of %lld doubles", (long long)analytic_spatial_work_doubles(&fused));
    double x[2][128], stats[2][256];
    for (int e = 0; e < 128; ++e) {
        x[0][e] = sin(0.7 * e + 0.3);
        x[1][e] = cos(1.3 * e - 0.2);
    }
    CHECK(fused.stats_size <= 256, "statistics fit");
    const ntk_analytic_context context = {spec.w_std, spec.b_std, 32, analytic_expect_with};
    analytic_spatial_self(&fused, &context, x[0], stats[0], work);
    analytic_spatial_self(&fused, &context, x[1], stats[1], work);
    for (int second = 0; second < 2; ++second) {
        double kernels[2][2];
        const analytic_spatial_plan *plans[2] = {&fused, &unfused};
        for (int f = 0; f < 2; ++f)
            analytic_spatial_pair(plans[f], &context, x[0], x[second], stats[0], stats[second],
                                  0, work, &kernels[f][0], &kernels[f][1]);
        for (int k = 0; k < 2; ++k)
            CHECK(kernels[0][k] == kernels[1][k], "%s of x0 and x%d: fused %.17g, unfused %.17g",
                  k ? "nngp" : "theta", second, kernels[0][k], kernels[1][k]);
    }
}

int main(void)
{
    test_forms();
    test_diagonal_shortcut();
    test_fused_layers();
    test_refusals();
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all spatial analytic checks passed\n");
    return 0;
}
