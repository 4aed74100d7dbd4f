/* The structural layers of residual and parallel blocks (model/branch.h):
 * their shapes, their passes on the per-layer buffers, their costs. They
 * are not in the registry: the job reader makes them from the block forms
 * and no one writes them by name. */
#include <stdio.h>
#include <string.h>

#include "core/checked_math.h"
#include "model/branch.h"
#include "model/model.h"

int model_stack_has_branches(const ntk_layer *stack, int count)
{
    for (int i = 0; i < count; ++i)
        if (stack[i].ops->branch != NTK_BRANCH_NONE)
            return 1;
    return 0;
}

int model_stack_has_branch_specs(const ntk_layer_spec *list, int count)
{
    for (int i = 0; i < count; ++i)
        if (list[i].ops->branch != NTK_BRANCH_NONE)
            return 1;
    return 0;
}

int branch_ends(const ntk_layer *stack, int join, int *ends)
{
    const int fork = stack[join].fork;
    int n = 0;
    for (int j = fork + 1; j < join; ++j)
        if (stack[j].ops->branch == NTK_BRANCH_NEXT && stack[j].fork == fork)
            ends[n++] = j;
    ends[n++] = join;
    return n;
}

/* "(8, 8, 16)": a shape for messages. */
static const char *shape_text(const ntk_shape *shape, char *buffer, size_t size)
{
    size_t used = (size_t)snprintf(buffer, size, "(");
    for (int d = 0; d < shape->rank && used < size; ++d)
        used += (size_t)snprintf(buffer + used, size - used, "%s%lld", d ? ", " : "",
                                 (long long)shape->dim[d]);
    if (used < size)
        snprintf(buffer + used, size - used, ")");
    return buffer;
}

/* "the body", "the shortcut", "branch 2" (1-based), for messages. */
static const char *branch_label(const ntk_layer *fork, int b, char *buffer, size_t size)
{
    if (fork->option[0] == NTK_BLOCK_RESIDUAL)
        snprintf(buffer, size, "%s", b == 0 ? "the body" : "the shortcut");
    else
        snprintf(buffer, size, "branch %d", b + 1);
    return buffer;
}

/* The join's output shape from its branches' (their ends' inputs). */
static int join_shape(const ntk_layer *stack, int join, ntk_shape *out, char *why,
                      size_t why_size)
{
    int ends[NTK_MAX_LAYERS];
    const int n = branch_ends(stack, join, ends);
    const ntk_layer *fork = &stack[stack[join].fork];
    const int concat = stack[join].option[0] == NTK_MERGE_CONCAT;
    const ntk_shape *first = &stack[ends[0]].in;
    *out = *first;
    for (int b = 1; b < n; ++b) {
        const ntk_shape *shape = &stack[ends[b]].in;
        int agree = shape->rank == first->rank;
        for (int d = 0; agree && d < first->rank; ++d)
            agree = shape->dim[d] == first->dim[d] || (concat && d == first->rank - 1);
        if (!agree) {
            char a[96], c[96], label_a[32], label_c[32];
            branch_label(fork, 0, label_a, sizeof label_a);
            branch_label(fork, b, label_c, sizeof label_c);
            if (fork->option[0] == NTK_BLOCK_RESIDUAL)
                snprintf(why, why_size, "%s gives %s but %s gives %s: body(x) + shortcut(x) "
                         "needs the same shape", label_a, shape_text(first, a, sizeof a),
                         label_c, shape_text(shape, c, sizeof c));
            else if (concat)
                snprintf(why, why_size, "%s gives %s but %s gives %s: merge concat joins "
                         "along the last axis (channels), every other size must agree",
                         label_a, shape_text(first, a, sizeof a), label_c,
                         shape_text(shape, c, sizeof c));
            else
                snprintf(why, why_size, "%s gives %s but %s gives %s: merge sum needs the "
                         "same shape", label_a, shape_text(first, a, sizeof a), label_c,
                         shape_text(shape, c, sizeof c));
            return 1;
        }
        if (concat && (ntk_add_overflow_i64(out->dim[out->rank - 1],
                                            shape->dim[shape->rank - 1],
                                            &out->dim[out->rank - 1]) ||
                       ntk_add_overflow_i64(out->size, shape->size, &out->size))) {
            snprintf(why, why_size, "the concatenated channels overflow 64-bit sizes");
            return 1;
        }
    }
    return 0;
}

int branch_infer(ntk_layer *stack, int i, char *why, size_t why_size)
{
    ntk_layer *layer = &stack[i];
    if (layer->ops->branch == NTK_BRANCH_FORK) {
        layer->fork = i;
        layer->out = layer->in;
        return 0;
    }
    /* The innermost open block: the last fork not closed by a join. */
    int depth = 0, fork = -1;
    for (int j = i - 1; j >= 0 && fork < 0; --j) {
        if (stack[j].ops->branch == NTK_BRANCH_JOIN)
            ++depth;
        else if (stack[j].ops->branch == NTK_BRANCH_FORK && depth-- == 0)
            fork = j;
    }
    if (fork < 0) {
        snprintf(why, why_size, "a branch layer outside a block");
        return 1;
    }
    layer->fork = fork;
    if (layer->ops->branch == NTK_BRANCH_NEXT) {
        layer->out = stack[fork].in;
        return 0;
    }
    return join_shape(stack, i, &layer->out, why, why_size);
}

void branch_forward(const ntk_layer *stack, int i, double *const *value, int64_t count)
{
    const ntk_layer *layer = &stack[i];
    if (layer->ops->branch == NTK_BRANCH_FORK) {
        memcpy(value[i + 1], value[i], (size_t)(count * layer->in.size) * sizeof(double));
        return;
    }
    if (layer->ops->branch == NTK_BRANCH_NEXT) {
        memcpy(value[i + 1], value[layer->fork],
               (size_t)(count * layer->out.size) * sizeof(double));
        return;
    }
    int ends[NTK_MAX_LAYERS];
    const int n = branch_ends(stack, i, ends);
    double *out = value[i + 1];
    if (layer->option[0] == NTK_MERGE_SUM) {
        const int64_t size = count * layer->out.size;
        memcpy(out, value[ends[0]], (size_t)size * sizeof *out);
        for (int b = 1; b < n; ++b) {
            const double *in = value[ends[b]];
            for (int64_t e = 0; e < size; ++e)
                out[e] += in[e];
        }
        return;
    }
    /* Concat: each position's channels, branch after branch. */
    const int64_t positions = count * ntk_layer_positions(&layer->out);
    const int64_t width = layer->out.size / ntk_layer_positions(&layer->out);
    int64_t offset = 0;
    for (int b = 0; b < n; ++b) {
        const ntk_shape *shape = &stack[ends[b]].in;
        const int64_t channels = shape->size / ntk_layer_positions(shape);
        const double *in = value[ends[b]];
        for (int64_t p = 0; p < positions; ++p)
            memcpy(out + p * width + offset, in + p * channels, (size_t)channels * sizeof *out);
        offset += channels;
    }
}

void branch_backward(const ntk_layer *stack, int i, double *const *cot, int64_t count, int k)
{
    const ntk_layer *layer = &stack[i];
    if (layer->ops->branch == NTK_BRANCH_NEXT)
        return; /* its input's cotangent is the join's to give */
    if (layer->ops->branch == NTK_BRANCH_FORK) {
        /* x feeds every branch: the sum of the cotangents of their starts. */
        const int64_t size = count * k * layer->in.size;
        double *total = cot[i];
        memcpy(total, cot[i + 1], (size_t)size * sizeof *total);
        for (int j = i + 1; j < NTK_MAX_LAYERS; ++j) {
            if (stack[j].ops->branch == NTK_BRANCH_JOIN && stack[j].fork == i)
                break;
            if (stack[j].ops->branch == NTK_BRANCH_NEXT && stack[j].fork == i) {
                const double *start = cot[j + 1];
                for (int64_t e = 0; e < size; ++e)
                    total[e] += start[e];
            }
        }
        return;
    }
    int ends[NTK_MAX_LAYERS];
    const int n = branch_ends(stack, i, ends);
    const double *top = cot[i + 1];
    if (layer->option[0] == NTK_MERGE_SUM) {
        for (int b = 0; b < n; ++b)
            memcpy(cot[ends[b]], top, (size_t)(count * k * layer->out.size) * sizeof *top);
        return;
    }
    const int64_t rows = count * k * ntk_layer_positions(&layer->out);
    const int64_t width = layer->out.size / ntk_layer_positions(&layer->out);
    int64_t offset = 0;
    for (int b = 0; b < n; ++b) {
        const ntk_shape *shape = &stack[ends[b]].in;
        const int64_t channels = shape->size / ntk_layer_positions(shape);
        double *to = cot[ends[b]];
        for (int64_t r = 0; r < rows; ++r)
            memcpy(to + r * channels, top + r * width + offset, (size_t)channels * sizeof *to);
        offset += channels;
    }
}

/* Shapes come from branch_infer, which the model's list walk calls instead. */
static int branch_identity_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out,
                                 char *why, size_t why_size)
{
    (void)option;
    (void)why;
    (void)why_size;
    *out = *in;
    return 0;
}

/* Its buffers: the output it writes and its input's cotangents; a copy or
 * a sum per value forward, as much per cotangent row backward. */
static void branch_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                        ntk_layer_cost *cost)
{
    (void)full;
    (void)quadrature_order;
    cost->forward_flops = (double)layer->out.size;
    cost->backward_flops = (double)layer->in.size;
    cost->feature_doubles = (double)layer->out.size + (double)k * (double)layer->in.size;
    cost->widest = 1;
}

const ntk_layer_ops ntk_layer_branch_fork = {
    .name = "block",
    .infer = branch_identity_infer,
    .saved_doubles = ntk_layer_saves_nothing,
    .cost = branch_cost,
    .branch = NTK_BRANCH_FORK,
};

const ntk_layer_ops ntk_layer_branch_next = {
    .name = "branch",
    .infer = branch_identity_infer,
    .saved_doubles = ntk_layer_saves_nothing,
    .cost = branch_cost,
    .branch = NTK_BRANCH_NEXT,
};

const ntk_layer_ops ntk_layer_branch_join = {
    .name = "merge",
    .infer = branch_identity_infer,
    .saved_doubles = ntk_layer_saves_nothing,
    .cost = branch_cost,
    .branch = NTK_BRANCH_JOIN,
};
