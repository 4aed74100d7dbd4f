/* The infinite-width NTK and NNGP kernels of a model description (ntk
 * parameterisation), design.md section 1. ReLU and erf in closed form,
 * identity exactly, tanh and gelu by Gauss-Hermite quadrature of
 * kernel.quadrature_order points per axis. */
#ifndef NTK_KERNEL_ANALYTIC_H
#define NTK_KERNEL_ANALYTIC_H

#include "kernel/kernel.h"

/* The kernels for one pair of inputs: theta and nngp (either may be NULL).
 * Rank-local, pure. */
void analytic_pair(const ntk_model_spec *spec, int64_t dim, int quadrature_order,
                   const double *x, const double *x_prime, double *theta, double *nngp);

/* Distributed assembly, same layout and hooks as the empirical kernels. For
 * outputs: full, Theta[(x,o),(x',o')] = Theta(x,x') delta_{o o'}. Collective. */
ntk_status kernel_assemble_analytic(const ntk_job *job, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_input_block *inputs,
                                    int lower_only, int want_nngp,
                                    const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                    ntk_kernel_stats *stats);

#endif
