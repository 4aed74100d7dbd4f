/* Command-line options shared by the subcommands (see commands.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

static int option_allowed(const char *allowed, const char *name)
{
    size_t length = strlen(name);
    for (const char *p = allowed; (p = strstr(p, name)) != NULL; p += length) {
        int starts = (p == allowed || p[-1] == ' ');
        int ends = (p[length] == '\0' || p[length] == ' ');
        if (starts && ends)
            return 1;
    }
    return 0;
}

/* The most ranks `plan --ranks` sizes a job for (2^24). */
enum { CLI_MAX_RANKS = 1 << 24 };

/* "4G", "512M", "1.5T", "1000000" (bytes). */
static int parse_size(const char *text, double *bytes)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    /* !(value > 0) also refuses nan; inf is no size either */
    if (errno != 0 || end == text || !(value > 0) || isinf(value))
        return 0;
    double scale = 1.0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': scale = 1024.0; ++end; break;
    case 'm': case 'M': scale = 1048576.0; ++end; break;
    case 'g': case 'G': scale = 1073741824.0; ++end; break;
    case 't': case 'T': scale = 1099511627776.0; ++end; break;
    default: return 0;
    }
    if (*end == 'i' || *end == 'B' || *end == 'b')
        ++end;
    if (*end == 'B')
        ++end;
    if (*end != '\0')
        return 0;
    *bytes = value * scale;
    return isfinite(*bytes);
}

static int parse_count(const char *text, long *value)
{
    char *end = NULL;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < 0)
        return 0;
    *value = parsed;
    return 1;
}

/* "I/K" with 0 <= I < K, both plain decimal numbers (no sign, no spaces),
 * K at most 2^24 (more pieces than any job array holds). */
static ntk_status parse_piece(const char *command, const char *text, int *index, int *count)
{
    const char *slash = strchr(text, '/');
    long i = -1, k = -1;
    char head[32];
    int digits = slash != NULL && slash > text && slash - text < (long)sizeof head &&
                 slash[1] != '\0' && strspn(text, "0123456789") == (size_t)(slash - text) &&
                 strspn(slash + 1, "0123456789") == strlen(slash + 1);
    if (digits) {
        memcpy(head, text, (size_t)(slash - text));
        head[slash - text] = '\0';
        digits = parse_count(head, &i) && parse_count(slash + 1, &k);
    }
    if (!digits)
        return NTK_RAISE(NTK_ERR_USAGE, "%s: --piece needs I/K, piece I of K counted from 0 "
                         "(e.g. 0/4), got '%s'", command, text);
    if (k < 1 || k > CLI_MAX_RANKS)
        return NTK_RAISE(NTK_ERR_USAGE, "%s: --piece %s: the number of pieces K must be 1 to %d",
                         command, text, (int)CLI_MAX_RANKS);
    if (i >= k)
        return NTK_RAISE(NTK_ERR_USAGE, "%s: --piece %s: the piece I must be below K (pieces 0 "
                         "to %ld)", command, text, k - 1);
    *index = (int)i;
    *count = (int)k;
    return NTK_OK;
}

/* A job file that cannot be opened is a command-line mistake (exit 2, as the
 * README's errors table says), not a job file error: nothing of the job was
 * read. The job loader's own check (job_file_open), with another code. */
static ntk_status check_job_file_readable(const char *path)
{
    FILE *file = NULL;
    NTK_TRY(job_file_open(path, NTK_ERR_USAGE, &file));
    fclose(file);
    return NTK_OK;
}

/* --out is refused rather than altered when it holds a control character
 * (a newline, a tab, ...): such a name would not survive the YAML job echo
 * verbatim (a newline in a quoted YAML scalar folds into a space) and cannot
 * be shown on one log line. */
static ntk_status check_out_dir(const char *command, const char *dir)
{
    if (dir[0] == '\0')
        return NTK_RAISE(NTK_ERR_USAGE, "%s: --out needs a directory", command);
    for (size_t i = 0; dir[i] != '\0'; ++i) {
        unsigned char byte = (unsigned char)dir[i];
        if (byte < 0x20 || byte == 0x7f)
            return NTK_RAISE(NTK_ERR_USAGE, "%s: --out: the directory name has a control "
                             "character (byte 0x%02x at position %zu); use a name without "
                             "control characters", command, byte, i + 1);
    }
    return NTK_OK;
}

ntk_status cli_parse_options(int argc, char **argv, const char *command, const char *allowed,
                             ntk_cli_options *options)
{
    memset(options, 0, sizeof *options);
    options->point = -1;
    for (int i = 0; i < argc; ++i) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            if (options->request.job_path != NULL)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: unexpected argument '%s' (one job file only)",
                                 command, arg);
            options->request.job_path = arg;
            continue;
        }
        const char *name = arg + 2;
        char option[64];
        snprintf(option, sizeof option, "%s", name);
        char *equals = strchr(option, '=');
        const char *inline_value = NULL;
        if (equals != NULL) {
            *equals = '\0';
            inline_value = arg + 2 + (equals - option) + 1;
        }
        int is_flag = strcmp(option, "quiet") == 0 || strcmp(option, "verbose") == 0 ||
                      strcmp(option, "no-sweep") == 0;
        if (!option_allowed(allowed, option))
            return NTK_RAISE(NTK_ERR_USAGE, "%s: unknown option '--%s' (see ntkgram --help)",
                             command, option);
        const char *value = inline_value;
        if (!is_flag && value == NULL) {
            if (i + 1 >= argc)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: option '--%s' needs a value", command, option);
            value = argv[++i];
        }
        if (strcmp(option, "quiet") == 0) {
            options->quiet = 1;
        } else if (strcmp(option, "verbose") == 0) {
            options->verbose = 1;
        } else if (strcmp(option, "no-sweep") == 0) {
            /* the same as --set sweep={}: the job runs once, without its sweep */
            if (options->request.n_overrides >= NTK_MAX_OVERRIDES)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: at most %d --set options", command,
                                 NTK_MAX_OVERRIDES);
            ntk_job_request *request = &options->request;
            NTK_TRY(job_parse_override("sweep={}", &request->overrides[request->n_overrides]));
            request->n_overrides++;
        } else if (strcmp(option, "set") == 0) {
            if (options->request.n_overrides >= NTK_MAX_OVERRIDES)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: at most %d --set options", command,
                                 NTK_MAX_OVERRIDES);
            ntk_job_request *request = &options->request;
            NTK_TRY(job_parse_override(value, &request->overrides[request->n_overrides]));
            request->n_overrides++;
        } else if (strcmp(option, "out") == 0) {
            NTK_TRY(check_out_dir(command, value));
            options->request.out_dir = value;
        } else if (strcmp(option, "point") == 0) {
            if (!parse_count(value, &options->point))
                return NTK_RAISE(NTK_ERR_USAGE, "%s: --point needs a point number >= 0, got '%s'",
                                 command, value);
        } else if (strcmp(option, "piece") == 0) {
            NTK_TRY(parse_piece(command, value, &options->piece_index, &options->piece_count));
        } else if (strcmp(option, "ranks") == 0) {
            long ranks = 0;
            if (!parse_count(value, &ranks) || ranks < 1)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: --ranks needs a positive number, got '%s'",
                                 command, value);
            if (ranks > CLI_MAX_RANKS)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: --ranks %s is more than plan sizes for "
                                 "(at most %ld ranks)", command, value, (long)CLI_MAX_RANKS);
            options->ranks = (int)ranks;
        } else if (strcmp(option, "mem-per-rank") == 0) {
            if (!parse_size(value, &options->mem_per_rank))
                return NTK_RAISE(NTK_ERR_USAGE,
                                 "%s: --mem-per-rank needs a size such as 4G or 512M, got '%s'",
                                 command, value);
        } else if (strcmp(option, "format") == 0) {
            if (strcmp(value, "yaml") == 0)
                options->format_yaml = 1;
            else if (strcmp(value, "text") != 0)
                return NTK_RAISE(NTK_ERR_USAGE, "%s: --format takes yaml or text, got '%s'",
                                 command, value);
        }
    }
    if (options->request.job_path == NULL)
        return NTK_RAISE(NTK_ERR_USAGE, "%s: no job file given (usage: ntkgram %s JOB.yaml ...)",
                         command, command);
    NTK_TRY(check_job_file_readable(options->request.job_path));
    return NTK_OK;
}
