/* The checkpoint of the CG iterate (cg.h): one file written with MPI-IO.
 *
 *   bytes 0..63    header: magic "NTKCGCK1", job hash, M, ranks, channels,
 *                  iterations done, residual replacements, checksum (FNV-1a
 *                  64 of the rest of the file, combined over the ranks in
 *                  rank order)
 *   then           rho, ||b||, active (as doubles) per channel, and the
 *                  residual history (iterations + 1 rows of channels)
 *   then           every rank's x, r and p (own rows x channels each,
 *                  column-major), rank after rank (own rows are contiguous
 *                  and in rank order, so the offset is first_row * 3 channels)
 *
 * Written to PATH.partial and renamed when complete, so a stop mid-write
 * leaves the previous checkpoint. Resuming needs the same job, M and rank
 * count; the continued iterates are then the same as without the stop. */
#include "predict/cg/cg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/checkpoint_file.h"
#include "core/location.h"

enum { HEADER_BYTES = 64 };
static const char magic[8] = {'N', 'T', 'K', 'C', 'G', 'C', 'K', '1'};

typedef struct {
    uint64_t job_hash;
    int64_t size, ranks, channels, iteration, restarts;
    uint64_t checksum;
} cg_header;

static void header_pack(const cg_header *h, unsigned char *out)
{
    memset(out, 0, HEADER_BYTES);
    memcpy(out, magic, 8);
    const uint64_t fields[7] = {h->job_hash, (uint64_t)h->size, (uint64_t)h->ranks,
                                (uint64_t)h->channels, (uint64_t)h->iteration,
                                (uint64_t)h->restarts, h->checksum};
    for (int f = 0; f < 7; ++f)
        for (int b = 0; b < 8; ++b)
            out[8 + 8 * f + b] = (unsigned char)(fields[f] >> (8 * b));
}

static int header_unpack(const unsigned char *in, cg_header *h)
{
    if (memcmp(in, magic, 8) != 0)
        return 0;
    uint64_t fields[7] = {0};
    for (int f = 0; f < 7; ++f)
        for (int b = 7; b >= 0; --b)
            fields[f] = (fields[f] << 8) | in[8 + 8 * f + b];
    h->job_hash = fields[0];
    h->size = (int64_t)fields[1];
    h->ranks = (int64_t)fields[2];
    h->channels = (int64_t)fields[3];
    h->iteration = (int64_t)fields[4];
    h->restarts = (int64_t)fields[5];
    h->checksum = fields[6];
    return 1;
}

/* The replicated part, packed as doubles. */
static int64_t shared_count(const cg_state *s, int64_t iteration)
{
    return 3 * (int64_t)s->channels + (iteration + 1) * s->channels;
}

static void shared_pack(const cg_state *s, double *out)
{
    const int ch = s->channels;
    for (int c = 0; c < ch; ++c) {
        out[c] = s->rho[c];
        out[ch + c] = s->b_norm[c];
        out[2 * ch + c] = s->active[c];
    }
    memcpy(out + 3 * ch, s->history, sizeof(double) * (size_t)((s->iteration + 1) * ch));
}

static void shared_unpack(cg_state *s, const double *in)
{
    const int ch = s->channels;
    for (int c = 0; c < ch; ++c) {
        s->rho[c] = in[c];
        s->b_norm[c] = in[ch + c];
        s->active[c] = in[2 * ch + c] != 0.0;
    }
    memcpy(s->history, in + 3 * ch, sizeof(double) * (size_t)((s->iteration + 1) * ch));
}

/* This rank's x, r, p, packed. */
static int64_t own_count(const cg_state *s) { return 3 * s->own_rows * s->channels; }

static ntk_status own_offset(const cg_state *s, MPI_Comm comm, int64_t iteration, MPI_Offset *at)
{
    int64_t before = 0, mine = own_count(s);
    NTK_MPI(MPI_Exscan(&mine, &before, 1, MPI_INT64_T, MPI_SUM, comm));
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        before = 0;
    *at = (MPI_Offset)(HEADER_BYTES + 8 * (shared_count(s, iteration) + before));
    return NTK_OK;
}

/* The checksum of the shared part (rank 0) and every rank's own part, in
 * rank order. */
static ntk_status file_checksum(const cg_state *s, MPI_Comm comm, const double *shared,
                                int64_t shared_n, const double *own, uint64_t *checksum)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    uint64_t mine = checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, own,
                                     sizeof(double) * (size_t)own_count(s));
    uint64_t *all = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(all, ranks, "checkpoint checksums"), comm));
    int rc = MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, comm);
    if (rc != MPI_SUCCESS) {
        free(all);
        return ntk_raise_mpi(rc, "MPI_Allgather", __FILE__, __LINE__);
    }
    uint64_t hash = checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, shared, sizeof(double) * (size_t)shared_n);
    hash = checkpoint_fnv1a(hash, all, sizeof(uint64_t) * (size_t)ranks);
    free(all);
    *checksum = hash;
    return NTK_OK;
}

static void pack_own(const cg_state *s, double *out)
{
    const int64_t n = s->own_rows * s->channels;
    memcpy(out, s->x, sizeof(double) * (size_t)n);
    memcpy(out + n, s->r, sizeof(double) * (size_t)n);
    memcpy(out + 2 * n, s->p, sizeof(double) * (size_t)n);
}

static void unpack_own(cg_state *s, const double *in)
{
    const int64_t n = s->own_rows * s->channels;
    memcpy(s->x, in, sizeof(double) * (size_t)n);
    memcpy(s->r, in + n, sizeof(double) * (size_t)n);
    memcpy(s->p, in + 2 * n, sizeof(double) * (size_t)n);
}

/* Write `count` doubles at `at` in pieces (MPI counts are ints). */
static int write_doubles(MPI_File file, MPI_Offset at, const double *data, int64_t count)
{
    for (int64_t done = 0; done < count;) {
        int n = (int)(count - done < (1 << 26) ? count - done : (1 << 26));
        int rc = MPI_File_write_at(file, at + 8 * (MPI_Offset)done, data + done, n, MPI_DOUBLE,
                                   MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return rc;
        done += n;
    }
    return MPI_SUCCESS;
}

static int read_doubles(MPI_File file, MPI_Offset at, double *data, int64_t count)
{
    for (int64_t done = 0; done < count;) {
        int n = (int)(count - done < (1 << 26) ? count - done : (1 << 26));
        MPI_Status status;
        int rc = MPI_File_read_at(file, at + 8 * (MPI_Offset)done, data + done, n, MPI_DOUBLE,
                                  &status);
        if (rc != MPI_SUCCESS)
            return rc;
        int got = 0;
        MPI_Get_count(&status, MPI_DOUBLE, &got);
        if (got != n)
            return MPI_ERR_TRUNCATE;
        done += n;
    }
    return MPI_SUCCESS;
}

ntk_status cg_checkpoint_save(const char *path, MPI_Comm comm, uint64_t job_hash, int64_t size,
                              const cg_state *s)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    char partial[NTK_PATH_MAX + 16];
    snprintf(partial, sizeof partial, "%s.partial", path);
    const int64_t shared_n = shared_count(s, s->iteration);
    double *shared = NULL, *own = NULL;
    ntk_status status = NTK_CALLOC(shared, shared_n, "checkpoint");
    if (status == NTK_OK)
        status = NTK_CALLOC(own, own_count(s) + 1, "checkpoint");
    NTK_TRY_GOTO(status, ntk_agree(status, comm), done);
    shared_pack(s, shared);
    pack_own(s, own);
    cg_header header = {job_hash, size, ranks, s->channels, s->iteration, s->restarts, 0};
    NTK_TRY_GOTO(status, file_checksum(s, comm, shared, shared_n, own, &header.checksum), done);
    MPI_Offset at = 0;
    NTK_TRY_GOTO(status, own_offset(s, comm, s->iteration, &at), done);
    if (rank == 0)
        remove(partial);
    MPI_Barrier(comm);
    MPI_File file;
    int rc = MPI_File_open(comm, partial, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &file);
    if (rc != MPI_SUCCESS) {
        status = NTK_RAISE(NTK_ERR_IO, "cannot create the cg checkpoint %s", partial);
        NTK_TRY_GOTO(status, ntk_agree(status, comm), done);
    }
    if (rank == 0) {
        unsigned char bytes[HEADER_BYTES];
        header_pack(&header, bytes);
        rc = MPI_File_write_at(file, 0, bytes, HEADER_BYTES, MPI_BYTE, MPI_STATUS_IGNORE);
        if (rc == MPI_SUCCESS)
            rc = write_doubles(file, HEADER_BYTES, shared, shared_n);
    }
    if (rc == MPI_SUCCESS)
        rc = write_doubles(file, at, own, own_count(s));
    if (rc == MPI_SUCCESS)
        rc = MPI_File_sync(file);
    int close_rc = MPI_File_close(&file);
    if (rc != MPI_SUCCESS || close_rc != MPI_SUCCESS)
        status = NTK_RAISE(NTK_ERR_IO, "cannot write the cg checkpoint %s", partial);
    NTK_TRY_GOTO(status, ntk_agree(status, comm), done);
    if (rank == 0 && rename(partial, path) != 0)
        status = NTK_RAISE(NTK_ERR_IO, "cannot rename %s to %s: %s", partial, path,
                           strerror(errno));
    status = ntk_agree(status, comm);
done:
    free(shared);
    free(own);
    return status;
}

ntk_status cg_checkpoint_load(const char *path, MPI_Comm comm, uint64_t job_hash, int64_t size,
                              cg_state *s, int *found)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    int exists = rank == 0 ? access(path, F_OK) == 0 : 0;
    NTK_MPI(MPI_Bcast(&exists, 1, MPI_INT, 0, comm));
    *found = 0;
    if (!exists)
        return NTK_OK;
    MPI_File file;
    int rc = MPI_File_open(comm, path, MPI_MODE_RDONLY, MPI_INFO_NULL, &file);
    if (rc != MPI_SUCCESS)
        return ntk_agree(NTK_RAISE(NTK_ERR_IO, "cannot open the cg checkpoint %s", path), comm);
    unsigned char bytes[HEADER_BYTES];
    cg_header header;
    memset(&header, 0, sizeof header);
    ntk_status status = NTK_OK;
    rc = MPI_File_read_at_all(file, 0, bytes, HEADER_BYTES, MPI_BYTE, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || !header_unpack(bytes, &header))
        status = NTK_RAISE(NTK_ERR_IO, "%s is not a cg checkpoint (bad header)", path);
    else if (header.job_hash != job_hash || header.size != size || header.ranks != ranks ||
             header.channels != s->channels)
        status = NTK_RAISE(NTK_ERR_JOB,
                           "%s is a cg checkpoint of another job or rank count (M %lld, %lld "
                           "ranks; this run: M %lld, %d ranks): remove it to start over",
                           path, (long long)header.size, (long long)header.ranks,
                           (long long)size, ranks);
    else if (header.iteration < 0 || header.iteration >= s->history_capacity)
        status = NTK_RAISE(NTK_ERR_JOB,
                           "%s holds %lld iterations, more than predict.max_iterations: remove "
                           "it or raise the limit",
                           path, (long long)header.iteration);
    status = ntk_agree(status, comm);
    double *shared = NULL, *own = NULL;
    int64_t shared_n = 0;
    if (status == NTK_OK) {
        s->iteration = header.iteration;
        s->restarts = header.restarts;
        shared_n = shared_count(s, s->iteration);
        status = NTK_CALLOC(shared, shared_n, "checkpoint");
        if (status == NTK_OK)
            status = NTK_CALLOC(own, own_count(s) + 1, "checkpoint");
        status = ntk_agree(status, comm);
    }
    MPI_Offset at = 0;
    if (status == NTK_OK)
        status = own_offset(s, comm, s->iteration, &at);
    if (status == NTK_OK) {
        rc = read_doubles(file, HEADER_BYTES, shared, shared_n);
        if (rc == MPI_SUCCESS)
            rc = read_doubles(file, at, own, own_count(s));
        if (rc != MPI_SUCCESS)
            status = NTK_RAISE(NTK_ERR_IO, "the cg checkpoint %s is truncated", path);
        status = ntk_agree(status, comm);
    }
    uint64_t checksum = 0;
    if (status == NTK_OK)
        status = file_checksum(s, comm, shared, shared_n, own, &checksum);
    if (status == NTK_OK && checksum != header.checksum)
        status = NTK_RAISE(NTK_ERR_IO, "the cg checkpoint %s is corrupt (checksum)", path);
    status = ntk_agree(status, comm);
    MPI_File_close(&file);
    if (status == NTK_OK) {
        shared_unpack(s, shared);
        unpack_own(s, own);
        *found = 1;
    }
    free(shared);
    free(own);
    return status;
}
