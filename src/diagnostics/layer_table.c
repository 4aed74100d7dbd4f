/* The per-layer table's bookkeeping (see kernels.h). */
#include <math.h>

#include "diagnostics/kernels.h"

void diagnostics_layer_row_begin(const ntk_model *model, int layer, ntk_layer_row *row)
{
    const ntk_layer *found = model_param_layer(model, layer);
    row->layer = layer;
    row->type = found != NULL ? found->ops->name : "";
    row->name = found != NULL ? found->name : ""; /* its `name:`, "" without one */
    row->params = model_param_offset(model, layer + 1) - model_param_offset(model, layer);
    row->trace = row->trace_share = row->frobenius = row->lambda_max = NAN;
    row->effective_rank = row->alignment = row->centered_alignment = NAN;
    row->lanczos_steps = 0;
}

void diagnostics_layer_shares(ntk_layer_table *table)
{
    double total = 0.0;
    for (int r = 0; r < table->count; ++r)
        total += table->row[r].trace;
    for (int r = 0; r < table->count; ++r)
        table->row[r].trace_share = total > 0.0 ? table->row[r].trace / total : NAN;
}
