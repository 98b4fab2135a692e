# mpi.sh — sourced by the MPI tests (tests/dist/test_mpi_*.sh) after common.sh: skips (77)
# when OpenMPI's launcher is missing, and defines MPIRUN, the launcher as CI runs it: root in
# containers, more ranks than the 2 cores allowed, one OpenMP thread per rank, and a job that
# hangs in a collective killed after 600 s (the longest, the demo under the sanitizers, takes
# ~4 min) rather than at ctest's limit. Under the sanitizer build, OpenMPI's own one-time
# allocations are suppressed for LeakSanitizer (lsan_mpi.supp), nothing else: their stacks
# start in MCA plugins that MPI_Finalize has unloaded, so only the slow unwinder
# (fast_unwind_on_malloc=0) reaches the libmpi/libopen-rte frames the suppressions name.
command -v mpirun > /dev/null || { echo "SKIP: mpirun not found (scripts/setup.sh installs openmpi-bin)"; exit 77; }
MPIRUN="timeout 600 mpirun --allow-run-as-root --oversubscribe"
export OMP_NUM_THREADS=1
# Containers (CI) often forbid the cross-process reads (CMA, ptrace scope) OpenMPI's shared-memory
# transport uses for large messages; copying through the shared segment works everywhere.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
if [ -n "${W2S_SANITIZED:-}" ]; then
  export LSAN_OPTIONS="suppressions=$W2S_SOURCE_DIR/tests/support/lsan_mpi.supp:print_suppressions=1${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
fi
