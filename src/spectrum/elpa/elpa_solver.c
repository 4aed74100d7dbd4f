/* ELPA on ntkgram's BLACS block-cyclic layout (see solvers.h).
 *
 * ELPA reads the whole matrix (both triangles; spectrum_solve mirrors the
 * kernel's lower triangle first) and overwrites it, so spectrum_solve hands
 * it a copy and keeps -Theta for the residual check. Like the ScaLAPACK
 * drivers it returns ascending eigenvalues and, for nev < na, the nev
 * smallest pairs: on -Theta those are Theta's largest, in descending order.
 * The eigenvector matrix must have the full local size even for nev < na
 * (ELPA uses it as workspace); solve.c keeps the leading columns.
 *
 * kernel.precision float32 runs ELPA's single-precision routines the same
 * way (spectrum_solve_elpa_float32), where the library has them
 * (spectrum_elpa_single_precision).
 *
 * Every ELPA call's error code is checked and named. The 2-stage real
 * kernel is the fastest this ELPA build has and this CPU runs (ELPA's
 * compile-time table says which are built; Debian 12's has only the generic
 * ones), recorded in the solver detail. */
#include "spectrum/solvers.h"

#include <stdio.h>
#include <string.h>

#include "spectrum/spectrum.h"

#ifndef NTK_HAVE_ELPA

ntk_status spectrum_solve_elpa(const ntk_grid *grid, int two_stage, int64_t pairs,
                               ntk_dmatrix *minus_theta, double *w, ntk_dmatrix *z,
                               char *detail, size_t detail_size)
{
    (void)grid, (void)pairs, (void)minus_theta, (void)w, (void)z;
    snprintf(detail, detail_size, "none");
    /* job_rules.c refuses the key first; this guards other callers. */
    return NTK_RAISE(NTK_ERR_JOB,
                     "spectrum.solver: %s needs ELPA, but this ntkgram was built without it",
                     two_stage ? "elpa" : "elpa1");
}

int spectrum_elpa_single_precision(void) { return 0; }

ntk_status spectrum_solve_elpa_float32(const ntk_grid *grid, int two_stage,
                                       ntk_smatrix *minus_theta, float *w, ntk_smatrix *z,
                                       char *detail, size_t detail_size)
{
    (void)grid, (void)minus_theta, (void)w, (void)z;
    snprintf(detail, detail_size, "none");
    return NTK_RAISE(NTK_ERR_JOB,
                     "spectrum.solver: %s needs ELPA, but this ntkgram was built without it",
                     two_stage ? "elpa" : "elpa1");
}

#else

#include <elpa/elpa.h>

enum { DESC_LLD = 8 };

typedef struct {
    const char *name;
    int value;
    int built; /* 1 when this ELPA build contains the kernel */
} elpa_kernel;

#define NTK_ELPA_KERNEL_ENTRY(name, value, built, ...) {#name, value, built},
static const elpa_kernel elpa_real_kernels[] = {
    ELPA_FOR_ALL_2STAGE_REAL_KERNELS(NTK_ELPA_KERNEL_ENTRY, unused)};
#undef NTK_ELPA_KERNEL_ENTRY

/* Fastest first, with the CPU feature each needs ("" = any x86-64 CPU):
 * wider SIMD, then more Householder vectors per pass (BLOCK6 > 4 > 2), as
 * ELPA's documentation ranks them. Among the generic kernels (all that
 * Debian 12's build has) the block-4 one is first for the same reason; their
 * order was not measured here. */
static const struct {
    int value;
    const char *cpu_feature;
} elpa_kernel_preference[] = {
    {ELPA_2STAGE_REAL_AVX512_BLOCK6, "avx512f"}, {ELPA_2STAGE_REAL_AVX512_BLOCK4, "avx512f"},
    {ELPA_2STAGE_REAL_AVX512_BLOCK2, "avx512f"}, {ELPA_2STAGE_REAL_AVX2_BLOCK6, "avx2"},
    {ELPA_2STAGE_REAL_AVX2_BLOCK4, "avx2"},      {ELPA_2STAGE_REAL_AVX2_BLOCK2, "avx2"},
    {ELPA_2STAGE_REAL_AVX_BLOCK6, "avx"},        {ELPA_2STAGE_REAL_AVX_BLOCK4, "avx"},
    {ELPA_2STAGE_REAL_AVX_BLOCK2, "avx"},        {ELPA_2STAGE_REAL_SSE_BLOCK6, "sse4.2"},
    {ELPA_2STAGE_REAL_SSE_BLOCK4, "sse4.2"},     {ELPA_2STAGE_REAL_SSE_BLOCK2, "sse4.2"},
    {ELPA_2STAGE_REAL_GENERIC_SIMPLE_BLOCK4, ""}, {ELPA_2STAGE_REAL_GENERIC, ""},
    {ELPA_2STAGE_REAL_GENERIC_SIMPLE, ""},
};

static const elpa_kernel *find_kernel(int value)
{
    for (size_t i = 0; i < sizeof elpa_real_kernels / sizeof elpa_real_kernels[0]; ++i)
        if (elpa_real_kernels[i].value == value)
            return &elpa_real_kernels[i];
    return NULL;
}

static int cpu_has(const char *feature)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (feature[0] == '\0')
        return 1;
    if (strcmp(feature, "avx512f") == 0)
        return __builtin_cpu_supports("avx512f");
    if (strcmp(feature, "avx2") == 0)
        return __builtin_cpu_supports("avx2");
    if (strcmp(feature, "avx") == 0)
        return __builtin_cpu_supports("avx");
    if (strcmp(feature, "sse4.2") == 0)
        return __builtin_cpu_supports("sse4.2");
    return 0;
#else
    return feature[0] == '\0';
#endif
}

/* "ELPA_2STAGE_REAL_GENERIC_SIMPLE" -> "generic_simple" for the detail. */
static void kernel_short_name(const char *name, char *out, size_t size)
{
    const char *prefix = "ELPA_2STAGE_REAL_";
    if (strncmp(name, prefix, strlen(prefix)) == 0)
        name += strlen(prefix);
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < size; ++i)
        out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    out[i] = '\0';
}

static ntk_status elpa_check(int error, const char *call)
{
    if (error == ELPA_OK)
        return NTK_OK;
    return NTK_RAISE(NTK_ERR_INTERNAL, "ELPA: %s failed: %s (code %d)", call,
                     elpa_strerr(error), error);
}

static ntk_status set_int(elpa_t handle, const char *name, int value)
{
    int error = ELPA_OK;
    elpa_set_integer(handle, name, value, &error);
    if (error != ELPA_OK)
        return NTK_RAISE(NTK_ERR_INTERNAL, "ELPA: setting %s = %d failed: %s (code %d)", name,
                         value, elpa_strerr(error), error);
    return NTK_OK;
}

/* The first preferred kernel that this ELPA build has, the CPU runs and
 * ELPA accepts. Rank-local but deterministic on identical nodes; the caller
 * agrees on the status. */
static ntk_status choose_kernel(elpa_t handle, char *name, size_t size)
{
    for (size_t i = 0; i < sizeof elpa_kernel_preference / sizeof elpa_kernel_preference[0];
         ++i) {
        const elpa_kernel *kernel = find_kernel(elpa_kernel_preference[i].value);
        if (kernel == NULL || !kernel->built || !cpu_has(elpa_kernel_preference[i].cpu_feature))
            continue;
        int error = ELPA_OK;
        elpa_set_integer(handle, "real_kernel", kernel->value, &error);
        if (error == ELPA_OK) {
            kernel_short_name(kernel->name, name, size);
            return NTK_OK;
        }
    }
    return NTK_RAISE(NTK_ERR_INTERNAL, "ELPA: no 2-stage real kernel of this build is usable");
}

/* What ELPA solves: -Theta's layout and data, in float64 or float32. */
typedef struct {
    int64_t rows, local_cols;
    const int *desc;
    double *a, *w, *z;  /* float64; z NULL: values only */
    float *as, *ws, *zs; /* float32 (kernel.precision float32) instead when `as` is set */
} elpa_operands;

/* Everything between elpa_allocate and elpa_deallocate. */
static ntk_status configure_and_solve(elpa_t handle, const ntk_grid *grid, int two_stage,
                                      int64_t pairs, const elpa_operands *op, char *kernel,
                                      size_t kernel_size)
{
    const int lld = op->desc[DESC_LLD];
    ntk_status status = set_int(handle, "na", (int)op->rows);
    if (status == NTK_OK)
        status = set_int(handle, "nev", (int)pairs);
    /* ELPA takes the leading dimension as local_nrows: ours is
     * max(1, local rows), the same except on a process with no rows. */
    if (status == NTK_OK)
        status = set_int(handle, "local_nrows", lld);
    if (status == NTK_OK)
        status = set_int(handle, "local_ncols", (int)op->local_cols);
    if (status == NTK_OK)
        status = set_int(handle, "nblk", grid->block);
    if (status == NTK_OK)
        status = set_int(handle, "mpi_comm_parent", (int)MPI_Comm_c2f(grid->comm));
    if (status == NTK_OK)
        status = set_int(handle, "process_row", grid->myrow);
    if (status == NTK_OK)
        status = set_int(handle, "process_col", grid->mycol);
    if (status == NTK_OK)
        status = set_int(handle, "blacs_context", grid->context);
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_TRY(ntk_agree(elpa_check(elpa_setup(handle), "elpa_setup"), grid->comm));

    status = set_int(handle, "solver", two_stage ? ELPA_SOLVER_2STAGE : ELPA_SOLVER_1STAGE);
    if (status == NTK_OK && two_stage)
        status = choose_kernel(handle, kernel, kernel_size);
    NTK_TRY(ntk_agree(status, grid->comm));

    int error = ELPA_OK;
    const int vectors = op->as != NULL ? op->zs != NULL : op->z != NULL;
    /* ELPA's _Generic entry points: its float routines for float data */
    if (op->as != NULL && vectors)
        elpa_eigenvectors(handle, op->as, op->ws, op->zs, &error);
    else if (op->as != NULL)
        elpa_eigenvalues(handle, op->as, op->ws, &error);
    else if (vectors)
        elpa_eigenvectors(handle, op->a, op->w, op->z, &error);
    else
        elpa_eigenvalues(handle, op->a, op->w, &error);
    NTK_TRY(ntk_agree(elpa_check(error, vectors ? "elpa_eigenvectors" : "elpa_eigenvalues"),
                      grid->comm));
    return NTK_OK;
}

/* elpa_init to elpa_uninit around configure_and_solve; `kernel` receives
 * the 2-stage kernel's name. */
static ntk_status run_elpa(const ntk_grid *grid, int two_stage, int64_t pairs,
                           const elpa_operands *op, char *kernel, size_t kernel_size)
{
    NTK_TRY(ntk_agree(elpa_init(ELPA_API_VERSION) == ELPA_OK
                          ? NTK_OK
                          : NTK_RAISE(NTK_ERR_INTERNAL,
                                      "ELPA: elpa_init(%d) refused this API version",
                                      ELPA_API_VERSION),
                      grid->comm));
    int error = ELPA_OK;
    elpa_t handle = elpa_allocate(&error);
    ntk_status status =
        ntk_agree(elpa_check(handle != NULL ? error : ELPA_ERROR, "elpa_allocate"), grid->comm);
    if (status == NTK_OK)
        status = configure_and_solve(handle, grid, two_stage, pairs, op, kernel, kernel_size);
    if (handle != NULL) {
        elpa_deallocate(handle, &error);
        if (status == NTK_OK)
            status = ntk_agree(elpa_check(error, "elpa_deallocate"), grid->comm);
    }
    elpa_uninit(&error);
    if (status == NTK_OK)
        status = ntk_agree(elpa_check(error, "elpa_uninit"), grid->comm);
    return status;
}

static void describe(int two_stage, const char *kernel, const char *precision, char *detail,
                     size_t detail_size)
{
    if (two_stage)
        snprintf(detail, detail_size, "elpa 2-stage, kernel %s%s", kernel, precision);
    else
        snprintf(detail, detail_size, "elpa 1-stage%s", precision);
}

ntk_status spectrum_solve_elpa(const ntk_grid *grid, int two_stage, int64_t pairs,
                               ntk_dmatrix *minus_theta, double *w, ntk_dmatrix *z,
                               char *detail, size_t detail_size)
{
    if (z != NULL) /* the full local size, see above */
        NTK_TRY(ntk_agree(dmatrix_create(grid, minus_theta->rows, minus_theta->cols, z),
                          grid->comm));
    const elpa_operands op = {minus_theta->rows, minus_theta->local_cols, minus_theta->desc,
                              minus_theta->data, w, z != NULL ? z->data : NULL,
                              NULL, NULL, NULL};
    char kernel[64] = "";
    const ntk_status status = run_elpa(grid, two_stage, pairs, &op, kernel, sizeof kernel);
    if (status != NTK_OK) {
        if (z != NULL)
            dmatrix_destroy(z);
        return status;
    }
    describe(two_stage, kernel, "", detail, detail_size);
    return NTK_OK;
}

/* ELPA's single-precision routines exist in every build's API but compute
 * only when ELPA was configured with single precision; otherwise they fail
 * (ELPA_ERROR_DURING_COMPUTATION; Debian 12's 2022.11 is such a build) and
 * no header says which. So ask ELPA once: the eigenvalues of diag(1, 2) in
 * float by the 1-stage solver on this rank alone (MPI_COMM_SELF and a 1 x 1
 * BLACS grid of its own: nothing collective), cached. Rank-local but the
 * same on every rank of a run (one library). */
int spectrum_elpa_single_precision(void)
{
    static int known = -1;
    if (known >= 0)
        return known;
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised)
        return 0;
    known = 0;
    ntk_grid self;
    if (grid_create(MPI_COMM_SELF, 2, 1, 1, &self) != NTK_OK)
        return known;
    if (elpa_init(ELPA_API_VERSION) != ELPA_OK) {
        grid_destroy(&self);
        return known;
    }
    int error = ELPA_OK;
    float a[4] = {1.0f, 0.0f, 0.0f, 2.0f}, w[2] = {0.0f, 0.0f};
    elpa_t handle = elpa_allocate(&error);
    if (handle != NULL && error == ELPA_OK) {
        const char *names[] = {"na", "nev", "local_nrows", "local_ncols", "nblk", "process_row",
                               "process_col"};
        const int values[] = {2, 2, 2, 2, 2, 0, 0};
        for (size_t i = 0; error == ELPA_OK && i < sizeof values / sizeof values[0]; ++i)
            elpa_set_integer(handle, names[i], values[i], &error);
        if (error == ELPA_OK)
            elpa_set_integer(handle, "mpi_comm_parent", (int)MPI_Comm_c2f(MPI_COMM_SELF), &error);
        if (error == ELPA_OK)
            elpa_set_integer(handle, "blacs_context", self.context, &error);
        if (error == ELPA_OK)
            error = elpa_setup(handle);
        if (error == ELPA_OK)
            elpa_set_integer(handle, "solver", ELPA_SOLVER_1STAGE, &error);
        if (error == ELPA_OK)
            elpa_eigenvalues(handle, a, w, &error);
        known = error == ELPA_OK && w[0] == 1.0f && w[1] == 2.0f;
        elpa_deallocate(handle, &error);
    }
    elpa_uninit(&error);
    grid_destroy(&self);
    return known;
}

ntk_status spectrum_solve_elpa_float32(const ntk_grid *grid, int two_stage,
                                       ntk_smatrix *minus_theta, float *w, ntk_smatrix *z,
                                       char *detail, size_t detail_size)
{
    if (!spectrum_elpa_single_precision())
        return NTK_RAISE(NTK_ERR_JOB,
                         "spectrum.solver %s: this ELPA library was built without single "
                         "precision, which kernel.precision float32 needs",
                         two_stage ? "elpa" : "elpa1");
    if (z != NULL)
        NTK_TRY(ntk_agree(smatrix_create(grid, minus_theta->rows, minus_theta->cols, z),
                          grid->comm));
    const elpa_operands op = {minus_theta->rows, minus_theta->local_cols, minus_theta->desc,
                              NULL, NULL, NULL,
                              minus_theta->data, w, z != NULL ? z->data : NULL};
    char kernel[64] = "";
    const ntk_status status =
        run_elpa(grid, two_stage, minus_theta->rows, &op, kernel, sizeof kernel);
    if (status != NTK_OK) {
        if (z != NULL)
            smatrix_destroy(z);
        return status;
    }
    describe(two_stage, kernel, " (kernel.precision float32)", detail, detail_size);
    return NTK_OK;
}

#endif
