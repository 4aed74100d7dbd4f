/* Rows of a .csv file. CSV has no index, so every rank scans the whole file
 * (checking every line the same way, so all ranks see the same errors) and
 * keeps only its own rows. Blank lines are skipped; a UTF-8 byte order mark
 * at the start is ignored.
 *
 * The header rule (documented in the README): the first non-blank row is a
 * header only when NONE of its fields is a number. A first row that mixes
 * numbers and text, or has a field that starts like a number but does not
 * parse ("1.0.0"), is an error naming the file, line and field: a data row
 * is never dropped as a header. Fields have no length limit; a NUL byte in
 * the file is an error naming the line. */
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

/* What one field holds. A field that starts like a number but does not parse
 * (a typo such as "1.0.0" or "2,5e") is never taken for a column name, so a
 * mistyped first row is an error instead of a silently dropped "header". */
typedef enum { FIELD_NUMBER = 0, FIELD_NAME, FIELD_MALFORMED } field_kind;

/* Classify the field [start, stop) and parse it into *value when it is a
 * number. Surrounding blanks are allowed. No length limit: strtod reads the
 * field in place (it stops at the ',' that ends it). */
static field_kind parse_field(const char *start, const char *stop, double *value)
{
    *value = 0.0;
    while (start < stop && (*start == ' ' || *start == '\t'))
        ++start;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
        --stop;
    if (start == stop)
        return FIELD_NAME; /* empty: a missing header name, never a number */
    char *end = NULL;
    double parsed = strtod(start, &end);
    if (end == stop) {
        *value = parsed;
        return FIELD_NUMBER;
    }
    const char first = *start;
    if ((first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.')
        return FIELD_MALFORMED;
    return FIELD_NAME;
}

/* Fields of a line (count only when `values` is NULL). Returns the number of
 * fields; *bad_field is the 1-based first field that is not a number (0 when
 * all are), *bad_kind its kind, and *numbers how many fields are numbers. */
static int64_t parse_fields(const char *line, double *values, int64_t capacity,
                            int64_t *bad_field, field_kind *bad_kind, int64_t *numbers)
{
    int64_t fields = 0;
    *bad_field = 0;
    *bad_kind = FIELD_NUMBER;
    *numbers = 0;
    const char *start = line;
    for (;;) {
        const char *stop = strchr(start, ',');
        if (stop == NULL)
            stop = start + strlen(start);
        double value = 0.0;
        field_kind kind = parse_field(start, stop, &value);
        if (kind == FIELD_NUMBER)
            ++*numbers;
        /* Report a malformed number before a name: it is the likelier typo. */
        if (kind != FIELD_NUMBER &&
            (*bad_field == 0 || (kind == FIELD_MALFORMED && *bad_kind != FIELD_MALFORMED))) {
            *bad_field = fields + 1;
            *bad_kind = kind;
        }
        if (values != NULL && fields < capacity)
            values[fields] = value;
        ++fields;
        if (*stop == '\0')
            break;
        start = stop + 1;
    }
    return fields;
}

/* The text of 1-based field `field` of `line`, shortened for a message. */
static void field_text(const char *line, int64_t field, char *out, size_t size)
{
    const char *start = line;
    for (int64_t f = 1; f < field && start != NULL; ++f) {
        start = strchr(start, ',');
        if (start != NULL)
            ++start;
    }
    if (start == NULL)
        start = "";
    size_t length = strcspn(start, ",");
    if (length >= size) {
        snprintf(out, size, "%.*s...", (int)(size - 4), start);
        return;
    }
    snprintf(out, size, "%.*s", (int)length, start);
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
        /* getline counts bytes; a shorter C string means a NUL byte, which
         * would silently cut the row short. */
        if ((size_t)length != strlen(reader->line))
            return NTK_RAISE(NTK_ERR_DATA, "%s:%lld: row contains a NUL byte (at byte %zu of "
                             "the line)", reader->path, (long long)reader->line_number,
                             strlen(reader->line) + 1);
        char *text = reader->line;
        /* A UTF-8 byte order mark (spreadsheet exports) is not part of the data. */
        if (reader->line_number == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        strip_line(text);
        if (is_blank(text))
            continue;

        int64_t bad_field = 0, numbers = 0;
        field_kind bad_kind = FIELD_NUMBER;
        int64_t fields = parse_fields(text, NULL, 0, &bad_field, &bad_kind, &numbers);
        char shown[48];
        if (bad_field != 0)
            field_text(text, bad_field, shown, sizeof shown);
        if (reader->header_allowed) {
            reader->header_allowed = 0;
            /* The header rule: the first row is a header only when none of its
             * fields is a number or looks like one. */
            if (bad_kind == FIELD_MALFORMED)
                return NTK_RAISE(NTK_ERR_DATA, "%s:%lld: field %lld is not a number ('%s')",
                                 reader->path, (long long)reader->line_number,
                                 (long long)bad_field, shown);
            if (numbers == 0) {
                reader->cols = fields;
                reader->cols_line = reader->line_number;
                continue;
            }
            if (bad_field != 0)
                return NTK_RAISE(NTK_ERR_DATA, "%s:%lld: field %lld is not a number ('%s'), but "
                                 "other fields of this first row are: a header row must have no "
                                 "numbers, a data row only numbers", reader->path,
                                 (long long)reader->line_number, (long long)bad_field, shown);
        }
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
            return NTK_RAISE(NTK_ERR_DATA, "%s:%lld: field %lld is not a number ('%s')",
                             reader->path, (long long)reader->line_number,
                             (long long)bad_field, shown);
        if (values != NULL)
            parse_fields(text, values, reader->cols, &bad_field, &bad_kind, &numbers);
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
