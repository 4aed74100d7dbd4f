/* The ntkgram subcommands. Each takes the arguments after its name and
 * returns a process exit code (ntk_exit_code of its status). MPI is
 * initialised by main() before any of them runs. */
#ifndef NTK_CLI_COMMANDS_H
#define NTK_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);      /* ntkgram run JOB.yaml [...] */
int cmd_validate(int argc, char **argv); /* ntkgram validate JOB.yaml [...] */
int cmd_plan(int argc, char **argv);     /* ntkgram plan JOB.yaml [...] */

/* Common options of run/validate/plan: --set (repeatable), --out, --point,
 * --quiet, --verbose. Unknown options are a usage error. */
#include "job/job.h"
typedef struct {
    const char *job_path;
    ntk_override overrides[NTK_MAX_OVERRIDES];
    int n_overrides;
    const char *out_dir;      /* --out DIR, NULL when not given */
    long point;               /* --point I, -1 when not given */
    int quiet, verbose;
    int ranks;                /* plan: --ranks P, 0 when not given */
    double mem_per_rank;      /* plan: --mem-per-rank SIZE in bytes, 0 when not given */
    int format_yaml;          /* plan: --format yaml */
} ntk_cli_options;

/* Parse the options of a subcommand; `allowed` is a string of the option
 * names this subcommand takes, e.g. "set out point quiet verbose". */
ntk_status cli_parse_options(int argc, char **argv, const char *command, const char *allowed,
                             ntk_cli_options *options);

/* Load the job named by the options (with --set and --out applied). */
ntk_status cli_load_job(const ntk_cli_options *options, ntk_job *job);

#endif
