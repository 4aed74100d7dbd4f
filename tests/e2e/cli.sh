# The command line: --help, --version, validate, unknown commands.
. "$NTK_TESTS_DIR/lib.sh"
out=$("$NTKGRAM" --help) || fail "--help exit code"
echo "$out" | grep -q "ntkgram run JOB.yaml" || fail "--help lacks usage"
echo "$out" | grep -q "Exit codes" || fail "--help lacks exit codes"
"$NTKGRAM" --version | grep -Eq '^ntkgram [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
"$NTKGRAM" 2>/dev/null && fail "no arguments must fail"
expect_error 2 "unknown command 'frobnicate'" serial frobnicate
expect_error 2 "no job file given" serial run
out=$(ntk 2 validate "$NTK_SOURCE_DIR/jobs/demo.yaml") || fail "validate demo"
echo "$out" | grep -q "ok - 1024 inputs of dimension 16, 1 output, .* parameters, Theta 1024 x 1024, with targets" \
    || fail "validate output: $out"
pass "command line"
