/* The eigensolver interface (docs/solvers.md): one ops table per solver,
 * in the spirit of SLEPc's EPS types, and a registry with one line per
 * solver (spectrum/registry.c). spectrum_solve, plan and the auto rule ask
 * the tables what a solver can do, what it allocates and how long it takes,
 * instead of knowing the solvers. Internal to the spectrum module and plan.
 *
 * A table belongs to its family's folder: scalapack/ (pdsyevd, pdsyevr),
 * elpa/ (elpa, elpa1), node/ (lapack: the gather to one rank), parpack/
 * (matrix_free, which never assembles Theta). */
#ifndef NTK_SPECTRUM_EIGENSOLVER_H
#define NTK_SPECTRUM_EIGENSOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "spectrum/spectrum.h"

/* What a solver can do. */
enum {
    EIGENSOLVER_VALUES_ONLY = 1u << 0,    /* eigenvalues without eigenvectors, for less */
    EIGENSOLVER_VECTORS = 1u << 1,        /* eigenvectors */
    EIGENSOLVER_TOP_K = 1u << 2,          /* the top k only, for less than all */
    EIGENSOLVER_ALL_PAIRS = 1u << 3,      /* all M pairs */
    EIGENSOLVER_SEVERAL_NODES = 1u << 4,  /* runs across nodes (no gather to one rank) */
    EIGENSOLVER_OWN_LAYOUT = 1u << 5,     /* honours spectrum.grid and spectrum.block */
    EIGENSOLVER_ASSEMBLED = 1u << 6,      /* solves the assembled Theta (not matrix-free) */
    EIGENSOLVER_READS_BOTH = 1u << 7,     /* reads both triangles: Theta is mirrored first */
    EIGENSOLVER_SCALES_ITSELF = 1u << 8,  /* scales its own copy (spectrum/scaling.h) */
    EIGENSOLVER_ALWAYS_VECTORS = 1u << 9, /* computes eigenvectors whatever is asked */
    EIGENSOLVER_READS_ONLY = 1u << 10,    /* leaves -Theta whole (its lower triangle) */
};

/* The three shapes of request, which the measured speeds distinguish. */
typedef enum {
    EIGENSOLVER_KIND_ALL_PAIRS = 0, /* every eigenpair, with eigenvectors */
    EIGENSOLVER_KIND_VALUES,        /* eigenvalues only */
    EIGENSOLVER_KIND_TOP_K,         /* the top k (with or without eigenvectors) */
    EIGENSOLVER_KINDS
} eigensolver_kind;

/* One request: the job's spectrum section, M, the layout and the site. */
typedef struct {
    const ntk_spectrum_spec *spec;
    int64_t matrix_size;
    int grid_rows, grid_cols, block;
    const ntk_solver_site *site;
} eigensolver_request;

/* One solve: -Theta (whole in the triangles the table says it reads) on
 * `grid`, the workspace the table sized, `w` for M eigenvalues (ascending,
 * of the matrix given), `vectors` NULL or to be created M x m. */
typedef struct {
    const ntk_grid *grid;
    const ntk_spectrum_workspace *workspace;
    ntk_dmatrix *minus_theta;
    double *w;
    ntk_dmatrix *vectors;
    char *detail; /* summary.yaml's spectrum.solver_detail */
    size_t detail_size;
} eigensolver_call;

/* One float32 solve (kernel.precision float32, spectrum/solve_float32.c):
 * -Theta in float32 on `grid` (its lower triangle, both when the table
 * READS_BOTH; destroyed), `w` for the M ascending eigenvalues (valid on grid
 * process (0, 0) at least), `vectors` NULL or to be created M x M. The
 * driver checks the result (probes or moments) and every eigenvalue's
 * finiteness; the solve checks its library's every return code. */
typedef struct {
    const ntk_grid *grid;
    ntk_smatrix *minus_theta;
    float *w;
    ntk_smatrix *vectors;
    char *detail; /* summary.yaml's spectrum.solver_detail */
    size_t detail_size;
} eigensolver_float32_call;

typedef struct {
    ntk_solver id;          /* spectrum.solver's value */
    const char *name;       /* as spelt in the job (spectrum_solver_name) */
    const char *family;     /* its folder under src/spectrum/ */
    unsigned capabilities;  /* EIGENSOLVER_* */
    /* Seconds of the solve at M = 4096 on 2 ranks of the reference machine
     * for each eigensolver_kind (workspace.c's table, bench/eigensolve;
     * the top-k kind at k = 64); auto ranks the solvers by them scaled to
     * the job's M by `flops` (workspace.c, estimated_seconds). 0: auto does not pick it for that
     * kind (it computes more than asked, or was not measured). */
    double measured_seconds[EIGENSOLVER_KINDS];
    /* 1 when built in (NULL: always). */
    int (*available)(void);
    /* NULL when it can solve the request on this layout, else a sentence
     * saying why not (NULL pointer: it always can); then the fastest
     * distributed solver that can runs instead, whoever chose it. */
    const char *(*unfit)(const eigensolver_request *request);
    /* auto only: NULL when the site suits it, else why not (NULL pointer:
     * every site does). An explicit choice runs anyway. */
    const char *(*site_declines)(const eigensolver_request *request);
    /* auto's sentence when it picks this solver, after "<why a faster one
     * declined>: " when one did. */
    const char *auto_sentence;
    /* auto's sentence when it picks this solver because a faster one's
     * planned peak exceeds the memory per rank. */
    const char *memory_sentence;
    /* What it allocates on grid process (0, 0): fills lwork, liwork,
     * solved_pairs, vector_local_cols and gathered_doubles. */
    void (*workspace)(const eigensolver_request *request, ntk_spectrum_workspace *workspace);
    /* Its floating-point operations, all ranks together. */
    double (*flops)(const ntk_spectrum_workspace *workspace, int64_t matrix_size);
    /* The solve (NULL for matrix_free, whose operator is not a matrix:
     * spectrum_solve_matrix_free). Collective. */
    ntk_status (*solve)(const eigensolver_call *call);
    /* The least largest |entry| it is accurate with (0: dsyevd's range
     * alone; spectrum/scaling.h says why ELPA needs 1). */
    double scale_floor;
    /* What to use when its answer fails the checks (the error says it). */
    const char *alternative;
    /* kernel.precision float32: what it computes in single precision
     * (EIGENSOLVER_VALUES_ONLY, _VECTORS, _ALL_PAIRS; 0: no float32 path,
     * the job's rules refuse it) and the solve (NULL then). auto ranks the
     * float32 solvers by measured_seconds too (their float64 measurements:
     * docs/precision.md). */
    unsigned float32_capabilities;
    ntk_status (*solve_float32)(const eigensolver_float32_call *call);
    /* 1 when the float32 path computes in this build (NULL: whenever
     * `available`); else auto passes it over and the job's rules refuse it. */
    int (*float32_available)(void);
} ntk_eigensolver_ops;

/* The registry (spectrum/registry.c); at most EIGENSOLVER_MAX solvers. */
enum { EIGENSOLVER_MAX = 16 };
int eigensolver_count(void);
const ntk_eigensolver_ops *eigensolver_at(int index);
/* The table of `id`; NULL for auto and none. */
const ntk_eigensolver_ops *eigensolver_find(ntk_solver id);
int eigensolver_has(ntk_solver id, unsigned capability);
eigensolver_kind eigensolver_request_kind(const ntk_spectrum_spec *spec, int64_t matrix_size);
/* 1 when `ops` is built in and can do what `spec` asks (values, vectors,
 * top k) at all, whatever the layout. */
int eigensolver_capable(const ntk_eigensolver_ops *ops, const ntk_spectrum_spec *spec,
                        int64_t matrix_size);
/* An explicit choice runs whenever `ops` computes at least what `spec`
 * asks, keeping only that (the top k of all M pairs, no eigenvectors of
 * those it computes anyway): NULL then, else the key that asks for more
 * than it can compute ("spectrum.top" or "spectrum.vectors"). */
const char *eigensolver_short_of(const ntk_eigensolver_ops *ops, const ntk_spectrum_spec *spec);

/* The families' tables. */
extern const ntk_eigensolver_ops spectrum_pdsyevd_ops, spectrum_pdsyevr_ops;
extern const ntk_eigensolver_ops spectrum_elpa_ops, spectrum_elpa1_ops;
extern const ntk_eigensolver_ops spectrum_lapack_ops;
extern const ntk_eigensolver_ops spectrum_matrix_free_ops;

#endif
