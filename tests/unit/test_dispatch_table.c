/* test_dispatch_table.c: the action table (server/actions/table.c) against the generated
 * model: strictly sorted (bsearch relies on it), every row a real RDS operation with a
 * handler, dispatch_find_handler/dispatch_find_action finding exactly the rows, and the
 * coverage table printing every operation once. */
#include "dispatch.h"
#include "check.h"

static void test_dispatch_table__sorted_strictly(void)
{
    CHECK(dispatch_action_count > 0);
    for (size_t i = 1; i < dispatch_action_count; i++) {
        int c = strcmp(dispatch_actions[i - 1].name, dispatch_actions[i].name);
        if (c >= 0)
            fprintf(stderr, "out of order: %s before %s\n", dispatch_actions[i - 1].name,
                    dispatch_actions[i].name);
        CHECK(c < 0);
    }
}

static void test_dispatch_table__rows_are_real_operations(void)
{
    for (size_t i = 0; i < dispatch_action_count; i++) {
        const action_def *row = &dispatch_actions[i];
        const api_operation *op = api_find_operation(&rds_api, row->name);
        if (!op)
            fprintf(stderr, "not an RDS operation: %s\n", row->name);
        CHECK(op != NULL);
        if (op)
            CHECK_STR(op->name, row->name); /* exact case */
        CHECK(row->handler != NULL);        /* the table lists implemented operations only */
    }
}

static void test_dispatch_table__find_handler(void)
{
    for (size_t i = 0; i < dispatch_action_count; i++) {
        CHECK(dispatch_find_handler(dispatch_actions[i].name) == dispatch_actions[i].handler);
        CHECK(dispatch_find_action(dispatch_actions[i].name) == &dispatch_actions[i]);
    }
    static const char *const absent[] = { "", "A", "ZZZZ", "createdbinstance", "CreateDBInstanceX",
                                          "CreateDBInstanc", " CreateDBInstance", "DescribeDBInstances\n" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        CHECK(dispatch_find_handler(absent[i]) == NULL);
        CHECK(dispatch_find_action(absent[i]) == NULL);
    }
    /* operations of the model outside the table have no handler */
    size_t implemented = 0;
    for (size_t i = 0; i < rds_api.n_ops; i++)
        implemented += dispatch_find_handler(rds_api.ops[i].name) != NULL;
    CHECK_INT(implemented, dispatch_action_count);
    CHECK(dispatch_find_handler("CreateDBCluster") == NULL);
    CHECK(dispatch_find_handler("CreateDBInstance") != NULL);
    CHECK(dispatch_find_handler("DescribeDBInstances") != NULL);
}

static void test_dispatch_table__cacheable_rows_are_read_only(void)
{
    /* AF_CACHEABLE responses are replayed: only reads may carry it */
    for (size_t i = 0; i < dispatch_action_count; i++) {
        const char *n = dispatch_actions[i].name;
        if (dispatch_actions[i].flags & AF_CACHEABLE) {
            bool read = strncmp(n, "Describe", 8) == 0 || strncmp(n, "List", 4) == 0;
            if (!read)
                fprintf(stderr, "cacheable but not a read: %s\n", n);
            CHECK(read);
        }
    }
}

static void test_dispatch_table__coverage_lists_every_operation(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    dispatch_print_coverage(f);
    long n = ftell(f);
    rewind(f);
    char *buf = calloc(1, (size_t)n + 1);
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    char head[64];
    snprintf(head, sizeof head, "%zu of %zu RDS operations are implemented.", dispatch_action_count,
             rds_api.n_ops);
    CHECK_CONTAINS(buf, head);
    size_t rows = 0;
    for (const char *p = buf; (p = strstr(p, "\n| ")) != NULL; p++)
        rows++;
    CHECK_INT(rows, rds_api.n_ops + 1); /* + the header row */
    for (size_t i = 0; i < dispatch_action_count; i++) {
        char line[128];
        snprintf(line, sizeof line, "| %s | implemented |", dispatch_actions[i].name);
        CHECK_CONTAINS(buf, line);
    }
    CHECK_CONTAINS(buf, "| CreateDBCluster | not implemented");
    free(buf);
}

static const check_case cases[] = {
    TEST(test_dispatch_table__sorted_strictly),
    TEST(test_dispatch_table__rows_are_real_operations),
    TEST(test_dispatch_table__find_handler),
    TEST(test_dispatch_table__cacheable_rows_are_read_only),
    TEST(test_dispatch_table__coverage_lists_every_operation),
};
CHECK_MAIN(cases, NULL, NULL)
