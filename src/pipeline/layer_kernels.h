/* The per-layer kernels Theta_l of a run (diagnostics.per_layer,
 * docs/diagnostics.md "Per-layer kernels"): one distributed matrix at a
 * time, never more, whatever the number of layers. */
#ifndef NTK_PIPELINE_LAYER_KERNELS_H
#define NTK_PIPELINE_LAYER_KERNELS_H

#include "diagnostics/kernels.h"
#include "grid/grid.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "model/model.h"

/* For each layer with parameters: assemble Theta_l (M x M on `grid`), its
 * trace, norm, lambda_max (Lanczos), participation ratio and, with
 * `targets` (N x k on every rank, or NULL), both alignments; write
 * theta_layer_<l>.npy when output.theta_layers; free it. Then layers.csv
 * (and layers.svg with output.plot). Collective. */
ntk_status layer_kernels_stage(const ntk_job *job, const ntk_grid *grid, const ntk_model *model,
                               const ntk_input_block *inputs, const double *targets,
                               int64_t m_rows, ntk_layer_table *table);

#endif
