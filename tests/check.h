/* The assertion every C test uses: CHECK(condition, "printf format", ...)
 * records a failure with its source line and goes on, so one run reports
 * every broken case. MPI tests set check_rank so each line names its rank;
 * at most 50 lines are printed per process, the count is always kept. */
#ifndef NTK_TESTS_CHECK_H
#define NTK_TESTS_CHECK_H

#include <stdio.h>

static int failures = 0;
static int checks = 0;
static int check_rank = -1;

#define CHECK(condition, ...)                                                  \
    do {                                                                       \
        ++checks;                                                              \
        if (!(condition)) {                                                    \
            if (++failures <= 50) {                                            \
                if (check_rank >= 0)                                           \
                    fprintf(stderr, "[rank %d] ", check_rank);                 \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
                fprintf(stderr, __VA_ARGS__);                                  \
                fputc('\n', stderr);                                           \
            }                                                                  \
        }                                                                      \
    } while (0)

#endif
