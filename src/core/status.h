/* Status codes and error propagation for every fallible function in ntkgram.
 *
 * Model: PETSc's PetscCall. A function that can fail returns ntk_status. The
 * place that detects a problem calls NTK_RAISE with a one-line, user-facing
 * message; every caller on the way up wraps the call in NTK_TRY, which appends
 * a source-location frame to the error's frames (shown with --verbose) and returns.
 *
 * Collective agreement: MPI ranks fail independently (one rank may hit a bad
 * row of a data file), so before any collective call that follows fallible
 * local work, every rank calls ntk_agree(). It returns the same status on all
 * ranks, and copies the message of the lowest failing rank everywhere, so the
 * job always ends with one clear line and no rank left waiting.
 */
#ifndef NTK_CORE_STATUS_H
#define NTK_CORE_STATUS_H

#include <mpi.h>
#include <stddef.h>

typedef enum {
    NTK_OK = 0,
    NTK_ERR_USAGE,       /* command line */
    NTK_ERR_JOB,         /* job file: YAML syntax, unknown keys, bad values */
    NTK_ERR_DATA,        /* input or target data: missing, wrong shape, NaN */
    NTK_ERR_IO,          /* writing outputs or checkpoints */
    NTK_ERR_MEMORY,      /* would not fit, or an allocation failed */
    NTK_ERR_MPI,         /* MPI, BLACS, grid shape vs number of ranks */
    NTK_ERR_NUMERIC,     /* a solver did not converge, non-finite values */
    NTK_ERR_INTERRUPTED, /* stopped by a signal after writing a checkpoint */
    NTK_ERR_INTERNAL     /* a bug in ntkgram */
} ntk_status;

/* Record the first error on this rank and return `code`. The message is one
 * line, without a trailing newline, and should name the file:line:column and
 * key for user errors ("job.yaml:4:9: model.w_std: must be > 0, got -1"). */
ntk_status ntk_raise(ntk_status code, const char *source_file, int source_line,
                     const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Append a frame (this source location) to the error's list of frames and
 * pass `code` through. NTK_FRAME(code) does it for the current location: the
 * form to use after a cleanup, `return NTK_FRAME(status);`. */
ntk_status ntk_add_frame(ntk_status code, const char *source_file, int source_line,
                         const char *function);
#define NTK_FRAME(code) ntk_add_frame((code), __FILE__, __LINE__, __func__)

#define NTK_RAISE(code, ...) ntk_raise((code), __FILE__, __LINE__, __VA_ARGS__)

#define NTK_TRY(expr)                                                          \
    do {                                                                       \
        ntk_status ntk_try_status_ = (expr);                                   \
        if (ntk_try_status_ != NTK_OK)                                         \
            return NTK_FRAME(ntk_try_status_);                                 \
    } while (0)

/* Like NTK_TRY, but jumps to a cleanup label instead of returning; `status`
 * must be an ntk_status variable in scope. */
#define NTK_TRY_GOTO(status, expr, label)                                      \
    do {                                                                       \
        (status) = (expr);                                                     \
        if ((status) != NTK_OK) {                                              \
            NTK_FRAME(status);                                                 \
            goto label;                                                        \
        }                                                                      \
    } while (0)

/* Collective over `comm`: every rank passes its local status and gets back the
 * status of the lowest-ranked failing rank (NTK_OK when none failed), with that
 * rank's message copied into its own error record. */
ntk_status ntk_agree(ntk_status local, MPI_Comm comm);

/* Check an MPI return code. */
#define NTK_MPI(call)                                                          \
    do {                                                                       \
        int ntk_mpi_rc_ = (call);                                              \
        if (ntk_mpi_rc_ != MPI_SUCCESS)                                        \
            return ntk_raise_mpi(ntk_mpi_rc_, #call, __FILE__, __LINE__);      \
    } while (0)
/* Like NTK_MPI, but jumps to a cleanup label instead of returning; `status`
 * must be an ntk_status variable in scope (as for NTK_TRY_GOTO). */
#define NTK_MPI_GOTO(status, call, label)                                      \
    do {                                                                       \
        int ntk_mpi_rc_ = (call);                                              \
        if (ntk_mpi_rc_ != MPI_SUCCESS) {                                      \
            (status) = ntk_raise_mpi(ntk_mpi_rc_, #call, __FILE__, __LINE__);  \
            goto label;                                                        \
        }                                                                      \
    } while (0)
ntk_status ntk_raise_mpi(int mpi_code, const char *call, const char *source_file,
                         int source_line);

const char *ntk_error_message(void); /* "" when no error was raised */
const char *ntk_error_frames(void);   /* newline-separated frames */
void ntk_error_clear(void);

/* Print "ntkgram: error: MESSAGE" to stderr (with the frames when verbose). */
void ntk_error_print(int verbose);

/* Process exit code for a status: 0 for NTK_OK, 2.. for the error classes
 * (documented in the README). */
int ntk_exit_code(ntk_status status);

#include "core/memory.h"

#endif
