/* backups.c: the automated-backup family's registration (ARN type "auto-backup", no events
 * of its own), its rows (new, overlay, delete), what other families call (find, window,
 * base for a restore, the instance view's "backing-up", ModifyDBInstance's retention
 * changes, DeleteDBInstance's DeleteAutomatedBackups), and the two API operations:
 * DescribeDBInstanceAutomatedBackups and DeleteDBInstanceAutomatedBackup.
 * A describe reads every row of the region and filters in memory: the rows are one per
 * instance with backups, and the status filter needs the computed status (creating). */
#include "automated_backups/autobackup.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int autobackup_exists(engine_req *r, store *s, const char *name, rds_error *err)
{
    db_automated_backup b;
    return engine__autobackup_find(r, s, NULL, name, NULL, &b, err);
}

const engine_kind engine__kind_automated_backup = { "auto-backup", NULL, autobackup_exists };

int autobackup__not_found(rds_error *err, const char *what)
{
    return rds_fail(err, RDS_E_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND, "No automated backup found for %s.",
                    what);
}

db_automated_backup *autobackup__new_row(engine_req *r, const db_instance *d)
{
    db_automated_backup *b = arena_alloc(r->a, sizeof *b);
    memset(b, 0, sizeof *b);
    /* derived from the resource id (db-<26>): the same ARN before and after the row exists */
    const char *ab = arena_printf(r->a, "ab-%s", strncmp(d->resource_id, "db-", 3) == 0 ? d->resource_id + 3
                                                                                       : d->resource_id);
    char vpc[32];
    default_subnet subnets[DEFAULT_SUBNET_COUNT];
    model_default_vpc(d->region, vpc, subnets);
    b->region = d->region;
    b->id = d->resource_id;
    b->ab_id = ab;
    b->status = "active";
    b->vpc_id = arena_strdup(r->a, vpc);
    autobackup__overlay(b, d);
    return b;
}

void autobackup__overlay(db_automated_backup *b, const db_instance *d)
{
    b->instance_id = d->id;
    b->retention_days = d->backup_retention_days;
    b->backup_window = d->backup_window;
    b->latest_restorable_ms = d->latest_restorable_ms;
    b->engine = d->engine;
    b->engine_version = d->engine_version;
    b->instance_class = d->instance_class;
    b->db_name = d->db_name;
    b->allocated_storage_gib = d->allocated_storage_gib;
    b->port = d->port;
    b->availability_zone = d->availability_zone;
    b->instance_created_at_ms = d->created_at_ms;
    b->master_username = d->master_username;
    b->license_model = d->license_model;
    b->iops = d->iops;
    b->storage_throughput = d->storage_throughput;
    b->option_group = d->option_group;
    b->storage_type = d->storage_type;
    b->encrypted = d->storage_encrypted;
    b->kms_key_id = d->storage_encrypted ? d->kms_key_id : NULL;
    b->iam_auth = d->iam_auth;
}

int autobackup__delete_all(engine *e, store *s, arena *a, const char *region, const char *resource_id,
                           rds_error *err)
{
    db_snapshot **snaps;
    size_t n;
    if (store_autobackup_snapshots(s, a, region, resource_id, false, &snaps, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++) {
        snaps[i]->status = "deleted";
        if (store_snapshot_put(s, snaps[i], err) ||
            engine__forget(e, s, a, &engine__kind_snapshot, region, snaps[i]->id, err))
            return -1;
    }
    return store_autobackup_delete(s, region, resource_id, err);
}

void autobackup__forget_wal(engine *e, const char *resource_id)
{
    rds_error err = { 0 };
    if (engine__pitr_forget(e, resource_id, &err))
        log_at(LOG_WARN, "engine", "could not delete the WAL of %s: %s", resource_id, err.detail);
}

/* ---- what other families call ---- */

/* Like every transitional status, backing-up shows only with --realistic-timing: without
 * it an instance is available at the first Describe after create (a waiter returns on its
 * first poll; boto3's db_instance_available would otherwise sleep 30 s) while its first
 * backup runs in the background. With it, backing-up shows until that backup is done. */
const char *engine__autobackup_shown_status(const engine *e, const db_instance *d, const char *shown)
{
    if (e->cfg.realistic_timing_ms > 0 && strcmp(shown, "available") == 0 && d->backup_retention_days > 0 &&
        d->autobackup_next_ms <= 0)
        return "backing-up";
    return shown;
}

int engine__autobackup_modified(engine *e, store *s, arena *a, const db_instance *before, db_instance *d,
                                rds_error *err)
{
    if (before->backup_retention_days > 0 && d->backup_retention_days == 0) {
        d->autobackup_next_ms = 0;
        if (autobackup__delete_all(e, s, a, d->region, d->resource_id, err))
            return -1;
        autobackup__forget_wal(e, d->resource_id);
    } else if (before->backup_retention_days == 0 && d->backup_retention_days > 0) {
        d->autobackup_next_ms = 0; /* the first backup is due now */
    }
    return 0;
}

int engine__autobackup_instance_deleted(engine *e, store *s, arena *a, const db_instance *d, bool keep,
                                        rds_error *err)
{
    db_automated_backup *b;
    if (store_autobackup_get(s, a, d->region, d->resource_id, &b, err))
        return -1;
    if (!b)
        return 0;
    if (!keep || d->backup_retention_days <= 0) {
        if (autobackup__delete_all(e, s, a, d->region, d->resource_id, err))
            return -1;
        autobackup__forget_wal(e, d->resource_id);
        return 0;
    }
    autobackup__overlay(b, d);
    b->latest_restorable_ms = engine__pitr_latest(e, s, d); /* frozen from now on */
    b->status = "retained";
    b->retained_at_ms = rds_now_ms();
    if (!b->latest_restorable_ms)
        b->latest_restorable_ms = b->retained_at_ms;
    return store_autobackup_put(s, b, err);
}

/* ARN "arn:aws:rds:<region>:<account>:auto-backup:<ab id>" of this account: its ab id (NULL
 * if arg is not one). */
static const char *ab_id_of_arn(engine_req *r, const char *arg, const char **region)
{
    const char *p = arg;
    const char *parts[6];
    size_t lens[6];
    if (strncmp(p, "arn:", 4) != 0)
        return NULL;
    p += 4;
    for (int i = 0; i < 5; i++) {
        const char *c = strchr(p, ':');
        if (!c)
            return NULL;
        parts[i] = p;
        lens[i] = (size_t)(c - p);
        p = c + 1;
    }
    const char *account = r->e->cfg.account_id;
    if (lens[1] != 3 || strncmp(parts[1], "rds", 3) != 0 || lens[3] != strlen(account) ||
        strncmp(parts[3], account, lens[3]) != 0 || lens[4] != 11 || strncmp(parts[4], "auto-backup", 11) != 0 ||
        !*p)
        return NULL;
    *region = arena_strndup(r->a, parts[2], lens[2]);
    return p;
}

static int by_id(const void *x, const void *y)
{
    return strcmp((*(db_automated_backup *const *)x)->id, (*(db_automated_backup *const *)y)->id);
}

/* Every row of the region, active ones with their instance's values, plus (not stored)
 * those of instances with backups whose first backup has not started yet (creating).
 * Ordered by resource id. */
static int load_rows(engine_req *r, store *s, db_automated_backup ***out, size_t *n, rds_error *err)
{
    db_automated_backup **rows;
    size_t nr;
    db_instance **inst;
    size_t ni;
    if (store_autobackup_list(s, r->a, r->region, NULL, 0, NULL, 1000000, &rows, &nr, err) ||
        store_instance_list(s, r->a, r->region, NULL, 0, NULL, 1000000, &inst, &ni, err))
        return -1;
    db_automated_backup **all = arena_alloc(r->a, (nr + ni + 1) * sizeof *all);
    memcpy(all, rows, nr * sizeof *all);
    size_t k = nr;
    for (size_t i = 0; i < ni; i++) {
        db_instance *d = inst[i];
        if (d->backup_retention_days <= 0 || strcmp(d->status, "deleted") == 0)
            continue;
        db_automated_backup *found = NULL;
        for (size_t j = 0; j < nr && !found; j++)
            if (strcmp(rows[j]->id, d->resource_id) == 0)
                found = rows[j];
        if (!found)
            found = all[k++] = autobackup__new_row(r, d);
        autobackup__overlay(found, d);
        found->latest_restorable_ms = engine__pitr_latest(r->e, s, d);
    }
    qsort(all, k, sizeof *all, by_id);
    *out = all;
    *n = k;
    return 0;
}

int engine__autobackup_find(engine_req *r, store *s, const char *instance_id, const char *resource_id,
                            const char *arn, db_automated_backup *out, rds_error *err)
{
    db_automated_backup **rows, *found = NULL;
    size_t n;
    const char *ab = NULL, *region = r->region;
    if (!instance_id && !resource_id && arn && !(ab = ab_id_of_arn(r, arn, &region)))
        return autobackup__not_found(err, arn);
    if (strcmp(region, r->region) != 0)
        return autobackup__not_found(err, arn);
    if (load_rows(r, s, &rows, &n, err))
        return -1;
    for (size_t i = 0; i < n && !found; i++) {
        db_automated_backup *b = rows[i];
        if (instance_id ? strcasecmp(b->instance_id, instance_id) == 0 && strcmp(b->status, "active") == 0
            : resource_id ? strcasecmp(b->id, resource_id) == 0
                          : strcmp(b->ab_id, ab) == 0)
            found = b;
    }
    /* an instance id that no live instance has: its newest retained backup */
    for (size_t i = 0; instance_id && !found && i < n; i++)
        if (strcasecmp(rows[i]->instance_id, instance_id) == 0)
            for (size_t j = i; j < n; j++)
                if (strcasecmp(rows[j]->instance_id, instance_id) == 0 &&
                    (!found || rows[j]->retained_at_ms > found->retained_at_ms))
                    found = rows[j];
    if (!found)
        return autobackup__not_found(err, instance_id ? instance_id : resource_id ? resource_id : arn);
    *out = *found;
    return 0;
}

int engine__autobackup_window(engine_req *r, store *s, const db_automated_backup *b, int64_t *earliest_ms,
                              int64_t *latest_ms, rds_error *err)
{
    *earliest_ms = *latest_ms = 0;
    db_snapshot **snaps;
    size_t n;
    if (store_autobackup_snapshots(s, r->a, b->region, b->id, false, &snaps, &n, err))
        return -1;
    if (n == 0)
        return 0;
    int64_t cutoff = rds_now_ms() - b->retention_days * AUTOBACKUP_DAY_MS;
    *earliest_ms = snaps[0]->consistent_ms > cutoff ? snaps[0]->consistent_ms : cutoff;
    *latest_ms = b->latest_restorable_ms;
    return 0;
}

int engine__autobackup_base_for(engine_req *r, store *s, const char *resource_id, int64_t target_real_ms,
                                db_snapshot *out, rds_error *err)
{
    db_snapshot **snaps;
    size_t n;
    if (store_autobackup_snapshots(s, r->a, r->region, resource_id, false, &snaps, &n, err))
        return -1;
    for (size_t i = n; i-- > 0;) {
        if (snaps[i]->consistent_real_ms > 0 && snaps[i]->consistent_real_ms <= target_real_ms) {
            *out = *snaps[i];
            return 0;
        }
    }
    return rds_fail(err, RDS_E_INVALID_RESTORE_FAULT,
                    "The requested restore time is before the earliest restorable time of the automated backup.");
}

/* ---- DescribeDBInstanceAutomatedBackups ---- */

static int fill_view(engine_req *r, store *s, db_automated_backup *b, autobackup_view *v, rds_error *err)
{
    memset(v, 0, sizeof *v);
    v->b = b;
    v->arn = engine__arn(r->e, r->a, b->region, "auto-backup", b->ab_id);
    v->instance_arn = engine__arn(r->e, r->a, b->region, "db", b->instance_id);
    if (engine__autobackup_window(r, s, b, &v->earliest_ms, &v->latest_ms, err))
        return -1;
    v->status = strcmp(b->status, "active") == 0 && v->earliest_ms == 0 ? "creating" : b->status;
    return 0;
}

static bool in_list(const str_list *l, const char *v, const char *also)
{
    if (!l->n)
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], v) == 0 || (also && strcasecmp(l->v[i], also) == 0))
            return true;
    return false;
}

int engine_describe_autobackups(engine_req *r, const describe_autobackups_in *in, autobackup_view **out,
                                size_t *n_out, const char **next_marker, rds_error *err)
{
    *out = NULL;
    *n_out = 0;
    *next_marker = NULL;
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    for (size_t i = 0; i < in->f_status.n; i++) {
        const char *st = in->f_status.v[i];
        if (strcmp(st, "active") != 0 && strcmp(st, "creating") != 0 && strcmp(st, "retained") != 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Unrecognized status filter value: %s", st);
    }
    const char *ab = NULL, *region = r->region;
    if (in->arn && (!(ab = ab_id_of_arn(r, in->arn, &region)) || strcmp(region, r->region) != 0))
        return autobackup__not_found(err, in->arn);
    db_automated_backup **rows;
    size_t n;
    if (load_rows(r, s, &rows, &n, err))
        return -1;
    int max = in->max_records > 0 ? in->max_records : 100;
    autobackup_view *v = arena_alloc(r->a, (n + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        db_automated_backup *b = rows[i];
        if ((in->instance_id && strcasecmp(b->instance_id, in->instance_id) != 0 &&
             strcasecmp(engine__arn(r->e, r->a, b->region, "db", b->instance_id), in->instance_id) != 0) ||
            (in->dbi_resource_id && strcasecmp(b->id, in->dbi_resource_id) != 0) ||
            (ab && strcmp(b->ab_id, ab) != 0))
            continue;
        if (in->marker && strcmp(b->id, in->marker) <= 0)
            continue;
        autobackup_view view;
        if (fill_view(r, s, b, &view, err))
            return -1;
        if (!in_list(&in->f_status, view.status, NULL) ||
            !in_list(&in->f_instance_ids, b->instance_id, view.instance_arn) ||
            !in_list(&in->f_resource_ids, b->id, view.arn))
            continue;
        if ((int)k == max) {
            *next_marker = v[k - 1].b->id;
            break;
        }
        v[k++] = view;
    }
    if (k == 0 && !in->marker && (in->instance_id || in->dbi_resource_id || in->arn))
        return autobackup__not_found(err, in->instance_id ? in->instance_id
                                          : in->dbi_resource_id ? in->dbi_resource_id
                                                                : in->arn);
    *out = v;
    *n_out = k;
    return 0;
}

/* ---- DeleteDBInstanceAutomatedBackup ---- */

typedef struct delete_ctx {
    const char *resource_id, *arn;
    autobackup_view *out;
    db_automated_backup b;
} delete_ctx;

static int delete_check_input(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    if (!c->resource_id && !c->arn)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Either DbiResourceId or DBInstanceAutomatedBackupsArn must be specified.");
    op->name = c->resource_id ? c->resource_id : c->arn;
    return 0;
}

static int delete_load(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    return engine__autobackup_find(op->r, op->s, NULL, c->resource_id, c->resource_id ? NULL : c->arn, &c->b,
                                   err);
}

static int delete_check(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    if (strcmp(c->b.status, "retained") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE,
                        "Automated backups of DB instance %s can't be deleted while the instance exists; set its "
                        "BackupRetentionPeriod to 0 instead.",
                        c->b.instance_id);
    return 0;
}

static int delete_write(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_automated_backup *b = arena_alloc(r->a, sizeof *b);
    *b = c->b;
    if (fill_view(r, op->s, b, c->out, err))
        return -1;
    c->out->status = "deleting";
    return autobackup__delete_all(r->e, op->s, r->a, r->region, c->b.id, err);
}

static int delete_after(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    (void)err;
    autobackup__forget_wal(op->r->e, c->b.id);
    return 0;
}

int engine_delete_autobackup(engine_req *r, const char *dbi_resource_id, const char *arn, autobackup_view *out,
                             rds_error *err)
{
    delete_ctx c = { .resource_id = dbi_resource_id, .arn = arn, .out = out };
    engine_op op = { .r = r, .kind = "auto-backup", .ctx = &c, .check_input = delete_check_input,
                     .load = delete_load, .check = delete_check, .write = delete_write, .after = delete_after };
    return engine__run(&op, err);
}
