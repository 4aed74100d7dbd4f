/* Text quoted by doubling its quote character. */
#ifndef NTK_CORE_QUOTED_H
#define NTK_CORE_QUOTED_H

#include <stdio.h>

/* `text` between two `quote` characters, each `quote` inside doubled: a YAML
 * single-quoted scalar (quote '\'') or a CSV field (quote '"'); both formats
 * escape their quote this one way. */
void ntk_write_quoted(FILE *out, const char *text, char quote);

#endif
