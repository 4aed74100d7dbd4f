/* compare_npy A.npy B.npy [TOLERANCE]: the two arrays have the same shape and
 * agree to TOLERANCE (default 1e-12) relative to the largest magnitude in
 * either, max |a - b| / max(|a|, |b|). The one .npy comparison every shell
 * test uses (tests/lib.sh: compare_npy); exit status 1 with a message naming
 * both files when they differ, 2 when a file cannot be read.
 *
 * It reads the files itself instead of through src/format, so that a bug in
 * ntkgram's reader cannot hide in the comparison of ntkgram's own outputs, and
 * it is C rather than numpy because the suite compares arrays hundreds of
 * times and each Python start costs more than the comparison. Data types:
 * little-endian float64, float32, int64 and int32, in C or Fortran order. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DIMS = 8 };

typedef struct {
    int ndim;
    long long shape[MAX_DIMS];
    long long size;
    double *values; /* in C order */
} array;

static int fail_read(const char *path, const char *why)
{
    fprintf(stderr, "compare_npy: %s: %s\n", path, why);
    return 0;
}

/* The value of KEY in the header's dict, as the text after "'KEY':". */
static const char *header_value(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *at = strstr(header, quoted);
    if (!at)
        return NULL;
    at = strchr(at + strlen(quoted), ':');
    if (!at)
        return NULL;
    for (++at; *at == ' '; ++at) {
    }
    return at;
}

static int parse_shape(const char *text, array *out)
{
    if (*text != '(')
        return 0;
    out->ndim = 0;
    out->size = 1;
    for (++text;;) {
        while (*text == ' ' || *text == ',')
            ++text;
        if (*text == ')')
            return 1;
        if (!isdigit((unsigned char)*text) || out->ndim == MAX_DIMS)
            return 0;
        char *end;
        long long extent = strtoll(text, &end, 10);
        out->shape[out->ndim++] = extent;
        out->size *= extent;
        text = end;
    }
}

/* Fortran order to C order: walk the C-order index and find each element's
 * position in the Fortran-order data. */
static void to_c_order(array *a)
{
    if (a->ndim < 2 || a->size == 0)
        return;
    double *c = malloc((size_t)a->size * sizeof *c);
    if (!c) {
        fprintf(stderr, "compare_npy: out of memory\n");
        exit(2);
    }
    long long index[MAX_DIMS] = {0};
    for (long long i = 0; i < a->size; ++i) {
        long long position = 0, stride = 1;
        for (int d = 0; d < a->ndim; ++d) {
            position += index[d] * stride;
            stride *= a->shape[d];
        }
        c[i] = a->values[position];
        for (int d = a->ndim - 1; d >= 0; --d) {
            if (++index[d] < a->shape[d])
                break;
            index[d] = 0;
        }
    }
    free(a->values);
    a->values = c;
}

static int read_npy(const char *path, array *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail_read(path, "cannot open");
    unsigned char magic[10];
    int ok = 0;
    char *header = NULL;
    if (fread(magic, 1, 10, f) != 10 || memcmp(magic, "\x93NUMPY", 6) != 0) {
        fail_read(path, "not a .npy file");
        goto done;
    }
    size_t header_length = magic[8] | (size_t)magic[9] << 8;
    if (magic[6] >= 2) {
        unsigned char more[2];
        if (fread(more, 1, 2, f) != 2) {
            fail_read(path, "truncated header");
            goto done;
        }
        header_length |= (size_t)more[0] << 16 | (size_t)more[1] << 24;
    }
    header = calloc(header_length + 1, 1);
    if (!header || fread(header, 1, header_length, f) != header_length) {
        fail_read(path, "truncated header");
        goto done;
    }
    const char *descr = header_value(header, "descr");
    const char *order = header_value(header, "fortran_order");
    const char *shape = header_value(header, "shape");
    if (!descr || !order || !shape || !parse_shape(shape, out)) {
        fail_read(path, "unreadable header");
        goto done;
    }
    size_t width;
    char kind;
    if (!strncmp(descr, "'<f8'", 5))
        width = 8, kind = 'f';
    else if (!strncmp(descr, "'<f4'", 5))
        width = 4, kind = 'f';
    else if (!strncmp(descr, "'<i8'", 5))
        width = 8, kind = 'i';
    else if (!strncmp(descr, "'<i4'", 5))
        width = 4, kind = 'i';
    else {
        fail_read(path, "data type is not <f8, <f4, <i8 or <i4");
        goto done;
    }
    out->values = malloc((size_t)(out->size ? out->size : 1) * sizeof(double));
    unsigned char *raw = malloc((size_t)(out->size ? out->size : 1) * width);
    if (!out->values || !raw) {
        free(raw);
        fail_read(path, "out of memory");
        goto done;
    }
    if (fread(raw, width, (size_t)out->size, f) != (size_t)out->size) {
        free(raw);
        fail_read(path, "fewer values than its shape says");
        goto done;
    }
    for (long long i = 0; i < out->size; ++i) {
        const unsigned char *p = raw + (size_t)i * width;
        if (kind == 'f' && width == 8) {
            double v;
            memcpy(&v, p, 8);
            out->values[i] = v;
        } else if (kind == 'f') {
            float v;
            memcpy(&v, p, 4);
            out->values[i] = v;
        } else if (width == 8) {
            int64_t v;
            memcpy(&v, p, 8);
            out->values[i] = (double)v;
        } else {
            int32_t v;
            memcpy(&v, p, 4);
            out->values[i] = v;
        }
    }
    free(raw);
    if (!strncmp(order, "True", 4))
        to_c_order(out);
    ok = 1;
done:
    free(header);
    fclose(f);
    return ok;
}

static void shape_text(const array *a, char *text, size_t room)
{
    size_t used = (size_t)snprintf(text, room, "(");
    for (int d = 0; d < a->ndim && used < room; ++d)
        used += (size_t)snprintf(text + used, room - used, d + 1 < a->ndim || a->ndim == 1 ? "%lld," : "%lld",
                                 a->shape[d]);
    if (used < room)
        snprintf(text + used, room - used, ")");
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: compare_npy A.npy B.npy [TOLERANCE]\n");
        return 2;
    }
    double tolerance = 1e-12;
    if (argc == 4) {
        char *end;
        tolerance = strtod(argv[3], &end);
        if (*end || end == argv[3]) {
            fprintf(stderr, "compare_npy: tolerance '%s' is not a number\n", argv[3]);
            return 2;
        }
    }
    array a = {0}, b = {0};
    if (!read_npy(argv[1], &a) || !read_npy(argv[2], &b))
        return 2;
    int same_shape = a.ndim == b.ndim;
    for (int d = 0; same_shape && d < a.ndim; ++d)
        same_shape = a.shape[d] == b.shape[d];
    if (!same_shape) {
        char sa[160], sb[160];
        shape_text(&a, sa, sizeof sa);
        shape_text(&b, sb, sizeof sb);
        fprintf(stderr, "%s vs %s: shape %s != %s\n", argv[1], argv[2], sa, sb);
        return 1;
    }
    /* NaN anywhere makes the difference NaN, which no tolerance accepts. */
    double scale = 1e-300, largest = 0.0;
    for (long long i = 0; i < a.size; ++i) {
        scale = fmax(scale, fmax(fabs(a.values[i]), fabs(b.values[i])));
        const double difference = fabs(a.values[i] - b.values[i]);
        largest = isnan(difference) || isnan(largest) ? NAN : fmax(largest, difference);
    }
    const double error = largest / scale;
    if (!(error <= tolerance)) {
        fprintf(stderr, "%s vs %s: relative difference %.3e > %.1e\n", argv[1], argv[2], error, tolerance);
        return 1;
    }
    printf("%s vs %s: max relative difference %.2e (%lld entries)\n", argv[1], argv[2], error, a.size);
    free(a.values);
    free(b.values);
    return 0;
}
