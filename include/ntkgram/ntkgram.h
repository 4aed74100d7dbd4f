/* ntkgram's public C interface: the empirical (or infinite-width) Neural
 * Tangent Kernel Gram matrix Theta of a model described by a job file, and
 * its eigenvalues, computed on MPI.
 *
 * Every name here starts with ntk_. This header includes only <mpi.h> and the
 * C library; the library's internals are not part of the interface.
 *
 * Usage (the caller owns MPI: MPI_Init before, MPI_Finalize after):
 *
 *     ntk_session *session = NULL;
 *     if (ntk_session_open("job.yaml", NULL, 0, MPI_COMM_WORLD, &session) != NTK_RESULT_OK)
 *         fprintf(stderr, "%s\n", ntk_last_error());
 *     ntk_description d;
 *     ntk_session_describe(session, &d);
 *     double *theta = rank == 0 ? malloc(sizeof(double) * d.theta_rows * d.theta_rows) : NULL;
 *     ntk_theta_gather(session, 0, theta);   // M x M on rank 0
 *     ntk_session_close(&session);
 *
 * Functions marked "collective" must be called by every rank of the session's
 * communicator, in the same order. They return the same result on every rank:
 * NTK_RESULT_OK, or the code of the first failure (the command line's exit
 * codes), with its one-line message in ntk_last_error() on every rank. No
 * rank is left waiting after a failure. One call at a time per process (the
 * library keeps its error record and log state per process, not per thread).
 * The library writes no files and installs no signal handlers; it logs only
 * errors and warnings, to stderr.
 */
#ifndef NTKGRAM_NTKGRAM_H
#define NTKGRAM_NTKGRAM_H

#include <mpi.h>
#include <stdint.h>

#include "ntkgram/ntk_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NTK_BUILDING_LIBRARY) && defined(__GNUC__)
#define NTK_API __attribute__((visibility("default")))
#else
#define NTK_API
#endif

/* Results: the same numbers as `ntkgram`'s exit codes. */
typedef enum {
    NTK_RESULT_OK = 0,
    NTK_RESULT_USAGE = 2,       /* a bad argument to one of these functions */
    NTK_RESULT_JOB = 3,         /* the job file: syntax, unknown keys, bad values */
    NTK_RESULT_DATA = 4,        /* input data: missing, wrong shape, not finite */
    NTK_RESULT_IO = 5,          /* reading or writing files */
    NTK_RESULT_MEMORY = 6,      /* would not fit, or an allocation failed */
    NTK_RESULT_MPI = 7,         /* MPI, BLACS, the grid's shape against the ranks */
    NTK_RESULT_NUMERIC = 8,     /* a solver did not converge, non-finite values */
    NTK_RESULT_INTERRUPTED = 9, /* stopped by a signal */
    NTK_RESULT_INTERNAL = 10    /* a bug in ntkgram */
} ntk_result;

/* A job loaded and ready to compute: its model with its parameters, this
 * rank's inputs and the process grid Theta is distributed on. */
typedef struct ntk_session ntk_session;

/* What a session computes. The same on every rank. */
typedef struct {
    int64_t n_inputs;    /* N */
    int64_t input_dim;   /* values per input */
    int outputs;         /* k, the model's outputs */
    int64_t theta_rows;  /* M: N for kernel.outputs trace, N k for full */
    int64_t parameters;  /* the model's parameter count */
    int grid_rows, grid_cols, block; /* Theta's block-cyclic layout */
} ntk_description;

/* This rank's part of Theta in ScaLAPACK's block-cyclic layout, for callers
 * that go on with ScaLAPACK or PBLAS: global entry (i, j) (0-based) lives on
 * process (my_row, my_col) = ((i / block) % grid_rows, (j / block) % grid_cols)
 * at local (i', j'), column-major. `descriptor` is a valid ScaLAPACK array
 * descriptor (its leading dimension is local_rows, at least 1) on the BLACS
 * context `blacs_context`, which lives as long as the session. */
typedef struct {
    int64_t rows, cols;             /* global: M x M */
    int64_t local_rows, local_cols; /* this rank's part */
    int block, grid_rows, grid_cols, my_row, my_col;
    int blacs_context;
    int descriptor[9];
} ntk_theta_layout;

/* The library's version, "MAJOR.MINOR.PATCH". */
NTK_API const char *ntk_version(void);

/* Load and check a job file (the format `ntkgram run` reads), apply
 * `settings` ("key.path=value", as `ntkgram run --set` takes them; n_settings
 * of them, or NULL and 0), read this rank's share of the inputs and build the
 * model. Nothing is written: the job's output section is ignored. `comm` is
 * duplicated (the caller's stays untouched) and must hold exactly the ranks
 * the job's grid asks for (grid.shape auto: any number). Collective. On
 * failure *session is NULL. */
NTK_API int ntk_session_open(const char *job_path, const char *const *settings, int n_settings,
                             MPI_Comm comm, ntk_session **session);

/* Sizes and layout of what `session` computes. Local. */
NTK_API int ntk_session_describe(const ntk_session *session, ntk_description *description);

/* Theta, the M x M Gram matrix, whole and symmetric, into `theta` (M * M
 * doubles, row i at theta + i * M) on rank `root` of the session's
 * communicator, or on every rank when root is NTK_ALL_RANKS. Other ranks may
 * pass NULL. Theta is assembled once per session; later calls reuse it. The
 * values are those `ntkgram run` writes to theta.npy for the same job.
 * Collective. */
#define NTK_ALL_RANKS (-1)
NTK_API int ntk_theta_gather(ntk_session *session, int root, double *theta);

/* This rank's part of Theta and where it sits (see ntk_theta_layout). */
NTK_API int ntk_theta_layout_get(ntk_session *session, ntk_theta_layout *layout);
/* Copy this rank's part of Theta into `local`, column-major with leading
 * dimension `leading_dim` (at least layout.local_rows). Collective (the
 * first call assembles Theta). */
NTK_API int ntk_theta_local(ntk_session *session, double *local, int64_t leading_dim);

/* The eigenvalues of Theta, largest first, by the job's spectrum.solver
 * (auto, pdsyevd, pdsyevr, elpa, elpa1, lapack; not matrix_free, which never
 * assembles Theta) and spectrum.top: *found (M, or spectrum.top) values into
 * `values`, which has room for `capacity` on every rank. Eigenvectors are not
 * computed. Collective. */
NTK_API int ntk_eigenvalues(ntk_session *session, double *values, int64_t capacity,
                            int64_t *found);

/* Free everything the session holds and set *session to NULL. Collective
 * (it releases the BLACS grid). NULL and *session == NULL are fine. */
NTK_API void ntk_session_close(ntk_session **session);

/* The one-line message of this rank's last failure ("" when none). Valid
 * until the next call into the library. */
NTK_API const char *ntk_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
