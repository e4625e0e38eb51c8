/* take.c: the worker's automated-backup pass (engine__autobackup_tick, from engine_tick:
 * every second and at every clock advance):
 *   1. due backups: an available instance with retention > 0 whose autobackup_next_ms has
 *      come (0: its first backup, right after create or retention 0 -> N) gets an automated
 *      snapshot now, then the next one is due at the next start of its PreferredBackupWindow
 *      (rdslocal's clock). A clock jump over several windows makes one backup, not one per
 *      day skipped. The copy (pg_basebackup) runs without the instance's lock (take_one).
 *   2. expiry: automated snapshots older than the retention period go, except the newest
 *      of those (the base the oldest restorable instant needs); the WAL archived before the
 *      oldest kept base goes with them (pitr). A retained backup whose whole window has
 *      passed goes entirely. An active row whose instance no longer has backups (retention
 *      0 applied in a maintenance window) goes too.
 *   3. files of automated snapshots marked deleted are removed, then their rows. */
#include "automated_backups/autobackup.h"

#include <string.h>
#include <time.h>

enum { RETRY_AFTER_FAILURE_MS = 5 * 60 * 1000, DATED_AT_WINDOW_MS = 1500 };

int64_t autobackup__next_window_start(const char *window, int64_t after_ms)
{
    rules_window w;
    rds_error err = { 0 };
    int start_min = 0;
    if (window && rules_parse_backup_window(window, &w, &err) == 0)
        start_min = w.start_min;
    int64_t t = after_ms - after_ms % AUTOBACKUP_DAY_MS + (int64_t)start_min * 60000;
    while (t <= after_ms)
        t += AUTOBACKUP_DAY_MS;
    return t;
}

const char *autobackup__snapshot_id(arena *a, const char *instance_id, int64_t at_ms)
{
    time_t t = (time_t)(at_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return arena_printf(a, "rds:%s-%04d-%02d-%02d-%02d-%02d", instance_id, tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* ---- 1. one backup: an engine_op on the instance ---- */

typedef struct take_ctx {
    int64_t now;
    db_instance *d;
    db_snapshot *snap;
    engine_snap_take t;
} take_ctx;

static int take_load(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    /* re-read under the lock: deleted, stopped, retention 0 or already done meanwhile; a
     * transitional status shown (creating, modifying, with --realistic-timing) comes first,
     * so a new instance shows creating, then backing-up, then available, as on AWS */
    int64_t next = c->d ? c->d->autobackup_next_ms : 0;
    op->done = !c->d || strcmp(engine__shown_status(c->d, rds_now_ms()), "available") != 0 ||
               c->d->backup_retention_days <= 0 || (next < 0 ? -next : next) > c->now;
    return 0;
}

static int reschedule(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    c->d->autobackup_next_ms = autobackup__next_window_start(c->d->backup_window, c->now);
    return store_instance_put(op->s, c->d, err);
}

/* The snapshot row (what engine__snapshot_prepare makes for a manual one, without the
 * manual-only rules: identifier syntax, quota). */
static int take_decide(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_instance *d = c->d;
    /* A daily backup is dated at its window's start when that instant was (by the clock
     * map, pitr) at most a moment ago in real time: the clock jumped over it, or the tick
     * came right after it. The data of that instant is the data now (nothing ran in the
     * skipped time), so the backup shows inside its window, as on AWS. Otherwise (the
     * instance was stopped then, a retry): now. */
    int64_t due = d->autobackup_next_ms, at = c->now;
    if (due > 0 && due < c->now && engine__clock_real_of(r->e, op->s, due) >= rds_real_now_ms() - DATED_AT_WINDOW_MS)
        at = due;
    c->now = at;
    const char *id = autobackup__snapshot_id(r->a, d->id, at);
    db_snapshot *existing;
    if (store_snapshot_get(op->s, r->a, r->region, id, &existing, err))
        return -1;
    if (existing) {
        /* a backup of this minute exists already: nothing to take before the next window */
        op->write = reschedule;
        return 0;
    }
    char vpc[32];
    default_subnet subnets[DEFAULT_SUBNET_COUNT];
    model_default_vpc(d->region, vpc, subnets);
    db_snapshot *snap = c->snap = arena_alloc(r->a, sizeof *snap);
    char key[40] = "snap-";
    rds_random_upper(key + 5, 26);
    *snap = (db_snapshot){
        .region = r->region, .id = id, .instance_id = d->id, .resource_id = d->resource_id,
        .snap_key = rds_lower(arena_strdup(r->a, key)), .snapshot_type = "automated", .status = "available",
        .created_at_ms = c->now, .original_created_at_ms = c->now, .engine = d->engine,
        .engine_version = d->engine_version, .allocated_storage_gib = d->allocated_storage_gib, .port = d->port,
        .availability_zone = d->availability_zone, .vpc_id = arena_strdup(r->a, vpc),
        .instance_created_at_ms = d->created_at_ms, .master_username = d->master_username,
        .license_model = d->license_model, .iops = d->iops, .storage_throughput = d->storage_throughput,
        .option_group = d->option_group, .storage_type = d->storage_type, .encrypted = d->storage_encrypted,
        .kms_key_id = d->storage_encrypted ? d->kms_key_id : NULL, .iam_auth = d->iam_auth,
        .instance_class = d->instance_class, .db_name = d->db_name,
    };
    c->t = (engine_snap_take){ .snap = snap, .arn = engine__kind_arn(r->e, r->a, &engine__kind_snapshot,
                                                                     r->region, id) };
    return 0;
}

/* Step 1's write (a transaction, under the instance's lock): the row (status creating while
 * no snapshot is there), "Backing up DB instance" and "Creating automated snapshot". */
static int record_start(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_automated_backup *b;
    if (store_autobackup_get(op->s, r->a, r->region, c->d->resource_id, &b, err))
        return -1;
    if (!b && store_autobackup_put(op->s, autobackup__new_row(r, c->d), err))
        return -1;
    /* running: not due again while the copy runs, unless it never ends (a kill of rdslocal) */
    c->d->autobackup_next_ms = -(c->now + RETRY_AFTER_FAILURE_MS);
    return store_instance_put(op->s, c->d, err) ||
                   engine__event(r->e, op->s, c->d, RULES_EV_BACKUP_STARTED, NULL, err) ||
                   engine__event_for(r->e, op->s, &engine__kind_snapshot, r->region, c->snap->id,
                                     RULES_EV_AUTO_SNAPSHOT_CREATING, NULL, err)
               ? -1
               : 0;
}

/* Steps 3 and 4 re-read the instance under its lock: the same instance (resource id),
 * still with backups. Else the copy is dropped. */
static int reload(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    const char *rid = c->d->resource_id;
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    op->done = !c->d || strcmp(c->d->resource_id, rid) != 0 || c->d->backup_retention_days <= 0 ||
               strcmp(c->d->status, "deleted") == 0;
    return 0;
}

static int record_failure(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    c->d->autobackup_next_ms = c->now + RETRY_AFTER_FAILURE_MS;
    return store_instance_put(op->s, c->d, err);
}

static int take_write(engine_op *op, rds_error *err)
{
    take_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_instance *d = c->d;
    const char *copy_from = d->copy_tags_to_snapshot ? engine__arn(r->e, r->a, d->region, "db", d->id) : NULL;
    d->autobackup_next_ms = autobackup__next_window_start(d->backup_window, c->now);
    if (store_snapshot_put(op->s, c->snap, err) || store_instance_put(op->s, d, err))
        return -1;
    if (copy_from) {
        rds_tag *tags;
        size_t n;
        if (store_tags_get(op->s, r->a, copy_from, &tags, &n, err))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (store_tag_set(op->s, c->t.arn, tags[i].key, tags[i].value, err))
                return -1;
    }
    return engine__event_for(r->e, op->s, &engine__kind_snapshot, r->region, c->snap->id,
                             RULES_EV_AUTO_SNAPSHOT_CREATED, NULL, err) ||
                   engine__event(r->e, op->s, d, RULES_EV_BACKUP_FINISHED, NULL, err)
               ? -1
               : 0;
}

/* One backup in four steps, the instance's lock held only for the short ones: 1. decide
 * and record the start; 2. the copy (pg_basebackup), unlocked: operations on the instance
 * and supervisor reports are not held up (the supervisor serialises its own work on the
 * instance: a delete waits for the copy); 3. the snapshot row and the next due time, if
 * the instance still exists with backups; else 4. (copy failed) the retry time. */
static void take_one(engine *e, arena *a, const db_instance *due, int64_t now)
{
    rds_error err = { 0 };
    engine_req r = { .e = e, .a = a, .region = due->region };
    take_ctx c = { .now = now };
    engine_op start = { .r = &r, .kind = "db", .name = due->id, .ctx = &c, .load = take_load,
                        .decide = take_decide, .write = record_start };
    if (engine__run(&start, &err)) {
        log_at(LOG_WARN, "engine", "automated backup of \"%s\" not started: %s", due->id, err.detail);
        return;
    }
    if (start.done || !c.snap || start.write != record_start)
        return; /* nothing due any more, or rescheduled */
    c.snap->started_real_ms = rds_real_now_ms();
    if (engine__snapshot_files(&r, start.s, c.d, &c.t, &err)) {
        log_at(LOG_ERROR, "engine", "automated backup of \"%s\" failed: %s (%s); retried in %d minutes", due->id,
               err.message, err.detail, RETRY_AFTER_FAILURE_MS / 60000);
        rds_error_clear(&err);
        engine_op fail = { .r = &r, .kind = "db", .name = due->id, .ctx = &c, .load = reload,
                           .write = record_failure };
        if (engine__run(&fail, &err))
            log_at(LOG_ERROR, "engine", "automated backup of \"%s\": %s", due->id, err.detail);
        return;
    }
    c.snap->consistent_real_ms = rds_real_now_ms();
    c.snap->consistent_ms = rds_now_ms();
    engine_op finish = { .r = &r, .kind = "db", .name = due->id, .ctx = &c, .load = reload, .write = take_write };
    if (engine__run(&finish, &err) == 0 && !finish.done)
        return;
    engine__snapshot_discard_files(e, &c.t);
    if (err.code)
        log_at(LOG_WARN, "engine", "automated backup of \"%s\" not recorded: %s", due->id, err.detail);
}

/* ---- 2. expiry: an engine_op on the automated backup ---- */

typedef struct expire_ctx {
    int64_t now;
    db_automated_backup *b;
    db_snapshot **gone;       /* automated snapshots to delete */
    size_t n_gone;
    bool drop_row;            /* the whole backup goes */
    int64_t keep_from_real;   /* oldest kept base's start (real ms): WAL before it goes */
} expire_ctx;

static int expire_load(engine_op *op, rds_error *err)
{
    expire_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (store_autobackup_get(op->s, r->a, r->region, op->name, &c->b, err))
        return -1;
    if (!c->b)
        return op->done = true, 0;
    int64_t retention = c->b->retention_days, latest = c->b->latest_restorable_ms;
    if (strcmp(c->b->status, "active") == 0) {
        db_instance *d;
        if (store_instance_by_resource_id(op->s, r->a, c->b->id, &d, err))
            return -1;
        if (!d || d->backup_retention_days <= 0) {  /* backups were switched off meanwhile */
            c->drop_row = true;
        }
        retention = d ? d->backup_retention_days : 0;
        latest = c->now;
    }
    db_snapshot **snaps;
    size_t n;
    if (store_autobackup_snapshots(op->s, r->a, r->region, c->b->id, false, &snaps, &n, err))
        return -1;
    int64_t cutoff = c->now - retention * AUTOBACKUP_DAY_MS;
    if (!c->drop_row && strcmp(c->b->status, "retained") == 0 && cutoff > latest)
        c->drop_row = true; /* nothing of its window is left */
    if (c->drop_row) {
        c->gone = snaps;
        c->n_gone = n;
        return 0;
    }
    /* keep every snapshot consistent at or after the cutoff, and the newest one before it */
    size_t first_kept = 0;
    for (size_t i = 0; i < n; i++)
        if (snaps[i]->consistent_ms && snaps[i]->consistent_ms < cutoff)
            first_kept = i;
    c->gone = snaps;
    c->n_gone = first_kept;
    if (first_kept < n)
        c->keep_from_real = snaps[first_kept]->started_real_ms;
    op->done = c->n_gone == 0;
    return 0;
}

static int expire_write(engine_op *op, rds_error *err)
{
    expire_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (c->drop_row)
        return autobackup__delete_all(r->e, op->s, r->a, r->region, c->b->id, err);
    for (size_t i = 0; i < c->n_gone; i++) {
        db_snapshot *gone = c->gone[i];
        gone->status = "deleted";
        if (store_snapshot_put(op->s, gone, err) ||
            engine__forget(r->e, op->s, r->a, &engine__kind_snapshot, r->region, gone->id, err))
            return -1;
    }
    return 0;
}

static int expire_after(engine_op *op, rds_error *err)
{
    expire_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (c->drop_row) {
        autobackup__forget_wal(e, c->b->id);
    } else if (c->keep_from_real > 0) {
        if (engine__pitr_prune(e, c->b->id, c->keep_from_real, err)) {
            log_at(LOG_WARN, "engine", "could not prune the WAL of %s: %s", c->b->id, err->detail);
            rds_error_clear(err);
        }
    }
    return 0;
}

/* ---- 3. files of deleted automated snapshots ---- */

static int delete_snapshot_row(engine_op *op, rds_error *err)
{
    return store_snapshot_delete(op->s, op->r->region, op->name, err);
}

static void remove_deleted_files(engine *e, store *s, arena *a)
{
    rds_error err = { 0 };
    db_snapshot **gone;
    size_t n;
    if (store_autobackup_deleted_snapshots(s, a, &gone, &n, &err))
        return;
    for (size_t i = 0; i < n; i++) {
        if (!e->cfg.no_engine && e->sv && sv_snapshot_delete(e->sv, gone[i]->snap_key, &err)) {
            log_at(LOG_WARN, "engine", "could not remove snapshot files %s: %s", gone[i]->snap_key, err.detail);
            rds_error_clear(&err);
            continue;
        }
        engine_req r = { .e = e, .a = a, .region = gone[i]->region };
        engine_op op = { .r = &r, .name = gone[i]->id };
        op.s = s;
        if (engine__tx(&op, delete_snapshot_row, &err))
            rds_error_clear(&err);
    }
}

/* Takes every backup due now (store s of the calling thread). */
static void take_due(engine *e, store *s, arena *a)
{
    rds_error err = { 0 };
    int64_t now = rds_now_ms();
    db_instance **due;
    size_t n;
    if (store_autobackup_due_instances(s, a, now, &due, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            take_one(e, a, due[i], now);
}

static void *backup_thread(void *arg)
{
    engine *e = arg;
    rds_error err = { 0 };
    store *s = engine__store(e, &err); /* this thread's connection, closed at its exit */
    if (s) {
        arena *a = arena_new();
        take_due(e, s, a);
        arena_free(a);
    }
    pthread_mutex_lock(&e->worker_mu);
    e->autobackup_busy = false;
    pthread_mutex_unlock(&e->worker_mu);
    return NULL;
}

/* From the worker thread: a backup thread for the due backups, unless one still runs. */
static void start_backup_thread(engine *e, store *s, arena *a)
{
    rds_error err = { 0 };
    db_instance **due;
    size_t n;
    if (store_autobackup_due_instances(s, a, rds_now_ms(), &due, &n, &err) || n == 0)
        return;
    pthread_mutex_lock(&e->worker_mu);
    bool busy = e->autobackup_busy, joinable = e->autobackup_started && !busy;
    pthread_mutex_unlock(&e->worker_mu);
    if (busy)
        return;
    if (joinable) {
        pthread_join(e->autobackup_thread, NULL);
        e->autobackup_started = false;
    }
    e->autobackup_busy = true; /* no other thread starts one: only the worker does */
    if (pthread_create(&e->autobackup_thread, NULL, backup_thread, e) != 0) {
        e->autobackup_busy = false;
        take_due(e, s, a); /* no thread: inline */
        return;
    }
    e->autobackup_started = true;
}

void engine__autobackup_stop(engine *e)
{
    if (e->autobackup_started)
        pthread_join(e->autobackup_thread, NULL);
    e->autobackup_started = false;
}

void engine__autobackup_tick(engine *e, store *s, arena *a)
{
    rds_error err = { 0 };
    int64_t now = rds_now_ms();
    size_t n;
    if (!e->autobackup_reconciled) {
        /* a backup cut off by a kill of rdslocal (its row says running) is due again now */
        e->autobackup_reconciled = true;
        if (store_begin(s, &err) == 0 && (store_autobackup_running_due(s, now, &err) || store_commit(s, &err)))
            store_rollback(s);
        rds_error_clear(&err);
    }
    if (e->worker_started && pthread_equal(pthread_self(), e->worker))
        start_backup_thread(e, s, a);
    else
        take_due(e, s, a);
    db_automated_backup **rows;
    if (store_autobackup_all(s, a, &rows, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            engine_req r = { .e = e, .a = a, .region = rows[i]->region };
            expire_ctx c = { .now = now };
            engine_op op = { .r = &r, .kind = "auto-backup", .name = rows[i]->id, .ctx = &c,
                             .load = expire_load, .write = expire_write, .after = expire_after };
            if (engine__run(&op, &err))
                log_at(LOG_WARN, "engine", "automated backup expiry of %s: %s", rows[i]->id, err.detail);
            rds_error_clear(&err);
        }
    }
    rds_error_clear(&err);
    remove_deleted_files(e, s, a);
}
