# Shared helpers for the shell tests. Source it: . "$NTK_TESTS_DIR/lib.sh"
# Environment (set by CTest): NTKGRAM, NTK_PYTHON, NTK_MPIEXEC, NTK_SOURCE_DIR.
set -u

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# A fresh scratch folder per test, under the build tree.
scratch() {
    local dir="$PWD/scratch-$1"
    rm -rf "$dir" && mkdir -p "$dir" && echo "$dir"
}

# ntk RANKS ARGS...: run ntkgram on RANKS processes (1 = plain process, no mpirun).
ntk() {
    local ranks=$1; shift
    if [ "$ranks" = "serial" ]; then
        "$NTKGRAM" "$@"
    else
        "$NTK_MPIEXEC" --oversubscribe -n "$ranks" "$NTKGRAM" "$@"
    fi
}

need_python() {
    [ -x "$NTK_PYTHON" ] || fail "no python3 with numpy found (NTK_PYTHON=$NTK_PYTHON); install python3-numpy"
}

# py SCRIPT ARGS...: run a python reference/check script from tests/.
py() { need_python; "$NTK_PYTHON" "$@"; }

# compare_npy A.npy B.npy [TOLERANCE]: same shape and max |a - b| within
# TOLERANCE (default 1e-12) of the largest magnitude (tests/compare_npy.c).
compare_npy() { "$NTK_COMPARE_NPY" "$@"; }

# null_or_below VALUE LIMIT: VALUE (a summary.yaml scalar) is null or a number
# below LIMIT; anything else, an empty VALUE included, fails.
null_or_below() {
    awk -v v="$1" -v limit="$2" 'BEGIN { exit !(v == "null" || (v ~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ && v + 0 < limit + 0)) }'
}

# expect_error CODE REGEX RANKS ARGS...: ntkgram must exit with CODE within
# 120 s (a hang is a failure), print exactly one "ntkgram: error:" line that
# matches REGEX, and not crash. The error line is left in $expected_error_line
# (for tests that compare it with another run's).
expected_error_line=
expect_error() {
    local code=$1 regex=$2 ranks=$3; shift 3
    local out rc
    out=$(timeout 120 bash -c '"$@"' _ ntk_launch "$ranks" "$@" 2>&1); rc=$?
    [ $rc -eq 124 ] && fail "hang (timeout) for: $*"
    [ $rc -eq "$code" ] || fail "exit $rc, expected $code for: $* -- output: $out"
    local lines
    lines=$(printf '%s\n' "$out" | grep -c '^ntkgram: error:')
    [ "$lines" -eq 1 ] || fail "expected one error line, got $lines for: $* -- output: $out"
    expected_error_line=$(printf '%s\n' "$out" | grep '^ntkgram: error:')
    printf '%s\n' "$expected_error_line" | grep -Eq -- "$regex" \
        || fail "error does not match /$regex/ for: $* -- output: $out"
}
ntk_launch() { ntk "$@"; }

# catalogue_ranks RANKS...: the rank counts a refusal catalogue loops over.
# The normal build runs them all. The sanitizer lane (NTK_SANITIZE=1) runs the
# first count above one only: the same refusal on another rank count reaches
# the same code of ntkgram (the collective failure path is the multi-rank
# one), and every sanitized start of ntkgram costs seconds of CPU.
catalogue_ranks() {
    if [ "${NTK_SANITIZE:-0}" = 1 ]; then
        local ranks
        for ranks in "$@"; do
            [ "$ranks" = serial ] || [ "$ranks" = 1 ] || { echo "$ranks"; return; }
        done
    fi
    echo "$@"
}
export -f ntk ntk_launch 2>/dev/null || true
