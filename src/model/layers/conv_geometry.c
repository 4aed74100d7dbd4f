/* Window geometry of conv and avg_pool (conv_geometry.h), with PyTorch's
 * rules: `same` pads k - 1 in total, k / 2 rounded down before and the rest
 * after (torch's padding='same'), and torch refuses it with strides; `valid`
 * pads nothing and floors (H - k) / s + 1; `circular` is `same` with wrapped
 * values (torch's padding='same', padding_mode='circular'); explicit pads
 * (ph, pw) zeros on both sides, any stride, and floors
 * (H + 2 ph - k) / s + 1 (torch's padding=p or (ph, pw)). */
#include "model/layers/conv_geometry.h"

#include <stdio.h>

#include "core/checked_math.h"

static const char *const padding_names[] = {"same", "valid", "circular"};

int conv_geometry_make(const ntk_shape *in, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       conv_padding padding, int64_t pad_h, int64_t pad_w, const char *what,
                       conv_geometry *g, char *why, size_t why_size)
{
    if (in->rank != 2 && in->rank != 3) {
        snprintf(why, why_size, "needs inputs of shape (H, W, C) or (L, C), got %s",
                 in->rank == 1 ? "flat inputs (one vector per input: after a flatten, "
                                 "global_avg_pool or dense layer, or (N, d) data)"
                               : "a tensor of another rank");
        return 1;
    }
    g->one_d = in->rank == 2;
    if (g->one_d && (kh != kw || sh != sw)) {
        snprintf(why, why_size, "on (L, C) inputs the %s and stride are single integers, got "
                 "[%lld, %lld] and [%lld, %lld]", what, (long long)kh, (long long)kw,
                 (long long)sh, (long long)sw);
        return 1;
    }
    g->h = in->dim[0];
    g->w = g->one_d ? 1 : in->dim[1];
    g->c_in = g->one_d ? in->dim[1] : in->dim[2];
    g->kh = kh;
    g->kw = g->one_d ? 1 : kw;
    g->sh = sh;
    g->sw = g->one_d ? 1 : sw;
    g->circular = padding == CONV_PAD_CIRCULAR;
    if (padding == CONV_PAD_EXPLICIT) {
        if (g->one_d && pad_h != pad_w) {
            snprintf(why, why_size, "on (L, C) inputs the padding is a single integer, got "
                     "[%lld, %lld]", (long long)pad_h, (long long)pad_w);
            return 1;
        }
        const int64_t padded_h = g->h + 2 * pad_h, padded_w = g->w + 2 * (g->one_d ? 0 : pad_w);
        /* pads are at most 2^31 - 1 and sizes fit BLAS ints: no overflow */
        if (g->kh > padded_h || g->kw > padded_w) {
            snprintf(why, why_size, "%s %lld x %lld is larger than the padded input %lld x %lld",
                     what, (long long)g->kh, (long long)g->kw, (long long)padded_h,
                     (long long)padded_w);
            return 1;
        }
        g->pad_top = pad_h;
        g->pad_left = g->one_d ? 0 : pad_w;
        g->ho = (padded_h - g->kh) / g->sh + 1;
        g->wo = (padded_w - g->kw) / g->sw + 1;
        if (ntk_mul_overflow_i64(g->ho, g->wo, &g->positions)) {
            snprintf(why, why_size, "%lld x %lld output positions overflow", (long long)g->ho,
                     (long long)g->wo);
            return 1;
        }
        return 0;
    }
    /* same padding reads zeros around any input (torch allows a larger kernel);
     * valid needs a whole window, circular one that wraps at most once. */
    if (padding != CONV_PAD_SAME && (g->kh > g->h || g->kw > g->w)) {
        snprintf(why, why_size, "%s %lld x %lld is larger than the input %lld x %lld (%s padding)",
                 what, (long long)g->kh, (long long)g->kw, (long long)g->h, (long long)g->w,
                 padding_names[padding]);
        return 1;
    }
    if (padding == CONV_PAD_VALID) {
        g->pad_top = g->pad_left = 0;
        g->ho = (g->h - g->kh) / g->sh + 1;
        g->wo = (g->w - g->kw) / g->sw + 1;
    } else {
        if (g->sh != 1 || g->sw != 1) {
            snprintf(why, why_size, "%s padding needs stride 1 (as torch's padding='same'); "
                     "use padding: valid for strides", padding_names[padding]);
            return 1;
        }
        g->pad_top = (g->kh - 1) / 2;
        g->pad_left = (g->kw - 1) / 2;
        g->ho = g->h;
        g->wo = g->w;
    }
    if (ntk_mul_overflow_i64(g->ho, g->wo, &g->positions)) {
        snprintf(why, why_size, "%lld x %lld output positions overflow", (long long)g->ho,
                 (long long)g->wo);
        return 1;
    }
    return 0;
}
