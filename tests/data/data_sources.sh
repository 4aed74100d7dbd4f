#!/usr/bin/env bash
# Data sources: numpy-written .npy/.csv files and synthetic data.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch data_sources)
py "$NTK_TESTS_DIR/data/data_check.py" "$PWD/data_tool" "$dir" || fail "data_check.py"
rm -rf "$dir"
pass "data sources"
