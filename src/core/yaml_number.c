/* YAML floats that every reader loads as floats (see yaml_number.h). */
#include "core/yaml_number.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *ntk_yaml_format_double(char *buffer, size_t size, double value, int digits)
{
    /* A NULL or short buffer gets the empty text: no number is cut short. */
    if (buffer == NULL)
        return "";
    if (size < NTK_YAML_NUMBER_MAX) {
        if (size > 0)
            buffer[0] = '\0';
        return buffer;
    }
    if (isnan(value)) {
        snprintf(buffer, size, ".nan");
        return buffer;
    }
    if (isinf(value)) {
        snprintf(buffer, size, "%s", value > 0 ? ".inf" : "-.inf");
        return buffer;
    }
    if (digits <= 0) {
        for (int shortest = 15; shortest <= 17; ++shortest) {
            snprintf(buffer, size, "%.*g", shortest, value);
            if (strtod(buffer, NULL) == value)
                break;
        }
    } else {
        snprintf(buffer, size, "%.*g", digits > 17 ? 17 : digits, value);
    }
    /* %g writes "1e-10", "1e+20" or "3": give the mantissa its '.'. The
     * exponent is always signed in %g's output, as YAML 1.1 wants. */
    if (strchr(buffer, '.') == NULL) {
        char *exponent = strchr(buffer, 'e');
        char tail[16] = "";
        if (exponent != NULL) {
            snprintf(tail, sizeof tail, "%s", exponent);
            *exponent = '\0';
        }
        size_t used = strlen(buffer);
        snprintf(buffer + used, size - used, ".0%s", tail);
    }
    return buffer;
}

void ntk_yaml_write_double(FILE *out, double value, int digits)
{
    char text[NTK_YAML_NUMBER_MAX];
    fputs(ntk_yaml_format_double(text, sizeof text, value, digits), out);
}
