/* Geometry shared by the convolution and pooling layers: a 2-D window
 * sliding over (H, W, C) inputs, channels last; a 1-D one over (L, C) is the
 * 2-D case with W = 1 and a 1-wide window. Positions are the output's
 * (y, x); the window's input rows start at y * sh - pad_top, wrapping around
 * for circular padding and reading zeros outside otherwise. */
#ifndef NTK_MODEL_LAYERS_CONV_GEOMETRY_H
#define NTK_MODEL_LAYERS_CONV_GEOMETRY_H

#include <stdint.h>

#include "model/layer.h"

/* EXPLICIT: torch's padding=p or (ph, pw): that many zeros on both sides. */
typedef enum { CONV_PAD_SAME = 0, CONV_PAD_VALID, CONV_PAD_CIRCULAR, CONV_PAD_EXPLICIT } conv_padding;

typedef struct {
    int one_d;                   /* (L, C) inputs: W = 1, kw = 1 */
    int64_t h, w, c_in;          /* input */
    int64_t kh, kw, sh, sw;      /* window and stride */
    int64_t pad_top, pad_left;   /* zeros (or wrapped values) before the first row/column */
    int circular;
    int64_t ho, wo;              /* output positions */
    int64_t positions;           /* ho * wo */
} conv_geometry;

/* The geometry of a window layer on input `in`, or nonzero with a reason.
 * `what` names the window in messages ("kernel", "window"); `pad_h`,
 * `pad_w`: the zeros on each side with CONV_PAD_EXPLICIT (else unused). */
int conv_geometry_make(const ntk_shape *in, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       conv_padding padding, int64_t pad_h, int64_t pad_w, const char *what,
                       conv_geometry *g, char *why, size_t why_size);

/* Input row (or column) of output row y and window offset d, or -1 outside
 * the input (zero padding). */
static inline int64_t conv_source(int64_t y, int64_t d, int64_t stride, int64_t pad, int64_t size,
                                  int circular)
{
    int64_t i = y * stride + d - pad;
    if (circular)
        return ((i % size) + size) % size;
    return i >= 0 && i < size ? i : -1;
}

/* The input position (iy * w + ix) that window offset (dy, dx) of output
 * position (y, x) reads, or -1 in the zero padding: every window loop of
 * conv and pooling reads and writes through it. */
static inline int64_t conv_tap(const conv_geometry *g, int64_t y, int64_t x, int64_t dy, int64_t dx)
{
    const int64_t iy = conv_source(y, dy, g->sh, g->pad_top, g->h, g->circular);
    const int64_t ix = conv_source(x, dx, g->sw, g->pad_left, g->w, g->circular);
    return iy < 0 || ix < 0 ? -1 : iy * g->w + ix;
}

/* The backward passes' tap-major order of a patch row: column
 * t c_in + i holds channel i of window offset t = dy kw + dx, so that each
 * offset's channels are contiguous, as they are in the input they are added
 * back onto. Returns the column of W's own order (i kh kw + t, the patch
 * matrix's) that tap-major column `column` holds. */
static inline int64_t conv_tap_major_source(const conv_geometry *g, int64_t column)
{
    return (column % g->c_in) * g->kh * g->kw + column / g->c_in;
}

#endif
