/* The structured kernel's feature vectors: forward/backward for a rank's own
 * inputs, packed one vector per input in the layout of structured_layout.c. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/structured_internal.h"

/* Forward/backward for the own inputs, packed one feature vector per input
 * into `own` (the own run of the item set). In batches whose buffers are
 * allocated once and reused (fresh memory costs first-touch page faults).
 * At most 128 inputs per batch (STRUCTURED_MAX_BATCH): with 512-wide layers
 * that is about 3 MiB of buffers instead of 25 MiB for 1024, and on a
 * virtual machine whose fresh pages are dear the smaller buffers' first
 * touch saves more than the larger DGEMMs gain (docs/performance.md,
 * "Where the structured MLP assembly's time goes"). */
static ntk_status own_features(const ntk_model *model, const ntk_input_block *inputs,
                               const feature_layout *layout, double *own)
{
    const int64_t batch = layout->batch > 0 ? layout->batch : 1;
    int k = model_outputs(model);
    ntk_features features;
    const int64_t capacity = inputs->count < batch ? inputs->count : batch;
    /* float32 passes: one SGEMM per unit of `batch` inputs at global
     * multiples of it (model/single_passes.h), so the batches start there
     * too and only a rank's first and last batch may hold part of a unit */
    if (layout->single_passes)
        NTK_TRY(model_features_reserve_single(model, capacity, batch, &features));
    else
        NTK_TRY(model_features_reserve(model, capacity, &features));
    double *scratch = NULL, *rounded = NULL; /* single: one vector before rounding */
    ntk_status status = NTK_CALLOC(scratch, layout->scratch + 1, "Jacobian block scratch");
    if (status == NTK_OK && layout->single)
        status = NTK_CALLOC(rounded, layout->width, "feature vector");
    int64_t count = 0;
    for (int64_t first = 0; status == NTK_OK && first < inputs->count; first += count) {
        const int64_t to_unit =
            layout->single_passes ? batch - (inputs->first + first) % batch : batch;
        count = inputs->count - first < to_unit ? inputs->count - first : to_unit;
        NTK_TRY_GOTO(status, model_features_batch(model, inputs->x + first * inputs->dim, count,
                                                  inputs->first + first, layout->lowest, &features),
                     done);
        for (int64_t x = 0; x < count; ++x) {
            double *vector = layout->single ? rounded : own + (first + x) * layout->width;
            for (int l = 1; l <= model->n_layers; ++l) {
                if (layout->skip[l])
                    continue;
                const ntk_layer *layer = model_param_layer(model, l);
                int64_t n_out = layer->out.size, n_in = layer->in.size;
                const double *h = features.input[l] + x * n_in;
                if (layout->pairwise[l]) {
                    layer->ops->pairwise_pack(layer, model, h, features.cotangent[l] + x * k * n_out,
                                              k, layout->pair_part[l] ? &layout->part[l] : NULL,
                                              scratch, vector + layout->input_offset[l]);
                    continue;
                }
                if (layout->block[l] && features.single != NULL &&
                    layer->ops->jacobian_block_single != NULL) {
                    layer->ops->jacobian_block_single(
                        layer, model, features.single, h, features.cotangent[l] + x * k * n_out, k,
                        layout->block_first[l], layout->block_width[l] / layout->row_width[l],
                        vector + layout->input_offset[l]);
                    continue;
                }
                if (layout->block[l]) {
                    layer->ops->jacobian_block(layer, model, h, features.cotangent[l] + x * k * n_out,
                                               k, layout->block_first[l],
                                               layout->block_width[l] / layout->row_width[l],
                                               scratch, vector + layout->input_offset[l]);
                    continue;
                }
                if (layout->rank_one[l]) {
                    /* v = (c a h, s a): the layer's whole term is (1/k) <v, v'>. */
                    double a = features.cotangent[l][x], c = model->weight_scale[l];
                    double *v = vector + layout->input_offset[l];
                    for (int64_t d = 0; d < n_in; ++d)
                        v[d] = c * a * h[d];
                    if (model->has_bias[l])
                        v[n_in] = model->bias_scale[l] * a;
                    continue;
                }
                memcpy(vector + layout->cotangent_offset[l], features.cotangent[l] + x * k * n_out,
                       (size_t)(k * n_out) * sizeof(double));
                memcpy(vector + layout->input_offset[l], h, (size_t)n_in * sizeof(double));
            }
            if (layout->single) {
                float *single = (float *)own + (first + x) * layout->single_stride;
                for (int64_t d = 0; d < layout->width; ++d)
                    single[d] = (float)vector[d];
            }
        }
    }
done:
    free(rounded);
    free(scratch);
    model_features_free(&features);
    return status;
}

/* own_features, its seconds added to the stats' Jacobian part. */
ntk_status structured_timed_features(const ntk_model *model, const ntk_input_block *inputs,
                                     const feature_layout *layout, double *own, ntk_kernel_stats *stats)
{
    const double start = MPI_Wtime(), cpu_start = kernel_cpu_seconds();
    const ntk_status status = own_features(model, inputs, layout, own);
    stats->jacobian_seconds += MPI_Wtime() - start;
    stats->jacobian_cpu_seconds += kernel_cpu_seconds() - cpu_start;
    return status;
}
