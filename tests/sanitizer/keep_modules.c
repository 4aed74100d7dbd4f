/* Preloaded into every process of the sanitizer lane (tests/CMakeLists.txt):
 * dlclose() that keeps the library mapped.
 *
 * Open MPI loads its components (mca_*.so, PMIx's plugins) with dlopen and
 * closes them in MPI_Finalize, before LeakSanitizer runs at exit. The state
 * they keep for the life of the process is then reported as leaks from an
 * "<unknown module>", which no suppression can name. The slow unwinder hid
 * this by walking on into libmpi's frames, but it costs seconds of CPU per
 * process start. With the modules left mapped, ASan's fast unwinder names
 * them, tests/sanitizer/lsan.supp matches them, and leaks in ntkgram's own
 * code (built with frame pointers) are still reported with their frames.
 * Built without sanitizers: it is also preloaded into mpirun and python. */
int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
