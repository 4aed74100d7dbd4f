/* A key table alone makes keys readable: a test-only section ("demo") of an
 * integer, a bounded number, a choice, a boolean and a key that applies only
 * with one choice, declared as rows and nothing else, is read from YAML
 * through the job reader's table walk (job_table.h): values, defaults,
 * bound and choice errors with file:line:column, unknown keys with "did you
 * mean", --set through the same rows, and the echo. Every row of the
 * job's own tables is checked against the member it names. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job/job_table.h"
#include "check.h"

typedef enum { DEMO_FAST = 0, DEMO_SLOW } demo_mode;

typedef struct {
    int64_t count;
    double rate;
    demo_mode mode;
    int verbose;
    int patience; /* slow mode only */
} demo_spec;

static const ntk_choice mode_entries[] = {{"fast", DEMO_FAST}, {"slow", DEMO_SLOW}};
static const ntk_choice_table mode_names = NTK_CHOICE_TABLE(mode_entries);

static const ntk_config_key demo_keys[] = {
    {"count", NTK_KEY_INT, "3", NTK_KEY_AT_LEAST, 1, 0, NULL, "how many",
     NTK_FIELD(demo_spec, count)},
    {"rate", NTK_KEY_NUMBER, "0.5", NTK_KEY_ABOVE | NTK_KEY_AT_MOST, 0, 2, NULL, "how fast",
     NTK_FIELD(demo_spec, rate)},
    {"mode", NTK_KEY_CHOICE, "fast", 0, 0, 0, &mode_names, "which way",
     NTK_FIELD(demo_spec, mode)},
    {"verbose", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "say more", NTK_FIELD(demo_spec, verbose)},
    {"patience", NTK_KEY_INT, "10", NTK_KEY_AT_LEAST | NTK_KEY_AT_MOST, 2, 256, NULL,
     "slow mode only: steps to wait", NTK_FIELD(demo_spec, patience), .only_key = "mode",
     .only_value = DEMO_SLOW},
};
static const ntk_config_section demo_section =
    NTK_CONFIG_SECTION("demo", "a section for this test", demo_keys);
static const job_section_binding demo_binding = {&demo_section, 0, JOB_ALWAYS_ON, 0, NULL};

static char folder[PATH_MAX];
static char file[PATH_MAX + 32];
static ntk_job job; /* the job the reader takes for paths and rules: unused here */
static demo_spec demo;

/* Read `yaml` (with one `--set` assignment when `set` is not NULL) into demo. */
static ntk_status read_demo(const char *yaml, const char *set)
{
    FILE *out = fopen(file, "w");
    if (out == NULL) {
        perror(file);
        exit(1);
    }
    fputs(yaml, out);
    fclose(out);
    ntk_error_clear();
    memset(&demo, 0x5a, sizeof demo); /* defaults must overwrite everything */
    job_node *root = NULL;
    ntk_status status = job_tree_read_file(file, &root);
    const job_context context = {.file = file};
    if (status == NTK_OK && set != NULL) {
        ntk_override override;
        status = job_parse_override(set, &override);
        job_node *value = NULL;
        if (status == NTK_OK)
            status = job_tree_parse_text(override.value, override.key, &value);
        if (status == NTK_OK)
            status = job_tree_set(&context, root, override.key, value);
    }
    if (status == NTK_OK)
        status = job_table_read_section(&context, root, &demo_binding, &job, &demo);
    job_tree_free(root);
    return status;
}

static void expect_error(int line, const char *yaml, const char *set, const char *expected)
{
    char message[1024];
    const ntk_status status = read_demo(yaml, set);
    snprintf(message, sizeof message, "%s", ntk_error_message());
    ntk_error_clear();
    CHECK(status == NTK_ERR_JOB && strcmp(message, expected) == 0,
          "line %d: status %d, message\n  \"%s\"\nexpected\n  \"%s\"", line, (int)status, message,
          expected);
}
#define EXPECT_ERROR(yaml, set, expected) expect_error(__LINE__, yaml, set, expected)

static void test_values_and_defaults(void)
{
    CHECK(read_demo("demo:\n  count: 1e3\n  mode: slow\n  patience: 20\n", NULL) == NTK_OK,
          "read: %s", ntk_error_message());
    CHECK(demo.count == 1000 && demo.rate == 0.5 && demo.mode == DEMO_SLOW && demo.verbose == 0 &&
              demo.patience == 20,
          "values and defaults: %lld %g %d %d %d", (long long)demo.count, demo.rate,
          (int)demo.mode, demo.verbose, demo.patience);
    CHECK(read_demo("other: 1\n", NULL) == NTK_OK, "absent section: %s", ntk_error_message());
    CHECK(demo.count == 3 && demo.rate == 0.5 && demo.mode == DEMO_FAST && demo.verbose == 0 &&
              demo.patience == 10,
          "every default: %lld %g %d %d %d", (long long)demo.count, demo.rate, (int)demo.mode,
          demo.verbose, demo.patience);
    CHECK(read_demo("demo:\n  verbose: true\n", "demo.rate=2") == NTK_OK && demo.rate == 2.0 &&
              demo.verbose == 1,
          "--set within the bound: %s", ntk_error_message());
}

static void test_errors(void)
{
    char expected[PATH_MAX + 256];
    snprintf(expected, sizeof expected, "%s:2:10: demo.count: must be a positive integer, got 0",
             file);
    EXPECT_ERROR("demo:\n  count: 0\n", NULL, expected);
    snprintf(expected, sizeof expected, "%s:3:9: demo.rate: must be at most 2, got 2.5", file);
    EXPECT_ERROR("demo:\n  count: 4\n  rate: 2.5\n", NULL, expected);
    snprintf(expected, sizeof expected, "%s:2:9: demo.rate: must be a number > 0, got 0", file);
    EXPECT_ERROR("demo:\n  rate: 0\n", NULL, expected);
    EXPECT_ERROR("demo: {}\n", "demo.rate=3", "--set demo.rate: must be at most 2, got 3");
    snprintf(expected, sizeof expected,
             "%s:2:9: demo.mode: unknown value 'slo' (expected fast, slow)", file);
    EXPECT_ERROR("demo:\n  mode: slo\n", NULL, expected);
    snprintf(expected, sizeof expected,
             "%s:2:12: demo.verbose: must be true or false, got 'yes'", file);
    EXPECT_ERROR("demo:\n  verbose: yes\n", NULL, expected);
    snprintf(expected, sizeof expected,
             "%s:2:3: demo.cuont: unknown key 'cuont' (expected one of count, rate, mode, "
             "verbose, patience); did you mean 'count'?",
             file);
    EXPECT_ERROR("demo:\n  cuont: 2\n", NULL, expected);
    snprintf(expected, sizeof expected,
             "%s:3:13: demo.patience: must be an integer from 2 to 256, got 300", file);
    EXPECT_ERROR("demo:\n  mode: slow\n  patience: 300\n", NULL, expected);
    snprintf(expected, sizeof expected,
             "%s:2:13: demo.patience: applies only to demo.mode: slow", file);
    EXPECT_ERROR("demo:\n  patience: 30\n", NULL, expected);
    snprintf(expected, sizeof expected,
             "%s:2:13: demo.patience: applies only to demo.mode: slow", file);
    EXPECT_ERROR("demo:\n  patience: 1000\n", NULL, expected); /* whatever the value */
}

/* Every row of the job's tables fits the member it names (core/config_keys.h,
 * "Storage by type"), and an only_key names an earlier CHOICE row. */
static void check_rows(const ntk_config_section *table)
{
    for (int k = 0; k < table->n_keys; ++k) {
        const ntk_config_key *key = &table->keys[k];
        size_t expected = 0;
        switch (key->type) {
        case NTK_KEY_INT:
            expected = key->size == sizeof(int) ? sizeof(int) : sizeof(int64_t);
            break;
        case NTK_KEY_NUMBER:
        case NTK_KEY_DURATION: expected = sizeof(double); break;
        case NTK_KEY_BOOL:
        case NTK_KEY_CHOICE:
        case NTK_KEY_SHAPE: expected = sizeof(int); break;
        case NTK_KEY_SOURCE:
        case NTK_KEY_TARGETS: expected = sizeof(ntk_data_source); break;
        case NTK_KEY_LAYERS: expected = NTK_MEMBER_SIZE(ntk_model_spec, layers); break;
        case NTK_KEY_STEPS:
        case NTK_KEY_SIZES:
            expected = key->size % sizeof(int64_t) == 0 ? key->size : 0;
            break;
        case NTK_KEY_STRING:
        case NTK_KEY_PATH: expected = key->size > 1 ? key->size : 2; break;
        case NTK_KEY_SECTION: expected = 0; break;
        }
        CHECK(key->size == expected, "%s.%s: member of %zu bytes for its type (expected %zu)",
              table->name, key->key, key->size, expected);
        CHECK(key->type != NTK_KEY_CHOICE || key->choices != NULL, "%s.%s: a choice without names",
              table->name, key->key);
        if (key->only_key == NULL)
            continue;
        const ntk_config_key *condition = ntk_config_find(table, key->only_key);
        CHECK(condition != NULL && condition < key && condition->type == NTK_KEY_CHOICE,
              "%s.%s: only_key %s is no earlier choice row", table->name, key->key,
              key->only_key);
    }
}

static void test_job_tables(void)
{
    check_rows(job_top_binding.section);
    for (const job_section_binding *binding = job_bindings; binding->section != NULL; ++binding)
        check_rows(binding->section);
    check_rows(&demo_section);
}

static void test_echo(void)
{
    char *text = NULL;
    size_t size = 0;
    CHECK(read_demo("demo:\n  count: 7\n  rate: 1e-3\n", NULL) == NTK_OK, "read: %s",
          ntk_error_message());
    FILE *out = open_memstream(&text, &size);
    job_echo_section(out, 2, &demo_binding, &demo);
    fclose(out);
    const char *expected = "  demo:\n    count: 7\n    rate: 0.001\n    mode: fast\n"
                           "    verbose: false\n";
    CHECK(text != NULL && strcmp(text, expected) == 0, "echo:\n%s\nexpected:\n%s", text,
          expected);
    free(text);
    text = NULL;
    CHECK(read_demo("demo:\n  mode: slow\n", NULL) == NTK_OK, "read: %s", ntk_error_message());
    out = open_memstream(&text, &size);
    job_echo_section(out, 0, &demo_binding, &demo);
    fclose(out);
    CHECK(text != NULL && strstr(text, "  mode: slow\n  verbose: false\n  patience: 10\n") != NULL,
          "a key that applies is echoed:\n%s", text);
    free(text);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(folder, sizeof folder, "%s/job-table-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(folder) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(file, sizeof file, "%s/demo.yaml", folder);
    test_values_and_defaults();
    test_errors();
    test_echo();
    test_job_tables();
    unlink(file);
    rmdir(folder);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
