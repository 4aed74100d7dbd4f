# The issue's CNN (bench/cnn/cnn.yaml: 32x32x3 inputs, two 3x3 64-channel conv
# layers, k = 10) on 2 ranks: with the structured kernel's parameter chunks
# (kernel.chunk_mib, default 2048) the feature memory per rank stays near the
# budget instead of growing as N x parameters (whole Jacobian blocks: 9.6 GiB
# per rank at N = 2048, about 4x that at N = 8192). plan must say so.
. "$NTK_TESTS_DIR/lib.sh"
job="$NTK_SOURCE_DIR/bench/cnn/cnn.yaml"
field() { awk -v key="$1:" '$1 == key {print $2; exit}'; }
gib=1073741824
for n in 2048 8192; do
    plan=$(ntk serial plan "$job" --ranks 2 --format yaml --set data.inputs.n=$n) || fail "plan N = $n"
    eval "features_$n=$(echo "$plan" | field features)"
    eval "peak_$n=$(echo "$plan" | field peak_bytes_per_rank)"
    eval "passes_$n=$(echo "$plan" | field passes)"
done
echo "N = 2048: features $features_2048, peak $peak_2048 bytes per rank, $passes_2048 chunk passes"
echo "N = 8192: features $features_8192, peak $peak_8192 bytes per rank, $passes_8192 chunk passes"
[ "$passes_2048" -ge 2 ] || fail "plan does not chunk the CNN at N = 2048"
awk -v a="$peak_2048" -v g=$gib 'BEGIN {exit !(a < 2.0 * g)}' \
    || fail "peak per rank at N = 2048 is $peak_2048 bytes, expected < 2 GiB"
awk -v a="$features_8192" -v g=$gib 'BEGIN {exit !(a < 2.5 * g)}' \
    || fail "features per rank at N = 8192 are $features_8192 bytes, expected < 2.5 GiB"
# 4x the inputs: the features grow by the small per-input part only.
awk -v a="$features_2048" -v b="$features_8192" 'BEGIN {exit !(b < 1.5 * a)}' \
    || fail "features grow from $features_2048 to $features_8192 bytes for 4x the inputs"
# A smaller budget gives proportionally less.
small=$(ntk serial plan "$job" --ranks 2 --format yaml --set data.inputs.n=2048 \
        --set kernel.chunk_mib=256 | field features)
awk -v a="$small" -v g=$gib 'BEGIN {exit !(a < 0.5 * g)}' \
    || fail "features with kernel.chunk_mib 256 are $small bytes, expected < 0.5 GiB"
# The CIFAR ResNet-18 at full width (jobs/resnet18-cifar.yaml, seeded weights
# instead of the exported file) at N = 50,000 on 256 ranks: its last stage's
# conv layers take the pairwise form (4 x 4 positions), whose patches and
# cotangents are chunked too (rectangles of channels x patch columns); before,
# they stayed whole and the features took 20.9 GiB per rank.
resnet_job="$(scratch cnn-bounded)/resnet18.yaml"
grep -v '^  weights:' "$NTK_SOURCE_DIR/jobs/resnet18-cifar.yaml" > "$resnet_job"
resnet=(--ranks 256 --format yaml --set data.inputs.n=50000 --set kernel.outputs=trace)
features_resnet=$(ntk serial plan "$resnet_job" "${resnet[@]}" | field features) \
    || fail "plan of the ResNet-18"
small_resnet=$(ntk serial plan "$resnet_job" "${resnet[@]}" \
               --set kernel.chunk_mib=512 | field features) || fail "plan of the ResNet-18, 512 MiB"
echo "ResNet-18, N = 50000, 256 ranks: features $features_resnet bytes per rank, $small_resnet at 512 MiB"
awk -v a="$features_resnet" -v g=$gib 'BEGIN {exit !(a < 2.25 * g)}' \
    || fail "ResNet-18 features per rank are $features_resnet bytes, expected < 2.25 GiB"
awk -v a="$small_resnet" -v g=$gib 'BEGIN {exit !(a < 0.85 * g)}' \
    || fail "ResNet-18 features with kernel.chunk_mib 512 are $small_resnet bytes, expected < 0.85 GiB"
pass "CNN and ResNet-18 feature memory bounded by kernel.chunk_mib (CNN N = 2048: $peak_2048 bytes per rank)"
