/* The options of a layer type's syntax (model/layer.h, ntk_layer_option):
 * defaults, and REAL values kept in the int64 option slots. A REAL option is
 * stored as the bits of its double, so the slots copy, compare and hash as
 * they always did and the number comes back exactly. */
#include <string.h>

#include "model/layer.h"

double ntk_option_real(const int64_t *option, int slot)
{
    double value;
    memcpy(&value, &option[slot], sizeof value);
    return value;
}

int64_t ntk_option_from_real(double value)
{
    int64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

void ntk_layer_default_options(const ntk_layer_ops *ops, int64_t *option)
{
    memset(option, 0, NTK_LAYER_MAX_OPTIONS * sizeof *option);
    for (int o = 0; o < ops->n_options; ++o) {
        const ntk_layer_option *spec = &ops->options[o];
        if (spec->kind == NTK_OPTION_REAL) {
            option[spec->slot] = ntk_option_from_real(spec->real_default);
            continue;
        }
        if (spec->kind == NTK_OPTION_BOOL)
            continue; /* 0: the default */
        option[spec->slot] = spec->default_value;
        if (spec->kind == NTK_OPTION_PAIR)
            option[spec->slot + 1] = spec->default_value;
    }
}

int ntk_option_bool(const ntk_layer_option *option, const int64_t *values)
{
    return (values[option->slot] != 0) != (option->default_value != 0);
}

int ntk_option_choice_count(const ntk_layer_option *option)
{
    int n = 0;
    while (option->choices != NULL && option->choices[n] != NULL)
        ++n;
    return n;
}

int ntk_layer_has_bias_option_on(const ntk_layer_ops *ops, const int64_t *option)
{
    for (int o = 0; o < ops->n_options; ++o)
        if (ops->options[o].kind == NTK_OPTION_BOOL && strcmp(ops->options[o].key, "bias") == 0)
            return ntk_option_bool(&ops->options[o], option);
    return 1;
}

int ntk_layer_option_is_default(const ntk_layer_ops *ops, int o, const int64_t *values)
{
    const ntk_layer_option *spec = &ops->options[o];
    const int64_t *slot = &values[spec->slot];
    if (spec->kind == NTK_OPTION_REAL)
        return ntk_option_real(values, spec->slot) == spec->real_default;
    if (spec->kind == NTK_OPTION_BOOL)
        return slot[0] == 0;
    if (spec->kind == NTK_OPTION_PAIR)
        return slot[0] == spec->default_value && slot[1] == spec->default_value;
    return slot[0] == spec->default_value;
}
