/* restore.c: RestoreDBInstanceToPointInTime. A new instance (new DbiResourceId, real
 * server) recovered by WAL replay to exactly the requested instant: every transaction
 * committed at or before it is there, none after.
 *
 * It runs RestoreDBInstanceFromDBSnapshot's op (snapshots/restore.c, through
 * engine__restore_instance_variant: the new row from the base's settings plus the
 * overrides AWS allows -- class, port, AZ, subnet group, Multi-AZ, storage, tags,
 * CopyTagsToSnapshot, DeletionProtection, ...; encryption and key inherited; the claim
 * and settle) with its own hooks:
 *  - check_input: RestoreTime xor UseLatestRestorableTime (InvalidParameterCombination),
 *    a source named;
 *  - load_base: the source -- a live instance by SourceDBInstanceIdentifier or
 *    SourceDbiResourceId, else its automated backups (a retained one of a deleted
 *    instance) by those or by SourceDBInstanceAutomatedBackupsArn; retention 0:
 *    PointInTimeRestoreNotEnabled; the target instant on rdslocal's clock inside the
 *    window [EarliestTime, LatestRestorableTime] (else InvalidRestoreFault), mapped to
 *    the real instant (pitr/clock.c); the newest automated snapshot consistent by then
 *    as the base (autobackup's engine__autobackup_base_for);
 *  - server: ships the live source's WAL until the archive covers the target, then
 *    sv_instance_restore_pitr with the base's and the archive's data keys (a disabled
 *    KMS key: KMSKeyNotAccessibleFault, checked on the base by the shared op);
 *  - settled: RDS-EVENT-0019.
 * The exact AWS wording of the window and combination errors is not on record: the
 * messages below are rdslocal's, the codes and statuses AWS's. */
#include "pitr/pitr.h"
#include "instances/instances.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct pitr_ctx {
    const pitr_restore_in *in;
    const char *source_label;   /* for messages and the event */
    db_instance *live;          /* the live source, or NULL (retained backups) */
    db_automated_backup backup;
    const char *resource_id;
    bool encrypted;
    const char *kms_key_id;
    int64_t target_model, target_real;
} pitr_ctx;

static int pitr_check_input(engine_op *op, void *arg, rds_error *err)
{
    pitr_ctx *c = arg;
    const pitr_restore_in *in = c->in;
    (void)op;
    bool latest = in->use_latest.set && in->use_latest.v;
    if (latest && in->restore_time.set)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "RestoreTime and UseLatestRestorableTime cannot both be specified.");
    if (!latest && !in->restore_time.set)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "One of RestoreTime or UseLatestRestorableTime must be specified.");
    if (!(in->source_id && *in->source_id) && !(in->source_resource_id && *in->source_resource_id) &&
        !(in->source_ab_arn && *in->source_ab_arn))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "One of SourceDBInstanceIdentifier, SourceDbiResourceId or "
                        "SourceDBInstanceAutomatedBackupsArn must be specified.");
    return 0;
}

/* The source: live instance (by id or resource id), else its automated backups. */
static int find_source(engine_op *op, pitr_ctx *c, rds_error *err)
{
    engine_req *r = op->r;
    const pitr_restore_in *in = c->in;
    const char *id = in->source_id && *in->source_id ? rds_lower(arena_strdup(r->a, in->source_id)) : NULL;
    const char *rid = !id && in->source_resource_id && *in->source_resource_id ? in->source_resource_id : NULL;
    c->source_label = id ? id : rid ? rid : in->source_ab_arn;
    if (id && store_instance_get(op->s, r->a, r->region, id, &c->live, err))
        return -1;
    if (rid && store_instance_by_resource_id(op->s, r->a, rid, &c->live, err))
        return -1;
    if (c->live && (strcmp(c->live->region, r->region) != 0 || strcmp(c->live->status, "deleted") == 0))
        c->live = NULL;
    if (c->live) {
        if (c->live->backup_retention_days == 0)
            return rds_fail(err, RDS_E_POINT_IN_TIME_RESTORE_NOT_ENABLED,
                            "Point-in-time restore is not enabled for DB instance %s: its backup retention "
                            "period is 0.", c->live->id);
        c->resource_id = c->live->resource_id;
        c->encrypted = c->live->storage_encrypted;
        c->kms_key_id = c->live->kms_key_id;
        c->source_label = c->live->id;
        rds_error none = { 0 }; /* no automated backup row yet: an empty window below */
        if (engine__autobackup_find(r, op->s, NULL, c->resource_id, NULL, &c->backup, &none))
            c->backup.id = NULL;
        return 0;
    }
    rds_error nf = { 0 };
    if (engine__autobackup_find(r, op->s, id, rid, id || rid ? NULL : in->source_ab_arn, &c->backup, &nf)) {
        if (id) /* a name that neither a live instance nor a retained backup has */
            return instances__not_found(err, id);
        *err = nf;
        return -1;
    }
    c->resource_id = c->backup.id;
    c->encrypted = c->backup.encrypted;
    c->kms_key_id = c->backup.kms_key_id;
    c->source_label = c->backup.instance_id;
    return 0;
}

static int pitr_load_base(engine_op *op, void *arg, db_snapshot **snap, rds_error *err)
{
    pitr_ctx *c = arg;
    engine_req *r = op->r;
    engine *e = r->e;
    if (find_source(op, c, err))
        return -1;
    int64_t earliest = 0, latest = 0;
    if (c->backup.id && engine__autobackup_window(r, op->s, &c->backup, &earliest, &latest, err))
        return -1;
    if (c->live)
        latest = engine__pitr_latest(e, op->s, c->live);
    c->target_model = c->in->use_latest.set && c->in->use_latest.v ? latest : c->in->restore_time.v;
    if (earliest == 0 || c->target_model < earliest || c->target_model > latest) {
        char t[40], lo[40], hi[40];
        rds_time_iso8601(t, sizeof t, c->target_model);
        rds_time_iso8601(lo, sizeof lo, earliest);
        rds_time_iso8601(hi, sizeof hi, latest);
        if (earliest == 0)
            return rds_fail(err, RDS_E_INVALID_RESTORE_FAULT,
                            "DB instance %s has no automated backup to restore from yet.", c->source_label);
        return rds_fail(err, RDS_E_INVALID_RESTORE_FAULT,
                        "The restore time %s is outside the restorable window of DB instance %s (%s to %s).", t,
                        c->source_label, lo, hi);
    }
    c->target_real = engine__clock_real_of(e, op->s, c->target_model);
    db_snapshot *base = arena_alloc(r->a, sizeof *base);
    if (engine__autobackup_base_for(r, op->s, c->resource_id, c->target_real, base, err))
        return -1;
    *snap = base;
    return 0;
}

static int pitr_server(engine_op *op, void *arg, const db_snapshot *base, const sv_snapshot_crypt *crypt,
                       const sv_instance_spec *spec, rds_error *err)
{
    pitr_ctx *c = arg;
    engine_req *r = op->r;
    engine *e = r->e;
    if (c->live && engine__pitr_archives(c->live) && strcmp(c->live->status, "available") == 0) {
        /* what was committed up to the target may still be in the server's last segment */
        int64_t got = pitr__ship_until(e, op->s, c->live, c->target_real, 10000);
        if (got < c->target_real)
            log_at(LOG_WARN, "pitr", "restore of %s: archive of %s reaches %lld, target %lld", op->name,
                   c->source_label, (long long)got, (long long)c->target_real);
    }
    unsigned char key[32];
    sv_snapshot_crypt wal = { 0 };
    if (c->encrypted) {
        unsigned char *w;
        size_t wn;
        if (pitr__archive_key(e, op->s, r->a, c->resource_id, c->kms_key_id, false, key, &w, &wn, err))
            return -1;
        wal.key = key;
    }
    int rc = sv_instance_restore_pitr(e->sv, spec, base->snap_key, crypt, c->resource_id, &wal, c->target_real, err);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

static int pitr_settled(engine_op *op, void *arg, const db_instance *d, rds_error *err)
{
    pitr_ctx *c = arg;
    char t[40];
    rds_time_iso8601(t, sizeof t, c->target_model);
    return engine__event(op->r->e, op->s, d, RULES_EV_RESTORED_TO_POINT_IN_TIME,
                         arena_printf(op->r->a, "%s to %s", c->source_label, t), err);
}

int engine_restore_instance_to_point_in_time(engine_req *r, const pitr_restore_in *in, instance_view *out,
                                             rds_error *err)
{
    pitr_ctx c = { .in = in };
    engine_restore_variant v = { .check_input = pitr_check_input, .load_base = pitr_load_base,
                                 .server = pitr_server, .settled = pitr_settled, .arg = &c };
    return engine__restore_instance_variant(r, &in->target, &v, out, err);
}
