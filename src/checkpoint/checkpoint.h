/* Checkpoint and restart of Theta assembly.
 *
 * The assembly hooks (kernel.h) call checkpoint_after_step after every step,
 * collectively. It writes a checkpoint when checkpoint.every has passed or a
 * SIGUSR1/SIGTERM arrived (ranks agree on the signal there, at a safe point),
 * and after a signal stops the run with NTK_ERR_INTERRUPTED. A checkpoint is
 * one file written collectively with MPI-IO: a header with the job hash, grid,
 * block, M and steps done, then every rank's local Theta, with a checksum per
 * rank; it is written under a temporary name and renamed. On restart,
 * checkpoint_resume loads it into theta and sets the first step; a checkpoint
 * of another job or grid is refused with a clear message, a truncated or
 * corrupt one is detected and not trusted. */
#ifndef NTK_CHECKPOINT_CHECKPOINT_H
#define NTK_CHECKPOINT_CHECKPOINT_H

#include "core/signals.h"
#include "core/progress.h"
#include "checkpoint/checkpoint_config.h"
#include "data/data_config.h"
#include "grid/grid.h"
#include "kernel/kernel.h"

typedef struct {
    uint64_t job_hash;        /* the run's job_hash: a checkpoint of another job is refused */
    const ntk_grid *grid;
    char dir[NTK_PATH_MAX];   /* checkpoint.dir, or <output.dir>/checkpoint */
    char path[NTK_PATH_MAX];  /* checkpoint file */
    double every_seconds;
    double last_write;
    int64_t steps_total;
    ntk_progress progress;
    int written;              /* checkpoints written in this run */
    double assembly_start;    /* when assembly began (progress rates count from it) */
    int64_t first_step;       /* steps restored by checkpoint_resume (0: fresh start) */
    int64_t saved_steps_total; /* steps the restored checkpoint was written for, 0: none */
    int progress_started;
    /* kernel_assemble's lower_only for this run: recorded in the file, since a
     * lower-triangle checkpoint cannot serve a run that assembles the whole
     * Theta. checkpoint_init sets 1 (the pipeline assembles the lower
     * triangle); a caller that decides otherwise sets it before
     * checkpoint_resume. */
    int lower_only;
    ntk_signal_test signal_test; /* NTK_TEST_SIGNAL_AT_STEP (signals.h) */
    /* What is assembled: "assemble theta" / "Theta" / NULL for Theta, the
     * progress label, the name in messages and the phase messages name
     * ("during the cross kernel assembly (after step 2 of 8)"; NULL: Theta's
     * messages, "after step 2 of 8"). */
    const char *label;
    const char *matrix_name;
    const char *phase;
    uint64_t extra_hash; /* mixed into the job hash (the cross kernel: its test inputs) */
    /* A piece of a job array (checkpoint_set_piece): this run computes the
     * steps s with s mod piece_count == piece_index and keeps them in its own
     * file, <dir>/theta.piece-I-of-K.ckpt (nngp.piece-I-of-K.ckpt for the
     * analytic NNGP kernel). 0: a whole run. */
    int piece_index, piece_count;
    const char *piece_prefix;  /* piece files are <prefix>.piece-I-of-K.ckpt */
    /* A whole run that may also resume from the pieces' files found in the
     * checkpoint folder (kernel.kind analytic, whose steps are independent;
     * the pipeline sets it). */
    int combine_pieces;
    unsigned char *skip_step;  /* hooks->skip_step when pieces are involved, else NULL */
    int64_t steps_restored;    /* steps read from checkpoint files by checkpoint_resume */
    int n_pieces_read;         /* the piece files read (removed by checkpoint_finish) */
    int *pieces_read;          /* their (index, count) pairs */
} ntk_checkpoint;

/* Install the signal handlers (if main has not) and prepare the context: the path
 * is <checkpoint.dir>/theta.ckpt, checkpoint.dir defaulting to
 * <output_dir>/checkpoint; `job_hash` (job_hash of the run) goes into the
 * file and must match on resume. Rank-local; callers agree on the status. */
ntk_status checkpoint_init(const ntk_checkpoint_spec *spec, const char *output_dir,
                           uint64_t job_hash, const ntk_grid *grid, ntk_checkpoint *checkpoint);

/* The same for the cross kernel Theta(test, train) of the held-out stage
 * (src/predict): <checkpoint.dir>/test_theta.ckpt, the whole matrix (no
 * triangle), a job hash that also covers data.test_inputs; its messages
 * name "the cross kernel assembly", and each step is a
 * NTK_TEST_PAUSE_AT point ("during the cross kernel assembly (after step 1
 * of 4)"). NTK_TEST_SIGNAL_AT_STEP applies to Theta's assembly only.
 * Rank-local; callers agree on the status. */
ntk_status checkpoint_init_cross(const ntk_checkpoint_spec *spec, const char *output_dir,
                                 uint64_t job_hash, const ntk_data_source *test_inputs,
                                 const ntk_grid *grid, ntk_checkpoint *checkpoint);

/* Make this run piece `index` of `count` of Theta's assembly (ntkgram run
 * --piece I/K): its checkpoint is <dir>/theta.piece-I-of-K.ckpt. Call
 * before checkpoint_resume. Rank-local; the same on every rank. */
ntk_status checkpoint_set_piece(ntk_checkpoint *checkpoint, int index, int count);

/* The analytic NNGP kernel's pieces (kernel.nngp: true), which a piece run
 * fills from the same pair evaluations as Theta's: <dir>/nngp.piece-I-of-K.ckpt,
 * written only by checkpoint_save_piece (no periodic or whole-run file),
 * read by checkpoint_resume with combine_pieces like Theta's. A job hash
 * that differs from Theta's files. Rank-local; callers agree on the
 * status. */
ntk_status checkpoint_init_nngp(const ntk_checkpoint_spec *spec, const char *output_dir,
                                uint64_t job_hash, const ntk_grid *grid,
                                ntk_checkpoint *checkpoint);

/* Whether checkpoint_resume of a whole run put step `step`'s tiles in the
 * matrix (from its checkpoint or a piece). Rank-local. */
int checkpoint_step_restored(const ntk_checkpoint *checkpoint, int64_t step);

/* If a checkpoint exists for this job: verify it, load it into theta, and set
 * hooks->first_step. No checkpoint: first_step = 0. A piece run resumes
 * from its own piece file and sets hooks->skip_step to every step that is
 * not its own or is already done; a whole run with combine_pieces also
 * reads every piece file in the folder (theta.piece-*-of-*.ckpt, of any
 * count) and skips the steps they hold: the pieces of a job array combine
 * into the whole Theta, and whatever no piece holds is computed. A piece
 * file of another job, grid or M is refused as a whole-run checkpoint is.
 * Collective. */
ntk_status checkpoint_resume(ntk_checkpoint *checkpoint, ntk_dmatrix *theta,
                             ntk_assembly_hooks *hooks);

/* The after_step hook (context = ntk_checkpoint *). Collective. */
ntk_status checkpoint_after_step(void *context, ntk_dmatrix *theta, int64_t steps_done,
                                 int64_t steps_total);

/* A stop point after the assembly, while Theta is still whole (before the
 * eigensolve overwrites it). Collective. When any rank has received a stop
 * signal, Theta is saved as a complete checkpoint (so the rerun skips the
 * assembly) and every rank returns NTK_ERR_INTERRUPTED:
 *   "interrupted by signal SIGUSR1 <where>; checkpoint of the assembled Theta
 *    written to <path>; run the same command again to resume" */
ntk_status checkpoint_stop_with_theta(ntk_checkpoint *checkpoint, const ntk_dmatrix *theta,
                                      const char *where);

/* The end of a piece run: save its steps (all done) to its piece file.
 * Collective. */
ntk_status checkpoint_save_piece(ntk_checkpoint *checkpoint, const ntk_dmatrix *theta);

/* Remove the checkpoint, the piece files it resumed from (and its folder
 * when that is left empty) after the outputs it protects are written.
 * Collective. A context that was never initialised (no grid) is left
 * alone. */
ntk_status checkpoint_finish(ntk_checkpoint *checkpoint);

/* Free what checkpoint_resume allocated (any path). Rank-local. */
void checkpoint_free(ntk_checkpoint *checkpoint);

#endif
