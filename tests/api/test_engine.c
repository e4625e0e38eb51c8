/* test_engine.c: the engine façade and its private helpers, in process, on an API-only
 * engine (no postgres) in a temp state dir: the issue #6 defects, the model's pending
 * table (db_instance.def), the resource registry and the operation runner. */
#include "temp_engine.h"
#include "check.h"
#include "engine_internal.h"

static char state_dir[64];
static engine *E;
static arena *A;

static void setup(void)
{
    temp_engine_setup("engine", state_dir, &E, &A);
}

static void cleanup(void)
{
    temp_engine_cleanup(state_dir, &E, &A);
}

static engine_req req(void)
{
    return temp_engine_req(E, A, "us-east-1");
}

static int create(const char *id, rds_error *err)
{
    engine_req r = req();
    create_instance_in in = { .id = id, .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .master_password = "secret-pass-1",
                              .allocated_storage = { true, 20 } };
    instance_view v;
    return engine_create_instance(&r, &in, &v, err);
}

/* Issue #6: engine__spec returned its major in a thread-local buffer that the next call
 * overwrote; two specs held at once (reconcile) must keep their own. */
static void test_engine__issue_6_spec_not_overwritten(void)
{
    db_instance a = { .resource_id = "db-A", .engine_version = "15.4", .port = 1 };
    db_instance b = { .resource_id = "db-B", .engine_version = "16.2", .port = 2 };
    sv_instance_spec sa = engine__spec(A, &a);
    sv_instance_spec sb = engine__spec(A, &b);
    CHECK_STR(sa.major, "15");
    CHECK_STR(sb.major, "16");
    CHECK_STR(sa.key, "db-A");
}

/* Issue #6: engine_delete_instance checked out for NULL and then dereferenced it. */
static void test_engine__issue_6_delete_without_view(void)
{
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(create("db1", &err), 0);
    engine_req r = req();
    delete_instance_in in = { .id = "db1", .skip_final_snapshot = { true, true } };
    CHECK_INT(engine_delete_instance(&r, &in, NULL, &err), 0);
    describe_instances_in d = { .id = "db1" };
    instance_view *v;
    size_t n;
    const char *next;
    CHECK_ERR(engine_describe_instances(&r, &d, &v, &n, &next, &err), &err, RDS_E_DB_INSTANCE_NOT_FOUND);
}

/* Issue #6: one default storage type, gp3, in engine and rules. */
static void test_engine__issue_6_default_storage_gp3(void)
{
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(create("db2", &err), 0);
    engine_req r = req();
    describe_instances_in d = { .id = "db2" };
    instance_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_instances(&r, &d, &v, &n, &next, &err), 0);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(v[0].inst->storage_type, RULES_DEFAULT_STORAGE_TYPE);
}

/* Issue #6: the worker finds the instance of a supervisor report by its resource id. */
static void test_engine__issue_6_instance_by_resource_id(void)
{
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(create("db3", &err), 0);
    CHECK_INT(create("db4", &err), 0);
    engine_req r = req();
    describe_instances_in d = { .id = "db4" };
    instance_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_instances(&r, &d, &v, &n, &next, &err), 0);
    CHECK_INT(n, 1);
    store *s = engine__store(E, &err);
    db_instance *found = NULL;
    CHECK_INT(store_instance_by_resource_id(s, A, v[0].inst->resource_id, &found, &err), 0);
    CHECK(found != NULL);
    if (found)
        CHECK_STR(found->id, "db4");
    CHECK_INT(store_instance_by_resource_id(s, A, "db-NONE", &found, &err), 0);
    CHECK(found == NULL);
}

/* The deferrable fields come from db_instance.def: the renderer's table is in AWS's order,
 * and promote applies exactly the MPF_APPLY rows. */
static void test_engine__pending_table(void)
{
    static const char *const order[] = { "DBInstanceClass", "AllocatedStorage", "MasterUserPassword",
                                         "Port", "BackupRetentionPeriod", "MultiAZ", "EngineVersion",
                                         "StorageType", "CACertificateIdentifier", "DBInstanceIdentifier" };
    CHECK_INT(DBI_P__COUNT, sizeof order / sizeof order[0]);
    for (size_t i = 0; i < DBI_P__COUNT && i < sizeof order / sizeof order[0]; i++)
        CHECK_STR(db_instance_pending[i].wire, order[i]);
    db_instance d = { .id = "x", .instance_class = "db.t3.micro", .allocated_storage_gib = 20,
                      .backup_retention_days = 1, .pending_backup_retention_days = -1,
                      .pending_multi_az = -1 };
    model_value v;
    for (size_t i = 0; i < DBI_P__COUNT; i++)
        CHECK(!model_pending_value(&d, &db_instance_pending[i], &v));
    model_defer_str(&d, DBI_P_pending_instance_class, false, "db.m5.large");
    model_defer_int(&d, DBI_P_pending_multi_az, false, 1);
    model_defer_int(&d, DBI_P_pending_backup_retention_days, false, 1); /* same as now: hidden */
    d.pending_master_password = true;
    CHECK(model_pending_value(&d, &db_instance_pending[DBI_P_pending_instance_class], &v));
    CHECK_STR(v.s, "db.m5.large");
    CHECK(model_pending_value(&d, &db_instance_pending[DBI_P_pending_multi_az], &v));
    CHECK(v.type == MF_BOOL && v.b);
    CHECK(!model_pending_value(&d, &db_instance_pending[DBI_P_pending_backup_retention_days], &v));
    CHECK(model_pending_value(&d, &db_instance_pending[DBI_P_pending_master_password], &v));
    CHECK_STR(v.s, "****");
    bool promoted[DBI_P__COUNT];
    CHECK(model_pending_promote(&d, promoted));
    CHECK_STR(d.instance_class, "db.m5.large");
    CHECK(d.multi_az);
    CHECK(d.pending_instance_class == NULL);
    CHECK_INT(d.pending_multi_az, -1);
    CHECK(promoted[DBI_P_pending_multi_az] && !promoted[DBI_P_pending_port]);
    CHECK(d.pending_master_password); /* not an MPF_APPLY row: left to its owner */
    /* every pending row has a store column */
    size_t found = 0;
    for (size_t i = 0; i < db_instance_field_count; i++)
        for (size_t k = 0; k < DBI_P__COUNT; k++)
            found += strcmp(db_instance_fields[i].column, db_instance_pending[k].column) == 0;
    CHECK_INT(found, DBI_P__COUNT);
}

/* The registry knows each family by its ARN resource type. */
static void test_engine__registry(void)
{
    CHECK(engine__kind_by_arn_type("db") == &engine__kind_instance);
    CHECK(engine__kind_by_arn_type("subgrp") == &engine__kind_subnet_group);
    CHECK(engine__kind_by_arn_type("snapshot") == &engine__kind_snapshot);
    CHECK_STR(engine__kind_snapshot.source_type, "db-snapshot");
    CHECK(engine__kind_by_arn_type("cluster-snapshot") == NULL);
    CHECK_STR(engine__kind_instance.source_type, "db-instance");
    rds_error err;
    rds_error_clear(&err);
    engine_req r = req();
    tag_list tags = { (rds_tag[]){ { "k", "v" } }, 1 };
    CHECK_ERR(engine_tags_add(&r, "arn:aws:rds:us-east-1:123456789012:db:nope", &tags, &err), &err,
              RDS_E_DB_INSTANCE_NOT_FOUND);
    rds_error_clear(&err);
    CHECK_INT(engine_tags_add(&r, "arn:aws:rds:us-east-1:123456789012:subgrp:default", &tags, &err), 0);
}

/* The runner: a failing step stops the run, and a failing write rolls back. */
static int step_fail(engine_op *op, rds_error *err)
{
    (void)op;
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "refused");
}

static int step_write_then_fail(engine_op *op, rds_error *err)
{
    CHECK(store_in_tx(op->s));
    CHECK(engine__lock_held());
    if (store_meta_set(op->s, "probe", "1", err))
        return -1;
    return step_fail(op, err);
}

static int count_calls;
static int step_count(engine_op *op, rds_error *err)
{
    (void)op;
    (void)err;
    count_calls++;
    return 0;
}

static void test_engine__runner(void)
{
    rds_error err;
    rds_error_clear(&err);
    engine_req r = req();
    count_calls = 0;
    engine_op op = { .r = &r, .kind = "db", .name = "x", .check = step_fail, .act = step_count };
    CHECK_ERR(engine__run(&op, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(count_calls, 0);
    CHECK(!engine__lock_held());
    rds_error_clear(&err);
    engine_op op2 = { .r = &r, .kind = "db", .name = "x", .write = step_write_then_fail, .after = step_count };
    CHECK_ERR(engine__run(&op2, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(count_calls, 0);
    char *v = NULL;
    rds_error_clear(&err);
    CHECK_INT(store_meta_get(op2.s, A, "probe", &v, &err), 0);
    CHECK(v == NULL); /* rolled back */
    CHECK(!store_in_tx(op2.s));
}

static const check_case cases[] = {
    TEST(test_engine__issue_6_spec_not_overwritten),
    TEST(test_engine__issue_6_delete_without_view),
    TEST(test_engine__issue_6_default_storage_gp3),
    TEST(test_engine__issue_6_instance_by_resource_id),
    TEST(test_engine__pending_table),
    TEST(test_engine__registry),
    TEST(test_engine__runner),
};
CHECK_MAIN(cases, setup, cleanup)
