/* A tokenizer over the Python literal of a .npy header dict (see npy_dict.h):
 * quoted strings without escapes (NumPy never writes any), True/False, and
 * tuples of non-negative integers (with the trailing L of Python 2 files). */
#include "format/npy_dict.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

enum { NPY_MAX_DIMS = 32, NPY_STRING_MAX = 64 };

typedef struct {
    const char *path;
    const char *text;
    size_t length;
    size_t at;
} dict_cursor;

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

static ntk_status syntax(const dict_cursor *c, const char *problem)
{
    return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header is not a valid dict: %s at byte %zu of the "
                     "dict", c->path, problem, c->at);
}

static void skip_space(dict_cursor *c)
{
    while (c->at < c->length && (c->text[c->at] == ' ' || c->text[c->at] == '\t' ||
                                 c->text[c->at] == '\n' || c->text[c->at] == '\r'))
        ++c->at;
}

/* The next character, or -1 at the end. */
static int peek(const dict_cursor *c)
{
    return c->at < c->length ? (unsigned char)c->text[c->at] : -1;
}

static ntk_status expect(dict_cursor *c, char wanted, const char *problem)
{
    skip_space(c);
    if (peek(c) != (unsigned char)wanted)
        return syntax(c, problem);
    ++c->at;
    return NTK_OK;
}

/* '...' or "..." into `out`. */
static ntk_status read_string(dict_cursor *c, char *out, size_t capacity)
{
    skip_space(c);
    int quote = peek(c);
    if (quote != '\'' && quote != '"')
        return syntax(c, "expected a quoted string");
    size_t start = ++c->at;
    while (c->at < c->length && c->text[c->at] != quote) {
        char ch = c->text[c->at];
        if (ch == '\\' || ch == '\n' || ch == '\0')
            return syntax(c, "unsupported character in a string");
        ++c->at;
    }
    if (c->at == c->length)
        return syntax(c, "unterminated string");
    size_t length = c->at - start;
    if (length >= capacity)
        return syntax(c, "string too long");
    memcpy(out, c->text + start, length);
    out[length] = '\0';
    ++c->at;
    return NTK_OK;
}

static ntk_status read_bool(dict_cursor *c, int *value)
{
    skip_space(c);
    const char *at = c->text + c->at;
    size_t left = c->length - c->at;
    if (left >= 4 && memcmp(at, "True", 4) == 0)
        *value = 1, c->at += 4;
    else if (left >= 5 && memcmp(at, "False", 5) == 0)
        *value = 0, c->at += 5;
    else
        return syntax(c, "'fortran_order' must be True or False");
    return NTK_OK;
}

static ntk_status read_dimension(dict_cursor *c, int64_t *value)
{
    skip_space(c);
    if (peek(c) == '-')
        return syntax(c, "negative dimension in 'shape'");
    if (peek(c) < '0' || peek(c) > '9')
        return syntax(c, "expected a dimension in 'shape'");
    int64_t parsed = 0;
    while (peek(c) >= '0' && peek(c) <= '9') {
        int digit = peek(c) - '0';
        if (parsed > (INT64_MAX - digit) / 10)
            return syntax(c, "dimension in 'shape' is too large");
        parsed = parsed * 10 + digit;
        ++c->at;
    }
    if (peek(c) == 'L' || peek(c) == 'l') /* Python 2 longs in old files */
        ++c->at;
    *value = parsed;
    return NTK_OK;
}

/* A tuple: (), (n,), (n, m), ... ("(n)" is an integer in Python, not a tuple). */
static ntk_status read_shape(dict_cursor *c, npy_header *header)
{
    NTK_TRY(expect(c, '(', "'shape' must be a tuple"));
    size_t open = c->at - 1;
    int64_t dims[NPY_MAX_DIMS];
    int ndim = 0, trailing_comma = 0;
    skip_space(c);
    while (peek(c) != ')') {
        int64_t value = 0;
        NTK_TRY(read_dimension(c, &value));
        if (ndim == NPY_MAX_DIMS)
            return syntax(c, "'shape' has too many dimensions");
        dims[ndim++] = value;
        skip_space(c);
        trailing_comma = 0;
        if (peek(c) == ',') {
            ++c->at;
            trailing_comma = 1;
            skip_space(c);
        } else if (peek(c) != ')') {
            return syntax(c, "expected ',' or ')' in 'shape'");
        }
    }
    ++c->at;
    if (ndim == 1 && !trailing_comma)
        return syntax(c, "'shape' (n) is not a tuple (NumPy writes (n,))");
    /* 3-D and 4-D arrays are (N, L, C) and (N, H, W, C) inputs: rows of L C or H W C values. */
    if (ndim < 1 || ndim > 4)
        return NTK_RAISE(NTK_ERR_DATA, "%s: expected a 1-D to 4-D array, found a %d-D array of "
                         "shape %.*s", c->path, ndim, (int)(c->at - open), c->text + open);
    header->ndim = ndim;
    header->shape[0] = dims[0];
    header->shape[1] = 1;
    for (int d = 0; d < ndim; ++d) {
        header->dims[d] = dims[d];
        if (d > 0 && dims[d] != 0 && header->shape[1] > INT64_MAX / dims[d])
            return NTK_RAISE(NTK_ERR_DATA, "%s: .npy shape %.*s is too large", c->path,
                             (int)(c->at - open), c->text + open);
        if (d > 0)
            header->shape[1] *= dims[d];
    }
    return NTK_OK;
}

static ntk_status read_descr(dict_cursor *c, npy_header *header)
{
    skip_space(c);
    if (peek(c) == '[')
        return NTK_RAISE(NTK_ERR_DATA, "%s: .npy file holds a structured array (a list "
                         "'descr'): not supported", c->path);
    char descr[NPY_STRING_MAX];
    NTK_TRY(read_string(c, descr, sizeof descr));
    /* '<' little, '>' big, '=' native, '|' not applicable (NumPy never writes
     * it for floats, but a hand-made header might). */
    char order = descr[0];
    const char *kind = descr + 1;
    if (order != '<' && order != '>' && order != '=' && order != '|')
        kind = descr, order = '=';
    if (strcmp(kind, "f8") == 0)
        header->dtype = NPY_FLOAT64;
    else if (strcmp(kind, "f4") == 0)
        header->dtype = NPY_FLOAT32;
    else
        return NTK_RAISE(NTK_ERR_DATA, "%s: unsupported dtype '%s' (expected float64 '<f8' or "
                         "float32 '<f4')", c->path, descr);
    int file_little = order == '<' || ((order == '=' || order == '|') && host_is_little_endian());
    header->swap_bytes = file_little != host_is_little_endian();
    return NTK_OK;
}

ntk_status npy_parse_dict(const char *path, const char *text, size_t length, npy_header *header)
{
    dict_cursor c = {.path = path, .text = text, .length = length, .at = 0};
    static const char *const keys[3] = {"descr", "fortran_order", "shape"};
    int seen[3] = {0, 0, 0};
    NTK_TRY(expect(&c, '{', "expected '{'"));
    for (;;) {
        skip_space(&c);
        if (peek(&c) == '}') {
            ++c.at;
            break;
        }
        char key[NPY_STRING_MAX];
        NTK_TRY(read_string(&c, key, sizeof key));
        int which = -1;
        for (int k = 0; k < 3; ++k)
            if (strcmp(key, keys[k]) == 0)
                which = k;
        if (which < 0)
            return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has an unknown key '%s' (a .npy "
                             "header holds exactly 'descr', 'fortran_order' and 'shape')", path,
                             key);
        if (seen[which])
            return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has the key '%s' twice (NumPy "
                             "would silently use the last one): refused", path, key);
        seen[which] = 1;
        NTK_TRY(expect(&c, ':', "expected ':' after a key"));
        if (which == 0)
            NTK_TRY(read_descr(&c, header));
        else if (which == 1)
            NTK_TRY(read_bool(&c, &header->fortran_order));
        else
            NTK_TRY(read_shape(&c, header));
        skip_space(&c);
        if (peek(&c) == ',') {
            ++c.at;
        } else if (peek(&c) != '}') {
            return syntax(&c, "expected ',' or '}'");
        }
    }
    skip_space(&c);
    if (c.at != c.length)
        return syntax(&c, "unexpected text after the dict");
    for (int k = 0; k < 3; ++k)
        if (!seen[k])
            return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has no '%s'", path, keys[k]);
    return NTK_OK;
}
