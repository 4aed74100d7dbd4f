/* -Theta to rank 0 and the eigenvectors back, for the single-node solver
 * (node_transfer.c). Internal to the spectrum module. Collective; every
 * rank returns the same status. */
#ifndef NTK_SPECTRUM_NODE_TRANSFER_H
#define NTK_SPECTRUM_NODE_TRANSFER_H

#include "core/status.h"
#include "grid/grid.h"

/* The lower triangle (diagonal included) of the M x M `distributed` into
 * rank 0's `a` (M x M, ld M; NULL elsewhere). The strict upper triangle of
 * `a` is not written. */
ntk_status node_gather_lower(const ntk_grid *grid, const ntk_dmatrix *distributed, double *a);

/* Rank 0's `z` (M x cols, ld M; NULL elsewhere) into `distributed`, which
 * has been created M x cols on the grid. */
ntk_status node_scatter_columns(const ntk_grid *grid, const double *z, ntk_dmatrix *distributed);

/* The same for kernel.precision float32's float matrices. */
ntk_status node_gather_lower_float(const ntk_grid *grid, const ntk_smatrix *distributed,
                                   float *a);
ntk_status node_scatter_columns_float(const ntk_grid *grid, const float *z,
                                      ntk_smatrix *distributed);

#endif
