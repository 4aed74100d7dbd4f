/* Job file tests: every error class with its message and file:line:column,
 * the defaults of a minimal job, overrides (list items, created keys), the
 * sweep, durations, the job hash and the echo round trip.
 *
 * Each case writes a small YAML file into a scratch folder and calls
 * job_load. Expected positions are found by searching a marker text in the
 * YAML itself, so the cases read like the files they test. */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job/job.h"
#include "model/branch.h"
#include "job/job_keys.h"
#include "job/job_read.h"
#include "job/job_table.h"
#include "model/activation.h"
#include "check.h"

static char folder[PATH_MAX];
static char job_file[PATH_MAX + 64];


static void write_text(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    if (file == NULL) {
        perror(path);
        exit(1);
    }
    fputs(text, file);
    fclose(file);
}

static const char *write_job(const char *text)
{
    snprintf(job_file, sizeof job_file, "%s/job.yaml", folder);
    write_text(job_file, text);
    return job_file;
}

/* 1-based line and column of the first occurrence of `marker` in `text`. */
static void position_of(const char *text, const char *marker, int *line, int *column)
{
    const char *at = strstr(text, marker);
    if (at == NULL) {
        fprintf(stderr, "test bug: marker '%s' not in the YAML\n", marker);
        exit(1);
    }
    *line = 1;
    const char *line_start = text;
    for (const char *p = text; p < at; ++p)
        if (*p == '\n') {
            ++*line;
            line_start = p + 1;
        }
    *column = (int)(at - line_start) + 1;
}

static ntk_job job; /* large: keep it off the stack */

static ntk_status load(const char *yaml, const char *const *sets)
{
    ntk_override overrides[NTK_MAX_JOB_OVERRIDES];
    int n = 0;
    for (; sets != NULL && sets[n] != NULL; ++n) {
        ntk_status status = job_parse_override(sets[n], &overrides[n]);
        if (status != NTK_OK)
            return status;
    }
    ntk_error_clear();
    return job_load(write_job(yaml), overrides, n, &job);
}

/* A job error whose message contains `expected`, located at `marker` in the YAML
 * (marker NULL: no position is checked). */
static void expect_error_at(int source_line, const char *yaml, const char *const *sets,
                            const char *expected, const char *marker)
{
    ntk_error_clear();
    ntk_status status = load(yaml, sets);
    const char *message = ntk_error_message();
    ++checks;
    if (status != NTK_ERR_JOB || strstr(message, expected) == NULL) {
        ++failures;
        fprintf(stderr, "FAIL line %d: status %d, message \"%s\"; expected NTK_ERR_JOB with \"%s\"\n",
                source_line, (int)status, message, expected);
        return;
    }
    if (marker != NULL) {
        int line = 0, column = 0;
        position_of(yaml, marker, &line, &column);
        char prefix[PATH_MAX + 200];
        snprintf(prefix, sizeof prefix, "%s:%d:%d: ", job_file, line, column);
        ++checks;
        if (strncmp(message, prefix, strlen(prefix)) != 0) {
            ++failures;
            fprintf(stderr, "FAIL line %d: message \"%s\" does not start with \"%s\"\n",
                    source_line, message, prefix);
        }
    }
    ntk_error_clear();
}
#define EXPECT_ERROR(yaml, sets, expected, marker)                                              \
    expect_error_at(__LINE__, yaml, sets, expected, marker)

static void expect_ok_at(int source_line, const char *yaml, const char *const *sets)
{
    ntk_status status = load(yaml, sets);
    ++checks;
    if (status != NTK_OK) {
        ++failures;
        fprintf(stderr, "FAIL line %d: expected success, got \"%s\"\n", source_line,
                ntk_error_message());
        ntk_error_clear();
    }
}
#define EXPECT_OK(yaml, sets) expect_ok_at(__LINE__, yaml, sets)

#define MINIMAL                                                                                 \
    "data:\n"                                                                                   \
    "  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"                                           \
    "model:\n"                                                                                  \
    "  layers: [{dense: 16}, relu, {dense: 1}]\n"

/* ---- error classes ---- */

static void test_file_errors(void)
{
    char missing[PATH_MAX + 32];
    snprintf(missing, sizeof missing, "%s/nothing-here.yaml", folder);
    ntk_error_clear();
    CHECK(job_load(missing, NULL, 0, &job) == NTK_ERR_JOB, "missing file is a job error");
    char expected[PATH_MAX + 100];
    snprintf(expected, sizeof expected, "%s: cannot read job file: No such file or directory",
             missing);
    CHECK(strcmp(ntk_error_message(), expected) == 0, "missing file message: %s",
          ntk_error_message());
    ntk_error_clear();
    CHECK(job_load(folder, NULL, 0, &job) == NTK_ERR_JOB, "a directory is a job error");
    CHECK(strstr(ntk_error_message(), "cannot read job file: Is a directory") != NULL,
          "directory message: %s", ntk_error_message());

    EXPECT_ERROR("", NULL, "the job file is empty", NULL);
    EXPECT_ERROR("# only a comment\n", NULL, "the job file is empty", NULL);
    EXPECT_ERROR("- a\n- b\n", NULL, "a job file is a mapping of keys", "- a");
    EXPECT_ERROR(MINIMAL "---\nname: x\n", NULL, "found a second one", "name: x");
}

static void test_syntax_errors(void)
{
    /* An unclosed flow list: libyaml reports the end of the stream. */
    const char *unclosed = "data:\n  inputs: [1, 2\nmodel: {}\n";
    EXPECT_ERROR(unclosed, NULL, "YAML syntax error: did not find expected ',' or ']'", NULL);
    load(unclosed, NULL);
    char prefix[2 * PATH_MAX];
    snprintf(prefix, sizeof prefix, "%s:3:6: YAML syntax error:", job_file);
    CHECK(strncmp(ntk_error_message(), prefix, strlen(prefix)) == 0, "syntax error position: %s",
          ntk_error_message());
    /* A tab used for indentation. */
    load("data:\n\tinputs: x.npy\n", NULL);
    snprintf(prefix, sizeof prefix, "%s:2:1: YAML syntax error: found character that cannot "
             "start any token", job_file);
    CHECK(strncmp(ntk_error_message(), prefix, strlen(prefix)) == 0, "tab position: %s",
          ntk_error_message());
    /* Bad indentation inside a mapping. */
    const char *indent = "model:\n  layers: [{dense: 1}]\n   seed: 1\n";
    EXPECT_ERROR(indent, NULL, "YAML syntax error: did not find expected key (while parsing a "
                               "block mapping)", NULL);
    load(indent, NULL);
    snprintf(prefix, sizeof prefix, "%s:3:4: YAML syntax error:", job_file);
    CHECK(strncmp(ntk_error_message(), prefix, strlen(prefix)) == 0, "indentation position: %s",
          ntk_error_message());
    ntk_error_clear();
}

static void test_key_errors(void)
{
    const char *unknown = MINIMAL "modle:\n  seed: 1\n";
    EXPECT_ERROR(unknown, NULL,
                 "modle: unknown key 'modle' (expected one of name, data, model, kernel, grid, "
                 "spectrum, dynamics, output, predict, training, checkpoint, diagnostics, sweep); did you mean "
                 "'model'?",
                 "modle");
    const char *nested = MINIMAL "output:\n  dir: out\n  thta: true\n";
    EXPECT_ERROR(nested, NULL, "output.thta: unknown key 'thta' (expected one of dir, theta, "
                               "eigenvectors, plot, params, test_theta, theta_layers); did you mean 'theta'?",
                 "thta");
    const char *far = MINIMAL "output:\n  colour: red\n";
    EXPECT_ERROR(far, NULL, "output.colour: unknown key 'colour' (expected one of dir, theta, "
                            "eigenvectors, plot, params, test_theta, theta_layers)", "colour");
    ++checks;
    if (strstr(ntk_error_message(), "did you mean") != NULL) {
        ++failures;
        fprintf(stderr, "FAIL line %d: no suggestion expected for 'colour'\n", __LINE__);
    }
    const char *swapped = MINIMAL "spectrum:\n  sovler: lapack\n";
    EXPECT_ERROR(swapped, NULL, "did you mean 'solver'?", "sovler");
    const char *set_typo[] = {"kernel.methd=jacobian", NULL};
    EXPECT_ERROR(MINIMAL, set_typo, "did you mean 'method'?", NULL);
    const char *duplicate = "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
                            "model:\n  seed: 1\n  layers: [{dense: 1}]\n  seed: 2\n";
    EXPECT_ERROR(duplicate, NULL, "model.seed: duplicate key 'seed' (first at line 4)",
                 "seed: 2");
    const char *top_duplicate = MINIMAL "name: a\nname: b\n";
    EXPECT_ERROR(top_duplicate, NULL, "name: duplicate key 'name'", "name: b");
    EXPECT_ERROR("model:\n  layers: [{dense: 1}]\n", NULL, "data: missing required key 'data'",
                 "model");
    EXPECT_ERROR("data:\n  targets: {synthetic: sine}\nmodel:\n  layers: [{dense: 1}]\n", NULL,
                 "data: missing required key 'inputs'", "targets");
    EXPECT_ERROR("data:\n  inputs: x.npy\nmodel:\n  seed: 3\n", NULL,
                 "model: missing required key 'layers'", "seed");
    EXPECT_ERROR("data:\n  inputs: x.npy\nmodel: [1]\n", NULL,
                 "model: must be a mapping of keys, got a list", "[1]");
}

static void test_data_errors(void)
{
    const char *text_file = "data:\n  inputs: points.txt\nmodel:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(text_file, NULL, "data.inputs: unknown data file type 'points.txt'",
                 "points.txt");
    const char *no_n = "data:\n  inputs: {synthetic: gaussian, dim: 3}\n"
                       "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(no_n, NULL, "data.inputs: synthetic inputs need the key 'n'", "{synthetic");
    const char *cube = "data:\n  inputs: {synthetic: cube, n: 4, dim: 3}\n"
                       "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(cube, NULL,
                 "data.inputs.synthetic: unknown synthetic input kind 'cube' (expected gaussian, "
                 "sphere)",
                 "cube");
    const char *zero_n = "data:\n  inputs: {synthetic: sphere, n: 0, dim: 3}\n"
                         "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(zero_n, NULL, "data.inputs.n: must be a positive integer, got 0", "0, dim");
    const char *bad_seed = "data:\n  inputs: {synthetic: sphere, n: 4, dim: 3, seed: -1}\n"
                           "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(bad_seed, NULL, "data.inputs.seed: must be an integer >= 0, got -1", "-1}");
    const char *fraction = "data:\n  inputs: {synthetic: sphere, n: 4.5, dim: 3}\n"
                           "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(fraction, NULL, "data.inputs.n: must be a positive integer, got 4.5", "4.5");
    const char *junk = "data:\n  inputs: {synthetic: sphere, n: 12abc, dim: 3}\n"
                       "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(junk, NULL, "data.inputs.n: must be a positive integer, got '12abc'", "12abc");
    const char *targets = MINIMAL "  # targets below\n";
    (void)targets;
    const char *bad_targets = "data:\n  inputs: x.npy\n  targets: {synthetic: sphere}\n"
                              "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(bad_targets, NULL,
                 "data.targets.synthetic: unknown synthetic target kind 'sphere' (expected "
                 "gaussian, sine)",
                 "sphere");
    const char *list_targets = "data:\n  inputs: x.npy\n  targets: [1, 2]\n"
                               "model:\n  layers: [{dense: 1}]\n";
    EXPECT_ERROR(list_targets, NULL, "data.targets: must be a .npy/.csv path or a mapping",
                 "[1, 2]");
}

static void test_model_errors(void)
{
    const char *negative = "data:\n  inputs: x.npy\nmodel:\n"
                           "  layers:\n    - dense: 8\n    - relu\n    - dense: -3\n";
    /* The example from the job module's contract. */
    EXPECT_ERROR(negative, NULL, "model.layers[2].dense: width must be a positive integer, got -3",
                 "-3");
    const char *quoted = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: '5'}]\n";
    EXPECT_ERROR(quoted, NULL,
                 "model.layers[0].dense: width must be a positive integer, got '5' (quoted, so "
                 "a string)",
                 "'5'");
    const char *typo = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 4}, rleu, {dense: 1}]\n";
    EXPECT_ERROR(typo, NULL,
                 "model.layers[1]: unknown layer name 'rleu' (expected relu, erf, tanh, gelu, "
                 "identity, sigmoid, softplus, silu, leaky_relu, elu, abs, global_avg_pool, "
                 "layer_norm, batch_norm, flatten)",
                 "rleu");
    const char *first = "data:\n  inputs: x.npy\nmodel:\n  layers: [tanh, {dense: 1}]\n";
    EXPECT_ERROR(first, NULL, "model.layers[0]: the first layer must be dense", "tanh");
    const char *twice = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 4}, relu, erf, {dense: 1}]\n";
    EXPECT_ERROR(twice, NULL, "model.layers[2]: activation 'erf' must follow a layer that is not an "
                 "activation", "erf");
    const char *last = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 4}, gelu]\n";
    EXPECT_ERROR(last, NULL, "model.layers: the last layer must be dense", "gelu");
    const char *empty = "data:\n  inputs: x.npy\nmodel:\n  layers: []\n";
    EXPECT_ERROR(empty, NULL, "model.layers: must be a non-empty list", "[]");
    const char *dens = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dens: 4}]\n";
    EXPECT_ERROR(dens, NULL, "model.layers[0].dens: unknown key 'dens' (expected one of dense, "
                 "leaky_relu, elu, conv, avg_pool, max_pool, layer_norm, batch_norm)",
                 "dens");
    char many[4096] = "data:\n  inputs: x.npy\nmodel:\n  layers: [";
    for (int i = 0; i <= NTK_MAX_DENSE; ++i)
        strcat(many, i ? ", {dense: 2}" : "{dense: 2}");
    strcat(many, "]\n");
    EXPECT_ERROR(many, NULL, "model.layers[64]: too many dense or conv or layer_norm or batch_norm layers (at "
                 "most 64)", NULL);
    const char *w_std = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 1}]\n  w_std: 0\n";
    EXPECT_ERROR(w_std, NULL, "model.w_std: must be a number > 0, got 0", "0\n");
    const char *b_std = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 1}]\n  b_std: 1.5x\n";
    EXPECT_ERROR(b_std, NULL, "model.b_std: must be a number >= 0, got '1.5x'", "1.5x");
    const char *nan = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 1}]\n  w_std: .nan\n";
    EXPECT_ERROR(nan, NULL, "model.w_std: must be a number > 0", ".nan");
    const char *param = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 1}]\n"
                        "  parameterization: mup\n";
    EXPECT_ERROR(param, NULL,
                 "model.parameterization: unknown parameterization 'mup' (expected ntk, standard)",
                 "mup");
    const char *weights = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 1}]\n"
                          "  weights: w.bin\n";
    EXPECT_ERROR(weights, NULL, "model.weights: expected a .safetensors file, got 'w.bin'",
                 "w.bin");
    const char *seed = "data:\n  inputs: x.npy\nmodel:\n  layers: [{dense: 1}]\n  seed: 0.5\n";
    EXPECT_ERROR(seed, NULL, "model.seed: must be an integer >= 0, got 0.5", "0.5");
}

/* Every layer type's required options, in every form a job can write them:
 * the scalar form {type: V} sets only the first option, so any other required
 * option is missing (a conv's kernel left at 0 once divided by zero). */
static void test_required_layer_options(void)
{
#define LAYERS(list) "data:\n  inputs: {synthetic: gaussian, n: 4, shape: [5, 4, 2]}\nmodel:\n  layers: " list "\n"
#define LAYERS_1D(list) "data:\n  inputs: {synthetic: gaussian, n: 4, shape: [9, 2]}\nmodel:\n  layers: " list "\n"
    EXPECT_ERROR(LAYERS("[{conv: 3}, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv: missing required key 'kernel'", "3}");
    EXPECT_ERROR(LAYERS_1D("[{conv: 3}, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv: missing required key 'kernel'", "3}");
    EXPECT_ERROR(LAYERS("[{conv: {channels: 3}}, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv: missing required key 'kernel'", "{channels");
    EXPECT_ERROR(LAYERS("[{conv: {kernel: 3}}, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv: missing required key 'channels'", "{kernel");
    EXPECT_ERROR(LAYERS("[{conv: {kernel: 3, channels: 0}}, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv.channels: channels must be a positive integer, got 0", "0}");
    EXPECT_ERROR(LAYERS("[{conv: {kernel: [3, 0], channels: 2}}, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv.kernel[1]: kernel must be a positive integer, got 0", "0]");
    EXPECT_ERROR(LAYERS("[{conv: {kernel: 3, channels: 2, stride: 0}}, flatten, {dense: 1}]"),
                 NULL, "stride must be a positive integer, got 0", "0}");
    EXPECT_ERROR(LAYERS("[{conv: }, flatten, {dense: 1}]"), NULL,
                 "model.layers[0].conv: missing required key 'channels'", NULL);
    EXPECT_ERROR(LAYERS("[{dense: }, {dense: 1}]"), NULL,
                 "model.layers[0].dense: missing required key 'width'", NULL);
    EXPECT_ERROR(LAYERS("[{dense: {}}, {dense: 1}]"), NULL,
                 "model.layers[0].dense: missing required key 'width'", NULL);
    EXPECT_ERROR(LAYERS("[{conv: {channels: 2, kernel: 1}}, {avg_pool: }, flatten, {dense: 1}]"),
                 NULL, "model.layers[1].avg_pool: missing required key 'window'", NULL);
    EXPECT_ERROR(LAYERS("[{conv: {channels: 2, kernel: 1}}, {avg_pool: {stride: 1}}, flatten, "
                        "{dense: 1}]"),
                 NULL, "model.layers[1].avg_pool: missing required key 'window'", "{stride");
    EXPECT_ERROR(LAYERS("[{conv: {channels: 2, kernel: 1}}, {avg_pool: 0}, flatten, {dense: 1}]"),
                 NULL, "model.layers[1].avg_pool: window must be a positive integer, got 0", "0}");
    /* The scalar forms that set every required option are fine. */
    EXPECT_OK(LAYERS("[{conv: {channels: 2, kernel: 1}}, {avg_pool: 2}, flatten, {dense: 1}]"),
              NULL);
    /* --set forms: the same check, named by the override. */
    const char *ok = LAYERS("[{conv: {channels: 2, kernel: 3}}, flatten, {dense: 1}]");
    const char *scalar[] = {"model.layers[0].conv=3", NULL};
    EXPECT_ERROR(ok, scalar, "--set model.layers[0].conv: missing required key 'kernel'", NULL);
    const char *one_d[] = {"data.inputs.shape=[9, 2]", "model.layers[0].conv=3", NULL};
    EXPECT_ERROR(ok, one_d, "--set model.layers[0].conv: missing required key 'kernel'", NULL);
    const char *mapping[] = {"model.layers[0]={conv: 4}", NULL};
    EXPECT_ERROR(ok, mapping, "--set model.layers[0]: model.layers[0].conv: missing required key "
                 "'kernel'", NULL);
    const char *no_kernel[] = {"model.layers[0].conv={channels: 4}", NULL};
    EXPECT_ERROR(ok, no_kernel, "--set model.layers[0].conv: missing required key 'kernel'", NULL);
    const char *dense_null[] = {"model.layers[2].dense=", NULL};
    EXPECT_ERROR(ok, dense_null, "--set model.layers[2].dense: missing required key 'width'",
                 NULL);
    const char *kernel_set[] = {"model.layers[0].conv.kernel=2", NULL};
    EXPECT_OK(ok, kernel_set);
#undef LAYERS
#undef LAYERS_1D
}

/* A job of `prefix`, `repeat` copies of `unit`, then `suffix`, in a buffer
 * the caller frees. */
static char *repeated(const char *prefix, const char *unit, long repeat, const char *suffix)
{
    size_t length = strlen(prefix) + strlen(unit) * (size_t)repeat + strlen(suffix) + 1;
    char *text = malloc(length), *at = text;
    if (text == NULL)
        exit(1);
    at += sprintf(at, "%s", prefix);
    for (long i = 0; i < repeat; ++i)
        at += sprintf(at, "%s", unit);
    sprintf(at, "%s", suffix);
    return text;
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* Each document limit has its own message with file:line:column, and a
 * document far past a limit is refused in about the time it takes to read
 * to the limit, not after libyaml's composer has built it (which for a deep
 * document takes far longer: docs/design.md, "4. Error model"). The bound
 * below leaves room for sanitizer builds. */
static void expect_limit(int source_line, const char *yaml, const char *expected, const char *marker)
{
    const double start = seconds_now();
    expect_error_at(source_line, yaml, NULL, expected, marker);
    const double elapsed = seconds_now() - start;
    ++checks;
    if (elapsed > 5.0) {
        ++failures;
        fprintf(stderr, "FAIL line %d: refused after %.1f s, expected well under 5 s\n",
                source_line, elapsed);
    }
}

static void test_document_limits(void)
{
    const char *deeper = "the document nests deeper than 64 levels of lists and mappings";
    /* 200 KB nested 100k deep: flow lists, block lists, flow mappings. */
    char *flow = repeated("", "[", 100000, "");
    char *flow_closed = repeated(flow, "]", 100000, "\n");
    char marker[PATH_MAX + 80];
    expect_limit(__LINE__, flow_closed, deeper, NULL);
    snprintf(marker, sizeof marker, "%s:1:65: ", job_file); /* the 65th '[' */
    ++checks;
    if (load(flow_closed, NULL) != NTK_ERR_JOB ||
        strncmp(ntk_error_message(), marker, strlen(marker)) != 0) {
        ++failures;
        fprintf(stderr, "FAIL line %d: \"%s\" does not start with \"%s\"\n", __LINE__,
                ntk_error_message(), marker);
    }
    ntk_error_clear();
    char *block = repeated("", "- ", 100000, "x\n");
    expect_limit(__LINE__, block, deeper, NULL);
    char *mapping_open = repeated("", "{a: ", 100000, "1");
    char *mapping = repeated(mapping_open, "}", 100000, "\n");
    expect_limit(__LINE__, mapping, deeper, NULL);
    /* 64 levels are fine (the job is then wrong for other reasons). */
    char *deep_ok_open = repeated("data:\n  inputs: ", "[", 62, "1");
    char *deep_ok = repeated(deep_ok_open, "]", 62, "\n");
    EXPECT_ERROR(deep_ok, NULL, "data.inputs: must be a .npy/.csv path or a mapping", "[[");
    /* A 1.5M-entry list: the file is too large (the old message blamed
     * nesting and aliases). */
    char *huge = repeated("name: huge\ndata:\n  inputs: [", "0, ", 1500000, "0]\n");
    expect_limit(__LINE__, huge, "the job file is 4500031 bytes, more than the 1048576 bytes a "
                 "job may hold", NULL);
    /* The limit falls on line 3, 1 MiB from the start of the file. */
    const int line_3 = (int)strlen("name: huge\ndata:\n");
    snprintf(marker, sizeof marker, "%s:3:%d: ", job_file, (1 << 20) - line_3 + 1);
    ++checks;
    if (load(huge, NULL) != NTK_ERR_JOB || strncmp(ntk_error_message(), marker, strlen(marker))) {
        ++failures;
        fprintf(stderr, "FAIL line %d: \"%s\" does not start with \"%s\"\n", __LINE__,
                ntk_error_message(), marker);
    }
    ntk_error_clear();
    /* Under the size limit, too many values: a long list, a wide mapping. */
    char *many = repeated("data:\n  inputs: [", "0, ", 30000, "0]\n");
    expect_limit(__LINE__, many, "the document holds more than 20000 values", NULL);
    char *keys = malloc(20000 * 16 + 64), *at = keys;
    at += sprintf(at, "data: {");
    for (int i = 0; i < 20000; ++i)
        at += sprintf(at, "%sk%d: 0", i ? ", " : "", i);
    sprintf(at, "}\n");
    expect_limit(__LINE__, keys, "the document holds more than 20000 values", NULL);
    /* Aliases: a billion laughs, and a chain that nests past the limit. */
    char laughs[2048] = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 10; ++i) {
        char row[128];
        snprintf(row, sizeof row, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
                 "*a%d, *a%d]\n", i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                 i - 1, i - 1);
        strcat(laughs, row);
    }
    expect_limit(__LINE__, laughs, "aliases (*name) expand the document to more than 20000 values",
                 NULL);
    char chain[8192] = "c0: &c0 [[[[[[[[[[1]]]]]]]]]]\n";
    for (int i = 1; i < 12; ++i) {
        char row[128];
        snprintf(row, sizeof row, "c%d: &c%d [[[[[[[[*c%d]]]]]]]]\n", i, i, i - 1);
        strcat(chain, row);
    }
    expect_limit(__LINE__, chain, "aliases (*name) nest the document deeper than 64 levels", NULL);
    /* --set values are held to the same limits. */
    char value[256] = "model.seed=";
    for (int i = 0; i < 70; ++i)
        strcat(value, "[");
    for (int i = 0; i < 70; ++i)
        strcat(value, "]");
    const char *sets[] = {value, NULL};
    EXPECT_ERROR(MINIMAL, sets, "--set model.seed: the document nests deeper than 64 levels", NULL);
    free(flow);
    free(flow_closed);
    free(block);
    free(mapping_open);
    free(mapping);
    free(deep_ok_open);
    free(deep_ok);
    free(huge);
    free(many);
    free(keys);
}

/* Subnormal numbers ("1e-320", which strtod flags ERANGE) are the numbers
 * written: every number key takes them but model.w_std, whose weights would
 * lose their bits and whose Theta would underflow to 0. Texts that round to
 * 0 or overflow are refused as such, not as "must be > 0". */
static void test_tiny_numbers(void)
{
    const double tiny = strtod("1e-320", NULL);
    const char *job_text = "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
                           "  targets: {synthetic: sine}\n"
                           "  test_inputs: {synthetic: gaussian, n: 2, dim: 3}\n"
                           "model:\n  layers: [{dense: 16}, relu, {dense: 1}]\n  b_std: 1e-320\n"
                           "dynamics: {learning_rate: 1e-320}\n"
                           "predict: {ridge: 1e-320, cutoff: 1e-320}\n"
                           "training: {learning_rate: 1e-320}\n";
    EXPECT_OK(job_text, NULL);
    CHECK(job.model.b_std == tiny && job.dynamics.learning_rate == tiny &&
              job.predict.ridge == tiny && job.predict.cutoff == tiny &&
              job.training.learning_rate == tiny,
          "subnormal values read as written");
    const char *tolerance[] = {"spectrum.solver=matrix_free", "spectrum.top=1",
                               "spectrum.tolerance=1e-320", NULL};
    EXPECT_OK(MINIMAL, tolerance);
    CHECK(job.spectrum.tolerance == tiny, "subnormal tolerance read as written");
    EXPECT_ERROR(MINIMAL "  w_std: 1e-320\n", NULL,
                 "model.w_std: 1e-320 is subnormal (below 2.2250738585072014e-308, the smallest "
                 "normal double)", "1e-320");
    EXPECT_OK(MINIMAL "  w_std: 2.2250738585072014e-308\n", NULL);
    EXPECT_ERROR(MINIMAL "  b_std: 1e-400\n", NULL,
                 "model.b_std: 1e-400 is too small for a double: it rounds to 0", "1e-400");
    EXPECT_ERROR(MINIMAL "dynamics: {learning_rate: 1e-400}\n", NULL,
                 "dynamics.learning_rate: 1e-400 is too small for a double: it rounds to 0",
                 "1e-400");
    EXPECT_ERROR(MINIMAL "  w_std: 1e400\n", NULL,
                 "model.w_std: 1e400 is too large for a double (the largest is 1.8e+308)",
                 "1e400");
    /* Zero written as zero is still zero, with its own messages. */
    EXPECT_ERROR(MINIMAL "  w_std: 0e-400\n", NULL, "model.w_std: must be a number > 0, got 0e-400",
                 "0e-400");
    EXPECT_OK(MINIMAL "  b_std: 0.0\n", NULL);
}

/* The modules' key tables (job/job_keys.h) and the reader agree: every key
 * a table lists is one the reader knows (a wrong value for it is refused
 * for its value, never as an unknown key), and help keys prints each. */
static void test_key_tables(void)
{
    char *printed = NULL;
    size_t printed_size = 0;
    FILE *memory = open_memstream(&printed, &printed_size);
    job_print_keys(memory, 0);
    fclose(memory);
    for (int s = 0; job_bindings[s].section != NULL; ++s) {
        const ntk_config_section *section = job_bindings[s].section;
        for (int k = 0; k < section->n_keys; ++k) {
            char set[160], path[128];
            snprintf(path, sizeof path, "%s.%s", section->name, section->keys[k].key);
            snprintf(set, sizeof set, "%s=[[x]]", path);
            const char *sets[] = {set, NULL};
            ntk_status status = load(MINIMAL, sets);
            ++checks;
            if (status == NTK_OK || strstr(ntk_error_message(), "unknown key") != NULL) {
                ++failures;
                fprintf(stderr, "FAIL: table key %s: \"%s\"\n", path, ntk_error_message());
            }
            ntk_error_clear();
            CHECK(strstr(printed, path) != NULL, "help keys does not list %s", path);
        }
    }
    free(printed);
}

static void test_run_section_errors(void)
{
    const char *analytic = MINIMAL "  parameterization: standard\nkernel:\n  kind: analytic\n";
    EXPECT_ERROR(analytic, NULL, "kernel.kind: the analytic (infinite-width) kernel needs "
                                 "model.parameterization: ntk", "analytic");
    const char *method = MINIMAL "kernel:\n  method: fast\n";
    EXPECT_ERROR(method, NULL,
                 "kernel.method: unknown value 'fast' (expected auto, structured, jacobian)",
                 "fast");
    const char *order = MINIMAL "kernel:\n  quadrature_order: 1\n";
    EXPECT_ERROR(order, NULL, "kernel.quadrature_order: must be an integer from 2 to 256, got 1",
                 "1\n");
    const char *chunk = MINIMAL "kernel:\n  jacobian_chunk: 0\n";
    EXPECT_ERROR(chunk, NULL, "kernel.jacobian_chunk: must be a positive integer, got 0", "0\n");
    const char *nngp = MINIMAL "kernel:\n  nngp: yes\n";
    EXPECT_ERROR(nngp, NULL, "kernel.nngp: must be true or false, got 'yes'", "yes");
    const char *shape = MINIMAL "grid:\n  shape: [2]\n";
    EXPECT_ERROR(shape, NULL, "grid.shape: must be auto or [rows, cols]", "[2]");
    const char *rows = MINIMAL "grid:\n  shape: [0, 2]\n";
    EXPECT_ERROR(rows, NULL, "grid.shape[0]: rows must be a positive integer, got 0", "0, 2");
    const char *square = MINIMAL "grid:\n  shape: square\n";
    EXPECT_ERROR(square, NULL, "grid.shape: must be auto or [rows, cols]", "square");
    const char *block = MINIMAL "grid:\n  block: -64\n";
    EXPECT_ERROR(block, NULL, "grid.block: must be a positive integer, got -64", "-64");
    /* less than pdsyevd computes is honoured (it keeps what was asked) */
    const char *top = MINIMAL "spectrum:\n  solver: pdsyevd\n  top: 5\n";
    EXPECT_OK(top, NULL);
    const char *values_only = MINIMAL "spectrum:\n  vectors: false\n  solver: pdsyevd\n";
    EXPECT_OK(values_only, NULL);
    const char *solver = MINIMAL "spectrum:\n  solver: dsyev\n";
    EXPECT_ERROR(solver, NULL, "spectrum.solver: unknown value 'dsyev' (expected auto, pdsyevd, "
                               "pdsyevr, none, matrix_free, elpa, elpa1, lapack)", "dsyev");
    /* ELPA's solvers parse when built with it, and are refused by name
     * (pointing at the value) when not. */
    const char *elpa = MINIMAL "spectrum:\n  solver: elpa\n";
    const char *elpa1 = MINIMAL "spectrum:\n  solver: elpa1\n";
#ifdef NTK_HAVE_ELPA
    EXPECT_OK(elpa, NULL);
    EXPECT_OK(elpa1, NULL);
#else
    EXPECT_ERROR(elpa, NULL, "spectrum.solver: elpa needs ELPA, but this ntkgram was built "
                             "without it", "elpa");
    EXPECT_ERROR(elpa1, NULL, "spectrum.solver: elpa1 needs ELPA, but this ntkgram was built "
                              "without it", "elpa1");
#endif
    const char *lapack = MINIMAL "spectrum:\n  solver: lapack\n  vectors: false\n";
    EXPECT_OK(lapack, NULL);
    const char *negative_top = MINIMAL "spectrum:\n  top: -1\n";
    EXPECT_ERROR(negative_top, NULL, "spectrum.top: must be an integer >= 0 (0 = all), got -1",
                 "-1");
    const char *steps = MINIMAL "dynamics:\n  steps: [1, -1]\n";
    EXPECT_ERROR(steps, NULL, "dynamics.steps[1]: must be an integer >= 0, got -1", "-1");
    const char *rate = MINIMAL "dynamics:\n  learning_rate: -0.5\n";
    EXPECT_ERROR(rate, NULL, "dynamics.learning_rate: must be a number > 0, got -0.5", "-0.5");
    const char *no_steps = MINIMAL "dynamics:\n  steps: 10\n";
    EXPECT_ERROR(no_steps, NULL, "dynamics.steps: must be a non-empty list", "10");
    const char *theta = MINIMAL "output:\n  theta: yes\n";
    EXPECT_ERROR(theta, NULL, "output.theta: must be true or false, got 'yes'", "yes");
    const char *dir = MINIMAL "output:\n  dir: [a]\n";
    EXPECT_ERROR(dir, NULL, "output.dir: must be a non-empty string, got a list", "[a]");
    const char *vectors = MINIMAL "spectrum:\n  vectors: false\noutput:\n  eigenvectors: true\n";
    EXPECT_ERROR(vectors, NULL, "output.eigenvectors: needs eigenvectors, but spectrum.vectors is "
                                "false", "true");
    const char *training = MINIMAL "training:\n  steps: 0\n";
    EXPECT_ERROR(training, NULL, "training.steps: must be a positive integer, got 0", "0\n");
    const char *training_true = MINIMAL "training: true\n";
    EXPECT_ERROR(training_true, NULL, "training: must be a mapping such as {steps: 1000} (or "
                                      "false), got true", "true");
    const char *training_key = MINIMAL "training:\n  epochs: 3\n";
    EXPECT_ERROR(training_key, NULL, "training.epochs: unknown key 'epochs' (expected one of "
                                     "steps, learning_rate, record_every, kernel_after, "
                                     "kernel_every, mode_every, modes)", "epochs");
    const char *every = MINIMAL "checkpoint:\n  every: 5x\n";
    EXPECT_ERROR(every, NULL, "checkpoint.every: must be a duration such as 90s, 10m, 2h or a "
                              "number of seconds >= 0, got '5x'", "5x");
    const char *negative_every = MINIMAL "checkpoint:\n  every: -10\n";
    EXPECT_ERROR(negative_every, NULL, "checkpoint.every: must be a duration", "-10");
}

static void test_sweep_errors(void)
{
    const char *typo = MINIMAL "sweep:\n  model.sed: [1, 2]\n";
    EXPECT_ERROR(typo, NULL,
                 "sweep.model.sed[0]: unknown key 'sed' (expected one of layers, parameterization",
                 "1, 2]");
    const char *bad_value = MINIMAL "sweep:\n  model.layers[0].dense: [8, -1]\n";
    EXPECT_ERROR(bad_value, NULL,
                 "sweep.model.layers[0].dense[1]: width must be a positive integer, got -1",
                 "-1]");
    const char *out_of_range = MINIMAL "sweep:\n  model.layers[7].dense: [8]\n";
    EXPECT_ERROR(out_of_range, NULL,
                 "sweep.model.layers[7].dense[0]: index 7 is out of range ('model.layers' has 3 "
                 "items)",
                 "8]");
    const char *cross = MINIMAL "kernel:\n  kind: analytic\nsweep:\n"
                                "  model.parameterization: [ntk, standard]\n";
    EXPECT_ERROR(cross, NULL,
                 "sweep.model.parameterization[1]: kernel.kind: the analytic (infinite-width) "
                 "kernel needs model.parameterization: ntk",
                 "standard]");
    const char *empty = MINIMAL "sweep:\n  model.seed: []\n";
    EXPECT_ERROR(empty, NULL, "sweep.model.seed: must be a non-empty list of values, got an "
                              "empty list", "[]");
    const char *nested = MINIMAL "sweep:\n  model.seed: [[1, 2]]\n";
    /* a list is a value (model.layers may be swept), checked as the key's own */
    EXPECT_ERROR(nested, NULL, "sweep.model.seed[0]: must be an integer >= 0, got a list",
                 "[1, 2]]");
    const char *bad_path = MINIMAL "sweep:\n  model..seed: [1]\n";
    EXPECT_ERROR(bad_path, NULL, "sweep.model..seed: not a key path", "model..seed");
    const char *scalar = MINIMAL "sweep: 3\n";
    EXPECT_ERROR(scalar, NULL, "sweep: must be a mapping of key paths to lists of values", "3\n");
}

static void test_override_errors(void)
{
    const char *out_of_range[] = {"model.layers[5].dense=3", NULL};
    EXPECT_ERROR(MINIMAL, out_of_range,
                 "--set model.layers[5].dense: index 5 is out of range ('model.layers' has 3 items)",
                 NULL);
    const char *negative[] = {"model.w_std=-1", NULL};
    EXPECT_ERROR(MINIMAL, negative, "--set model.w_std: must be a number > 0, got -1", NULL);
    load(MINIMAL, negative);
    CHECK(strcmp(ntk_error_message(), "--set model.w_std: must be a number > 0, got -1") == 0,
          "whole --set message: %s", ntk_error_message());
    ntk_error_clear();
    const char *unknown[] = {"output.thta=true", NULL};
    EXPECT_ERROR(MINIMAL, unknown, "--set output.thta: unknown key 'thta'", NULL);
    const char *syntax[] = {"model.layers=[{dense: 4}", NULL};
    EXPECT_ERROR(MINIMAL, syntax, "--set model.layers: YAML syntax error in the value", NULL);
    const char *not_list[] = {"model.seed[0]=1", NULL};
    EXPECT_ERROR(MINIMAL, not_list,
                 "--set model.seed[0]: 'model.seed' is not in the job, so it has no list items",
                 NULL);
    EXPECT_ERROR(MINIMAL "  seed: 3\n", not_list,
                 "--set model.seed[0]: 'model.seed' holds '3', not a list", NULL);
    const char *layers[] = {"model.layers=[relu, {dense: 1}]", NULL};
    EXPECT_ERROR(MINIMAL, layers, "--set model.layers: model.layers[0]: the first layer must be "
                                  "dense", NULL);

    ntk_override parsed;
    ntk_error_clear();
    CHECK(job_parse_override("model.seed", &parsed) == NTK_ERR_USAGE, "no '=' is a usage error");
    CHECK(strstr(ntk_error_message(), "--set model.seed: expected key.path=value") != NULL,
          "no '=' message: %s", ntk_error_message());
    ntk_error_clear();
    CHECK(job_parse_override("model..seed=1", &parsed) == NTK_ERR_USAGE, "bad key path");
    CHECK(strstr(ntk_error_message(), "--set model..seed: not a key path") != NULL,
          "bad key path message: %s", ntk_error_message());
    ntk_error_clear();
    CHECK(job_parse_override("model.layers[x].dense=1", &parsed) == NTK_ERR_USAGE,
          "bad index");
    ntk_error_clear();
    CHECK(job_parse_override("model.layers[2].dense = 64", &parsed) == NTK_OK &&
              strcmp(parsed.key, "model.layers[2].dense") == 0 && strcmp(parsed.value, "64") == 0,
          "spaces around '=': key '%s' value '%s'", parsed.key, parsed.value);
    CHECK(job_parse_override("output.dir=a=b", &parsed) == NTK_OK &&
              strcmp(parsed.value, "a=b") == 0,
          "value keeps later '=': %s", parsed.value);
}

/* ---- successful loads ---- */

static void test_defaults(void)
{
    EXPECT_OK(MINIMAL, NULL);
    CHECK(strcmp(job.name, "job") == 0, "name defaults to the file name: %s", job.name);
    CHECK(job.inputs.kind == NTK_SOURCE_SYNTHETIC && job.inputs.synthetic == NTK_SYNTH_GAUSSIAN &&
              job.inputs.n == 8 && job.inputs.dim == 3 && job.inputs.seed == 0,
          "synthetic inputs");
    CHECK(job.inputs.where.line == 2 && job.inputs.where.column == 11, "inputs at 2:11, got %d:%d",
          job.inputs.where.line, job.inputs.where.column);
    CHECK(job.targets.kind == NTK_SOURCE_NONE, "no targets");
    CHECK(job.model.n_dense == 2 && job.model.width[0] == 16 && job.model.width[1] == 1,
          "two dense layers");
    CHECK(job.model.act[0] == NTK_ACT_RELU && job.model.act[1] == NTK_ACT_IDENTITY,
          "relu then identity");
    CHECK(job.model.layer_where[0].line == 4 && job.model.layer_where[0].column == 12 &&
              job.model.layer_where[1].column == 31,
          "layer positions %d:%d, %d", job.model.layer_where[0].line,
          job.model.layer_where[0].column, job.model.layer_where[1].column);
    CHECK(job.model.where.line == 3 && job.model.where.column == 1, "model key at 3:1");
    CHECK(job.model.parameterization == NTK_PARAM_NTK && job.model.w_std == 1.0 &&
              job.model.b_std == 0.0 && job.model.seed == 0 && job.model.weights_path[0] == '\0',
          "model defaults");
    CHECK(job.kernel.kind == NTK_KIND_EMPIRICAL && job.kernel.method == NTK_METHOD_AUTO &&
              job.kernel.outputs == NTK_OUTPUTS_TRACE && job.kernel.nngp == 0 &&
              job.kernel.quadrature_order == 32 && job.kernel.jacobian_chunk == 8192,
          "kernel defaults");
    CHECK(job.grid.block == 64 && job.grid.rows == 0 && job.grid.cols == 0, "grid defaults");
    CHECK(strcmp(job.grid.shape_where.file, job_file) == 0 && job.grid.shape_where.line == 0,
          "absent grid.shape points at the file: %s:%d", job.grid.shape_where.file,
          job.grid.shape_where.line);
    CHECK(job.spectrum.solver == NTK_SOLVER_AUTO && job.spectrum.vectors == 1 &&
              job.spectrum.top == 0,
          "spectrum defaults");
    static const int64_t steps[] = {0, 1, 10, 100, 1000, 10000};
    CHECK(job.dynamics.learning_rate == 1.0 && job.dynamics.n_steps == 6 &&
              memcmp(job.dynamics.steps, steps, sizeof steps) == 0,
          "dynamics defaults");
    CHECK(strcmp(job.output.dir, "ntkgram-out") == 0 && job.output.theta == 0 &&
              job.output.eigenvectors == 1 && job.output.plot == 1 && job.output.params == 0,
          "output defaults");
    CHECK(job.training.enabled == 0, "no training");
    CHECK(job.checkpoint.every_seconds == 0 &&
              strcmp(job.checkpoint.dir, "ntkgram-out/checkpoint") == 0,
          "checkpoint defaults: %g %s", job.checkpoint.every_seconds, job.checkpoint.dir);
    CHECK(job.sweep.n_keys == 0 && job.n_overrides == 0, "no sweep, no overrides");

    /* Values spelled in other valid ways. */
    const char *spelled = "name: '123'\n"
                          "data:\n  inputs: {synthetic: sphere, n: 1e3, dim: 4.0, seed: 7}\n"
                          "  targets: {synthetic: sine, seed: 2}\n"
                          "model:\n  layers: [{dense: 2}]\n  b_std: 0\n  w_std: 2\n"
                          "kernel:\n  nngp: True\n"
                          "output:\n  theta: TRUE\n"
                          "grid:\n  shape: [1, 2]\n"
                          "spectrum:\n  vectors: false\n"
                          "training:\n"
                          "checkpoint:\n  every: 1h30m\n";
    EXPECT_OK(spelled, NULL);
    CHECK(strcmp(job.name, "123") == 0, "quoted name");
    CHECK(job.inputs.n == 1000 && job.inputs.dim == 4 && job.inputs.seed == 7,
          "integral numbers as integers");
    CHECK(job.targets.kind == NTK_SOURCE_SYNTHETIC && job.targets.synthetic == NTK_SYNTH_SINE &&
              job.targets.seed == 2,
          "sine targets");
    CHECK(job.model.n_dense == 1 && job.model.act[0] == NTK_ACT_IDENTITY, "one dense layer");
    CHECK(job.model.w_std == 2.0, "w_std");
    CHECK(job.kernel.nngp == 1 && job.output.theta == 1, "True and TRUE");
    CHECK(job.grid.rows == 1 && job.grid.cols == 2, "grid shape");
    CHECK(job.grid.shape_where.line == 14 && job.grid.shape_where.column == 10,
          "shape position %d:%d", job.grid.shape_where.line, job.grid.shape_where.column);
    CHECK(job.output.eigenvectors == 0, "eigenvectors follow spectrum.vectors");
    CHECK(job.training.enabled == 1 && job.training.steps == 1000 &&
              job.training.record_every == 10 && job.training.learning_rate == 1.0 &&
              job.training.kernel_after == 0,
          "training: with no value means defaults");
    CHECK(job.checkpoint.every_seconds == 5400, "1h30m = 5400 s, got %g",
          job.checkpoint.every_seconds);
}

static void test_paths(void)
{
    const char *files = "data:\n  inputs: sets/points.NPY\n  targets: /abs/y.csv\n"
                        "model:\n  layers: [{dense: 2}]\n  weights: w.safetensors\n";
    EXPECT_OK(files, NULL);
    char expected[PATH_MAX + 64];
    snprintf(expected, sizeof expected, "%s/sets/points.NPY", folder);
    CHECK(job.inputs.kind == NTK_SOURCE_NPY && strcmp(job.inputs.path, expected) == 0,
          "inputs resolved beside the job: %s", job.inputs.path);
    CHECK(job.targets.kind == NTK_SOURCE_CSV && strcmp(job.targets.path, "/abs/y.csv") == 0,
          "absolute targets kept: %s", job.targets.path);
    snprintf(expected, sizeof expected, "%s/w.safetensors", folder);
    CHECK(strcmp(job.model.weights_path, expected) == 0, "weights resolved: %s",
          job.model.weights_path);
}

static void test_overrides(void)
{
    const char *sets[] = {"model.layers[0].dense=128",
                          "output.theta=true",
                          "grid.shape=[2, 1]",
                          "training.steps=5",
                          "model.layers[1]=tanh",
                          "output.dir=runs/a",
                          "name='007'",
                          "dynamics.steps=[3, 4]",
                          "model.seed=11",
                          "model.seed=12",
                          /* training needs targets (job_rules.h) */
                          "data.targets={synthetic: sine}",
                          NULL};
    EXPECT_OK(MINIMAL, sets);
    CHECK(job.model.width[0] == 128, "list item override: %lld", (long long)job.model.width[0]);
    CHECK(job.model.act[0] == NTK_ACT_TANH, "activation item override");
    CHECK(job.output.theta == 1, "created output.theta");
    CHECK(job.grid.rows == 2 && job.grid.cols == 1, "flow list override");
    CHECK(strcmp(job.grid.shape_where.file, "--set grid.shape") == 0 &&
              job.grid.shape_where.line == 0,
          "override location: %s", job.grid.shape_where.file);
    char where[512];
    CHECK(strcmp(job_location_text(&job.grid.shape_where, where, sizeof where),
                 "--set grid.shape") == 0,
          "location text of an override");
    CHECK(job.training.enabled == 1 && job.training.steps == 5, "created training.steps");
    CHECK(strcmp(job.output.dir, "runs/a") == 0 &&
              strcmp(job.checkpoint.dir, "runs/a/checkpoint") == 0,
          "checkpoint.dir follows the final output.dir: %s", job.checkpoint.dir);
    CHECK(strcmp(job.name, "007") == 0, "quoted override stays a string");
    CHECK(job.dynamics.n_steps == 2 && job.dynamics.steps[1] == 4, "steps list");
    CHECK(job.model.seed == 12, "a later override wins");
    CHECK(job.n_overrides == 11 && strcmp(job.overrides[3].key, "training.steps") == 0,
          "overrides recorded");

    /* A whole new layer list; null sections become mappings. */
    const char *layers[] = {"model.layers=[{dense: 4}, erf, {dense: 4}, gelu, {dense: 3}]",
                            "kernel.outputs=full", NULL};
    EXPECT_OK(MINIMAL "output:\n", layers);
    CHECK(job.model.n_dense == 3 && job.model.act[1] == NTK_ACT_GELU && job.model.width[2] == 3,
          "layers replaced");
    CHECK(job.kernel.outputs == NTK_OUTPUTS_FULL, "created kernel mapping");
    const char *switch_off[] = {"training=false", "data.targets=", NULL};
    EXPECT_OK("data:\n  inputs: x.csv\n  targets: {synthetic: sine}\n"
              "model:\n  layers: [{dense: 1}]\ntraining: {steps: 3}\n",
              switch_off);
    CHECK(job.training.enabled == 0 && job.targets.kind == NTK_SOURCE_NONE,
          "training=false and an empty targets value switch them off");
    const char *into_null[] = {"output.plot=false", NULL};
    EXPECT_OK(MINIMAL "output:\n", into_null);
    CHECK(job.output.plot == 0, "key set inside a null section");
}

static void test_sweep(void)
{
    const char *sweep = MINIMAL "sweep:\n"
                                "  model.layers[0].dense: [64, 256, 1024]\n"
                                "  model.seed: [0, 1]\n"
                                "  name: ['it''s', plain]\n";
    EXPECT_OK(sweep, NULL);
    CHECK(job.sweep.n_keys == 3, "three sweep keys");
    CHECK(strcmp(job.sweep.key[0], "model.layers[0].dense") == 0 && job.sweep.n_values[0] == 3 &&
              strcmp(job.sweep.value[0][2], "1024") == 0,
          "first key values");
    CHECK(strcmp(job.sweep.key[1], "model.seed") == 0 && job.sweep.n_values[1] == 2,
          "second key");
    CHECK(strcmp(job.sweep.value[2][0], "'it''s'") == 0 && strcmp(job.sweep.value[2][1], "plain") == 0,
          "quoted values stay quoted YAML: %s", job.sweep.value[2][0]);
    CHECK(job.sweep.where.line == 6 && job.sweep.where.column == 3, "sweep position %d:%d",
          job.sweep.where.line, job.sweep.where.column);
    CHECK(job.model.width[0] == 16, "the base job is not swept");

    /* A sweep point is an override: applying each stored value works. */
    ntk_override point[2];
    snprintf(point[0].key, sizeof point[0].key, "%s", job.sweep.key[0]);
    snprintf(point[0].value, sizeof point[0].value, "%s", job.sweep.value[0][1]);
    snprintf(point[1].key, sizeof point[1].key, "%s", job.sweep.key[2]);
    snprintf(point[1].value, sizeof point[1].value, "%s", job.sweep.value[2][0]);
    ntk_error_clear();
    ntk_status status = job_load(job_file, point, 2, &job);
    CHECK(status == NTK_OK && job.model.width[0] == 256 && strcmp(job.name, "it's") == 0,
          "sweep point as overrides: %s", ntk_error_message());
}

static void test_durations(void)
{
    static const struct {
        const char *text;
        double seconds;
    } good[] = {{"90s", 90}, {"10m", 600}, {"2h", 7200}, {"1d", 86400}, {"1h30m", 5400},
                {"45", 45},  {"2.5", 2.5}, {"0", 0},     {"0.5h", 1800}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; ++i) {
        double seconds = -1;
        CHECK(job_text_to_duration(good[i].text, &seconds) && seconds == good[i].seconds,
              "duration %s = %g, got %g", good[i].text, good[i].seconds, seconds);
    }
    static const char *const bad[] = {"", "5x", "-1", "1h30", "h", "10 m", "1e3", "inf", "s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        double seconds = 0;
        CHECK(!job_text_to_duration(bad[i], &seconds), "'%s' is not a duration", bad[i]);
    }
    EXPECT_OK(MINIMAL "checkpoint:\n  every: 10m\n  dir: /scratch/ck\n", NULL);
    CHECK(job.checkpoint.every_seconds == 600 && strcmp(job.checkpoint.dir, "/scratch/ck") == 0,
          "checkpoint keys");
    EXPECT_OK(MINIMAL "checkpoint:\n  every: 30\n", NULL);
    CHECK(job.checkpoint.every_seconds == 30, "plain seconds");

    int64_t integer = 0;
    double number = 0;
    int flag = 0;
    CHECK(job_text_to_int("-12", &integer) && integer == -12, "int");
    CHECK(job_text_to_int("2e3", &integer) && integer == 2000, "integral float");
    CHECK(!job_text_to_int("2.5", &integer) && !job_text_to_int("3 ", &integer) &&
              !job_text_to_int("0x10", &integer) && !job_text_to_int("", &integer),
          "not integers");
    CHECK(job_text_to_number("1.5e-3", &number) && number == 1.5e-3, "number");
    CHECK(!job_text_to_number("inf", &number) && !job_text_to_number("nan", &number) &&
              !job_text_to_number("1,5", &number) && !job_text_to_number("0x1p3", &number),
          "not numbers");
    CHECK(job_text_to_bool("false", &flag) && flag == 0 && !job_text_to_bool("yes", &flag) &&
              !job_text_to_bool("on", &flag) && !job_text_to_bool("1", &flag),
          "YAML 1.2 booleans only");
}

/* Echo the job, reload the echo, and compare hash and echo text. */
static void round_trip(int source_line, const char *yaml, const char *const *sets)
{
    expect_ok_at(source_line, yaml, sets);
    uint64_t first_hash = job_hash(&job);
    char echo_path[PATH_MAX + 64], second_path[PATH_MAX + 64];
    snprintf(echo_path, sizeof echo_path, "%s/echo.yaml", folder);
    snprintf(second_path, sizeof second_path, "%s/echo2.yaml", folder);
    FILE *out = fopen(echo_path, "w");
    job_echo_yaml(&job, out, 0);
    fclose(out);
    static ntk_job reloaded;
    ntk_error_clear();
    ntk_status status = job_load(echo_path, NULL, 0, &reloaded);
    ++checks;
    if (status != NTK_OK) {
        ++failures;
        fprintf(stderr, "FAIL line %d: the echo does not load: %s\n", source_line,
                ntk_error_message());
        return;
    }
    CHECK(job_hash(&reloaded) == first_hash, "line %d: hash changes through the echo",
          source_line);
    CHECK(strcmp(reloaded.name, job.name) == 0, "line %d: name through the echo", source_line);
    out = fopen(second_path, "w");
    job_echo_yaml(&reloaded, out, 0);
    fclose(out);
    /* The echo of the echo is the same text. */
    char a[16384] = "", b[16384] = "";
    FILE *fa = fopen(echo_path, "r"), *fb = fopen(second_path, "r");
    size_t na = fread(a, 1, sizeof a - 1, fa), nb = fread(b, 1, sizeof b - 1, fb);
    fclose(fa);
    fclose(fb);
    a[na] = b[nb] = '\0';
    CHECK(na == nb && strcmp(a, b) == 0, "line %d: echo is not a fixed point:\n%s\n---\n%s",
          source_line, a, b);
}

static void test_echo_and_hash(void)
{
    round_trip(__LINE__, MINIMAL, NULL);
    char data_path[PATH_MAX + 64];
    snprintf(data_path, sizeof data_path, "%s/x.npy", folder);
    write_text(data_path, "not really npy, but a file with a size");
    const char *rich = "name: \"a \\\"quoted\\\" name: true\"\n"
                       "data:\n  inputs: x.npy\n  targets: {synthetic: gaussian, seed: 4}\n"
                       "model:\n  layers: [{dense: 5}, erf, {dense: 3}, gelu, {dense: 2}]\n"
                       "  parameterization: standard\n  w_std: 0.1\n  b_std: 1e-3\n  seed: 9\n"
                       "kernel: {method: jacobian, outputs: full, jacobian_chunk: 100}\n"
                       "grid: {block: 8, shape: [1, 1]}\n"
                       "spectrum: {solver: pdsyevr, vectors: false, top: 3}\n"
                       "dynamics: {learning_rate: 0.3, steps: [5]}\n"
                       "output: {dir: 'true', theta: true, plot: false, params: true}\n"
                       "training: {steps: 7, learning_rate: 0.05, record_every: 2, "
                       "kernel_after: true}\n"
                       "checkpoint: {every: 2h}\n"
                       "sweep: {model.seed: [1, 2], output.dir: ['a b', \"c\"]}\n";
    /* diagnostics, and a sweep with a zip and a whole list as a value */
    const char *diagnostics =
        "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n  targets: {synthetic: sine}\n"
        "model:\n  layers: [{dense: 16}, relu, {dense: 16}, relu, {dense: 1}]\n"
        "diagnostics: {alignment: true, learning_curve: [2, 8], learning_curve_repeats: 3,\n"
        "  learning_curve_seed: 4, learning_curve_ridge: 0.5}\n"
        "sweep:\n  model.seed: [1, 2]\n  zip:\n    model.layers[0].dense: [4, 8]\n"
        "    model.layers: [[{dense: 4}, relu, {dense: 1}], [{dense: 8}, tanh, {dense: 1}]]\n";
    round_trip(__LINE__, diagnostics, NULL);
    CHECK(job.diagnostics.enabled && job.diagnostics.alignment &&
              job.diagnostics.n_curve_sizes == 2 && job.diagnostics.curve_sizes[1] == 8 &&
              job.diagnostics.curve_repeats == 3 && job.diagnostics.curve_seed == 4 &&
              job.diagnostics.curve_ridge == 0.5,
          "diagnostics keys read");
    CHECK(job.sweep.n_keys == 3 && job.sweep.n_axes == 2 && job.sweep.axis[2] == 1 &&
              job.sweep.zipped[2] &&
              strcmp(job.sweep.value[2][1], "[{dense: 8}, tanh, {dense: 1}]") == 0,
          "zip and list values: %d keys, %d axes, value '%s'", job.sweep.n_keys,
          job.sweep.n_axes, job.sweep.value[2][1]);
    /* Residual and parallel blocks (model/branch.h) echo back nested and
     * keep their hash; the structure is hashed (a residual differs from the
     * parallel sum of the same branches, an identity shortcut from none). */
    const char *blocks =
        "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
        "model:\n  layers: [{dense: 4}, relu, {residual: {body: [{dense: 4}, tanh, "
        "{residual: {body: [{dense: 4}], shortcut: [{dense: {width: 4, bias: false}}]}}]}}, "
        "{parallel: {branches: [[{dense: 2}, relu], [], [{dense: {width: 3, name: p.2}}]], "
        "merge: concat}}, {dense: 1}]\n";
    round_trip(__LINE__, blocks, NULL);
    CHECK(job.model.n_layers == 20 && job.model.layers[2].ops->branch == NTK_BRANCH_FORK &&
              job.model.layers[7].ops->branch == NTK_BRANCH_NEXT &&
              job.model.layers[9].ops->branch == NTK_BRANCH_JOIN &&
              job.model.layers[11].ops->branch == NTK_BRANCH_JOIN &&
              job.model.layers[16].ops->branch == NTK_BRANCH_NEXT &&
              job.model.layers[18].ops->branch == NTK_BRANCH_JOIN &&
              job.model.layers[18].option[0] == NTK_MERGE_CONCAT,
          "blocks lowered into branch layers: %d entries", job.model.n_layers);
    const char *residual_job = "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
                               "model:\n  layers: [{dense: 4}, {residual: {body: [{dense: 4}], "
                               "shortcut: [{dense: 4}]}}, {dense: 1}]\n";
    round_trip(__LINE__, residual_job, NULL);
    const uint64_t residual_hash = job_hash(&job);
    EXPECT_OK("data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
              "model:\n  layers: [{dense: 4}, {parallel: {branches: [[{dense: 4}], [{dense: 4}]], "
              "merge: sum}}, {dense: 1}]\n", NULL);
    CHECK(job_hash(&job) != residual_hash, "a parallel sum hashes apart from a residual");
    round_trip(__LINE__, "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
               "model:\n  layers: [{dense: 4}, {residual: {body: [{dense: 4}], shortcut: []}}, "
               "{dense: 1}]\n", NULL);
    const uint64_t identity_hash = job_hash(&job);
    EXPECT_OK("data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
              "model:\n  layers: [{dense: 4}, {dense: 4}, {dense: 1}]\n", NULL);
    CHECK(job_hash(&job) != identity_hash, "a residual hashes apart from its body alone");
    /* kernel.precision: float64 (its default) hashes as a job without the
     * key, as every job did before it existed; mixed changes Theta's bits,
     * so it hashes apart, and round-trips through the echo. */
    const char *plain_job = "data:\n  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"
                            "model:\n  layers: [{dense: 4}, relu, {dense: 1}]\n";
    EXPECT_OK(plain_job, NULL);
    const uint64_t plain_hash = job_hash(&job);
    const char *float64_set[] = {"kernel.precision=float64", NULL};
    EXPECT_OK(plain_job, float64_set);
    CHECK(job_hash(&job) == plain_hash, "kernel.precision float64 changes the hash");
    const char *mixed_set[] = {"kernel.precision=mixed", NULL};
    round_trip(__LINE__, plain_job, mixed_set);
    CHECK(job.kernel.precision == NTK_PRECISION_MIXED && job_hash(&job) != plain_hash,
          "kernel.precision mixed: %d, hashed apart from float64", (int)job.kernel.precision);
    round_trip(__LINE__, rich, NULL);
    CHECK(strcmp(job.name, "a \"quoted\" name: true") == 0, "name with quotes: %s", job.name);
    CHECK(strcmp(job.output.dir, "true") == 0, "dir named true stays a string");
    uint64_t rich_hash = job_hash(&job);

    /* The echo indented under another key is still valid nesting. */
    char echo_path[PATH_MAX + 64];
    snprintf(echo_path, sizeof echo_path, "%s/nested.txt", folder);
    FILE *out = fopen(echo_path, "w");
    job_echo_yaml(&job, out, 4);
    fclose(out);
    FILE *in = fopen(echo_path, "r");
    char line[4096];
    int indented = 1, lines = 0;
    while (fgets(line, sizeof line, in) != NULL) {
        indented &= strncmp(line, "    ", 4) == 0;
        ++lines;
    }
    fclose(in);
    CHECK(indented && lines > 30, "indented echo (%d lines)", lines);

    /* What determines Theta changes the hash; what does not, does not. */
    const char *other_seed[] = {"model.seed=10", NULL};
    EXPECT_OK(rich, other_seed);
    CHECK(job_hash(&job) != rich_hash, "model.seed changes the hash");
    const char *other_outputs[] = {"output.dir=elsewhere", "data.targets={synthetic: sine}",
                                   "dynamics.learning_rate=2", "spectrum.top=1", NULL};
    EXPECT_OK(rich, other_outputs);
    CHECK(job_hash(&job) == rich_hash, "outputs, targets, dynamics, spectrum leave the hash");
    const char *other_block[] = {"grid.block=16", NULL};
    EXPECT_OK(rich, other_block);
    CHECK(job_hash(&job) != rich_hash, "grid.block changes the hash");
    const char *other_width[] = {"model.layers[2].dense=4", NULL};
    EXPECT_OK(rich, other_width);
    CHECK(job_hash(&job) != rich_hash, "a width changes the hash");
    write_text(data_path, "a different data file content");
    EXPECT_OK(rich, NULL);
    CHECK(job_hash(&job) != rich_hash, "a changed data file changes the hash");
    uint64_t changed = job_hash(&job);
    EXPECT_OK(rich, NULL);
    CHECK(job_hash(&job) == changed, "the hash is stable");
    printf("job hash of the rich job: %016llx\n", (unsigned long long)changed);
}

/* Every job enum has one name table: names and values are unique, and what
 * the parser reads for a name is the value the echo names again. */
typedef enum { FIELD_NONE, FIELD_OUTPUTS, FIELD_METHOD, FIELD_KIND, FIELD_SOLVER,
               FIELD_PARAMETERIZATION } enum_field;

static int parsed_value(enum_field field)
{
    switch (field) {
    case FIELD_OUTPUTS: return (int)job.kernel.outputs;
    case FIELD_METHOD: return (int)job.kernel.method;
    case FIELD_KIND: return (int)job.kernel.kind;
    case FIELD_SOLVER: return (int)job.spectrum.solver;
    case FIELD_PARAMETERIZATION: return (int)job.model.parameterization;
    default: return -1;
    }
}

static void check_table_round_trip(const char *what, const ntk_choice_table *table,
                                   const char *key, enum_field field)
{
    for (int i = 0; i < table->count; ++i) {
        const ntk_choice *entry = &table->entries[i];
        for (int j = 0; j < i; ++j)
            CHECK(strcmp(table->entries[j].name, entry->name) != 0 &&
                      table->entries[j].value != entry->value,
                  "%s: entries %d and %d repeat a name or value", what, j, i);
        CHECK(strcmp(ntk_choice_name(table, entry->value), entry->name) == 0,
              "%s: value %d names %s, expected %s", what, entry->value,
              ntk_choice_name(table, entry->value), entry->name);
        if (key == NULL)
            continue;
        char set[128];
        snprintf(set, sizeof set, "%s=%s", key, entry->name);
        /* matrix_free needs spectrum.top */
        const char *sets[] = {set, strcmp(entry->name, "matrix_free") == 0 ? "spectrum.top=1" : NULL,
                              NULL};
        EXPECT_OK(MINIMAL, sets);
        CHECK(parsed_value(field) == entry->value, "%s: '%s' parsed as %d, expected %d", what,
              entry->name, parsed_value(field), entry->value);
    }
}

/* The job hash names checkpoints and sweep points of earlier runs: these
 * values were computed by the reader before the key tables drove it, and
 * must never change (a change strands every checkpoint and sweep folder). */
static void test_pinned_hash(void)
{
    EXPECT_OK("data:\n  inputs: {synthetic: sphere, n: 6, dim: 3, seed: 4}\n"
              "  targets: {synthetic: sine, seed: 2}\n"
              "model:\n  layers: [{dense: 5}, tanh, {dense: 2}]\n  parameterization: standard\n"
              "  w_std: 1.5\n  b_std: 0.25\n  seed: 9\n"
              "kernel:\n  method: jacobian\n  outputs: full\n  jacobian_chunk: 7\n  chunk_mib: 3\n"
              "grid:\n  block: 2\n  shape: [1, 1]\n"
              "spectrum:\n  solver: none\n",
              NULL);
    CHECK(job_hash(&job) == UINT64_C(0xc225d823b38d60ba), "pinned hash of a dense job: %016llx",
          (unsigned long long)job_hash(&job));
    EXPECT_OK("data:\n  inputs: {synthetic: gaussian, n: 4, shape: [4, 4, 2], seed: 1}\n"
              "model:\n  layers: [{conv: {channels: 3, kernel: 3, stride: 1, padding: same}}, "
              "relu, global_avg_pool, {dense: 1}]\n"
              "kernel:\n  kind: empirical\n  quadrature_order: 16\n"
              "spectrum:\n  solver: none\n",
              NULL);
    CHECK(job_hash(&job) == UINT64_C(0xbc7dd7fd63a538ec), "pinned hash of a conv job: %016llx",
          (unsigned long long)job_hash(&job));
}

static void test_enum_names(void)
{
    check_table_round_trip("outputs", &kernel_outputs_names, "kernel.outputs",
                           FIELD_OUTPUTS);
    check_table_round_trip("method", &kernel_method_names, "kernel.method", FIELD_METHOD);
    check_table_round_trip("kind", &kernel_kind_names, "kernel.kind", FIELD_KIND);
    check_table_round_trip("solver", &spectrum_solver_names, "spectrum.solver", FIELD_SOLVER);
    check_table_round_trip("parameterization", &model_parameterization_names,
                           "model.parameterization", FIELD_PARAMETERIZATION);
    /* Activation names are the layer registry's (model/activation.h): every
     * one parses back to its own activation. */
    for (int a = 0; a < ntk_activation_count(); ++a) {
        const ntk_activation act = ntk_activation_at(a);
        char set[128];
        snprintf(set, sizeof set, "model.layers[1]=%s", job_activation_name(act));
        const char *sets[] = {set, NULL};
        EXPECT_OK(MINIMAL, sets);
        CHECK(job.model.act[0] == act, "activation '%s' parsed as '%s'", job_activation_name(act),
              job_activation_name(job.model.act[0]));
    }
    check_table_round_trip("synthetic", &data_synthetic_names, NULL, FIELD_NONE);
    const char *sphere[] = {"data.inputs.synthetic=sphere", "data.targets={synthetic: sine}",
                            NULL};
    EXPECT_OK(MINIMAL, sphere);
    CHECK(job.inputs.synthetic == NTK_SYNTH_SPHERE && job.targets.synthetic == NTK_SYNTH_SINE,
          "synthetic kinds: inputs %d, targets %d", (int)job.inputs.synthetic,
          (int)job.targets.synthetic);
    CHECK(strcmp(spectrum_solver_name(NTK_SOLVER_PDSYEVR), "pdsyevr") == 0 &&
              strcmp(job_activation_name(NTK_ACT_GELU), "gelu") == 0,
          "the name functions read the same tables");
}

/* Locations and sweep values are shared text, not buffers inside the job:
 * a copy keeps naming its own file after the original is reloaded. */
/* data.test_inputs / test_targets and predict: defaults, positions, refusals. */
static void test_predict(void)
{
#define HELD_OUT                                                                                \
    "data:\n"                                                                                   \
    "  inputs: {synthetic: gaussian, n: 8, dim: 3}\n"                                           \
    "  targets: {synthetic: sine}\n"                                                            \
    "  test_inputs: {synthetic: sphere, n: 5, dim: 3, seed: 4}\n"                               \
    "  test_targets: {synthetic: sine}\n"                                                       \
    "model:\n"                                                                                  \
    "  layers: [{dense: 16}, relu, {dense: 1}]\n"
    EXPECT_OK(MINIMAL, NULL);
    CHECK(!job.predict.enabled && job.test_inputs.kind == NTK_SOURCE_NONE &&
              job.test_targets.kind == NTK_SOURCE_NONE && !job.output.test_theta,
          "no held-out data by default");
    EXPECT_OK(HELD_OUT "dynamics: {steps: [0, 5, 7]}\npredict: {infinite: false}\n", NULL);
    CHECK(job.predict.enabled && job.predict.n_steps == 3 && job.predict.steps[2] == 7 &&
              !job.predict.infinite && job.predict.ridge == 0.0 && job.predict.cutoff == 1e-10,
          "predict defaults: the steps of dynamics.steps, ridge 0, cutoff 1e-10");
    CHECK(job.test_inputs.kind == NTK_SOURCE_SYNTHETIC && job.test_inputs.n == 5 &&
              job.test_inputs.synthetic == NTK_SYNTH_SPHERE && job.test_inputs.where.line == 4,
          "test inputs read like inputs");
    EXPECT_OK(HELD_OUT "predict: {steps: [1, 2], ridge: 0.5, cutoff: 0.001}\n"
                       "output: {test_theta: true}\n", NULL);
    CHECK(job.predict.n_steps == 2 && job.predict.steps[1] == 2 && job.predict.ridge == 0.5 &&
              job.predict.cutoff == 0.001 && job.output.test_theta && job.predict.infinite,
          "predict keys");
    EXPECT_ERROR(HELD_OUT "predict: {steps: [1], ridg: 1}\n", NULL,
                 "predict.ridg: unknown key 'ridg' (expected one of steps, infinite, ridge, cutoff, "
                 "solver, jitter, f0, operator, preconditioner, preconditioner_rank, "
                 "preconditioner_power, tol, max_iterations, ensemble, ensemble_kernel)",
                 "ridg");
    EXPECT_ERROR(HELD_OUT "predict: {steps: []}\n", NULL, "predict.steps: must be a non-empty list",
                 "[]");
    EXPECT_ERROR(HELD_OUT "predict: {ridge: -1}\n", NULL, "predict.ridge:", "-1");
    EXPECT_ERROR(HELD_OUT "spectrum: {top: 2}\npredict: {steps: [1]}\n", NULL,
                 "predict: needs every eigenpair with its eigenvector, but spectrum.top", "predict");
    EXPECT_ERROR(HELD_OUT "spectrum: {solver: none}\npredict: {solver: eigen}\n", NULL,
                 "predict: needs every eigenpair with its eigenvector, but spectrum.solver is none",
                 "predict");
    /* t = infinity alone needs no eigenpairs: a linear solver (preflight picks it) */
    EXPECT_OK(HELD_OUT "spectrum: {top: 2}\npredict: true\n", NULL);
    CHECK(job.predict.enabled && !job.predict.steps_given && job.predict.solver == NTK_LINEAR_AUTO &&
              job.predict.f0 == NTK_F0_NETWORK && !job.predict.ensemble &&
              job.predict.jitter == 0.0 && !job.predict.jitter_auto,
          "predict.solver defaults: auto, f0 network, no jitter, no ensemble");
    EXPECT_OK(HELD_OUT "spectrum: {solver: none}\n"
                       "predict: {solver: cholesky, jitter: auto, f0: zero}\n", NULL);
    CHECK(job.predict.solver == NTK_LINEAR_CHOLESKY && job.predict.jitter_auto &&
              job.predict.f0 == NTK_F0_ZERO && job.predict.solver_where.line == 9,
          "predict.solver, jitter auto, f0");
    EXPECT_ERROR(HELD_OUT "predict: {ensemble: true}\n", NULL,
                 "predict.ensemble: needs kernel.kind analytic", "true");
    EXPECT_OK(HELD_OUT "predict: {solver: cholesky, jitter: 1.0e-9}\n", NULL);
    CHECK(job.predict.jitter == 1e-9 && !job.predict.jitter_auto, "predict.jitter as a number");
    EXPECT_ERROR(HELD_OUT "predict: {jitter: -1}\n", NULL, "predict.jitter:", "-1");
    EXPECT_ERROR(HELD_OUT "predict: {solver: qr}\n", NULL, "predict.solver:", "qr");
    EXPECT_ERROR(HELD_OUT "predict: {f0: random}\n", NULL, "predict.f0:", "random");
    EXPECT_ERROR(MINIMAL "predict: {}\n", NULL, "predict: needs data.test_inputs", "predict");
    static const char *const no_targets[] = {"data.targets=", NULL};
    static const char *const bad_test[] = {"data.test_inputs={synthetic: gaussian, n: 4}", NULL};
    EXPECT_ERROR(HELD_OUT "predict: {}\n", no_targets,
                 "predict: needs data.targets", "predict");
    EXPECT_ERROR(MINIMAL "output: {test_theta: true}\n", NULL,
                 "output.test_theta: needs data.test_inputs", "true");
    EXPECT_ERROR(HELD_OUT "predict: {}\n", bad_test,
                 "data.test_inputs: synthetic inputs need the key 'dim'", NULL);
#undef HELD_OUT
}

static void test_job_copies(void)
{
    /* 128 layers' options and names (model.layers) are most of it. */
    CHECK(sizeof(ntk_job) < 96 * 1024, "sizeof(ntk_job) is %zu bytes", sizeof(ntk_job));
    static ntk_job copy;
    const char *sets[] = {"grid.shape=[1, 1]", NULL};
    EXPECT_OK(MINIMAL "sweep: {model.seed: [1, 2]}\n", sets);
    copy = job;
    char first_file[PATH_MAX + 64];
    snprintf(first_file, sizeof first_file, "%s", job_file);
    char other_folder[PATH_MAX + 64];
    snprintf(other_folder, sizeof other_folder, "%s/other", folder);
    mkdir(other_folder, 0700);
    char other_file[PATH_MAX + 96];
    snprintf(other_file, sizeof other_file, "%s/other.yaml", other_folder);
    write_text(other_file, MINIMAL "sweep: {model.seed: [7]}\n");
    ntk_error_clear();
    CHECK(job_load(other_file, NULL, 0, &job) == NTK_OK, "load the other job: %s",
          ntk_error_message());
    CHECK(strcmp(copy.model.where.file, first_file) == 0 && copy.model.where.line == 3,
          "the copy's model location: %s:%d", copy.model.where.file, copy.model.where.line);
    CHECK(strcmp(job.model.where.file, other_file) == 0, "the other job's location: %s",
          job.model.where.file);
    CHECK(strcmp(copy.grid.shape_where.file, "--set grid.shape") == 0,
          "the copy's override location: %s", copy.grid.shape_where.file);
    CHECK(copy.sweep.n_values[0] == 2 && strcmp(copy.sweep.value[0][1], "2") == 0 &&
              strcmp(job.sweep.value[0][0], "7") == 0,
          "sweep values: copy %s, other %s", copy.sweep.value[0][1], job.sweep.value[0][0]);
    CHECK(copy.n_overrides == 1 && strcmp(copy.overrides[0].value, "[1, 1]") == 0,
          "the copy's applied override: %s", copy.overrides[0].value);
    unlink(other_file);
    rmdir(other_folder);
}

int main(void)
{
    char relative[] = "job-test-XXXXXX";
    if (mkdtemp(relative) == NULL || realpath(relative, folder) == NULL) {
        perror("scratch folder");
        return 1;
    }
    test_file_errors();
    test_syntax_errors();
    test_key_errors();
    test_data_errors();
    test_model_errors();
    test_required_layer_options();
    test_document_limits();
    test_tiny_numbers();
    test_key_tables();
    test_run_section_errors();
    test_sweep_errors();
    test_override_errors();
    test_defaults();
    test_paths();
    test_overrides();
    test_sweep();
    test_durations();
    test_echo_and_hash();
    test_pinned_hash();
    test_enum_names();
    test_job_copies();
    test_predict();

    const char *names[] = {"job.yaml", "echo.yaml", "echo2.yaml", "nested.txt", "x.npy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", folder, names[i]);
        unlink(path);
    }
    rmdir(folder);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
