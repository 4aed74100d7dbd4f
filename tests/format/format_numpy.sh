#!/usr/bin/env bash
# .npy and safetensors files exchanged with numpy in both directions.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch format_numpy)
py "$NTK_TESTS_DIR/format/format_check.py" "$PWD/format_tool" "$dir" || fail "format_check.py"
rm -rf "$dir"
pass "format numpy interchange"
