/* spectrum.svg: a self-contained plot (no scripts, no external fonts) of the
 * eigenvalues against mode number on a log scale, and, when the job has
 * targets, the predicted training loss against step. Written by rank 0.
 *
 * The loss panel uses a "symlog" step axis — linear on [0, 1], logarithmic
 * above — so step 0 is on the axis next to 1, 10, 100, ... The curve is
 * sampled densely from the modes, and the job's dynamics.steps are marked. */
#include "output/output.h"
#include "output/file_names.h"

#include <math.h>
#include <string.h>

enum { PANEL_WIDTH = 500, HEIGHT = 450, PLOT_LEFT = 78, PLOT_RIGHT = 22, PLOT_TOP = 88,
       PLOT_BOTTOM = 68, CURVE_SAMPLES = 240 };

typedef enum { SCALE_LINEAR, SCALE_LOG, SCALE_SYMLOG } axis_scale;

typedef struct {
    axis_scale scale;
    double lo, hi;        /* data range shown */
    double pixel_lo, pixel_hi;
} axis;

static double axis_transform(axis_scale scale, double v)
{
    switch (scale) {
    case SCALE_LOG:
        return log10(v);
    case SCALE_SYMLOG:
        return v < 1.0 ? v : 1.0 + log10(v);
    default:
        return v;
    }
}

static double symlog_inverse(double u) { return u < 1.0 ? u : pow(10.0, u - 1.0); }

static double axis_pixel(const axis *a, double v)
{
    const double t0 = axis_transform(a->scale, a->lo), t1 = axis_transform(a->scale, a->hi);
    const double f = t1 > t0 ? (axis_transform(a->scale, v) - t0) / (t1 - t0) : 0.5;
    return a->pixel_lo + f * (a->pixel_hi - a->pixel_lo);
}

static void xml_text(FILE *out, const char *text)
{
    for (const char *c = text; *c; ++c) {
        switch (*c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*c, out);
        }
    }
}

/* "10" with a superscript exponent; plain numbers for 1 and 10. */
static void power_label(FILE *out, double x, double y, const char *anchor, int exponent)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"tick\">", x, y, anchor);
    if (exponent == 0)
        fputs("1", out);
    else if (exponent == 1)
        fputs("10", out);
    else
        fprintf(out, "10<tspan dy=\"-5\" class=\"exp\">%d</tspan>", exponent);
    fputs("</text>\n", out);
}

static void tick_line(FILE *out, double x1, double y1, double x2, double y2, int major)
{
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n", x1, y1,
            x2, y2, major ? "grid" : "minor");
}

/* Decade ticks on a log axis whose range is snapped to decades. */
static void log_ticks(FILE *out, const axis *a, int vertical, double other_lo, double other_hi)
{
    const int first = (int)floor(log10(a->lo) + 1e-9), last = (int)ceil(log10(a->hi) - 1e-9);
    const int span = last - first;
    const int stride = span > 8 ? (span + 7) / 8 : 1;
    for (int e = first; e <= last; ++e) {
        const double p = axis_pixel(a, pow(10.0, e));
        if (vertical)
            tick_line(out, other_lo, p, other_hi, p, 1);
        else
            tick_line(out, p, other_lo, p, other_hi, 1);
        if ((e - first) % stride == 0) {
            if (vertical)
                power_label(out, other_lo - 8, p + 4, "end", e);
            else
                power_label(out, p, other_lo + 20, "middle", e);
        }
        if (span <= 6 && e < last)
            for (int k = 2; k <= 9; ++k) {
                const double q = axis_pixel(a, k * pow(10.0, e));
                if (vertical)
                    tick_line(out, other_lo, q, other_lo + 5, q, 0);
                else
                    tick_line(out, q, other_lo, q, other_lo - 5, 0);
            }
    }
}

/* 1-2-5 ticks on a linear axis. */
static void linear_ticks(FILE *out, const axis *a, double other_lo, double other_hi)
{
    const double range = a->hi - a->lo;
    double step = pow(10.0, floor(log10(range > 0 ? range : 1.0)));
    while (range / step > 8)
        step *= (range / (step * 2) <= 8) ? 2 : 5;
    while (range / step < 3 && step > 1)
        step /= 2;
    if (step < 1)
        step = 1;
    for (double v = ceil(a->lo / step) * step; v <= a->hi + 1e-9; v += step) {
        const double p = axis_pixel(a, v);
        tick_line(out, p, other_lo, p, other_hi, 1);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%g</text>\n",
                p, other_lo + 20, v);
    }
}

/* Ticks at 0, 1, 10, 100, ... on a symlog axis. */
static void symlog_ticks(FILE *out, const axis *a, double other_lo, double other_hi)
{
    const double p0 = axis_pixel(a, 0.0);
    tick_line(out, p0, other_lo, p0, other_hi, 1);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">0</text>\n",
            p0, other_lo + 20);
    const int last = (int)ceil(log10(a->hi) - 1e-9);
    const int stride = last > 8 ? (last + 7) / 8 : 1;
    for (int e = 0; e <= last; ++e) {
        const double p = axis_pixel(a, pow(10.0, e));
        tick_line(out, p, other_lo, p, other_hi, 1);
        if (e % stride == 0)
            power_label(out, p, other_lo + 20, "middle", e);
    }
}

static void frame_and_labels(FILE *out, double x0, double y0, double x1, double y1,
                             const char *title, const char *x_label, const char *y_label)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n",
            x0, y0, x1 - x0, y1 - y0);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"panel\">%s</text>\n",
            (x0 + x1) / 2, y0 - 12, title);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\">%s</text>\n",
            (x0 + x1) / 2, y1 + 44, x_label);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\" "
            "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
            x0 - 56, (y0 + y1) / 2, x0 - 56, (y0 + y1) / 2, y_label);
}

/* A log axis over [lo, hi] (both > 0) snapped outward to whole decades. */
static void decade_range(double lo, double hi, double *out_lo, double *out_hi)
{
    double a = floor(log10(lo)), b = ceil(log10(hi));
    if (b <= a)
        b = a + 1;
    *out_lo = pow(10.0, a);
    *out_hi = pow(10.0, b);
}

static void message(FILE *out, double x, double y, const char *text)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"note\">%s</text>\n",
            x, y, text);
}

static void eigenvalue_panel(FILE *out, double left, const ntk_spectrum *spectrum)
{
    const double x0 = left + PLOT_LEFT, x1 = left + PANEL_WIDTH - PLOT_RIGHT;
    const double y0 = PLOT_TOP, y1 = HEIGHT - PLOT_BOTTOM;
    const int64_t pairs = spectrum->n_pairs;
    int64_t positive = 0;
    double lo = INFINITY, hi = 0.0;
    for (int64_t i = 0; i < pairs; ++i)
        if (spectrum->values[i] > 0.0) {
            ++positive;
            lo = fmin(lo, spectrum->values[i]);
            hi = fmax(hi, spectrum->values[i]);
        }
    const int log_x = pairs > 50;
    frame_and_labels(out, x0, y0, x1, y1, "Eigenvalues of the NTK",
                     "mode number (1 = largest)", "eigenvalue \xce\xbb");
    if (positive == 0) {
        message(out, (x0 + x1) / 2, (y0 + y1) / 2, "no positive eigenvalues to show");
        return;
    }
    axis ax = {log_x ? SCALE_LOG : SCALE_LINEAR, 1.0, (double)(pairs > 1 ? pairs : 2), x0, x1};
    if (log_x)
        decade_range(1.0, (double)pairs, &ax.lo, &ax.hi);
    else
        ax.lo = 0.0, ax.hi = (double)pairs + 1; /* a little room around the points */
    axis ay = {SCALE_LOG, 0, 0, y1, y0};
    decade_range(lo, hi, &ay.lo, &ay.hi);
    if (log_x)
        log_ticks(out, &ax, 0, y1, y0);
    else
        linear_ticks(out, &ax, y1, y0);
    log_ticks(out, &ay, 1, x0, x1);

    /* Descending values: one point per half pixel of x loses nothing. */
    fputs("<polyline class=\"eigen\" points=\"", out);
    double last_x = -1e9;
    for (int64_t i = 0; i < pairs; ++i) {
        if (spectrum->values[i] <= 0.0)
            continue;
        const double px = axis_pixel(&ax, (double)(i + 1));
        if (px - last_x < 0.5 && i != pairs - 1)
            continue;
        last_x = px;
        fprintf(out, "%.1f,%.1f ", px, axis_pixel(&ay, spectrum->values[i]));
    }
    fputs("\"/>\n", out);
    if (positive <= 60)
        for (int64_t i = 0; i < pairs; ++i)
            if (spectrum->values[i] > 0.0)
                fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" class=\"eigen-dot\"/>\n",
                        axis_pixel(&ax, (double)(i + 1)), axis_pixel(&ay, spectrum->values[i]));
    if (positive < pairs) {
        char text[96];
        snprintf(text, sizeof text, "%lld eigenvalue%s \xe2\x89\xa4 0 not shown",
                 (long long)(pairs - positive), pairs - positive == 1 ? "" : "s");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"note\">%s</text>\n",
                x1 - 8, y0 + 18, text);
    }
}

static void loss_panel(FILE *out, double left, const ntk_spectrum *spectrum,
                       const ntk_modes *modes)
{
    const double x0 = left + PLOT_LEFT, x1 = left + PANEL_WIDTH - PLOT_RIGHT;
    const double y0 = PLOT_TOP, y1 = HEIGHT - PLOT_BOTTOM;
    frame_and_labels(out, x0, y0, x1, y1, "Predicted training loss (gradient flow)",
                     "step", "loss");
    double last_step = 10.0;
    for (int j = 0; j < modes->n_steps; ++j)
        last_step = fmax(last_step, (double)modes->steps[j]);
    axis ax = {SCALE_SYMLOG, 0.0, pow(10.0, ceil(log10(last_step) - 1e-9)), x0, x1};

    double samples[CURVE_SAMPLES + 1], lo = INFINITY, hi = 0.0;
    const double u_max = axis_transform(SCALE_SYMLOG, ax.hi);
    for (int s = 0; s <= CURVE_SAMPLES; ++s) {
        samples[s] = modes_predicted_loss_at(modes, symlog_inverse(u_max * s / CURVE_SAMPLES));
        if (samples[s] > 0.0 && isfinite(samples[s])) {
            lo = fmin(lo, samples[s]);
            hi = fmax(hi, samples[s]);
        }
    }
    if (!(hi > 0.0)) {
        message(out, (x0 + x1) / 2, (y0 + y1) / 2, "the residual is zero: nothing to learn");
        return;
    }
    /* Keep the plot readable when some modes never decay in range. */
    if (lo < hi * 1e-16)
        lo = hi * 1e-16;
    axis ay = {SCALE_LOG, 0, 0, y1, y0};
    decade_range(lo, hi, &ay.lo, &ay.hi);
    symlog_ticks(out, &ax, y1, y0);
    log_ticks(out, &ay, 1, x0, x1);

    const double unresolved_loss =
        modes->residual_norm2 * modes->unresolved_energy / (2.0 * modes->loss_normaliser);
    if (spectrum->n_pairs < spectrum->vectors.rows && unresolved_loss >= ay.lo) {
        const double p = axis_pixel(&ay, unresolved_loss);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"floor\"/>\n",
                x0, p, x1, p);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"note\">"
                     "energy outside the top %lld modes</text>\n",
                x1 - 6, p - 5, (long long)spectrum->n_pairs);
    }
    if (modes->have_loss_lower_bound) {
        /* the rest of the spectrum is below lambda_k: the loss stays above this */
        fputs("<polyline class=\"bound\" points=\"", out);
        for (int s = 0; s <= CURVE_SAMPLES; ++s) {
            const double t = symlog_inverse(u_max * s / CURVE_SAMPLES);
            const double bound = modes_predicted_loss_lower_at(modes, t);
            if (bound >= ay.lo)
                fprintf(out, "%.1f,%.1f ", axis_pixel(&ax, t), axis_pixel(&ay, bound));
        }
        fputs("\"/>\n", out);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"note\">lower bound (rest of the "
                     "spectrum \xe2\x89\xa4 \xce\xbb_%lld)</text>\n",
                x0 + 8, y1 - 8, (long long)spectrum->n_pairs);
    }
    fputs("<polyline class=\"loss\" points=\"", out);
    for (int s = 0; s <= CURVE_SAMPLES; ++s)
        if (samples[s] >= ay.lo)
            fprintf(out, "%.1f,%.1f ", axis_pixel(&ax, symlog_inverse(u_max * s / CURVE_SAMPLES)),
                    axis_pixel(&ay, samples[s]));
    fputs("\"/>\n", out);
    for (int j = 0; j < modes->n_steps; ++j)
        if (modes->predicted_loss[j] >= ay.lo && (double)modes->steps[j] <= ax.hi)
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" class=\"loss-dot\"/>\n",
                    axis_pixel(&ax, (double)modes->steps[j]),
                    axis_pixel(&ay, modes->predicted_loss[j]));
}

static const char *style =
    "<style>\n"
    "text { font-family: sans-serif; fill: #222; }\n"
    ".title { font-size: 17px; font-weight: bold; }\n"
    ".subtitle { font-size: 12px; fill: #555; }\n"
    ".panel { font-size: 14px; font-weight: bold; }\n"
    ".label { font-size: 13px; }\n"
    ".tick { font-size: 11px; fill: #444; }\n"
    ".exp { font-size: 8px; }\n"
    ".note { font-size: 11px; fill: #777; font-style: italic; }\n"
    ".frame { fill: none; stroke: #333; stroke-width: 1; }\n"
    ".grid { stroke: #e3e3e3; stroke-width: 1; }\n"
    ".minor { stroke: #999; stroke-width: 0.8; }\n"
    ".eigen { fill: none; stroke: #1f77b4; stroke-width: 1.8; stroke-linejoin: round; }\n"
    ".eigen-dot { fill: #1f77b4; }\n"
    ".loss { fill: none; stroke: #d62728; stroke-width: 1.8; stroke-linejoin: round; }\n"
    ".loss-dot { fill: #fff; stroke: #d62728; stroke-width: 1.5; }\n"
    ".floor { stroke: #888; stroke-width: 1; stroke-dasharray: 5 4; }\n"
    ".bound { fill: none; stroke: #c05050; stroke-width: 1.2; stroke-dasharray: 2 3; }\n"
    "</style>\n";

ntk_status output_write_svg(const char *dir, const char *title, double learning_rate,
                            const ntk_spectrum *spectrum, const ntk_modes *modes)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_SPECTRUM_SVG, path, &out));

    const int panels = modes->have_targets ? 2 : 1;
    const int width = PANEL_WIDTH * panels;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\">\n",
            width, HEIGHT, width, HEIGHT);
    fputs(style, out);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", width, HEIGHT);
    fprintf(out, "<text x=\"%d\" y=\"26\" text-anchor=\"middle\" class=\"title\">", width / 2);
    xml_text(out, title);
    fputs("</text>\n", out);
    fprintf(out,
            "<text x=\"%d\" y=\"46\" text-anchor=\"middle\" class=\"subtitle\">"
            "%lld eigenvalues from %s; learning rate %g, largest stable %.4g</text>\n",
            width / 2, (long long)spectrum->n_pairs, spectrum->solver ? spectrum->solver : "?",
            learning_rate, modes->largest_stable_learning_rate);
    eigenvalue_panel(out, 0.0, spectrum);
    if (modes->have_targets)
        loss_panel(out, PANEL_WIDTH, spectrum, modes);
    else
        fputs("<!-- no targets: the predicted loss panel is omitted -->\n", out);
    fputs("</svg>\n", out);
    NTK_TRY(partial_file_commit(path, out));
    return NTK_OK;
}

/* --- generic charts: layers.svg (bars), kernel_drift.svg and
 * training_modes.svg (lines); one panel, the same style as spectrum.svg --- */

static const char *const chart_colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
enum { CHART_WIDTH = 640, CHART_COLOURS = 10 };

/* 1-2-5 ticks on a vertical linear axis, any range (fractions too). */
static void value_ticks(FILE *out, const axis *a, double other_lo, double other_hi)
{
    const double range = a->hi - a->lo > 0 ? a->hi - a->lo : 1.0;
    double step = pow(10.0, floor(log10(range)));
    if (range / step < 2.5)
        step /= 5.0;
    else if (range / step < 5.0)
        step /= 2.0;
    for (double v = ceil(a->lo / step) * step; v <= a->hi + 1e-9 * range; v += step) {
        const double p = axis_pixel(a, v);
        tick_line(out, other_lo, p, other_hi, p, 1);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%.3g</text>\n",
                other_lo - 8, p + 4, fabs(v) < 1e-12 * range ? 0.0 : v);
    }
}

static void chart_begin(FILE *out, const output_svg_chart *chart)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\">\n",
            CHART_WIDTH, HEIGHT, CHART_WIDTH, HEIGHT);
    fputs(style, out);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", CHART_WIDTH, HEIGHT);
    fprintf(out, "<text x=\"%d\" y=\"26\" text-anchor=\"middle\" class=\"title\">", CHART_WIDTH / 2);
    xml_text(out, chart->title);
    fputs("</text>\n", out);
    fprintf(out, "<text x=\"%d\" y=\"46\" text-anchor=\"middle\" class=\"subtitle\">",
            CHART_WIDTH / 2);
    xml_text(out, chart->subtitle != NULL ? chart->subtitle : "");
    fputs("</text>\n", out);
}

/* The y axis over the shown values (positive ones only on a log axis). */
static int chart_y_axis(const output_svg_chart *chart, double lo, double hi, double y0, double y1,
                        axis *ay)
{
    ay->pixel_lo = y1;
    ay->pixel_hi = y0;
    if (!(lo <= hi))
        return 0;
    if (chart->log_y) {
        ay->scale = SCALE_LOG;
        decade_range(lo, hi, &ay->lo, &ay->hi);
    } else {
        ay->scale = SCALE_LINEAR;
        ay->lo = lo < 0.0 ? lo : 0.0;
        ay->hi = hi > ay->lo ? hi * 1.05 : ay->lo + 1.0;
    }
    return 1;
}

ntk_status output_write_svg_bars(const char *dir, const output_svg_chart *chart,
                                 const char *const *labels, const double *values, int count)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, chart->file, path, &out));
    chart_begin(out, chart);
    const double x0 = PLOT_LEFT, x1 = CHART_WIDTH - PLOT_RIGHT, y0 = PLOT_TOP,
                 y1 = HEIGHT - PLOT_BOTTOM;
    frame_and_labels(out, x0, y0, x1, y1, "", chart->x_label, chart->y_label);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < count; ++i)
        if (isfinite(values[i]) && (!chart->log_y || values[i] > 0.0)) {
            lo = fmin(lo, values[i]);
            hi = fmax(hi, values[i]);
        }
    axis ay;
    if (count < 1 || !chart_y_axis(chart, lo, hi, y0, y1, &ay)) {
        message(out, (x0 + x1) / 2, (y0 + y1) / 2, "no values to show");
    } else {
        if (chart->log_y)
            log_ticks(out, &ay, 1, x0, x1);
        else
            value_ticks(out, &ay, x0, x1);
        const double slot = (x1 - x0) / count, base = axis_pixel(&ay, chart->log_y ? ay.lo : 0.0);
        for (int i = 0; i < count; ++i) {
            const double centre = x0 + slot * (i + 0.5);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">",
                    centre, y1 + 18);
            xml_text(out, labels[i]);
            fputs("</text>\n", out);
            if (!isfinite(values[i]) || (chart->log_y && values[i] <= 0.0))
                continue;
            const double top = axis_pixel(&ay, values[i]);
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                    centre - slot * 0.35, fmin(top, base), slot * 0.7, fabs(base - top),
                    chart_colours[0]);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%.3g</text>\n",
                    centre, fmin(top, base) - 5, values[i]);
        }
    }
    fputs("</svg>\n", out);
    NTK_TRY(partial_file_commit(path, out));
    return NTK_OK;
}

ntk_status output_write_svg_lines(const char *dir, const output_svg_chart *chart,
                                  const output_svg_series *series, int n_series)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, chart->file, path, &out));
    chart_begin(out, chart);
    const double x0 = PLOT_LEFT, x1 = CHART_WIDTH - PLOT_RIGHT - 120, y0 = PLOT_TOP,
                 y1 = HEIGHT - PLOT_BOTTOM;
    frame_and_labels(out, x0, y0, x1, y1, "", chart->x_label, chart->y_label);
    double lo = INFINITY, hi = -INFINITY, x_hi = 0.0;
    for (int s = 0; s < n_series; ++s)
        for (int64_t i = 0; i < series[s].count; ++i) {
            const double y = series[s].y[i];
            x_hi = fmax(x_hi, series[s].x[i]);
            if (isfinite(y) && (!chart->log_y || y > 0.0)) {
                lo = fmin(lo, y);
                hi = fmax(hi, y);
            }
        }
    axis ay;
    if (!chart_y_axis(chart, lo, hi, y0, y1, &ay)) {
        message(out, (x0 + x1) / 2, (y0 + y1) / 2, "no values to show");
    } else {
        axis ax = {SCALE_LINEAR, 0.0, x_hi > 0.0 ? x_hi : 1.0, x0, x1};
        linear_ticks(out, &ax, y1, y0);
        if (chart->log_y)
            log_ticks(out, &ay, 1, x0, x1);
        else
            value_ticks(out, &ay, x0, x1);
        for (int s = 0; s < n_series; ++s) {
            const char *colour = chart_colours[series[s].colour % CHART_COLOURS];
            fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"",
                    colour, series[s].dashed ? " stroke-dasharray=\"5 4\"" : "");
            for (int64_t i = 0; i < series[s].count; ++i) {
                const double y = series[s].y[i];
                if (isfinite(y) && (!chart->log_y || y > 0.0))
                    fprintf(out, "%.1f,%.1f ", axis_pixel(&ax, series[s].x[i]), axis_pixel(&ay, y));
            }
            fputs("\"/>\n", out);
            const double legend_y = y0 + 14 + 16 * s;
            fprintf(out,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"1.6\"%s/>\n",
                    x1 + 10, legend_y - 4, x1 + 34, legend_y - 4, colour,
                    series[s].dashed ? " stroke-dasharray=\"5 4\"" : "");
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">", x1 + 38, legend_y);
            xml_text(out, series[s].label);
            fputs("</text>\n", out);
        }
    }
    fputs("</svg>\n", out);
    NTK_TRY(partial_file_commit(path, out));
    return NTK_OK;
}
