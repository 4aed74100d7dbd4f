/* The ntkgram subcommands. Each takes the arguments after its name and
 * returns a process exit code (ntk_exit_code of its status). MPI is
 * initialised by main() before any of them runs. */
#ifndef NTK_CLI_COMMANDS_H
#define NTK_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);      /* ntkgram run JOB.yaml [...] */
int cmd_validate(int argc, char **argv); /* ntkgram validate JOB.yaml [...] */
int cmd_plan(int argc, char **argv);     /* ntkgram plan JOB.yaml [...] */
int cmd_help_keys(int argc, char **argv); /* ntkgram help keys [--format markdown] */

/* Common options of run/validate/plan: --set (repeatable), --out, --point,
 * --quiet, --verbose. Unknown options are a usage error. */
#include "job/job_overrides.h"
typedef struct {
    ntk_job_request request;  /* the job file, --set options and --out */
    long point;               /* --point I, -1 when not given */
    int quiet, verbose;
    int ranks;                /* plan: --ranks P, 0 when not given */
    double mem_per_rank;      /* plan: --mem-per-rank SIZE in bytes, 0 when not given */
    int format_yaml;          /* plan: --format yaml */
    int piece_index, piece_count; /* run: --piece I/K; piece_count 0 when not given */
} ntk_cli_options;

/* Parse the options of a subcommand; `allowed` is a string of the option
 * names this subcommand takes, e.g. "set out point quiet verbose". */
ntk_status cli_parse_options(int argc, char **argv, const char *command, const char *allowed,
                             ntk_cli_options *options);

#endif
