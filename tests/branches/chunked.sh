# Residual conv nets whose pairwise conv layers (few positions: the ResNet's
# last stage) exceed kernel.chunk_mib: the structured kernel sums them in
# parameter chunks, rectangles of output channels x patch columns
# (kernel/kernel.h), instead of keeping every item's patches and cotangents
# whole.
#  1. Theta in rectangles (plan must split both the channels and the
#     columns, else the test would not test them) equals the unchunked
#     structured one's to 1e-12, trace (2 ranks) and full (1 rank).
#  2. Memory: with a smaller kernel.chunk_mib plan's peak and the measured
#     peak resident memory (GNU time) both go down, each run within 15% of
#     plan, and Theta stays the same to 1e-12.
#  3. The assembly's timers (summary.yaml kernel.jacobian_seconds and
#     products_seconds): both positive, together within the assembly phase;
#     their CPU seconds (jacobian_cpu_seconds, products_cpu_seconds) positive.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch branches-chunked)
cd "$dir" || fail "no scratch folder"
job() {  # job NAME N SHAPE FIRST_CONV CHANNELS
    cat >"$1.yaml" <<EOF
name: $1
data:
  inputs: {synthetic: gaussian, n: $2, shape: $3, seed: 3}
model:
  layers:
    - {conv: {channels: $5, $4}}
    - relu
    - residual:
        body:
          - {conv: {channels: $5, kernel: 3, padding: 1, bias: false}}
          - {batch_norm: {}}
          - relu
          - {conv: {channels: $5, kernel: 3, padding: 1}}
    - relu
    - flatten
    - {dense: 3}
  seed: 7
  b_std: 0.3
grid: {block: 4}
spectrum: {solver: none}
output: {theta: true, plot: false}
EOF
}
# 2 x 2 positions, 288 and 432 patch columns, 48 channels: pairwise.
job rect 100 '[2, 2, 32]' 'kernel: 3, padding: 1' 48
plan=$(ntk serial plan rect.yaml --set kernel.chunk_mib=1) || fail "plan of the rectangles job"
echo "$plan" | grep -q 'conv: pairwise' || fail "the conv layers are not pairwise: $plan"
echo "$plan" | grep -q 'chunk passes of 24 of its 48 output channels x 96 of its 288 patch columns' \
    || fail "plan does not split the first conv layer into rectangles: $plan"
ntk serial run rect.yaml --quiet --out rect-trace-whole || fail "unchunked trace run"
ntk 2 run rect.yaml --quiet --out rect-trace-chunked --set kernel.chunk_mib=1 \
    --set 'grid.shape=[1,2]' || fail "chunked trace run on 2 ranks"
ntk serial run rect.yaml --quiet --out rect-full-whole --set kernel.outputs=full || fail "unchunked full run"
# Full kernels' tiles hold per-(x, o) panels of the vectors, which the
# budget covers too: 4 MiB gives passes like 1 MiB's for trace.
ntk serial run rect.yaml --quiet --out rect-full-chunked --set kernel.outputs=full \
    --set kernel.chunk_mib=4 || fail "chunked full run"

# One position, 50,000 patch columns: 24 MB of packed features kept whole
# at the default budget; at kernel.chunk_mib 8 the whole assembly stage within 8 MiB.
job mem 60 '[1, 1, 2000]' 'kernel: 5, padding: 2' 8
field() { awk -v key="$1:" '$1 == key {print $2; exit}'; }
plan_whole=$(ntk serial plan mem.yaml --format yaml | field peak_bytes_per_rank)
plan_chunked=$(ntk serial plan mem.yaml --format yaml --set kernel.chunk_mib=8 | field peak_bytes_per_rank)
ntk serial plan mem.yaml --format yaml --set kernel.chunk_mib=8 | grep -q '^  passes: [1-9]' \
    || fail "plan does not chunk the memory job at kernel.chunk_mib 8"
awk -v a="$plan_chunked" -v b="$plan_whole" 'BEGIN {exit !(a < b - 8e6)}' \
    || fail "plan's peak does not go down with kernel.chunk_mib 8: $plan_whole -> $plan_chunked bytes"
rss() {  # rss OUT ARGS...: the run's peak RSS in bytes
    local out=$1; shift
    /usr/bin/time -o "$out.rss" -f '%M' "$NTKGRAM" run mem.yaml --quiet --out "$out" "$@" \
        || fail "memory run $out"
    echo $(( $(tail -n1 "$out.rss") * 1024 ))
}
rss_whole=$(rss mem-whole)
rss_chunked=$(rss mem-chunked --set kernel.chunk_mib=8)
echo "peak per rank: plan $plan_whole -> $plan_chunked bytes, measured $rss_whole -> $rss_chunked bytes"
py - <<'PY' || fail "Theta changed with the chunks, or the assembly's timers are wrong"
import numpy as np
import yaml
# The assembly's two timers (summary.yaml kernel): both ran, within the phase.
for run in ("mem-whole", "mem-chunked", "rect-trace-chunked"):
    s = yaml.safe_load(open(f"{run}/summary.yaml"))
    jac, prod = s["kernel"]["jacobian_seconds"], s["kernel"]["products_seconds"]
    phase = s["timings"]["phases"]["assemble theta"]
    print(f"{run}: Jacobians {jac:.3f} s, products {prod:.3f} s, phase {phase:.3f} s, "
          f"{s['kernel']['products_gflops_per_rank']:.2f} GFLOP/s per rank")
    cpu_jac, cpu_prod = s["kernel"]["jacobian_cpu_seconds"], s["kernel"]["products_cpu_seconds"]
    if not (jac > 0 and prod > 0 and jac + prod <= phase * 1.001 + 1e-3
            and s["kernel"]["products_gflops_per_rank"] > 0 and cpu_jac > 0 and cpu_prod > 0
            and s["kernel"]["products_gflops_per_cpu_second"] > 0):
        raise SystemExit(1)
for a, b in [("rect-trace-whole", "rect-trace-chunked"), ("rect-full-whole", "rect-full-chunked"),
             ("mem-whole", "mem-chunked")]:
    x, y = np.load(f"{a}/theta.npy"), np.load(f"{b}/theta.npy")
    d = np.abs(x - y).max() / np.abs(x).max()
    print(f"{a} vs {b}: relative difference {d:.2e}")
    if not d <= 1e-12:
        raise SystemExit(1)
PY
# In the sanitizer build peak RSS measures its runtime, not ntkgram's.
if [ "${NTK_SANITIZE:-0}" != 1 ]; then
    awk -v a="$rss_chunked" -v b="$rss_whole" 'BEGIN {exit !(a < b - 8e6)}' \
        || fail "the measured peak does not go down with kernel.chunk_mib 8: $rss_whole -> $rss_chunked bytes"
    for pair in "$rss_whole $plan_whole" "$rss_chunked $plan_chunked"; do
        set -- $pair
        awk -v m="$1" -v p="$2" 'BEGIN {r = m / p; exit !(r > 0.85 && r < 1.15)}' \
            || fail "measured peak $1 bytes is not within 15% of plan's $2"
    done
fi
pass "pairwise conv layers of a residual net in rectangles: Theta unchanged, peak down with kernel.chunk_mib"
