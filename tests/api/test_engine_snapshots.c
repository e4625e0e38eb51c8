/* test_engine_snapshots.c: the DB snapshot family (engine/snapshots) in process, on an
 * API-only engine in a temp state dir with real SQLite and the real engine KMS: create,
 * describe, delete, the encryption rules of CopyDBSnapshot and RestoreDBInstanceFromDBSnapshot,
 * the `restore` attribute's sharing rules, the final snapshot of DeleteDBInstance, and that
 * every refused request leaves the model as it was. */
#include "temp_engine.h"
#include "check.h"
#include "engine_internal.h"

static char state_dir[64];
static engine *E;
static arena *A;
static rds_error err;

static void setup(void)
{
    temp_engine_setup("snap", state_dir, &E, &A);
    rds_error_clear(&err);
}

static void cleanup(void)
{
    temp_engine_cleanup(state_dir, &E, &A);
}

static engine_req req(const char *region)
{
    return temp_engine_req(E, A, region);
}

static int create_instance(const char *id, bool encrypted, const char *key)
{
    engine_req r = req("us-east-1");
    create_instance_in in = { .id = id, .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .master_password = "secret-pass-1",
                              .allocated_storage = { true, 20 }, .storage_encrypted = { encrypted, encrypted },
                              .kms_key_id = key };
    instance_view v;
    return engine_create_instance(&r, &in, &v, &err);
}

static int snap(const char *sid, const char *inst, snapshot_view *v)
{
    engine_req r = req("us-east-1");
    tag_list none = { 0 };
    return engine_create_snapshot(&r, sid, inst, &none, v, &err);
}

static int copy(const char *region, const char *src, const char *dst, const char *key, snapshot_view *v)
{
    engine_req r = req(region);
    copy_snapshot_in in = { .source = src, .target = dst, .kms_key_id = key };
    return engine_copy_snapshot(&r, &in, v, &err);
}

static size_t count(void)
{
    engine_req r = req("us-east-1");
    describe_snapshots_in in = { .snapshot_type = "manual", .max_records = 100 }; /* automated ones come and go with the worker */
    snapshot_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_snapshots(&r, &in, &v, &n, &next, &err), 0);
    return n;
}

static kms_key_view new_key(void)
{
    engine_req r = req("us-east-1");
    kms_create_key_in in = { .description = "snap" };
    kms_key_view v = { 0 };
    CHECK_INT(engine_kms_create_key(&r, &in, &v, &err), 0);
    return v;
}

static void test_snap__create_describe_delete(void)
{
    snapshot_view v;
    CHECK_INT(create_instance("db1", false, NULL), 0);
    CHECK_INT(snap("S1", "db1", &v), 0);
    CHECK_STR(v.status, "creating");
    CHECK_STR(v.snap->id, "s1");
    CHECK_STR(v.arn, "arn:aws:rds:us-east-1:123456789012:snapshot:s1");
    CHECK(!v.snap->encrypted);
    CHECK_ERR(snap("s1", "db1", &v), &err, RDS_E_DB_SNAPSHOT_ALREADY_EXISTS);
    CHECK_ERR(snap("s2", "nope", &v), &err, RDS_E_DB_INSTANCE_NOT_FOUND);
    CHECK_ERR(snap("9s", "db1", &v), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(count(), 1);
    engine_req r = req("us-east-1");
    describe_snapshots_in in = { .snapshot_id = "s1", .max_records = 100 };
    snapshot_view *vs;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_snapshots(&r, &in, &vs, &n, &next, &err), 0);
    CHECK_INT(n, 1);
    CHECK_STR(vs[0].status, "available");
    CHECK_INT(vs[0].percent_progress, 100);
    CHECK_INT(engine_delete_snapshot(&r, "s1", &v, &err), 0);
    CHECK_STR(v.status, "deleted");
    CHECK_ERR(engine_describe_snapshots(&r, &in, &vs, &n, &next, &err), &err, RDS_E_DB_SNAPSHOT_NOT_FOUND);
    CHECK_ERR(engine_delete_snapshot(&r, "s1", &v, &err), &err, RDS_E_DB_SNAPSHOT_NOT_FOUND);
    CHECK_INT(count(), 0);
}

static void test_snap__copy_encryption_rules(void)
{
    kms_key_view k1 = new_key(), k2 = new_key();
    engine_req r = req("us-east-1");
    CHECK_INT(engine_kms_create_alias(&r, "alias/lesson", k1.arn, &err), 0);
    snapshot_view v;
    CHECK_INT(create_instance("db1", false, NULL), 0);
    CHECK_INT(snap("plain", "db1", &v), 0);
    /* unencrypted + KmsKeyId (an alias) -> encrypted with the KEY's ARN */
    CHECK_INT(copy("us-east-1", "plain", "enc", "alias/lesson", &v), 0);
    CHECK(v.snap->encrypted);
    CHECK_STR(v.snap->kms_key_id, k1.arn);
    /* unencrypted without a key stays unencrypted */
    CHECK_INT(copy("us-east-1", "plain", "plain2", NULL, &v), 0);
    CHECK(!v.snap->encrypted);
    /* encrypted without a key keeps its key: no way to an unencrypted copy */
    CHECK_INT(copy("us-east-1", "enc", "enc-same", NULL, &v), 0);
    CHECK(v.snap->encrypted);
    CHECK_STR(v.snap->kms_key_id, k1.arn);
    /* re-encryption under another key */
    CHECK_INT(copy("us-east-1", "enc", "enc-k2", k2.k->key_id, &v), 0);
    CHECK_STR(v.snap->kms_key_id, k2.arn);
    /* across regions an encrypted source needs a key of the destination region */
    CHECK_ERR(copy("eu-west-1", "arn:aws:rds:us-east-1:123456789012:snapshot:enc", "x", NULL, &v), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(copy("eu-west-1", "arn:aws:rds:us-east-1:123456789012:snapshot:plain", "x", NULL, &v), 0);
    CHECK_STR(v.snap->source_region, "us-east-1");
    CHECK_STR(v.snap->region, "eu-west-1");
    /* a key of another region is not accessible */
    CHECK_ERR(copy("eu-west-1", "arn:aws:rds:us-east-1:123456789012:snapshot:plain", "y", k1.arn, &v), &err,
              RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    /* a disabled key: neither as the new key nor as the source's */
    opt_int none = { 0 };
    size_t before = count();
    CHECK_INT(engine_kms_set_state(&r, k1.arn, KMS_DISABLE, none, NULL, &err), 0);
    CHECK_ERR(copy("us-east-1", "plain", "bad1", "alias/lesson", &v), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_ERR(copy("us-east-1", "enc", "bad2", NULL, &v), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    /* the source's key: RDS's wording for it, the KMS state in the detail */
    CHECK_CONTAINS(err.message, k1.arn);
    CHECK_CONTAINS(err.message, "does not exist, is not enabled or you do not have permissions");
    CHECK_CONTAINS(err.detail, "Disabled");
    restore_instance_in ri = { .id = "r-bad", .snapshot_id = "enc" };
    instance_view iv;
    CHECK_ERR(engine_restore_instance_from_snapshot(&r, &ri, &iv, &err), &err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT);
    CHECK_INT(count(), before);
    CHECK_INT(engine_kms_set_state(&r, k1.arn, KMS_ENABLE, none, NULL, &err), 0);
    /* the restored instance inherits the snapshot's encryption and key */
    ri.id = "r-enc";
    CHECK_INT(engine_restore_instance_from_snapshot(&r, &ri, &iv, &err), 0);
    CHECK(iv.inst->storage_encrypted);
    CHECK_STR(iv.inst->kms_key_id, k1.arn);
    CHECK_STR(iv.status, "creating");
    /* gp3: the snapshot's baseline (20 GiB: 3000 IOPS / 125 MiB/s) is not kept; a bigger
     * restore gets the baseline of its size */
    CHECK_INT(iv.inst->iops, 3000);
    CHECK_INT(iv.inst->storage_throughput, 125);
    restore_instance_in big = { .id = "r-big", .snapshot_id = "plain", .allocated_storage = { true, 400 } };
    CHECK_INT(engine_restore_instance_from_snapshot(&r, &big, &iv, &err), 0);
    CHECK_STR(iv.inst->storage_type, "gp3");
    CHECK_INT(iv.inst->iops, 12000);
    CHECK_INT(iv.inst->storage_throughput, 500);
}

static void test_snap__sharing_rules(void)
{
    kms_key_view k = new_key();
    engine_req r = req("us-east-1");
    snapshot_view v;
    const char *id;
    str_list out;
    const char *all[] = { "all" }, *acct[] = { "111122223333" };
    str_list add_all = { all, 1 }, add_acct = { acct, 1 }, none = { 0 };
    CHECK_INT(create_instance("managed", true, NULL), 0);
    CHECK_INT(snap("m1", "managed", &v), 0);
    CHECK(v.snap->encrypted);
    /* encrypted with the AWS managed key: cannot be shared at all */
    CHECK_ERR(engine_modify_snapshot_attribute(&r, "m1", "restore", &add_acct, &none, &id, &out, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(copy("us-east-1", "m1", "c1", k.arn, &v), 0);
    /* a customer key: shared with an account, never public */
    CHECK_ERR(engine_modify_snapshot_attribute(&r, "c1", "restore", &add_all, &none, &id, &out, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(engine_modify_snapshot_attribute(&r, "c1", "restore", &add_acct, &none, &id, &out, &err), 0);
    CHECK_INT(out.n, 1);
    CHECK_STR(out.v[0], "111122223333");
    CHECK_ERR(engine_modify_snapshot_attribute(&r, "c1", "copy", &add_acct, &none, &id, &out, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(engine_describe_snapshot_attributes(&r, "c1", &id, &out, &err), 0);
    CHECK_INT(out.n, 1);
}

static void test_snap__final_snapshot(void)
{
    engine_req r = req("us-east-1");
    snapshot_view v;
    instance_view iv;
    CHECK_INT(create_instance("db1", false, NULL), 0);
    CHECK_INT(snap("taken", "db1", &v), 0);
    delete_instance_in d = { .id = "db1", .final_snapshot_id = "taken" };
    CHECK_ERR(engine_delete_instance(&r, &d, &iv, &err), &err, RDS_E_DB_SNAPSHOT_ALREADY_EXISTS);
    d.final_snapshot_id = "bad--id";
    CHECK_ERR(engine_delete_instance(&r, &d, &iv, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(count(), 1);
    d.final_snapshot_id = "final";
    CHECK_INT(engine_delete_instance(&r, &d, &iv, &err), 0);
    CHECK_INT(count(), 2);
    CHECK_ERR(snap("again", "db1", &v), &err, RDS_E_DB_INSTANCE_NOT_FOUND);
}

static const check_case cases[] = {
    TEST(test_snap__create_describe_delete),
    TEST(test_snap__copy_encryption_rules),
    TEST(test_snap__sharing_rules),
    TEST(test_snap__final_snapshot),
};
CHECK_MAIN(cases, setup, cleanup)
