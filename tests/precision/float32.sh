# kernel.precision float32 (docs/precision.md) against float64 on the same
# job (the 8-48-40-3 net of precision_mixed, with targets): theta.npy,
# eigenvalues.npy and eigenvectors.npy are '<f4'; Theta within its stated
# relative error and 1e-5 (Frobenius); the top eigenvalues and every one the
# summary calls meaningful within the stated eigenvalue bound of float64's;
# the eigenvectors are eigenvectors of the float64 Theta to that bound; the
# target energies follow; the values-only solve (pssyevr) likewise; ELPA's
# single precision (where the library has it, else its refusal) and the
# node solver's ssyevd (1 and 2 ranks agree within the solver's stated
# error; the predictions run through it, auto's choice). Theta is
# byte-identical on 1 and 2 ranks and for another grid.block (the
# eigensolve's rounding depends on the process grid: there within its
# stated error).
# Predictions leave out the modes below the eigenvalue bound (a warning
# says how many) and refuse t = infinity without a ridge when lambda_min is
# below it.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch precision-float32)
cd "$dir"
printf 'name: f\ndata: {inputs: {synthetic: gaussian, n: 96, dim: 8, seed: 1}, targets: {synthetic: sine, seed: 2}}\nmodel:\n  layers: [{dense: 48}, relu, {dense: 40}, tanh, {dense: 3}]\noutput: {theta: true}\ngrid: {block: 8}\n' > f.yaml
ntk serial run f.yaml --out float64 > /dev/null || fail "float64 run"
f32='--set kernel.precision=float32'
ntk serial run f.yaml --out float32-1 $f32 --set spectrum.solver=pdsyevd > float32.log 2>&1 \
    || fail "float32 run: $(cat float32.log)"
grep -Eq "precision float32: every eigenvalue within [0-9.e+-]+ of float64's .*; [0-9]+ of the 96 eigenvalues are above it" float32.log \
    && grep -q "pssyevd (kernel.precision float32): eigenpair check" float32.log \
    || fail "the log lacks the error statement or the check: $(cat float32.log)"
ntk 2 run f.yaml --out float32-2 $f32 --set spectrum.solver=pdsyevd > /dev/null || fail "float32 on 2 ranks"
cmp -s float32-1/theta.npy float32-2/theta.npy || fail "float32 Theta differs between 1 and 2 ranks"
# and on another grid.block (13: blocks that do not divide N, tiles of other
# shapes): the tiles' float32 products have a fixed order (core/fixed_sgemm.h)
ntk 2 run f.yaml --out float32-block $f32 --set grid.block=13 --set spectrum.solver=none \
    > /dev/null || fail "float32 with grid.block 13"
cmp -s float32-1/theta.npy float32-block/theta.npy || fail "float32 Theta differs with grid.block"
ntk serial run f.yaml --out values $f32 --set spectrum.solver=pdsyevr --set spectrum.vectors=false \
    > /dev/null || fail "float32 values-only run"
# the node solver (ssyevd on rank 0), auto's choice on one node: 1 and 2
# ranks with eigenvectors, the values alone on 2
ntk serial run f.yaml --out lapack-1 $f32 > lapack.log 2>&1 || fail "float32 lapack: $(cat lapack.log)"
grep -q "eigensolver lapack (kernel.precision float32: all ranks on one node" lapack.log \
    && grep -q "lapack (kernel.precision float32): eigenpair check" lapack.log \
    || fail "auto did not pick and check lapack for float32: $(cat lapack.log)"
ntk 2 run f.yaml --out lapack-2 $f32 > /dev/null || fail "float32 lapack on 2 ranks"
ntk 2 run f.yaml --out lapack-values $f32 --set spectrum.vectors=false > /dev/null \
    || fail "float32 lapack values on 2 ranks"
# elpa and elpa1: ELPA's single-precision routines where the library has
# them (a 2-rank elpa run, compared below), else refused at load saying so
# (Debian 12's ELPA 2022.11 has none)
if ntk serial validate f.yaml $f32 --set spectrum.solver=elpa > elpa.log 2>&1; then
    ntk 2 run f.yaml --out elpa-2 $f32 --set spectrum.solver=elpa > /dev/null \
        || fail "float32 elpa on 2 ranks"
else
    grep -q "^ntkgram: error: --set kernel\.precision: float32 is not supported with spectrum\.solver elpa (this ELPA library was built without single precision" elpa.log \
        || fail "elpa with float32: $(cat elpa.log)"
fi
# predictions: a net of rank 12 (N = 64 > its parameters), so 52 modes are
# below the bound: left out with a warning; t = infinity without a ridge
# refused, naming the predict key
printf 'name: p\ndata: {inputs: {synthetic: gaussian, n: 64, dim: 3, seed: 1}, targets: {synthetic: sine, seed: 2}, test_inputs: {synthetic: gaussian, n: 16, dim: 3, seed: 3}, test_targets: {synthetic: sine, seed: 4}}\nmodel:\n  layers: [{dense: 4}, relu, {dense: 1}]\npredict: {steps: [1, 100], infinite: false}\ngrid: {block: 8}\n' > p.yaml
ntk serial run p.yaml --out p-float64 > /dev/null || fail "float64 predictions"
ntk serial run p.yaml --out p-float32 --set kernel.precision=float32 > p-float32.log 2>&1 \
    || fail "float32 predictions: $(cat p-float32.log)"
grep -q "warning: predict: kernel.precision float32: 52 of the 64 modes are at or below the eigenvalues' error bound" p-float32.log \
    || fail "no warning for the modes left out: $(cat p-float32.log)"
expect_error 3 "^ntkgram: error: p\.yaml:5:1: predict: t = infinity without predict\.ridge .* lambda_min = .* is below the eigenvalues' error bound" \
    serial run p.yaml --out p-infinity --set kernel.precision=float32 --set predict.infinite=true
py - <<'PY' || fail "float32 against float64"
import csv, numpy as np, yaml
u = 2.0 ** -24
def header(path):
    with open(path, "rb") as f:
        return f.read(128)
stated = yaml.safe_load(open("float32-1/summary.yaml"))
p, spectrum = stated["precision"], stated["spectrum"]
assert p["kernel"] == "float32" and spectrum["solver"] == "pssyevd", (p, spectrum)
# mixed's P (250 for this net: precision_mixed) plus the rounding of the stored Theta
assert p["accumulation_length"] == 251 and p["theta_relative_error_bound"] == 251 * u, p
for name in ("theta", "eigenvalues", "eigenvectors"):
    assert b"'descr': '<f4'" in header(f"float32-1/{name}.npy"), name
t64 = np.load("float64/theta.npy")
t = np.load("float32-1/theta.npy")
assert t.dtype == np.float32 and np.array_equal(t, t.T)
rel = np.linalg.norm(t - t64) / np.linalg.norm(t64)
assert 0 < rel < 1e-5 and rel <= p["theta_relative_error_bound"], rel
assert abs(p["theta_frobenius"] / np.linalg.norm(t.astype(float)) - 1) < 1e-7, p
e64, e = np.load("float64/eigenvalues.npy"), np.load("float32-1/eigenvalues.npy")
assert e.dtype == np.float32 and len(e) == 96
bound = p["eigenvalue_error_bound"]
gap = np.abs(e - e64)
meaningful = e > bound
assert p["eigenvalues"] == 96 and p["eigenvalues_above_bound"] == meaningful.sum() >= 10, p
assert np.all(gap[:10] <= bound) and np.all(gap[meaningful] <= bound), (gap.max(), bound)
# the float32 pairs are pairs of the float64 Theta to the same bound
v = np.load("float32-1/eigenvectors.npy").astype(float)
residual = np.linalg.norm(t64 @ v - v * e.astype(float), axis=0)
assert residual[meaningful].max() <= bound, (residual.max(), bound)
assert spectrum["max_relative_residual"] <= 64 * np.sqrt(96) * u
energy = lambda d: np.array([float(r["target_energy"]) for r in csv.DictReader(open(f"{d}/modes.csv"))])
top = slice(0, 10)  # well separated: their vectors (and energies) are determined
assert np.abs(energy("float32-1")[top] - energy("float64")[top]).max() < 1e-4
values = yaml.safe_load(open("values/summary.yaml"))
assert values["spectrum"]["solver"] == "pssyevr" and values["spectrum"]["eigenvalue_check"] == "moments"
ev = np.load("values/eigenvalues.npy")
vbound = values["precision"]["eigenvalue_error_bound"]
assert ev.dtype == np.float32 and np.all(np.abs(ev - e64)[ev > vbound] <= vbound), vbound
# 2 ranks (a 1 x 2 grid): Theta identical (cmp above), the eigenvalues
# within the eigensolver's stated error
e2 = np.load("float32-2/eigenvalues.npy")
assert np.abs(e2 - e).max() <= p["solver_error"], (np.abs(e2 - e).max(), p["solver_error"])
def same_solve(d, solver):
    # another float32 solver on the same Theta: float64's eigenvalues within
    # its own stated bound, pairs of the float64 Theta, the probe check
    # passed, and within the solvers' stated errors of pssyevd's
    s = yaml.safe_load(open(f"{d}/summary.yaml"))
    assert s["spectrum"]["solver"] == solver, s["spectrum"]
    b = s["precision"]["eigenvalue_error_bound"]
    ev = np.load(f"{d}/eigenvalues.npy")
    vv = np.load(f"{d}/eigenvectors.npy").astype(float)
    keep = ev > b
    assert ev.dtype == np.float32 and np.all(np.abs(ev - e64)[keep] <= b), (np.abs(ev - e64).max(), b)
    r = np.linalg.norm(t64 @ vv - vv * ev.astype(float), axis=0)
    assert r[keep].max() <= b, (r.max(), b)
    assert s["spectrum"]["max_relative_residual"] <= 64 * np.sqrt(96) * u
    assert np.abs(ev - e).max() <= s["precision"]["solver_error"] + p["solver_error"]
import os
if os.path.isdir("elpa-2"):
    same_solve("elpa-2", "elpa")
for d in ("lapack-1", "lapack-2"):
    same_solve(d, "lapack")
l1, l2 = np.load("lapack-1/eigenvalues.npy"), np.load("lapack-2/eigenvalues.npy")
assert np.abs(l1 - l2).max() <= p["solver_error"], (np.abs(l1 - l2).max(), p["solver_error"])
lv = yaml.safe_load(open("lapack-values/summary.yaml"))
assert lv["spectrum"]["solver"] == "lapack" and lv["spectrum"]["eigenvalue_check"] == "moments"
ev = np.load("lapack-values/eigenvalues.npy")
vbound = lv["precision"]["eigenvalue_error_bound"]
assert ev.dtype == np.float32 and np.all(np.abs(ev - e64)[ev > vbound] <= vbound), vbound
# predictions from the 12 meaningful modes against float64's (whose other
# modes are ~1e-15 and contribute nothing)
p64, p32 = np.load("p-float64/test_predictions.npy"), np.load("p-float32/test_predictions.npy")
assert p32.shape == p64.shape == (2, 16, 1) and np.abs(p32 - p64).max() < 1e-5 * np.abs(p64).max()
assert yaml.safe_load(open("p-float32/summary.yaml"))["predict"]["modes_used"] == 12
print(f"float32: Theta relative error {rel:.3g} (bound {p['theta_relative_error_bound']:.3g}), "
      f"eigenvalues within {gap.max():.3g} (bound {bound:.3g}, {meaningful.sum()} above it)")
PY
pass "float32 within its stated error of float64, Theta identical on 1 and 2 ranks"
