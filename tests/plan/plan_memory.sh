#!/bin/bash
# plan's memory estimate against the measured peak resident memory (RSS).
#
# Each job is run under GNU time (/usr/bin/time -f %M, the Debian `time`
# package), per rank under mpirun, and the largest rank's peak RSS is compared
# with `ntkgram plan --ranks P`'s peak_bytes_per_rank: within 15%, for every
# kernel kind (the analytic one included) and the values-only solvers. The process
# baseline (MPI, BLAS, ScaLAPACK) is measured on a tiny job and printed, so
# the constant in plan.c can be checked against this machine.
# Jobs: Theta-dominated ones (N = 3000 and 5000, no eigensolve, whole matrix),
# one where the pdsyevd workspace sets the peak (N = 1500), and the analytic
# kernel: its assembly (N = 3000), pdsyevr without vectors (whose ScaLAPACK
# query asks for the all-pairs workspace and whose reduction allocates about
# a local matrix more: plan used to be 0.70 of the peak) and the gathered
# LAPACK solve without vectors (plan used to count a second matrix: 1.52).
. "$NTK_TESTS_DIR/lib.sh"

# In the sanitizer build (NTK_SANITIZE=1) peak RSS measures ASan's runtime
# (shadow memory, quarantined frees: 2.4x plan for the pdsyevd job), not
# ntkgram's: skipped there (exit 77, ctest SKIP_RETURN_CODE); the normal build checks it.
if [ "${NTK_SANITIZE:-0}" = 1 ]; then
    echo "skipped in the sanitizer build: peak RSS there is the sanitizer runtime's"
    exit 77
fi

[ -x /usr/bin/time ] || fail "/usr/bin/time not found: install the Debian package 'time'"
work=$(scratch plan-memory)
cd "$work" || fail "no scratch folder"

make_job() {  # make_job NAME N SOLVER [KIND [VECTORS]]
    cat >"$1.yaml" <<EOF
name: $1
data:
  inputs: {synthetic: gaussian, n: $2, dim: 8, seed: 1}
model:
  layers: [{dense: 32}, relu, {dense: 1}]
kernel: {kind: ${4:-empirical}}
spectrum:
  solver: $3
  vectors: ${5:-true}
output:
  dir: out-$1
  plot: false
  eigenvectors: false
EOF
}

# peak_rss_kib RANKS JOB: the largest rank's peak RSS in KiB.
peak_rss_kib() {
    local ranks=$1 job=$2
    rm -f rss.*
    if [ "$ranks" = serial ]; then
        /usr/bin/time -o rss.0 -f '%M' "$NTKGRAM" run "$job" --quiet || fail "run of $job failed"
    else
        "$NTK_MPIEXEC" --oversubscribe -n "$ranks" bash -c \
            '/usr/bin/time -o rss.$OMPI_COMM_WORLD_RANK -f %M "$@"' _ "$NTKGRAM" run "$job" --quiet ||
            fail "run of $job on $ranks ranks failed"
    fi
    cat rss.* | sort -n | tail -n1
}

plan_peak_bytes() {  # plan_peak_bytes RANKS JOB
    local ranks=$1
    [ "$ranks" = serial ] && ranks=1
    "$NTKGRAM" plan "$2" --ranks "$ranks" --format yaml | awk '$1 == "peak_bytes_per_rank:" {print $2}'
}

make_job tiny 64 auto
baseline=$(peak_rss_kib 2 tiny.yaml)
echo "process baseline (64-input job with pdsyevd, 2 ranks under mpirun): $((baseline / 1024)) MiB per rank"

check() {  # check RANKS NAME N SOLVER [KIND [VECTORS]]
    local ranks=$1 name=$2
    make_job "$name" "$3" "$4" "${5:-empirical}" "${6:-true}"
    local planned measured
    planned=$(plan_peak_bytes "$ranks" "$name.yaml")
    [ -n "$planned" ] || fail "plan printed no peak for $name"
    measured=$(($(peak_rss_kib "$ranks" "$name.yaml") * 1024))
    py - "$name" "$ranks" "$3" "$4" "$planned" "$measured" <<'EOF' || fail "plan is off by more than 15% for $name"
import sys
name, ranks, n, solver, planned, measured = sys.argv[1:7]
planned, measured = float(planned), float(measured)
ratio = planned / measured
print(f"  {name}: N = {n}, solver {solver}, {ranks} rank(s): plan {planned / 2**20:.1f} MiB, "
      f"measured {measured / 2**20:.1f} MiB, plan/measured = {ratio:.3f}")
assert 0.85 <= ratio <= 1.15, ratio
EOF
}

check serial theta3000 3000 none
check 2 theta5000 5000 none
check serial solve1500 1500 pdsyevd
check 2 analytic3000 3000 none analytic
check 2 analytic_pdsyevr 2000 pdsyevr analytic false
check serial analytic_pdsyevr_serial 2000 pdsyevr analytic false
check 2 analytic_lapack 2000 lapack analytic false
pass "plan's peak memory is within 15% of the measured peak RSS for every kernel kind"
