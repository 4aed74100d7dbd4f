/* The checkpoint file: one file written and read collectively with MPI-IO.
 *
 * Layout (integers little-endian; Theta values as the machine's doubles):
 *   bytes 0..127   header: magic "NTKCKPT1", format version, number of grid
 *                  processes, job hash, grid rows/cols, block, flags
 *                  (lower triangle only), M rows/cols, steps done/total,
 *                  data bytes, a checksum (FNV-1a 64) of the header
 *                  and the table, and the piece (index, count; count 0 in
 *                  the checkpoint of a whole run and in files written
 *                  before pieces existed, whose bytes there are zero)
 *   then           table: per grid process in grid-rank order
 *                  (myrow * cols + mycol): data offset, local rows, local
 *                  cols, FNV-1a 64 checksum of its data bytes
 *   then           each process's local Theta (column-major, as in memory),
 *                  at its offset, starting at a multiple of 64 bytes.
 * Written to PATH.partial, synced, closed and renamed over PATH, so a crash
 * mid-write leaves the previous checkpoint intact. */
#ifndef NTK_CHECKPOINT_CHECKPOINT_FILE_H
#define NTK_CHECKPOINT_CHECKPOINT_FILE_H

#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"

enum { CHECKPOINT_FORMAT_VERSION = 1 };

typedef struct {
    uint64_t job_hash;
    int grid_rows, grid_cols, block;
    int lower_only; /* only blocks touching the lower triangle are assembled */
    int64_t m_rows, m_cols;
    int64_t steps_done, steps_total;
    /* A piece of a job array (ntkgram run --piece I/K): the file holds the
     * steps s < steps_done with s mod piece_count == piece_index. A whole
     * run's file has piece_count 0 and holds every step s < steps_done. */
    int piece_index, piece_count;
} ntk_checkpoint_header;

/* FNV-1a 64 of `size` bytes, continuing from `hash` (start with
 * CHECKPOINT_FNV_OFFSET). */
#define CHECKPOINT_FNV_OFFSET UINT64_C(14695981039346656037)
uint64_t checkpoint_fnv1a(uint64_t hash, const void *bytes, size_t size);

/* Write `theta` with `header` to `path` (via path.partial). Returns the file
 * size in *file_bytes. Collective over grid->comm; the status is agreed. */
ntk_status checkpoint_file_write(const char *path, const ntk_grid *grid,
                                 const ntk_checkpoint_header *header,
                                 const ntk_dmatrix *theta, int64_t *file_bytes);

/* Read `path` into `theta` after checking it against `expected` (job hash,
 * grid, block and M; the steps and the piece are not compared; a lower-triangle-only
 * checkpoint is refused when the whole matrix is expected) and every checksum. The
 * saved steps come back in *found. Errors: NTK_ERR_JOB for a checkpoint of
 * another job or grid, NTK_ERR_IO for an unreadable, truncated or corrupt
 * file. Collective over grid->comm; the status is agreed. */
ntk_status checkpoint_file_read(const char *path, const ntk_grid *grid,
                                const ntk_checkpoint_header *expected, ntk_dmatrix *theta,
                                ntk_checkpoint_header *found);

/* Whether a file with `header` holds step `step` (local column block
 * `step` of every process): s < steps_done, and s mod piece_count ==
 * piece_index for a piece. */
int checkpoint_file_holds_step(const ntk_checkpoint_header *header, int64_t step);

/* Like checkpoint_file_read, but only the steps the file holds and
 * `present` (one flag per step of the `steps` of this assembly) lacks are
 * copied into theta, which is otherwise left as it is; `present` gains
 * them and *taken counts them. The file is read through a buffer of at
 * most 8 MiB per rank (not a second Theta), and every checksum is checked.
 * A file of another step count is refused (NTK_ERR_JOB). Collective; the
 * status is agreed. */
ntk_status checkpoint_file_read_steps(const char *path, const ntk_grid *grid,
                                      const ntk_checkpoint_header *expected, int64_t steps,
                                      unsigned char *present, ntk_dmatrix *theta,
                                      ntk_checkpoint_header *found, int64_t *taken);

#endif
