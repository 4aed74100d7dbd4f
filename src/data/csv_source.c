/* Rows of a .csv file. CSV has no index, so every rank scans the whole file
 * (checking every line the same way, so all ranks see the same errors) and
 * keeps only its own rows. A header row is recognised as the first line that
 * has a field which is not a number; blank lines are skipped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

typedef struct {
    const char *path;
    FILE *file;
    char *line;
    size_t capacity;
    int64_t line_number;   /* 1-based line of the file */
    int64_t row;           /* data rows seen so far */
    int64_t cols;          /* fields per row, from the first row; -1 before */
    int64_t cols_line;     /* the line that set `cols` */
    int header_allowed;    /* nothing but blank lines read yet */
} csv_reader;

static void strip_line(char *line)
{
    size_t length = strlen(line);
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
        line[--length] = '\0';
}

static int is_blank(const char *line)
{
    for (; *line; ++line)
        if (*line != ' ' && *line != '\t')
            return 0;
    return 1;
}

/* Parse one field as a number; 1 on success. Surrounding blanks are allowed. */
static int parse_number(const char *start, const char *stop, double *value)
{
    while (start < stop && (*start == ' ' || *start == '\t'))
        ++start;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
        --stop;
    if (start == stop)
        return 0;
    char field[128];
    size_t length = (size_t)(stop - start);
    if (length >= sizeof field)
        return 0;
    memcpy(field, start, length);
    field[length] = '\0';
    char *end = NULL;
    *value = strtod(field, &end);
    return end == field + length;
}

/* Fields of a line (count only when `values` is NULL). Returns the number of
 * fields; *bad_field is the 1-based first field that is not a number, or 0. */
static int64_t parse_fields(const char *line, double *values, int64_t capacity,
                            int64_t *bad_field)
{
    int64_t fields = 0;
    *bad_field = 0;
    const char *start = line;
    for (;;) {
        const char *stop = strchr(start, ',');
        if (stop == NULL)
            stop = start + strlen(start);
        double value = 0.0;
        int ok = parse_number(start, stop, &value);
        if (!ok && *bad_field == 0)
            *bad_field = fields + 1;
        if (values != NULL && fields < capacity)
            values[fields] = value;
        ++fields;
        if (*stop == '\0')
            break;
        start = stop + 1;
    }
    return fields;
}

static ntk_status reader_open(csv_reader *reader, const char *path, const char *role_name)
{
    memset(reader, 0, sizeof *reader);
    reader->path = path;
    reader->cols = -1;
    reader->header_allowed = 1;
    reader->file = fopen(path, "r");
    if (reader->file == NULL)
        return NTK_RAISE(NTK_ERR_DATA, "%s: cannot open %s file: %s", path, role_name,
                         strerror(errno));
    return NTK_OK;
}

static void reader_close(csv_reader *reader)
{
    if (reader->file)
        fclose(reader->file);
    free(reader->line);
    reader->file = NULL;
    reader->line = NULL;
}

/* Advance to the next data row. *found is 0 at the end of the file. When
 * `values` is given (capacity >= cols) the row's numbers are stored there. */
static ntk_status reader_next(csv_reader *reader, double *values, int *found)
{
    *found = 0;
    for (;;) {
        errno = 0;
        ssize_t length = getline(&reader->line, &reader->capacity, reader->file);
        if (length < 0) {
            if (ferror(reader->file))
                return NTK_RAISE(NTK_ERR_DATA, "%s: read failed: %s", reader->path,
                                 strerror(errno));
            return NTK_OK;
        }
        ++reader->line_number;
        strip_line(reader->line);
        if (is_blank(reader->line))
            continue;

        int64_t bad_field = 0;
        int64_t fields = parse_fields(reader->line, NULL, 0, &bad_field);
        if (bad_field != 0 && reader->header_allowed) {
            reader->header_allowed = 0; /* a header row of names */
            reader->cols = fields;
            reader->cols_line = reader->line_number;
            continue;
        }
        reader->header_allowed = 0;
        if (reader->cols < 0) {
            reader->cols = fields;
            reader->cols_line = reader->line_number;
        }
        if (fields != reader->cols)
            return NTK_RAISE(NTK_ERR_DATA, "%s:%lld: row has %lld fields, expected %lld (as on "
                             "line %lld)", reader->path, (long long)reader->line_number,
                             (long long)fields, (long long)reader->cols,
                             (long long)reader->cols_line);
        if (bad_field != 0)
            return NTK_RAISE(NTK_ERR_DATA, "%s:%lld: field %lld is not a number",
                             reader->path, (long long)reader->line_number,
                             (long long)bad_field);
        if (values != NULL)
            parse_fields(reader->line, values, reader->cols, &bad_field);
        ++reader->row;
        *found = 1;
        return NTK_OK;
    }
}

ntk_status data_csv_shape(const char *path, const char *role_name, int64_t *rows, int64_t *cols)
{
    csv_reader reader;
    ntk_status status = reader_open(&reader, path, role_name);
    int found = 1;
    while (status == NTK_OK && found)
        status = reader_next(&reader, NULL, &found);
    *rows = reader.row;
    *cols = reader.cols < 0 ? 0 : reader.cols;
    reader_close(&reader);
    NTK_TRY(status);
    if (reader.row == 0)
        return NTK_RAISE(NTK_ERR_DATA, "%s: no data rows", path);
    return NTK_OK;
}

ntk_status data_csv_read_rows(const char *path, const char *role_name, const int64_t *index,
                              int64_t count, int64_t cols, double *values)
{
    csv_reader reader;
    double *row_values = NULL;
    ntk_status status = reader_open(&reader, path, role_name);
    if (status == NTK_OK)
        status = NTK_CALLOC(row_values, cols, "a CSV row");
    int64_t next = 0; /* position in index of the next row to keep */
    int found = 1;
    /* Scan to the end even after the last kept row, so every rank checks the
     * same lines and a ragged row is reported whichever rows a rank owns. */
    while (status == NTK_OK) {
        status = reader_next(&reader, row_values, &found);
        if (status != NTK_OK || !found)
            break;
        if (reader.cols != cols) {
            status = NTK_RAISE(NTK_ERR_DATA, "%s:%lld: has %lld columns, expected %lld", path,
                               (long long)reader.line_number, (long long)reader.cols,
                               (long long)cols);
            break;
        }
        const int64_t row = reader.row - 1;
        if (next < count && index[next] == row) {
            for (int64_t c = 0; c < cols; ++c)
                if (!isfinite(row_values[c])) {
                    status = NTK_RAISE(NTK_ERR_DATA, "%s:%lld: row %lld, column %lld: value is "
                                       "not finite (%g)", path, (long long)reader.line_number,
                                       (long long)row, (long long)c, row_values[c]);
                    break;
                }
            memcpy(values + next * cols, row_values, sizeof(double) * (size_t)cols);
            ++next;
        }
    }
    if (status == NTK_OK && next < count)
        status = NTK_RAISE(NTK_ERR_DATA, "%s: has %lld rows, row %lld was asked for", path,
                           (long long)reader.row, (long long)index[next]);
    free(row_values);
    reader_close(&reader);
    return status;
}
