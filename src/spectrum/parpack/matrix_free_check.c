/* The checks of the matrix-free eigenpairs (see matrix_free.h):
 *
 * - exact: ||Theta z_i - lambda_i z_i|| for every pair, one product each;
 * - probes: PARPACK's own per-pair residual estimates (the Ritz estimates
 *   beta_ncv |e_ncv^T s_i| of pdseupd), verified by SPECTRUM_CHECK_PROBES
 *   random mixtures of the pairs, one product each.
 *
 * Why the probes and not k products: at top 100 the exact check is 100 of
 * about 350 products. The probe statistic is the dense path's
 * (spectrum/verify_probes.c, docs/design.md "Checking the eigenpairs"): with
 * R = Theta Z - Z Lambda and a Gaussian c, ||R c|| >= |g| max_j ||r_j||
 * for a standard normal g, so a pair whose residual is far above what the
 * estimates claim fails a probe except with tiny probability; and by the
 * triangle inequality ||R c|| <= sum_i |c_i| ||r_i||, so true estimates
 * pass. The probes are the dense check's (spectrum_probe_entry), a pure
 * function of (pair, probe): the same on every rank count. Both methods
 * also probe the orthogonality ||(Z^T Z - I) c|| (no product needed). */
#include "spectrum/parpack/matrix_free.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

int mf_pair_check_uses_probes(ntk_pair_check mode, int64_t pairs)
{
    if (mode == NTK_PAIR_CHECK_AUTO)
        return pairs > SPECTRUM_CHECK_EXACT_PAIRS;
    return mode == NTK_PAIR_CHECK_PROBES;
}

ntk_status mf_exact_residuals(mf_operator *op, const double *z, int64_t ld, const double *values,
                              int64_t pairs, double scale, double *residual)
{
    double *y = NULL, *local = NULL;
    ntk_status status = NTK_CALLOC(y, ld * op->max_vectors, "residual check products");
    if (status == NTK_OK)
        status = NTK_CALLOC(local, pairs, "residual check sums");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    /* squares in units of a power of two near `scale`, as verify.c: no
     * underflow to 0 or overflow at Theta's extreme scales (issue 19) */
    const double unit = spectrum_check_unit(scale), inverse = 1.0 / unit;
    for (int64_t first = 0; first < pairs; first += op->max_vectors) {
        const int64_t columns =
            pairs - first < op->max_vectors ? pairs - first : op->max_vectors;
        NTK_TRY_GOTO(status, mf_operator_apply(op, z + first * ld, columns, ld, y), done);
        for (int64_t j = 0; j < columns; ++j) {
            double sum = 0.0;
            for (int64_t r = 0; r < op->rows; ++r) {
                const double d =
                    (y[j * ld + r] - values[first + j] * z[(first + j) * ld + r]) * inverse;
                sum += d * d;
            }
            local[first + j] = sum;
        }
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(local, residual, (int)pairs, MPI_DOUBLE, MPI_SUM,
                                       op->comm), done);
    for (int64_t i = 0; i < pairs; ++i)
        residual[i] = sqrt(residual[i]) / (scale > 0.0 ? scale / unit : 1.0);
done:
    free(y);
    free(local);
    return status;
}

/* The limit of probe k relative to `scale`: what the estimates allow (the
 * triangle inequality, sum_i |c_i| e_i, and never less than the tolerance
 * itself, which is all the run promises) times MF_PROBE_SAFETY, plus a
 * rounding floor. The floor: the computed R c = fl(Theta (Z c)) -
 * fl(Z (Lambda c)) carries rounding of about eps sqrt(M) ||Theta|| ||c||
 * (sums of M terms with random-signed errors, ||Z c|| = ||c||), and each
 * exact r_i is itself only known to about eps sqrt(M) ||Theta|| (measured:
 * 1.5e-15 lambda_max at M = 20,000, where eps sqrt(M) = 3.1e-14); mixed by
 * c those add to about that times ||c||. MF_ROUNDING_FACTOR covers the
 * constants; at M = 20,000 and top 100 the floor is 5e-12, far below the
 * default tolerance 1e-10. */
static double probe_limit(const double *estimates, int64_t pairs, int probe, double tolerance,
                          int64_t matrix_size)
{
    double allowed = 0.0, norm2 = 0.0;
    for (int64_t i = 0; i < pairs; ++i) {
        const double c = spectrum_probe_entry(i, probe);
        allowed += fabs(c) * estimates[i];
        norm2 += c * c;
    }
    const double floor = MF_ROUNDING_FACTOR * DBL_EPSILON * sqrt((double)matrix_size) * sqrt(norm2);
    return MF_PROBE_SAFETY * (allowed > tolerance ? allowed : tolerance) + floor;
}

/* Column norms of the p columns of `w` (rows x p, leading dimension ld)
 * over all ranks, times `inverse_unit` (a power of two, see
 * spectrum_check_unit), into norm[]. Collective. */
static ntk_status column_norms(const mf_operator *op, const double *w, int64_t ld, int p,
                               double inverse_unit, double *norm)
{
    for (int k = 0; k < p; ++k) {
        double sum = 0.0;
        for (int64_t r = 0; r < op->rows; ++r) {
            const double entry = w[k * ld + r] * inverse_unit;
            sum += entry * entry;
        }
        norm[k] = sum;
    }
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, norm, p, MPI_DOUBLE, MPI_SUM, op->comm));
    for (int k = 0; k < p; ++k)
        norm[k] = sqrt(norm[k]);
    return NTK_OK;
}

/* Y = Z C and the orthogonality max_k ||Z^T Y - c_k||. Collective. */
static ntk_status probe_orthogonality(const mf_operator *op, const double *z, int64_t ld,
                                      int64_t pairs, int p, double *y, double *gram,
                                      double *orthogonality)
{
    for (int k = 0; k < p; ++k)
        for (int64_t i = 0; i < pairs; ++i) {
            const double c = spectrum_probe_entry(i, k);
            for (int64_t r = 0; r < op->rows; ++r)
                y[k * ld + r] += c * z[i * ld + r];
        }
    for (int k = 0; k < p; ++k)
        for (int64_t i = 0; i < pairs; ++i) {
            double sum = 0.0;
            for (int64_t r = 0; r < op->rows; ++r)
                sum += z[i * ld + r] * y[k * ld + r];
            gram[k * pairs + i] = sum;
        }
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, gram, (int)(pairs * p), MPI_DOUBLE, MPI_SUM, op->comm));
    double worst = 0.0;
    for (int k = 0; k < p; ++k) {
        double sum = 0.0;
        for (int64_t i = 0; i < pairs; ++i) {
            const double e = gram[k * pairs + i] - spectrum_probe_entry(i, k);
            sum += e * e;
        }
        if (!(sqrt(sum) <= worst)) /* keeps a NaN */
            worst = sqrt(sum);
    }
    *orthogonality = worst;
    return NTK_OK;
}

ntk_status mf_probe_pairs(mf_operator *op, const double *z, int64_t ld, const double *values,
                          const double *estimates, int64_t pairs, double scale, double tolerance,
                          int64_t matrix_size, mf_probe_result *result)
{
    enum { P = SPECTRUM_CHECK_PROBES };
    result->residual = NAN;
    result->limit_ratio = NAN;
    result->orthogonality = NAN;
    double *y = NULL, *w = NULL, *gram = NULL;
    ntk_status status = NTK_CALLOC(y, ld * P, "probe vectors");
    if (status == NTK_OK)
        status = NTK_CALLOC(w, ld * P, "probe products");
    if (status == NTK_OK)
        status = NTK_CALLOC(gram, pairs * P, "orthogonality probes");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    NTK_TRY_GOTO(status, probe_orthogonality(op, z, ld, pairs, P, y, gram, &result->orthogonality),
                 done);
    if (estimates == NULL)
        goto done;
    /* W = Theta Y - Z (Lambda C) = R C */
    for (int first = 0; first < P; first += (int)op->max_vectors) {
        const int columns = P - first < op->max_vectors ? P - first : (int)op->max_vectors;
        NTK_TRY_GOTO(status, mf_operator_apply(op, y + first * ld, columns, ld, w + first * ld),
                     done);
    }
    for (int k = 0; k < P; ++k)
        for (int64_t i = 0; i < pairs; ++i) {
            const double c = values[i] * spectrum_probe_entry(i, k);
            for (int64_t r = 0; r < op->rows; ++r)
                w[k * ld + r] -= c * z[i * ld + r];
        }
    double norm[P];
    const double unit = spectrum_check_unit(scale);
    NTK_TRY_GOTO(status, column_norms(op, w, ld, P, 1.0 / unit, norm), done);
    /* norm[] is in units of `unit`; a zero Theta: absolute, as verify.c */
    const double divide = scale > 0.0 ? scale / unit : 1.0;
    result->residual = 0.0;
    result->limit_ratio = 0.0;
    for (int k = 0; k < P; ++k) {
        const double relative = norm[k] / divide;
        const double ratio = relative / probe_limit(estimates, pairs, k, tolerance, matrix_size);
        if (!(relative <= result->residual)) /* keeps a NaN */
            result->residual = relative;
        if (!(ratio <= result->limit_ratio))
            result->limit_ratio = ratio;
    }
done:
    free(y);
    free(w);
    free(gram);
    return status;
}
