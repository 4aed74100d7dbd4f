/* Stop signals as a flag read at safe points (see signals.h). */
#include "core/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t signal_received = 0;
static struct sigaction previous_usr1, previous_term, previous_int;
static int installed = 0;

static void on_stop_signal(int signal_number)
{
    /* Async-signal-safe: only record it; the assembly acts at its next step. */
    signal_received = signal_number;
}

ntk_status checkpoint_signals_install(void)
{
    if (installed)
        return NTK_OK;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: a signal during a read or an MPI wait must not turn into EINTR
     * failures elsewhere in the program. */
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGUSR1, &action, &previous_usr1) != 0 ||
        sigaction(SIGTERM, &action, &previous_term) != 0 ||
        sigaction(SIGINT, &action, &previous_int) != 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "cannot install the SIGUSR1/SIGTERM/SIGINT handlers: %s",
                         strerror(errno));
    installed = 1;
    /* A stop asked for before this process existed: slurm/ntkgram.sbatch
     * got Slurm's warning before the job step started, when a signal sent
     * to the step could land before any handler and kill it. */
    const char *pending = getenv("NTK_STOP_SIGNAL");
    if (pending != NULL && pending[0] != '\0') {
        if (strcmp(pending, "USR1") == 0)
            signal_received = SIGUSR1;
        else if (strcmp(pending, "TERM") == 0)
            signal_received = SIGTERM;
        else
            return NTK_RAISE(NTK_ERR_USAGE,
                             "environment variable NTK_STOP_SIGNAL: expected USR1 or TERM, got '%s'",
                             pending);
    }
    return NTK_OK;
}

void checkpoint_signals_restore(void)
{
    if (!installed)
        return;
    sigaction(SIGUSR1, &previous_usr1, NULL);
    sigaction(SIGTERM, &previous_term, NULL);
    sigaction(SIGINT, &previous_int, NULL);
    installed = 0;
    /* Tests that raise a signal and then carry on start clean. */
    signal_received = 0;
}

int checkpoint_signal_pending(void) { return (int)signal_received; }

const char *checkpoint_signal_name(int signal_number)
{
    static char other[32];
    if (signal_number == SIGUSR1)
        return "SIGUSR1";
    if (signal_number == SIGTERM)
        return "SIGTERM";
    if (signal_number == SIGINT)
        return "SIGINT";
    snprintf(other, sizeof other, "signal %d", signal_number);
    return other;
}

/* Testing aid (signals.h): hold a stop point open for a while, so that a test
 * can send a real signal while the run is there. */
void checkpoint_test_pause(const char *where)
{
    const char *match = getenv("NTK_TEST_PAUSE_AT");
    const char *seconds_text = getenv("NTK_TEST_PAUSE_SECONDS");
    if (match == NULL || match[0] == '\0' || strstr(where, match) == NULL)
        return;
    double seconds = seconds_text != NULL ? strtod(seconds_text, NULL) : 0.0;
    if (!(seconds > 0.0 && seconds <= 60.0) || checkpoint_signal_pending() != 0)
        return;
    /* Said on stderr, so a test knows the run is there before it signals. */
    fprintf(stderr, "ntkgram: test pause %s\n", where);
    struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL); /* a signal ends it early (EINTR), which is the point */
}

ntk_status checkpoint_stop_point(MPI_Comm comm, const char *where, const char *advice)
{
    checkpoint_test_pause(where);
    int local = checkpoint_signal_pending(), agreed = 0;
    /* MAX: any rank's signal stops every rank; the name shown is the largest
     * signal number seen, the same on all ranks. */
    NTK_MPI(MPI_Allreduce(&local, &agreed, 1, MPI_INT, MPI_MAX, comm));
    if (agreed == 0)
        return NTK_OK;
    return NTK_RAISE(NTK_ERR_INTERRUPTED, "interrupted by signal %s %s; %s",
                     checkpoint_signal_name(agreed), where,
                     advice != NULL ? advice
                                    : "no checkpoint for this phase: rerun the same command to start over");
}

static ntk_status parse_env_integer(const char *name, long long minimum, long long *value,
                                    int *present)
{
    const char *text = getenv(name);
    *present = text != NULL && text[0] != '\0';
    if (!*present)
        return NTK_OK;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || parsed < minimum)
        return NTK_RAISE(NTK_ERR_USAGE, "environment variable %s: expected an integer >= %lld, got '%s'",
                         name, minimum, text);
    *value = parsed;
    return NTK_OK;
}

ntk_status checkpoint_signal_test_from_env(ntk_signal_test *test)
{
    long long step = -1, rank = 0;
    int present = 0;
    test->step = -1;
    test->rank = 0;
    test->step_seconds = 0.0;
    const char *delay = getenv("NTK_TEST_STEP_SECONDS");
    if (delay != NULL && delay[0] != '\0') {
        char *end = NULL;
        double seconds = strtod(delay, &end);
        if (*end != '\0' || !(seconds >= 0.0 && seconds <= 60.0))
            return NTK_RAISE(NTK_ERR_USAGE,
                             "environment variable NTK_TEST_STEP_SECONDS: expected seconds in [0, 60], got '%s'",
                             delay);
        test->step_seconds = seconds;
    }
    NTK_TRY(parse_env_integer("NTK_TEST_SIGNAL_AT_STEP", 1, &step, &present));
    if (!present)
        return NTK_OK;
    NTK_TRY(parse_env_integer("NTK_TEST_SIGNAL_RANK", 0, &rank, &present));
    test->step = (int64_t)step;
    test->rank = (int)rank;
    return NTK_OK;
}
