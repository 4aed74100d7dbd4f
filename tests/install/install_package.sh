#!/usr/bin/env bash
# install_package.sh CMAKE BUILD_DIR C_COMPILER [EXTRA_CFLAGS]
# `cmake --install` into a scratch prefix; only the public interface is there;
# examples/ builds out of tree by find_package(ntkgram) + ntkgram::ntkgram and
# by `pkg-config --cflags --libs ntkgram`; both programs compute Theta and its
# eigenvalues on 2 ranks, matching `ntkgram run` on the same job; the .pc file
# holds no absolute path and still works after the prefix is moved; a bad job
# or setting is one message and the command line's exit code, on every rank.
. "$NTK_TESTS_DIR/lib.sh"
cmake_command=$1 build_dir=$2 compiler=$3 extra_flags=${4:-}
dir=$(scratch install_package)
prefix="$dir/prefix"
"$cmake_command" --install "$build_dir" --prefix "$prefix" > "$dir/install.log" \
    || fail "cmake --install: $(cat "$dir/install.log")"

# What is installed: the program, one shared library, the public headers only.
[ -x "$prefix/bin/ntkgram" ] || fail "no bin/ntkgram"
headers=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
[ "$headers" = "./ntkgram/ntk_version.h ./ntkgram/ntkgram.h " ] \
    || fail "installed headers are not just the public ones: $headers"
library=$(find "$prefix" -name 'libntkgram.so' | head -1)
[ -n "$library" ] || fail "no libntkgram.so"
libdir=$(dirname "$library")
[ -z "$(find "$prefix" -name '*.a')" ] || fail "a static archive was installed: $(find "$prefix" -name '*.a')"
exported=$(nm -D --defined-only "$library" | awk '{print $3}' | grep -v '^ntk_' | sort | tr '\n' ' ')
[ "$exported" = "Cblacs_abort blacs_abort_ pxerbla_ xerbla_ " ] \
    || fail "libntkgram.so exports more than ntk_ and the error handlers: $exported"
pc="$libdir/pkgconfig/ntkgram.pc"
[ -f "$pc" ] || fail "no ntkgram.pc"
[ -f "$libdir/cmake/ntkgram/ntkgramConfig.cmake" ] || fail "no ntkgramConfig.cmake"
[ -f "$libdir/cmake/ntkgram/ntkgramConfigVersion.cmake" ] || fail "no ntkgramConfigVersion.cmake"
grep -q '^Requires.private:.*scalapack' "$pc" || fail "ScaLAPACK not in Requires.private: $(cat "$pc")"
grep -q '^Requires.private:.*yaml-0.1' "$pc" || fail "libyaml not in Requires.private: $(cat "$pc")"
grep -Eq '^Libs.private:.*-l(openblas|blas|blis|mkl_rt)' "$pc" || fail "no BLAS in Libs.private: $(cat "$pc")"
grep -q '^Libs: -L${libdir} -lntkgram$' "$pc" || fail "Libs: $(cat "$pc")"
# No path of this machine: every value starts from ${pcfiledir}.
if grep -E '(^|[ =:])/' "$pc" | grep -v '^#'; then fail "absolute path in ntkgram.pc"; fi
pass "installed: bin/ntkgram, $(basename "$(readlink -f "$library")"), public headers, config, pc"

# The reference: the installed program on the example job, 2 ranks.
job="$prefix/share/ntkgram/examples/mlp.yaml"
cd "$dir"
"$NTK_MPIEXEC" --oversubscribe -n 2 "$prefix/bin/ntkgram" run "$job" --quiet \
    --set output.dir="$dir/cli" --set output.theta=true || fail "ntkgram run"
[ -f "$dir/cli/theta.npy" ] || fail "no theta.npy"

check_output() { # check_output NAME FILE: the example's checksums against theta.npy
    py - "$dir/cli/theta.npy" "$dir/cli/eigenvalues.npy" "$2" "$1" <<'PY' || fail "$1: checksums differ"
import sys, numpy as np
theta = np.load(sys.argv[1]); values = np.load(sys.argv[2])
lines = {l.split()[0]: l.split() for l in open(sys.argv[3]) if l.strip()}
t, e = lines["theta"], lines["eigenvalues"]
m = int(t[1]); assert m == theta.shape[0] == theta.shape[1], (m, theta.shape)
got = dict(sum=float(t[3]), sumsq=float(t[5]), trace=float(t[7]))
want = dict(sum=theta.sum(), sumsq=(theta * theta).sum(), trace=np.trace(theta))
for key in got:
    assert abs(got[key] - want[key]) <= 1e-12 * abs(want[key]), (key, got[key], want[key])
assert int(e[1]) == len(values), (e[1], len(values))
assert abs(float(e[3]) - values.max()) <= 1e-10 * abs(values.max()), (e[3], values.max())
assert abs(float(e[5]) - values.min()) <= 1e-10 * abs(values.max()), (e[5], values.min())
print(sys.argv[4], "matches theta.npy and eigenvalues.npy: M =", m)
PY
}

# find_package(ntkgram REQUIRED) + target_link_libraries(app ntkgram::ntkgram)
"$cmake_command" -S "$prefix/share/ntkgram/examples" -B "$dir/with-cmake" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$compiler" \
    -DCMAKE_C_FLAGS="$extra_flags" > "$dir/cmake.log" 2>&1 \
    || fail "configuring the example: $(cat "$dir/cmake.log")"
"$cmake_command" --build "$dir/with-cmake" > "$dir/build.log" 2>&1 \
    || fail "building the example: $(cat "$dir/build.log")"
"$NTK_MPIEXEC" --oversubscribe -n 2 "$dir/with-cmake/theta_checksum" "$job" > "$dir/cmake.out" \
    || fail "the CMake-built example failed: $(cat "$dir/cmake.out")"
check_output "find_package build" "$dir/cmake.out"

# pkg-config --cflags --libs ntkgram, from a moved copy of the prefix.
moved="$dir/moved-prefix"
cp -a "$prefix" "$moved"
moved_libdir="$moved/${libdir#"$prefix"/}"
export PKG_CONFIG_PATH="$moved_libdir/pkgconfig"
[ "$(pkg-config --variable=includedir ntkgram)" -ef "$moved/include" ] \
    || fail "ntkgram.pc does not follow the moved prefix: $(pkg-config --variable=includedir ntkgram)"
# shellcheck disable=SC2046,SC2086
"$compiler" $extra_flags -o "$dir/with-pkg-config" "$moved/share/ntkgram/examples/theta_checksum.c" \
    $(pkg-config --cflags --libs ntkgram) -Wl,-rpath,"$moved_libdir" \
    || fail "building the example with pkg-config"
"$NTK_MPIEXEC" --oversubscribe -n 2 "$dir/with-pkg-config" "$job" > "$dir/pc.out" \
    || fail "the pkg-config-built example failed: $(cat "$dir/pc.out")"
check_output "pkg-config build" "$dir/pc.out"
ldd "$dir/with-pkg-config" | grep -q "$moved_libdir/libntkgram.so" \
    || fail "the pkg-config build did not load the moved libntkgram.so: $(ldd "$dir/with-pkg-config")"

# Failures: the command line's exit code and message, on every rank, no hang.
expect_library_error() { # CODE REGEX ARGS...
    local code=$1 regex=$2; shift 2
    local out rc
    out=$(timeout 120 "$NTK_MPIEXEC" --oversubscribe -n 2 "$dir/with-cmake/theta_checksum" "$@" 2>&1); rc=$?
    [ $rc -eq 124 ] && fail "hang: $*"
    [ $rc -eq "$code" ] || fail "exit $rc, expected $code: $* -- $out"
    printf '%s\n' "$out" | grep -Eq -- "$regex" || fail "no /$regex/ in: $out"
}
sed 's/^  w_std: .*/  w_std: -1/' "$job" > "$dir/bad.yaml"
expect_library_error 3 'bad.yaml:[0-9]+:[0-9]+: model.w_std: must be a number > 0' "$dir/bad.yaml"
expect_library_error 3 'set model.w_std: must be a number > 0' "$job" model.w_std=-1
expect_library_error 3 'no_such_job.yaml' "$dir/no_such_job.yaml"
expect_library_error 7 'grid' "$job" grid.shape=[1,3]
pass "the installed library from find_package and from pkg-config, and its failures"
