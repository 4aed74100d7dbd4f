/* safetensors reading and writing (see safetensors.h). Byte order is decoded
 * explicitly (little-endian in the file), so this works on any host. */
#include "format/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/partial_file.h"

enum {
    ST_HEADER_LIMIT = 100000000,  /* the reference implementation's limit (MAX_HEADER_SIZE) */
    ST_CHUNK_ELEMENTS = 1 << 20   /* conversion buffer, in elements */
};

/* JSON numbers are doubles: offsets and dims up to 2^53 are exact. */
static const double st_integer_limit = 9007199254740992.0;

static int dtype_item_size(const char *dtype)
{
    static const struct { const char *name; int size; } known[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
        {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U64", 8}, {"U32", 4}, {"U16", 2},
        {"U8", 1}, {"BOOL", 1}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; ++i)
        if (strcmp(dtype, known[i].name) == 0)
            return known[i].size;
    return 0;
}

static int json_count(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return 0;
    double value = item->valuedouble;
    if (!(value >= 0.0 && value < st_integer_limit) || value != (double)(int64_t)value)
        return 0;
    *out = (int64_t)value;
    return 1;
}

static ntk_status parse_tensor(const char *path, const cJSON *entry, int64_t data_start,
                               int64_t file_size, st_tensor *tensor)
{
    const char *name = entry->string;
    if (strlen(name) >= ST_NAME_MAX)
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor name '%.40s...' is longer than %d bytes",
                         path, name, ST_NAME_MAX - 1);
    snprintf(tensor->name, sizeof tensor->name, "%s", name);
    if (!cJSON_IsObject(entry))
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': header entry is not an object", path,
                         name);

    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    if (!cJSON_IsString(dtype) || strlen(dtype->valuestring) >= sizeof tensor->dtype)
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': missing or invalid \"dtype\"", path,
                         name);
    snprintf(tensor->dtype, sizeof tensor->dtype, "%s", dtype->valuestring);
    tensor->item_size = dtype_item_size(tensor->dtype);

    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    if (!cJSON_IsArray(shape))
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': missing or invalid \"shape\"", path,
                         name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > ST_MAX_DIMS)
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s' has %d dimensions (at most %d supported)",
                         path, name, ndim, ST_MAX_DIMS);
    tensor->ndim = ndim;
    tensor->elements = 1;
    int d = 0;
    const cJSON *dim = NULL;
    cJSON_ArrayForEach(dim, shape) {
        if (!json_count(dim, &tensor->shape[d]))
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': shape entries must be "
                             "non-negative integers", path, name);
        if (tensor->shape[d] != 0 && tensor->elements > INT64_MAX / 8 / tensor->shape[d])
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': shape is too large", path, name);
        tensor->elements *= tensor->shape[d];
        ++d;
    }

    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    int64_t begin = 0, end = 0;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_count(cJSON_GetArrayItem(offsets, 0), &begin) ||
        !json_count(cJSON_GetArrayItem(offsets, 1), &end))
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': \"data_offsets\" must be two "
                         "non-negative integers", path, name);
    if (end < begin)
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': data_offsets [%" PRId64 ", %" PRId64
                         "] end before they begin", path, name, begin, end);
    if (data_start + end > file_size)
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': data_offsets [%" PRId64 ", %" PRId64
                         "] run past the end of the file (data section has %" PRId64
                         " bytes): truncated file?", path, name, begin, end,
                         file_size - data_start);
    if (tensor->item_size > 0 && end - begin != tensor->elements * tensor->item_size)
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': %s shape needs %" PRId64 " bytes but "
                         "data_offsets [%" PRId64 ", %" PRId64 "] hold %" PRId64, path, name,
                         tensor->dtype, tensor->elements * tensor->item_size, begin, end,
                         end - begin);
    tensor->begin = data_start + begin;
    tensor->end = data_start + end;
    return NTK_OK;
}

/* JSON's whitespace (RFC 8259): the reference loader (serde_json) allows
 * it around the header object, as padding, and nothing else: not NUL bytes,
 * not other control characters (which cJSON would skip). */
static int json_whitespace(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether `length` bytes are well-formed UTF-8 (the reference loader
 * refuses a header that is not): no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
static int valid_utf8(const unsigned char *text, size_t length)
{
    for (size_t i = 0; i < length;) {
        const unsigned char c = text[i];
        size_t extra = 0;
        uint32_t code = 0, least = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1, code = c & 0x1F, least = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2, code = c & 0x0F, least = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3, code = c & 0x07, least = 0x10000;
        } else {
            return 0;
        }
        if (length - i <= extra)
            return 0;
        for (size_t b = 1; b <= extra; ++b) {
            if ((text[i + b] & 0xC0) != 0x80)
                return 0;
            code = (code << 6) | (text[i + b] & 0x3F);
        }
        if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return 0;
        i += extra + 1;
    }
    return 1;
}

/* The header text as the reference loader takes it: UTF-8, one JSON object
 * with only JSON whitespace before and after it (writers pad with spaces to
 * align the data section). */
static ntk_status check_header_text(const char *path, const char *json, size_t length)
{
    if (!valid_utf8((const unsigned char *)json, length))
        return NTK_RAISE(NTK_ERR_DATA, "%s: the safetensors header is not valid UTF-8", path);
    size_t first = 0;
    while (first < length && json_whitespace((unsigned char)json[first]))
        ++first;
    if (first == length || json[first] != '{')
        return NTK_RAISE(NTK_ERR_DATA, "%s: the safetensors header is not a JSON object", path);
    return NTK_OK;
}

static int compare_by_name(const void *a, const void *b)
{
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

static int compare_by_offsets(const void *a, const void *b)
{
    const st_tensor *left = *(const st_tensor *const *)a;
    const st_tensor *right = *(const st_tensor *const *)b;
    if (left->begin != right->begin)
        return (left->begin > right->begin) - (left->begin < right->begin);
    return (left->end > right->end) - (left->end < right->end);
}

/* The tensors' data_offsets must tile the data section exactly, as the
 * reference loader demands (Metadata::validate, then the buffer length):
 * sorted by offsets, each tensor begins where the previous one ended, the
 * first at 0 and the last ends at the end of the file. An overlap would let
 * two tensors share bytes (a bias read from inside a weight); a gap or a
 * tail are bytes no tensor owns. */
static ntk_status check_tiling(const st_index *index, const st_tensor **order)
{
    const char *path = index->path;
    for (int i = 0; i < index->count; ++i)
        order[i] = &index->tensors[i];
    qsort(order, (size_t)index->count, sizeof *order, compare_by_offsets);
    int64_t expected = index->data_start;
    const st_tensor *previous = NULL;
    for (int i = 0; i < index->count; ++i) {
        const st_tensor *tensor = order[i];
        if (tensor->begin < expected)
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': data_offsets [%" PRId64 ", %" PRId64
                             "] overlap those of tensor '%s' [%" PRId64 ", %" PRId64 "]", path,
                             tensor->name, tensor->begin - index->data_start,
                             tensor->end - index->data_start, previous->name,
                             previous->begin - index->data_start,
                             previous->end - index->data_start);
        if (tensor->begin > expected)
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': data_offsets [%" PRId64 ", %" PRId64
                             "] leave a gap of %" PRId64 " bytes before them (the tensors must "
                             "fill the data section)", path, tensor->name,
                             tensor->begin - index->data_start, tensor->end - index->data_start,
                             tensor->begin - expected);
        expected = tensor->end;
        previous = tensor;
    }
    if (expected != index->file_size)
        return NTK_RAISE(NTK_ERR_DATA, "%s: %" PRId64 " bytes after the last tensor's data (the "
                         "tensors must fill the data section up to the end of the file)", path,
                         index->file_size - expected);
    return NTK_OK;
}

static ntk_status parse_header(st_index *index, const char *json, size_t length)
{
    const char *path = index->path;
    NTK_TRY(check_header_text(path, json, length));
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, length, &end, 0);
    if (root == NULL)
        return NTK_RAISE(NTK_ERR_DATA, "%s: the safetensors header is not valid JSON", path);
    ntk_status status = NTK_OK;
    for (const char *rest = end; rest < json + length; ++rest)
        if (!json_whitespace((unsigned char)*rest)) {
            status = NTK_RAISE(NTK_ERR_DATA, "%s: the safetensors header has %s after its JSON "
                               "object at byte %lld (only spaces may pad it)", path,
                               *rest == '\0' ? "NUL bytes" : "other characters",
                               (long long)(8 + (rest - json)));
            goto done;
        }
    if (!cJSON_IsObject(root)) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: the safetensors header is not a JSON object", path);
        goto done;
    }
    int capacity = cJSON_GetArraySize(root);
    NTK_TRY_GOTO(status, NTK_CALLOC(index->tensors, capacity + 1, "the safetensors index"), done);
    NTK_TRY_GOTO(status, NTK_CALLOC(index->by_name, capacity + 1, "the safetensors name index"),
                 done);
    const cJSON *entry = NULL;
    cJSON_ArrayForEach(entry, root) {
        if (strcmp(entry->string, "__metadata__") == 0)
            continue;
        NTK_TRY_GOTO(status, parse_tensor(path, entry, index->data_start, index->file_size,
                                          &index->tensors[index->count]), done);
        ++index->count;
    }
    /* Names sorted once: duplicates sit side by side, and st_find bisects. */
    for (int i = 0; i < index->count; ++i)
        index->by_name[i] = &index->tensors[i];
    qsort(index->by_name, (size_t)index->count, sizeof *index->by_name, compare_by_name);
    for (int i = 1; i < index->count; ++i)
        if (strcmp(index->by_name[i]->name, index->by_name[i - 1]->name) == 0) {
            status = NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s' appears twice", path,
                               index->by_name[i]->name);
            goto done;
        }
    const st_tensor **order = NULL;
    NTK_TRY_GOTO(status, NTK_CALLOC(order, index->count + 1, "the safetensors offsets order"),
                 done);
    status = check_tiling(index, order);
    free((void *)order);
done:
    cJSON_Delete(root);
    return status;
}

ntk_status st_read_index(const char *path, st_index *index)
{
    memset(index, 0, sizeof *index);
    if (strlen(path) >= sizeof index->path)
        return NTK_RAISE(NTK_ERR_DATA, "%.80s...: path is too long", path);
    snprintf(index->path, sizeof index->path, "%s", path);

    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NTK_RAISE(NTK_ERR_DATA, "%s: cannot open safetensors file: %s", path,
                         strerror(errno));
    ntk_status status = NTK_OK;
    char *json = NULL;
    struct stat info;
    unsigned char prefix[8];
    if (fstat(fileno(file), &info) != 0) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(info.st_mode)) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: not a safetensors file (%s)", path,
                           S_ISDIR(info.st_mode) ? "it is a directory" : "not a regular file");
        goto done;
    }
    index->file_size = (int64_t)info.st_size;
    if (fread(prefix, 1, 8, file) != 8) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: not a safetensors file (shorter than 8 bytes)",
                           path);
        goto done;
    }
    uint64_t header_length = 0;
    for (int i = 7; i >= 0; --i)
        header_length = (header_length << 8) | prefix[i];
    if (header_length > ST_HEADER_LIMIT || (int64_t)header_length > index->file_size - 8) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: not a safetensors file (header length %" PRIu64
                           " does not fit the file of %" PRId64 " bytes)", path, header_length,
                           index->file_size);
        goto done;
    }
    index->data_start = 8 + (int64_t)header_length;
    NTK_TRY_GOTO(status, NTK_CALLOC(json, header_length + 1, "the safetensors header"), done);
    if (fread(json, 1, header_length, file) != header_length) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: cannot read the safetensors header", path);
        goto done;
    }
    NTK_TRY_GOTO(status, parse_header(index, json, header_length), done);
done:
    free(json);
    fclose(file);
    if (status != NTK_OK)
        st_free_index(index);
    return status;
}

void st_free_index(st_index *index)
{
    free(index->tensors);
    free(index->by_name);
    index->tensors = NULL;
    index->by_name = NULL;
    index->count = 0;
}

const st_tensor *st_find(const st_index *index, const char *name)
{
    int low = 0, high = index->count; /* bisect the names sorted by parse_header */
    while (low < high) {
        const int middle = low + (high - low) / 2;
        const st_tensor *tensor = index->by_name[middle];
        const int order = strcmp(tensor->name, name);
        if (order == 0)
            return tensor;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

static double decode_element(const unsigned char *bytes, int item_size)
{
    uint64_t bits = 0;
    for (int i = item_size - 1; i >= 0; --i)
        bits = (bits << 8) | bytes[i];
    if (item_size == 8) {
        double value;
        memcpy(&value, &bits, 8);
        return value;
    }
    uint32_t narrow = (uint32_t)bits;
    float value;
    memcpy(&value, &narrow, 4);
    return (double)value;
}

ntk_status st_read_tensor(const st_index *index, const st_tensor *tensor, double *values)
{
    const char *path = index->path;
    int item_size = 0;
    if (strcmp(tensor->dtype, "F64") == 0)
        item_size = 8;
    else if (strcmp(tensor->dtype, "F32") == 0)
        item_size = 4;
    else
        return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s' has dtype %s; only F32 and F64 can be "
                         "read", path, tensor->name, tensor->dtype);
    if (tensor->elements == 0)
        return NTK_OK;

    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NTK_RAISE(NTK_ERR_DATA, "%s: cannot open safetensors file: %s", path,
                         strerror(errno));
    unsigned char *chunk = NULL;
    ntk_status status = NTK_CALLOC(chunk, (size_t)ST_CHUNK_ELEMENTS * (size_t)item_size,
                                   "the safetensors read buffer");
    for (int64_t done = 0; status == NTK_OK && done < tensor->elements;) {
        int64_t piece = tensor->elements - done;
        if (piece > ST_CHUNK_ELEMENTS)
            piece = ST_CHUNK_ELEMENTS;
        size_t want = (size_t)piece * (size_t)item_size;
        size_t have = 0;
        while (have < want) {
            ssize_t got = pread(fd, chunk + have, want - have,
                                (off_t)(tensor->begin + done * item_size + (int64_t)have));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                status = NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': read failed: %s", path,
                                   tensor->name, got < 0 ? strerror(errno) : "end of file");
                break;
            }
            have += (size_t)got;
        }
        for (int64_t e = 0; status == NTK_OK && e < piece; ++e)
            values[done + e] = decode_element(chunk + e * item_size, item_size);
        done += piece;
    }
    free(chunk);
    close(fd);
    return status;
}

/* "[a, b, c]" for a JSON array of exact integers (cJSON would print large
 * doubles in exponent notation, which safetensors readers refuse). */
static cJSON *integer_array(const int64_t *values, int count)
{
    char text[ST_MAX_DIMS * 24 + 8];
    size_t used = 0;
    text[used++] = '[';
    for (int i = 0; i < count; ++i)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%" PRId64, i ? "," : "",
                                 values[i]);
    snprintf(text + used, sizeof text - used, "]");
    return cJSON_CreateRaw(text);
}

static ntk_status build_header(const char *path, const st_output_tensor *tensors, int count,
                               char **json_out, size_t *padded_length)
{
    *json_out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory building the safetensors header");
    ntk_status status = NTK_OK;
    int64_t offset = 0;
    for (int i = 0; i < count && status == NTK_OK; ++i) {
        const st_output_tensor *t = &tensors[i];
        if (t->ndim < 0 || t->ndim > ST_MAX_DIMS || strcmp(t->name, "__metadata__") == 0 ||
            cJSON_GetObjectItemCaseSensitive(root, t->name) != NULL) {
            status = NTK_RAISE(NTK_ERR_INTERNAL, "%s: tensor '%s': bad name or rank %d", path,
                               t->name, t->ndim);
            break;
        }
        int64_t elements = 1;
        for (int d = 0; d < t->ndim; ++d)
            elements *= t->shape[d];
        int64_t range[2] = {offset, offset + 8 * elements};
        offset = range[1];
        cJSON *entry = cJSON_CreateObject();
        if (entry == NULL || !cJSON_AddItemToObject(root, t->name, entry) ||
            cJSON_AddStringToObject(entry, "dtype", "F64") == NULL ||
            !cJSON_AddItemToObject(entry, "shape", integer_array(t->shape, t->ndim)) ||
            !cJSON_AddItemToObject(entry, "data_offsets", integer_array(range, 2)))
            status = NTK_RAISE(NTK_ERR_MEMORY, "out of memory building the safetensors header");
    }
    char *printed = status == NTK_OK ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (status == NTK_OK && printed == NULL)
        status = NTK_RAISE(NTK_ERR_MEMORY, "out of memory printing the safetensors header");
    if (status != NTK_OK)
        return status;

    /* Pad with spaces (allowed trailing JSON whitespace) so data start at a
     * multiple of 8 bytes after the 8-byte length prefix. */
    size_t length = strlen(printed);
    size_t padded = (length + 7) / 8 * 8;
    char *json = realloc(printed, padded + 1);
    if (json == NULL) {
        free(printed);
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory padding the safetensors header");
    }
    memset(json + length, ' ', padded - length);
    json[padded] = '\0';
    *json_out = json;
    *padded_length = padded;
    return NTK_OK;
}

static int write_little_doubles(FILE *file, const double *values, int64_t count)
{
    unsigned char buffer[8 * 1024];
    for (int64_t done = 0; done < count;) {
        int64_t piece = count - done;
        if (piece > 1024)
            piece = 1024;
        for (int64_t e = 0; e < piece; ++e) {
            uint64_t bits;
            memcpy(&bits, &values[done + e], 8);
            for (int b = 0; b < 8; ++b)
                buffer[8 * e + b] = (unsigned char)(bits >> (8 * b));
        }
        if (fwrite(buffer, 8, (size_t)piece, file) != (size_t)piece)
            return 0;
        done += piece;
    }
    return 1;
}

ntk_status st_write_f64(const char *path, const st_output_tensor *tensors, int count)
{
    char *json = NULL;
    size_t json_length = 0;
    NTK_TRY(build_header(path, tensors, count, &json, &json_length));

    FILE *file = NULL;
    ntk_status status = partial_file_open(path, &file);
    if (status != NTK_OK) {
        free(json);
        return status;
    }
    unsigned char prefix[8];
    for (int b = 0; b < 8; ++b)
        prefix[b] = (unsigned char)((uint64_t)json_length >> (8 * b));
    int ok = fwrite(prefix, 1, 8, file) == 8 && fwrite(json, 1, json_length, file) == json_length;
    for (int i = 0; ok && i < count; ++i) {
        int64_t elements = 1;
        for (int d = 0; d < tensors[i].ndim; ++d)
            elements *= tensors[i].shape[d];
        ok = write_little_doubles(file, tensors[i].values, elements);
    }
    int saved = errno;
    free(json);
    if (!ok) {
        partial_file_discard(path, file);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", path, strerror(saved));
    }
    return partial_file_commit(path, file);
}
