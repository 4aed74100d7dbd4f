/* The data a run starts from: shapes checked against the model, this rank's
 * own block of inputs, and the residual r = f_0 - y of the whole data set. */
#ifndef NTK_PIPELINE_INPUTS_H
#define NTK_PIPELINE_INPUTS_H

#include <mpi.h>

#include "core/status.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "model/model.h"

typedef struct {
    int64_t n_inputs, input_dim;
    ntk_shape input;        /* one input's shape, channels last (input_dim values) */
    int k;                  /* model outputs */
    int have_targets;
} ntk_data_shape;

/* Shapes of inputs and targets, checked against each other and the model.
 * Rank-local (every rank gets the same answer); callers agree. */
ntk_status inputs_shape(const ntk_job *job, ntk_data_shape *shape);

/* Read (or generate) this rank's own block of inputs. Rank-local. */
ntk_status inputs_read_own_block(const ntk_job *job, const ntk_data_shape *shape, int rank,
                                 int ranks, ntk_input_block *block);
void inputs_free_block(ntk_input_block *block);

/* Targets of the own block (count x k), or NULL without targets. Rank-local. */
ntk_status inputs_read_own_targets(const ntk_job *job, const ntk_data_shape *shape,
                                   const ntk_input_block *block, double **targets);

/* r = f_0 - y for all N inputs on every rank (N x k row-major). Collective. */
ntk_status inputs_gather_residual(const ntk_model *model, const ntk_input_block *block,
                                  const double *own_targets, int64_t n_inputs, MPI_Comm comm,
                                  double **residual);

/* y for all N inputs on every rank (N x k row-major), from the own blocks'
 * targets, for the diagnostics. Collective. */
ntk_status inputs_gather_targets(const ntk_input_block *block, const double *own_targets,
                                 int64_t n_inputs, int k, MPI_Comm comm, double **targets);

#endif
