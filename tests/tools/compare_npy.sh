# The suite's .npy comparison (tests/compare_npy.c) against numpy's reading of
# the same files: equal arrays pass whatever the data type and memory order,
# a difference just above the tolerance, another shape, a NaN and an
# unreadable file fail, each with the exit status the shell tests rely on.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch tools_compare_npy)
py - "$dir" <<'PY' || fail "could not write the test arrays"
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
a = rng.standard_normal((5, 7, 3))
np.save(f"{d}/a.npy", a)
np.save(f"{d}/a_fortran.npy", np.asfortranarray(a))
np.save(f"{d}/a_f4.npy", a.astype(np.float32))
b = a.copy(); b[4, 6, 2] += 2e-9 * np.abs(a).max()
np.save(f"{d}/b.npy", b)
np.save(f"{d}/a_t.npy", a.reshape(7, 5, 3))
n = a.copy(); n[1, 1, 1] = np.nan
np.save(f"{d}/nan.npy", n)
np.save(f"{d}/i8.npy", np.arange(12, dtype=np.int64).reshape(3, 4))
np.save(f"{d}/i8_f8.npy", np.arange(12, dtype=np.float64).reshape(3, 4))
np.save(f"{d}/scalar.npy", np.float64(2.5))
np.save(f"{d}/c16.npy", a.astype(np.complex128))
open(f"{d}/short.npy", "wb").write(open(f"{d}/a.npy", "rb").read()[:200])
PY
status() { compare_npy "$@" >/dev/null 2>&1; echo $?; }
[ "$(status "$dir/a.npy" "$dir/a.npy")" = 0 ] || fail "an array differs from itself"
[ "$(status "$dir/a.npy" "$dir/a_fortran.npy" 0)" = 0 ] || fail "Fortran order read differently from C order"
[ "$(status "$dir/a_fortran.npy" "$dir/a_fortran.npy" 0)" = 0 ] || fail "a Fortran-order array differs from itself"
[ "$(status "$dir/a.npy" "$dir/a_f4.npy" 1e-7)" = 0 ] || fail "float32 copy not within float32 rounding"
[ "$(status "$dir/a.npy" "$dir/a_f4.npy" 1e-12)" = 1 ] || fail "float32 rounding passed a 1e-12 tolerance"
[ "$(status "$dir/a.npy" "$dir/b.npy" 3e-9)" = 0 ] || fail "a 2e-9 relative change failed a 3e-9 tolerance"
[ "$(status "$dir/a.npy" "$dir/b.npy" 1e-9)" = 1 ] || fail "a 2e-9 relative change passed a 1e-9 tolerance"
[ "$(status "$dir/a.npy" "$dir/b.npy")" = 1 ] || fail "a 2e-9 relative change passed the default 1e-12"
[ "$(status "$dir/a.npy" "$dir/a_t.npy" 1)" = 1 ] || fail "another shape passed"
[ "$(status "$dir/nan.npy" "$dir/nan.npy" 1)" = 1 ] || fail "a NaN passed"
[ "$(status "$dir/i8.npy" "$dir/i8_f8.npy" 0)" = 0 ] || fail "int64 and float64 of the same values differ"
[ "$(status "$dir/scalar.npy" "$dir/scalar.npy")" = 0 ] || fail "a 0-d array differs from itself"
[ "$(status "$dir/a.npy" "$dir/c16.npy")" = 2 ] || fail "complex data was not refused"
[ "$(status "$dir/a.npy" "$dir/short.npy")" = 2 ] || fail "a truncated file was not refused"
[ "$(status "$dir/a.npy" "$dir/missing.npy")" = 2 ] || fail "a missing file was not refused"
[ "$(status "$dir/a.npy" "$dir/a.npy" x)" = 2 ] || fail "a tolerance that is not a number was accepted"
compare_npy "$dir/a.npy" "$dir/b.npy" 1e-9 2>&1 | grep -q "a.npy vs .*b.npy: relative difference 2.0..e-09 > 1.0e-09" ||
    fail "the failure message does not name both files and the difference"
pass "compare_npy agrees with numpy on types, orders, shapes, NaN and tolerances"
