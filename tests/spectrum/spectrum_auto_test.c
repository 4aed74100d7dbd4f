/* The auto rule (spectrum_resolve_solver_at) and the workspace it implies,
 * at chosen sites: one node with room for the gather -> lapack (values
 * only, top k, all pairs); one node without room, or several nodes -> the
 * distributed solver (ELPA 1-stage for all pairs, 2-stage for values only
 * or the top k;
 * pdsyevd/pdsyevr without ELPA); explicit solvers pass through; ELPA with
 * fewer blocks than grid rows/columns falls back to ScaLAPACK; the lapack
 * workspace counts the gathered matrix on rank 0; the registry holds every
 * solver once under its job name, each assembled one with its workspace,
 * flops and solve; with a memory limit auto takes a slower solver that
 * fits; float32's candidates, layout fallback and float counts. Rank-local,
 * no MPI. */
#include <stdio.h>
#include <string.h>

#include "job/job.h"
#include "spectrum/eigensolver.h"
#include "spectrum/spectrum.h"
#include "check.h"

static ntk_solver pick(ntk_solver solver, int vectors, int64_t top, int64_t n, int single_node,
                       double free_bytes, int ranks, const char **reason)
{
    const ntk_spectrum_spec spec = {.solver = solver, .vectors = vectors, .top = top};
    const ntk_solver_site site = {
        .ranks = ranks, .single_node = single_node, .node_free_bytes = free_bytes};
    return spectrum_resolve_solver_at(&spec, n, &site, reason);
}

int main(void)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    const char *reason = NULL;
    const int elpa = spectrum_have_elpa();
    const ntk_solver with_vectors = elpa ? NTK_SOLVER_ELPA1 : NTK_SOLVER_PDSYEVD;
    const ntk_solver values_only = elpa ? NTK_SOLVER_ELPA : NTK_SOLVER_PDSYEVR;
    const ntk_solver top_vectors = elpa ? NTK_SOLVER_ELPA : NTK_SOLVER_PDSYEVR;

    /* N = 4096 on 2 ranks of a 16 GiB node: gather */
    for (int vectors = 0; vectors <= 1; ++vectors)
        for (int64_t top = 0; top <= 64; top += 64) {
            CHECK(pick(NTK_SOLVER_AUTO, vectors, top, 4096, 1, 16 * gib, 2, &reason) ==
                      NTK_SOLVER_LAPACK,
                  "one node, vectors %d, top %lld: not lapack", vectors, (long long)top);
            CHECK(reason != NULL && strstr(reason, "one node") != NULL, "reason: %s", reason);
        }
    /* N = 40000 (12.8 GB per copy) on 2 ranks of a 16 GiB node: no room */
    CHECK(pick(NTK_SOLVER_AUTO, 1, 0, 40000, 1, 16 * gib, 2, &reason) == with_vectors,
          "no room, all pairs");
    CHECK(strstr(reason, "does not fit") != NULL, "reason: %s", reason);
    CHECK(pick(NTK_SOLVER_AUTO, 0, 0, 40000, 1, 16 * gib, 2, NULL) == values_only, "no room, values");
    /* several nodes: never gather */
    CHECK(pick(NTK_SOLVER_AUTO, 1, 0, 4096, 0, 16 * gib, 64, &reason) == with_vectors,
          "several nodes, all pairs");
    CHECK(strstr(reason, "several nodes") != NULL, "reason: %s", reason);
    CHECK(pick(NTK_SOLVER_AUTO, 0, 0, 4096, 0, 16 * gib, 64, NULL) == values_only,
          "several nodes, values");
    CHECK(pick(NTK_SOLVER_AUTO, 1, 10, 4096, 0, 16 * gib, 64, NULL) == top_vectors,
          "several nodes, top k");
    /* auto's estimate scales the measured seconds (M = 4096, top 64) by the
     * tables' flops: all pairs and values only grow as M^3 for every
     * solver, so the measured ranking holds at any M; for the top k, ELPA
     * 2-stage back-transforms twice (4 M^2 k against pdsyevr's 2 M^2 k),
     * so for a large k pdsyevr is the faster distributed solver */
    for (int64_t n = 512; n <= 65536; n *= 8) {
        CHECK(pick(NTK_SOLVER_AUTO, 1, 0, n, 0, 16 * gib, 64, NULL) == with_vectors,
              "several nodes, all pairs, M = %lld", (long long)n);
        CHECK(pick(NTK_SOLVER_AUTO, 0, 0, n, 0, 16 * gib, 64, NULL) == values_only,
              "several nodes, values only, M = %lld", (long long)n);
        CHECK(pick(NTK_SOLVER_AUTO, 1, 64, n, 0, 16 * gib, 64, NULL) == top_vectors,
              "several nodes, top 64, M = %lld", (long long)n);
    }
    CHECK(pick(NTK_SOLVER_AUTO, 1, 2048, 4096, 0, 16 * gib, 64, &reason) == NTK_SOLVER_PDSYEVR,
          "several nodes, top 2048 of 4096: %s", reason);
    /* explicit choices pass through */
    CHECK(pick(NTK_SOLVER_PDSYEVR, 1, 0, 4096, 1, 16 * gib, 2, &reason) == NTK_SOLVER_PDSYEVR &&
              strstr(reason, "spectrum.solver") != NULL,
          "explicit pdsyevr");

    /* ELPA needs a block on every process row and column */
    CHECK(spectrum_elpa_fits(128, 64, 1, 2) && !spectrum_elpa_fits(64, 64, 1, 2) &&
              !spectrum_elpa_fits(5, 3, 1, 3) && spectrum_elpa_fits(5, 3, 2, 2),
          "spectrum_elpa_fits");
    const ntk_spectrum_spec elpa_values = {.solver = NTK_SOLVER_ELPA, .vectors = 0, .top = 0};
    ntk_spectrum_workspace ws;
    spectrum_workspace(&elpa_values, 64, 1, 2, 64, &ws);
    CHECK(ws.solver == NTK_SOLVER_PDSYEVR && strstr(ws.reason, "ELPA needs") != NULL,
          "elpa fallback: %d (%s)", (int)ws.solver, ws.reason);

    /* lapack: rank 0 holds the whole matrix, the pdgemr2d buffers and
     * dsyevr's M x k eigenvectors */
    const ntk_spectrum_spec lapack_top = {.solver = NTK_SOLVER_LAPACK, .vectors = 1, .top = 10};
    spectrum_workspace(&lapack_top, 1000, 1, 2, 64, &ws);
    CHECK(ws.solver == NTK_SOLVER_LAPACK && ws.gathered_doubles == 1000 * 1000 * 2 + 1000 * 10,
          "lapack gathered %lld", (long long)ws.gathered_doubles);
    CHECK(spectrum_workspace_bytes(&ws, 1000) >= 8.0 * 1000 * 1000 * 2, "lapack bytes %.0f",
          spectrum_workspace_bytes(&ws, 1000));
    /* the registry: each solver once, under the name the job spells */
    for (int i = 0; i < eigensolver_count(); ++i) {
        const ntk_eigensolver_ops *ops = eigensolver_at(i);
        CHECK(eigensolver_find(ops->id) == ops, "%s found by id", ops->name);
        CHECK(strcmp(spectrum_solver_name(ops->id), ops->name) == 0, "%s is spelt %s", ops->name,
              spectrum_solver_name(ops->id));
        if (ops->capabilities & EIGENSOLVER_ASSEMBLED)
            CHECK(ops->workspace != NULL && ops->flops != NULL && ops->solve != NULL &&
                      ops->alternative != NULL,
                  "%s: an assembled solver needs workspace, flops, solve and an alternative",
                  ops->name);
    }
    CHECK(eigensolver_find(NTK_SOLVER_AUTO) == NULL && eigensolver_find(NTK_SOLVER_NONE) == NULL,
          "auto and none are not solvers");

    /* a request for less than a solver computes runs (issue 20): every
     * assembled solver takes values only, the top k and both; one for more
     * (matrix_free, which computes the top k only, asked for all pairs) is
     * refused naming spectrum.top */
    for (int i = 0; i < eigensolver_count(); ++i) {
        const ntk_eigensolver_ops *ops = eigensolver_at(i);
        for (int vectors = 0; vectors <= 1; ++vectors)
            for (int64_t top = 0; top <= 5; top += 5) {
                const ntk_spectrum_spec less = {.solver = ops->id, .vectors = vectors, .top = top};
                const int more = ops->id == NTK_SOLVER_MATRIX_FREE && top == 0;
                const char *key = eigensolver_short_of(ops, &less);
                CHECK(more ? key != NULL && strcmp(key, "spectrum.top") == 0 : key == NULL,
                      "%s, vectors %d, top %lld: %s", ops->name, vectors, (long long)top,
                      key != NULL ? key : "honoured");
                ntk_error_clear();
                const ntk_status status = spectrum_check_request(&less, ops->id);
                CHECK(more ? status == NTK_ERR_JOB &&
                                 strstr(ntk_error_message(), "spectrum.top: 0 asks for every "
                                                             "eigenpair, more than "
                                                             "spectrum.solver matrix_free") != NULL
                           : status == NTK_OK,
                      "%s, vectors %d, top %lld: %s", ops->name, vectors, (long long)top,
                      ntk_error_message());
                ntk_error_clear();
            }
    }
    /* pdsyevd keeps less, but computes (and plan counts) all M pairs */
    const ntk_spectrum_spec pdsyevd_top = {.solver = NTK_SOLVER_PDSYEVD, .vectors = 0, .top = 5};
    spectrum_workspace(&pdsyevd_top, 1000, 1, 2, 64, &ws);
    CHECK(ws.solver == NTK_SOLVER_PDSYEVD && ws.kept_pairs == 5 && ws.solved_pairs == 1000 &&
              ws.solved_values == 1000 && ws.vector_local_cols == 512,
          "pdsyevd top 5, values only: kept %lld, solved %lld pairs and %lld values, %lld "
          "vector columns",
          (long long)ws.kept_pairs, (long long)ws.solved_pairs, (long long)ws.solved_values,
          (long long)ws.vector_local_cols);

    /* a memory limit: N = 4096 all pairs on one rank of a 16 GiB node gathers
     * (lapack) without one; with a limit below lapack's planned peak but
     * above a distributed solver's, auto takes that one */
    const ntk_spectrum_spec all_pairs = {.solver = NTK_SOLVER_AUTO, .vectors = 1, .top = 0};
    ntk_solver_site site = {.ranks = 1, .single_node = 1, .node_free_bytes = 16 * gib};
    spectrum_workspace_at(&all_pairs, &site, 4096, 1, 1, 64, &ws);
    const double lapack_peak = spectrum_vector_bytes(&ws) + spectrum_workspace_bytes(&ws, 4096);
    CHECK(ws.solver == NTK_SOLVER_LAPACK, "no limit: %s", spectrum_solver_name(ws.solver));
    site.bytes_per_rank = lapack_peak - 1.0;
    spectrum_workspace_at(&all_pairs, &site, 4096, 1, 1, 64, &ws);
    const double peak = spectrum_vector_bytes(&ws) + spectrum_workspace_bytes(&ws, 4096);
    CHECK(ws.solver != NTK_SOLVER_LAPACK && peak <= site.bytes_per_rank &&
              strstr(ws.reason, "memory per rank") != NULL,
          "limit %.0f: %s at %.0f (%s)", site.bytes_per_rank, spectrum_solver_name(ws.solver), peak,
          ws.reason);
    site.bytes_per_rank = 1.0; /* nothing fits: the fastest stays, plan refuses */
    spectrum_workspace_at(&all_pairs, &site, 4096, 1, 1, 64, &ws);
    CHECK(ws.solver == NTK_SOLVER_LAPACK, "nothing fits: %s", spectrum_solver_name(ws.solver));

    /* kernel.precision float32: only the solvers with a float32 path, for
     * exactly what is asked (pssyevd pairs, pssyevr values, lapack both;
     * ELPA's single precision needs MPI to be asked, so not here); the
     * matrices counted in floats; ELPA's layout fallback to the float32
     * ScaLAPACK solver that computes what is asked */
    for (int vectors = 0; vectors <= 1; ++vectors) {
        const ntk_spectrum_spec single = {.solver = NTK_SOLVER_AUTO, .vectors = vectors,
                                          .float32 = 1};
        const ntk_solver_site one_node = {.ranks = 2, .single_node = 1,
                                          .node_free_bytes = 16 * gib};
        const ntk_solver_site nodes = {.ranks = 64, .single_node = 0, .node_free_bytes = 16 * gib};
        const ntk_solver distributed = vectors ? NTK_SOLVER_PDSYEVD : NTK_SOLVER_PDSYEVR;
        CHECK(spectrum_resolve_solver_at(&single, 4096, &one_node, NULL) == NTK_SOLVER_LAPACK,
              "float32 on one node, vectors %d", vectors);
        CHECK(spectrum_resolve_solver_at(&single, 4096, &nodes, NULL) == distributed,
              "float32 on several nodes, vectors %d", vectors);
        ntk_spectrum_spec top = single;
        top.top = 10;
        for (int i = 0; i < eigensolver_count(); ++i) {
            const ntk_eigensolver_ops *ops = eigensolver_at(i);
            const int expected = ops->id == NTK_SOLVER_LAPACK || ops->id == distributed;
            CHECK(eigensolver_capable(ops, &single, 4096) == expected &&
                      !eigensolver_capable(ops, &top, 4096),
                  "float32 %s, vectors %d", ops->name, vectors);
        }
        ntk_spectrum_spec elpa_single = single;
        elpa_single.solver = NTK_SOLVER_ELPA;
        spectrum_workspace(&elpa_single, 64, 1, 2, 64, &ws);
        CHECK(ws.solver == distributed && ws.single && strstr(ws.reason, "ELPA needs") != NULL,
              "float32 elpa fallback, vectors %d: %s", vectors, spectrum_solver_name(ws.solver));
        ntk_spectrum_spec lapack_single = single, lapack_double = single;
        lapack_single.solver = lapack_double.solver = NTK_SOLVER_LAPACK;
        lapack_double.float32 = 0;
        ntk_spectrum_workspace ws64;
        spectrum_workspace(&lapack_single, 1000, 1, 2, 64, &ws);
        spectrum_workspace(&lapack_double, 1000, 1, 2, 64, &ws64);
        CHECK(ws.single && ws.gathered_doubles == 1000 * 1000 * 2 &&
                  ws.lwork == (vectors ? 1 + 6 * 1000 + 2 * 1000 * 1000 : 2 * 1000 + 1) &&
                  spectrum_vector_bytes(&ws) == 0.5 * spectrum_vector_bytes(&ws64),
              "lapack float32 gathered %lld, lwork %lld, vectors %.0f",
              (long long)ws.gathered_doubles, (long long)ws.lwork, spectrum_vector_bytes(&ws));
    }
    printf("auto rule: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
