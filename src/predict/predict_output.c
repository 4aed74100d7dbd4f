/* The prediction files (see predict.h), written by rank 0 through
 * core/partial_file.h (temporary name, renamed when complete):
 *   test_predictions.npy  float64 (slices, N_test, k), C order
 *   test_mean.npy         predict.ensemble: float64 (slices, N_test, k)
 *   test_variance.npy     predict.ensemble: float64 (slices, N_test)
 *   predict.csv           step,train_loss,test_loss,test_accuracy (step `inf`
 *                         for t = infinity; empty fields when unknown)
 *   predict.svg           train and test loss against step */
#include "predict/predict.h"
#include "output/file_names.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* A float64 C-order .npy of `ndims` dimensions (2 or 3). */
static ntk_status write_array(const char *dir, const char *name, int ndims, const int64_t *shape,
                              const double *values)
{
    char path[NTK_PATH_MAX];
    NTK_TRY(output_path(dir, name, path));
    /* A version 1.0 header: the dict padded with spaces to a multiple of 64
     * bytes, ending in '\n'. */
    char dims[128];
    if (ndims == 3)
        snprintf(dims, sizeof dims, "%lld, %lld, %lld", (long long)shape[0], (long long)shape[1],
                 (long long)shape[2]);
    else
        snprintf(dims, sizeof dims, "%lld, %lld", (long long)shape[0], (long long)shape[1]);
    char dict[256];
    int length = snprintf(dict, sizeof dict,
                          "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", dims);
    if (length < 0 || length + 11 > (int)sizeof dict)
        return NTK_RAISE(NTK_ERR_INTERNAL, "predict: .npy header too long");
    int total = (10 + length + 1 + 63) / 64 * 64;
    unsigned char header[320];
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    header[8] = (unsigned char)((total - 10) & 0xff);
    header[9] = (unsigned char)((total - 10) >> 8);
    memcpy(header + 10, dict, (size_t)length);
    memset(header + 10 + length, ' ', (size_t)(total - 10 - length - 1));
    header[total - 1] = '\n';

    FILE *file = NULL;
    NTK_TRY(partial_file_open(path, &file));
    size_t count = 1;
    for (int d = 0; d < ndims; ++d)
        count *= (size_t)shape[d];
    errno = 0;
    if (fwrite(header, 1, (size_t)total, file) != (size_t)total ||
        fwrite(values, sizeof(double), count, file) != count) {
        /* Saved before the discard, whose close and remove may change it. */
        const int saved = errno;
        partial_file_discard(path, file);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", path,
                         saved != 0 ? strerror(saved) : "short write");
    }
    NTK_TRY(partial_file_commit(path, file));
    return NTK_OK;
}

ntk_status predict_write_npy(const char *dir, const ntk_predictions *p)
{
    const int64_t shape[3] = {p->slices, p->n_test, p->k};
    return write_array(dir, OUTPUT_FILE_TEST_PREDICTIONS, 3, shape, p->values);
}

ntk_status predict_write_ensemble(const char *dir, const ntk_ensemble *e)
{
    const int64_t mean_shape[3] = {e->slices, e->n_test, e->k};
    const int64_t variance_shape[2] = {e->slices, e->n_test};
    NTK_TRY(write_array(dir, OUTPUT_FILE_TEST_MEAN, 3, mean_shape, e->mean));
    return write_array(dir, OUTPUT_FILE_TEST_VARIANCE, 2, variance_shape, e->variance);
}

static void csv_number(FILE *file, double value)
{
    if (!isnan(value))
        fprintf(file, "%.17g", value);
}

ntk_status predict_write_csv(const char *dir, const ntk_predictions *p)
{
    char path[NTK_PATH_MAX];
    FILE *file = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_PREDICT_CSV, path, &file));
    fputs("step,train_loss,test_loss,test_accuracy\n", file);
    for (int s = 0; s < p->slices; ++s) {
        if (isinf(p->step[s]))
            fputs("inf,", file);
        else
            fprintf(file, "%lld,", (long long)p->step_exact[s]);
        csv_number(file, p->train_loss[s]);
        fputc(',', file);
        csv_number(file, p->test_loss[s]);
        fputc(',', file);
        csv_number(file, p->test_accuracy[s]);
        fputc('\n', file);
    }
    NTK_TRY(partial_file_commit(path, file));
    return NTK_OK;
}

/* ---- predict.svg ----
 * Steps on a "symlog" axis (linear on [0, 1], logarithmic above, as
 * spectrum.svg), losses on a log axis; t = infinity as dashed lines. */

enum { SVG_W = 560, SVG_H = 400, LEFT = 80, RIGHT = 130, TOP = 50, BOTTOM = 60 };

static double symlog(double v) { return v < 1.0 ? v : 1.0 + log10(v); }

typedef struct {
    double x0, x1, y0, y1; /* data range after transform */
} frame;

static double px(const frame *f, double step)
{
    return LEFT + (symlog(step) - f->x0) / (f->x1 - f->x0) * (SVG_W - LEFT - RIGHT);
}

/* Losses below the axis (a train loss of 1e-34 at t = infinity is zero up
 * to rounding) sit on its bottom edge. */
static double py(const frame *f, double loss)
{
    double u = fmax(log10(loss), f->y0);
    return SVG_H - BOTTOM - (u - f->y0) / (f->y1 - f->y0) * (SVG_H - TOP - BOTTOM);
}

static void curve(FILE *out, const frame *f, const ntk_predictions *p, const double *loss,
                  const char *color, const char *name, int row)
{
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (int s = 0; s < p->slices; ++s)
        if (!isinf(p->step[s]) && loss[s] > 0.0)
            fprintf(out, "%.1f,%.1f ", px(f, p->step[s]), py(f, loss[s]));
    fputs("\"/>\n", out);
    for (int s = 0; s < p->slices; ++s) {
        if (!(loss[s] > 0.0))
            continue;
        if (isinf(p->step[s]))
            fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                         "stroke-dasharray=\"5,4\"/>\n",
                    LEFT, SVG_W - RIGHT, py(f, loss[s]), py(f, loss[s]), color);
        else
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    px(f, p->step[s]), py(f, loss[s]), color);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", SVG_W - RIGHT + 10,
            TOP + 20 + 20 * row, color, name);
}

ntk_status predict_write_svg(const char *dir, const ntk_predict_config *config,
                             const ntk_predictions *p)
{
    char path[NTK_PATH_MAX];
    NTK_TRY(output_path(dir, OUTPUT_FILE_PREDICT_SVG, path));
    frame f = {0.0, 1.0, INFINITY, -INFINITY};
    for (int s = 0; s < p->slices; ++s) {
        if (!isinf(p->step[s]) && symlog(p->step[s]) > f.x1)
            f.x1 = symlog(p->step[s]);
        const double both[2] = {p->train_loss[s], p->test_loss[s]};
        for (int c = 0; c < 2; ++c)
            if (both[c] > 0.0) {
                f.y0 = fmin(f.y0, floor(log10(both[c])));
                f.y1 = fmax(f.y1, ceil(log10(both[c])));
            }
    }
    if (!(f.y1 > f.y0)) { /* nothing positive, or one decade exactly */
        f.y0 = isfinite(f.y0) ? f.y0 - 1.0 : -1.0;
        f.y1 = f.y0 + 2.0;
    }
    f.y0 = fmax(f.y0, f.y1 - 12.0); /* at most 12 decades: below is rounding */
    const double label_every = ceil((f.y1 - f.y0) / 6.0);
    FILE *out = NULL;
    NTK_TRY(partial_file_open(path, &out));
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n",
            SVG_W, SVG_H);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", SVG_W, SVG_H);
    fputs("<text x=\"20\" y=\"28\" font-size=\"15\">Linearised network on held-out inputs: "
          "loss against step</text>\n", out);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                 "stroke=\"black\"/>\n",
            LEFT, TOP, SVG_W - LEFT - RIGHT, SVG_H - TOP - BOTTOM);
    for (double d = f.y1; d >= f.y0; d -= label_every)
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", LEFT - 6,
                py(&f, pow(10.0, d)) + 4, (int)d);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">0</text>\n", px(&f, 0.0),
            SVG_H - BOTTOM + 18);
    for (double d = 0.0; 1.0 + d <= f.x1 + 1e-9; d += 1.0)
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">1e%d</text>\n",
                px(&f, pow(10.0, d)), SVG_H - BOTTOM + 18, (int)d);
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step (learning rate %g; "
                 "dashed: t = infinity)</text>\n",
            (SVG_W - RIGHT + LEFT) / 2, SVG_H - 20, config->learning_rate);
    curve(out, &f, p, p->train_loss, "#1f77b4", "train loss", 0);
    curve(out, &f, p, p->test_loss, "#d62728", "test loss", 1);
    fputs("</svg>\n", out);
    NTK_TRY(partial_file_commit(path, out));
    return NTK_OK;
}
