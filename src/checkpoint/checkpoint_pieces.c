/* The pieces of a job array and the run that combines them (see
 * checkpoint_pieces.h). */
#include "checkpoint/checkpoint_pieces.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/checkpoint_file.h"
#include "core/log.h"

/* The most piece files a combining run reads (a job array's size is far
 * below this on any Slurm installation). */
enum { MAX_PIECE_FILES = 1 << 20 };

static int piece_file_name(const char *prefix, int index, int count, char *out, size_t size)
{
    return snprintf(out, size, "%s.piece-%d-of-%d.ckpt", prefix, index, count);
}

static ntk_status piece_path(const ntk_checkpoint *checkpoint, int index, int count, char *out)
{
    char name[96];
    piece_file_name(checkpoint->piece_prefix, index, count, name, sizeof name);
    if (snprintf(out, NTK_PATH_MAX, "%s/%s", checkpoint->dir, name) >= NTK_PATH_MAX)
        return NTK_RAISE(NTK_ERR_JOB, "checkpoint.dir: the path is too long");
    return NTK_OK;
}

ntk_status checkpoint_set_piece(ntk_checkpoint *checkpoint, int index, int count)
{
    if (count < 1 || index < 0 || index >= count)
        return NTK_RAISE(NTK_ERR_INTERNAL, "checkpoint_set_piece: piece %d of %d", index, count);
    checkpoint->piece_index = index;
    checkpoint->piece_count = count;
    return piece_path(checkpoint, index, count, checkpoint->path);
}

/* "PREFIX.piece-I-of-K.ckpt" exactly as piece_file_name writes it (so
 * "theta.piece-01-of-3.ckpt" is not read as piece 1). */
static int parse_piece_name(const char *prefix, const char *name, int *index, int *count)
{
    size_t length = strlen(prefix);
    int end = 0;
    if (strncmp(name, prefix, length) != 0 ||
        sscanf(name + length, ".piece-%d-of-%d.ckpt%n", index, count, &end) != 2 ||
        name[length + (size_t)end] != '\0' || *count < 1 || *index < 0 || *index >= *count)
        return 0;
    char again[96];
    piece_file_name(prefix, *index, *count, again, sizeof again);
    return strcmp(again, name) == 0;
}

static int compare_pieces(const void *a, const void *b)
{
    const int *x = a, *y = b;
    if (x[1] != y[1])
        return x[1] < y[1] ? -1 : 1;
    return x[0] < y[0] ? -1 : (x[0] > y[0]);
}

/* Rank 0: the (index, count) pairs of the piece files in `dir`, in a fixed
 * order (by count, then index). No folder: none. */
static ntk_status list_pieces(const char *dir, const char *prefix, int **pairs, int *n)
{
    *pairs = NULL;
    *n = 0;
    DIR *folder = opendir(dir);
    if (folder == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return NTK_OK;
        return NTK_RAISE(NTK_ERR_IO, "cannot read the checkpoint folder %s: %s", dir,
                         strerror(errno));
    }
    ntk_status status = NTK_OK;
    int capacity = 0;
    for (struct dirent *entry; status == NTK_OK && (entry = readdir(folder)) != NULL;) {
        int index = 0, count = 0;
        if (!parse_piece_name(prefix, entry->d_name, &index, &count))
            continue;
        if (*n == MAX_PIECE_FILES) {
            status = NTK_RAISE(NTK_ERR_IO, "more than %d piece checkpoints in %s",
                               MAX_PIECE_FILES, dir);
            break;
        }
        if (*n == capacity) {
            capacity = capacity ? 2 * capacity : 16;
            int *grown = realloc(*pairs, sizeof **pairs * 2 * (size_t)capacity);
            if (grown == NULL) {
                status = NTK_RAISE(NTK_ERR_MEMORY, "cannot list the piece checkpoints of %s",
                                   dir);
                break;
            }
            *pairs = grown;
        }
        (*pairs)[2 * *n] = index;
        (*pairs)[2 * *n + 1] = count;
        ++*n;
    }
    closedir(folder);
    if (status == NTK_OK && *n > 1)
        qsort(*pairs, (size_t)*n, 2 * sizeof **pairs, compare_pieces);
    return status;
}

/* Every rank: rank 0's list of piece files. */
static ntk_status share_pieces(const ntk_checkpoint *checkpoint, int **pairs, int *n)
{
    const ntk_grid *grid = checkpoint->grid;
    *pairs = NULL;
    *n = 0;
    ntk_status status =
        grid->rank == 0 ? list_pieces(checkpoint->dir, checkpoint->piece_prefix, pairs, n) : NTK_OK;
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_MPI(MPI_Bcast(n, 1, MPI_INT, 0, grid->comm));
    if (*n == 0)
        return NTK_OK;
    if (grid->rank != 0)
        status = NTK_CALLOC(*pairs, 2 * (size_t)*n, "piece checkpoint list");
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_MPI(MPI_Bcast(*pairs, 2 * *n, MPI_INT, 0, grid->comm));
    return NTK_OK;
}

/* Read one piece file and take the steps it holds that are not yet in
 * theta (checkpoint->skip_step). */
static ntk_status read_piece(ntk_checkpoint *checkpoint, int index, int count, int64_t steps,
                             ntk_dmatrix *theta, int64_t *taken)
{
    const ntk_grid *grid = checkpoint->grid;
    char path[NTK_PATH_MAX];
    NTK_TRY(piece_path(checkpoint, index, count, path));
    ntk_checkpoint_header expected = {
        .job_hash = checkpoint->job_hash ^ checkpoint->extra_hash,
        .grid_rows = grid->rows, .grid_cols = grid->cols, .block = grid->block,
        .lower_only = checkpoint->lower_only, .m_rows = theta->rows, .m_cols = theta->cols,
    }, found;
    NTK_TRY(checkpoint_file_read_steps(path, grid, &expected, steps, checkpoint->skip_step, theta,
                                       &found, taken));
    /* The name says which piece the file is; its header must agree (the
     * steps taken are the header's, so Theta is right either way). */
    if (found.piece_count != count || found.piece_index != index)
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s holds piece %d of %d, not piece %d of %d as "
                         "its name says; remove it",
                         path, found.piece_index, found.piece_count, index, count);
    return NTK_OK;
}

/* A whole run: every piece file of the folder, after the run's own
 * checkpoint (steps [0, first_step)). */
static ntk_status combine(ntk_checkpoint *checkpoint, ntk_dmatrix *theta, int64_t steps,
                          int64_t first_step)
{
    NTK_TRY(share_pieces(checkpoint, &checkpoint->pieces_read, &checkpoint->n_pieces_read));
    if (checkpoint->n_pieces_read == 0)
        return NTK_OK;
    for (int64_t step = 0; step < first_step && step < steps; ++step)
        checkpoint->skip_step[step] = 1;
    int64_t restored = 0;
    for (int p = 0; p < checkpoint->n_pieces_read; ++p) {
        int64_t taken = 0;
        NTK_TRY(read_piece(checkpoint, checkpoint->pieces_read[2 * p],
                           checkpoint->pieces_read[2 * p + 1], steps, theta, &taken));
        restored += taken;
    }
    checkpoint->steps_restored += restored;
    checkpoint->saved_steps_total = steps;
    checkpoint->steps_total = steps;
    ntk_log("combining %d piece checkpoint%s of %s in %s: %lld of %lld steps restored from "
            "them, %lld to compute", checkpoint->n_pieces_read,
            checkpoint->n_pieces_read == 1 ? "" : "s", checkpoint->matrix_name, checkpoint->dir,
            (long long)restored,
            (long long)steps, (long long)(steps - checkpoint->steps_restored));
    return NTK_OK;
}

ntk_status checkpoint_pieces_resume(ntk_checkpoint *checkpoint, ntk_dmatrix *theta,
                                    ntk_assembly_hooks *hooks)
{
    const int64_t steps = kernel_analytic_steps(checkpoint->grid, theta->cols);
    if (checkpoint->first_step > steps)
        return NTK_RAISE(NTK_ERR_JOB, "checkpoint %s was written for an assembly of %lld steps; "
                         "this run has %lld; remove it", checkpoint->path,
                         (long long)checkpoint->saved_steps_total, (long long)steps);
    NTK_TRY(ntk_agree(NTK_CALLOC(checkpoint->skip_step, (size_t)steps + 1, "assembly step flags"),
                      checkpoint->grid->comm));
    if (checkpoint->piece_count > 0) {
        for (int64_t step = 0; step < steps; ++step)
            checkpoint->skip_step[step] = step < checkpoint->first_step ||
                                          step % checkpoint->piece_count != checkpoint->piece_index;
        hooks->skip_step = checkpoint->skip_step;
        return NTK_OK;
    }
    NTK_TRY(combine(checkpoint, theta, steps, checkpoint->first_step));
    if (checkpoint->n_pieces_read > 0)
        hooks->skip_step = checkpoint->skip_step;
    return NTK_OK;
}

void checkpoint_pieces_remove(const ntk_checkpoint *checkpoint)
{
    for (int p = 0; p < checkpoint->n_pieces_read; ++p) {
        char path[NTK_PATH_MAX];
        if (piece_path(checkpoint, checkpoint->pieces_read[2 * p],
                       checkpoint->pieces_read[2 * p + 1], path) != NTK_OK)
            continue;
        if (unlink(path) != 0 && errno != ENOENT)
            ntk_warn("cannot remove the piece checkpoint %s: %s", path, strerror(errno));
    }
}
