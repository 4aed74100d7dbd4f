/* learning_curve.csv and learning_curve.svg (diagnostics.learning_curve,
 * docs/diagnostics.md): per training set size n, the eigenlearning kappa,
 * the predicted test MSE and the measured one (mean and population
 * standard deviation over the repeats), full double precision. The plot
 * shows both curves against n on log-log axes, the measured one with its
 * spread as error bars. Written by rank 0. */
#include "output/output.h"
#include "output/file_names.h"

#include <math.h>

/* Errors below this fraction of the largest are rounding (n = N interpolates
 * every input: 1e-28, say): they are neither drawn nor stretch the axis. */
#define ROUNDING_FRACTION 1e-12

enum { WIDTH = 560, HEIGHT = 440, LEFT = 84, RIGHT = 24, TOP = 70, BOTTOM = 64 };

static ntk_status write_csv(const char *dir, const ntk_learning_curve *curve)
{
    char path[NTK_PATH_MAX];
    FILE *file = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_LEARNING_CURVE, path, &file));
    fputs("n,kappa,predicted_mse,measured_mse,measured_mse_std\n", file);
    for (int s = 0; s < curve->n_sizes; ++s)
        fprintf(file, "%lld,%.17g,%.17g,%.17g,%.17g\n", (long long)curve->size[s],
                curve->kappa[s], curve->predicted_mse[s], curve->measured_mse[s],
                curve->measured_mse_std[s]);
    NTK_TRY(partial_file_commit(path, file));
    return NTK_OK;
}

/* log10 of v mapped to pixels over [lo, hi] decades */
static double to_pixel(double v, double lo, double hi, double pixel_lo, double pixel_hi)
{
    const double f = hi > lo ? (log10(v) - lo) / (hi - lo) : 0.5;
    return pixel_lo + f * (pixel_hi - pixel_lo);
}

static void xml_text(FILE *out, const char *text)
{
    for (const char *c = text; *c; ++c) {
        if (*c == '&')
            fputs("&amp;", out);
        else if (*c == '<')
            fputs("&lt;", out);
        else if (*c == '>')
            fputs("&gt;", out);
        else
            fputc(*c, out);
    }
}

/* The largest error drawn: the predicted curve and the measured one plus its spread. */
static double y_max_of(const ntk_learning_curve *curve)
{
    double y_max = 0.0;
    for (int s = 0; s < curve->n_sizes; ++s) {
        if (isfinite(curve->predicted_mse[s]))
            y_max = fmax(y_max, curve->predicted_mse[s]);
        if (isfinite(curve->measured_mse[s] + curve->measured_mse_std[s]))
            y_max = fmax(y_max, curve->measured_mse[s] + curve->measured_mse_std[s]);
    }
    return y_max;
}

static void polyline(FILE *out, const ntk_learning_curve *curve, const double *values,
                     const char *style, double x_lo, double x_hi, double y_lo, double y_hi)
{
    const double x0 = LEFT, x1 = WIDTH - RIGHT, y0 = TOP, y1 = HEIGHT - BOTTOM;
    fprintf(out, "<polyline fill=\"none\" %s points=\"", style);
    for (int s = 0; s < curve->n_sizes; ++s)
        if (values[s] >= pow(10.0, y_lo) && values[s] > ROUNDING_FRACTION * y_max_of(curve) &&
            isfinite(values[s]))
            fprintf(out, "%.1f,%.1f ", to_pixel((double)curve->size[s], x_lo, x_hi, x0, x1),
                    to_pixel(values[s], y_lo, y_hi, y1, y0));
    fputs("\"/>\n", out);
}

static ntk_status write_svg(const char *dir, const char *title, const ntk_learning_curve *curve)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_LEARNING_CURVE_SVG, path, &out));
    double x_min = INFINITY, x_max = 0.0, y_min = INFINITY, y_max = 0.0;
    for (int s = 0; s < curve->n_sizes; ++s) {
        x_min = fmin(x_min, (double)curve->size[s]);
        x_max = fmax(x_max, (double)curve->size[s]);
        const double values[2] = {curve->predicted_mse[s],
                                  curve->measured_mse[s] + curve->measured_mse_std[s]};
        for (int v = 0; v < 2; ++v)
            if (isfinite(values[v]))
                y_max = fmax(y_max, values[v]);
    }
    for (int s = 0; s < curve->n_sizes; ++s) {
        const double values[3] = {curve->predicted_mse[s], curve->measured_mse[s],
                                  curve->measured_mse[s] - curve->measured_mse_std[s]};
        for (int v = 0; v < 3; ++v)
            if (values[v] > ROUNDING_FRACTION * y_max)
                y_min = fmin(y_min, values[v]);
    }
    const double x_lo = floor(log10(x_min)), x_hi = fmax(ceil(log10(x_max)), x_lo + 1);
    y_min = fmin(y_min, y_max);
    const int have_y = y_max > 0.0;
    const double y_lo = have_y ? floor(log10(y_min)) : -1;
    const double y_hi = have_y ? fmax(ceil(log10(y_max)), y_lo + 1) : 0;
    const double x0 = LEFT, x1 = WIDTH - RIGHT, y0 = TOP, y1 = HEIGHT - BOTTOM;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
            "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(out, "<text x=\"%d\" y=\"26\" text-anchor=\"middle\" font-size=\"17\" "
                 "font-weight=\"bold\">",
            WIDTH / 2);
    xml_text(out, title);
    fprintf(out, "</text>\n<text x=\"%d\" y=\"46\" text-anchor=\"middle\" font-size=\"12\" "
                 "fill=\"#555\">learning curve: eigenlearning prediction and kernel regression "
                 "(%d subsets per n)</text>\n",
            WIDTH / 2, curve->repeats);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                 "stroke=\"#333\"/>\n",
            x0, y0, x1 - x0, y1 - y0);
    for (double d = x_lo; d <= x_hi + 0.5; d += 1.0) {
        const double px = to_pixel(pow(10.0, d), x_lo, x_hi, x0, x1);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">1e%d"
                     "</text>\n",
                px, y0, px, y1, px, y1 + 16, (int)d);
    }
    for (double d = y_lo; have_y && d <= y_hi + 0.5; d += 1.0) {
        const double py = to_pixel(pow(10.0, d), y_lo, y_hi, y1, y0);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">1e%d"
                     "</text>\n",
                x0, py, x1, py, x0 - 6, py + 4, (int)d);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">training "
                 "set size n</text>\n",
            (x0 + x1) / 2, y1 + 44);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
                 "transform=\"rotate(-90 %.1f %.1f)\">test MSE (all N inputs)</text>\n",
            x0 - 58, (y0 + y1) / 2, x0 - 58, (y0 + y1) / 2);
    if (have_y) {
        polyline(out, curve, curve->predicted_mse, "stroke=\"#d62728\" stroke-width=\"1.8\"",
                 x_lo, x_hi, y_lo, y_hi);
        polyline(out, curve, curve->measured_mse,
                 "stroke=\"#1f77b4\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"", x_lo, x_hi,
                 y_lo, y_hi);
        for (int s = 0; s < curve->n_sizes; ++s) {
            const double mean = curve->measured_mse[s], spread = curve->measured_mse_std[s];
            if (!(mean >= pow(10.0, y_lo)) || !(mean > ROUNDING_FRACTION * y_max))
                continue;
            const double px = to_pixel((double)curve->size[s], x_lo, x_hi, x0, x1);
            const double low = fmax(mean - spread, pow(10.0, y_lo));
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"#1f77b4\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                         "fill=\"#1f77b4\"/>\n",
                    px, to_pixel(low, y_lo, y_hi, y1, y0), px,
                    to_pixel(mean + spread, y_lo, y_hi, y1, y0), px,
                    to_pixel(mean, y_lo, y_hi, y1, y0));
        }
    } else {
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
                     "fill=\"#777\">every error is zero: nothing to plot</text>\n",
                (x0 + x1) / 2, (y0 + y1) / 2);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#d62728\">predicted "
                 "(eigenlearning)</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                 "fill=\"#1f77b4\">measured (mean \xc2\xb1 std)</text>\n</svg>\n",
            x1 - 190, y0 + 20, x1 - 190, y0 + 38);
    NTK_TRY(partial_file_commit(path, out));
    return NTK_OK;
}

ntk_status output_write_learning_curve(const char *dir, const char *title,
                                       const ntk_learning_curve *curve, int plot)
{
    NTK_TRY(write_csv(dir, curve));
    if (plot)
        NTK_TRY(write_svg(dir, title, curve));
    return NTK_OK;
}
