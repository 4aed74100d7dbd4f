/* The kernel section's keys (kernel/kernel_config.h). */
#include "kernel/kernel_config.h"

static const ntk_choice kind_entries[] = {
    {"empirical", NTK_KIND_EMPIRICAL},
    {"analytic", NTK_KIND_ANALYTIC},
};
const ntk_choice_table kernel_kind_names = NTK_CHOICE_TABLE(kind_entries);

static const ntk_choice method_entries[] = {
    {"auto", NTK_METHOD_AUTO},
    {"structured", NTK_METHOD_STRUCTURED},
    {"jacobian", NTK_METHOD_JACOBIAN},
};
const ntk_choice_table kernel_method_names = NTK_CHOICE_TABLE(method_entries);

static const ntk_choice outputs_entries[] = {
    {"trace", NTK_OUTPUTS_TRACE},
    {"full", NTK_OUTPUTS_FULL},
};
const ntk_choice_table kernel_outputs_names = NTK_CHOICE_TABLE(outputs_entries);

static const ntk_choice precision_entries[] = {
    {"float64", NTK_PRECISION_FLOAT64},
    {"float32", NTK_PRECISION_FLOAT32},
    {"mixed", NTK_PRECISION_MIXED},
};
const ntk_choice_table kernel_precision_names = NTK_CHOICE_TABLE(precision_entries);

static const ntk_config_key kernel_keys[] = {
    {"kind", NTK_KEY_CHOICE, "empirical", 0, 0, 0, &kernel_kind_names, "the finite network's empirical NTK, or the infinite-width NTK of the same description",
     NTK_FIELD(ntk_kernel_spec, kind), .flags = NTK_KEY_HASH},
    {"method", NTK_KEY_CHOICE, "auto", 0, 0, 0, &kernel_method_names, "structured: per-layer products of Gram matrices (auto); jacobian: explicit Jacobian chunks",
     NTK_FIELD(ntk_kernel_spec, method), .flags = NTK_KEY_HASH},
    {"outputs", NTK_KEY_CHOICE, "trace", 0, 0, 0, &kernel_outputs_names, "trace: N x N, the mean over the k outputs; full: Nk x Nk",
     NTK_FIELD(ntk_kernel_spec, outputs), .flags = NTK_KEY_HASH},
    {"nngp", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "analytic kernel only: also compute and write the NNGP kernel",
     NTK_FIELD(ntk_kernel_spec, nngp)},
    {"compare_analytic", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "empirical kernel only: also the analytic kernel, reported as analytic_distance",
     NTK_FIELD(ntk_kernel_spec, compare_analytic)},
    {"quadrature_order", NTK_KEY_INT, "32", NTK_KEY_AT_LEAST | NTK_KEY_AT_MOST, 2, 256, NULL, "analytic kernel with an activation without closed form (tanh, gelu, sigmoid, softplus, silu, elu): Gauss-Hermite points per axis",
     NTK_FIELD(ntk_kernel_spec, quadrature_order), .flags = NTK_KEY_HASH},
    /* The jacobian chunk and the structured chunk budget change the
     * summation order, so the bits of Theta: both are hashed. */
    {"jacobian_chunk", NTK_KEY_INT, "8192", NTK_KEY_AT_LEAST, 1, 0, NULL, "jacobian method: parameters per chunk",
     NTK_FIELD(ntk_kernel_spec, jacobian_chunk), .flags = NTK_KEY_HASH},
    {"chunk_mib", NTK_KEY_INT, NTK_DEFAULT_TEXT(NTK_DEFAULT_CHUNK_MIB), NTK_KEY_AT_LEAST | NTK_KEY_AT_MOST, 1, 1 << 30, NULL, "structured method: memory per rank (MiB) of the assembly stage (packed features, one forward/backward batch, tiles); conv Jacobian blocks that do not fit are assembled in chunks",
     NTK_FIELD(ntk_kernel_spec, chunk_mib), .flags = NTK_KEY_HASH, .note = "MiB"},
    /* Not flagged NTK_KEY_HASH: job_hash adds it only when it is not float64,
     * so the hash of every float64 job (checkpoints, sweep folders) stays;
     * echoed only when not float64, so their summaries stay too. */
    {"precision", NTK_KEY_CHOICE, "float64", 0, 0, 0, &kernel_precision_names, "mixed: float32 features and products, float64 sums and Theta; float32: Theta in float32 too (docs/precision.md)",
     NTK_FIELD(ntk_kernel_spec, precision), .flags = NTK_KEY_ECHO_IF_SET},
};

const ntk_config_section kernel_section =
    NTK_CONFIG_SECTION("kernel", "which kernel is computed and how", kernel_keys);
