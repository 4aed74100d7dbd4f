/* Sweep point numbering, values and names (see point.h). */
#include "sweep/point.h"

#include <stdio.h>
#include <string.h>

#include "sweep/sweep.h"

/* The first key of its axis: the keys of one axis (a zip) are consecutive
 * and share their number of values. */
static int first_of_axis(const ntk_sweep_spec *sweep, int key)
{
    return key == 0 || sweep->axis[key - 1] != sweep->axis[key];
}

int64_t sweep_points(const ntk_job *job)
{
    int64_t points = 1;
    for (int key = 0; key < job->sweep.n_keys; ++key)
        if (first_of_axis(&job->sweep, key))
            points *= job->sweep.n_values[key];
    return points;
}

void sweep_point_indices(const ntk_job *job, int64_t point, int index[NTK_MAX_SWEEP_KEYS])
{
    const ntk_sweep_spec *sweep = &job->sweep;
    int axis_index[NTK_MAX_SWEEP_KEYS];
    int64_t rest = point;
    for (int key = sweep->n_keys - 1; key >= 0; --key)
        if (first_of_axis(sweep, key)) {
            axis_index[sweep->axis[key]] = (int)(rest % sweep->n_values[key]);
            rest /= sweep->n_values[key];
        }
    for (int key = 0; key < sweep->n_keys; ++key)
        index[key] = axis_index[sweep->axis[key]];
}

static int name_character_is_safe(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || c == '+' || c == '=' || c == ',';
}

/* FNV-1a, 64 bits: stable across runs and machines. */
static uint64_t name_hash(const char *text)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; ++p) {
        hash ^= *p;
        hash *= 1099511628211ULL;
    }
    return hash;
}

void sweep_point_name(const ntk_job *job, int64_t point, char *name, size_t capacity)
{
    int index[NTK_MAX_SWEEP_KEYS];
    sweep_point_indices(job, point, index);
    /* Keys and values are shorter than NTK_SWEEP_KEY_MAX and
     * NTK_SWEEP_VALUE_MAX, so this always fits. */
    char full[NTK_MAX_SWEEP_KEYS * (NTK_SWEEP_KEY_MAX + NTK_SWEEP_VALUE_MAX + 2)];
    char exact[sizeof full];
    size_t length = 0;
    full[0] = '\0';
    int values_changed = 0;
    for (int key = 0; key < job->sweep.n_keys; ++key) {
        const char *value = job->sweep.value[key][index[key]];
        for (const char *p = value; *p != '\0'; ++p)
            values_changed |= !name_character_is_safe(*p);
        length += (size_t)snprintf(full + length, sizeof full - length, "%s%s=%s",
                                   key > 0 ? "," : "", job->sweep.key[key], value);
    }
    memcpy(exact, full, length + 1);
    for (size_t i = 0; i < length; ++i)
        if (!name_character_is_safe(full[i]))
            full[i] = '_';
    /* Replacing characters of a value can map two values to one name
     * (npy/a.npy and npy_a.npy): such names end in a hash of the exact text.
     * Names of values that needed no replacing contain no '~', so the two
     * kinds never meet. Key paths are the job's own keys, which differ in
     * their letters, not only in brackets. */
    if (!values_changed && length <= SWEEP_NAME_MAX) {
        snprintf(name, capacity, "%s", full);
        return;
    }
    const int keep = length + 17 <= SWEEP_NAME_MAX ? (int)length : SWEEP_NAME_MAX - 17;
    snprintf(name, capacity, "%.*s~%016llx", keep, full, (unsigned long long)name_hash(exact));
}

ntk_status sweep_point_overrides(const ntk_job *job, int64_t point, ntk_override *overrides,
                                 int *count)
{
    int index[NTK_MAX_SWEEP_KEYS];
    sweep_point_indices(job, point, index);
    for (int key = 0; key < job->sweep.n_keys; ++key) {
        if (*count >= NTK_MAX_OVERRIDES)
            return NTK_RAISE(NTK_ERR_USAGE,
                             "too many overrides: --set options plus sweep keys exceed %d",
                             NTK_MAX_OVERRIDES);
        ntk_override *entry = &overrides[(*count)++];
        snprintf(entry->key, sizeof entry->key, "%s", job->sweep.key[key]);
        snprintf(entry->value, sizeof entry->value, "%s", job->sweep.value[key][index[key]]);
        entry->line = job->sweep.value_line[key][index[key]];
        entry->column = job->sweep.value_column[key][index[key]];
    }
    return NTK_OK;
}
