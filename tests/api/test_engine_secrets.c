/* test_engine_secrets.c: the engine's Secrets Manager (engine/secrets) in process, on an
 * API-only engine in a temp state dir, with the real store and KMS: values sealed under
 * aws/secretsmanager (created on first use) and never stored in clear, staging labels
 * across PutSecretValue and UpdateSecretVersionStage, a refused request changing nothing,
 * deletion by the clock, RDS-managed secrets (created with an instance, refused to the user,
 * rotated through ModifyDBInstance, scheduled for deletion with the instance) and secrets
 * that survive a reopen of the engine. */
#include "temp_engine.h"
#include "check.h"
#include "engine_internal.h"

static char state_dir[64];
static engine *E;
static arena *A;

static void setup(void)
{
    temp_engine_setup("secrets", state_dir, &E, &A);
}

static void cleanup(void)
{
    temp_engine_cleanup(state_dir, &E, &A);
}

static engine_req req(void)
{
    return temp_engine_req(E, A, "us-east-1");
}

static sm_secret *create(const char *name, const char *value, const char *kms)
{
    engine_req r = req();
    secret_put_in in = { .id = name, .kms_key_id = kms, .value = { .string = value } };
    sm_secret *s = NULL;
    const char *version;
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_secret_create(&r, &in, &s, &version, &err), 0);
    return s;
}

static const char *value_of(const char *id, const char *stage)
{
    engine_req r = req();
    secret_value_view v;
    rds_error err;
    rds_error_clear(&err);
    if (engine_secret_get_value(&r, id, NULL, stage, &v, &err))
        return NULL;
    return v.value.string;
}

static void test_secrets__sealed_under_the_managed_key(void)
{
    sm_secret *s = create("app", "hunter2-plaintext", NULL);
    CHECK(strncmp(s->arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-", 57) == 0);
    CHECK_INT(strlen(s->arn), 57 + 6);
    CHECK_STR(value_of("app", NULL), "hunter2-plaintext");
    rds_error err;
    rds_error_clear(&err);
    store *st = engine__store(E, &err);
    sm_secret_version **vs;
    size_t n;
    CHECK_INT(store_secret_versions(st, A, s->arn, &vs, &n, &err), 0);
    CHECK_INT(n, 1);
    /* hex of the plaintext is not in the stored blob */
    CHECK(strstr(vs[0]->blob, "68756e74657232") == NULL);
    kms_alias *al;
    CHECK_INT(store_kms_alias_get(st, A, "us-east-1", "alias/aws/secretsmanager", &al, &err), 0);
    CHECK(al != NULL);
    CHECK(strstr(s->key_arn, al->key_id) != NULL);
}

static void test_secrets__stages_move_and_refusals_change_nothing(void)
{
    create("s", "one", NULL);
    engine_req r = req();
    rds_error err;
    rds_error_clear(&err);
    sm_secret *sec;
    sm_secret_version *v;
    secret_put_in p = { .id = "s", .value = { .string = "two" } };
    CHECK_INT(engine_secret_put_value(&r, &p, &sec, &v, &err), 0);
    CHECK_STR(v->stages, ",AWSCURRENT,");
    CHECK_STR(value_of("s", "AWSPREVIOUS"), "one");
    /* both kinds of value: refused, nothing changes */
    secret_put_in both = { .id = "s", .value = { .string = "x", .binary = (const unsigned char *)"y", .binary_n = 1 } };
    CHECK_ERR(engine_secret_put_value(&r, &both, &sec, &v, &err), &err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION);
    CHECK_STR(value_of("s", NULL), "two");
    /* a pending version, then AWSCURRENT moved onto it */
    str_list pending = { (const char *[]){ "AWSPENDING" }, 1 };
    secret_put_in pp = { .id = "s", .value = { .string = "three" }, .stages = pending };
    CHECK_INT(engine_secret_put_value(&r, &pp, &sec, &v, &err), 0);
    const char *pend_id = v->version_id;
    CHECK_STR(value_of("s", NULL), "two");
    secret_view dv;
    CHECK_INT(engine_secret_describe(&r, "s", &dv, &err), 0);
    const char *cur_id = NULL;
    for (size_t i = 0; i < dv.n_versions; i++)
        if (strstr(dv.versions[i]->stages, ",AWSCURRENT,"))
            cur_id = dv.versions[i]->version_id;
    CHECK(cur_id != NULL);
    CHECK_ERR(engine_secret_update_stage(&r, "s", "AWSCURRENT", NULL, pend_id, &sec, &err), &err,
              RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION);
    CHECK_STR(value_of("s", NULL), "two");
    CHECK_INT(engine_secret_update_stage(&r, "s", "AWSCURRENT", cur_id, pend_id, &sec, &err), 0);
    CHECK_STR(value_of("s", NULL), "three");
    CHECK_STR(value_of("s", "AWSPREVIOUS"), "two");
}

static void test_secrets__deletion_by_the_clock_and_restore(void)
{
    create("d", "v", NULL);
    engine_req r = req();
    rds_error err;
    rds_error_clear(&err);
    sm_secret *s;
    CHECK_ERR(engine_secret_delete(&r, "d", (opt_int){ true, 31 }, (opt_bool){ 0 }, &s, &err), &err,
              RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION);
    CHECK_INT(engine_secret_delete(&r, "d", (opt_int){ true, 7 }, (opt_bool){ 0 }, &s, &err), 0);
    CHECK(value_of("d", NULL) == NULL);
    CHECK_INT(engine_secret_restore(&r, "d", &s, &err), 0);
    CHECK_STR(value_of("d", NULL), "v");
    CHECK_INT(engine_secret_delete(&r, "d", (opt_int){ true, 7 }, (opt_bool){ 0 }, &s, &err), 0);
    CHECK_INT(engine_clock_advance(E, 6LL * 86400 * 1000, &err), 0);
    engine_tick(E);
    secret_view v;
    CHECK_INT(engine_secret_describe(&r, "d", &v, &err), 0);
    CHECK_INT(engine_clock_advance(E, 2LL * 86400 * 1000, &err), 0);
    engine_tick(E);
    CHECK_ERR(engine_secret_describe(&r, "d", &v, &err), &err, RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION);
}

static void test_secrets__disabled_key_refuses_reads(void)
{
    engine_req r = req();
    kms_create_key_in in = { .description = "k" };
    kms_key_view k;
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_kms_create_key(&r, &in, &k, &err), 0);
    create("k", "v", k.k->key_id);
    CHECK_INT(engine_kms_set_state(&r, k.k->key_id, KMS_DISABLE, (opt_int){ 0 }, &k, &err), 0);
    secret_value_view v;
    CHECK_ERR(engine_secret_get_value(&r, "k", NULL, NULL, &v, &err), &err, RDS_E_SECRETSMANAGER_DECRYPTION_FAILURE);
}

static const char *managed_instance(const char *id)
{
    engine_req r = req();
    create_instance_in in = { .id = id, .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .allocated_storage = { true, 20 },
                              .manage_master_password = { true, true } };
    instance_view v;
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_create_instance(&r, &in, &v, &err), 0);
    CHECK(v.inst->master_secret_arn != NULL);
    return v.inst->master_secret_arn;
}

static void test_secrets__rds_owned_secret(void)
{
    const char *arn = managed_instance("db1");
    CHECK(strstr(arn, ":secret:rds!db-") != NULL);
    const char *json = value_of(arn, NULL);
    CHECK(json != NULL);
    CHECK(strncmp(json, "{\"username\":\"admin1\",\"password\":\"", 33) == 0);
    engine_req r = req();
    rds_error err;
    rds_error_clear(&err);
    sm_secret *s;
    sm_secret_version *ver;
    secret_put_in p = { .id = arn, .value = { .string = "mine" } };
    CHECK_ERR(engine_secret_put_value(&r, &p, &s, &ver, &err), &err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION);
    CHECK_ERR(engine_secret_delete(&r, arn, (opt_int){ 0 }, (opt_bool){ true, true }, &s, &err), &err,
              RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION);
    CHECK_STR(value_of(arn, NULL), json);
    /* rotation without ApplyImmediately is refused and changes nothing */
    modify_instance_in m = { .id = "db1", .rotate_master_password = { true, true } };
    instance_view v;
    CHECK_ERR(engine_modify_instance(&r, &m, &v, &err), &err, RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(value_of(arn, NULL), json);
    m.apply_immediately = (opt_bool){ true, true };
    CHECK_INT(engine_modify_instance(&r, &m, &v, &err), 0);
    CHECK(strcmp(value_of(arn, NULL), json) != 0);
    CHECK_STR(value_of(arn, "AWSPREVIOUS"), json);
    /* RotateSecret on RDS's secret rotates through the instance, also after a rename */
    modify_instance_in rn = { .id = "db1", .new_id = "db1b", .apply_immediately = { true, true } };
    CHECK_INT(engine_modify_instance(&r, &rn, &v, &err), 0);
    const char *before = arena_strdup(A, value_of(arn, NULL));
    secret_rotate_in rot = { .id = arn };
    const char *version;
    CHECK_INT(engine_secret_rotate(&r, &rot, &s, &version, &err), 0);
    CHECK(version != NULL);
    CHECK(strcmp(value_of(arn, NULL), before) != 0);
    CHECK_STR(value_of(arn, "AWSPREVIOUS"), before);
    /* deleting the instance schedules the secret's deletion */
    delete_instance_in d = { .id = "db1b", .skip_final_snapshot = { true, true } };
    CHECK_INT(engine_delete_instance(&r, &d, &v, &err), 0);
    secret_view sv;
    CHECK_INT(engine_secret_describe(&r, arn, &sv, &err), 0);
    CHECK(sv.sec->deletion_at_ms > 0);
}

static void test_secrets__rds_secret_rotates_on_its_schedule(void)
{
    const char *arn = managed_instance("db3");
    const char *first = arena_strdup(A, value_of(arn, NULL));
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_clock_advance(E, 6LL * 86400 * 1000, &err), 0);
    engine_tick(E);
    CHECK_STR(value_of(arn, NULL), first);
    CHECK_INT(engine_clock_advance(E, 2LL * 86400 * 1000, &err), 0);
    engine_tick(E);
    const char *second = arena_strdup(A, value_of(arn, NULL));
    CHECK(strcmp(second, first) != 0);
    CHECK_STR(value_of(arn, "AWSPREVIOUS"), first);
    /* the next one is due 7 days after that rotation, not after the creation */
    engine_tick(E);
    CHECK_STR(value_of(arn, NULL), second);
}

/* A rotation staged its AWSPENDING version, then rdslocal stopped before the rotation
 * committed: the next run finishes it (the staged password becomes current). */
static void test_secrets__staged_rotation_finished_after_a_crash(void)
{
    const char *arn = arena_strdup(A, managed_instance("db4"));
    const char *before = arena_strdup(A, value_of(arn, NULL));
    engine_req r = req();
    rds_error err;
    rds_error_clear(&err);
    store *st = engine__store(E, &err);
    CHECK_INT(store_begin(st, &err), 0);
    CHECK_INT(engine__secret_rds_stage(&r, st, arn, "admin1", "Staged-Pass-123", &err), 0);
    CHECK_INT(store_commit(st, &err), 0);
    CHECK_STR(value_of(arn, NULL), before);
    CHECK_STR(value_of(arn, "AWSPENDING"), "{\"username\":\"admin1\",\"password\":\"Staged-Pass-123\"}");
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    engine_tick(E);
    CHECK_STR(value_of(arn, NULL), "{\"username\":\"admin1\",\"password\":\"Staged-Pass-123\"}");
    CHECK_STR(value_of(arn, "AWSPREVIOUS"), before);
    CHECK(value_of(arn, "AWSPENDING") == NULL);
}

static void test_secrets__survive_reopen(void)
{
    create("keep", "durable", NULL);
    const char *arn = arena_strdup(A, managed_instance("db2"));
    const char *json = arena_strdup(A, value_of(arn, NULL));
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    CHECK_STR(value_of("keep", NULL), "durable");
    CHECK_STR(value_of(arn, NULL), json);
}

static const check_case cases[] = {
    TEST(test_secrets__sealed_under_the_managed_key),
    TEST(test_secrets__stages_move_and_refusals_change_nothing),
    TEST(test_secrets__deletion_by_the_clock_and_restore),
    TEST(test_secrets__disabled_key_refuses_reads),
    TEST(test_secrets__rds_owned_secret),
    TEST(test_secrets__rds_secret_rotates_on_its_schedule),
    TEST(test_secrets__staged_rotation_finished_after_a_crash),
    TEST(test_secrets__survive_reopen),
};
CHECK_MAIN(cases, setup, cleanup)
