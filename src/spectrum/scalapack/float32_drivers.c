/* ScaLAPACK's single-precision drivers for kernel.precision float32
 * (spectrum/solve_float32.c runs them through the ops tables'
 * solve_float32): pssyevd for every eigenpair, pssyevr (JOBZ = 'N',
 * RANGE = 'A') for the eigenvalues alone, on the lower triangle of the
 * float32 -Theta (destroyed). The workspaces follow the documented formulas
 * (pdsyevd's and pdsyevr's, the same for the s routines, scalapack_drivers.h),
 * taken larger when the query asks for more (its answer is a REAL, rounded
 * up here); every INFO and every ScaLAPACK complaint is checked. Both
 * scale the matrix into their safe range themselves, as their d routines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "grid/scalapack.h"
#include "spectrum/eigensolver.h"
#include "spectrum/scalapack/scalapack_drivers.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* A REAL workspace answer as an entry count, rounded up with room to spare. */
static int64_t query_count(float answer) { return (int64_t)ceil((double)answer * 1.001) + 16; }

ntk_status scalapack_float32_pssyevd(const eigensolver_float32_call *call)
{
    const ntk_grid *grid = call->grid;
    ntk_smatrix *a = call->minus_theta;
    const int64_t n = a->rows;
    const int size = (int)n, one = 1, query = -1;
    if (call->vectors == NULL)
        return NTK_RAISE(NTK_ERR_INTERNAL, "pssyevd (float32) computes the eigenvectors");
    NTK_TRY(ntk_agree(smatrix_create(grid, n, n, call->vectors), grid->comm));
    ntk_smatrix *z = call->vectors;
    int64_t lwork = scalapack_evd_lwork(n, grid->block, grid->rows, grid->cols);
    int64_t liwork = scalapack_evd_liwork(n, grid->cols);
    int info = 0, iwork_query = 0;
    float work_query = 0.0f;
    pssyevd_("V", "L", &size, a->data, &one, &one, a->desc, call->w, z->data, &one, &one, z->desc,
             &work_query, &query, &iwork_query, &query, &info, 1, 1);
    ntk_status status =
        ntk_agree(scalapack_check_solver("pssyevd (workspace query)", info, n), grid->comm);
    lwork = max64(lwork, query_count(work_query));
    liwork = max64(liwork, iwork_query);
    float *work = NULL;
    int *iwork = NULL;
    if (status == NTK_OK)
        status = scalapack_workspace_fits(lwork, "pssyevd");
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "pssyevd workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "pssyevd integer workspace");
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        pssyevd_("V", "L", &size, a->data, &one, &one, a->desc, call->w, z->data, &one, &one,
                 z->desc, work, &lwork_int, iwork, &liwork_int, &info, 1, 1);
        status = ntk_agree(scalapack_check_solver("pssyevd", info, n), grid->comm);
    }
    free(work);
    free(iwork);
    if (status != NTK_OK)
        smatrix_destroy(z);
    snprintf(call->detail, call->detail_size, "pssyevd (kernel.precision float32)");
    return status;
}

ntk_status scalapack_float32_pssyevr(const eigensolver_float32_call *call)
{
    const ntk_grid *grid = call->grid;
    ntk_smatrix *a = call->minus_theta;
    const int64_t n = a->rows;
    if (call->vectors != NULL)
        return NTK_RAISE(NTK_ERR_INTERNAL, "pssyevr (float32) computes the eigenvalues only");
    int64_t lwork = scalapack_evr_values_lwork(n, grid->block, grid->rows);
    int64_t liwork = scalapack_evr_values_liwork(n, grid->rows, grid->cols);
    const int size = (int)n, one = 1, il = 1, iu = (int)n, query = -1;
    const float vl = 0.0f, vu = 0.0f;
    int found = 0, found_vectors = 0, info = 0, iwork_query = 0;
    float work_query = 0.0f;
    pssyevr_("N", "A", "L", &size, a->data, &one, &one, a->desc, &vl, &vu, &il, &iu, &found,
             &found_vectors, call->w, a->data, &one, &one, a->desc, &work_query, &query,
             &iwork_query, &query, &info, 1, 1, 1);
    NTK_TRY(ntk_agree(scalapack_check_solver("pssyevr (workspace query)", info, n), grid->comm));
    lwork = max64(lwork, query_count(work_query));
    liwork = max64(liwork, iwork_query);
    float *work = NULL;
    int *iwork = NULL;
    ntk_status status = scalapack_workspace_fits(lwork, "pssyevr");
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "pssyevr workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "pssyevr integer workspace");
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        pssyevr_("N", "A", "L", &size, a->data, &one, &one, a->desc, &vl, &vu, &il, &iu, &found,
                 &found_vectors, call->w, a->data, &one, &one, a->desc, work, &lwork_int, iwork,
                 &liwork_int, &info, 1, 1, 1);
        status = scalapack_check_solver("pssyevr", info, n);
        if (status == NTK_OK && found != (int)n)
            status = NTK_RAISE(NTK_ERR_NUMERIC, "pssyevr found %d eigenvalues, expected %lld",
                               found, (long long)n);
        status = ntk_agree(status, grid->comm);
    }
    free(work);
    free(iwork);
    snprintf(call->detail, call->detail_size, "pssyevr (kernel.precision float32)");
    return status;
}
