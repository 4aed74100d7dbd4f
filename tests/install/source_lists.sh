#!/usr/bin/env bash
# source_lists.sh CMAKE: the explicit source lists (src/<module>/sources.cmake)
# hold every .c under src/, and a .c file that no list holds stops the
# configure step with its name and the list to add it to.
. "$NTK_TESTS_DIR/lib.sh"
cmake_command=$1
dir=$(scratch source_lists)
for part in CMakeLists.txt cmake src include bench; do
    cp -a "$NTK_SOURCE_DIR/$part" "$dir/"
done
"$cmake_command" -S "$dir" -B "$dir/build" -DBUILD_TESTING=OFF > "$dir/listed.log" 2>&1 \
    || fail "the tree as it is does not configure: $(cat "$dir/listed.log")"
pass "every .c under src/ is in a list"

printf 'int ntk_unlisted_example(void) { return 1; }\n' > "$dir/src/model/layers/unlisted.c"
if "$cmake_command" -S "$dir" -B "$dir/build" > "$dir/unlisted.log" 2>&1; then
    fail "a .c file in no list was accepted"
fi
grep -q 'src/model/layers/unlisted.c (add it to src/model/sources.cmake)' "$dir/unlisted.log" \
    || fail "the error does not name the file and its list: $(cat "$dir/unlisted.log")"
pass "an unlisted file stops the configure step, naming src/model/sources.cmake"
