/* Synthetic inputs and targets from the counter-based RNG (core/random.h).
 * Every value is a pure function of (seed, stream, row, column), so a rank
 * can make exactly its own rows and the data never depend on the rank count.
 * The streams below are part of the data's definition: changing one changes
 * every synthetic data set. */
#include <math.h>
#include <stdlib.h>

#include "core/random.h"
#include "data/data_internal.h"

enum {
    SYNTH_STREAM_INPUTS = 0x1001,          /* x_ij, index i*dim + j */
    SYNTH_STREAM_TARGETS = 0x1002,         /* gaussian y_io, index i*k + o */
    SYNTH_STREAM_SINE_DIRECTIONS = 0x1003  /* a_oj, index o*dim + j */
};

ntk_status data_synthetic_inputs(const ntk_data_source *source, const int64_t *index,
                                 int64_t count, int64_t cols, double *values)
{
    if (cols != source->dim)
        return NTK_RAISE(NTK_ERR_INTERNAL, "synthetic inputs have dim %lld, %lld asked for",
                         (long long)source->dim, (long long)cols);
    if (count > 0 && index[count - 1] >= source->n)
        return NTK_RAISE(NTK_ERR_INTERNAL, "synthetic inputs have %lld rows, row %lld asked for",
                         (long long)source->n, (long long)index[count - 1]);
    if (source->synthetic != NTK_SYNTH_GAUSSIAN && source->synthetic != NTK_SYNTH_SPHERE)
        return NTK_RAISE(NTK_ERR_INTERNAL, "synthetic kind %d is not an inputs generator",
                         (int)source->synthetic);
    for (int64_t r = 0; r < count; ++r) {
        double *row = values + r * cols;
        double squares = 0.0;
        for (int64_t j = 0; j < cols; ++j) {
            row[j] = ntk_random_normal(source->seed, SYNTH_STREAM_INPUTS,
                                       (uint64_t)(index[r] * cols + j));
            squares += row[j] * row[j];
        }
        /* The direction of a standard normal vector is uniform on the sphere. */
        if (source->synthetic == NTK_SYNTH_SPHERE && squares > 0.0) {
            const double scale = sqrt((double)cols / squares);
            for (int64_t j = 0; j < cols; ++j)
                row[j] *= scale;
        }
    }
    return NTK_OK;
}

ntk_status data_synthetic_targets(const ntk_data_source *source, const int64_t *index,
                                  int64_t count, int64_t k, const double *inputs,
                                  int64_t input_dim, double *values)
{
    if (source->synthetic == NTK_SYNTH_GAUSSIAN) {
        for (int64_t r = 0; r < count; ++r)
            for (int64_t o = 0; o < k; ++o)
                values[r * k + o] = ntk_random_normal(source->seed, SYNTH_STREAM_TARGETS,
                                                      (uint64_t)(index[r] * k + o));
        return NTK_OK;
    }
    if (source->synthetic != NTK_SYNTH_SINE)
        return NTK_RAISE(NTK_ERR_INTERNAL, "synthetic kind %d is not a targets generator",
                         (int)source->synthetic);
    if (inputs == NULL || input_dim < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "sine targets need the input rows");

    /* y_o(x) = sin(<a_o, x> / sqrt(dim)): a smooth target whose scale does not
     * grow with the input dimension. */
    double *directions = NULL;
    NTK_TRY(NTK_CALLOC(directions, k * input_dim, "the sine target directions"));
    for (int64_t o = 0; o < k; ++o)
        for (int64_t j = 0; j < input_dim; ++j)
            directions[o * input_dim + j] = ntk_random_normal(
                source->seed, SYNTH_STREAM_SINE_DIRECTIONS, (uint64_t)(o * input_dim + j));
    const double scale = 1.0 / sqrt((double)input_dim);
    for (int64_t r = 0; r < count; ++r)
        for (int64_t o = 0; o < k; ++o) {
            double dot = 0.0;
            for (int64_t j = 0; j < input_dim; ++j)
                dot += directions[o * input_dim + j] * inputs[r * input_dim + j];
            values[r * k + o] = sin(dot * scale);
        }
    free(directions);
    return NTK_OK;
}
