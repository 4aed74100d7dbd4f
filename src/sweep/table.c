/* sweep.csv and the per-point rows it is built from (see table.h). */
#include "sweep/table.h"
#include "core/quoted.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/file_names.h"
#include "output/output.h"
#include "sweep/point.h"
#include "sweep/sweep.h"

/* A row holds the point's values, each at most NTK_SWEEP_VALUE_MAX - 1
 * characters (twice that quoted), and a few numbers. */
enum { TABLE_LINE_MAX = 2 * NTK_MAX_SWEEP_KEYS * NTK_SWEEP_VALUE_MAX + 8192 };

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void write_field(FILE *file, const char *text)
{
    if (strpbrk(text, ",\"\r\n") == NULL)
        fputs(text, file);
    else
        ntk_write_quoted(file, text, '"');
}

static void write_header(FILE *file, const ntk_job *job)
{
    fputs("point", file);
    for (int key = 0; key < job->sweep.n_keys; ++key) {
        fputc(',', file);
        write_field(file, job->sweep.key[key]);
    }
    fputs(",N,lambda_max,lambda_min,effective_rank,largest_stable_learning_rate,wall_seconds,"
          "analytic_distance\n",
          file);
}

/* The point's identity at the start of its row: "INDEX,VALUE,..." with each
 * value's exact YAML text. */
static void write_identity(FILE *file, const ntk_job *job, int64_t point)
{
    int index[NTK_MAX_SWEEP_KEYS];
    sweep_point_indices(job, point, index);
    fprintf(file, "%lld", (long long)point);
    for (int key = 0; key < job->sweep.n_keys; ++key) {
        fputc(',', file);
        write_field(file, job->sweep.value[key][index[key]]);
    }
    fputc(',', file);
}

/* Text built by `write` into `buffer` (capacity TABLE_LINE_MAX); "" if it
 * does not fit. */
static int format_header(char *buffer, const ntk_job *job)
{
    FILE *memory = fmemopen(buffer, TABLE_LINE_MAX, "w");
    if (memory == NULL)
        return 0;
    write_header(memory, job);
    return fclose(memory) == 0;
}

static int format_identity(char *buffer, const ntk_job *job, int64_t point)
{
    FILE *memory = fmemopen(buffer, TABLE_LINE_MAX, "w");
    if (memory == NULL)
        return 0;
    write_identity(memory, job, point);
    return fclose(memory) == 0;
}

static void write_number(FILE *file, int have, double value)
{
    fputc(',', file);
    if (have)
        fprintf(file, "%.17g", value);
}

/* Write to a name unique to this process, then rename: array tasks may
 * rebuild the same sweep.csv at the same moment. */
static ntk_status open_unique_partial(const char *path, char *partial, size_t capacity,
                                      FILE **file)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(partial, capacity, "%s.partial-%s-%ld", path, host, (long)getpid());
    *file = fopen(partial, "w");
    if (*file == NULL)
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", partial, strerror(errno));
    return NTK_OK;
}

static ntk_status commit_unique_partial(const char *path, const char *partial, FILE *file)
{
    int failed = ferror(file);
    if (fclose(file) != 0)
        failed = 1;
    if (failed || rename(partial, path) != 0) {
        int error = errno;
        remove(partial);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", path, strerror(error));
    }
    return NTK_OK;
}

ntk_status sweep_write_point_row(const ntk_job *job, int64_t point, const char *point_dir,
                                 const ntk_run_result *result)
{
    char path[NTK_PATH_MAX];
    FILE *file = NULL;
    NTK_TRY(output_file_open(point_dir, OUTPUT_FILE_SWEEP_POINT, path, &file));
    write_header(file, job);
    write_identity(file, job, point);
    fprintf(file, "%lld", (long long)result->n_inputs);
    const int spectral = result->have_spectrum;
    write_number(file, spectral, result->lambda_max);
    write_number(file, spectral, result->lambda_min);
    write_number(file, spectral, result->effective_rank);
    write_number(file, spectral, result->largest_stable_learning_rate);
    write_number(file, 1, result->wall_seconds);
    write_number(file, result->analytic_distance >= 0.0, result->analytic_distance);
    fputc('\n', file);
    NTK_TRY(partial_file_commit(path, file));
    return NTK_OK;
}

/* The row of a finished point, or "" when it has none (not run yet, run by
 * a sweep with other columns, or a folder that belongs to another point). */
static void read_point_row(const char *path, const char *header, const char *identity,
                           char *row, size_t capacity)
{
    row[0] = '\0';
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return;
    char line[TABLE_LINE_MAX];
    if (fgets(line, sizeof line, file) != NULL && strcmp(line, header) == 0 &&
        fgets(row, (int)capacity, file) != NULL) {
        size_t length = strlen(row);
        if (length == 0 || row[length - 1] != '\n' ||
            strncmp(row, identity, strlen(identity)) != 0)
            row[0] = '\0'; /* cut short, or another point's row */
    } else {
        row[0] = '\0';
    }
    fclose(file);
}

ntk_status sweep_point_row_exists(const ntk_job *job, int64_t point, const char *point_dir,
                                  int *exists)
{
    *exists = 0;
    char header[TABLE_LINE_MAX], identity[TABLE_LINE_MAX], row[TABLE_LINE_MAX];
    char path[NTK_PATH_MAX];
    if (!format_header(header, job) || !format_identity(identity, job, point))
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot build the row of sweep point %lld",
                         (long long)point);
    NTK_TRY(output_path(point_dir, OUTPUT_FILE_SWEEP_POINT, path));
    read_point_row(path, header, identity, row, sizeof row);
    *exists = row[0] != '\0';
    return NTK_OK;
}

ntk_status sweep_write_table(const ntk_job *job, const char *dir, int64_t *rows)
{
    *rows = 0;
    char header[TABLE_LINE_MAX], identity[TABLE_LINE_MAX];
    if (!format_header(header, job))
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot build the " OUTPUT_FILE_SWEEP " header");

    char path[NTK_PATH_MAX], partial[NTK_PATH_MAX + 128];
    NTK_TRY(output_path(dir, OUTPUT_FILE_SWEEP, path));
    FILE *file = NULL;
    NTK_TRY(open_unique_partial(path, partial, sizeof partial, &file));
    fputs(header, file);

    const int64_t points = sweep_points(job);
    char name[SWEEP_NAME_MAX + 1], point_dir[NTK_PATH_MAX], point_csv[NTK_PATH_MAX];
    char row[TABLE_LINE_MAX];
    ntk_status status = NTK_OK;
    for (int64_t point = 0; point < points && status == NTK_OK; ++point) {
        sweep_point_name(job, point, name, sizeof name);
        status = output_path(dir, name, point_dir);
        if (status == NTK_OK)
            status = output_path(point_dir, OUTPUT_FILE_SWEEP_POINT, point_csv);
        if (status == NTK_OK && !format_identity(identity, job, point))
            status = NTK_RAISE(NTK_ERR_MEMORY, "cannot build the row of sweep point %lld",
                               (long long)point);
        if (status != NTK_OK)
            break;
        read_point_row(point_csv, header, identity, row, sizeof row);
        if (row[0] != '\0') {
            fputs(row, file);
            ++*rows;
        }
    }
    if (status != NTK_OK) {
        fclose(file);
        remove(partial);
        return NTK_FRAME(status);
    }
    NTK_TRY(commit_unique_partial(path, partial, file));
    return NTK_OK;
}
