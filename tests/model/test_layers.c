/* The layer interface (model/layer.h): the registry's tables are complete
 * and consistent, a model built from a parsed model.layers list equals the
 * one built from the dense summary bit for bit (features, outputs, Jacobian
 * rows), the layer stack and parameter offsets are what the layers state,
 * and malformed layer items and sizes are refused through the registry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "job/job.h"
#include "model/model.h"
#include "model_test_util.h"

static void test_registry(void)
{
    int count = ntk_layer_type_count();
    CHECK(count >= 6, "registry has %d types", count);
    for (int t = 0; t < count; ++t) {
        const ntk_layer_ops *ops = ntk_layer_type(t);
        CHECK(ntk_layer_find(ops->name) == ops, "find(%s)", ops->name);
        CHECK(ops->infer && ops->saved_doubles && ops->forward && ops->backward &&
                  ops->forward_one && ops->backward_one && ops->cost,
              "%s: every layer has shapes, both passes and costs", ops->name);
        if (ntk_layer_has_parameters(ops))
            /* only the normalisation layers, whose options all have
             * defaults, may be written bare (layer_norm) */
            CHECK(ops->fan_in && ops->jacobian_one && (!ops->bare || ops->affine) &&
                      ops->n_options > 0,
                  "%s: a layer with parameters has fan-in, Jacobian entries and options", ops->name);
        for (int u = t + 1; u < count; ++u)
            CHECK(strcmp(ops->name, ntk_layer_type(u)->name) != 0, "duplicate name %s", ops->name);
    }
    CHECK(ntk_layer_find("conv2") == NULL, "unknown names are not found");
    /* The built-in activations are registered layers, in the order messages
     * list them. */
    const ntk_activation acts[] = {NTK_ACT_RELU, NTK_ACT_ERF, NTK_ACT_TANH, NTK_ACT_GELU,
                                   NTK_ACT_IDENTITY};
    CHECK(ntk_activation_count() >= 5, "%d activations registered", ntk_activation_count());
    for (int a = 0; a < 5; ++a) {
        const ntk_layer_ops *ops = ntk_layer_of_activation(acts[a]);
        CHECK(ops->activation == acts[a] && ntk_layer_find(ops->name) == ops &&
                  ntk_activation_at(a) == acts[a] && ntk_activation_find(ops->name) == acts[a],
              "activation %s has its own registered layer", ops->name);
    }
    CHECK(ntk_activation_find("dense") == NULL && ntk_activation_find("sigmoid2") == NULL &&
              ntk_activation_at(ntk_activation_count()) == NULL,
          "only activations are activations");
}

/* One activation with the parameters of `option`: phi' is the derivative
 * of phi (central differences); its batched loop, if any, gives the very
 * values of phi and phi' element by element, in place too; its closed-form
 * Gaussian map, if any, is symmetric in (u, v). */
static void check_activation(const ntk_layer_ops *ops, const int64_t *option)
{
    const ntk_activation act = ops->activation;
    const double z[] = {-3.1, -1.0, -0.37, -1e-3, 1e-3, 0.2, 0.5, 1.3, 2.9, 25.0};
    enum { N = sizeof z / sizeof z[0] };
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, option, parameter);
    for (int i = 0; i < N; ++i) {
        const double h = 1e-6;
        const double slope =
            (act->phi(z[i] + h, parameter) - act->phi(z[i] - h, parameter)) / (2 * h);
        CHECK(fabs(slope - act->phi_prime(z[i], parameter)) < 1e-8 * fmax(1.0, fabs(slope)),
              "%s(%g)'(%g) = %.17g, central difference %.17g", ops->name, parameter[0], z[i],
              act->phi_prime(z[i], parameter), slope);
    }
    ntk_layer layer = {.ops = ops, .in = {1, {N, 0, 0}, N}, .out = {1, {N, 0, 0}, N}};
    memcpy(layer.option, option, sizeof layer.option);
    double out[N], slope[N], in_place[N], in_place_slope[N];
    memcpy(in_place, z, sizeof z);
    ops->forward(&layer, NULL, z, 1, out, slope);
    ops->forward(&layer, NULL, in_place, 1, in_place, in_place_slope);
    for (int i = 0; i < N; ++i)
        CHECK(out[i] == act->phi(z[i], parameter) && slope[i] == act->phi_prime(z[i], parameter) &&
                  in_place[i] == out[i] && in_place_slope[i] == slope[i],
              "%s: the batched pass gives phi and phi' at %g, in place too", ops->name, z[i]);
    if (act->gaussian != NULL) {
        ntk_moments a = act->gaussian(1.3, 0.4, 0.7, parameter),
                    b = act->gaussian(0.7, 0.4, 1.3, parameter);
        CHECK(fabs(a.phi - b.phi) < 1e-15 && fabs(a.phi_prime - b.phi_prime) < 1e-15,
              "%s: the Gaussian map is symmetric in (u, v)", ops->name);
    }
}

/* Every registered activation, whatever it is: a bare, in-place layer
 * without parameters whose table leads back to it, whose options (if any)
 * are numbers (its parameters), checked at its defaults and, with options,
 * at other values. */
static void test_every_activation(void)
{
    int seen = 0;
    for (int t = 0; t < ntk_layer_type_count(); ++t) {
        const ntk_layer_ops *ops = ntk_layer_type(t);
        const ntk_activation act = ops->activation;
        if (act == NULL)
            continue;
        ++seen;
        CHECK(&act->layer == ops && act->phi && act->phi_prime && ops->bare && ops->in_place &&
                  !ntk_layer_has_parameters(ops) &&
                  ops->n_options <= NTK_ACTIVATION_MAX_PARAMETERS && ops->analytic,
              "%s: an activation is a bare in-place layer with an analytic map", ops->name);
        for (int o = 0; o < ops->n_options; ++o)
            CHECK(ops->options[o].kind == NTK_OPTION_REAL && ops->options[o].slot == o,
                  "%s: option %s is a number in slot %d", ops->name, ops->options[o].key, o);
        int64_t option[NTK_LAYER_MAX_OPTIONS];
        ntk_layer_default_options(ops, option);
        check_activation(ops, option);
        const double others[] = {0.3, -0.2, 1.7};
        for (int v = 0; v < 3 && ops->n_options > 0; ++v) {
            option[0] = ntk_option_from_real(others[v]);
            check_activation(ops, option);
        }
    }
    CHECK(seen == ntk_activation_count(), "%d activations seen, %d counted", seen,
          ntk_activation_count());
}

static const char *write_job(const char *text)
{
    static char path[] = "test_layers_job.yaml";
    FILE *file = fopen(path, "w");
    if (file == NULL || fputs(text, file) == EOF || fclose(file) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    return path;
}

/* The parsed list and the hand-built summary describe the same network. */
static void test_list_equals_summary(void)
{
    ntk_job *job = calloc(1, sizeof *job);
    const char *yaml = "data: {inputs: {synthetic: gaussian, n: 4, dim: 5, seed: 1}}\n"
                       "model: {layers: [{dense: 7}, gelu, {dense: 6}, {dense: 4}, tanh, "
                       "{dense: 3}], b_std: 0.4, seed: 9}\n";
    ntk_status status = job_load(write_job(yaml), NULL, 0, job);
    CHECK(status == NTK_OK, "load: %d", (int)status);
    if (status != NTK_OK) {
        free(job);
        return;
    }
    CHECK(job->model.n_layers == 6 && job->model.n_dense == 4 && job->model.act[0] == NTK_ACT_GELU &&
              job->model.act[1] == NTK_ACT_IDENTITY && job->model.act[2] == NTK_ACT_TANH,
          "list of 6 layers, summary of 4 dense layers");
    ntk_model_spec summary;
    const int64_t widths[] = {7, 6, 4, 3};
    const ntk_activation acts[] = {NTK_ACT_GELU, NTK_ACT_IDENTITY, NTK_ACT_TANH};
    test_spec(&summary, 4, widths, acts, NTK_PARAM_NTK, 1.0, 0.4, 9);

    ntk_model a, b;
    CHECK(model_create(&job->model, 5, &a) == NTK_OK, "model from the list");
    CHECK(model_create(&summary, 5, &b) == NTK_OK, "model from the summary");
    CHECK(a.n_stack == 6 && b.n_stack == 6 && a.n_layers == 4 && a.n_params == b.n_params &&
              a.n_params == 7 * 5 + 7 + 6 * 7 + 6 + 4 * 6 + 4 + 3 * 4 + 3,
          "stack %d/%d, %lld parameters", a.n_stack, b.n_stack, (long long)a.n_params);
    const int params_at[] = {0, 2, 3, 5};
    for (int l = 1; l <= 4; ++l) {
        CHECK(model_param_layer(&a, l)->index == params_at[l - 1], "layer %d at %d", l,
              model_param_layer(&a, l)->index);
        CHECK(memcmp(a.weight[l], b.weight[l], (size_t)a.weight_shape[l].count * 8) == 0 &&
                  memcmp(a.bias[l], b.bias[l], (size_t)a.bias_shape[l].count * 8) == 0,
              "parameters of layer %d", l);
    }
    CHECK(model_param_offset(&a, 3) == 7 * 5 + 7 + 6 * 7 + 6 && model_param_offset(&a, 9) == a.n_params,
          "offsets");

    enum { N = 4 };
    double x[N * 5], rows_a[N * 3 * 40], rows_b[N * 3 * 40];
    test_inputs(x, N, 5, 3);
    ntk_features fa, fb;
    CHECK(model_features(&a, x, N, &fa) == NTK_OK && model_features(&b, x, N, &fb) == NTK_OK,
          "features");
    CHECK(memcmp(fa.output, fb.output, sizeof(double) * N * 3) == 0, "outputs bit for bit");
    for (int l = 1; l <= 4; ++l)
        CHECK(memcmp(fa.cotangent[l], fb.cotangent[l], sizeof(double) * N * 3 * (size_t)a.width[l]) == 0 &&
                  memcmp(fa.input[l], fb.input[l], sizeof(double) * N * (size_t)a.width[l - 1]) == 0,
              "features of layer %d bit for bit", l);
    CHECK(model_jacobian_rows(&a, x, N, 30, 40, rows_a) == NTK_OK &&
              model_jacobian_rows(&b, x, N, 30, 40, rows_b) == NTK_OK &&
              memcmp(rows_a, rows_b, sizeof rows_a) == 0,
          "Jacobian rows bit for bit");
    /* The outputs of the batched pass equal the one-input path's f. */
    double f[N * 3];
    CHECK(model_forward(&a, x, N, f) == NTK_OK && memcmp(f, fa.output, sizeof f) == 0,
          "model_forward equals the features' outputs");
    model_features_free(&fa);
    model_features_free(&fb);
    model_destroy(&a);
    model_destroy(&b);
    free(job);
}

static void expect_job_error(const char *yaml, const char *needle)
{
    ntk_job *job = calloc(1, sizeof *job);
    ntk_status status = job_load(write_job(yaml), NULL, 0, job);
    CHECK(status == NTK_ERR_JOB, "expected a job error (%s), got %d", needle, (int)status);
    free(job);
}

static void test_refusals(void)
{
    expect_job_error("data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                     "model: {layers: [{dense: 4, relu: 1}]}\n", "one key per layer mapping");
    expect_job_error("data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                     "model: {layers: [{dense: {width: 0}}]}\n", "width by key, checked");
    expect_job_error("data: {inputs: {synthetic: gaussian, n: 4, dim: 3000000000}}\n"
                     "model: {layers: [{dense: 4}]}\n", "input size beyond BLAS");
    ntk_job *job = calloc(1, sizeof *job);
    CHECK(job_load(write_job("data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                             "model: {layers: [{dense: {width: 4}}, relu, {dense: 2}]}\n"),
                   NULL, 0, job) == NTK_OK &&
              job->model.layers[0].option[0] == 4,
          "options by key: {dense: {width: 4}}");
    free(job);
}

/* An activation with a parameter in its three forms, echoed back as written
 * (bare at the default), and refused when the value is not a number. */
static void test_activation_options(void)
{
    const char *forms[][2] = {
        {"leaky_relu", "leaky_relu"},
        {"{leaky_relu: 0.2}", "{leaky_relu: 0.2}"},
        {"{leaky_relu: {slope: -0.5}}", "{leaky_relu: -0.5}"},
        {"{leaky_relu: 0.01}", "leaky_relu"},
        {"elu", "elu"},
        {"{elu: {alpha: 0.7}}", "{elu: 0.7}"},
    };
    const double values[] = {0.01, 0.2, -0.5, 0.01, 1.0, 0.7};
    for (int f = 0; f < 6; ++f) {
        char yaml[256];
        snprintf(yaml, sizeof yaml,
                 "data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                 "model: {layers: [{dense: 4}, %s, {dense: 2}]}\n", forms[f][0]);
        ntk_job *job = calloc(1, sizeof *job);
        char *echo = NULL;
        CHECK(job_load(write_job(yaml), NULL, 0, job) == NTK_OK &&
                  ntk_option_real(job->model.layers[1].option, 0) == values[f] &&
                  job_echo_text(job, 0, &echo) == NTK_OK && echo != NULL,
              "%s: parsed with %g", forms[f][0], values[f]);
        char want[96];
        snprintf(want, sizeof want, "[{dense: 4}, %s, {dense: 2}]", forms[f][1]);
        CHECK(echo != NULL && strstr(echo, want) != NULL, "%s echoes as %s", forms[f][0], want);
        free(echo);
        free(job);
    }
    expect_job_error("data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                     "model: {layers: [{dense: 4}, {leaky_relu: steep}, {dense: 2}]}\n",
                     "slope not a number");
    expect_job_error("data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                     "model: {layers: [{dense: 4}, {leaky_relu: {alpha: 2}}, {dense: 2}]}\n",
                     "leaky_relu has no alpha");
    expect_job_error("data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                     "model: {layers: [{dense: 4}, {relu: 1}, {dense: 2}]}\n",
                     "relu has no options");
}

/* torch's options echo as written, and only when set: a job without them
 * echoes (and hashes) as before they existed. */
static void test_geometry_options_echo(void)
{
    const char *forms[][2] = {
        {"[{dense: 4}, relu, {dense: 2}]", "[{dense: 4}, relu, {dense: 2}]"},
        {"[{dense: {width: 4, bias: false}}, relu, {dense: {width: 2, bias: true}}]",
         "[{dense: {width: 4, bias: false}}, relu, {dense: 2}]"},
        {"[{conv: {channels: 2, kernel: 3}}, flatten, {dense: 2}]",
         "[{conv: {channels: 2, kernel: 3, stride: 1, padding: same}}, flatten, {dense: 2}]"},
        {"[{conv: {channels: 2, kernel: 3, stride: 2, padding: 1, bias: false}}, flatten, "
         "{dense: 2}]",
         "[{conv: {channels: 2, kernel: 3, stride: 2, padding: 1, bias: false}}, flatten, "
         "{dense: 2}]"},
        {"[{conv: {channels: 2, kernel: 3, padding: [1, 0]}}, {avg_pool: {window: 2, padding: "
         "1}}, flatten, {dense: 2}]",
         "[{conv: {channels: 2, kernel: 3, stride: 1, padding: [1, 0]}}, {avg_pool: {window: 2, "
         "stride: 0, padding: 1}}, flatten, {dense: 2}]"},
    };
    for (int f = 0; f < 5; ++f) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "data: {inputs: {synthetic: gaussian, n: 4, shape: [6, 5, 2]}}\n"
                 "model: {layers: %s}\n", forms[f][0]);
        if (f < 2)
            snprintf(yaml, sizeof yaml,
                     "data: {inputs: {synthetic: gaussian, n: 4, dim: 5}}\n"
                     "model: {layers: %s}\n", forms[f][0]);
        ntk_job *job = calloc(1, sizeof *job);
        char *echo = NULL;
        CHECK(job_load(write_job(yaml), NULL, 0, job) == NTK_OK &&
                  job_echo_text(job, 0, &echo) == NTK_OK && echo != NULL,
              "%s: loaded", forms[f][0]);
        CHECK(echo != NULL && strstr(echo, forms[f][1]) != NULL, "%s echoes as %s, got %s",
              forms[f][0], forms[f][1], echo ? echo : "nothing");
        free(echo);
        free(job);
    }
}

/* max_pool's ties go to the first maximum of the window (torch's CPU
 * kernel), the -inf padding never wins, and backward sends the cotangent to
 * the value taken. */
static void test_max_pool_ties(void)
{
    const ntk_layer_ops *ops = ntk_layer_find("max_pool");
    CHECK(ops != NULL, "max_pool is registered");
    if (ops == NULL)
        return;
    const struct {
        int64_t window, stride, padding;
        double in[4];
        int n_out;
        double out[4], taken[4];
    } cases[] = {
        {2, 2, 0, {1, 1, 0, 2}, 2, {1, 2}, {0, 3}},
        {3, 1, 1, {-5, -5, -5, -7}, 4, {-5, -5, -5, -5}, {0, 0, 1, 2}},
        {2, 1, 0, {3, 3, 3, 3}, 3, {3, 3, 3}, {0, 1, 2}},
    };
    for (int c = 0; c < 3; ++c) {
        ntk_layer layer = {.ops = ops, .in = {2, {4, 1, 0}, 4}};
        ntk_layer_default_options(ops, layer.option);
        layer.option[0] = layer.option[1] = cases[c].window;
        layer.option[2] = layer.option[3] = cases[c].stride;
        layer.option[4] = layer.option[5] = cases[c].padding;
        char why[128];
        CHECK(ops->infer(layer.option, &layer.in, &layer.out, why, sizeof why) == 0 &&
                  layer.out.size == cases[c].n_out,
              "max_pool case %d: %d outputs", c, cases[c].n_out);
        double out[4], saved[4], cot_in[4];
        const double cot_out[4] = {1, 2, 3, 4};
        ops->forward_one(&layer, NULL, cases[c].in, out, saved);
        ops->backward_one(&layer, NULL, cot_out, saved, cot_in);
        double want_in[4] = {0, 0, 0, 0};
        for (int i = 0; i < cases[c].n_out; ++i) {
            CHECK(out[i] == cases[c].out[i] && saved[i] == cases[c].taken[i],
                  "max_pool case %d output %d: %g from %g, want %g from %g", c, i, out[i],
                  saved[i], cases[c].out[i], cases[c].taken[i]);
            want_in[(int)cases[c].taken[i]] += cot_out[i];
        }
        CHECK(memcmp(cot_in, want_in, sizeof want_in) == 0,
              "max_pool case %d: backward sends each cotangent to the value taken", c);
    }
}

int main(void)
{
    test_registry();
    test_every_activation();
    test_list_equals_summary();
    test_refusals();
    test_activation_options();
    test_geometry_options_echo();
    test_max_pool_ties();
    unlink("test_layers_job.yaml");
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
