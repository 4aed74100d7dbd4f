/* Internal to the structured kernel (structured*.c): the
 * layout of the per-input feature vectors, a tile's row and column inputs,
 * and the context a step's tiles share. */
#ifndef NTK_KERNEL_STRUCTURED_INTERNAL_H
#define NTK_KERNEL_STRUCTURED_INTERNAL_H

#include <stdint.h>

#include "kernel/kernel_local.h"

enum {
    STRUCTURED_PANEL_COLUMNS = 256, /* local columns per step (rounded to blocks) */
    STRUCTURED_ROW_CHUNK = 1024,    /* rows per tile: temporaries stay panel-sized */
    STRUCTURED_MAX_BATCH = 128,     /* inputs per forward/backward batch, at most */
    STRUCTURED_SMALL_DEPTH = 32,    /* Grams this shallow are computed next to the update */
    STRUCTURED_SMALL_GROUP = 32     /* columns per shallow Gram: its temporary stays in cache */
};
/* Bound of one feature batch's forward/backward buffers (plan counts it). */
#define STRUCTURED_FEATURE_BYTES (256.0 * 1048576.0)

typedef struct {
    int64_t width;                               /* doubles per input */
    int64_t n_out[NTK_MAX_DENSE + 2];            /* cotangent values per logit of layer l */
    int64_t n_in[NTK_MAX_DENSE + 2];             /* input values of layer l */
    int64_t cotangent_offset[NTK_MAX_DENSE + 2]; /* k x n_l cotangents of layer l */
    int64_t input_offset[NTK_MAX_DENSE + 2];     /* h_{l-1}: n_{l-1} values, or v (rank-one) */
    int64_t input_depth[NTK_MAX_DENSE + 2];      /* n_{l-1}, or n_{l-1} + has_bias (rank-one) */
    int rank_one[NTK_MAX_DENSE + 2];             /* trace and k n_l == 1: v stored, no cotangent */
    int block[NTK_MAX_DENSE + 2];                /* the layer's Jacobian block J_l stored (conv) */
    int64_t block_width[NTK_MAX_DENSE + 2];      /* its values per logit */
    int64_t block_first[NTK_MAX_DENSE + 2];      /* the first of its block rows stored */
    int64_t block_rows[NTK_MAX_DENSE + 2];       /* all its block rows, and their width: */
    int64_t row_width[NTK_MAX_DENSE + 2];        /* block_width / row_width rows are stored */
    int skip[NTK_MAX_DENSE + 2];                 /* the layer is not in these vectors */
    int lowest;                                  /* the lowest layer stored (backward stops there) */
    int64_t batch;                               /* inputs per forward/backward batch (structured_chunks) */
    int64_t packed[NTK_MAX_DENSE + 2];           /* doubles per input the layer stores */
    int64_t scratch;                             /* doubles jacobian_block needs, widest layer */
    int pairwise[NTK_MAX_DENSE + 2];             /* patches and cotangents stored (conv, few positions) */
    int64_t positions[NTK_MAX_DENSE + 2], patch_width[NTK_MAX_DENSE + 2], channels[NTK_MAX_DENSE + 2];
    int full;                                    /* rows (x, o): kernel.outputs full */
    int64_t pair_scratch;                        /* 2 P^2 (+ k P C + k^2, full): the pairwise form's
                                                  * position Grams, K delta and k x k entries */
    int pair_part[NTK_MAX_DENSE + 2];            /* a chunk pass of a pairwise layer: */
    ntk_pairwise_part part[NTK_MAX_DENSE + 2];   /* its rectangle of the weights */
    /* kernel.precision mixed and float32: each vector is `width` floats,
     * rounded from the forward/backward pass (structured_mixed.c), whose dense
     * GEMMs are float32 when single_passes is set. */
    int single;
    int single_passes;                           /* the layers' GEMMs of the forward/backward
                                                  * passes in float32 (model/single_passes.h) */
    int64_t stride;                              /* doubles per item in the item set */
    int64_t single_stride;                       /* floats per item (2 stride) when single */
} feature_layout;

/* The distinct inputs behind a run of local rows or columns, contiguous. */
typedef struct {
    const double *vectors; /* items x width (NULL when single) */
    const float *singles;  /* items x single_stride (single only) */
    int64_t items;
    int64_t *slot;         /* per local index of the run: its input among them */
} structured_side;

typedef struct {
    const ntk_model *model;
    const feature_layout *layout;
    const ntk_item_set *row_set, *col_set; /* the same set unless rows and columns are
                                            * different inputs (the cross kernel) */
    const kernel_local_axis *row_axis, *col_axis;
    int k, full, lower_only;
    int accumulate;                         /* a chunk pass: add to Theta, overwrite nothing */
    int64_t panel_columns, block;
    int64_t row_chunk;                      /* rows per tile */
    double *gram, *input_gram, *row_panel, *col_panel; /* temporaries */
    double *row_pack, *col_pack;                       /* packed copies (NULL: never needed) */
    int64_t *row_slot, *col_slot;
    double *small;                                     /* shallow Gram, a column group */
    double *pair;                                      /* pairwise form: two P x P Grams, and
                                                        * (full) K delta and k x k entries */
    /* mixed and float32: the float32 Grams, in input_gram's place (which
     * only the float64 tiles use) */
    float *gram_single, *input_gram_single;
    /* kernel.precision float32: Theta's local entries (the ntk_dmatrix
     * passed around then only describes the layout, data NULL), each tile
     * summed in tile_scratch (gram's place, float64) and stored rounded. */
    float *theta_single;
    double *tile_scratch;
} structured_context;

/* structured_layout.c. Each layer with parameters states its term
 * (model/layer.h); a layer type without one cannot use this method. Layers
 * `chunking` marks chunked (NULL: none) are left out of the vectors (chunk
 * passes add them), and so is every layer but `only_layer` when it is not 0
 * (kernel_config.h). Rank-local. */
ntk_status structured_layout_make(const ntk_model *model, int full, int only_layer,
                                  const kernel_chunking *chunking, feature_layout *layout);
/* kernel.precision mixed/float32: the vectors as floats. Rank-local. */
void structured_layout_make_single(feature_layout *layout);
/* The vectors of one chunk pass (kernel.h). */
void structured_layout_chunk(const ntk_model *model, const feature_layout *whole,
                             const kernel_chunk_pass *pass, feature_layout *chunk);
/* The sizes kernel_structured_chunking decides from. */
void structured_layout_chunking(const ntk_model *model, const feature_layout *layout,
                                kernel_chunking *chunking);

/* structured_features.c: forward/backward for the own inputs, one packed
 * vector per input into `own`, its seconds added to the stats' Jacobian part. */
ntk_status structured_timed_features(const ntk_model *model, const ntk_input_block *inputs,
                                     const feature_layout *layout, double *own,
                                     ntk_kernel_stats *stats);

/* structured_tiles.c: one step, local columns of panel `step`, all rows (or,
 * for the lower triangle, those at or below the panel's first column).
 * Returns the flops. Rank-local. */
double structured_step(const structured_context *ctx, ntk_dmatrix *theta, int64_t step);

/* kernel.precision mixed, trace kernels: Theta[r0:r1, c0:c1] = sum_l G_l o
 * (K_l + s_l^2) (a block layer: (1/k) <J_l, J_l'>; a pairwise layer: its
 * position Grams' Hadamard sum) with each Gram an SGEMM of the float32 vectors
 * and the sum over layers in float64 (structured_mixed.c). Returns the
 * flops. Rank-local. */
double structured_trace_tile_mixed(const structured_context *ctx, ntk_dmatrix *theta, int64_t r0,
                                   int64_t r1, int64_t c0, const structured_side *rows,
                                   const structured_side *cols, int64_t w);

#endif
