# The demo job runs on 2 ranks and writes every output; its spectrum matches numpy.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch demo)
cd "$dir"
log=$(ntk 2 run "$NTK_SOURCE_DIR/jobs/demo.yaml" 2>&1) || fail "demo run: $log"
echo "$log" | grep -q "results in ntkgram-out/demo" || fail "demo does not say where results are: $log"
for file in theta.npy eigenvalues.npy eigenvectors.npy modes.csv summary.yaml spectrum.svg; do
    [ -s "ntkgram-out/demo/$file" ] || fail "missing $file"
done
ls ntkgram-out/demo | grep -q partial && fail "partial files left behind"
py "$NTK_TESTS_DIR/e2e/check_spectrum.py" ntkgram-out/demo 1024 1 1.0 || fail "demo spectrum"
pass "demo"
