/* The effective job written back as YAML (for summary.yaml), the job hash
 * that ties checkpoints to the Theta they hold, and names for messages. */
/* realpath() is an XSI function. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "job/job.h"
#include "core/yaml_number.h"
#include "core/config_keys.h"
#include "job/job_read.h"
#include "model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *bool_name(int value) { return value ? "true" : "false"; }

/* The shortest decimal text that reads back to exactly `value`, as a YAML
 * float every reader loads as a float ("1.0e-10", never "1e-10"). */
static void format_number(double value, char *buffer, size_t size)
{
    ntk_yaml_format_double(buffer, size, value, 0);
}

void job_write_yaml_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* Relative paths were resolved against the job file's folder; written
 * absolute, the echo names the same files from wherever it is read. */
static void write_path(FILE *out, const char *path)
{
    char absolute[NTK_PATH_MAX * 2];
    char cwd[NTK_PATH_MAX];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL) {
        snprintf(absolute, sizeof absolute, "%s/%s", cwd, path);
        job_write_yaml_string(out, absolute);
    } else {
        job_write_yaml_string(out, path);
    }
}

static void line_start(FILE *out, int indent, int level)
{
    fprintf(out, "%*s", indent + 2 * level, "");
}

/* One line of the echo at nesting `level`. */
static void key_line(FILE *out, int indent, int level, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static void key_line(FILE *out, int indent, int level, const char *format, ...)
{
    line_start(out, indent, level);
    va_list args;
    va_start(args, format);
    vfprintf(out, format, args);
    va_end(args);
}

static void write_source(FILE *out, int indent, const char *key, const ntk_data_source *source)
{
    key_line(out, indent, 1, "%s:", key);
    if (source->kind != NTK_SOURCE_SYNTHETIC) {
        fputc(' ', out);
        write_path(out, source->path);
        fputc('\n', out);
        return;
    }
    const char *synthetic = ntk_choice_name(&data_synthetic_names, (int)source->synthetic);
    fputc('\n', out);
    key_line(out, indent, 2, "synthetic: %s\n", synthetic);
    if (source->synthetic != NTK_SYNTH_SINE && source->n > 0) {
        key_line(out, indent, 2, "n: %" PRId64 "\n", source->n);
        key_line(out, indent, 2, "dim: %" PRId64 "\n", source->dim);
        if (source->shape_rank > 0) {
            key_line(out, indent, 2, "shape: [");
            for (int d = 0; d < source->shape_rank; ++d)
                fprintf(out, "%s%" PRId64, d ? ", " : "", source->shape[d]);
            fputs("]\n", out);
        }
    }
    key_line(out, indent, 2, "seed: %" PRIu64 "\n", source->seed);
}

/* One option's value as YAML (model/layer.h, ntk_layer_option). */
static int option_text(const ntk_layer_option *option, const int64_t *values, char *buffer,
                       size_t size)
{
    const int64_t *slot = &values[option->slot];
    if (option->kind == NTK_OPTION_CHOICE)
        return snprintf(buffer, size, "%s", option->choices[slot[0]]);
    if (option->kind == NTK_OPTION_PAIR && slot[0] != slot[1])
        return snprintf(buffer, size, "[%" PRId64 ", %" PRId64 "]", slot[0], slot[1]);
    return snprintf(buffer, size, "%" PRId64, slot[0]);
}

/* A layer as written in model.layers: "relu", "{dense: 256}", or
 * "{conv: {channels: 8, kernel: 3, ...}}" for a type with several options. */
static const char *layer_text(const ntk_layer_spec *layer, char *buffer, size_t size)
{
    const ntk_layer_ops *ops = layer->ops;
    if (ops->n_options == 0) {
        snprintf(buffer, size, "%s", ops->name);
    } else if (ops->n_options == 1) {
        size_t used = (size_t)snprintf(buffer, size, "{%s: ", ops->name);
        if (used < size)
            used += (size_t)option_text(&ops->options[0], layer->option, buffer + used, size - used);
        if (used < size)
            snprintf(buffer + used, size - used, "}");
    } else {
        size_t used = (size_t)snprintf(buffer, size, "{%s: {", ops->name);
        for (int o = 0; o < ops->n_options && used < size; ++o) {
            used += (size_t)snprintf(buffer + used, size - used, "%s%s: ", o ? ", " : "",
                                     ops->options[o].key);
            if (used < size)
                used += (size_t)option_text(&ops->options[o], layer->option, buffer + used,
                                            size - used);
        }
        if (used < size)
            snprintf(buffer + used, size - used, "}}");
    }
    return buffer;
}

static void write_data_and_model(const ntk_job *job, FILE *out, int indent)
{
    char number[64];
    key_line(out, indent, 0, "data:\n");
    write_source(out, indent, "inputs", &job->inputs);
    if (job->targets.kind != NTK_SOURCE_NONE)
        write_source(out, indent, "targets", &job->targets);
    if (job->test_inputs.kind != NTK_SOURCE_NONE)
        write_source(out, indent, "test_inputs", &job->test_inputs);
    if (job->test_targets.kind != NTK_SOURCE_NONE)
        write_source(out, indent, "test_targets", &job->test_targets);

    const ntk_model_spec *model = &job->model;
    key_line(out, indent, 0, "model:\n");
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0;
    model_spec_layers(model, list, &count);
    key_line(out, indent, 1, "layers: [");
    for (int i = 0; i < count; ++i) {
        char text[256];
        fprintf(out, "%s%s", i ? ", " : "", layer_text(&list[i], text, sizeof text));
    }
    fputs("]\n", out);
    key_line(out, indent, 1, "parameterization: %s\n",
             ntk_choice_name(&model_parameterization_names, (int)model->parameterization));
    format_number(model->w_std, number, sizeof number);
    key_line(out, indent, 1, "w_std: %s\n", number);
    format_number(model->b_std, number, sizeof number);
    key_line(out, indent, 1, "b_std: %s\n", number);
    key_line(out, indent, 1, "seed: %" PRIu64 "\n", model->seed);
    if (model->weights_path[0] != '\0') {
        key_line(out, indent, 1, "weights: ");
        write_path(out, model->weights_path);
        fputc('\n', out);
    }
}

static void write_run_sections(const ntk_job *job, FILE *out, int indent)
{
    char number[64];
    key_line(out, indent, 0, "kernel:\n");
    const ntk_kernel_spec *kernel = &job->kernel;
    key_line(out, indent, 1, "kind: %s\n", ntk_choice_name(&kernel_kind_names, kernel->kind));
    key_line(out, indent, 1, "method: %s\n",
             ntk_choice_name(&kernel_method_names, kernel->method));
    key_line(out, indent, 1, "outputs: %s\n",
             ntk_choice_name(&kernel_outputs_names, kernel->outputs));
    key_line(out, indent, 1, "nngp: %s\n", bool_name(job->kernel.nngp));
    key_line(out, indent, 1, "compare_analytic: %s\n", bool_name(job->kernel.compare_analytic));
    key_line(out, indent, 1, "quadrature_order: %d\n", job->kernel.quadrature_order);
    key_line(out, indent, 1, "jacobian_chunk: %" PRId64 "\n", job->kernel.jacobian_chunk);
    key_line(out, indent, 1, "chunk_mib: %" PRId64 "\n", job->kernel.chunk_mib);

    key_line(out, indent, 0, "grid:\n");
    key_line(out, indent, 1, "block: %d\n", job->grid.block);
    line_start(out, indent, 1);
    if (job->grid.rows == 0 && job->grid.cols == 0)
        fputs("shape: auto\n", out);
    else
        fprintf(out, "shape: [%d, %d]\n", job->grid.rows, job->grid.cols);

    key_line(out, indent, 0, "spectrum:\n");
    key_line(out, indent, 1, "solver: %s\n", spectrum_solver_name(job->spectrum.solver));
    key_line(out, indent, 1, "vectors: %s\n", bool_name(job->spectrum.vectors));
    key_line(out, indent, 1, "top: %" PRId64 "\n", job->spectrum.top);
    /* Only when set, so jobs without them echo (and hash) as before. */
    if (job->spectrum.solve_rows == NTK_SOLVE_LAYOUT_AUTO)
        key_line(out, indent, 1, "grid: auto\n");
    else if (job->spectrum.solve_rows > 0)
        key_line(out, indent, 1, "grid: [%d, %d]\n", job->spectrum.solve_rows,
                 job->spectrum.solve_cols);
    if (job->spectrum.solve_block == NTK_SOLVE_LAYOUT_AUTO)
        key_line(out, indent, 1, "block: auto\n");
    else if (job->spectrum.solve_block > 0)
        key_line(out, indent, 1, "block: %d\n", job->spectrum.solve_block);
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE) {
        format_number(job->spectrum.tolerance, number, sizeof number);
        key_line(out, indent, 1, "tolerance: %s\n", number);
        key_line(out, indent, 1, "allow_unconverged: %s\n",
                 bool_name(job->spectrum.allow_unconverged));
        key_line(out, indent, 1, "features: %s\n",
                 ntk_choice_name(&spectrum_features_names, job->spectrum.features));
        key_line(out, indent, 1, "pair_check: %s\n",
                 ntk_choice_name(&spectrum_pair_check_names, job->spectrum.pair_check));
    }

    key_line(out, indent, 0, "dynamics:\n");
    format_number(job->dynamics.learning_rate, number, sizeof number);
    key_line(out, indent, 1, "learning_rate: %s\n", number);
    key_line(out, indent, 1, "steps: [");
    for (int i = 0; i < job->dynamics.n_steps; ++i)
        fprintf(out, "%s%" PRId64, i ? ", " : "", job->dynamics.steps[i]);
    fputs("]\n", out);

    key_line(out, indent, 0, "output:\n");
    key_line(out, indent, 1, "dir: ");
    job_write_yaml_string(out, job->output.dir);
    fputc('\n', out);
    key_line(out, indent, 1, "theta: %s\n", bool_name(job->output.theta));
    key_line(out, indent, 1, "eigenvectors: %s\n", bool_name(job->output.eigenvectors));
    key_line(out, indent, 1, "plot: %s\n", bool_name(job->output.plot));
    key_line(out, indent, 1, "params: %s\n", bool_name(job->output.params));
    key_line(out, indent, 1, "test_theta: %s\n", bool_name(job->output.test_theta));

    if (job->predict.enabled) {
        key_line(out, indent, 0, "predict:\n");
        /* Without the eigenpairs and without predict.steps the predictions
         * are at t = infinity only: echoing dynamics.steps would ask for more. */
        const int eigenpairs = job->spectrum.solver != NTK_SOLVER_NONE &&
                               job->spectrum.solver != NTK_SOLVER_MATRIX_FREE &&
                               job->spectrum.vectors && job->spectrum.top == 0;
        if (job->predict.steps_given || eigenpairs) {
            key_line(out, indent, 1, "steps: [");
            for (int i = 0; i < job->predict.n_steps; ++i)
                fprintf(out, "%s%" PRId64, i ? ", " : "", job->predict.steps[i]);
            fputs("]\n", out);
        }
        key_line(out, indent, 1, "infinite: %s\n", bool_name(job->predict.infinite));
        format_number(job->predict.ridge, number, sizeof number);
        key_line(out, indent, 1, "ridge: %s\n", number);
        format_number(job->predict.cutoff, number, sizeof number);
        key_line(out, indent, 1, "cutoff: %s\n", number);
        /* The linear-solver keys only when set, so jobs without them echo as before. */
        if (job->predict.solver != NTK_LINEAR_AUTO)
            key_line(out, indent, 1, "solver: %s\n", predict_solver_name(job->predict.solver));
        if (job->predict.jitter_auto) {
            key_line(out, indent, 1, "jitter: auto\n");
        } else if (job->predict.jitter > 0.0) {
            format_number(job->predict.jitter, number, sizeof number);
            key_line(out, indent, 1, "jitter: %s\n", number);
        }
        if (job->predict.f0 != NTK_F0_NETWORK)
            key_line(out, indent, 1, "f0: %s\n",
                     ntk_choice_name(&predict_f0_names, (int)job->predict.f0));
        if (job->predict.ensemble)
            key_line(out, indent, 1, "ensemble: true\n");
        if (job->predict.solver == NTK_LINEAR_CG) {
            key_line(out, indent, 1, "operator: %s\n",
                     ntk_choice_name(&predict_operator_names, (int)job->predict.operator_choice));
            key_line(out, indent, 1, "preconditioner: %s\n",
                     ntk_choice_name(&predict_preconditioner_names,
                                     (int)job->predict.preconditioner));
            /* The default is capped at M, which the echo does not know. */
            if (job->predict.preconditioner_rank_given)
                key_line(out, indent, 1, "preconditioner_rank: %" PRId64 "\n",
                         job->predict.preconditioner_rank);
            format_number(job->predict.tol, number, sizeof number);
            key_line(out, indent, 1, "tol: %s\n", number);
            key_line(out, indent, 1, "max_iterations: %" PRId64 "\n",
                     job->predict.max_iterations);
        }
        if (job->predict.ensemble_kernel != NTK_ENSEMBLE_NTK)
            key_line(out, indent, 1, "ensemble_kernel: %s\n",
                     ntk_choice_name(&predict_ensemble_kernel_names,
                                     (int)job->predict.ensemble_kernel));
    }

    if (job->training.enabled) {
        key_line(out, indent, 0, "training:\n");
        key_line(out, indent, 1, "steps: %" PRId64 "\n", job->training.steps);
        format_number(job->training.learning_rate, number, sizeof number);
        key_line(out, indent, 1, "learning_rate: %s\n", number);
        key_line(out, indent, 1, "record_every: %" PRId64 "\n", job->training.record_every);
        key_line(out, indent, 1, "kernel_after: %s\n", bool_name(job->training.kernel_after));
    }

    key_line(out, indent, 0, "checkpoint:\n");
    format_number(job->checkpoint.every_seconds, number, sizeof number);
    key_line(out, indent, 1, "every: %s\n", number);
    key_line(out, indent, 1, "dir: ");
    job_write_yaml_string(out, job->checkpoint.dir);
    fputc('\n', out);
}

/* A plain number written as the job wrote it, in the form YAML 1.1 readers
 * also load as a number: "1e-3" -> "1.0e-3", "1.5E3" -> "1.5E+3" (a '.' in
 * the mantissa, a signed exponent). The digits stay, so the value is the
 * same double; any other text is returned as it is. */
static const char *yaml11_number(const char *text, char *buffer, size_t size)
{
    double value = 0;
    const char *exponent = strpbrk(text, "eE");
    if (exponent == NULL || !job_text_to_number(text, &value))
        return text;
    const int has_point = memchr(text, '.', (size_t)(exponent - text)) != NULL;
    const int has_sign = exponent[1] == '+' || exponent[1] == '-';
    snprintf(buffer, size, "%.*s%s%c%s%s", (int)(exponent - text), text, has_point ? "" : ".0",
             exponent[0], has_sign ? "" : "+", exponent + 1);
    return buffer;
}

void job_echo_yaml(const ntk_job *job, FILE *out, int indent)
{
    key_line(out, indent, 0, "name: ");
    job_write_yaml_string(out, job->name);
    fputc('\n', out);
    write_data_and_model(job, out, indent);
    write_run_sections(job, out, indent);
    if (job->sweep.n_keys > 0) {
        key_line(out, indent, 0, "sweep:\n");
        for (int k = 0; k < job->sweep.n_keys; ++k) {
            line_start(out, indent, 1);
            job_write_yaml_string(out, job->sweep.key[k]);
            fputs(": [", out);
            /* The stored texts are YAML scalars already (quoted when they were). */
            for (int v = 0; v < job->sweep.n_values[k]; ++v) {
                char number[NTK_SWEEP_VALUE_MAX + 8];
                fprintf(out, "%s%s", v ? ", " : "",
                        yaml11_number(job->sweep.value[k][v], number, sizeof number));
            }
            fputs("]\n", out);
        }
    }
}

ntk_status job_echo_text(const ntk_job *job, int indent, char **text)
{
    size_t length = 0;
    *text = NULL;
    FILE *out = open_memstream(text, &length);
    if (out == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot hold the job echo: %s", strerror(errno));
    job_echo_yaml(job, out, indent);
    if (ferror(out) != 0 || fclose(out) != 0) {
        free(*text);
        *text = NULL;
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot hold the job echo");
    }
    return NTK_OK;
}

/* ---- hash ---- */

typedef struct {
    uint64_t state;
} fnv_hash;

static void hash_text(fnv_hash *hash, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void hash_text(fnv_hash *hash, const char *format, ...)
{
    char text[NTK_PATH_MAX + 256];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
        hash->state ^= *p;
        hash->state *= UINT64_C(0x100000001b3);
    }
    hash->state ^= '\n';
    hash->state *= UINT64_C(0x100000001b3);
}

/* A file by its real path, size and modification time: a changed data file
 * makes a different Theta, and the same file reached from another working
 * directory does not. */
static void hash_file(fnv_hash *hash, const char *label, const char *path)
{
    char *real = realpath(path, NULL);
    struct stat info;
    if (real != NULL && stat(real, &info) == 0)
        hash_text(hash, "%s %s %lld %lld.%09ld", label, real, (long long)info.st_size,
                  (long long)info.st_mtim.tv_sec, (long)info.st_mtim.tv_nsec);
    else
        hash_text(hash, "%s %s missing", label, path);
    free(real);
}

uint64_t job_hash(const ntk_job *job)
{
    fnv_hash hash = {UINT64_C(0xcbf29ce484222325)};
    hash_text(&hash, "ntkgram job hash v2");
    const ntk_data_source *inputs = &job->inputs;
    if (inputs->kind == NTK_SOURCE_SYNTHETIC)
        hash_text(&hash, "inputs synthetic %d %" PRId64 " %" PRId64 " %" PRIu64,
                  (int)inputs->synthetic, inputs->n, inputs->dim, inputs->seed);
    if (inputs->kind == NTK_SOURCE_SYNTHETIC && inputs->shape_rank > 0)
        hash_text(&hash, "inputs shape %d %" PRId64 " %" PRId64 " %" PRId64, inputs->shape_rank,
                  inputs->shape[0], inputs->shape[1], inputs->shape[2]);
    else
        hash_file(&hash, inputs->kind == NTK_SOURCE_CSV ? "inputs csv" : "inputs npy",
                  inputs->path);

    const ntk_model_spec *model = &job->model;
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0;
    model_spec_layers(model, list, &count);
    hash_text(&hash, "model %d %d %.17g %.17g %" PRIu64, count, (int)model->parameterization,
              model->w_std, model->b_std, model->seed);
    for (int i = 0; i < count; ++i) {
        char text[256];
        hash_text(&hash, "layer %s", layer_text(&list[i], text, sizeof text));
    }
    if (model->weights_path[0] != '\0')
        hash_file(&hash, "weights", model->weights_path);

    /* The jacobian chunk and the structured chunk budget change the summation
     * order, so the bits of Theta (and a structured assembly's step count). */
    hash_text(&hash, "kernel %s %s %s %d %" PRId64 " %" PRId64,
              ntk_choice_name(&kernel_kind_names, job->kernel.kind),
              ntk_choice_name(&kernel_method_names, job->kernel.method),
              ntk_choice_name(&kernel_outputs_names, job->kernel.outputs),
              job->kernel.quadrature_order, job->kernel.jacobian_chunk, job->kernel.chunk_mib);
    hash_text(&hash, "grid %d %d %d", job->grid.block, job->grid.rows, job->grid.cols);
    return hash.state;
}
