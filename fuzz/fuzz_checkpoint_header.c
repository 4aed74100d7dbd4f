/* Fuzz target: reading a checkpoint (src/checkpoint/checkpoint_file.c): the
 * header and table checks, then the block read and its checksum, on a 1x1
 * grid in a singleton MPI process (no mpirun).
 *
 * Input layout: one control byte, then the file. Control bit 0 makes the
 * harness store the correct header checksum (FNV-1a 64 of the header with its
 * checksum field zeroed, and the table), so mutated header fields reach the
 * checks behind the checksum; without it the checksum check itself is
 * fuzzed. Bit 1 makes the run expect a lower-triangle-only checkpoint. The
 * expected run: job hash EXPECTED_HASH, grid 1x1, block 4, Theta 6x6 (the
 * seed corpus was written by checkpoint_file_write for exactly this). */
#include <mpi.h>
#include <sanitizer/lsan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/checkpoint_file.h"
#include "fuzz_file.h"

#define EXPECTED_HASH UINT64_C(0x6e746b66757a7a31)
enum { BLOCK = 4, M = 6, HEADER_BYTES = 128, TABLE_ENTRY_BYTES = 32, AT_PROCESSES = 12,
       AT_HEADER_CHECKSUM = 80, MAX_FILE = 1 << 20 };

static ntk_grid grid;
static ntk_dmatrix theta;
static unsigned char file_bytes[MAX_FILE];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int provided = 0;
    /* Open MPI and BLACS keep what they allocate here for the life of the
     * process, through frames LSan cannot unwind: not a finding. */
    __lsan_disable();
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS ||
        grid_create(MPI_COMM_WORLD, BLOCK, 1, 1, &grid) != NTK_OK ||
        dmatrix_create(&grid, M, M, &theta) != NTK_OK)
        abort();
    __lsan_enable();
    return 0;
}

static uint32_t get_u32(const unsigned char *at)
{
    return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

/* The file's own layout (checkpoint_file.h): header, then one table entry
 * per process counted in the header. */
static void store_header_checksum(unsigned char *bytes, size_t size)
{
    if (size < HEADER_BYTES)
        return;
    uint64_t processes = get_u32(bytes + AT_PROCESSES);
    if (processes > (size - HEADER_BYTES) / TABLE_ENTRY_BYTES)
        return;
    memset(bytes + AT_HEADER_CHECKSUM, 0, 8);
    uint64_t hash = checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, bytes, HEADER_BYTES);
    hash = checkpoint_fnv1a(hash, bytes + HEADER_BYTES, (size_t)processes * TABLE_ENTRY_BYTES);
    for (int i = 0; i < 8; ++i)
        bytes[AT_HEADER_CHECKSUM + i] = (unsigned char)(hash >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAX_FILE)
        return 0;
    unsigned control = data[0];
    size_t file_size = size - 1;
    memcpy(file_bytes, data + 1, file_size);
    if (control & 1u)
        store_header_checksum(file_bytes, file_size);
    const char *path = fuzz_file_write(file_bytes, file_size);

    ntk_checkpoint_header expected = {.job_hash = EXPECTED_HASH, .grid_rows = 1, .grid_cols = 1,
                                      .block = BLOCK, .lower_only = (control & 2u) != 0,
                                      .m_rows = M, .m_cols = M};
    ntk_checkpoint_header found;
    (void)checkpoint_file_read(path, &grid, &expected, &theta, &found);
    ntk_error_clear();
    return 0;
}
