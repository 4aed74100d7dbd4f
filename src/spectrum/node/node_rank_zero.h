/* Rank 0's solve on the single-node path with the node's cores
 * (gather_lapack.c): its CPU binding widened to the node's ranks', as many
 * OpenBLAS threads as they are bound to CPUs, the other ranks waiting in a
 * sleeping poll. Shared by the float64 (gather_lapack.c) and float32
 * (gather_ssyevd.c) solves. Internal to the spectrum module. */
#ifndef NTK_SPECTRUM_NODE_RANK_ZERO_H
#define NTK_SPECTRUM_NODE_RANK_ZERO_H

#include "core/status.h"
#include "grid/grid.h"

/* Rank 0's part, given the thread count; `context` is the caller's. */
typedef ntk_status (*node_rank_zero_solve)(void *context, int threads);

/* `solve` on grid rank 0 with the node's threads (`*threads`, the same on
 * every rank), the others waiting. Collective; every rank returns the
 * solve's status. */
ntk_status node_run_on_rank_zero(const ntk_grid *grid, node_rank_zero_solve solve, void *context,
                                 int *threads);

#endif
