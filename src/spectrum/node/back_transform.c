/* The back-transformation of the all-pairs path (node_eigen.h): the
 * eigenvectors Z of the tridiagonal matrix become those of A as Q Z, Q the
 * product of dsytrd's reflectors H(1) ... H(M-1).
 *
 * dormtr does this with 32 reflectors at a time (LAPACK's block size for
 * it), through dlarfb, whose matrix products then have an inner dimension
 * of 32 and which copies a transposed block row of Z first. Here a block
 * of `block` reflectors is I - V T V^T (dlarft builds T), applied as
 * W = V^T Z, W = T W, Z -= V W: two plain products of inner dimension
 * `block` and M, with V copied once into a dense panel (the unit diagonal
 * and zeros above it written out) so no triangular special case is left
 * in them. The wider products are what make it faster than dormtr on
 * AVX-512 kernels; on SSE ones both run at their DGEMM rate, so nothing is
 * lost there (docs/design.md, "The single-node eigensolver", has the times).
 * With several threads each takes a share of Z's columns on one OpenBLAS
 * thread, after the blocks' T factors are built in parallel (dlarft is
 * matrix-vector work). On the AVX-512 kernels that measured the same as
 * letting OpenBLAS thread each product. */
#include "spectrum/node/node_eigen.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_threads.h"
#include "core/lapack.h"
#include "core/memory.h"

/* The block's reflectors as a dense rows x width panel: column j is zero
 * above its leading 1, then dsytrd's stored part below it. */
static void copy_panel(int rows, int width, const double *v, int64_t ldv, double *panel)
{
    for (int j = 0; j < width; j++) {
        double *column = panel + (size_t)j * (size_t)rows;
        memset(column, 0, (size_t)j * sizeof *column);
        column[j] = 1.0;
        if (rows - j - 1 > 0)
            memcpy(column + j + 1, v + (size_t)j * (size_t)ldv + (size_t)j + 1,
                   (size_t)(rows - j - 1) * sizeof *column);
    }
}

/* What every thread shares: the reflectors and their blocks' T factors. */
typedef struct {
    int m, cols, ldv, ldc, width, blocks, threads;
    const double *v;   /* the reflector matrix, from row 1 of dsytrd's `a` */
    const double *tau;
    double *c;         /* rows 1.. of Z */
    double *factors;   /* T of block b at b * width^2, width x width */
    atomic_int next_factor;
    ntk_status status; /* the first thread's allocation failure, else NTK_OK */
    pthread_mutex_t lock;
} back_state;

typedef struct {
    back_state *state;
    int id;
} back_worker;

static void block_bounds(const back_state *state, int b, int *first, int *k, int *rows)
{
    *first = b * state->width;
    *k = state->m - *first < state->width ? state->m - *first : state->width;
    *rows = state->m - *first;
}

/* Phase 1: the T factors, blocks taken from a shared counter (dlarft is
 * matrix-vector work, one thread each). */
static void build_factors(back_state *state)
{
    for (;;) {
        const int b = atomic_fetch_add(&state->next_factor, 1);
        if (b >= state->blocks)
            return;
        int first, k, rows;
        block_bounds(state, b, &first, &k, &rows);
        const double *block_v = state->v + (size_t)first * (size_t)state->ldv + (size_t)first;
        dlarft_("F", "C", &rows, &k, block_v, &state->ldv, state->tau + first,
                state->factors + (size_t)b * (size_t)state->width * (size_t)state->width,
                &state->width, 1, 1);
    }
}

/* Phase 2: this thread's columns of Z, every block from the last to the
 * first (Q Z = H(0) (H(1) (... H(m-1) Z))). */
static void apply_blocks(back_state *state, int first_col, int cols)
{
    if (cols < 1)
        return;
    double *panel = NULL, *product = NULL;
    ntk_status status = NTK_ALLOC_UNZEROED(panel, (size_t)state->m * (size_t)state->width,
                                           "back-transformation reflector panel");
    if (status == NTK_OK)
        status = NTK_ALLOC_UNZEROED(product, (size_t)state->width * (size_t)cols,
                                    "back-transformation product");
    const double one = 1.0, zero = 0.0, minus_one = -1.0;
    for (int b = state->blocks - 1; status == NTK_OK && b >= 0; b--) {
        int first, k, rows;
        block_bounds(state, b, &first, &k, &rows);
        copy_panel(rows, k, state->v + (size_t)first * (size_t)state->ldv + (size_t)first,
                   state->ldv, panel);
        double *c_block = state->c + first + (size_t)first_col * (size_t)state->ldc;
        const double *t = state->factors + (size_t)b * (size_t)state->width * (size_t)state->width;
        dgemm_("T", "N", &k, &cols, &rows, &one, panel, &rows, c_block, &state->ldc, &zero,
               product, &k, 1, 1);
        dtrmm_("L", "U", "N", "N", &k, &cols, &one, t, &state->width, product, &k, 1, 1, 1, 1);
        dgemm_("N", "N", &rows, &cols, &k, &minus_one, panel, &rows, product, &k, &one, c_block,
               &state->ldc, 1, 1);
    }
    free(product);
    free(panel);
    if (status != NTK_OK) {
        pthread_mutex_lock(&state->lock);
        if (state->status == NTK_OK)
            state->status = status;
        pthread_mutex_unlock(&state->lock);
    }
}

static void column_range(const back_state *state, int id, int *first_col, int *cols)
{
    const int64_t from = (int64_t)state->cols * id / state->threads;
    const int64_t to = (int64_t)state->cols * (id + 1) / state->threads;
    *first_col = (int)from;
    *cols = (int)(to - from);
}

static void *back_thread(void *argument)
{
    const back_worker *worker = argument;
    back_state *state = worker->state;
    build_factors(state);
    return NULL;
}

static void *apply_thread(void *argument)
{
    const back_worker *worker = argument;
    int first_col, cols;
    column_range(worker->state, worker->id, &first_col, &cols);
    apply_blocks(worker->state, first_col, cols);
    return NULL;
}

/* Runs `body` on workers 1.. in new threads and worker 0 in this one,
 * marking in `ran` which ran (a thread that could not start leaves its work
 * undone: the caller redoes it). */
static void run_threads(back_worker *workers, int threads, void *(*body)(void *), int *ran)
{
    pthread_t helpers[64];
    int started = 0;
    for (int t = 1; t < threads && t <= 64; t++) {
        if (pthread_create(&helpers[t - 1], NULL, body, &workers[t]) != 0)
            break;
        ran[t] = 1;
        started++;
    }
    body(&workers[0]);
    ran[0] = 1;
    for (int t = 0; t < started; t++)
        pthread_join(helpers[t], NULL);
}

ntk_status back_transform_apply(int64_t n64, int64_t cols64, const double *a, int64_t lda,
                                const double *tau, double *z, int64_t ldz, int block,
                                int threads)
{
    if (n64 < 2 || cols64 < 1)
        return NTK_OK; /* Q = I */
    if (n64 > INT_MAX || cols64 > INT_MAX || lda > INT_MAX || ldz > INT_MAX || block < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "back-transformation sizes out of range (M = %lld)",
                         (long long)n64);
    /* dsytrd 'L': H(i) acts on rows i+1..M-1 (0-based), its vector below the
     * subdiagonal of column i: dormqr's problem on the (M-1) x (M-1) matrix
     * from row 1, applied to rows 1.. of Z. */
    back_state state = {.m = (int)n64 - 1, .cols = (int)cols64, .ldv = (int)lda,
                        .ldc = (int)ldz, .v = a + 1, .tau = tau, .c = z + 1};
    state.width = block < state.m ? block : state.m;
    state.blocks = (state.m + state.width - 1) / state.width;
    /* at least MIN_COLUMNS columns per thread keep the products efficient */
    enum { MIN_COLUMNS = 64, MAX_THREADS = 64 };
    state.threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    if (state.threads > 1 && state.cols / state.threads < MIN_COLUMNS)
        state.threads = state.cols / MIN_COLUMNS > 1 ? state.cols / MIN_COLUMNS : 1;
    atomic_init(&state.next_factor, 0);
    state.status = NTK_ALLOC_UNZEROED(
        state.factors, (size_t)state.blocks * (size_t)state.width * (size_t)state.width,
        "back-transformation T factors");
    if (state.status != NTK_OK)
        return state.status;
    pthread_mutex_init(&state.lock, NULL);
    back_worker workers[MAX_THREADS];
    int ran[MAX_THREADS] = {0};
    for (int t = 0; t < state.threads; t++)
        workers[t] = (back_worker){.state = &state, .id = t};
    if (state.threads == 1) {
        build_factors(&state);
        apply_blocks(&state, 0, state.cols);
    } else {
        /* one OpenBLAS thread per call: the threads here split the work */
        const int before = ntk_blas_threads();
        ntk_blas_set_threads(1);
        run_threads(workers, state.threads, back_thread, ran);
        memset(ran, 0, sizeof ran);
        run_threads(workers, state.threads, apply_thread, ran);
        for (int t = 0; t < state.threads; t++)
            if (!ran[t]) /* its thread did not start: its columns here */
                apply_thread(&workers[t]);
        ntk_blas_set_threads(before);
    }
    pthread_mutex_destroy(&state.lock);
    free(state.factors);
    return state.status;
}
