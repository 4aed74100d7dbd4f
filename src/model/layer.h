/* The layer interface: one ops table per layer type, and the registry of
 * types (docs/layers.md says how to add one).
 *
 * A model is the list model.layers, in order: layer i maps its input (a
 * tensor per input, `in`) to its output (`out`), the next layer's input. A
 * type describes itself to every part of the program through its ops table:
 *   - syntax:   how it is written in model.layers (name, options), read by
 *               the job module without knowing the type;
 *   - shapes:   its output shape from its input shape, every size product
 *               overflow-checked (the refusal names the layer);
 *   - parameters: its weight/bias tensors (torch layout, counts), fan-in;
 *               values come from the counter RNG keyed (seed, 2 l + is_bias,
 *               element) with l its 1-based index among layers with
 *               parameters, so every rank derives the same model;
 *   - batched forward/backward (features.c), and a separate one-input
 *     forward/backward plus explicit Jacobian entries (jacobian_rows.c, the
 *     independent cross-check);
 *   - the structured-kernel term it adds (kernel/structured.c);
 *   - the infinite-width maps: the scalar one of dense networks on flat
 *     inputs (kernel/analytic_pair.c) and the spatial one every model with
 *     an infinite-width limit has (kernel/analytic_spatial.c: conv nets);
 *     NULL spatial map: no limit known, kernel.kind analytic is refused
 *     naming the layer;
 *   - the products with the Jacobian of its own parameters (matrix-free
 *     spectra, training): hand-written, or the generic ones built on its
 *     Jacobian block;
 *   - its costs (plan adds them up).
 * Functions that a type without parameters does not need are NULL.
 *
 * Memory layout of a batch: row-major, one input after the other, each input's
 * tensor flattened (channels last). Cotangents have k rows per input, row
 * (x, o) = df_o / d(value of x). */
#ifndef NTK_MODEL_LAYER_H
#define NTK_MODEL_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "model/layer_types.h"

struct ntk_model;
struct ntk_single_passes;

/* A tensor shape per input, channels last: rank 1 (features), 2 (L, C) or 3 (H, W, C). */
typedef struct {
    int rank;
    int64_t dim[3];
    int64_t size; /* product of dim */
} ntk_shape;

/* One option of a layer type's job syntax. {name: V} with a scalar V sets the
 * first option; {name: {key: V, ...}} sets options by key; missing ones take
 * `default_value` unless `required`. Each option fills ntk_layer_spec.option
 * from index `slot`:
 *   INT     an integer in [minimum, maximum]                    1 slot
 *   PAIR    an integer or [a, b], each in [minimum, maximum]
 *           (a scalar fills both: kernel: 3 means 3 x 3)        2 slots
 *   CHOICE  one of `choices` (NULL-terminated), as its index    1 slot
 *   BOOL    true or false; the slot holds 0 for its default_value
 *           and 1 for the other (a zeroed slot is the default, so
 *           specs built by hand keep it): ntk_option_bool  1 slot
 *   CHOICE_OR_PAIR  one of `choices` as its index, or an integer or
 *           [a, b] each in [minimum, maximum]: then the slot holds the
 *           number of choices and the next two the pair (conv's
 *           padding: same, valid, circular, 1 or [1, 2])      3 slots
 *   REAL    a finite number in [real_minimum, real_maximum], default
 *           real_default, stored as the bits of the double
 *           (ntk_option_real reads it: leaky_relu's slope)      1 slot
 * An option that is `quiet` is echoed (and hashed) only when it differs
 * from its default, so that an option added to a type later leaves the
 * echo and hash of every job that does not use it as they were. */
typedef enum {
    NTK_OPTION_INT = 0,
    NTK_OPTION_PAIR,
    NTK_OPTION_CHOICE,
    NTK_OPTION_REAL,
    NTK_OPTION_BOOL,
    NTK_OPTION_CHOICE_OR_PAIR
} ntk_option_kind;

typedef struct {
    const char *key;          /* "width" */
    ntk_option_kind kind;
    int slot;                 /* first index in ntk_layer_spec.option */
    const char *requirement;  /* for messages: "a positive integer" */
    int64_t minimum, maximum, default_value;
    int required;
    const char *const *choices; /* CHOICE only */
    double real_minimum, real_maximum, real_default; /* REAL only */
    int quiet;                /* echoed only when not its default */
} ntk_layer_option;

/* A REAL option's value in its slot, and the slot value of a number. */
double ntk_option_real(const int64_t *option, int slot);
int64_t ntk_option_from_real(double value);
/* Every option of `ops` at its default (the slots of the others 0). */
void ntk_layer_default_options(const ntk_layer_ops *ops, int64_t *option);
/* Whether option `o` of `ops` holds its default in `values`. */
int ntk_layer_option_is_default(const ntk_layer_ops *ops, int o, const int64_t *values);
/* A BOOL option's value. */
int ntk_option_bool(const ntk_layer_option *option, const int64_t *values);
/* The number of names of a CHOICE or CHOICE_OR_PAIR option. */
int ntk_option_choice_count(const ntk_layer_option *option);
/* Whether a layer with options `option` has biases: 0 only for a type with
 * an option `bias` (dense, conv: torch's bias=False) set to false. */
int ntk_layer_has_bias_option_on(const ntk_layer_ops *ops, const int64_t *option);

/* A layer of a built model. */
/* The structural layers of a residual or parallel block (model/branch.h). */
typedef enum {
    NTK_BRANCH_NONE = 0,
    NTK_BRANCH_FORK, /* the block starts: its input x is kept for every branch */
    NTK_BRANCH_NEXT, /* a branch ends, the next starts from x again */
    NTK_BRANCH_JOIN  /* the last branch ends: the branches' outputs merge */
} ntk_branch_role;

typedef struct {
    const ntk_layer_ops *ops;
    int64_t option[NTK_LAYER_MAX_OPTIONS];
    int index;        /* position in model.layers, 0-based */
    int param;        /* 1-based index among layers with parameters; 0 = none */
    ntk_shape in, out;
    char name[NTK_LAYER_NAME_MAX]; /* its `name:`, "" for none */
    int fork;         /* a branch layer's: the index of its block's fork; -1 otherwise */
} ntk_layer;

/* A parameter tensor: torch layout, row-major. */
typedef struct {
    int ndim;
    int64_t shape[4];
    int64_t count;
} ntk_tensor_shape;

/* The structured kernel's term of a layer with parameters, one of three forms:
 *   block_width == 0 (dense): the Hadamard form
 *     sum_o <delta^o(x), delta^o'(x')> * (weight_scale^2 <a(x), a(x')> + bias_scale^2)
 *     with delta the cotangent of the layer's output (cotangent_width values
 *     per logit) and a its input (input_width values);
 *   block_width > 0 (conv, whose weights are shared over positions): the
 *     layer's own Jacobian block J_l^o(x) (block_width values per logit,
 *     written by jacobian_block), and the term <J_l^o(x), J_l^o'(x')>, one
 *     DGEMM over the packed blocks. The block is `block_rows` rows (conv:
 *     output channels) of `block_row_width` parameters each (block_width =
 *     their product), so that it can be computed and summed a range of rows
 *     at a time (the structured kernel's parameter chunks);
 *   pairwise (conv, few positions): the pairwise contraction
 *     c^2 sum_{p,p'} <delta_p^o(x), delta_p'^o'(x')> <patch_p(x), patch_p'(x')>
 *       + s^2 <sum_p delta_p^o(x), sum_p' delta_p'^o'(x')>
 *     over `positions` patches of `patch_width` values and `channels`
 *     cotangent values per position and logit (pairwise_pack packs them).
 * The layer picks the form from its costs for k logits (`full`: per (x, o)
 * rows), so plan (ntk_layer_cost) and the kernel agree. The kernel lends
 * jacobian_block `scratch_doubles` of scratch (and the pairwise form's tiles
 * as much). */
/* A rectangle of a pairwise layer's weights: output channels [channel_first,
 * channel_first + channels) times patch columns [depth_first, depth_first +
 * depth). */
typedef struct {
    int64_t channel_first, channels, depth_first, depth;
} ntk_pairwise_part;

typedef struct {
    int64_t cotangent_width, input_width;
    int64_t block_width, scratch_doubles;
    int64_t block_rows, block_row_width;
    int pairwise;
    int64_t positions, patch_width, channels;
} ntk_structured_term;

/* Infinite-width recursion state for one pair (x, x') (ntk parameterisation):
 * the second moments of the current layer's values, the NTK so far, and the
 * derivative factor the next layer with parameters multiplies it by. */
typedef struct {
    double k11, k12, k22; /* <a(x),a(x)>, <a(x),a(x')>, <a(x'),a(x')>, divided by `normaliser` */
    double normaliser;    /* the input dimension on the raw input, 1 after a layer */
    double theta;         /* cross entry of the NTK so far */
    double derivative;    /* E[phi'(u) phi'(v)] since the last layer with parameters; 1 if none */
    int has_theta;        /* a layer with parameters has been applied */
    int is_gaussian;      /* k are the covariance of a Gaussian (after a layer with parameters) */
    int same_input;       /* x == x': only the cross entry is evaluated */
    int only_layer;       /* 0: the whole NTK; l: only layer l's own term (Theta_l) */
    int layers_seen;      /* layers with parameters applied so far */
} ntk_analytic_state;

typedef struct {
    double phi, phi_prime; /* E[phi(u) phi(v)], E[phi'(u) phi'(v)] */
} ntk_moments;

/* The spatial infinite-width state of one pair (x, x') (docs/analytic-conv.md;
 * neural-tangents' stax, ntk parameterisation): the cross covariance of the
 * current values and the NTK so far, over pairs of positions (p of x, p' of
 * x'), each a mean over channels (all channels of a layer share it).
 *   DIAGONAL: only p == p', `positions` values;
 *   FULL:     every pair, positions x positions, [p * positions + p'].
 * Flat values (after a dense or global_avg_pool layer, or flat inputs) are
 * one position, where both forms agree. Which form each layer's input has is
 * decided from the layers after it (analytic_input_form): pooling needs all
 * pairs of its input, a net ending in flatten only matching positions. */
typedef enum { NTK_ANALYTIC_DIAGONAL = 0, NTK_ANALYTIC_FULL = 1 } ntk_analytic_form;

/* An elementwise map of a full state's rows that a window map may apply
 * to its output rows while they are in cache, instead of writing its whole
 * output for the next layer to read back (kernel/analytic_spatial.c fuses
 * an activation into the conv before it: model/activation.h,
 * ntk_activation_row_map). apply: next_sigma/next_theta (rows ld_out apart)
 * from sigma/theta (rows ld apart), `rows` rows of n: the rows of positions
 * p, p + 1, .. of x against positions first .. first + n - 1 of x';
 * row_sigma/row_theta: `capacity` doubles each where the window map may
 * write such rows first. */
typedef struct ntk_spatial_row_map {
    void (*apply)(const struct ntk_spatial_row_map *map, int64_t p, int64_t rows, int64_t first,
                  int64_t n, const double *sigma, const double *theta, int64_t ld,
                  double *next_sigma, double *next_theta, int64_t ld_out);
    const void *context; /* the map's own data */
    double *row_sigma, *row_theta;
    int64_t capacity;
    /* > 1: the window map also sums the map's output in groups of
     * pool_columns x pool_columns positions (x of x, x of x') before it
     * writes it, for the avg_pool after the map (its column taps: the
     * layer's analytic_column_groups); out_sigma/out_theta hold the map's
     * output rows meanwhile (`capacity` doubles each). */
    int64_t pool_columns;
    double *out_sigma, *out_theta;
} ntk_spatial_row_map;

typedef struct {
    int64_t positions;        /* of the current values */
    ntk_analytic_form form;   /* of the current values */
    ntk_analytic_form out_form; /* the form the layer being applied must produce */
    const double *sigma, *theta; /* current cross NNGP and NTK (theta unset before has_theta) */
    double *next_sigma, *next_theta; /* where the map writes its output (the driver swaps) */
    /* An activation's Gaussian: per-position variances of x and of x' (the
     * per-input statistics, computed once per input). */
    const double *variance_1, *variance_2;
    /* and their square roots and the inverses of those, for the
     * activations' rows (ntk_gaussian_rows; set per pair by the driver) */
    const double *deviation_1, *deviation_2, *inverse_deviation_1, *inverse_deviation_2;
    /* Lent to the window maps of a full state: 8 w^2 doubles for input
     * rows w positions wide, two blocks of up to 2w x 2w (conv's blocks
     * with a border of zeros; analytic_spatial_plan_make sizes it). */
    double *scratch;
    /* Per-layer kernels (diagnostics.per_layer): the NTK followed is one
     * layer's contribution, so a layer with parameters other than that one
     * adds no Sigma' of its own (its Theta' is the propagated part only). */
    int theta_skips_sigma;
    int has_theta;   /* a layer with parameters has been applied */
    int is_gaussian; /* values are a Gaussian's (a layer with parameters, then linear maps) */
    /* The next layer's map, for a map that can apply it to its output rows
     * as it writes them (NULL: none offered); such a map sets
     * row_map_applied, and the driver then skips that layer. */
    const ntk_spatial_row_map *row_map;
    int row_map_applied;
    /* > 1: the current state's columns are already summed in groups of
     * this many (a row map's pool_columns), so it holds rows of h x w / g
     * positions: the avg_pool that reads it sums only its rows. */
    int64_t columns_pooled;
} ntk_spatial_state;

/* What the kernel module lends the maps: the scales and the Gaussian
 * expectations of an activation (kernel/analytic_expectation.c: its closed
 * form if it has one, else quadrature). */
typedef struct {
    double w_std, b_std;
    int quadrature_order;
    /* `parameter`: the activation's (model/activation.h), from its layer */
    ntk_moments (*expect)(ntk_activation act, const double *parameter, double s11, double s12,
                          double s22, int order);
} ntk_analytic_context;

/* The Jacobian block of a layer (jacobian_block): `rows` rows of `row_width`
 * parameters each (rows x row_width = its weights and bias slots), and the
 * scratch jacobian_block is lent for k logits: scratch_doubles +
 * k scratch_per_logit (callers zero the struct first: a layer that needs
 * nothing per logit leaves it unset). */
typedef struct {
    int64_t rows, row_width;
    int64_t scratch_doubles, scratch_per_logit;
} ntk_block_shape;

/* The scratch jacobian_block is lent for k logits. */
static inline int64_t ntk_block_scratch_doubles(const ntk_block_shape *shape, int k)
{
    return shape->scratch_doubles + (int64_t)k * shape->scratch_per_logit;
}

/* Costs of one layer, per input unless stated. */
typedef struct {
    double forward_flops;        /* multiply-adds of the batched forward pass */
    double backward_flops;       /* multiply-adds per cotangent row (x, o) of the backward pass */
    double feature_doubles;      /* batched-pass buffers this layer adds (values, cotangents, saved) */
    double pass_scratch_doubles; /* the most scratch its batched passes allocate while they run
                                  * (conv: patch matrices, bounded), not per input */
    double pass_scratch_per_input; /* and per input of a batch, when less than that
                                    * (0: the bound whatever the batch) */
    double packed_doubles;       /* structured kernel: its part of an input's feature vector */
    double tile_flops_per_pair;  /* structured kernel: flops per Theta entry (trace: per input pair) */
    int64_t widest;              /* structured full kernels: cotangent panel width */
    double block_flops;          /* structured kernel: multiply-adds of its Jacobian block (conv) */
    const char *structured_form; /* structured kernel: "hadamard", "jacobian block", "pairwise" */
    double block_pair_flops, pairwise_pair_flops; /* conv: both forms' flops per Theta entry */
    double analytic_pair_flops;  /* infinite-width scalar map, per input pair */
    /* matrix-free products (param_vjp + param_jvp): their multiply-adds per
     * input and parameter buffer, the width of the scratch the operator lends
     * them (per input), and the scratch they allocate per call (conv: patch
     * matrices): per input, and at most whatever the batch. */
    double product_flops;
    int64_t product_width;
    double product_scratch_doubles, product_scratch_limit;
    /* forward_single / backward_single: the depth of their SGEMMs (terms
     * per product entry), which the float32 error statement counts, and
     * jacobian_block_single's (0: none); the float scratch they need: per
     * unit of inputs and fixed (model/single_passes.h) */
    int64_t single_forward_depth, single_backward_depth, single_block_depth;
    int64_t single_scratch_per_unit, single_scratch_floats;
} ntk_layer_cost;

struct ntk_layer_ops {
    const char *name;     /* its key in model.layers: {dense: 256}, relu */
    /* An activation's own table (model/activation.h), NULL for other types. */
    const struct ntk_activation_ops *activation;
    int bare;             /* may be written as the bare name (activations) */
    const ntk_layer_option *options;
    int n_options;
    int in_place;         /* forward and backward may run with out == in */

    /* Output shape from input shape; nonzero with a reason (no location) in
     * `why` when the sizes do not fit (int64 products, BLAS int dimensions). */
    int (*infer)(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                 size_t why_size);

    /* --- parameters (NULL for layers without) --- */
    void (*tensors)(const ntk_layer *layer, ntk_tensor_shape *weight, ntk_tensor_shape *bias);
    int64_t (*fan_in)(const ntk_layer *layer);

    /* --- batched pass, `count` inputs ---
     * forward: out = layer(in); `saved` (saved_doubles per input) keeps what
     * backward needs. backward: cotangents of the input from those of the
     * output, count * k rows. */
    int64_t (*saved_doubles)(const ntk_layer *layer);
    void (*forward)(const ntk_layer *layer, const struct ntk_model *model, const double *in,
                    int64_t count, double *out, double *saved);
    void (*backward)(const ntk_layer *layer, const struct ntk_model *model, const double *cot_out,
                     int64_t count, int k, const double *saved, double *cot_in);
    /* The same passes with the layer's GEMMs in float32 (kernel.precision
     * float32 and mixed, model/single_passes.h): the values in and out stay
     * double, the GEMM operands are rounded to float, one SGEMM per unit of
     * inputs (`pass`). NULL: the float64 forward/backward runs. */
    void (*forward_single)(const ntk_layer *layer, const struct ntk_model *model,
                           const struct ntk_single_passes *pass, const double *in, int64_t count,
                           double *out, double *saved);
    void (*backward_single)(const ntk_layer *layer, const struct ntk_model *model,
                            const struct ntk_single_passes *pass, const double *cot_out,
                            int64_t count, int k, const double *saved, double *cot_in);
    /* jacobian_block (below) with its GEMM in float32, the pass's scratch
     * for `scratch`; NULL: jacobian_block runs. */
    void (*jacobian_block_single)(const ntk_layer *layer, const struct ntk_model *model,
                                  const struct ntk_single_passes *pass, const double *in,
                                  const double *cot_out, int k, int64_t first, int64_t rows,
                                  double *block);

    /* --- one input, plain loops (the independent Jacobian path) --- */
    void (*forward_one)(const ntk_layer *layer, const struct ntk_model *model, const double *in,
                        double *out, double *saved);
    void (*backward_one)(const ntk_layer *layer, const struct ntk_model *model,
                         const double *cot_out, const double *saved, double *cot_in);
    /* Entries [begin, end) of the layer's own parameters (weights, then bias)
     * of df_o/dp for one input `in` and its output cotangent row `cot_out`. */
    void (*jacobian_one)(const ntk_layer *layer, const struct ntk_model *model, const double *in,
                         const double *cot_out, int64_t begin, int64_t end, double *row);

    /* --- kernels --- */
    void (*structured_term)(const ntk_layer *layer, int k, int full, ntk_structured_term *term);
    /* The packed features of one input for the pairwise form
     * (structured_term's pairwise): positions x patch_width patches, then the
     * cotangents position-major (positions x k x channels), then the k x
     * channels sums over positions scaled by the bias scale (zeros without
     * biases). `part` NULL: all of it; else one parameter chunk of the
     * structured kernel (kernel.h): its patch columns, its channels' cotangents
     * and sums (zeros unless its columns start at 0), with `scratch` (positions
     * x patch_width doubles) lent for the whole patches. */
    void (*pairwise_pack)(const ntk_layer *layer, const struct ntk_model *model, const double *in,
                          const double *cot_out, int k, const ntk_pairwise_part *part,
                          double *scratch, double *packed);
    /* Rows [first, first + rows) of the Jacobian block of one input
     * (structured_term's block_width > 0), w = rows x block_row_width values
     * per logit: block[o * w + e] = d f_o / d p_e for those rows' parameters p
     * (their weights, then their biases; scales included, zero biases when
     * the layer has none), from its input `in` and the k cotangent rows of
     * its output `cot_out`. All rows: the whole block, weights then biases,
     * i.e. the layer's weight tensor then its bias tensor in torch layout.
     * A layer that has it can take the generic matrix-free products
     * (ntk_layer_param_vjp_by_block below) instead of writing its own. */
    void (*jacobian_block)(const ntk_layer *layer, const struct ntk_model *model, const double *in,
                           const double *cot_out, int k, int64_t first, int64_t rows,
                           double *scratch, double *block);
    /* The whole block's shape whatever structured form the layer picks for
     * the kernel (required with jacobian_block). */
    void (*block_shape)(const ntk_layer *layer, ntk_block_shape *shape);
    /* Apply the layer's infinite-width map; nonzero when the state does not
     * allow it (e.g. an activation on the raw input). */
    int (*analytic)(const ntk_layer_spec *layer, const ntk_analytic_context *context,
                    ntk_analytic_state *state);
    /* The spatial map (ntk_spatial_state): read state->sigma/theta in
     * state->form, write next_sigma/next_theta in state->out_form and set
     * positions, has_theta and is_gaussian; nonzero when the state does not
     * allow it (an activation of values that are not Gaussian). The form
     * its input must have when its output must have `output_form`: NULL
     * means the same (elementwise and convolution maps). Its floating-point
     * work per pair in those forms, `positions` those of its input state. */
    int (*analytic_spatial)(const ntk_layer *layer, const ntk_analytic_context *context,
                            ntk_spatial_state *state);
    ntk_analytic_form (*analytic_input_form)(const ntk_layer *layer, ntk_analytic_form output_form);
    /* Optional: g > 1 when the layer's map of a full state can read its
     * input with the columns already summed in groups of g (columns_pooled:
     * an avg_pool whose column taps are disjoint groups, window = stride, no
     * padding); NULL or 1: it reads whole states only. */
    int64_t (*analytic_column_groups)(const ntk_layer *layer);
    double (*analytic_spatial_flops)(const ntk_layer *layer, int64_t positions,
                                     ntk_analytic_form input_form, ntk_analytic_form output_form,
                                     int quadrature_order);

    /* --- matrix-free products with the Jacobian (spectrum/parpack/matrix_free_operator.c);
     * NULL: spectrum.solver matrix_free is refused naming the layer ---
     * For `count` inputs with the layer's input `in` (count x in.size) and
     * its output cotangents `cot_out` (count x k x out.size, as in the
     * batched backward pass), and the layer's own parameters (weights, then
     * bias) as one segment:
     *   param_vjp: grad += sum_{x,o} weight[x k + o] d f_o(x) / d theta
     *   param_jvp: out[x k + o] += sum_p d f_o(x) / d theta_p direction[p]
     * `scratch` holds count x out.size doubles; a layer that needs more (conv:
     * its inputs' patch matrices) allocates it, so both can fail
     * (NTK_ERR_MEMORY) and return a status. */
    ntk_status (*param_vjp)(const ntk_layer *layer, const struct ntk_model *model,
                            const double *in, const double *cot_out, int64_t count, int k,
                            const double *weight, double *scratch, double *grad);
    ntk_status (*param_jvp)(const ntk_layer *layer, const struct ntk_model *model,
                            const double *in, const double *cot_out, int64_t count, int k,
                            const double *direction, double *scratch, double *out);

    /* --- costs (k logits; full: per-(x,o) rows) --- */
    void (*cost)(const ntk_layer *layer, int k, int full, int quadrature_order,
                 ntk_layer_cost *cost);

    /* A branch layer's role (model/branch.h): the residual and parallel
     * blocks of model.layers are read into the flat list with these
     * structural layers, which the passes run themselves (not through
     * forward/backward). NTK_BRANCH_NONE for every other type. */
    ntk_branch_role branch;
    /* --- normalisation layers (layer_norm, batch_norm) ---
     * affine: its weight and bias are torch's affine gamma and beta, one per
     * channel. They enter as written in both parameterisations (c = s = 1:
     * a per-channel scale has fan-in 1 and nothing to normalise), a seeded
     * model starts them at torch's values (gamma = 1, beta = 0), and the
     * layer has its bias whatever model.b_std says (docs/layers.md). */
    int affine;
    /* Buffers: tensors of a weights file that are no parameters
     * (batch_norm's running statistics), "<name>.<buffer_names[b]>", each
     * buffer_size(layer) values, buffer_defaults[b] in a seeded model; the
     * model keeps them one after the other in model->buffer[l]. */
    int n_buffers;
    const char *const *buffer_names;
    const double *buffer_defaults;
    int64_t (*buffer_size)(const ntk_layer *layer);
    /* The spatial infinite-width map reads the variances of x and x' at
     * every position (ntk_spatial_state variance_1, variance_2), as
     * activations do (layer_norm). */
    int analytic_needs_variances;
};

/* Buffers of one layer at most (model->buffer[l] holds them all). */
enum { NTK_LAYER_MAX_BUFFERS = 4 };

/* Positions of a value of `shape`: H W, L, or 1 for flat values. */
static inline int64_t ntk_layer_positions(const ntk_shape *shape)
{
    return shape->rank == 1 ? 1 : shape->size / shape->dim[shape->rank - 1];
}

/* The registry: every layer type, by name. */
const ntk_layer_ops *ntk_layer_find(const char *name);
int ntk_layer_type_count(void);
const ntk_layer_ops *ntk_layer_type(int index);

/* The dense layer type (src/model/layers/dense.c), which the dense summary
 * of a job (job.h) builds on; the built-in activations' types are named in
 * model/activation.h. Every other type is known only to the registry. */
extern const ntk_layer_ops ntk_layer_dense;

static inline int ntk_layer_has_parameters(const ntk_layer_ops *ops) { return ops->tensors != NULL; }

/* Shapes of every layer for inputs of shape `input`, every size checked:
 * output shapes, that the parameter count, the cotangents (k per input) and
 * the byte sizes fit in int64. 0 when they do; otherwise nonzero with
 * *bad_layer (index in `list`, or -1 for the whole model) and a reason. */
int model_check_sizes(const ntk_layer_spec *list, int count, const ntk_shape *input,
                      int *bad_layer, char *why, size_t why_size);

/* The key path of layer i of `list` for messages: "model.layers[2].dense"
 * (a type with options) or "model.layers[1]". */
const char *model_layer_key(const ntk_layer_spec *list, int i, char *buffer, size_t size);

/* Ops a type may share instead of writing its own (layers/per_input.c):
 *   saves_nothing:       saved_doubles of a type whose backward needs nothing
 *                        from its forward pass (linear in its input);
 *   forward_per_input,
 *   backward_per_row:    batched passes that run the type's forward_one per
 *                        input and backward_one per (x, o) row, for a type
 *                        that saves nothing and whose share of a network's
 *                        work does not pay for a batched form (pooling,
 *                        flatten), or as the fallback of one that has it. */
int64_t ntk_layer_saves_nothing(const ntk_layer *layer);
void ntk_layer_forward_per_input(const ntk_layer *layer, const struct ntk_model *model,
                                 const double *in, int64_t count, double *out, double *saved);
void ntk_layer_backward_per_row(const ntk_layer *layer, const struct ntk_model *model,
                                const double *cot_out, int64_t count, int k, const double *saved,
                                double *cot_in);

/* Matrix-free products for any layer with jacobian_block (layers/block_products.c),
 * to put in its table as param_vjp / param_jvp: per input, the whole block
 * (k x its parameters) from jacobian_block, then grad += block^T weight(x)
 * and out(x) += block direction over the layer's own parameters (the bias
 * slots only when it has biases). They allocate the block and
 * jacobian_block's scratch (NTK_ERR_MEMORY) and leave `scratch` alone.
 * ntk_layer_block_products_cost fills the product_* costs from
 * `block_flops`, jacobian_block's multiply-adds for one input and k logits.
 * A hand-written pair (dense, conv) stays where it is faster; the generic one
 * is their cross-check (tests/model). */
ntk_status ntk_layer_param_vjp_by_block(const ntk_layer *layer, const struct ntk_model *model,
                                        const double *in, const double *cot_out, int64_t count,
                                        int k, const double *weight, double *scratch,
                                        double *grad);
ntk_status ntk_layer_param_jvp_by_block(const ntk_layer *layer, const struct ntk_model *model,
                                        const double *in, const double *cot_out, int64_t count,
                                        int k, const double *direction, double *scratch,
                                        double *out);
void ntk_layer_block_products_cost(const ntk_layer *layer, int k, double block_flops,
                                   ntk_layer_cost *cost);

/* The activation layer type of `act`, and an activation's name. */
const ntk_layer_ops *ntk_layer_of_activation(ntk_activation act);
const char *ntk_activation_name(ntk_activation act);

#endif
