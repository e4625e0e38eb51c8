/* test_engine_kms.c: the engine's KMS (engine/kms) in process, on an API-only engine in a temp
 * state dir, with real OpenSSL and SQLite: key references (id, ARN, alias, alias ARN), the
 * AWS managed key alias/aws/rds created on first use, key states, the blob round trip and
 * its tamper/context checks, the data-key API other families use (INTERFACES.md section
 * 1), the master key file, and blobs that still open after the engine is reopened. */
#include "temp_engine.h"
#include "check.h"
#include "engine_internal.h"

#include <sys/stat.h>

static char state_dir[64];
static engine *E;
static arena *A;

static void setup(void)
{
    temp_engine_setup("kms", state_dir, &E, &A);
}

static void cleanup(void)
{
    temp_engine_cleanup(state_dir, &E, &A);
}

static engine_req req(const char *region)
{
    return temp_engine_req(E, A, region);
}

static kms_key_view new_key(const char *desc)
{
    engine_req r = req("us-east-1");
    kms_create_key_in in = { .description = desc };
    kms_key_view v = { 0 };
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_kms_create_key(&r, &in, &v, &err), 0);
    return v;
}

static void test_kms__references_resolve_to_the_key_arn(void)
{
    kms_key_view v = new_key("k1");
    CHECK(strncmp(v.arn, "arn:aws:kms:us-east-1:123456789012:key/", 39) == 0);
    CHECK_STR(v.k->key_state, "Enabled");
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_kms_create_alias(&r, "alias/app", v.k->key_id, &err), 0);
    store *s = engine__store(E, &err);
    const char *refs[] = { v.k->key_id, v.arn, "alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app" };
    for (size_t i = 0; i < 4; i++) {
        const char *arn = NULL;
        CHECK_INT(engine__kms_usable_key(&r, s, refs[i], &arn, &err), 0);
        CHECK_STR(arn, v.arn);
    }
    /* another region does not see it */
    engine_req r2 = req("eu-west-1");
    const char *arn = NULL;
    CHECK_ERR(engine__kms_usable_key(&r2, s, v.k->key_id, &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_ERR(engine__kms_usable_key(&r, s, "alias/nope", &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_ERR(engine__kms_usable_key(&r, s, "not-a-key", &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    /* the alias/aws/ prefix is reserved */
    CHECK_ERR(engine_kms_create_alias(&r, "alias/aws/mine", v.k->key_id, &err), &err,
              RDS_E_KMS_INVALID_ALIAS_NAME_EXCEPTION);
    CHECK_ERR(engine_kms_create_alias(&r, "alias/app", v.k->key_id, &err), &err, RDS_E_KMS_ALREADY_EXISTS_EXCEPTION);
}

static void test_kms__managed_key_created_on_first_use(void)
{
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(E, &err);
    const char *a1 = NULL, *a2 = NULL;
    CHECK_INT(engine__kms_usable_key(&r, s, NULL, &a1, &err), 0);
    CHECK_INT(engine__kms_usable_key(&r, s, "alias/aws/rds", &a2, &err), 0);
    CHECK_STR(a1, a2);
    CHECK(engine__kms_is_aws_managed(E, s, A, a1));
    kms_key_view v;
    CHECK_INT(engine_kms_describe_key(&r, "alias/aws/rds", &v, &err), 0);
    CHECK_STR(v.k->key_manager, "AWS");
    CHECK_STR(v.k->description, "Default key that protects my RDS database volumes when no other key is defined");
    /* inside a caller's transaction too (the creation joins it) */
    engine_req r2 = req("eu-west-1");
    CHECK_INT(store_begin(s, &err), 0);
    CHECK_INT(engine__kms_usable_key(&r2, s, "", &a1, &err), 0);
    CHECK_INT(store_commit(s, &err), 0);
    CHECK(strncmp(a1, "arn:aws:kms:eu-west-1:", 22) == 0);
    /* the managed key's state is AWS's */
    opt_int none = { 0 };
    CHECK_ERR(engine_kms_set_state(&r, v.arn, KMS_DISABLE, none, NULL, &err), &err,
              RDS_E_JSON_ACCESS_DENIED_EXCEPTION);
    CHECK_CONTAINS(err.message, "is not authorized to perform: kms:DisableKey on resource: ");
    CHECK_ERR(engine_kms_set_rotation(&r, v.k->key_id, true, none, &err), &err, RDS_E_JSON_ACCESS_DENIED_EXCEPTION);
    CHECK_CONTAINS(err.message, "kms:EnableKeyRotation");
    /* the operations that manage a key take a key id or ARN, never an alias */
    CHECK_ERR(engine_kms_set_state(&r, "alias/aws/rds", KMS_DISABLE, none, NULL, &err), &err,
              RDS_E_KMS_NOT_FOUND_EXCEPTION);
    CHECK_ERR(engine_kms_get_key(&r, "alias/aws/rds", &v, &err), &err, RDS_E_KMS_NOT_FOUND_EXCEPTION);
}

static void test_kms__states_gate_use(void)
{
    kms_key_view v = new_key("k2");
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(E, &err);
    const char *st = NULL, *arn = NULL;
    opt_int none = { 0 };
    CHECK_INT(engine_kms_set_state(&r, v.k->key_id, KMS_DISABLE, none, NULL, &err), 0);
    CHECK_INT(engine__kms_key_state(E, s, A, v.arn, &st, &err), 0);
    CHECK_STR(st, "Disabled");
    CHECK_ERR(engine__kms_usable_key(&r, s, v.arn, &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    unsigned char p[32], *blob;
    size_t n;
    CHECK_ERR(engine__kms_new_data_key(E, s, A, v.arn, p, &blob, &n, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_ERR(engine_kms_encrypt(&r, v.arn, (const unsigned char *)"x", 1, NULL, &blob, &n, &arn, &err), &err,
              RDS_E_KMS_DISABLED_EXCEPTION);
    CHECK_INT(engine_kms_set_state(&r, v.k->key_id, KMS_ENABLE, none, NULL, &err), 0);
    opt_int six = { true, 6 };
    CHECK_ERR(engine_kms_set_state(&r, v.k->key_id, KMS_SCHEDULE_DELETION, six, NULL, &err), &err,
              RDS_E_JSON_VALIDATION_EXCEPTION);
    kms_key_view after;
    opt_int seven = { true, 7 };
    CHECK_INT(engine_kms_set_state(&r, v.k->key_id, KMS_SCHEDULE_DELETION, seven, &after, &err), 0);
    CHECK_STR(after.k->key_state, "PendingDeletion");
    CHECK_INT(after.k->deletion_at_ms - rds_now_ms() <= 7LL * 86400 * 1000, 1);
    CHECK_ERR(engine_kms_encrypt(&r, v.arn, (const unsigned char *)"x", 1, NULL, &blob, &n, &arn, &err), &err,
              RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION);
    CHECK_CONTAINS(err.message, "is pending deletion.");
    CHECK_ERR(engine__kms_usable_key(&r, s, v.arn, &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_INT(engine_kms_set_state(&r, v.k->key_id, KMS_CANCEL_DELETION, none, &after, &err), 0);
    CHECK_STR(after.k->key_state, "Disabled");
    /* deletion by rdslocal's clock */
    CHECK_INT(engine_kms_set_state(&r, v.k->key_id, KMS_SCHEDULE_DELETION, seven, &after, &err), 0);
    CHECK_INT(engine_clock_advance(E, 7LL * 86400 * 1000 + 1000, &err), 0);
    engine_tick(E);
    CHECK_INT(engine__kms_key_state(E, s, A, v.arn, &st, &err), 0);
    CHECK(st == NULL);
}

static void test_kms__blobs_round_trip_and_detect_tampering(void)
{
    kms_key_view v = new_key("k3"), w = new_key("k4");
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    rds_tag pairs[2] = { { "purpose", "test" }, { "b", "c" } };
    kms_context ctx = { pairs, 2 }, other = { pairs, 1 };
    unsigned char *blob, *plain;
    size_t n, pn;
    const char *arn;
    CHECK_INT(engine_kms_encrypt(&r, v.k->key_id, (const unsigned char *)"hello", 5, &ctx, &blob, &n, &arn, &err), 0);
    CHECK_STR(arn, v.arn);
    CHECK_INT(engine_kms_decrypt(&r, NULL, blob, n, &ctx, &plain, &pn, &arn, &err), 0);
    CHECK_INT(pn, 5);
    CHECK(memcmp(plain, "hello", 5) == 0);
    CHECK_STR(arn, v.arn);
    CHECK_ERR(engine_kms_decrypt(&r, NULL, blob, n, &other, &plain, &pn, &arn, &err), &err,
              RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION);
    CHECK_ERR(engine_kms_decrypt(&r, w.k->key_id, blob, n, &ctx, &plain, &pn, &arn, &err), &err,
              RDS_E_KMS_INCORRECT_KEY_EXCEPTION);
    for (size_t i = 0; i < n; i += 7) { /* every region of the blob is authenticated */
        unsigned char *copy = arena_alloc(A, n);
        memcpy(copy, blob, n);
        copy[i] ^= 0x01;
        CHECK(engine_kms_decrypt(&r, NULL, copy, n, &ctx, &plain, &pn, &arn, &err) == -1);
    }
    CHECK_ERR(engine_kms_decrypt(&r, NULL, blob, n - 1, &ctx, &plain, &pn, &arn, &err), &err,
              RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION);
    /* the data-key API: wrapped under the key, names it */
    store *s = engine__store(E, &err);
    unsigned char k1[32], k2[32], *wrapped;
    size_t wn;
    CHECK_INT(engine__kms_new_data_key(E, s, A, v.arn, k1, &wrapped, &wn, &err), 0);
    CHECK_INT(engine__kms_open_data_key(E, s, A, wrapped, wn, k2, &arn, &err), 0);
    CHECK(memcmp(k1, k2, 32) == 0);
    CHECK_STR(arn, v.arn);
    wrapped[wn - 1] ^= 0x80;
    CHECK_ERR(engine__kms_open_data_key(E, s, A, wrapped, wn, k2, &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    wrapped[wn - 1] ^= 0x80;
    /* a disabled key cannot open it */
    opt_int none = { 0 };
    CHECK_INT(engine_kms_set_state(&r, v.arn, KMS_DISABLE, none, NULL, &err), 0);
    CHECK_ERR(engine__kms_open_data_key(E, s, A, wrapped, wn, k2, &arn, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_INT(engine_kms_set_state(&r, v.arn, KMS_ENABLE, none, NULL, &err), 0);
    /* the engine reopened on the same state dir: same master key, the blob still opens */
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    r = req("us-east-1");
    s = engine__store(E, &err);
    CHECK_INT(engine__kms_open_data_key(E, s, A, wrapped, wn, k2, &arn, &err), 0);
    CHECK(memcmp(k1, k2, 32) == 0);
    CHECK_INT(engine_kms_decrypt(&r, NULL, blob, n, &ctx, &plain, &pn, &arn, &err), 0);
    /* the master key file: 0600 in a 0700 dir */
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/kms", state_dir);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/kms/master.key", state_dir);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(st.st_size, 32);
}

static void test_kms__create_key_refuses_other_specs(void)
{
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    kms_key_view v;
    kms_create_key_in rsa = { .key_spec = "RSA_2048" }, mldsa = { .key_spec = "ML_DSA_44" },
                      sign = { .key_usage = "SIGN_VERIFY" };
    CHECK_ERR(engine_kms_create_key(&r, &rsa, &v, &err), &err, RDS_E_KMS_UNSUPPORTED_OPERATION_EXCEPTION);
    CHECK_ERR(engine_kms_create_key(&r, &mldsa, &v, &err), &err, RDS_E_KMS_UNSUPPORTED_OPERATION_EXCEPTION);
    CHECK_ERR(engine_kms_create_key(&r, &sign, &v, &err), &err, RDS_E_JSON_VALIDATION_EXCEPTION);
    kms_key_view *keys;
    size_t n;
    const char *next;
    CHECK_INT(engine_kms_list_keys(&r, NULL, 100, &keys, &n, &next, &err), 0);
    CHECK_INT(n, 0); /* refused requests created nothing */
}

/* CreateDBInstance StorageEncrypted: the row keeps the KEY's ARN whatever reference was
 * given; the default is alias/aws/rds; an unusable key creates nothing. */
static int create_encrypted(const char *id, const char *kms_key_id, instance_view *v, rds_error *err)
{
    engine_req r = req("us-east-1");
    create_instance_in in = { .id = id, .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .master_password = "secret-pass-1",
                              .allocated_storage = { true, 20 }, .storage_encrypted = { true, true },
                              .kms_key_id = kms_key_id };
    return engine_create_instance(&r, &in, v, err);
}

static void test_kms__create_instance_encrypted(void)
{
    kms_key_view k = new_key("db key");
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    CHECK_INT(engine_kms_create_alias(&r, "alias/db", k.arn, &err), 0);
    instance_view v;
    const char *refs[] = { k.k->key_id, k.arn, "alias/db", "arn:aws:kms:us-east-1:123456789012:alias/db" };
    for (size_t i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "enc%zu", i);
        CHECK_INT(create_encrypted(id, refs[i], &v, &err), 0);
        CHECK(v.inst->storage_encrypted);
        CHECK_STR(v.inst->kms_key_id, k.arn);
    }
    CHECK_INT(create_encrypted("encdefault", NULL, &v, &err), 0);
    kms_key_view managed;
    CHECK_INT(engine_kms_describe_key(&r, "alias/aws/rds", &managed, &err), 0);
    CHECK_STR(v.inst->kms_key_id, managed.arn);
    opt_int none = { 0 };
    CHECK_INT(engine_kms_set_state(&r, k.arn, KMS_DISABLE, none, NULL, &err), 0);
    CHECK_ERR(create_encrypted("encbad", k.arn, &v, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_ERR(create_encrypted("encbad", "alias/missing", &v, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    describe_instances_in d = { .id = "encbad" };
    instance_view *vs;
    size_t n;
    const char *next;
    CHECK_ERR(engine_describe_instances(&r, &d, &vs, &n, &next, &err), &err, RDS_E_DB_INSTANCE_NOT_FOUND);
}

static const char *status_of(const char *id)
{
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    describe_instances_in d = { .id = id };
    instance_view *vs;
    size_t n;
    const char *next;
    if (engine_describe_instances(&r, &d, &vs, &n, &next, &err) || n != 1)
        return NULL;
    return vs[0].status;
}

/* Part 5: a disabled or pending-deletion key makes its instances
 * inaccessible-encryption-credentials-recoverable; EnableKey + StartDBInstance bring them
 * back; 7 days later (rdslocal's clock) the state is terminal. */
static void test_kms__key_state_reaches_instances(void)
{
    kms_key_view k = new_key("lost key"), other = new_key("other");
    engine_req r = req("us-east-1");
    rds_error err;
    rds_error_clear(&err);
    instance_view v;
    CHECK_INT(create_encrypted("lost1", k.arn, &v, &err), 0);
    CHECK_INT(create_encrypted("lost2", "alias/aws/rds", &v, &err), 0);
    CHECK_INT(create_encrypted("keep1", other.k->key_id, &v, &err), 0);
    opt_int none = { 0 };
    CHECK_INT(engine_kms_set_state(&r, k.k->key_id, KMS_DISABLE, none, NULL, &err), 0);
    CHECK_STR(status_of("lost1"), "inaccessible-encryption-credentials-recoverable");
    CHECK_STR(status_of("lost2"), "available");
    CHECK_STR(status_of("keep1"), "available");
    CHECK_ERR(engine_start_instance(&r, "lost1", &v, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_ERR(engine_reboot_instance(&r, "lost1", (opt_bool){ 0 }, &v, &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
    CHECK_INT(engine_kms_set_state(&r, k.k->key_id, KMS_ENABLE, none, NULL, &err), 0);
    CHECK_STR(status_of("lost1"), "inaccessible-encryption-credentials-recoverable"); /* until started */
    CHECK_INT(engine_start_instance(&r, "lost1", &v, &err), 0);
    CHECK_STR(status_of("lost1"), "available");
    /* scheduled deletion: same, and the recovery period is 7 days by rdslocal's clock */
    opt_int seven = { true, 7 };
    CHECK_INT(engine_kms_set_state(&r, k.arn, KMS_SCHEDULE_DELETION, seven, NULL, &err), 0);
    CHECK_STR(status_of("lost1"), "inaccessible-encryption-credentials-recoverable");
    CHECK_INT(engine_clock_advance(E, 6LL * 86400 * 1000, &err), 0);
    engine_tick(E);
    CHECK_STR(status_of("lost1"), "inaccessible-encryption-credentials-recoverable");
    CHECK_INT(engine_clock_advance(E, 86400LL * 1000 + 1000, &err), 0);
    engine_tick(E);
    CHECK_STR(status_of("lost1"), "inaccessible-encryption-credentials");
    CHECK_ERR(engine_start_instance(&r, "lost1", &v, &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
    /* the events: shutdown, then the terminal status */
    describe_events_in ev = { .source_id = "lost1", .source_type = "db-instance", .start_ms = 0,
                              .end_ms = INT64_MAX };
    rds_event **evs;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_events(&r, &ev, &evs, &n, &next, &err), 0);
    bool shutdown = false, terminal = false;
    for (size_t i = 0; i < n; i++) {
        shutdown |= strcmp(evs[i]->message, "DB instance shutdown") == 0;
        terminal |= strstr(evs[i]->message, "inaccessible-encryption-credentials state") != NULL;
    }
    CHECK(shutdown);
    CHECK(terminal);
    delete_instance_in del = { .id = "lost1", .skip_final_snapshot = { true, true } };
    CHECK_INT(engine_delete_instance(&r, &del, &v, &err), 0);
}

/* A key disabled behind the engine's back (as if rdslocal died between the key's commit and
 * its instances'): the first tick after the next open applies it. */
static void test_kms__unusable_key_applied_after_reopen(void)
{
    kms_key_view k = new_key("crash");
    rds_error err;
    rds_error_clear(&err);
    instance_view v;
    CHECK_INT(create_encrypted("crash1", k.arn, &v, &err), 0);
    store *s = engine__store(E, &err);
    k.k->key_state = "Disabled";
    CHECK_INT(store_begin(s, &err), 0);
    CHECK_INT(store_kms_key_put(s, k.k, &err), 0);
    CHECK_INT(store_commit(s, &err), 0);
    CHECK_STR(status_of("crash1"), "available");
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    engine_tick(E);
    CHECK_STR(status_of("crash1"), "inaccessible-encryption-credentials-recoverable");
}

static const check_case cases[] = {
    TEST(test_kms__unusable_key_applied_after_reopen),
    TEST(test_kms__key_state_reaches_instances),
    TEST(test_kms__create_instance_encrypted),
    TEST(test_kms__references_resolve_to_the_key_arn),
    TEST(test_kms__managed_key_created_on_first_use),
    TEST(test_kms__states_gate_use),
    TEST(test_kms__blobs_round_trip_and_detect_tampering),
    TEST(test_kms__create_key_refuses_other_specs),
};
CHECK_MAIN(cases, setup, cleanup)
