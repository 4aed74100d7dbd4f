/* One memfd per process, rewritten for every input (see fuzz_file.h). */
#define _GNU_SOURCE
#include "fuzz_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int memory_fd = -1;
static char memory_path[64];

const char *fuzz_file_write(const uint8_t *data, size_t size)
{
    if (memory_fd < 0) {
        memory_fd = memfd_create("ntk-fuzz-input", 0);
        if (memory_fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(memory_path, sizeof memory_path, "/proc/self/fd/%d", memory_fd);
    }
    if (ftruncate(memory_fd, 0) != 0) {
        perror("ftruncate");
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = pwrite(memory_fd, data + done, size - done, (off_t)done);
        if (wrote <= 0) {
            perror("pwrite");
            abort();
        }
        done += (size_t)wrote;
    }
    return memory_path;
}
