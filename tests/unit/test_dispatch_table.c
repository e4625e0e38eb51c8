/* test_dispatch_table.c: the action table merged from the family files (server/rds/<family>.c)
 * against the generated models: strictly sorted by (service, name) (bsearch relies on
 * it), no duplicates, every row a real operation of its service with a handler,
 * dispatch_find_handler/dispatch_find_action finding exactly the rows, the router's
 * lookups, and the coverage table printing every operation once. */
#include "dispatch.h"
#include "check.h"

static void test_dispatch_table__sorted_strictly(void)
{
    size_t n;
    const action_def *t = dispatch_table(&n);
    CHECK(n > 0);
    for (size_t i = 1; i < n; i++) {
        int c = strcmp(t[i - 1].service->service_id, t[i].service->service_id);
        if (c == 0)
            c = strcmp(t[i - 1].name, t[i].name);
        if (c >= 0)
            fprintf(stderr, "out of order or duplicate: %s before %s\n", t[i - 1].name, t[i].name);
        CHECK(c < 0);
    }
}

static void test_dispatch_table__rows_are_real_operations(void)
{
    size_t n;
    const action_def *t = dispatch_table(&n);
    for (size_t i = 0; i < n; i++) {
        const action_def *row = &t[i];
        CHECK(row->service != NULL);
        const api_operation *op = api_find_operation(row->service, row->name);
        if (!op)
            fprintf(stderr, "not an operation of %s: %s\n", row->service->service_id, row->name);
        CHECK(op != NULL);
        if (op)
            CHECK_STR(op->name, row->name); /* exact case */
        CHECK(row->handler != NULL);        /* the table lists implemented operations only */
    }
}

static void test_dispatch_table__find_handler(void)
{
    size_t n;
    const action_def *t = dispatch_table(&n);
    for (size_t i = 0; i < n; i++) {
        CHECK(dispatch_find_handler(t[i].service, t[i].name) == t[i].handler);
        CHECK(dispatch_find_action(t[i].service, t[i].name) == &t[i]);
    }
    static const char *const absent[] = { "", "A", "ZZZZ", "createdbinstance", "CreateDBInstanceX",
                                          "CreateDBInstanc", " CreateDBInstance", "DescribeDBInstances\n" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        CHECK(dispatch_find_handler(&rds_api, absent[i]) == NULL);
        CHECK(dispatch_find_action(&rds_api, absent[i]) == NULL);
    }
    /* operations of the model outside the table have no handler */
    size_t implemented = 0, rds_rows = 0;
    for (size_t i = 0; i < rds_api.n_ops; i++)
        implemented += dispatch_find_handler(&rds_api, rds_api.ops[i].name) != NULL;
    for (size_t i = 0; i < n; i++)
        rds_rows += t[i].service == &rds_api;
    CHECK_INT(implemented, rds_rows);
    CHECK(dispatch_find_handler(&rds_api, "CreateDBCluster") == NULL);
    CHECK(dispatch_find_handler(&rds_api, "CreateDBInstance") != NULL);
    CHECK(dispatch_find_handler(&rds_api, "DescribeDBInstances") != NULL);
    /* the same name in another service is another row */
    CHECK(dispatch_find_handler(&kms_api, "DescribeDBInstances") == NULL);
    CHECK(dispatch_find_handler(NULL, "DescribeDBInstances") == NULL);
}

static void test_dispatch_table__cacheable_rows_are_read_only(void)
{
    /* AF_CACHEABLE responses are replayed: only reads may carry it */
    size_t n;
    const action_def *t = dispatch_table(&n);
    for (size_t i = 0; i < n; i++) {
        const char *name = t[i].name;
        if (t[i].flags & AF_CACHEABLE) {
            bool read = strncmp(name, "Describe", 8) == 0 || strncmp(name, "List", 4) == 0;
            if (!read)
                fprintf(stderr, "cacheable but not a read: %s\n", name);
            CHECK(read);
        }
    }
}

static void test_dispatch_table__router(void)
{
    const char *op = NULL;
    CHECK(dispatch_service_by_target("TrentService.CreateKey", &op) == &kms_api);
    CHECK_STR(op, "CreateKey");
    CHECK(dispatch_service_by_target("TrentServiceX.CreateKey", &op) == NULL);
    CHECK(dispatch_service_by_target("Trent.CreateKey", &op) == NULL);
    CHECK(dispatch_service_by_target("TrentService", &op) == NULL);
    CHECK(dispatch_service_by_target("", &op) == NULL);
    CHECK(dispatch_service_by_signing_name("rds") == &rds_api);
    CHECK(dispatch_service_by_signing_name("kms") == &kms_api);
    CHECK(dispatch_service_by_signing_name("ec2") == NULL);
    size_t n;
    const api_service *const *s = dispatch_services(&n);
    CHECK(n >= 2);
    for (size_t i = 0; i < n; i++)
        CHECK(s[i]->n_ops > 0);
}

static void test_dispatch_table__coverage_lists_every_operation(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    dispatch_print_coverage(f);
    long len = ftell(f);
    rewind(f);
    char *buf = calloc(1, (size_t)len + 1);
    CHECK(fread(buf, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    size_t n, rds_rows = 0, kms_rows = 0, sm_rows = 0;
    const action_def *t = dispatch_table(&n);
    for (size_t i = 0; i < n; i++) {
        rds_rows += t[i].service == &rds_api;
        kms_rows += t[i].service == &kms_api;
        sm_rows += t[i].service == &secretsmanager_api;
    }
    char head[64];
    snprintf(head, sizeof head, "%zu of %zu RDS operations are implemented.", rds_rows, rds_api.n_ops);
    CHECK_CONTAINS(buf, head);
    snprintf(head, sizeof head, "%zu of %zu KMS operations are implemented.", kms_rows, kms_api.n_ops);
    CHECK_CONTAINS(buf, head);
    snprintf(head, sizeof head, "%zu of %zu Secrets Manager operations are implemented.", sm_rows,
             secretsmanager_api.n_ops);
    CHECK_CONTAINS(buf, head);
    size_t rows = 0;
    for (const char *p = buf; (p = strstr(p, "\n| ")) != NULL; p++)
        rows++;
    CHECK_INT(rows, rds_api.n_ops + 1 + kms_api.n_ops + 1 + secretsmanager_api.n_ops + 1); /* + a header row per service */
    for (size_t i = 0; i < n; i++) {
        char line[128];
        snprintf(line, sizeof line, "| %s | implemented |", t[i].name);
        CHECK_CONTAINS(buf, line);
    }
    CHECK_CONTAINS(buf, "| CreateDBCluster | not implemented");
    CHECK_CONTAINS(buf, "| CreateGrant | not implemented");
    free(buf);
}

static const check_case cases[] = {
    TEST(test_dispatch_table__sorted_strictly),
    TEST(test_dispatch_table__rows_are_real_operations),
    TEST(test_dispatch_table__find_handler),
    TEST(test_dispatch_table__cacheable_rows_are_read_only),
    TEST(test_dispatch_table__router),
    TEST(test_dispatch_table__coverage_lists_every_operation),
};
CHECK_MAIN(cases, NULL, NULL)
