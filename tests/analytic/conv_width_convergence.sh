# The empirical conv NTK approaches the analytic (infinite-width) conv
# kernel as the channels grow: ||Theta_emp - Theta_inf|| / ||Theta_inf||
# (kernel.compare_analytic) at 64, 256 and 1024 channels over 6 seeds, on a
# net with circular and valid padding, relu, erf, avg_pool, flatten and
# dense. The root mean square over seeds falls at each step and its log-log
# slope against the width is about -1/2 (accepted in [-0.8, -0.3]).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch analytic-conv-width)
cd "$dir"
cat > job.yaml <<'YAML'
data: {inputs: {synthetic: gaussian, n: 8, shape: [5, 4, 2], seed: 3}}
model:
  layers: [{conv: {channels: 64, kernel: 3, padding: circular}}, relu,
           {conv: {channels: 64, kernel: 2, padding: valid}}, erf,
           {avg_pool: {window: 2, stride: 1}}, flatten, {dense: 2}]
  w_std: 1.3
  b_std: 0.2
kernel: {compare_analytic: true}
spectrum: {solver: none}
output: {dir: out, plot: false}
YAML
widths="64 256 1024" seeds="0 1 2 3 4 5"
for width in $widths; do
    for seed in $seeds; do
        ntk serial run job.yaml --quiet --out "w$width-s$seed" --set model.seed=$seed \
            --set "model.layers[0].conv.channels=$width" --set "model.layers[2].conv.channels=$width" \
            || fail "empirical run, width $width, seed $seed"
    done
done
py - "$widths" "$seeds" <<'PY' || fail "the empirical conv NTK does not converge like 1/sqrt(width)"
import sys
import numpy as np
import yaml
widths = [int(w) for w in sys.argv[1].split()]
seeds = sys.argv[2].split()
rms = []
for width in widths:
    distances = [yaml.safe_load(open(f"w{width}-s{seed}/summary.yaml"))["kernel"]["analytic_distance"]
                 for seed in seeds]
    rms.append(float(np.sqrt(np.mean(np.square(distances)))))
    print(f"width {width}: ||Theta_emp - Theta_inf|| / ||Theta_inf|| = "
          + ", ".join(f"{d:.4f}" for d in distances) + f" (rms {rms[-1]:.4f})")
slope = np.polyfit(np.log(widths), np.log(rms), 1)[0]
print(f"log-log slope {slope:.3f} (1/sqrt(width): -0.5)")
assert all(b < a for a, b in zip(rms, rms[1:])), rms
assert -0.8 <= slope <= -0.3, slope
PY
pass "the empirical conv NTK converges to the analytic kernel like 1/sqrt(width)"
