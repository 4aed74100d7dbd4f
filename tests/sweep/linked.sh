# Linked sweeps: sweep.zip varies its keys together (one axis, combined as a
# product with the other keys), a value may be a whole list (model.layers),
# folder names as documented (point_name.py), a zip of unequal lengths is
# refused naming the key, and --set sweep={} / --no-sweep run the job once.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch sweep-linked)
cd "$dir"

cat > zip.yaml <<'YAML'
name: linked
data:
  inputs: {synthetic: gaussian, n: 12, dim: 3, seed: 1}
  targets: {synthetic: sine, seed: 2}
model:
  layers: [{dense: 16}, relu, {dense: 16}, relu, {dense: 1}]
grid: {block: 4}
output: {dir: out, plot: false}
sweep:
  model.seed: [0, 1]
  zip:
    model.layers[0].dense: [8, 32]
    model.layers[2].dense: [8, 32]
YAML
log=$(ntk 2 run zip.yaml 2>&1) || fail "zip sweep: $log"
[ "$(ls out | grep -c '^model')" -eq 4 ] || fail "expected 2 x 2 = 4 points: $(ls out)"
point=0
for seed in 0 1; do
    for width in 8 32; do
        name=$(py "$NTK_TESTS_DIR/sweep/point_name.py" model.seed=$seed \
            "model.layers[0].dense=$width" "model.layers[2].dense=$width")
        [ -s "out/$name/summary.yaml" ] || fail "no folder $name: $(ls out)"
        py - "out/$name/summary.yaml" $seed $width <<'PY' || fail "point $name runs another job"
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["job"]
seed, width = int(sys.argv[2]), int(sys.argv[3])
layers = job["model"]["layers"]
assert job["model"]["seed"] == seed, job["model"]
assert layers[0]["dense"] == width and layers[2]["dense"] == width, layers
PY
        grep -q "^$point,$seed,$width,$width," out/sweep.csv || fail "sweep.csv row $point: $(cat out/sweep.csv)"
        point=$((point + 1))
    done
done
py "$NTK_TESTS_DIR/sweep/check_table.py" out 0 1 2 3 || fail "sweep.csv"
pass "zip: 2 seeds x 2 linked widths, names and rows in product order"

cat > layers.yaml <<'YAML'
name: layers-sweep
data:
  inputs: {synthetic: gaussian, n: 12, dim: 3, seed: 1}
model:
  layers: [{dense: 16}, relu, {dense: 1}]
grid: {block: 4}
output: {dir: out, plot: false}
sweep:
  zip:
    model.layers: [[{dense: 8}, relu, {dense: 1}], [{dense: 16}, tanh, {dense: 4}, relu, {dense: 1}]]
    model.seed: [3, 4]
YAML
log=$(ntk serial run layers.yaml --out lists 2>&1) || fail "list-valued sweep: $log"
[ "$(ls lists | grep -c '^model')" -eq 2 ] || fail "expected 2 points: $(ls lists)"
first=$(py "$NTK_TESTS_DIR/sweep/point_name.py" "model.layers=[{dense: 8}, relu, {dense: 1}]" model.seed=3)
second=$(py "$NTK_TESTS_DIR/sweep/point_name.py" \
    "model.layers=[{dense: 16}, tanh, {dense: 4}, relu, {dense: 1}]" model.seed=4)
grep -q "parameters: 32$" "lists/$first/summary.yaml" || fail "$first: not the 3-8-1 net (32 weights)"
grep -q "parameters: 116$" "lists/$second/summary.yaml" || fail "$second: not the 3-16-4-1 net (116 weights)"
log=$(ntk serial run layers.yaml --out lists 2>&1) || fail "rerun: $log"
[ "$(echo "$log" | grep -c 'already complete, skipping')" -eq 2 ] || fail "rerun did not skip: $log"
pass "a whole list as a sweep value: names with their hash, rerun skips"

sed -e 's/model.seed: \[3, 4\]/model.seed: [3, 4, 5]/' layers.yaml > unequal.yaml
for command in validate run; do
    expect_error 3 "unequal\.yaml:11:17: sweep\.zip\.model\.seed: has 3 values, but sweep\.zip\.model\.layers has 2" \
        serial $command unequal.yaml --out refused
done
[ -e refused ] && fail "a refused sweep wrote its folder"
pass "zip of unequal lengths refused"

for off in "--set sweep={}" "--no-sweep"; do
    rm -rf once
    log=$(ntk 2 run zip.yaml --out once $off 2>&1) || fail "$off: $log"
    [ -s once/summary.yaml ] || fail "$off: no single run in once/: $(ls once)"
    ls once | grep -q '^model' && fail "$off: sweep points were run: $(ls once)"
    log=$(ntk serial validate zip.yaml $off 2>&1) || fail "validate $off: $log"
    echo "$log" | grep -q "sweep" && fail "validate $off still sees a sweep: $log"
done
pass "--set sweep={} and --no-sweep turn the sweep off"

# Long list values on every key (8 keys, a value of 1002 characters): the
# point names are cut and hashed, sweep.csv holds the whole values
py - <<'PY' || fail "writing long.yaml"
layers = "[" + ", ".join(["{dense: 4}, relu"] * 55) + ", {dense: 1}]"
values = {"model.seed": "[1, 2]", "model.w_std": "[1.0, 1.5]", "model.b_std": "[0.0, 0.1]",
          "grid.block": "[2, 3]", "dynamics.learning_rate": "[0.5, 1.0]",
          "kernel.quadrature_order": "[8, 16]", "model.parameterization": "[ntk, standard]"}
lines = ["name: long", "data:", "  inputs: {synthetic: gaussian, n: 6, dim: 2, seed: 1}",
         "model:", "  layers: [{dense: 4}, relu, {dense: 1}]",
         "output: {dir: long, plot: false}", "spectrum: {solver: none}", "sweep:", "  zip:",
         f"    model.layers: [{layers}, {layers}]"]
lines += [f"    {key}: {value}" for key, value in values.items()]
open("long.yaml", "w").write("\n".join(lines) + "\n")
PY
log=$(ntk serial run long.yaml 2>&1) || fail "long values: $log"
layers=$(py -c 'print("[" + ", ".join(["{dense: 4}, relu"] * 55) + ", {dense: 1}]")')
name=$(py "$NTK_TESTS_DIR/sweep/point_name.py" "model.layers=$layers" model.seed=2 \
    model.w_std=1.5 model.b_std=0.1 grid.block=3 dynamics.learning_rate=1.0 \
    kernel.quadrature_order=16 model.parameterization=standard)
[ -s "long/$name/summary.yaml" ] || fail "no folder $name: $(ls long)"
py - long/sweep.csv "$layers" <<'PY' || fail "sweep.csv of long values"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2 and all(r["model.layers"] == sys.argv[2] for r in rows), rows
PY
pass "long list values on 8 keys: names cut and hashed, whole values in sweep.csv"
