# docs/keys.md is what `ntkgram help keys --format markdown` prints from the
# modules' key tables: a key added to a table without regenerating the file
# (or the file edited by hand) fails here. Regenerate with
#   build/ntkgram help keys --format markdown > docs/keys.md
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch keys-doc)
ntk serial help keys --format markdown >"$dir/keys.md" 2>"$dir/err" || { cat "$dir/err"; fail "help keys"; }
diff -u "$NTK_SOURCE_DIR/docs/keys.md" "$dir/keys.md" ||
    fail "docs/keys.md differs from 'ntkgram help keys --format markdown' (regenerate it)"
ntk serial help keys >"$dir/keys.txt" || fail "help keys"
grep -q '^  model.w_std  *number > 0; default 1.0$' "$dir/keys.txt" || fail "help keys lacks model.w_std"
expect_error 2 "usage: ntkgram help keys" serial help keys --format html
pass "docs/keys.md matches the key tables"
