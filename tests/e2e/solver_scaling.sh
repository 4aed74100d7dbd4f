# Issue 19 items 1-3: every dense solver on Thetas of extreme scale, and
# ELPA on a highly repeated eigenvalue, against numpy.linalg.eigh of the
# written theta.npy (eigenvalues to 1e-12 of the largest):
#   randn(200, 10) * 1e-7 inputs (lambda_max 4e-13), values only: ELPA's
#     absolute deflation tolerance gave 7e-5 / 4e-4 (elpa / elpa1) on 2 ranks;
#   the analytic kernel on 3 * eye(300) (Theta = a I + b 1 1^T): elpa
#     values only was off by 2.6e-8;
#   w_std 1e-60 (lambda_max 6e-239) with eigenvectors: the eigenpair check's
#     squares underflowed to 0, so wrong pairs passed;
#   w_std 1e75 (lambda_max 6e301) with eigenvectors: they overflowed, so
#     right pairs were refused.
# matrix_free's pair check had the same squares (0 at 6e-239: blind; inf at
# 6e301: every pair refused): its top 5 against the dense run's theta.npy.
# Values-only runs name their check (eigenvalue_check: moments) in
# summary.yaml. On 1-3 ranks. Argument: 1 when built with ELPA.
. "$NTK_TESTS_DIR/lib.sh"
need_python
have_elpa=${1:-0}
dir=$(scratch solver_scaling)
"$NTK_PYTHON" - "$dir" <<'PY' || fail "inputs"
import sys
import numpy as np
rng = np.random.default_rng(0)
np.save(sys.argv[1] + "/small.npy", rng.standard_normal((200, 10)) * 1e-7)
np.save(sys.argv[1] + "/eye.npy", 3.0 * np.eye(300))
np.save(sys.argv[1] + "/gauss.npy", np.random.default_rng(1).standard_normal((200, 6)))
PY
job() { # NAME INPUTS KIND W_STD
    cat >"$dir/$1.yaml" <<YAML
name: $1
data:
  inputs: $2
model:
  layers: [{dense: 64}, relu, {dense: 1}]
  w_std: $4
  seed: 1
kernel: {kind: $3}
output: {dir: out, theta: true}
YAML
}
job small "$dir/small.npy" empirical 1.0
job eye "$dir/eye.npy" analytic 1.0
job tiny "$dir/gauss.npy" empirical 1e-60
job huge "$dir/gauss.npy" empirical 1e75

distributed="pdsyevd pdsyevr"
[ "$have_elpa" = 1 ] && distributed="elpa elpa1 pdsyevr"
# job ranks vectors solvers
runs="small 2 false $distributed lapack
small 3 false $distributed
eye 2 false $distributed lapack
eye 3 false $distributed
tiny 2 true $distributed lapack
huge 3 true $distributed
huge 1 true lapack"
while read -r -u 3 name ranks vectors solvers; do
    for solver in $solvers; do
        [ "$solver" = pdsyevr ] && [ "$vectors" = true ] && solver=pdsyevd
        tag="$name-$ranks-$solver"
        out="$dir/$tag"
        log=$(ntk "$ranks" run "$dir/$name.yaml" --quiet --out "$out" \
            --set spectrum.solver="$solver" --set spectrum.vectors="$vectors" 2>&1) \
            || fail "run $tag: $log"
        py "$NTK_TESTS_DIR/e2e/check_eigenvalues_tight.py" "$out" "$solver" . \
            || fail "eigenvalues $tag"
        if [ "$vectors" = false ]; then
            grep -q '^  eigenvalue_check: moments$' "$out/summary.yaml" \
                || fail "$tag: no eigenvalue check in summary.yaml"
        else
            grep -Eq '^  eigenpair_check: (exact|probes)$' "$out/summary.yaml" \
                || fail "$tag: no eigenpair check in summary.yaml"
        fi
    done
done 3<<<"$runs"
for dense in tiny-2-lapack huge-1-lapack; do
    name=${dense%%-*}
    out="$dir/$name-2-matrix_free"
    log=$(ntk 2 run "$dir/$name.yaml" --quiet --out "$out" --set spectrum.solver=matrix_free \
        --set spectrum.top=5 --set output.theta=false 2>&1) || fail "run $name matrix_free: $log"
    "$NTK_PYTHON" - "$out" "$dir/$dense/theta.npy" <<'PY' || fail "matrix_free $name"
import sys
import numpy as np
import yaml
reference = np.linalg.eigvalsh(np.load(sys.argv[2]))[::-1][:5]
values = np.load(sys.argv[1] + "/eigenvalues.npy")
error = np.abs(values - reference).max() / abs(reference[0])
assert error <= 1e-9, f"matrix_free top 5 off by {error:.3e}"
residual = yaml.safe_load(open(sys.argv[1] + "/summary.yaml"))["spectrum"]["max_relative_residual"]
assert 0.0 < residual <= 1e-8, f"matrix_free pair check {residual}"
print(f"ok: matrix_free at {reference[0]:.3g}: {error:.2e}, residual {residual:.2e}")
PY
done
pass "every solver at lambda_max 4e-13, 6e-239 and 6e301 and on a repeated eigenvalue"
