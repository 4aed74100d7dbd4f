/* Error records, their frames and collective agreement (see status.h). */
#include "core/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NTK_MESSAGE_MAX = 2048, NTK_TRACE_MAX = 4096 };

static ntk_status error_code = NTK_OK;
static char error_message[NTK_MESSAGE_MAX];
static char error_frames[NTK_TRACE_MAX];

static void frames_append(const char *source_file, int source_line, const char *function)
{
    size_t used = strlen(error_frames);
    if (used + 1 >= sizeof error_frames)
        return;
    snprintf(error_frames + used, sizeof error_frames - used, "  at %s:%d%s%s\n",
             source_file, source_line, function ? " in " : "", function ? function : "");
}

ntk_status ntk_raise(ntk_status code, const char *source_file, int source_line,
                     const char *format, ...)
{
    /* Keep the first error: later ones are usually consequences of it. */
    if (error_code == NTK_OK) {
        va_list args;
        va_start(args, format);
        vsnprintf(error_message, sizeof error_message, format, args);
        va_end(args);
        error_code = code;
        error_frames[0] = '\0';
        frames_append(source_file, source_line, NULL);
    }
    return code;
}

ntk_status ntk_add_frame(ntk_status code, const char *source_file, int source_line,
                     const char *function)
{
    if (error_code == NTK_OK) {
        /* A status returned without a raise: still report something useful. */
        error_code = code;
        snprintf(error_message, sizeof error_message, "internal error (status %d)", (int)code);
    }
    frames_append(source_file, source_line, function);
    return code;
}

ntk_status ntk_raise_mpi(int mpi_code, const char *call, const char *source_file,
                         int source_line)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int length = 0;
    MPI_Error_string(mpi_code, text, &length);
    return ntk_raise(NTK_ERR_MPI, source_file, source_line, "MPI call %s failed: %s", call,
                     text);
}

const char *ntk_error_message(void) { return error_message; }
const char *ntk_error_frames(void) { return error_frames; }

void ntk_error_clear(void)
{
    error_code = NTK_OK;
    error_message[0] = '\0';
    error_frames[0] = '\0';
}

ntk_status ntk_agree(ntk_status local, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int mine = (local != NTK_OK) ? rank : INT32_MAX;
    int first = INT32_MAX;
    /* MPI_ERRORS_RETURN is set on MPI_COMM_WORLD (main.c), so a failing
     * collective returns here instead of aborting: report it on this rank
     * rather than act on values that were never received. */
    int rc = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (rc != MPI_SUCCESS)
        return ntk_raise_mpi(rc, "MPI_Allreduce(agreement)", __FILE__, __LINE__);
    if (first == INT32_MAX)
        return NTK_OK;

    int code = (int)local;
    rc = MPI_Bcast(&code, 1, MPI_INT, first, comm);
    char message[NTK_MESSAGE_MAX];
    if (rank == first)
        memcpy(message, error_message, sizeof message);
    if (rc == MPI_SUCCESS)
        rc = MPI_Bcast(message, sizeof message, MPI_CHAR, first, comm);
    if (rc != MPI_SUCCESS)
        return ntk_raise_mpi(rc, "MPI_Bcast(agreement)", __FILE__, __LINE__);
    if (rank != first) {
        memcpy(error_message, message, sizeof message);
        error_message[sizeof error_message - 1] = '\0';
        error_code = (ntk_status)code;
        snprintf(error_frames, sizeof error_frames, "  (raised on rank %d)\n", first);
    }
    return (ntk_status)code;
}

void ntk_error_print(int verbose)
{
    fprintf(stderr, "ntkgram: error: %s\n", error_message[0] ? error_message : "unknown error");
    if (verbose && error_frames[0])
        fprintf(stderr, "%s", error_frames);
    fflush(stderr);
}

int ntk_exit_code(ntk_status status)
{
    switch (status) {
    case NTK_OK: return 0;
    case NTK_ERR_USAGE: return 2;
    case NTK_ERR_JOB: return 3;
    case NTK_ERR_DATA: return 4;
    case NTK_ERR_IO: return 5;
    case NTK_ERR_MEMORY: return 6;
    case NTK_ERR_MPI: return 7;
    case NTK_ERR_NUMERIC: return 8;
    case NTK_ERR_INTERRUPTED: return 9;
    case NTK_ERR_INTERNAL: return 10;
    }
    return 10;
}
