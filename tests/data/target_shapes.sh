# Targets are (N) or (N, k), as the README says: a 3-D data.targets or
# data.test_targets file ((30, 3, 1)) is refused naming its shape (it used to
# be read as (N, 3)), in validate and run on 1 and 2 ranks. Held-out points of
# another shape than the training points are named in NumPy's notation,
# "(2, 2, 1)" against "(4,)" (it used to print "(4, 0, 0) [1 axes]").
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch target-shapes)
cd "$dir"
py - <<'PY' || fail "writing the data"
import numpy as np
rng = np.random.default_rng(5)
np.save("x.npy", rng.standard_normal((30, 4)))
np.save("y.npy", rng.standard_normal((30, 3)))
np.save("y3d.npy", rng.standard_normal((30, 3, 1)))
np.save("xt.npy", rng.standard_normal((6, 4)))
np.save("xt_img.npy", rng.standard_normal((6, 2, 2, 1)))
np.save("yt3d.npy", rng.standard_normal((6, 3, 1)))
PY
cat > job.yaml <<'JOB'
data: {inputs: x.npy, targets: y.npy, test_inputs: xt.npy}
model: {layers: [{dense: 8}, relu, {dense: 3}]}
spectrum: {solver: none}
output: {dir: out, plot: false}
JOB
log=$(ntk 2 validate job.yaml 2>&1) || fail "the good job: $log"
for ranks in serial 2; do
    for command in validate run; do
        expect_error 4 "y3d.npy: targets have shape \(30, 3, 1\); expected \(N\) or \(N, k\)" \
            $ranks $command job.yaml --set data.targets=y3d.npy
        expect_error 4 "data.test_targets: .*yt3d.npy: targets have shape \(6, 3, 1\); expected \(N\) or \(N, k\)" \
            $ranks $command job.yaml --set data.test_targets=yt3d.npy
        expect_error 4 "data.test_inputs: points of shape \(2, 2, 1\), but the training inputs' points have shape \(4,\)" \
            $ranks $command job.yaml --set data.test_inputs=xt_img.npy
        [ -e out ] && fail "$command on $ranks ranks created output.dir"
    done
done
pass "3-D targets and test targets are refused; point shapes are printed as NumPy does"
