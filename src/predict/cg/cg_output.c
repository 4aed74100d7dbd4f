/* cg.csv and cg.svg (cg.h), written by rank 0 through core/partial_file.h:
 *   cg.csv  iteration,residual_0,...,residual_{c-1}: the relative residual
 *           ||b - (Theta + ridge) x|| / ||b|| of each output after each
 *           iteration (the recurrence's; the true one where a channel was
 *           checked), iteration 0 the start
 *   cg.svg  the same against iteration, log scale, the tolerance dashed */
#include "predict/cg/cg.h"

#include <math.h>
#include <stdio.h>

#include "core/partial_file.h"
#include "output/file_names.h"
#include "output/output.h"

ntk_status cg_write_csv(const char *dir, const cg_state *s)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_CG_CSV, path, &out));
    fputs("iteration", out);
    for (int c = 0; c < s->channels; ++c)
        fprintf(out, ",residual_%d", c);
    fputc('\n', out);
    for (int64_t i = 0; i <= s->iteration; ++i) {
        fprintf(out, "%lld", (long long)i);
        for (int c = 0; c < s->channels; ++c)
            fprintf(out, ",%.17g", s->history[i * s->channels + c]);
        fputc('\n', out);
    }
    return partial_file_commit(path, out);
}

enum { SVG_W = 560, SVG_H = 400, LEFT = 80, RIGHT = 40, TOP = 50, BOTTOM = 60 };

typedef struct {
    double x1, y0, y1; /* iterations shown; decades shown */
} frame;

static double px(const frame *f, double iteration)
{
    return LEFT + iteration / f->x1 * (SVG_W - LEFT - RIGHT);
}

static double py(const frame *f, double residual)
{
    double u = residual > 0.0 ? fmax(log10(residual), f->y0) : f->y0;
    return SVG_H - BOTTOM - (u - f->y0) / (f->y1 - f->y0) * (SVG_H - TOP - BOTTOM);
}

ntk_status cg_write_svg(const char *dir, const char *title, const cg_state *s, double tolerance)
{
    static const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    frame f = {s->iteration > 0 ? (double)s->iteration : 1.0, floor(log10(tolerance)) - 1.0, 0.0};
    for (int64_t e = 0; e < (s->iteration + 1) * s->channels; ++e)
        if (s->history[e] > 0.0)
            f.y1 = fmax(f.y1, ceil(log10(s->history[e])));
    f.y0 = fmax(f.y0, f.y1 - 16.0);
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_CG_SVG, path, &out));
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n",
            SVG_W, SVG_H);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", SVG_W, SVG_H);
    fputs("<text x=\"20\" y=\"28\" font-size=\"15\">", out);
    for (const char *c = title; *c; ++c)
        if (*c == '<' || *c == '>' || *c == '&')
            fputc('_', out);
        else
            fputc(*c, out);
    fputs(": conjugate gradient, relative residual per output</text>\n", out);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                 "stroke=\"black\"/>\n",
            LEFT, TOP, SVG_W - LEFT - RIGHT, SVG_H - TOP - BOTTOM);
    const double label_every = ceil((f.y1 - f.y0) / 8.0);
    for (double d = f.y1; d >= f.y0; d -= label_every)
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", LEFT - 6,
                py(&f, pow(10.0, d)) + 4, (int)d);
    for (int t = 0; t <= 4; ++t) {
        const double iteration = floor(f.x1 * t / 4.0);
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n",
                px(&f, iteration), SVG_H - BOTTOM + 18, iteration);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">iteration (dashed: "
                 "predict.tol %g)</text>\n",
            (SVG_W - RIGHT + LEFT) / 2, SVG_H - 20, tolerance);
    fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
                 "stroke-dasharray=\"5,4\"/>\n",
            LEFT, SVG_W - RIGHT, py(&f, tolerance), py(&f, tolerance));
    for (int c = 0; c < s->channels; ++c) {
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                colors[c % 10]);
        for (int64_t i = 0; i <= s->iteration; ++i)
            fprintf(out, "%.1f,%.1f ", px(&f, (double)i), py(&f, s->history[i * s->channels + c]));
        fputs("\"/>\n", out);
    }
    fputs("</svg>\n", out);
    return partial_file_commit(path, out);
}
