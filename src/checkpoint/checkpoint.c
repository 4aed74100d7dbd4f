/* Checkpoint and restart of Theta assembly: when to write, resuming, and
 * cleaning up (see checkpoint.h; the file layout is in checkpoint_file.h). */
#include "checkpoint/checkpoint.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint/checkpoint_file.h"
#include "checkpoint/checkpoint_pieces.h"
#include "core/log.h"

static const char checkpoint_file_name[] = "theta.ckpt";
static const char cross_checkpoint_file_name[] = "test_theta.ckpt";
static const char nngp_checkpoint_file_name[] = "nngp.ckpt";

static ntk_status checkpoint_dir(const ntk_checkpoint_spec *spec, const char *output_dir,
                                 char *out)
{
    int length = spec->dir[0] != '\0' ? snprintf(out, NTK_PATH_MAX, "%s", spec->dir)
                                      : snprintf(out, NTK_PATH_MAX, "%s/checkpoint", output_dir);
    if (length >= NTK_PATH_MAX)
        return NTK_RAISE(NTK_ERR_JOB, "checkpoint.dir: the path is too long (%d characters)",
                         length);
    return NTK_OK;
}

static ntk_status init_named(const ntk_checkpoint_spec *spec, const char *output_dir,
                             uint64_t job_hash, const ntk_grid *grid, const char *file_name,
                             ntk_checkpoint *checkpoint)
{
    memset(checkpoint, 0, sizeof *checkpoint);
    checkpoint->label = "assemble theta";
    checkpoint->matrix_name = "Theta";
    checkpoint->job_hash = job_hash;
    checkpoint->grid = grid;
    checkpoint->every_seconds = spec->every_seconds;
    checkpoint->last_write = MPI_Wtime();
    checkpoint->signal_test.step = -1;
    /* The pipeline assembles the lower triangle only, whatever the job (it
     * mirrors it afterwards when Theta is written whole). */
    checkpoint->lower_only = 1;
    checkpoint->piece_prefix = "theta";

    NTK_TRY(checkpoint_dir(spec, output_dir, checkpoint->dir));
    if (snprintf(checkpoint->path, sizeof checkpoint->path, "%s/%s", checkpoint->dir, file_name) >=
        (int)sizeof checkpoint->path)
        return NTK_RAISE(NTK_ERR_JOB, "checkpoint.dir: the path is too long");
    NTK_TRY(checkpoint_signal_test_from_env(&checkpoint->signal_test));
    NTK_TRY(checkpoint_signals_install());
    return NTK_OK;
}

ntk_status checkpoint_init(const ntk_checkpoint_spec *spec, const char *output_dir,
                           uint64_t job_hash, const ntk_grid *grid, ntk_checkpoint *checkpoint)
{
    return init_named(spec, output_dir, job_hash, grid, checkpoint_file_name, checkpoint);
}

ntk_status checkpoint_init_nngp(const ntk_checkpoint_spec *spec, const char *output_dir,
                                uint64_t job_hash, const ntk_grid *grid,
                                ntk_checkpoint *checkpoint)
{
    static const char tag[] = "analytic NNGP kernel";
    NTK_TRY(init_named(spec, output_dir, job_hash, grid, nngp_checkpoint_file_name, checkpoint));
    checkpoint->label = "assemble nngp";
    checkpoint->matrix_name = "NNGP kernel";
    checkpoint->piece_prefix = "nngp";
    /* A renamed Theta piece must not pass for an NNGP one. */
    checkpoint->extra_hash = checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, tag, sizeof tag - 1);
    return NTK_OK;
}

int checkpoint_step_restored(const ntk_checkpoint *checkpoint, int64_t step)
{
    return step < checkpoint->first_step ||
           (checkpoint->skip_step != NULL && checkpoint->skip_step[step]);
}

/* The held-out inputs in the cross checkpoint's hash, as job_hash takes the
 * training inputs: a file by its resolved path, size and modification time
 * (a rewritten file is another file), synthetic ones by their parameters. */
static uint64_t test_inputs_hash(const ntk_data_source *source)
{
    char text[NTK_PATH_MAX + 160];
    int length;
    if (source->kind == NTK_SOURCE_SYNTHETIC) {
        length = snprintf(text, sizeof text, "test synthetic %d %lld %lld %llu %d %lld %lld %lld",
                          (int)source->synthetic, (long long)source->n, (long long)source->dim,
                          (unsigned long long)source->seed, source->shape_rank,
                          (long long)source->shape[0], (long long)source->shape[1],
                          (long long)source->shape[2]);
    } else {
        char *real = realpath(source->path, NULL);
        struct stat info;
        if (real != NULL && stat(real, &info) == 0)
            length = snprintf(text, sizeof text, "test file %d %s %lld %lld.%09ld",
                              (int)source->kind, real, (long long)info.st_size,
                              (long long)info.st_mtim.tv_sec, (long)info.st_mtim.tv_nsec);
        else
            length = snprintf(text, sizeof text, "test file %d %s missing", (int)source->kind,
                              source->path);
        free(real);
    }
    if (length < 0)
        length = 0;
    if ((size_t)length >= sizeof text)
        length = (int)sizeof text - 1;
    return checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, text, (size_t)length);
}

ntk_status checkpoint_init_cross(const ntk_checkpoint_spec *spec, const char *output_dir,
                                 uint64_t job_hash, const ntk_data_source *test_inputs,
                                 const ntk_grid *grid, ntk_checkpoint *checkpoint)
{
    NTK_TRY(init_named(spec, output_dir, job_hash, grid, cross_checkpoint_file_name, checkpoint));
    checkpoint->label = "assemble cross kernel";
    checkpoint->matrix_name = "cross kernel";
    checkpoint->phase = "the cross kernel assembly";
    checkpoint->lower_only = 0; /* every entry of Theta(test, train) */
    checkpoint->signal_test.step = -1;
    checkpoint->extra_hash = test_inputs_hash(test_inputs);
    return NTK_OK;
}

/* What this run would write, for comparison with a saved checkpoint. */
static ntk_checkpoint_header this_run(const ntk_checkpoint *checkpoint, const ntk_dmatrix *theta,
                                      int64_t steps_done, int64_t steps_total)
{
    ntk_checkpoint_header header = {
        .job_hash = checkpoint->job_hash ^ checkpoint->extra_hash,
        .grid_rows = checkpoint->grid->rows,
        .grid_cols = checkpoint->grid->cols,
        .block = checkpoint->grid->block,
        .lower_only = checkpoint->lower_only,
        .m_rows = theta->rows,
        .m_cols = theta->cols,
        .steps_done = steps_done,
        .steps_total = steps_total,
        .piece_index = checkpoint->piece_index,
        .piece_count = checkpoint->piece_count,
    };
    return header;
}

ntk_status checkpoint_resume(ntk_checkpoint *checkpoint, ntk_dmatrix *theta,
                             ntk_assembly_hooks *hooks)
{
    const ntk_grid *grid = checkpoint->grid;
    hooks->first_step = 0;
    hooks->skip_step = NULL;
    /* Assembly starts right after this call; the progress rate counts from here,
     * so that feature computation and exchange are part of it. */
    checkpoint->assembly_start = MPI_Wtime();
    int exists = 0;
    if (grid->rank == 0)
        exists = access(checkpoint->path, F_OK) == 0;
    NTK_MPI(MPI_Bcast(&exists, 1, MPI_INT, 0, grid->comm));
    if (exists) {
        ntk_checkpoint_header expected = this_run(checkpoint, theta, 0, 0), found;
        NTK_TRY(checkpoint_file_read(checkpoint->path, grid, &expected, theta, &found));
        /* The file's name says which piece it is; its header must agree. */
        if (found.piece_count != checkpoint->piece_count ||
            found.piece_index != checkpoint->piece_index)
            return NTK_RAISE(NTK_ERR_IO,
                             "checkpoint %s holds piece %d of %d, not piece %d of %d as its name "
                             "says; remove it",
                             checkpoint->path, found.piece_index, found.piece_count,
                             checkpoint->piece_index, checkpoint->piece_count);
        hooks->first_step = found.steps_done;
        checkpoint->first_step = found.steps_done;
        checkpoint->saved_steps_total = found.steps_total;
        checkpoint->steps_total = found.steps_total;
        checkpoint->steps_restored = found.steps_done;
        ntk_log("resuming from checkpoint: step %lld of %lld (%s)", (long long)found.steps_done,
                (long long)found.steps_total, checkpoint->path);
    }
    if (checkpoint->piece_count > 0 || checkpoint->combine_pieces)
        NTK_TRY(checkpoint_pieces_resume(checkpoint, theta, hooks));
    return NTK_OK;
}

static ntk_status write_checkpoint(ntk_checkpoint *checkpoint, const ntk_dmatrix *theta,
                                   int64_t steps_done, int64_t steps_total)
{
    double start = MPI_Wtime();
    ntk_checkpoint_header header = this_run(checkpoint, theta, steps_done, steps_total);
    int64_t bytes = 0;
    NTK_TRY(checkpoint_file_write(checkpoint->path, checkpoint->grid, &header, theta, &bytes));
    checkpoint->written++;
    /* Measured from the end of the write, so a slow file system cannot make
     * the run do nothing but write checkpoints. */
    checkpoint->last_write = MPI_Wtime();
    ntk_log("checkpoint written: step %lld of %lld, %.1f MiB in %.2f s (%s)",
            (long long)steps_done, (long long)steps_total, (double)bytes / 1048576.0,
            checkpoint->last_write - start, checkpoint->path);
    return NTK_OK;
}

ntk_status checkpoint_after_step(void *context, ntk_dmatrix *theta, int64_t steps_done,
                                 int64_t steps_total)
{
    ntk_checkpoint *checkpoint = context;
    const ntk_grid *grid = checkpoint->grid;
    if (!checkpoint->progress_started) {
        /* The same on every rank, so raising here leaves no rank in a collective. */
        if (checkpoint->saved_steps_total != 0 && checkpoint->saved_steps_total != steps_total)
            return NTK_RAISE(NTK_ERR_JOB,
                             "checkpoint %s was written for an assembly of %lld steps; this run has %lld; remove it",
                             checkpoint->path, (long long)checkpoint->saved_steps_total,
                             (long long)steps_total);
        progress_start(&checkpoint->progress, checkpoint->label, steps_total,
                       checkpoint->first_step);
        checkpoint->progress.start = checkpoint->assembly_start;
        checkpoint->progress_started = 1;
    }
    checkpoint->steps_total = steps_total;
    progress_update(&checkpoint->progress, steps_done);

    if (checkpoint->signal_test.step_seconds > 0.0) {
        double whole = (double)(long)checkpoint->signal_test.step_seconds;
        struct timespec pause = {(time_t)whole,
                                 (long)((checkpoint->signal_test.step_seconds - whole) * 1e9)};
        nanosleep(&pause, NULL); /* a signal cuts it short, which is fine */
    }
    if (steps_done == checkpoint->signal_test.step && grid->rank == checkpoint->signal_test.rank)
        raise(SIGUSR1);
    char where[160] = "";
    if (checkpoint->phase != NULL) {
        snprintf(where, sizeof where, "during %s (after step %lld of %lld)", checkpoint->phase,
                 (long long)steps_done, (long long)steps_total);
        checkpoint_test_pause(where);
    }

    /* The safe point: every rank learns whether any rank saw a stop signal, and
     * whether rank 0's clock says a periodic checkpoint is due. */
    int local[2] = {checkpoint_signal_pending(), 0};
    if (grid->rank == 0 && checkpoint->every_seconds > 0.0)
        local[1] = MPI_Wtime() - checkpoint->last_write >= checkpoint->every_seconds;
    int agreed[2] = {0, 0};
    NTK_MPI(MPI_Allreduce(local, agreed, 2, MPI_INT, MPI_MAX, grid->comm));

    if (steps_done == steps_total)
        progress_finish(&checkpoint->progress);
    if (agreed[0] == 0 && agreed[1] == 0)
        return NTK_OK;
    if (agreed[0] != 0 && steps_done != steps_total)
        progress_finish(&checkpoint->progress);
    NTK_TRY(write_checkpoint(checkpoint, theta, steps_done, steps_total));
    if (agreed[0] != 0 && checkpoint->phase != NULL)
        return NTK_RAISE(NTK_ERR_INTERRUPTED,
                         "interrupted by signal %s %s; checkpoint written to %s; run the same "
                         "command again to resume",
                         checkpoint_signal_name(agreed[0]), where, checkpoint->path);
    if (agreed[0] != 0)
        return NTK_RAISE(NTK_ERR_INTERRUPTED,
                         "interrupted by signal %s after step %lld of %lld; checkpoint written to %s; run the same command again to resume",
                         checkpoint_signal_name(agreed[0]), (long long)steps_done,
                         (long long)steps_total, checkpoint->path);
    return NTK_OK;
}

ntk_status checkpoint_stop_with_theta(ntk_checkpoint *checkpoint, const ntk_dmatrix *theta,
                                      const char *where)
{
    const ntk_grid *grid = checkpoint->grid;
    checkpoint_test_pause(where);
    int local = checkpoint_signal_pending(), agreed = 0;
    NTK_MPI(MPI_Allreduce(&local, &agreed, 1, MPI_INT, MPI_MAX, grid->comm));
    if (agreed == 0)
        return NTK_OK;
    /* steps_total is the same on every rank: set by the assembly's hook, or by
     * the resumed checkpoint. */
    if (checkpoint->steps_total < 1)
        return NTK_RAISE(NTK_ERR_INTERRUPTED,
                         "interrupted by signal %s %s; no checkpoint for this phase: rerun the "
                         "same command to start over",
                         checkpoint_signal_name(agreed), where);
    NTK_TRY(write_checkpoint(checkpoint, theta, checkpoint->steps_total, checkpoint->steps_total));
    return NTK_RAISE(NTK_ERR_INTERRUPTED,
                     "interrupted by signal %s %s; checkpoint of the assembled %s written to "
                     "%s; run the same command again to resume",
                     checkpoint_signal_name(agreed), where, checkpoint->matrix_name,
                     checkpoint->path);
}

ntk_status checkpoint_save_piece(ntk_checkpoint *checkpoint, const ntk_dmatrix *theta)
{
    const int64_t steps = kernel_analytic_steps(checkpoint->grid, theta->cols);
    if (checkpoint->piece_count < 1 || checkpoint->steps_total != steps)
        return NTK_RAISE(NTK_ERR_INTERNAL, "checkpoint_save_piece: not a piece run, or its "
                         "assembly did not end (%lld of %lld steps)",
                         (long long)checkpoint->steps_total, (long long)steps);
    return write_checkpoint(checkpoint, theta, steps, steps);
}

void checkpoint_free(ntk_checkpoint *checkpoint)
{
    free(checkpoint->skip_step);
    free(checkpoint->pieces_read);
    checkpoint->skip_step = NULL;
    checkpoint->pieces_read = NULL;
    checkpoint->n_pieces_read = 0;
}

ntk_status checkpoint_finish(ntk_checkpoint *checkpoint)
{
    const ntk_grid *grid = checkpoint->grid;
    if (grid == NULL)
        return NTK_OK;
    /* The handlers stay installed for the whole process (main installs them):
     * a signal after the assembly is acted on at the next stop point. */
    if (grid->rank == 0) {
        char partial[NTK_PATH_MAX + 16];
        snprintf(partial, sizeof partial, "%s.partial", checkpoint->path);
        if (unlink(checkpoint->path) != 0 && errno != ENOENT)
            ntk_warn("cannot remove the checkpoint %s: %s", checkpoint->path, strerror(errno));
        unlink(partial);
        checkpoint_pieces_remove(checkpoint);
        /* Only succeeds when nothing else is in it: never remove a user's files. */
        rmdir(checkpoint->dir);
    }
    NTK_TRY(ntk_agree(NTK_OK, grid->comm));
    return NTK_OK;
}
