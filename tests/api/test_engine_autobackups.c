/* test_engine_autobackups.c: automated backups (engine/automated_backups) in process, on
 * an API-only engine with real SQLite: the first backup at the worker's tick, daily ones and
 * expiry by rdslocal's clock, DescribeDBInstanceAutomatedBackups (Marker paging over 25
 * instances, filters, errors), retention 0 and back, retained backups after delete and
 * DeleteDBInstanceAutomatedBackup, what pitr calls (find, base_for), DescribeDBSnapshots'
 * SnapshotType, DeleteDBSnapshot's refusal, and a reopen of the engine losing nothing. */
#include "temp_engine.h"
#include "check.h"
#include "engine_internal.h"

#include <stdio.h>

#define DAY_MS (86400LL * 1000)

static char state_dir[64];
static engine *E;
static arena *A;
static rds_error err;

static void setup(void)
{
    temp_engine_setup("autobackup", state_dir, &E, &A);
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

static int create_instance(const char *id, int retention)
{
    engine_req r = req();
    create_instance_in in = { .id = id, .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .master_password = "secret-pass-1",
                              .allocated_storage = { true, 20 }, .backup_retention = { true, retention },
                              .backup_window = "03:00-03:30" };
    instance_view v;
    return engine_create_instance(&r, &in, &v, &err);
}

static size_t automated(const char *instance_id, snapshot_view **out)
{
    engine_req r = req();
    describe_snapshots_in in = { .instance_id = instance_id, .snapshot_type = "automated", .max_records = 100 };
    snapshot_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_snapshots(&r, &in, &v, &n, &next, &err), 0);
    if (out)
        *out = v;
    return n;
}

static int backups(describe_autobackups_in *in, autobackup_view **v, size_t *n, const char **next)
{
    engine_req r = req();
    if (!in->max_records)
        in->max_records = 100;
    return engine_describe_autobackups(&r, in, v, n, next, &err);
}

static const char *status_of(const char *instance_id)
{
    describe_autobackups_in in = { .instance_id = instance_id };
    autobackup_view *v;
    size_t n;
    const char *next;
    if (backups(&in, &v, &n, &next) || n != 1)
        return NULL;
    return v[0].status;
}

static void test_autobackup__first_backup_daily_and_expiry(void)
{
    CHECK_INT(create_instance("db1", 1), 0);
    CHECK_INT(create_instance("nobackup", 0), 0);
    /* listed at once (creating: no automated snapshot yet; the worker ticks once a second),
     * with the ARN it keeps */
    describe_autobackups_in in = { .instance_id = "db1" };
    autobackup_view *bv;
    size_t bn;
    const char *bnext;
    CHECK_INT(backups(&in, &bv, &bn, &bnext), 0);
    CHECK_INT(bn, 1);
    CHECK_STR(bv[0].status, "creating");
    const char *arn = arena_strdup(A, bv[0].arn);
    CHECK(status_of("nobackup") == NULL);
    engine_tick(E);
    CHECK_INT(backups(&in, &bv, &bn, &bnext), 0);
    CHECK_STR(bv[0].arn, arn);
    snapshot_view *s;
    CHECK_INT(automated("db1", &s), 1);
    CHECK_INT(automated("nobackup", NULL), 0);
    CHECK_STR(s[0].snap->snapshot_type, "automated");
    CHECK(strncmp(s[0].snap->id, "rds:db1-", 8) == 0 && strlen(s[0].snap->id) == strlen("rds:db1-2026-01-01-03-00"));
    const char *first = arena_strdup(A, s[0].snap->id);
    CHECK_STR(status_of("db1"), "active");
    /* a tick before the window makes nothing new */
    engine_tick(E);
    CHECK_INT(automated("db1", NULL), 1);
    /* a day later: the daily one, the first still kept (base of the window's start) */
    CHECK_INT(engine_clock_advance(E, DAY_MS, &err), 0);
    CHECK_INT(automated("db1", &s), 2);
    CHECK_STR(s[0].snap->id, first);
    CHECK(strcmp(s[1].snap->id, first) != 0);
    /* dated at the start of the window the clock jumped over (03:00-03:30) */
    CHECK(strlen(s[1].snap->id) > 6 && strcmp(s[1].snap->id + strlen(s[1].snap->id) - 6, "-03-00") == 0);
    CHECK_INT(s[1].snap->created_at_ms % DAY_MS, 3 * 3600 * 1000);
    /* two days (and a minute: this runs within a millisecond) later: the first has expired */
    CHECK_INT(engine_clock_advance(E, DAY_MS + 60000, &err), 0);
    CHECK_INT(automated("db1", &s), 2);
    CHECK(strcmp(s[0].snap->id, first) != 0);
    /* manual listing and the manual-only delete */
    engine_req r = req();
    describe_snapshots_in man = { .snapshot_type = "manual", .max_records = 100 };
    snapshot_view *v;
    size_t n;
    const char *next;
    CHECK_INT(engine_describe_snapshots(&r, &man, &v, &n, &next, &err), 0);
    CHECK_INT(n, 0);
    snapshot_view dv;
    CHECK_ERR(engine_delete_snapshot(&r, s[0].snap->id, &dv, &err), &err, RDS_E_INVALID_DB_SNAPSHOT_STATE);
    CHECK_STR(err.message, "automated snapshots cannot be deleted.");
    /* the events of one backup, in order */
    describe_events_in ev = { .source_id = "db1", .source_type = "db-instance", .start_ms = 0, .end_ms = INT64_MAX };
    rds_event **evs;
    CHECK_INT(engine_describe_events(&r, &ev, &evs, &n, &next, &err), 0);
    int started = 0, finished = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(evs[i]->message, "Backing up DB instance") == 0)
            started++;
        if (strcmp(evs[i]->message, "Finished DB Instance backup") == 0) {
            finished++;
            CHECK(started == finished);
        }
    }
    CHECK_INT(finished, 3);
}

static void test_autobackup__describe_paging_filters_errors(void)
{
    char id[16];
    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof id, "inst%02d", i);
        CHECK_INT(create_instance(id, 7), 0);
    }
    engine_tick(E);
    describe_autobackups_in in = { .max_records = 20 };
    autobackup_view *v;
    size_t n;
    const char *next;
    CHECK_INT(backups(&in, &v, &n, &next), 0);
    CHECK_INT(n, 20);
    CHECK(next != NULL);
    for (size_t i = 1; i < n; i++)
        CHECK(strcmp(v[i - 1].b->id, v[i].b->id) < 0);
    CHECK_STR(v[0].status, "active");
    CHECK_INT(v[0].b->retention_days, 7);
    CHECK(v[0].earliest_ms > 0);
    CHECK(strncmp(v[0].arn, "arn:aws:rds:us-east-1:123456789012:auto-backup:ab-", 50) == 0);
    describe_autobackups_in page2 = { .max_records = 20, .marker = next };
    CHECK_INT(backups(&page2, &v, &n, &next), 0);
    CHECK_INT(n, 5);
    CHECK(next == NULL);
    const char *rid = v[0].b->id, *arn = v[0].arn, *iid = v[0].b->instance_id;
    describe_autobackups_in by_rid = { .dbi_resource_id = rid };
    CHECK_INT(backups(&by_rid, &v, &n, &next), 0);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].b->instance_id, iid);
    describe_autobackups_in by_arn = { .arn = arn };
    CHECK_INT(backups(&by_arn, &v, &n, &next), 0);
    CHECK_INT(n, 1);
    const char *two[] = { "inst03", "inst04" };
    describe_autobackups_in by_filter = { .f_instance_ids = { two, 2 } };
    CHECK_INT(backups(&by_filter, &v, &n, &next), 0);
    CHECK_INT(n, 2);
    const char *retained[] = { "retained" };
    describe_autobackups_in by_status = { .f_status = { retained, 1 } };
    CHECK_INT(backups(&by_status, &v, &n, &next), 0);
    CHECK_INT(n, 0);
    const char *bad[] = { "bogus" };
    describe_autobackups_in bad_status = { .f_status = { bad, 1 } };
    CHECK_ERR(backups(&bad_status, &v, &n, &next), &err, RDS_E_INVALID_PARAMETER_VALUE);
    describe_autobackups_in none = { .instance_id = "nope" };
    CHECK_ERR(backups(&none, &v, &n, &next), &err, RDS_E_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND);
    describe_autobackups_in bad_arn = { .arn = "arn:aws:rds:us-east-1:123456789012:db:inst01" };
    CHECK_ERR(backups(&bad_arn, &v, &n, &next), &err, RDS_E_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND);
}

static void test_autobackup__retention_zero_and_back(void)
{
    CHECK_INT(create_instance("db1", 3), 0);
    engine_tick(E);
    CHECK_INT(automated("db1", NULL), 1);
    engine_req r = req();
    instance_view iv;
    modify_instance_in off = { .id = "db1", .backup_retention = { true, 0 }, .apply_immediately = { true, true } };
    CHECK_INT(engine_modify_instance(&r, &off, &iv, &err), 0);
    CHECK_INT(automated("db1", NULL), 0);
    CHECK(status_of("db1") == NULL);
    CHECK_INT(err.code, RDS_E_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND);
    CHECK_INT(engine_clock_advance(E, 2 * DAY_MS, &err), 0);
    CHECK_INT(automated("db1", NULL), 0);
    modify_instance_in on = { .id = "db1", .backup_retention = { true, 2 }, .apply_immediately = { true, true } };
    CHECK_INT(engine_modify_instance(&r, &on, &iv, &err), 0);
    engine_tick(E);
    CHECK_INT(automated("db1", NULL), 1);
    CHECK_STR(status_of("db1"), "active");
}

static void test_autobackup__retained_find_delete_reopen(void)
{
    CHECK_INT(create_instance("keep", 2), 0);
    CHECK_INT(create_instance("drop", 2), 0);
    engine_tick(E);
    engine_req r = req();
    store *s = engine__store(E, &err);
    db_automated_backup b;
    CHECK_INT(engine__autobackup_find(&r, s, "keep", NULL, NULL, &b, &err), 0);
    CHECK_STR(b.status, "active");
    const char *rid = arena_strdup(A, b.id);
    autobackup_view v;
    CHECK_ERR(engine_delete_autobackup(&r, rid, NULL, &v, &err), &err, RDS_E_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE);
    CHECK_ERR(engine_delete_autobackup(&r, NULL, NULL, &v, &err), &err, RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_ERR(engine_delete_autobackup(&r, "db-NOPE", NULL, &v, &err), &err, RDS_E_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND);
    /* a base for an instant after the first backup, none before it */
    db_snapshot base;
    CHECK_INT(engine__autobackup_base_for(&r, s, rid, rds_real_now_ms() + 1, &base, &err), 0);
    CHECK_STR(base.snapshot_type, "automated");
    CHECK_ERR(engine__autobackup_base_for(&r, s, rid, 1, &base, &err), &err, RDS_E_INVALID_RESTORE_FAULT);
    instance_view iv;
    delete_instance_in dk = { .id = "keep", .skip_final_snapshot = { true, true },
                              .delete_automated_backups = { true, false } };
    CHECK_INT(engine_delete_instance(&r, &dk, &iv, &err), 0);
    delete_instance_in dd = { .id = "drop", .skip_final_snapshot = { true, true } };
    CHECK_INT(engine_delete_instance(&r, &dd, &iv, &err), 0);
    CHECK_STR(status_of("keep"), "retained");
    CHECK(status_of("drop") == NULL);
    CHECK_INT(automated("keep", NULL), 1);
    CHECK_INT(automated("drop", NULL), 0);
    CHECK_INT(engine__autobackup_find(&r, s, "keep", NULL, NULL, &b, &err), 0);
    CHECK_STR(b.status, "retained");
    /* a reopen (restart) loses nothing */
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    r = req();
    s = engine__store(E, &err);
    CHECK_STR(status_of("keep"), "retained");
    CHECK_INT(automated("keep", NULL), 1);
    /* still there a day later, gone when the retention period (2 days) has passed */
    CHECK_INT(engine_clock_advance(E, DAY_MS, &err), 0);
    CHECK_STR(status_of("keep"), "retained");
    CHECK_INT(engine_clock_advance(E, DAY_MS + 60000, &err), 0);
    CHECK(status_of("keep") == NULL);
    CHECK_INT(automated("keep", NULL), 0);
}

static void test_autobackup__delete_retained(void)
{
    CHECK_INT(create_instance("gone", 5), 0);
    engine_tick(E);
    engine_req r = req();
    instance_view iv;
    delete_instance_in dk = { .id = "gone", .skip_final_snapshot = { true, true },
                              .delete_automated_backups = { true, false } };
    CHECK_INT(engine_delete_instance(&r, &dk, &iv, &err), 0);
    describe_autobackups_in in = { .instance_id = "gone" };
    autobackup_view *v;
    size_t n;
    const char *next;
    CHECK_INT(backups(&in, &v, &n, &next), 0);
    CHECK_INT(n, 1);
    const char *arn = arena_strdup(A, v[0].arn);
    autobackup_view out;
    CHECK_INT(engine_delete_autobackup(&r, NULL, arn, &out, &err), 0);
    CHECK_STR(out.status, "deleting");
    CHECK(status_of("gone") == NULL);
    CHECK_INT(automated("gone", NULL), 0);
    CHECK_ERR(engine_delete_autobackup(&r, NULL, arn, &out, &err), &err, RDS_E_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND);
}

/* A backup cut off by a kill of rdslocal (its instance row says running) is taken again at
 * the first tick after the restart, not only when its retry time comes. */
static void test_autobackup__running_backup_resumes_after_restart(void)
{
    CHECK_INT(create_instance("cut", 1), 0);
    store *s = engine__store(E, &err);
    db_instance *d;
    CHECK_INT(store_instance_get(s, A, "us-east-1", "cut", &d, &err), 0);
    d->autobackup_next_ms = -(rds_now_ms() + 300000); /* as record_start leaves it */
    CHECK_INT(store_begin(s, &err), 0);
    CHECK_INT(store_instance_put(s, d, &err), 0);
    CHECK_INT(store_commit(s, &err), 0);
    engine_close(E);
    E = temp_engine_reopen(state_dir);
    engine_tick(E);
    /* the worker's own first tick may have started it on the backup thread: wait for it */
    for (int i = 0; i < 200 && automated("cut", NULL) == 0; i++)
        usleep(10000);
    CHECK_INT(automated("cut", NULL), 1);
    CHECK_STR(status_of("cut"), "active");
}

/* An encrypted instance's automated backup and snapshots carry its key (the AWS managed
 * aws/rds key when none is named). */
static void test_autobackup__encryption_fields(void)
{
    engine_req r = req();
    create_instance_in in = { .id = "enc", .engine = "postgres", .instance_class = "db.t3.micro",
                              .master_username = "admin1", .master_password = "secret-pass-1",
                              .allocated_storage = { true, 20 }, .storage_encrypted = { true, true } };
    instance_view iv;
    CHECK_INT(engine_create_instance(&r, &in, &iv, &err), 0);
    CHECK_INT(create_instance("plain", 1), 0);
    engine_tick(E);
    describe_autobackups_in q = { .instance_id = "enc" };
    autobackup_view *v;
    size_t n;
    const char *next;
    CHECK_INT(backups(&q, &v, &n, &next), 0);
    CHECK_INT(n, 1);
    CHECK(v[0].b->encrypted);
    CHECK(v[0].b->kms_key_id && strncmp(v[0].b->kms_key_id, "arn:aws:kms:us-east-1:123456789012:key/", 39) == 0);
    CHECK_STR(v[0].b->kms_key_id, iv.inst->kms_key_id);
    snapshot_view *s;
    CHECK_INT(automated("enc", &s), 1);
    CHECK(s[0].snap->encrypted);
    CHECK_STR(s[0].snap->kms_key_id, iv.inst->kms_key_id);
    describe_autobackups_in p = { .instance_id = "plain" };
    CHECK_INT(backups(&p, &v, &n, &next), 0);
    CHECK(!v[0].b->encrypted);
    CHECK(v[0].b->kms_key_id == NULL);
}

static const check_case cases[] = {
    TEST(test_autobackup__first_backup_daily_and_expiry),
    TEST(test_autobackup__describe_paging_filters_errors),
    TEST(test_autobackup__retention_zero_and_back),
    TEST(test_autobackup__retained_find_delete_reopen),
    TEST(test_autobackup__delete_retained),
    TEST(test_autobackup__running_backup_resumes_after_restart),
    TEST(test_autobackup__encryption_fields),
};
CHECK_MAIN(cases, setup, cleanup)
