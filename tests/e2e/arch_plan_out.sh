# `ntkgram plan --out DIR` is honoured like in `run`: the planned job (for a
# sweep, its largest point) writes to DIR, and the point folder plan names is
# the one `run` fills.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch arch_plan_out)
cd "$dir" || fail "cd $dir"

plan_value() { awk -v key="$1" '$1 == key ":" { sub(/^[^:]*: /, ""); print; exit }' <<<"$2"; }

# The job as written: --out wins over the file and over --set output.dir.
yaml=$(ntk serial plan "$NTK_TESTS_DIR/e2e/small.yaml" --format yaml --out "planned dir") ||
    fail "plan failed: $yaml"
[ "$(plan_value output_dir "$yaml")" = '"planned dir"' ] ||
    fail "plan --out: output_dir is $(plan_value output_dir "$yaml"), expected \"planned dir\""
yaml=$(ntk serial plan "$NTK_TESTS_DIR/e2e/small.yaml" --format yaml \
           --set output.dir=from-set --out from-out) || fail "plan failed: $yaml"
[ "$(plan_value output_dir "$yaml")" = '"from-out"' ] ||
    fail "--out must win over --set output.dir: $(plan_value output_dir "$yaml")"
text=$(ntk serial plan "$NTK_TESTS_DIR/e2e/small.yaml" --out text-out) || fail "plan failed: $text"
grep -q "^  output    text-out/$" <<<"$text" || fail "plan text does not name text-out/: $text"
pass "plan --out names the output folder"

# A sweep: the shown point is the largest (dense 32), in its folder under --out.
sed 's/^output:.*/output: {dir: from-file, theta: false, plot: false}/' \
    "$NTK_TESTS_DIR/e2e/small.yaml" >sweep.yaml
printf 'sweep:\n  model.layers[0].dense: [8, 32]\n' >>sweep.yaml
yaml=$(ntk serial plan sweep.yaml --format yaml --out swept) || fail "plan failed: $yaml"
point_dir="swept/model.layers_0_.dense=32"
[ "$(plan_value largest_point "$yaml")" = "1" ] || fail "largest point: $yaml"
[ "$(plan_value output_dir "$yaml")" = "\"$point_dir\"" ] ||
    fail "sweep plan --out: output_dir is $(plan_value output_dir "$yaml"), expected \"$point_dir\""
ntk 2 run sweep.yaml --out swept --quiet || fail "run of the sweep failed"
[ -f "$point_dir/summary.yaml" ] || fail "run did not write $point_dir/summary.yaml"
[ ! -e from-file ] || fail "run wrote into the job file's output.dir despite --out"
pass "plan and run agree on a sweep point's folder under --out"
