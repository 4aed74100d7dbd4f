#!/bin/bash
# plan's diagnostics phase (the measured learning curve's Theta_SS and its
# exchange buffers next to Theta, src/plan/plan_diagnostics.c) against the
# measured peak resident memory (RSS), in the way of plan_memory.sh.
#
# The eigensolve's workspace is larger than the curve's matrices in any job
# with eigenvectors, so the run's peak would be the solver's. These jobs end
# right after the curve's peak instead: an empirical kernel of rank below n
# (a dense 8-32-1 net has 321 parameters) and no ridge make Theta_SS singular,
# so the first PDPOSV stops the run with exit code 8 once Theta_SS has been
# gathered and factored, before the eigensolve allocates anything. The largest
# rank's peak RSS is then the diagnostics phase's, and plan's
# diagnostics_phase must be within 15% of it (plan counted none of it before).
. "$NTK_TESTS_DIR/lib.sh"

if [ "${NTK_SANITIZE:-0}" = 1 ]; then
    echo "skipped in the sanitizer build: peak RSS there is the sanitizer runtime's"
    exit 77
fi
[ -x /usr/bin/time ] || fail "/usr/bin/time not found: install the Debian package 'time'"
work=$(scratch plan-learning-curve-memory)
cd "$work" || fail "no scratch folder"

make_job() {  # make_job NAME N LARGEST_CURVE_SIZE
    cat >"$1.yaml" <<EOF2
name: $1
data:
  inputs: {synthetic: gaussian, n: $2, dim: 8, seed: 1}
  targets: {synthetic: sine, seed: 2}
model:
  layers: [{dense: 32}, relu, {dense: 1}]
spectrum: {solver: pdsyevd}
diagnostics:
  learning_curve: [100, $3]
  learning_curve_repeats: 1
output: {dir: out-$1, plot: false, eigenvectors: false}
EOF2
}

check() {  # check RANKS NAME N LARGEST
    local ranks=$1 name=$2
    make_job "$name" "$3" "$4"
    local planned measured status=0
    planned=$("$NTKGRAM" plan "$name.yaml" --ranks "$ranks" --format yaml |
              awk '$1 == "diagnostics_phase:" {print $2}')
    [ -n "$planned" ] || fail "plan printed no diagnostics phase for $name"
    rm -f rss.*
    if [ "$ranks" = 1 ]; then
        /usr/bin/time -o rss.0 -f '%M' "$NTKGRAM" run "$name.yaml" --quiet 2>err.txt || status=$?
    else
        "$NTK_MPIEXEC" --oversubscribe -n "$ranks" bash -c \
            '/usr/bin/time -o rss.$OMPI_COMM_WORLD_RANK -f %M "$@"' _ "$NTKGRAM" run "$name.yaml" \
            --quiet 2>err.txt || status=$?
    fi
    [ "$status" != 0 ] || fail "$name: the run did not stop at the singular Theta_SS"
    grep -q "is not positive definite" err.txt ||
        fail "$name: the run failed for another reason: $(cat err.txt)"
    [ ! -e "out-$name/eigenvalues.npy" ] || fail "$name: the eigensolve ran"
    measured=$(($(grep -h '^[0-9]' rss.* | sort -n | tail -n1) * 1024))
    py - "$name" "$ranks" "$3" "$4" "$planned" "$measured" <<'EOF2' ||
import sys
name, ranks, n, largest, planned, measured = sys.argv[1:7]
planned, measured = float(planned), float(measured)
ratio = planned / measured
print(f"  {name}: N = {n}, largest n = {largest}, {ranks} rank(s): plan {planned / 2**20:.1f} MiB, "
      f"measured {measured / 2**20:.1f} MiB, plan/measured = {ratio:.3f}")
assert 0.85 <= ratio <= 1.15, ratio
EOF2
        fail "plan's diagnostics phase is off by more than 15% for $name"
}

check 2 curve3000 3000 3000
check 1 curve_serial 2500 1500
pass "plan's diagnostics phase is within 15% of the measured peak RSS of the measured learning curve"
