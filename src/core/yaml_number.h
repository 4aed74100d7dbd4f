/* Numbers written into YAML so that every reader sees numbers.
 *
 * YAML 1.1 readers (PyYAML's safe_load) take a float only with a '.' in the
 * mantissa and a signed exponent: "1e-10" and "1e+20" are strings to them,
 * "1.0e-10" and "1.0e+20" are floats. Non-finite values are .nan, .inf and
 * -.inf. Every YAML file ntkgram writes (summary.yaml and its job echo, plan
 * --yaml, a sweep point's identity) formats its floats here. */
#ifndef NTK_CORE_YAML_NUMBER_H
#define NTK_CORE_YAML_NUMBER_H

#include <stddef.h>
#include <stdio.h>

/* Enough for any double in any of the forms below, with the NUL. */
enum { NTK_YAML_NUMBER_MAX = 40 };

/* `value` as a YAML float into `buffer` (at least NTK_YAML_NUMBER_MAX bytes).
 * digits 0: the shortest decimal text that reads back to exactly `value`
 * (at most 17 significant digits), for values echoed and read again;
 * digits 1..17: %.{digits}g precision, for estimates. Returns `buffer`. */
const char *ntk_yaml_format_double(char *buffer, size_t size, double value, int digits);

/* The same, written to `out`. */
void ntk_yaml_write_double(FILE *out, double value, int digits);

#endif
