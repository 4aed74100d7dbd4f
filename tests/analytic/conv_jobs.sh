# The analytic conv example jobs (docs/analytic-conv.md):
# - jobs/myrtle5-cifar-like.yaml validates and plans: every layer below the
#   last pools keeps all pairs of positions, 1024 at the first conv;
# - jobs/properties/stationarity-analytic.yaml: the exact kernel with
#   circular padding + global_avg_pool is shift invariant (1e-13), with same
#   padding + flatten it is not (> 1e-3);
# - jobs/cntk-digits.yaml on a subset of the digits split (240 training and
#   120 test images): ntkgram's kernel regression equals numpy's on the
#   written matrices and reaches at least 0.85; the dense analytic NTK of
#   jobs/digits-predict.yaml on the same subset is printed beside it.
. "$NTK_TESTS_DIR/lib.sh"
need_python
"$NTK_PYTHON" -c "import sklearn" 2>/dev/null || fail "python3-sklearn is not installed"
dir=$(scratch analytic-conv-jobs)
cd "$dir"

ntk serial validate "$NTK_SOURCE_DIR/jobs/myrtle5-cifar-like.yaml" >/dev/null || fail "validate myrtle5"
ntk serial plan "$NTK_SOURCE_DIR/jobs/myrtle5-cifar-like.yaml" --ranks 64 --format yaml > myrtle.yaml \
    || fail "plan myrtle5"
py - <<'PY' || fail "myrtle5 plan"
import yaml
plan = yaml.safe_load(open("myrtle.yaml"))
layers = plan["analytic_layers"]
assert [l["form"] for l in layers] == ["full"] * 13 + ["diagonal"] * 2, layers
assert layers[0]["positions"] == 1024 and layers[0]["type"] == "conv", layers[0]
print(f"myrtle5: {plan['analytic_pair_flops']:.3g} flops per pair of inputs")
PY

cp "$NTK_SOURCE_DIR/jobs/properties/make_data.py" "$NTK_SOURCE_DIR/jobs/properties/compare.py" \
    "$NTK_SOURCE_DIR/jobs/properties/stationarity-analytic.yaml" .
py make_data.py || fail "make_data.py"
same='model.layers=[{conv: {channels: 1, kernel: 3}}, relu, {conv: {channels: 1, kernel: 3}}, relu, flatten, {dense: 1}]'
ntk 2 run stationarity-analytic.yaml --quiet --out circular || fail "circular run"
ntk 2 run stationarity-analytic.yaml --quiet --out circular-shifted --set data.inputs=images_shifted.npy \
    || fail "circular shifted run"
ntk 2 run stationarity-analytic.yaml --quiet --out same --set "$same" || fail "same run"
ntk 2 run stationarity-analytic.yaml --quiet --out same-shifted --set data.inputs=images_shifted.npy \
    --set "$same" || fail "same shifted run"
py compare.py circular circular-shifted
py compare.py same same-shifted
compare_npy circular/theta.npy circular-shifted/theta.npy 1e-13 \
    || fail "circular + global_avg_pool: the exact kernel changed under a shift"
! compare_npy same/theta.npy same-shifted/theta.npy 1e-3 \
    || fail "same + flatten: the exact kernel did not change under a shift"

py "$NTK_SOURCE_DIR/jobs/make_digits.py" digits >/dev/null || fail "make_digits.py"
py - <<'PY' || fail "subset"
import os
import numpy as np
os.makedirs("sub", exist_ok=True)
for name, count in (("train", 240), ("test", 120)):
    for kind in ("images", "inputs", "targets"):
        np.save(f"sub/{name}_{kind}.npy", np.load(f"digits/{name}_{kind}.npy")[:count])
PY
cp "$NTK_SOURCE_DIR/jobs/cntk-digits.yaml" "$NTK_SOURCE_DIR/jobs/digits-predict.yaml" .
subset=(--set data.inputs=sub/train_images.npy --set data.targets=sub/train_targets.npy
        --set data.test_inputs=sub/test_images.npy --set data.test_targets=sub/test_targets.npy
        --set output.theta=true --set output.test_theta=true)
ntk 2 run cntk-digits.yaml --quiet --out cntk "${subset[@]}" || fail "cntk-digits run"
py "$NTK_TESTS_DIR/predict/kernel_regression.py" cntk sub 0.85 || fail "CNTK kernel regression"
ntk 2 run digits-predict.yaml --quiet --out dense --set kernel.kind=analytic "${subset[@]}" \
    --set data.inputs=sub/train_inputs.npy --set data.test_inputs=sub/test_inputs.npy || fail "dense run"
py "$NTK_TESTS_DIR/predict/kernel_regression.py" dense sub 0.0 || fail "dense kernel regression"
pass "analytic conv jobs: myrtle5 plan, exact stationarity, CNTK regression on digits"
