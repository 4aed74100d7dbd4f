/* One name table per job enum. The parser accepts exactly these names, the
 * summary echo and the job hash write them, and messages and `plan` print
 * them, so a value added to an enum gets its name in one place. Entries are
 * in the order error messages list them ("expected relu, erf, tanh, gelu,
 * identity"), which need not be the order of the enum values. */
#ifndef NTK_JOB_JOB_ENUM_NAMES_H
#define NTK_JOB_JOB_ENUM_NAMES_H

typedef struct {
    const char *name;
    int value;
} job_enum_entry;

typedef struct {
    const job_enum_entry *entries;
    int count;
} job_enum_table;

extern const job_enum_table job_parameterization_names; /* ntk_parameterization */
extern const job_enum_table job_synthetic_names;        /* ntk_synthetic_kind */
extern const job_enum_table job_kernel_kind_names;      /* ntk_kernel_kind */
extern const job_enum_table job_kernel_method_names;    /* ntk_kernel_method */
extern const job_enum_table job_kernel_outputs_names;   /* ntk_kernel_outputs */
extern const job_enum_table job_solver_names;           /* ntk_solver */
extern const job_enum_table job_features_names;         /* ntk_features_mode */
extern const job_enum_table job_pair_check_names;       /* ntk_pair_check */

/* The name of `value`, or "unknown" when the table has none. */
const char *job_enum_name(const job_enum_table *table, int value);

#endif
