/* Unit test of checkpoint/restart without the kernel: a stand-in assembly
 * fills one global column block of Theta per step (values that depend only on
 * the global index, like the real kernel's), and the checkpoint hooks run
 * after every step. Checked on the ranks it runs on:
 *   - a signal on the last rank after step S stops the run with
 *     NTK_ERR_INTERRUPTED and the message; a resume restores exactly the
 *     first S column blocks and finishing gives Theta bit for bit;
 *   - a periodic checkpoint (every = 1 ns) is written after every step;
 *   - another job's checkpoint, another block size, a lower-triangle
 *     checkpoint for a whole-matrix run, a truncated file and a flipped byte
 *     (header and data) are refused with their messages;
 *   - checkpoint_finish removes the file and its empty folder. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_file.h"
#include "core/log.h"
#include "job/job.h"
#include "check.h"

static int world_rank = 0;


enum { M = 37 };

static double theta_value(int64_t i, int64_t j) { return sin(0.37 * (double)i + 1.3 * (double)j) + (double)(i * M + j); }

static int64_t steps_of(const ntk_grid *grid) { return (M + grid->block - 1) / grid->block; }

/* Step s fills global column block s on every rank that holds part of it. */
static ntk_status fake_assemble(const ntk_grid *grid, const ntk_assembly_hooks *hooks,
                                ntk_dmatrix *theta)
{
    int64_t steps = steps_of(grid);
    for (int64_t step = hooks->first_step; step < steps; ++step) {
        for (int64_t lc = 0; lc < theta->local_cols; ++lc) {
            int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
            if (j / grid->block != step)
                continue;
            for (int64_t lr = 0; lr < theta->local_rows; ++lr) {
                int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
                theta->data[lc * theta->local_rows + lr] = theta_value(i, j);
            }
        }
        NTK_TRY(hooks->after_step(hooks->context, theta, step + 1, steps));
    }
    return NTK_OK;
}

/* Local entries equal the reference for column blocks < done_steps, 0 after. */
static int theta_matches(const ntk_grid *grid, const ntk_dmatrix *theta, int64_t done_steps)
{
    int good = 1;
    for (int64_t lc = 0; lc < theta->local_cols; ++lc) {
        int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < theta->local_rows; ++lr) {
            int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            double expected = j / grid->block < done_steps ? theta_value(i, j) : 0.0;
            double got = theta->data[lc * theta->local_rows + lr];
            if (memcmp(&expected, &got, sizeof got) != 0)
                good = 0;
        }
    }
    int all = 0;
    MPI_Allreduce(&good, &all, 1, MPI_INT, MPI_MIN, grid->comm);
    return all;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* A fresh context and zeroed Theta, then resume. */
/* Set to make try_resume act as a caller that assembles the whole Theta. */
static int assemble_whole = 0;

static ntk_status try_resume(const ntk_job *job, const ntk_grid *grid, ntk_checkpoint *checkpoint,
                             ntk_dmatrix *theta, ntk_assembly_hooks *hooks)
{
    ntk_error_clear();
    memset(theta->data, 0, sizeof(double) * (size_t)(theta->local_rows * theta->local_cols));
    NTK_TRY(ntk_agree(checkpoint_init(&job->checkpoint, job->output.dir, job_hash(job), grid,
                                      checkpoint), grid->comm));
    if (assemble_whole)
        checkpoint->lower_only = 0;
    hooks->after_step = checkpoint_after_step;
    hooks->context = checkpoint;
    return checkpoint_resume(checkpoint, theta, hooks);
}

static void expect_refusal(const ntk_job *job, const ntk_grid *grid, ntk_dmatrix *theta,
                           ntk_status code, const char *fragment, const char *what)
{
    ntk_checkpoint checkpoint;
    ntk_assembly_hooks hooks;
    ntk_status status = try_resume(job, grid, &checkpoint, theta, &hooks);
    CHECK(status == code && strstr(ntk_error_message(), fragment) != NULL,
          "%s: status %d, message '%s' (expected %d with '%s')", what, (int)status,
          ntk_error_message(), (int)code, fragment);
    if (world_rank == 0)
        printf("%s refused: %s\n", what, ntk_error_message());
    ntk_error_clear();
}

/* Rank 0 edits the file (truncate or flip one byte), the others wait. */
static void damage(const char *path, MPI_Comm comm, long truncate_by, long flip_at_from_end,
                   long flip_at)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        struct stat info;
        stat(path, &info);
        if (truncate_by > 0 && truncate(path, info.st_size - truncate_by) != 0)
            perror("truncate");
        long at = flip_at_from_end > 0 ? (long)info.st_size - flip_at_from_end : flip_at;
        if (at >= 0 && truncate_by == 0) {
            FILE *file = fopen(path, "r+b");
            fseek(file, at, SEEK_SET);
            int byte = fgetc(file);
            fseek(file, at, SEEK_SET);
            fputc(byte ^ 0x10, file);
            fclose(file);
        }
    }
    MPI_Barrier(comm);
}

static void copy_file(const char *from, const char *to, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        char buffer[4096];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, in)) > 0)
            fwrite(buffer, 1, n, out);
        fclose(in);
        fclose(out);
    }
    MPI_Barrier(comm);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    check_rank = world_rank;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    ntk_log_init(world_rank, 0);

    /* A scratch output folder per test binary, under the working directory. */
    static ntk_job job;
    memset(&job, 0, sizeof job);
    snprintf(job.output.dir, sizeof job.output.dir, "scratch-checkpoint-unit-%d", size);
    job.output.theta = 1;
    job.model.seed = 7;
    job.grid.block = 4;
    if (world_rank == 0) {
        mkdir(job.output.dir, 0755);
        char stale[NTK_PATH_MAX + 32];
        snprintf(stale, sizeof stale, "%s/checkpoint/theta.ckpt", job.output.dir);
        unlink(stale);
    }
    MPI_Barrier(MPI_COMM_WORLD);

    int rows = 0, cols = 0;
    grid_auto_shape(size, &rows, &cols);
    ntk_grid grid;
    if (grid_create(MPI_COMM_WORLD, 4, rows, cols, &grid) != NTK_OK) {
        ntk_error_print(0);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    ntk_dmatrix theta;
    if (ntk_agree(dmatrix_create(&grid, M, M, &theta), grid.comm) != NTK_OK)
        MPI_Abort(MPI_COMM_WORLD, 1);
    int64_t steps = steps_of(&grid);

    /* 1. Signal on the last rank after each of several steps, resume, finish. */
    int64_t stop_steps[] = {1, steps / 2, steps};
    for (int t = 0; t < 3; ++t) {
        int64_t stop = stop_steps[t];
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)stop);
        setenv("NTK_TEST_SIGNAL_AT_STEP", text, 1);
        snprintf(text, sizeof text, "%d", size - 1);
        setenv("NTK_TEST_SIGNAL_RANK", text, 1);

        ntk_checkpoint checkpoint;
        ntk_assembly_hooks hooks;
        ntk_status status = try_resume(&job, &grid, &checkpoint, &theta, &hooks);
        CHECK(status == NTK_OK && hooks.first_step == 0, "fresh start: status %d, first step %lld",
              (int)status, (long long)hooks.first_step);
        status = fake_assemble(&grid, &hooks, &theta);
        char expected[NTK_PATH_MAX + 256];
        snprintf(expected, sizeof expected, "interrupted by signal SIGUSR1 after step %lld of %lld; checkpoint written to %s",
                 (long long)stop, (long long)steps, checkpoint.path);
        CHECK(status == NTK_ERR_INTERRUPTED && strstr(ntk_error_message(), expected) != NULL,
              "stop at %lld: status %d, message '%s'", (long long)stop, (int)status,
              ntk_error_message());
        if (world_rank == 0)
            printf("stop at step %lld: %s\n", (long long)stop, ntk_error_message());
        checkpoint_signals_restore();
        unsetenv("NTK_TEST_SIGNAL_AT_STEP");

        status = try_resume(&job, &grid, &checkpoint, &theta, &hooks);
        CHECK(status == NTK_OK && hooks.first_step == stop, "resume: status %d (%s), first step %lld, expected %lld",
              (int)status, ntk_error_message(), (long long)hooks.first_step, (long long)stop);
        CHECK(theta_matches(&grid, &theta, stop), "resumed Theta differs from the first %lld column blocks",
              (long long)stop);
        status = fake_assemble(&grid, &hooks, &theta);
        CHECK(status == NTK_OK, "resumed assembly: %s", ntk_error_message());
        CHECK(theta_matches(&grid, &theta, steps), "finished Theta is not bit for bit the reference");
        CHECK(checkpoint_finish(&checkpoint) == NTK_OK, "finish");
        CHECK(!file_exists(checkpoint.path), "checkpoint_finish left %s", checkpoint.path);
    }

    /* 2. Periodic checkpoints: with every = 1 ns each step writes one. */
    job.checkpoint.every_seconds = 1e-9;
    {
        ntk_checkpoint checkpoint;
        ntk_assembly_hooks hooks;
        ntk_status status = try_resume(&job, &grid, &checkpoint, &theta, &hooks);
        status = status == NTK_OK ? fake_assemble(&grid, &hooks, &theta) : status;
        CHECK(status == NTK_OK && checkpoint.written == steps, "periodic: status %d, %d written, %lld steps",
              (int)status, checkpoint.written, (long long)steps);
        CHECK(theta_matches(&grid, &theta, steps), "periodic run Theta differs");
        CHECK(file_exists(checkpoint.path), "no periodic checkpoint at %s", checkpoint.path);
        char saved[NTK_PATH_MAX + 16];
        snprintf(saved, sizeof saved, "%s/saved.ckpt", job.output.dir);
        copy_file(checkpoint.path, saved, MPI_COMM_WORLD);
        job.checkpoint.every_seconds = 0.0;
        checkpoint_signals_restore();

        /* The complete checkpoint resumes at the last step. */
        status = try_resume(&job, &grid, &checkpoint, &theta, &hooks);
        CHECK(status == NTK_OK && hooks.first_step == steps && theta_matches(&grid, &theta, steps),
              "resume of a complete checkpoint: status %d, first step %lld", (int)status,
              (long long)hooks.first_step);
        checkpoint_signals_restore();

        /* 3. Refusals. */
        job.model.seed = 8;
        expect_refusal(&job, &grid, &theta, NTK_ERR_JOB, "belongs to another job", "another job");
        job.model.seed = 7;
        checkpoint_signals_restore();

        ntk_grid other_block;
        if (grid_create(MPI_COMM_WORLD, 5, rows, cols, &other_block) == NTK_OK) {
            ntk_dmatrix other_theta;
            if (ntk_agree(dmatrix_create(&other_block, M, M, &other_theta), grid.comm) == NTK_OK) {
                char fragment[160];
                snprintf(fragment, sizeof fragment, "was written on a %dx%d grid with block 4; this run has %dx%d with block 5",
                         rows, cols, rows, cols);
                expect_refusal(&job, &other_block, &other_theta, NTK_ERR_JOB, fragment, "another block");
                dmatrix_destroy(&other_theta);
            }
            grid_destroy(&other_block);
        }
        checkpoint_signals_restore();

        job.output.theta = 0; /* write a lower-triangle checkpoint ... */
        status = try_resume(&job, &grid, &checkpoint, &theta, &hooks);
        CHECK(status == NTK_OK && checkpoint.lower_only, "lower-only context");
        ntk_dmatrix copy = theta;
        int64_t bytes = 0;
        ntk_checkpoint_header header = {.job_hash = job_hash(&job), .grid_rows = rows,
                                        .grid_cols = cols, .block = 4, .lower_only = 1,
                                        .m_rows = M, .m_cols = M, .steps_done = 2,
                                        .steps_total = steps};
        CHECK(checkpoint_file_write(checkpoint.path, &grid, &header, &copy, &bytes) == NTK_OK,
              "write lower-only checkpoint: %s", ntk_error_message());
        assemble_whole = 1; /* ... which a run assembling the whole matrix refuses */
        checkpoint_signals_restore();
        expect_refusal(&job, &grid, &theta, NTK_ERR_JOB, "holds only the lower triangle", "lower triangle");
        assemble_whole = 0;
        checkpoint_signals_restore();

        copy_file(saved, checkpoint.path, MPI_COMM_WORLD);
        damage(checkpoint.path, MPI_COMM_WORLD, 8, 0, -1);
        expect_refusal(&job, &grid, &theta, NTK_ERR_IO, "is truncated", "truncated");
        checkpoint_signals_restore();

        copy_file(saved, checkpoint.path, MPI_COMM_WORLD);
        damage(checkpoint.path, MPI_COMM_WORLD, 0, 3, -1); /* in the last rank's data */
        expect_refusal(&job, &grid, &theta, NTK_ERR_IO, "fails its checksum", "corrupt data");
        checkpoint_signals_restore();

        copy_file(saved, checkpoint.path, MPI_COMM_WORLD);
        damage(checkpoint.path, MPI_COMM_WORLD, 0, 0, 58); /* steps done */
        expect_refusal(&job, &grid, &theta, NTK_ERR_IO, "header checksum", "corrupt header");
        checkpoint_signals_restore();

        copy_file(saved, checkpoint.path, MPI_COMM_WORLD);
        damage(checkpoint.path, MPI_COMM_WORLD, 0, 0, 2); /* magic */
        expect_refusal(&job, &grid, &theta, NTK_ERR_IO, "not an ntkgram checkpoint", "bad magic");

        CHECK(checkpoint_finish(&checkpoint) == NTK_OK, "finish");
        if (world_rank == 0)
            unlink(saved);
        MPI_Barrier(MPI_COMM_WORLD);
        if (world_rank == 0)
            rmdir(job.output.dir);
    }

    dmatrix_destroy(&theta);
    grid_destroy(&grid);
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (world_rank == 0)
        printf("%s: %d failures on %d ranks\n", total ? "FAILED" : "passed", total, size);
    MPI_Finalize();
    return total ? 1 : 0;
}
