/* The name tables of the job enums (see job_enum_names.h). */
#include "job/job_enum_names.h"

#include "job/job.h"
#include "model/layer.h"

#define JOB_ENUM_TABLE(entries) {(entries), (int)(sizeof(entries) / sizeof((entries)[0]))}

static const job_enum_entry parameterization_entries[] = {
    {"ntk", NTK_PARAM_NTK},
    {"standard", NTK_PARAM_STANDARD},
};
const job_enum_table job_parameterization_names = JOB_ENUM_TABLE(parameterization_entries);

/* Inputs take gaussian and sphere, targets gaussian and sine (the parser
 * passes which ones through its `allowed` mask). */
static const job_enum_entry synthetic_entries[] = {
    {"gaussian", NTK_SYNTH_GAUSSIAN},
    {"sphere", NTK_SYNTH_SPHERE},
    {"sine", NTK_SYNTH_SINE},
};
const job_enum_table job_synthetic_names = JOB_ENUM_TABLE(synthetic_entries);

static const job_enum_entry kernel_kind_entries[] = {
    {"empirical", NTK_KIND_EMPIRICAL},
    {"analytic", NTK_KIND_ANALYTIC},
};
const job_enum_table job_kernel_kind_names = JOB_ENUM_TABLE(kernel_kind_entries);

static const job_enum_entry kernel_method_entries[] = {
    {"auto", NTK_METHOD_AUTO},
    {"structured", NTK_METHOD_STRUCTURED},
    {"jacobian", NTK_METHOD_JACOBIAN},
};
const job_enum_table job_kernel_method_names = JOB_ENUM_TABLE(kernel_method_entries);

static const job_enum_entry kernel_outputs_entries[] = {
    {"trace", NTK_OUTPUTS_TRACE},
    {"full", NTK_OUTPUTS_FULL},
};
const job_enum_table job_kernel_outputs_names = JOB_ENUM_TABLE(kernel_outputs_entries);

static const job_enum_entry solver_entries[] = {
    {"auto", NTK_SOLVER_AUTO},
    {"pdsyevd", NTK_SOLVER_PDSYEVD},
    {"pdsyevr", NTK_SOLVER_PDSYEVR},
    {"none", NTK_SOLVER_NONE},
    {"matrix_free", NTK_SOLVER_MATRIX_FREE},
    {"elpa", NTK_SOLVER_ELPA},
    {"elpa1", NTK_SOLVER_ELPA1},
    {"lapack", NTK_SOLVER_LAPACK},
};
const job_enum_table job_solver_names = JOB_ENUM_TABLE(solver_entries);

static const job_enum_entry features_entries[] = {
    {"auto", NTK_FEATURES_AUTO},
    {"stored", NTK_FEATURES_STORED},
    {"recompute", NTK_FEATURES_RECOMPUTE},
};
const job_enum_table job_features_names = JOB_ENUM_TABLE(features_entries);

static const job_enum_entry pair_check_entries[] = {
    {"auto", NTK_PAIR_CHECK_AUTO},
    {"exact", NTK_PAIR_CHECK_EXACT},
    {"probes", NTK_PAIR_CHECK_PROBES},
};
const job_enum_table job_pair_check_names = JOB_ENUM_TABLE(pair_check_entries);

const char *job_enum_name(const job_enum_table *table, int value)
{
    for (int i = 0; i < table->count; ++i)
        if (table->entries[i].value == value)
            return table->entries[i].name;
    return "unknown";
}

/* The activations' one name table is the layer registry's (model/layer.h). */
const char *job_activation_name(ntk_activation act) { return ntk_activation_name(act); }

const char *job_solver_name(ntk_solver solver)
{
    return job_enum_name(&job_solver_names, (int)solver);
}
