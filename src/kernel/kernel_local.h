/* Internal to the empirical kernel methods (structured.c, jacobian.c): the
 * bookkeeping of this rank's local rows and columns of Theta — their global
 * indices, the item (input) each belongs to and its position in the item set
 * that kernel_exchange delivered, and the output o of each row (full kernels);
 * the one-set exchange (kernel_item_union_*). Also the entry points kernel.c
 * dispatches to. */
#ifndef NTK_KERNEL_KERNEL_LOCAL_H
#define NTK_KERNEL_KERNEL_LOCAL_H

#include <stdint.h>

#include "kernel/kernel.h"

typedef struct {
    int64_t count;     /* local rows (or columns) */
    int64_t *global;   /* global matrix index of each, ascending */
    int64_t *position; /* position of its item in the delivered item set */
    int *output;       /* o = global % per_item (always 0 for trace kernels) */
} kernel_local_axis;

/* One item set serving both axes (exchange.c): the items behind this rank's
 * local rows, its local columns and its own block (grid_own_block), ascending
 * and distinct. Items both axes need are held and sent once.
 *
 * kernel_item_union_create (rank-local) lists them and allocates their
 * vectors, zeroed; the own block is the contiguous run starting at
 * *own_position, for the caller to fill in place. kernel_item_union_share
 * (collective, callers agree before it) then fills every other item from
 * its owner. */
ntk_status kernel_item_union_create(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                    int64_t matrix_size, int64_t width, ntk_item_set *set,
                                    int64_t *own_position);
ntk_status kernel_item_union_share(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                   int64_t matrix_size, int64_t width, ntk_item_set *set);

/* Describe the local rows (by_rows != 0) or columns of an M x M matrix on
 * `grid`, against the item set delivered for them. Rank-local. */
ntk_status kernel_local_axis_create(const ntk_grid *grid, int64_t matrix_size, int by_rows,
                                    int64_t per_item, const ntk_item_set *set,
                                    kernel_local_axis *axis);
void kernel_local_axis_free(kernel_local_axis *axis);

/* First local index whose global index is >= `global` (count if none). */
int64_t kernel_local_axis_lower_bound(const kernel_local_axis *axis, int64_t global);

/* Common checks of a kernel call: Theta's shape against the job and inputs.
 * Rank-local (callers agree). */
ntk_status kernel_check_shapes(const ntk_kernel_config *config, const ntk_model *model,
                               const ntk_input_block *inputs, const ntk_dmatrix *theta);

/* NTK_ERR_JOB unless the kernel can be assembled in kernel.precision
 * (float64 always; mixed: empirical, structured, trace). Rank-local, the
 * same answer on every rank. */
ntk_status kernel_check_precision(const ntk_kernel_config *config);

/* Start `stats` for `method` ("" before dispatch): nothing counted yet,
 * `steps_total` steps to come. Rank-local. */
void kernel_stats_begin(ntk_kernel_stats *stats, const char *method, int64_t steps_total);

/* Sum a rank's flop count over grid->comm into stats->flops_total. Collective. */
ntk_status kernel_stats_reduce(const ntk_grid *grid, ntk_kernel_stats *stats);

/* P of kernel.h's ntk_precision_error for the structured method (its
 * layout's Gram depths). Rank-local. */
int64_t kernel_structured_accumulation_length(const ntk_kernel_config *config,
                                              const ntk_model *model, ntk_status *status);

ntk_status kernel_assemble_structured(const ntk_kernel_config *config, const ntk_model *model,
                                      const ntk_grid *grid, const ntk_input_block *inputs,
                                      int lower_only, const ntk_assembly_hooks *hooks,
                                      ntk_dmatrix *theta, ntk_kernel_stats *stats);

ntk_status kernel_assemble_jacobian(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_input_block *inputs,
                                    int lower_only, const ntk_assembly_hooks *hooks,
                                    ntk_dmatrix *theta, ntk_kernel_stats *stats);

/* The cross kernel by each empirical method (kernel.h, kernel_assemble_cross). */
ntk_status kernel_assemble_structured_cross(const ntk_kernel_config *config, const ntk_model *model,
                                            const ntk_grid *grid, const ntk_input_block *rows,
                                            const ntk_input_block *cols,
                                            const ntk_assembly_hooks *hooks, ntk_dmatrix *cross,
                                            ntk_kernel_stats *stats);
ntk_status kernel_assemble_jacobian_cross(const ntk_kernel_config *config, const ntk_model *model,
                                          const ntk_grid *grid, const ntk_input_block *rows,
                                          const ntk_input_block *cols,
                                          const ntk_assembly_hooks *hooks, ntk_dmatrix *cross,
                                          ntk_kernel_stats *stats);

#endif
