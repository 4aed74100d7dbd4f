/* The pieces of a job array (ntkgram run --piece I/K): which steps a piece
 * computes, and a whole run that combines the pieces' checkpoint files
 * (checkpoint.h; docs/cluster.md, "One run's Theta split over a job array").
 *
 * Piece I of K computes the assembly steps s with s mod K == I: steps are
 * local column blocks, whose cost falls along the matrix (the lower
 * triangle narrows), so interleaving them balances the pieces. A step's
 * tiles depend only on the job and the grid, so the combined Theta is the
 * one of a single run, bit for bit. Private to src/checkpoint. */
#ifndef NTK_CHECKPOINT_CHECKPOINT_PIECES_H
#define NTK_CHECKPOINT_CHECKPOINT_PIECES_H

#include "checkpoint/checkpoint.h"

/* After the run's own checkpoint (if any) is in theta: a piece run skips
 * every step not its own; a combining run reads the piece files of the
 * folder and skips the steps they hold. Sets hooks->skip_step (owned by
 * the checkpoint). Collective. */
ntk_status checkpoint_pieces_resume(ntk_checkpoint *checkpoint, ntk_dmatrix *theta,
                                    ntk_assembly_hooks *hooks);

/* Rank 0 only: remove the piece files the run read. */
void checkpoint_pieces_remove(const ntk_checkpoint *checkpoint);

#endif
