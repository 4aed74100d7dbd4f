/* ScaLAPACK, LAPACK and PBLAS complaints become ntkgram errors (see
 * scalapack.h).
 *
 * A routine that finds an illegal argument calls PXERBLA (ScaLAPACK) or
 * XERBLA (LAPACK): the library versions print "On entry to PDORMTR parameter
 * number 16 had an illegal value" and return, and the caller may go on - a
 * driver such as pdsyevr then returns INFO = 0 with garbage (issue 7, defect
 * 1). ntkgram defines both entry points, so the dynamic linker binds the
 * libraries' calls to ours (the executable's definition interposes the shared
 * library's; tests/grid/grid_scalapack_errors.c proves the calls arrive), and
 * records the first complaint (and prints it as a warning); grid_check_scalapack()
 * turns it into an error after every ScaLAPACK call.
 *
 * PBLAS and the C tools report through Cblacs_abort (Fortran: blacs_abort)
 * and expect it not to return, so ours ends the job on every rank with one
 * ntkgram error line and the internal-error exit code instead of the
 * library's bare MPI_Abort. */
#include "grid/scalapack.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One process, one thread per rank: a plain static record suffices. */
static struct {
    int pending;
    char routine[32];
    int parameter;
} complaint;

static void record_complaint(const char *name, size_t length, int parameter)
{
    if (complaint.pending)
        return; /* the first complaint is the cause; later ones follow from it */
    /* Fortran strings are blank-padded, not NUL-terminated. */
    while (length > 0 && name[length - 1] == ' ')
        --length;
    if (length >= sizeof complaint.routine)
        length = sizeof complaint.routine - 1;
    memcpy(complaint.routine, name, length);
    complaint.routine[length] = '\0';
    complaint.parameter = parameter;
    complaint.pending = 1;
    /* Said at once as well: a complaint from a BLAS or LAPACK call outside
     * ScaLAPACK (cblas_dgemm, dstev) is only turned into an error at the
     * next grid_check_scalapack, and must not go unseen if none follows. */
    fprintf(stderr, "ntkgram: warning: on entry to %s parameter number %d had an illegal value\n",
            complaint.routine, parameter);
}

/* SUBROUTINE PXERBLA( ICONTXT, SRNAME, INFO ), gfortran calling convention. */
void pxerbla_(const int *context, const char *name, const int *info, size_t name_length)
{
    (void)context;
    record_complaint(name, name_length, *info);
}

/* SUBROUTINE XERBLA( SRNAME, INFO ). */
void xerbla_(const char *name, const int *info, size_t name_length)
{
    record_complaint(name, name_length, *info);
}

static void end_job(const char *what, int error_number)
{
    fprintf(stderr,
            "ntkgram: error: %s aborted (error %d) inside a ScaLAPACK call: an argument "
            "ntkgram passed was illegal; this is a bug in ntkgram\n",
            what, error_number);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 10); /* ntk_exit_code(NTK_ERR_INTERNAL) */
    abort();                       /* MPI_Abort does not return; be sure */
}

void Cblacs_abort(int context, int error_number)
{
    (void)context;
    end_job("PBLAS/BLACS", error_number);
}

void blacs_abort_(const int *context, const int *error_number)
{
    (void)context;
    end_job("BLACS", *error_number);
}

int grid_scalapack_complaint(char *routine, size_t size, int *parameter)
{
    if (!complaint.pending)
        return 0;
    snprintf(routine, size, "%s", complaint.routine);
    *parameter = complaint.parameter;
    complaint.pending = 0;
    return 1;
}

ntk_status grid_check_scalapack(const char *call, int info)
{
    char routine[sizeof complaint.routine];
    int parameter = 0;
    if (grid_scalapack_complaint(routine, sizeof routine, &parameter))
        return NTK_RAISE(NTK_ERR_INTERNAL,
                         "%s: ScaLAPACK reported \"on entry to %s parameter number %d had an "
                         "illegal value\" (info %d); this is a bug in ntkgram",
                         call, routine, parameter, info);
    if (info < 0) /* -(i*100 + j): entry j of array argument i; -i: scalar argument i */
        return NTK_RAISE(NTK_ERR_INTERNAL,
                         "%s rejected its argument %d (info %d); this is a bug in ntkgram", call,
                         info > -100 ? -info : -info / 100, info);
    if (info > 0)
        return NTK_RAISE(NTK_ERR_NUMERIC, "%s failed (info %d)", call, info);
    return NTK_OK;
}
