# A checkpoint that does not belong to the run is refused, never mixed in:
# another job (model.seed), another grid ([2,1] vs [1,2]), a truncated file,
# a flipped byte in the data. The intact checkpoint still resumes afterwards.
. "$NTK_TESTS_DIR/checkpoint/common.sh"
dir=$(scratch checkpoint_refuse)
grid=(--set "grid.shape=[1,2]")
ntk 2 run "$job" --quiet --out "$dir/ref" "${grid[@]}" || fail "reference run"

out="$dir/run"
ckpt="$out/checkpoint/theta.ckpt"
total=$(interrupt 2 3 0 "$out" "${grid[@]}")
cp "$ckpt" "$dir/saved.ckpt"

expect_error 3 "checkpoint $ckpt belongs to another job \(hash [0-9a-f]{16}, this job [0-9a-f]{16}\); remove it or use another output.dir" \
    2 run "$job" --out "$out" "${grid[@]}" --set model.seed=8
pass "another job's checkpoint refused"

expect_error 3 "checkpoint $ckpt was written on a 1x2 grid with block 4; this run has 2x1 with block 4; run with the same grid or remove it" \
    2 run "$job" --out "$out" --set "grid.shape=[2,1]"
pass "another grid's checkpoint refused"

size=$(stat -c %s "$ckpt")
truncate -s -100 "$ckpt"
expect_error 5 "checkpoint $ckpt is truncated \($((size - 100)) of $size bytes\); remove it" \
    2 run "$job" --out "$out" "${grid[@]}"
pass "truncated checkpoint detected"

cp "$dir/saved.ckpt" "$ckpt"
py -c '
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at); byte = f.read(1)[0]; f.seek(at); f.write(bytes([byte ^ 0x01]))
' "$ckpt" $((size - 20)) || fail "flip a byte"
expect_error 5 "checkpoint $ckpt is corrupt \(the block of grid process \(0,1\) fails its checksum\); remove it" \
    2 run "$job" --out "$out" "${grid[@]}"
pass "corrupt checkpoint detected"

[ ! -e "$out/theta.npy" ] || fail "a refused checkpoint still produced outputs"
cp "$dir/saved.ckpt" "$ckpt"
resume 2 3 "$total" "$out" "${grid[@]}"
same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta after the refusals"
pass "the intact checkpoint resumes to the same Theta"
