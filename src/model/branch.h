/* Residual and parallel blocks: how they are written, lowered and run.
 *
 * model.layers may hold two nested forms (docs/layers.md, "Branches"):
 *   {residual: {body: [LAYERS], shortcut: [LAYERS]}}   body(x) + shortcut(x)
 *   {parallel: {branches: [[LAYERS], ...], merge: sum | concat}}
 * The job reader lowers each into the flat list with three structural
 * layers (ntk_branch_role, model/layer.h):
 *   fork, branch 1, next, branch 2, ..., next, branch m, join
 * so that every other part of the program keeps its flat list: layers with
 * parameters keep their 1-based numbers in list order (depth first: body
 * before shortcut, branches in order), which is the weights-file order.
 *
 * The passes (features.c, jacobian_rows.c, model_forward) run the branch
 * layers themselves on their per-layer buffers, value[i] being layer i's
 * input: a fork copies x to its output; a next layer keeps its input (the
 * branch's output) in place and starts the next branch from a copy of the
 * fork's input; the join sums the branches' outputs (the inputs of the next
 * layers and its own) or concatenates them along the last axis in branch
 * order. Backward: the join gives each branch's output its share of the
 * cotangent (the whole of it for a sum, its channels for a concat), and the
 * fork's input receives the sum of the cotangents of every branch's start. */
#ifndef NTK_MODEL_BRANCH_H
#define NTK_MODEL_BRANCH_H

#include <stddef.h>
#include <stdint.h>

#include "model/layer.h"

/* The fork's options: its form (option[0]) and its branch count (option[1]);
 * the join's: its merge (option[0]). */
enum { NTK_BLOCK_RESIDUAL = 0, NTK_BLOCK_PARALLEL = 1 };
enum { NTK_MERGE_SUM = 0, NTK_MERGE_CONCAT = 1 };
enum { NTK_BRANCH_MAX_DEPTH = 16, NTK_BRANCH_MAX_BRANCHES = 16 };

extern const ntk_layer_ops ntk_layer_branch_fork, ntk_layer_branch_next, ntk_layer_branch_join;

/* Whether a list has a block. */
int model_stack_has_branches(const ntk_layer *stack, int count);
int model_stack_has_branch_specs(const ntk_layer_spec *list, int count);

/* The indices of the layers whose input is the output of a branch of the
 * block that `join` closes (its next layers, then the join itself), in
 * branch order; their count. */
int branch_ends(const ntk_layer *stack, int join, int *ends);

/* Set the fork index and output shape of branch layer i of `stack`, whose
 * layers before i have theirs; nonzero with a reason when the branches'
 * outputs cannot merge (both shapes named) or the list is not well nested. */
int branch_infer(ntk_layer *stack, int i, char *why, size_t why_size);

/* Run branch layer i on `count` inputs (value[j]: layer j's input, as
 * above), and its backward pass on count x k cotangent rows (cot[j]: those
 * of value[j]). */
void branch_forward(const ntk_layer *stack, int i, double *const *value, int64_t count);
void branch_backward(const ntk_layer *stack, int i, double *const *cot, int64_t count, int k);

#endif
