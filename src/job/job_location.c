/* Locations for messages (ntk_location): where a key stood, and the shared
 * text they name.
 *
 * A location is copied with every job (sweep points, plan's point jobs), so it
 * holds a pointer, not the text: the text lives in a process-wide table of
 * interned strings that is never freed. Copies of a job therefore stay valid
 * wherever they go, equal names are the same pointer, and the table stays
 * small (the job file plus one "--set KEY" per override key ever seen). */
#include "job/job_sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct interned_text interned_text;
struct interned_text {
    interned_text *next;
    char text[]; /* NUL-terminated */
};

static interned_text *interned_texts;

ntk_status job_intern_text(const char *text, const char **shared)
{
    for (const interned_text *entry = interned_texts; entry != NULL; entry = entry->next) {
        if (strcmp(entry->text, text) == 0) {
            *shared = entry->text;
            return NTK_OK;
        }
    }
    size_t length = strlen(text);
    interned_text *entry = malloc(sizeof *entry + length + 1);
    if (entry == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory while recording a job location");
    memcpy(entry->text, text, length + 1);
    entry->next = interned_texts;
    interned_texts = entry;
    *shared = entry->text;
    return NTK_OK;
}

ntk_status job_node_location(const job_context *context, const job_node *node,
                             ntk_location *where)
{
    memset(where, 0, sizeof *where);
    if (node != NULL && node->origin != NULL) {
        char text[JOB_PATH_TEXT_MAX + 8];
        snprintf(text, sizeof text, "--set %s", node->origin);
        return job_intern_text(text, &where->file);
    }
    NTK_TRY(job_intern_text(context->file, &where->file));
    if (node != NULL) {
        where->line = node->line;
        where->column = node->column;
    }
    return NTK_OK;
}

const char *job_location_text(const ntk_location *where, char *buffer, size_t size)
{
    const char *file = where->file != NULL ? where->file : "";
    if (where->line > 0)
        snprintf(buffer, size, "%s:%d:%d", file, where->line, where->column);
    else
        snprintf(buffer, size, "%s", file);
    return buffer;
}
