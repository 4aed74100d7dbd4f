# A folder's files belong to one run: a rerun into the same output.dir that
# fails after it started computing leaves neither the old summary.yaml nor
# old outputs beside its own, and marks the folder with .ntkgram-running; a
# job refused before computing leaves the old results alone; a successful
# run removes the marker. The final log line lists exactly the files the
# run wrote. A learning rate so large that the mode rates overflow is
# refused (exit 8, naming the key) instead of writing "loss: .nan".
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch run_rerun)
cd "$dir"
printf '%s\n' 'data:' '  inputs: {synthetic: sphere, n: 40, dim: 4, seed: 1}' \
    '  targets: {synthetic: sine, seed: 2}' \
    'model: {layers: [{dense: 8}, relu, {dense: 1}]}' 'grid: {block: 8}' \
    'output: {dir: out, theta: true}' > job.yaml

# files_in DIR: the file names in DIR, sorted, one line (the marker included).
files_in() { ls -A "$1" | sort | tr '\n' ' '; }
# listed LOG: the files named by the final log line, sorted, one line.
listed() { sed -n 's/.*; results in [^ ]*\/ (\(.*\))$/\1/p' "$1" | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' '; }

for ranks in serial 2; do
    rm -rf out
    ntk $ranks run job.yaml >first.log 2>&1 || fail "first run: $(cat first.log)"
    [ "$(files_in out)" = "$(listed first.log)" ] \
        || fail "log lists '$(listed first.log)', folder has '$(files_in out)'"

    # Refused before computing: the old results stay, untouched.
    expect_error 3 "spectrum\.top: 100000 is more than" $ranks run job.yaml --set spectrum.top=100000
    [ -s out/summary.yaml ] && [ ! -e out/.ntkgram-running ] || fail "a refused job touched out/: $(files_in out)"

    # Fails after it started (theta.npy written, then the modes): nothing of
    # the first run is left, only the marker and this run's theta.npy.
    expect_error 8 "dynamics\.learning_rate: 1e\+308 is too large" $ranks run job.yaml \
        --set dynamics.learning_rate=1e308
    [ "$(files_in out)" = ".ntkgram-running theta.npy " ] \
        || fail "after a failed rerun out/ holds '$(files_in out)', expected the marker and theta.npy"
    grep -q '^job: "job"$' out/.ntkgram-running || fail "marker content: $(cat out/.ntkgram-running)"
    py - out/.ntkgram-running <<'PY' || fail "the marker is not YAML with string fields: $(cat out/.ntkgram-running)"
import sys, yaml
marker = yaml.safe_load(open(sys.argv[1]))
assert marker["job"] == "job" and isinstance(marker["file"], str) and isinstance(marker["host"], str), marker
assert isinstance(marker["pid"], int), marker
PY

    # Success again: no marker; without a solver only summary.yaml is written
    # and listed (the log used to name eigenvalues.npy and modes.csv).
    ntk $ranks run job.yaml --set spectrum.solver=none --set output.theta=false >none.log 2>&1 \
        || fail "solver none: $(cat none.log)"
    [ "$(listed none.log)" = "summary.yaml " ] || fail "solver none lists '$(listed none.log)'"
    [ "$(files_in out)" = "summary.yaml " ] || fail "solver none left '$(files_in out)'"
done
pass "rerun into a used folder: one run's files only; the log lists what was written"
