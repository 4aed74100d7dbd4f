/* Float32 GEMMs of the conv layer's passes and Jacobian block (conv_single.h). */
#include <cblas.h>
#include <string.h>

#include "model/layers/conv_single.h"

static int64_t patch_depth(const conv_geometry *g) { return g->c_in * g->kh * g->kw; }

int64_t conv_single_scratch_floats(const conv_geometry *g, int64_t c_out)
{
    /* operand: the patches and (block) the cotangent columns, or (backward)
     * one cotangent row and the tap-major weights; product: the block rows or
     * the patch-shaped backward product */
    const int64_t depth = patch_depth(g);
    const int64_t forward = g->positions * (depth + c_out);
    const int64_t backward = (g->positions + depth) * c_out;
    const int64_t operand = forward > backward ? forward : backward;
    const int64_t product = (g->positions > c_out ? g->positions : c_out) *
                            (depth > c_out ? depth : c_out);
    return operand > product ? operand : product;
}

/* conv_patches (conv.c) into floats. */
static void patches_single(const conv_geometry *g, const double *in, float *patches)
{
    const int64_t depth = patch_depth(g);
    for (int64_t y = 0; y < g->ho; ++y)
        for (int64_t x = 0; x < g->wo; ++x) {
            float *row = patches + (y * g->wo + x) * depth;
            for (int64_t dy = 0; dy < g->kh; ++dy)
                for (int64_t dx = 0; dx < g->kw; ++dx) {
                    const int64_t at = conv_tap(g, y, x, dy, dx);
                    const double *a = at < 0 ? NULL : in + at * g->c_in;
                    for (int64_t i = 0; i < g->c_in; ++i)
                        row[(i * g->kh + dy) * g->kw + dx] = a != NULL ? (float)a[i] : 0.0f;
                }
        }
}

/* conv_scatter (conv.c) of float tap-major patches scaled in double. */
static void scatter_single(const conv_geometry *g, const float *patches, double scale, double *in)
{
    const int64_t depth = patch_depth(g);
    for (int64_t y = 0; y < g->ho; ++y)
        for (int64_t x = 0; x < g->wo; ++x) {
            const float *row = patches + (y * g->wo + x) * depth;
            for (int64_t dy = 0; dy < g->kh; ++dy)
                for (int64_t dx = 0; dx < g->kw; ++dx) {
                    const int64_t at = conv_tap(g, y, x, dy, dx);
                    if (at < 0)
                        continue;
                    const float *from = row + (dy * g->kw + dx) * g->c_in;
                    double *a = in + at * g->c_in;
                    for (int64_t i = 0; i < g->c_in; ++i)
                        a[i] += scale * (double)from[i];
                }
        }
}

void conv_single_forward(const conv_geometry *g, int64_t c_out, const float *weight, double scale,
                         const ntk_single_passes *pass, const double *in, int64_t in_size,
                         int64_t count, double *out)
{
    const int64_t depth = patch_depth(g), P = g->positions;
    float *patches = pass->operand, *product = pass->product;
    for (int64_t x = 0; x < count; ++x) {
        patches_single(g, in + x * in_size, patches);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)c_out, (int)depth, 1.0f,
                    patches, (int)depth, weight, (int)depth, 0.0f, product, (int)c_out);
        double *z = out + x * P * c_out;
        for (int64_t e = 0; e < P * c_out; ++e)
            z[e] = scale * (double)product[e];
    }
}

void conv_single_backward(const conv_geometry *g, int64_t c_out, const float *weight,
                          double scale, const ntk_single_passes *pass, const double *cot_out,
                          int64_t in_size, int64_t rows, double *cot_in)
{
    const int64_t depth = patch_depth(g), P = g->positions;
    float *delta = pass->operand, *tap_major = pass->operand + P * c_out, *patches = pass->product;
    memset(cot_in, 0, (size_t)(rows * in_size) * sizeof *cot_in);
    /* W's columns in tap-major order, so that the scatter adds contiguous
     * runs: each entry of the product is the same dot product, though
     * OpenBLAS's SGEMM may round some differently at another column */
    for (int64_t o = 0; o < c_out; ++o)
        for (int64_t j = 0; j < depth; ++j)
            tap_major[o * depth + j] = weight[o * depth + conv_tap_major_source(g, j)];
    for (int64_t r = 0; r < rows; ++r) {
        const double *d = cot_out + r * P * c_out;
        for (int64_t e = 0; e < P * c_out; ++e)
            delta[e] = (float)d[e];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)P, (int)depth, (int)c_out,
                    1.0f, delta, (int)c_out, tap_major, (int)depth, 0.0f, patches, (int)depth);
        scatter_single(g, patches, scale, cot_in + r * in_size);
    }
}

void conv_single_block(const conv_geometry *g, int64_t c_out, double scale,
                       const ntk_single_passes *pass, const double *in, const double *cot_out,
                       int64_t out_size, int k, int64_t first, int64_t rows, int64_t width,
                       double *block)
{
    const int64_t depth = patch_depth(g), P = g->positions;
    float *patches = pass->operand, *delta = pass->operand + P * depth, *product = pass->product;
    patches_single(g, in, patches);
    for (int o = 0; o < k; ++o) {
        const double *d = cot_out + (int64_t)o * out_size; /* positions x c_out */
        for (int64_t p = 0; p < P; ++p)
            for (int64_t c = 0; c < rows; ++c)
                delta[p * rows + c] = (float)d[p * c_out + first + c];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rows, (int)depth, (int)P, 1.0f,
                    delta, (int)rows, patches, (int)depth, 0.0f, product, (int)depth);
        double *row = block + o * width;
        for (int64_t e = 0; e < rows * depth; ++e)
            row[e] = scale * (double)product[e];
    }
}
