/* Grid shapes and block-cyclic index arithmetic against brute-force
 * ownership, ScaLAPACK's own numroc/indxl2g (for sizes that fit an int), and
 * sizes beyond 2^31 where the 32-bit routines would overflow. */
#include <stdio.h>
#include <stdlib.h>

#include "grid/grid.h"
#include "grid/scalapack.h"
#include "check.h"


static void test_auto_shapes(void)
{
    /* The most square factorisation with rows <= cols, by hand. */
    static const int expected[17][2] = {{0, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 2}, {1, 5},
                                        {2, 3}, {1, 7}, {2, 4}, {3, 3}, {2, 5}, {1, 11},
                                        {3, 4}, {1, 13}, {2, 7}, {3, 5}, {4, 4}};
    for (int ranks = 1; ranks <= 16; ++ranks) {
        int rows = 0, cols = 0;
        grid_auto_shape(ranks, &rows, &cols);
        CHECK(rows == expected[ranks][0] && cols == expected[ranks][1],
              "auto shape of %d ranks: %d x %d, expected %d x %d", ranks, rows, cols,
              expected[ranks][0], expected[ranks][1]);
    }
}

static void test_block_cyclic_small(void)
{
    int64_t owner_count[8];
    for (int64_t n = 0; n <= 70; ++n)
        for (int nb = 1; nb <= 7; ++nb)
            for (int p = 1; p <= 6; ++p) {
                for (int q = 0; q < p; ++q)
                    owner_count[q] = 0;
                /* Brute force: walk the global indices, hand each to its owner. */
                for (int64_t g = 0; g < n; ++g) {
                    const int owner = (int)((g / nb) % p);
                    CHECK(grid_owner(g, nb, p) == owner, "owner of %lld", (long long)g);
                    const int64_t local = owner_count[owner]++;
                    CHECK(grid_global_index(local, nb, owner, p) == g,
                          "global index of local %lld on %d/%d nb %d: %lld, expected %lld",
                          (long long)local, owner, p, nb,
                          (long long)grid_global_index(local, nb, owner, p), (long long)g);
                }
                for (int q = 0; q < p; ++q) {
                    CHECK(grid_local_count(n, nb, q, p) == owner_count[q],
                          "local count n %lld nb %d proc %d/%d: %lld, expected %lld",
                          (long long)n, nb, q, p, (long long)grid_local_count(n, nb, q, p),
                          (long long)owner_count[q]);
                    const int ni = (int)n, zero = 0;
                    CHECK(numroc_(&ni, &nb, &q, &zero, &p) == owner_count[q], "numroc disagrees");
                    if (owner_count[q] > 0) {
                        const int last = (int)owner_count[q]; /* 1-based in Fortran */
                        CHECK(indxl2g_(&last, &nb, &q, &zero, &p) - 1 ==
                                  grid_global_index(owner_count[q] - 1, nb, q, p),
                              "indxl2g disagrees");
                    }
                }
            }
}

static void test_block_cyclic_large(void)
{
    /* Beyond 2^31: counts must add up to n and the last local index of every
     * process must map inside the matrix, in its own blocks. */
    const int64_t sizes[] = {3000000017LL, 4294967296LL + 65, 70000LL * 70000LL};
    const int blocks[] = {64, 1, 37};
    const int procs[] = {3, 7, 16};
    for (int s = 0; s < 3; ++s)
        for (int b = 0; b < 3; ++b)
            for (int pi = 0; pi < 3; ++pi) {
                const int64_t n = sizes[s];
                const int nb = blocks[b], p = procs[pi];
                int64_t total = 0;
                for (int q = 0; q < p; ++q) {
                    const int64_t count = grid_local_count(n, nb, q, p);
                    total += count;
                    if (count > 0) {
                        const int64_t g = grid_global_index(count - 1, nb, q, p);
                        CHECK(g < n && g >= n - 2 * (int64_t)nb * p && grid_owner(g, nb, p) == q,
                              "last local index of proc %d: global %lld of %lld", q,
                              (long long)g, (long long)n);
                    }
                }
                CHECK(total == n, "counts add to %lld, not %lld", (long long)total, (long long)n);
            }
}

static void test_own_block(void)
{
    for (int64_t n = 0; n <= 50; ++n)
        for (int parts = 1; parts <= 9; ++parts) {
            int64_t next = 0, previous_count = -1;
            for (int part = 0; part < parts; ++part) {
                int64_t first = -1, count = -1;
                grid_own_block(n, parts, part, &first, &count);
                CHECK(first == next, "own block %d/%d of %lld starts at %lld, not %lld", part,
                      parts, (long long)n, (long long)first, (long long)next);
                CHECK(count == n / parts || count == n / parts + 1, "own block size");
                CHECK(previous_count < 0 || count <= previous_count, "lower parts are larger");
                previous_count = count;
                next = first + count;
            }
            CHECK(next == n, "own blocks cover %lld of %lld", (long long)next, (long long)n);
        }
    int64_t first = 0, count = 0;
    grid_own_block(5000000003LL, 4, 3, &first, &count);
    CHECK(first == 3750000003LL && count == 1250000000LL, "large own block");
}

int main(void)
{
    test_auto_shapes();
    test_block_cyclic_small();
    test_block_cyclic_large();
    test_own_block();
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("grid indexing: all checks passed\n");
    return 0;
}
