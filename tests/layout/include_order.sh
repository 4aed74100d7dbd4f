# The module order of docs/design.md holds in src/ (scripts/check-includes), and the
# checker itself fails on a tree that breaks it: a reverse include, and a cycle in the
# table.
set -euo pipefail
source "$NTK_TESTS_DIR/lib.sh"
checker="$NTK_SOURCE_DIR/scripts/check-includes"
"$NTK_PYTHON" "$checker" "$NTK_SOURCE_DIR" || fail "src/ breaks the module order of docs/design.md (above)"

dir=$(scratch include_order)
mkdir -p "$dir/docs" "$dir/src/core" "$dir/src/model"
cat > "$dir/docs/design.md" <<'TABLE'
| folder | owns | may include |
|---|---|---|
| `src/core/` | basics | nothing of ours |
| `src/model/` | the model | core |
TABLE
printf '#include "core/status.h"\n' > "$dir/src/model/model.c"
printf '#include <stdio.h>\n' > "$dir/src/core/status.h"
"$NTK_PYTHON" "$checker" "$dir" > "$dir/ok.log" || fail "a tree that keeps the order was refused: $(cat "$dir/ok.log")"

printf '#include "model/model.h"\n' > "$dir/src/core/status.h"
if "$NTK_PYTHON" "$checker" "$dir" > "$dir/bad.log"; then fail "core including model was accepted"; fi
grep -q 'src/core/status.h:1: src/core/ includes "model/model.h"' "$dir/bad.log" \
    || fail "the reverse include was not named: $(cat "$dir/bad.log")"

printf '#include <stdio.h>\n' > "$dir/src/core/status.h"
sed -i 's/| basics | nothing of ours |/| basics | model |/' "$dir/docs/design.md"
if "$NTK_PYTHON" "$checker" "$dir" > "$dir/cycle.log"; then fail "a cycle in the table was accepted"; fi
grep -q 'has a cycle' "$dir/cycle.log" || fail "the cycle was not named: $(cat "$dir/cycle.log")"
echo "include order: ok"
