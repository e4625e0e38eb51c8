/* test_engine_params.c: DB parameter groups (engine/parameter_groups) in process, on an
 * API-only engine in a temp state dir with real SQLite; the engine defaults come from the
 * installed PostgreSQL's own settings catalog (postgres --describe-config). Create, copy,
 * describe, modify, reset, delete; AWS's errors and that a refused request changes nothing;
 * what an instance's row says its server runs with (dynamic now, static held until a
 * reboot, a group switch at the next reboot); engine__instance_param; a restart. */
#include "temp_engine.h"
#include "check.h"
#include "engine_internal.h"

#include <string.h>

static char state_dir[64];
static engine *E;
static arena *A;
static rds_error err;

static void setup(void)
{
    temp_engine_setup("params", state_dir, &E, &A);
    rds_error_clear(&err);
}

static void cleanup(void)
{
    temp_engine_cleanup(state_dir, &E, &A);
}

static engine_req req(void)
{
    return temp_engine_req(E, A, "us-east-1");
}

static const char *family(void)
{
    engine_req r = req();
    engine_version_view *v;
    size_t n;
    CHECK_INT(engine_versions(&r, "postgres", NULL, NULL, true, &v, &n, &err), 0);
    CHECK_INT(n, 1);
    return v[0].family;
}

static int create_group(const char *name)
{
    engine_req r = req();
    param_group_view v;
    return engine_create_param_group(&r, name, family(), "test group", NULL, &v, &err);
}

static int set1(const char *group, const char *name, const char *value, const char *method)
{
    engine_req r = req();
    param_in p = { name, value, method };
    param_in_list l = { &p, 1 };
    return engine_modify_param_group(&r, group, &l, &err);
}

static size_t user_params(const char *group)
{
    engine_req r = req();
    param_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_params(&r, group, "user", NULL, 100, &v, &n, &next, &err), 0);
    return n;
}

static db_instance *row(const char *id)
{
    engine_req r = req();
    store *s = engine__store(E, &err);
    db_instance *d = NULL;
    CHECK(s && store_instance_get(s, r.a, "us-east-1", id, &d, &err) == 0 && d);
    return d;
}

static int create_instance(const char *id, const char *group)
{
    engine_req r = req();
    create_instance_in in = { .id = id, .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .master_password = "secret-pass-1",
                              .allocated_storage = { true, 20 }, .parameter_group = group };
    instance_view v;
    return engine_create_instance(&r, &in, &v, &err);
}

static void test_params__defaults_from_the_server_catalog(void)
{
    engine_req r = req();
    param_view *v;
    size_t n, total = 0;
    const char *next = NULL, *marker = NULL;
    bool saw_work_mem = false, saw_force_ssl = false, saw_port = false;
    do {
        CHECK_INT(engine_default_params(&r, family(), marker, 100, &v, &n, &next, &err), 0);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v[i].name, "work_mem") == 0) {
                saw_work_mem = true;
                CHECK_STR(v[i].data_type, "integer");
                CHECK_STR(v[i].apply_type, "dynamic");
                CHECK_STR(v[i].allowed, "64-2147483647");
            } else if (strcmp(v[i].name, "rds.force_ssl") == 0) {
                saw_force_ssl = true;
                CHECK_STR(v[i].value, "1");
            } else if (strcmp(v[i].name, "port") == 0) {
                saw_port = true;
                CHECK(!v[i].modifiable);
                CHECK_STR(v[i].source, "system");
            } else if (strcmp(v[i].name, "shared_buffers") == 0) {
                CHECK_STR(v[i].apply_type, "static");
            }
            CHECK(!marker || strcmp(v[i].name, marker) > 0);
        }
        total += n;
        marker = next;
    } while (next);
    CHECK(total > 250);
    CHECK(saw_work_mem && saw_force_ssl && saw_port);
    CHECK_ERR(engine_default_params(&r, "mysql8.0", NULL, 100, &v, &n, &next, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
}

static void test_params__create_copy_describe_delete(void)
{
    engine_req r = req();
    param_group_view v, *list;
    size_t n;
    const char *next;
    CHECK_INT(create_group("App-Group"), 0);
    CHECK_ERR(create_group("app-group"), &err, RDS_E_DB_PARAMETER_GROUP_ALREADY_EXISTS);
    CHECK_ERR(create_group(arena_printf(A, "default.%s", family())), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(create_group("bad--name"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(create_group("1abc"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(set1("app-group", "log_statement", "ddl", "immediate"), 0);
    CHECK_INT(engine_copy_param_group(&r, "app-group", "copy1", "copied", NULL, &v, &err), 0);
    CHECK_STR(v.family, family());
    CHECK_CONTAINS(v.arn, ":pg:copy1");
    CHECK_INT(user_params("copy1"), 1);
    CHECK_ERR(engine_copy_param_group(&r, "nope", "copy2", "copied", NULL, &v, &err), &err,
              RDS_E_DB_PARAMETER_GROUP_NOT_FOUND);
    CHECK_INT(engine_describe_param_groups(&r, NULL, NULL, 100, &list, &n, &next, &err), 0);
    CHECK_INT(n, 3); /* the default group of the installed major and the two */
    CHECK_STR(list[0].name, "app-group");
    CHECK_STR(list[1].name, "copy1");
    CHECK_INT(engine_describe_param_groups(&r, NULL, "app-group", 100, &list, &n, &next, &err), 0);
    CHECK_INT(n, 2);
    CHECK_INT(engine_delete_param_group(&r, "copy1", &err), 0);
    CHECK_ERR(engine_delete_param_group(&r, "copy1", &err), &err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND);
    CHECK_ERR(engine_describe_param_groups(&r, "copy1", NULL, 100, &list, &n, &next, &err), &err,
              RDS_E_DB_PARAMETER_GROUP_NOT_FOUND);
    CHECK_ERR(engine_delete_param_group(&r, arena_printf(A, "default.%s", family()), &err), &err,
              RDS_E_INVALID_DB_PARAMETER_GROUP_STATE);
    CHECK_CONTAINS(err.message, "Default DBParameterGroup cannot be deleted");
}

static void test_params__quota(void)
{
    for (int i = 0; i < 50; i++)
        CHECK_INT(create_group(arena_printf(A, "g%d", i)), 0);
    CHECK_ERR(create_group("one-too-many"), &err, RDS_E_DB_PARAMETER_GROUP_QUOTA_EXCEEDED);
}

static void test_params__validation(void)
{
    CHECK_INT(create_group("v"), 0);
    CHECK_ERR(set1(arena_printf(A, "default.%s", family()), "work_mem", "8192", "immediate"), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Cannot modify a default parameter group.");
    CHECK_ERR(set1("v", "no_such", "1", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Could not find parameter with name: no_such");
    CHECK_ERR(set1("v", "work_mem", "63", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Invalid parameter value: 63 for: work_mem allowed values are: 64-2147483647");
    CHECK_ERR(set1("v", "work_mem", "1e3", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "autovacuum", "true", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "max_connections", "100", "immediate"), &err, RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_ERR(set1("v", "listen_addresses", "*", "pending-reboot"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "data_directory", "/", "pending-reboot"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "ssl_key_file", "/etc/shadow", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "shared_preload_libraries", "../../evil", "pending-reboot"), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "search_path", "a\nport = 1", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "work_mem", "8192", "later"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("v", "rds.log_retention_period", "60", "immediate"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(set1("nope", "work_mem", "8192", "immediate"), &err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND);
    CHECK_INT(user_params("v"), 0); /* nothing of the refused requests was kept */
    CHECK_INT(set1("v", "shared_preload_libraries", "pg_stat_statements, auto_explain", "pending-reboot"), 0);
    CHECK_INT(set1("v", "max_connections", "100", NULL), 0); /* static: pending-reboot by default */
    CHECK_INT(set1("v", "rds.force_ssl", "0", "immediate"), 0);
    CHECK_INT(user_params("v"), 3);
}

static void test_params__instance_follows_its_group(void)
{
    engine_req r = req();
    instance_view iv;
    CHECK_INT(create_group("app"), 0);
    CHECK_INT(set1("app", "log_min_duration_statement", "250", "immediate"), 0);
    CHECK_INT(set1("app", "max_locks_per_transaction", "128", "pending-reboot"), 0);
    CHECK_ERR(create_instance("db1", "nope"), &err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND);
    CHECK_INT(create_instance("db1", "APP"), 0);
    db_instance *d = row("db1");
    CHECK_STR(d->parameter_group, "app");
    CHECK_STR(d->param_apply_status, "in-sync");
    CHECK_STR(d->param_conf_dynamic, "log_min_duration_statement = '250'\n");
    CHECK_STR(d->param_conf_static, "max_locks_per_transaction = '128'\n");
    CHECK(d->param_force_ssl); /* RDS's default for postgres 15 */
    /* dynamic: in the row (and the server) at once */
    CHECK_INT(set1("app", "search_path", "it's", "immediate"), 0);
    d = row("db1");
    CHECK_CONTAINS(d->param_conf_dynamic, "search_path = 'it''s'\n");
    CHECK_STR(d->param_apply_status, "in-sync");
    /* static: held */
    CHECK_INT(set1("app", "max_locks_per_transaction", "256", "pending-reboot"), 0);
    d = row("db1");
    CHECK_STR(d->param_conf_static, "max_locks_per_transaction = '128'\n");
    CHECK_STR(d->param_apply_status, "pending-reboot");
    CHECK_STR(engine__instance_param(E, engine__store(E, &err), A, d, "rds.log_retention_period"), "4320");
    CHECK_INT(set1("app", "rds.log_retention_period", "1440", "immediate"), 0);
    CHECK_STR(engine__instance_param(E, engine__store(E, &err), A, d, "rds.log_retention_period"), "1440");
    CHECK(engine__instance_param(E, engine__store(E, &err), A, d, "work_mem") == NULL);
    CHECK_ERR(engine_delete_param_group(&r, "app", &err), &err, RDS_E_INVALID_DB_PARAMETER_GROUP_STATE);
    CHECK_INT(engine_reboot_instance(&r, "db1", (opt_bool){ 0 }, &iv, &err), 0);
    d = row("db1");
    CHECK_STR(d->param_conf_static, "max_locks_per_transaction = '256'\n");
    CHECK_STR(d->param_apply_status, "in-sync");
    /* the spec the supervisor gets: static then dynamic lines */
    sv_instance_spec spec = engine__spec(A, d);
    CHECK_CONTAINS(spec.param_conf, "max_locks_per_transaction = '256'\nlog_min_duration_statement");
    CHECK(spec.force_ssl); /* rds.force_ssl=1 (the default) on a server with TLS */
    d->ca_certificate_id = NULL;
    CHECK(!engine__spec(A, d).force_ssl); /* never without TLS: no client could connect */
    /* a reset of all: dynamic ones go now, static ones at the next reboot */
    CHECK_INT(engine_reset_param_group(&r, "app", true, NULL, &err), 0);
    d = row("db1");
    CHECK_STR(d->param_conf_dynamic, "");
    CHECK_STR(d->param_apply_status, "pending-reboot");
}

static void test_params__switch_group(void)
{
    engine_req r = req();
    instance_view iv;
    CHECK_INT(create_instance("db2", NULL), 0);
    db_instance *d = row("db2");
    CHECK_STR(d->parameter_group, arena_printf(A, "default.%s", family()));
    CHECK_INT(create_group("other"), 0);
    CHECK_INT(set1("other", "work_mem", "8192", "immediate"), 0);
    modify_instance_in m = { .id = "db2", .parameter_group = "nope", .apply_immediately = { true, true } };
    CHECK_ERR(engine_modify_instance(&r, &m, &iv, &err), &err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND);
    m.parameter_group = "other";
    CHECK_INT(engine_modify_instance(&r, &m, &iv, &err), 0);
    d = row("db2");
    CHECK_STR(d->parameter_group, "other");
    CHECK_STR(d->param_apply_status, "pending-reboot");
    CHECK_STR(d->param_conf_dynamic, ""); /* applied at the reboot */
    CHECK_INT(engine_reboot_instance(&r, "db2", (opt_bool){ 0 }, &iv, &err), 0);
    d = row("db2");
    CHECK_STR(d->param_conf_dynamic, "work_mem = '8192'\n");
    CHECK_STR(d->param_apply_status, "in-sync");
}

static void test_params__survive_restart(void)
{
    CHECK_INT(create_group("kept"), 0);
    CHECK_INT(set1("kept", "log_statement", "mod", "immediate"), 0);
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    engine_req r = req();
    param_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_params(&r, "kept", "user", NULL, 100, &v, &n, &next, &err), 0);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].value, "mod");
    CHECK_STR(v[0].apply_method, "immediate");
}

static void test_params__option_groups(void)
{
    engine_req r = req();
    option_group_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_option_groups(&r, NULL, "postgres", NULL, NULL, 100, &v, &n, &next, &err), 0);
    CHECK_INT(n, 1);
    CHECK_CONTAINS(v[0].name, "default:postgres-");
    CHECK_INT(engine_describe_option_groups(&r, NULL, "mysql", NULL, NULL, 100, &v, &n, &next, &err), 0);
    CHECK_INT(n, 0);
    CHECK_ERR(engine_describe_option_groups(&r, "nope", NULL, NULL, NULL, 100, &v, &n, &next, &err), &err,
              RDS_E_OPTION_GROUP_NOT_FOUND_FAULT);
    CHECK_ERR(engine_option_group_options(&r, NULL, NULL, &err), &err, RDS_E_MISSING_PARAMETER);
}

static const check_case cases[] = {
    TEST(test_params__defaults_from_the_server_catalog),
    TEST(test_params__create_copy_describe_delete),
    TEST(test_params__quota),
    TEST(test_params__validation),
    TEST(test_params__instance_follows_its_group),
    TEST(test_params__switch_group),
    TEST(test_params__survive_restart),
    TEST(test_params__option_groups),
};
CHECK_MAIN(cases, setup, cleanup)
