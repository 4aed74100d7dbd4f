# ntkgram names Open MPI's ob1 messaging layer before MPI_Init on one node
# (core/mpi_startup.h): Open MPI's own report (pml_base_verbose, which is not
# a choice of layer) shows ob1 selected without the cm layer ever loaded, and
# summary.yaml says so; a layer or MTL the user chose is left alone; Theta is
# the same bits either way.
. "$NTK_TESTS_DIR/lib.sh"
# The suite names ob1 and its transports for every test (tests/CMakeLists.txt);
# here the environment must be a user's.
unset OMPI_MCA_pml OMPI_MCA_btl
dir=$(scratch mpi-startup)
cd "$dir"
job="$NTK_SOURCE_DIR/tests/e2e/small.yaml"
pml_of() { awk '$1 == "mpi_pml:" { print $2 }' "$1/summary.yaml"; }

log=$(OMPI_MCA_pml_base_verbose=10 ntk 2 run "$job" --out chosen --set output.theta=true 2>&1) ||
    fail "run: $log"
[ "$(pml_of chosen)" = ob1 ] || fail "mpi_pml on one node: '$(pml_of chosen)'"
grep -q "component ob1 selected" <<<"$log" || fail "Open MPI did not report ob1 selected: $log"
! grep -q "found loaded component cm" <<<"$log" || fail "the cm layer was loaded: $log"

log=$(OMPI_MCA_pml_base_verbose=10 OMPI_MCA_mtl='^psm' ntk 2 run "$job" --out user \
    --set output.theta=true 2>&1) || fail "run with the user's MTL choice: $log"
[ "$(pml_of user)" = null ] || fail "mpi_pml with OMPI_MCA_mtl set: '$(pml_of user)'"
grep -q "found loaded component cm" <<<"$log" ||
    fail "with the user's MTL choice Open MPI did not open its layers as usual: $log"
cmp chosen/theta.npy user/theta.npy || fail "Theta differs between the two layers' runs"

OMPI_MCA_pml=ob1 ntk 2 run "$job" --out forced --quiet || fail "run with OMPI_MCA_pml=ob1"
[ "$(pml_of forced)" = null ] || fail "mpi_pml with OMPI_MCA_pml set: '$(pml_of forced)'"

ntk serial run "$job" --out single --quiet || fail "single-process run"
[ "$(pml_of single)" = ob1 ] || fail "mpi_pml of a single process: '$(pml_of single)'"
echo "ok"
