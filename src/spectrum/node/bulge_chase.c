/* Band to tridiagonal by bulge chasing (node_eigen.h), the second stage of
 * the values-only reduction, on several threads.
 *
 * LAPACK's dsytrd_sb2st runs the sweeps as tasks of dsb2st_kernels and is
 * parallel only when LAPACK is built with OpenMP, which Debian's OpenBLAS
 * and netlib builds are not: serial, it took as long as the whole first
 * stage (docs/design.md, "The single-node eigensolver"). This runs the same kernel calls in the same order within
 * each sweep, with LAPACK's dependency between sweeps: task j of sweep s
 * (1-based, as dsb2st_kernels counts) may start once sweep s - 1 has
 * finished its task j + 2 (or all of its tasks), which keeps the two sweeps'
 * windows of the band apart. Threads take whole sweeps in increasing order
 * from a shared counter and publish each finished task in `progress`, so a
 * sweep waits only for one taken earlier by a running thread: no deadlock,
 * whatever the number of threads, and a thread that could not be started
 * only costs speed.
 *
 * dsb2st_kernels keeps each sweep's Householder vectors in one of two
 * slots chosen by the sweep's parity; each thread has its own pair of
 * slots, so no two threads' sweeps share them. The result is the same bit
 * for bit on any number of threads; against LAPACK's serial dsytrd_sb2st it
 * can differ in the last bit (OpenBLAS's vector kernels round by alignment,
 * and LAPACK's workspace is laid out differently). */
#define _GNU_SOURCE
#include "spectrum/node/node_eigen.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_threads.h"
#include "core/lapack.h"
#include "core/memory.h"

enum { SWEEP_DONE = INT_MAX };

typedef struct {
    int n, kd, ldband;
    double *band;
    atomic_int next_sweep;  /* the next sweep to take, 1-based */
    atomic_int *progress;   /* [s]: tasks sweep s has finished, SWEEP_DONE at its end */
} chase_state;

typedef struct {
    chase_state *state;
    double *v, *tau, *work; /* this thread's: 2M, 2M and kd doubles */
} chase_worker;

/* Task `id` (1-based) of sweep `sweep`: dsytrd_sb2st's index arithmetic
 * for one task group of size 1. Returns 1 when it is the sweep's last. */
static int task_bounds(int n, int kd, int sweep, int id, int *type, int *first, int *last)
{
    int column, block_last;
    if (id == 1)
        *type = 1;
    else
        *type = id % 2 + 2;
    if (*type == 2) {
        column = (id / 2) * kd + sweep;
        block_last = column;
    } else {
        column = ((id + 1) / 2) * kd + sweep;
        block_last = 0;
    }
    *first = column - kd + 1;
    *last = column < n ? column : n;
    if (*type != 2 && *first >= *last - 1 && *last == n)
        block_last = n;
    return block_last >= n - 1;
}

static void wait_for(const atomic_int *progress, int tasks)
{
    for (unsigned spins = 0; atomic_load_explicit(progress, memory_order_acquire) < tasks;
         spins++)
        if (spins % 256 == 255)
            sched_yield(); /* more threads than free cores: let the one we wait for run */
}

static void run_sweep(const chase_worker *worker, int sweep)
{
    chase_state *state = worker->state;
    const int n = state->n, kd = state->kd, lda = state->ldband, wantz = 0, ib = 1;
    const int ldv = kd + ib;
    for (int id = 1;; id++) {
        int type, first, last;
        const int final = task_bounds(n, kd, sweep, id, &type, &first, &last);
        if (sweep > 1)
            wait_for(&state->progress[sweep - 1], id + 2);
        dsb2st_kernels_("L", &wantz, &type, &first, &last, &sweep, &n, &kd, &ib, state->band,
                        &lda, worker->v, worker->tau, &ldv, worker->work, 1);
        atomic_store_explicit(&state->progress[sweep], final ? SWEEP_DONE : id,
                              memory_order_release);
        if (final)
            return;
    }
}

static void *chase(void *argument)
{
    const chase_worker *worker = argument;
    chase_state *state = worker->state;
    for (;;) {
        const int sweep = atomic_fetch_add(&state->next_sweep, 1);
        if (sweep > state->n - 1)
            return NULL;
        run_sweep(worker, sweep);
    }
}

ntk_status bulge_chase_band(int64_t n64, int kd, double *band, int ldband, double *d, double *e,
                            int threads)
{
    if (n64 < 1)
        return NTK_OK;
    if (n64 > INT_MAX / 2 || kd < 1 || ldband < 2 * kd + 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "bulge chasing: M = %lld, kd = %d, ldband = %d",
                         (long long)n64, kd, ldband);
    const int n = (int)n64;
    if (kd > 1 && n > 2) {
        if (threads < 1)
            threads = 1;
        if (threads > n - 1)
            threads = n - 1;
        chase_state state = {.n = n, .kd = kd, .ldband = ldband, .band = band};
        atomic_init(&state.next_sweep, 1);
        chase_worker *workers = NULL;
        double *slots = NULL;
        ntk_status status = NTK_CALLOC(state.progress, (size_t)n, "bulge chasing progress");
        if (status == NTK_OK)
            status = NTK_CALLOC(workers, (size_t)threads, "bulge chasing threads");
        /* per thread: V and TAU (2M each) and the kernel's kd, each thread's
         * starting on a 64-byte boundary: OpenBLAS's kernels round
         * differently by the alignment of their vectors (in the last bit), and
         * a sweep must compute the same numbers whichever thread takes it, so
         * the result does not depend on the number of threads (tested). */
        const size_t stride = (4 * (size_t)n + (size_t)kd + 7) / 8 * 8;
        if (status == NTK_OK)
            status = NTK_CALLOC(slots, stride * (size_t)threads + 8, "bulge chasing vectors");
        if (status != NTK_OK) {
            free(slots);
            free(workers);
            free(state.progress);
            return status;
        }
        double *aligned = slots + (64 - (uintptr_t)slots % 64) % 64 / sizeof *slots;
        for (int t = 0; t < threads; t++) {
            workers[t].state = &state;
            workers[t].v = aligned + (size_t)t * stride;
            workers[t].tau = workers[t].v + 2 * (size_t)n;
            workers[t].work = workers[t].tau + 2 * (size_t)n;
        }
        /* the kernels' BLAS calls are small: one OpenBLAS thread each, and
         * no thread pool shared between the chasing threads */
        const int before = ntk_blas_threads();
        ntk_blas_set_threads(1);
        pthread_t *helpers = threads > 1 ? calloc((size_t)threads - 1, sizeof *helpers) : NULL;
        int started = 0;
        for (int t = 1; helpers != NULL && t < threads; t++, started++)
            if (pthread_create(&helpers[t - 1], NULL, chase, &workers[t]) != 0)
                break; /* fewer threads: the counter hands their sweeps to the rest */
        chase(&workers[0]);
        for (int t = 0; t < started; t++)
            pthread_join(helpers[t], NULL);
        ntk_blas_set_threads(before);
        free(helpers);
        free(slots);
        free(workers);
        free(state.progress);
    }
    for (int i = 0; i < n; i++)
        d[i] = band[(size_t)i * (size_t)ldband];
    for (int i = 0; i + 1 < n; i++)
        e[i] = band[1 + (size_t)i * (size_t)ldband];
    return NTK_OK;
}
