/* The kernel section's configuration. Its keys are described in
 * kernel/kernel_keys.c. */
#ifndef NTK_KERNEL_KERNEL_CONFIG_H
#define NTK_KERNEL_KERNEL_CONFIG_H

#include <stdint.h>

#include "core/config_keys.h"
#include "model/model_config.h"

/* kernel.chunk_mib when the job does not say (0 in a job built in code means this too). */
#define NTK_DEFAULT_CHUNK_MIB 2048

typedef enum { NTK_METHOD_AUTO = 0, NTK_METHOD_STRUCTURED, NTK_METHOD_JACOBIAN } ntk_kernel_method;
typedef enum { NTK_OUTPUTS_TRACE = 0, NTK_OUTPUTS_FULL } ntk_kernel_outputs;
typedef enum { NTK_KIND_EMPIRICAL = 0, NTK_KIND_ANALYTIC } ntk_kernel_kind;
/* kernel.precision (docs/precision.md): float64 everywhere (the default);
 * float32 throughout; mixed: float32 features and products, float64
 * accumulation across layers and Theta stored in float64. */
typedef enum {
    NTK_PRECISION_FLOAT64 = 0,
    NTK_PRECISION_FLOAT32,
    NTK_PRECISION_MIXED
} ntk_kernel_precision;

typedef struct {
    ntk_kernel_kind kind;        /* default empirical */
    ntk_kernel_method method;    /* default auto (= structured) */
    ntk_kernel_outputs outputs;  /* default trace */
    int nngp;                    /* analytic: also the NNGP kernel (nngp.npy); default false */
    int compare_analytic;        /* empirical: also the analytic kernel, report ||Theta - Theta_inf|| / ||Theta_inf||; default false */
    int quadrature_order;        /* analytic, tanh/gelu: Gauss-Hermite points per axis; default 32 */
    int64_t jacobian_chunk;      /* jacobian: parameters per chunk; default 8192 */
    int64_t chunk_mib;           /* structured: packed-feature memory per rank (MiB) above
                                  * which Jacobian blocks are assembled in parameter
                                  * chunks; default NTK_DEFAULT_CHUNK_MIB */
    ntk_kernel_precision precision; /* default float64 */
} ntk_kernel_spec;

/* What an assembly reads of the configuration: the kernel and model
 * sections, and whether Theta is written whole (output.theta). The job
 * reader gives it (job_kernel_config, job/job.h). */
typedef struct {
    const ntk_kernel_spec *kernel;
    const ntk_model_spec *model;
    int write_theta;
    /* 0: Theta. l >= 1: Theta_l, the contribution of layer l's parameters
     * (weights and bias; l counts the layers with parameters), so that
     * Theta = sum_l Theta_l (docs/diagnostics.md, "Per-layer kernels"). */
    int only_layer;
} ntk_kernel_config;

extern const ntk_choice_table kernel_kind_names;    /* ntk_kernel_kind */
extern const ntk_choice_table kernel_method_names;  /* ntk_kernel_method */
extern const ntk_choice_table kernel_outputs_names; /* ntk_kernel_outputs */
extern const ntk_choice_table kernel_precision_names; /* ntk_kernel_precision */
extern const ntk_config_section kernel_section;

#endif
