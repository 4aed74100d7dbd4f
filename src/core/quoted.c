/* Text quoted by doubling its quote character (see quoted.h). */
#include "core/quoted.h"

void ntk_write_quoted(FILE *out, const char *text, char quote)
{
    fputc(quote, out);
    for (const char *p = text; *p != '\0'; ++p) {
        if (*p == quote)
            fputc(quote, out);
        fputc(*p, out);
    }
    fputc(quote, out);
}
