# A conv net's analytic kernel writes checkpoints at assembly step
# boundaries only: under a time limit (NTK_TIME_LIMIT, Slurm's --time
# formats; slurm/ntkgram.sbatch sets it from the job's) a step that would
# outlast it is refused at the start, on every rank, with plan's estimate,
# and nothing is written; a step that fits runs; a limit that is not a time
# is a usage error; UNLIMITED is no limit.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch analytic-conv-time-limit)
cd "$dir"
myrtle="$NTK_SOURCE_DIR/jobs/myrtle5-cifar-like.yaml"
small="$dir/small.yaml"
cat > "$small" <<'YAML'
data: {inputs: {synthetic: gaussian, n: 6, shape: [4, 4, 2], seed: 3}}
model:
  layers: [{conv: {channels: 2, kernel: 3}}, relu, global_avg_pool, {dense: 1}]
kernel: {kind: analytic, nngp: true}
spectrum: {solver: none}
output: {dir: out, theta: true, plot: false}
YAML

# Myrtle-5 on 12 images, 2 ranks: a step of 78 pairs (12 rows, one block of
# 12 columns, its lower triangle), about 10 s by plan's count; a limit of 10
# seconds leaves 5 s.
export NTK_TIME_LIMIT=0:10
expect_error 3 "one assembly step .* would take about [0-9.e+]+ s by plan's estimate .* per pair of inputs .*NTK_TIME_LIMIT 10 s" \
    2 run "$myrtle" --out "$dir/refused" --set data.inputs.n=12 --set spectrum.solver=none
[ ! -e "$dir/refused/theta.npy" ] || fail "a refused run wrote theta.npy"
step=$(ntk serial plan "$myrtle" --ranks 2 --set data.inputs.n=12 --format yaml |
    awk '/^analytic_step_seconds:/ {print $2}')
printf '%s\n' "$expected_error_line" | grep -q "about $(printf '%.3g' "$step") s by plan's estimate" \
    || fail "the refusal does not quote plan's step estimate $step: $expected_error_line"

export NTK_TIME_LIMIT=10
ntk 2 run "$small" --quiet --out "$dir/fits" || fail "a job whose steps fit in 10 minutes was refused"
[ -s "$dir/fits/theta.npy" ] && [ -s "$dir/fits/nngp.npy" ] || fail "no theta.npy / nngp.npy"

export NTK_TIME_LIMIT=UNLIMITED
ntk serial run "$small" --quiet --out "$dir/unlimited" || fail "UNLIMITED refused"

export NTK_TIME_LIMIT=soon
expect_error 2 "NTK_TIME_LIMIT='soon': not a time limit" 2 run "$small" --out "$dir/bad"
export NTK_TIME_LIMIT=1-00:00:00
ntk serial run "$small" --quiet --out "$dir/day" || fail "a limit of one day (days-hours:minutes:seconds) refused"
pass "analytic conv kernel: steps longer than the time limit refused with plan's estimate"
