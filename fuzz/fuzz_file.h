/* The readers under test take a path, so each harness writes the fuzz input
 * to one in-memory file (memfd) and hands the reader its /proc/self/fd path:
 * the real reader code runs, with no disk I/O per input. */
#ifndef NTK_FUZZ_FUZZ_FILE_H
#define NTK_FUZZ_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Replace the file's contents with `data` and return its path (valid for the
 * life of the process). Aborts on a system error: that is not a finding. */
const char *fuzz_file_write(const uint8_t *data, size_t size);

#endif
