# With the lane's settings (fast unwinder, Open MPI's components kept mapped,
# tests/sanitizer/lsan.supp), a block our code loses is reported naming our
# function, and a program that frees everything runs clean on 2 ranks: the
# suppressions hide the MPI stack's state and nothing of ours.
. "$NTK_TESTS_DIR/lib.sh"
probe=$1
log=$(scratch sanitizer_reports_leaks)/log
"$NTK_MPIEXEC" -n 2 "$probe" clean >"$log" 2>&1 ||
    { cat "$log"; fail "a program that frees everything failed the lane's leak check"; }
grep -q "LeakSanitizer\|AddressSanitizer" "$log" && { cat "$log"; fail "a clean run printed a sanitizer report"; }
if "$NTK_MPIEXEC" -n 2 "$probe" leak >"$log" 2>&1; then
    cat "$log"
    fail "a lost block passed the lane's leak check"
fi
grep -q "ERROR: LeakSanitizer: detected memory leaks" "$log" || { cat "$log"; fail "no leak report"; }
grep -q "4096 byte(s) in 1 object(s)" "$log" || { cat "$log"; fail "the report does not show the lost block"; }
grep -q "in leak_probe_allocate" "$log" || { cat "$log"; fail "the report does not name the function that allocated it"; }
pass "the lane reports a block our code loses, with its frame, and nothing of the MPI stack"
