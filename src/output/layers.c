/* layers.csv and layers.svg: the per-layer kernels Theta_l
 * (diagnostics.per_layer, docs/diagnostics.md "Per-layer kernels").
 *
 * layers.csv: layer,type,name,params,trace,trace_share,lambda_max,
 * effective_rank,alignment,centered_alignment, one row per layer with
 * parameters; a value that was not computed (the alignments without targets)
 * is an empty field. layers.svg: each layer's share of the trace as bars. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/quoted.h"
#include "output/file_names.h"
#include "output/output.h"

void output_theta_layer_name(int layer, char *name, size_t capacity)
{
    snprintf(name, capacity, OUTPUT_FILE_THETA_LAYER_FORMAT, layer);
}

static void number(FILE *out, double value)
{
    if (isfinite(value))
        fprintf(out, ",%.17g", value);
    else
        fputc(',', out);
}

ntk_status output_write_layers(const char *dir, const char *title, const ntk_layer_table *table,
                               int plot)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_LAYERS, path, &out));
    fputs("layer,type,name,params,trace,trace_share,lambda_max,effective_rank,alignment,"
          "centered_alignment\n", out);
    for (int r = 0; r < table->count; ++r) {
        const ntk_layer_row *row = &table->row[r];
        fprintf(out, "%d,%s,", row->layer, row->type);
        if (strpbrk(row->name, ",\"\r\n") != NULL) /* a torch name never has them; a user's may */
            ntk_write_quoted(out, row->name, '"');
        else
            fputs(row->name, out);
        fprintf(out, ",%lld", (long long)row->params);
        number(out, row->trace);
        number(out, row->trace_share);
        number(out, row->lambda_max);
        number(out, row->effective_rank);
        number(out, row->alignment);
        number(out, row->centered_alignment);
        fputc('\n', out);
    }
    NTK_TRY(partial_file_commit(path, out));
    if (!plot)
        return NTK_OK;

    char label_text[NTK_MAX_DENSE + 2][48];
    const char *labels[NTK_MAX_DENSE + 2];
    double shares[NTK_MAX_DENSE + 2];
    for (int r = 0; r < table->count; ++r) {
        const ntk_layer_row *row = &table->row[r];
        snprintf(label_text[r], sizeof label_text[r], "%d %s", row->layer,
                 row->name[0] != '\0' ? row->name : row->type);
        labels[r] = label_text[r];
        shares[r] = row->trace_share;
    }
    const output_svg_chart chart = {OUTPUT_FILE_LAYERS_SVG, title,
                                    "each parameter layer's share of trace(Theta) = sum_l trace(Theta_l)",
                                    "layer with parameters", "trace(Theta_l) / trace(Theta)", 0};
    NTK_TRY(output_write_svg_bars(dir, &chart, labels, shares, table->count));
    return NTK_OK;
}
