/* lifecycle.c: DeleteDBInstance (with its final snapshot), StopDBInstance (with its
 * snapshot), StartDBInstance, RebootDBInstance as engine_op steps. Each checks the state
 * rule, acts on the server through the supervisor, then records the settled status and the
 * event in one transaction; the response shows AWS's transitional status (deleting,
 * stopping, starting, rebooting). */
#include "instances/instances.h"

#include <assert.h>
#include <string.h>

/* ---- delete ---- */

typedef struct delete_ctx {
    const delete_instance_in *in;
    instance_view *out;         /* may be NULL: the caller wants no view */
    db_instance *d;
    engine_snap_take final;     /* FinalDBSnapshotIdentifier: the snapshot taken first */
} delete_ctx;

static int delete_check_input(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    op->name = instances__id_arg(op->r, c->in->id);
    if (!op->name)
        return instances__not_found(err, "");
    return 0;
}

static int delete_load(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    return instances__load(op->r, op->s, op->name, &c->d, err);
}

static int delete_check(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    const delete_instance_in *in = c->in;
    bool skip = in->skip_final_snapshot.set && in->skip_final_snapshot.v;
    if (rules_can_delete(c->d->id, c->d->status, err))
        return -1;
    if (c->d->deletion_protection)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot delete protected DB Instance, please disable deletion protection and try again.");
    if (!skip && !in->final_snapshot_id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
    if (skip && in->final_snapshot_id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.");
    if (in->final_snapshot_id &&
        engine__snapshot_prepare(op->r, op->s, c->d, "FinalDBSnapshotIdentifier", in->final_snapshot_id,
                                 &c->final, err))
        return -1;
    return 0;
}

/* The final snapshot's files are made before the server and its data go. */
static int delete_act(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (c->final.snap && engine__snapshot_files(op->r, op->s, c->d, &c->final, err))
        return -1;
    if (!e->cfg.no_engine && e->sv && sv_instance_delete(e->sv, c->d->resource_id, err)) {
        engine__snapshot_discard_files(e, &c->final);
        return -1;
    }
    return 0;
}

static int delete_write(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    db_instance *d = c->d;
    if (c->final.snap && engine__snapshot_record(r, op->s, d, NULL, &c->final, err))
        return -1;
    if (instances__mmp_forget(op, d, err))
        return -1;
    /* DeleteAutomatedBackups (default true): false keeps them, retained */
    bool keep_backups = c->in->delete_automated_backups.set && !c->in->delete_automated_backups.v;
    if (engine__autobackup_instance_deleted(e, op->s, r->a, d, keep_backups, err))
        return -1;
    if (e->cfg.realistic_timing_ms > 0) {
        engine__set_status(e, d, "deleted", "deleting");
        if (store_instance_put(op->s, d, err))
            return -1;
    } else if (store_instance_delete(op->s, r->region, d->id, err)) {
        return -1;
    }
    /* the view (with its tags) before the tags go */
    if (c->out && engine__instance_view(r, op->s, d, c->out, err))
        return -1;
    return engine__forget(e, op->s, r->a, &engine__kind_instance, r->region, d->id, err) ||
                   engine__event(e, op->s, d, RULES_EV_DELETED, NULL, err)
               ? -1
               : 0;
}

static int delete_after(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    (void)err;
    if (c->out)     /* issue #6: out may be NULL; it was dereferenced regardless */
        c->out->status = "deleting";
    return 0;
}

int engine_delete_instance(engine_req *r, const delete_instance_in *in, instance_view *out, rds_error *err)
{
    delete_ctx c = { .in = in, .out = out };
    engine_op op = { .r = r, .kind = "db", .ctx = &c, .check_input = delete_check_input,
                     .load = delete_load, .check = delete_check, .act = delete_act,
                     .write = delete_write, .after = delete_after };
    if (engine__run(&op, err))
        return -1;
    engine__replicas_orphaned(r->e, c.d->resource_id); /* read replicas: promoted, as on RDS */
    return 0;
}

/* ---- stop, start, reboot: one shape ---- */

typedef enum { LC_STOP, LC_START, LC_REBOOT } lifecycle_op;

typedef struct lifecycle_ctx {
    lifecycle_op kind;
    const char *raw_id;
    const char *snapshot_id;    /* StopDBInstance's DBSnapshotIdentifier */
    engine_snap_take snap;
    instance_view *out;
    db_instance *d;
    const char *transitional;
    bool failover;              /* RebootDBInstance ForceFailover (Multi-AZ: instances/multiaz.c) */
} lifecycle_ctx;

static int lc_check_input(engine_op *op, rds_error *err)
{
    lifecycle_ctx *c = op->ctx;
    op->name = instances__id_arg(op->r, c->raw_id);
    if (!op->name)
        return instances__not_found(err, "");
    return 0;
}

static int lc_load(engine_op *op, rds_error *err)
{
    lifecycle_ctx *c = op->ctx;
    return instances__load(op->r, op->s, op->name, &c->d, err);
}

static int lc_check(engine_op *op, rds_error *err)
{
    lifecycle_ctx *c = op->ctx;
    const char *shown_now = engine__shown_status(c->d, rds_now_ms());
    switch (c->kind) {
    case LC_STOP:
        if (rules_can_stop(c->d->id, shown_now, false, err) ||
            engine__replica_check_stop(op->s, op->r->a, c->d, err)) /* read replicas */
            return -1;
        return c->snapshot_id ? engine__snapshot_prepare(op->r, op->s, c->d, "DBSnapshotIdentifier",
                                                         c->snapshot_id, &c->snap, err)
                              : 0;
    case LC_START:
        if (rules_can_start(c->d->id, shown_now, err))
            return -1;
        /* An encrypted instance starts only with a usable key (disabled or pending deletion:
         * KMSKeyNotAccessibleFault, it stays where it is). */
        if (c->d->storage_encrypted && c->d->kms_key_id) {
            const char *arn;
            return engine__kms_usable_key(op->r, op->s, c->d->kms_key_id, &arn, err);
        }
        return 0;
    case LC_REBOOT:
        if (rules_can_reboot(c->d->id, shown_now, err))
            return -1;
        if (c->failover && !c->d->multi_az)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                            "Cannot reboot with failover a DB instance that is not Multi-AZ.");
        return 0;
    }
    return 0;
}

static int lc_act(engine_op *op, rds_error *err)
{
    lifecycle_ctx *c = op->ctx;
    engine *e = op->r->e;
    /* params: a reboot restarts the server with the group's held (static) settings; a
     * reboot with failover (Multi-AZ) promotes the standby instead, below */
    if (c->kind == LC_REBOOT && !c->failover)
        return engine__params_reboot(op->r, op->s, c->d, err);
    if (e->cfg.no_engine || !e->sv)
        return 0;
    sv_instance_spec spec = engine__spec(op->r->a, c->d);
    switch (c->kind) {
    case LC_STOP:
        /* the snapshot of the running server first, as AWS takes it before stopping */
        if (c->snap.snap && engine__snapshot_files(op->r, op->s, c->d, &c->snap, err))
            return -1;
        if (sv_instance_stop(e->sv, c->d->resource_id, err)) {
            engine__snapshot_discard_files(e, &c->snap);
            return -1;
        }
        return 0;
    case LC_START: return sv_instance_start(e->sv, &spec, err);
    case LC_REBOOT:
        return c->failover ? sv_instance_failover(e->sv, c->d->resource_id, err) : sv_instance_restart(e->sv, &spec, err);
    }
    return 0;
}

static int lc_write(engine_op *op, rds_error *err)
{
    lifecycle_ctx *c = op->ctx;
    engine *e = op->r->e;
    db_instance *d = c->d;
    static const char *const transitional[] = { [LC_STOP] = "stopping", [LC_START] = "starting",
                                                [LC_REBOOT] = "rebooting" };
    static const rules_event_id events[] = { [LC_STOP] = RULES_EV_STOPPED, [LC_START] = RULES_EV_STARTED,
                                             [LC_REBOOT] = RULES_EV_RESTARTED };
    c->transitional = transitional[c->kind];
    if (c->snap.snap && engine__snapshot_record(op->r, op->s, d, NULL, &c->snap, err))
        return -1;
    engine__set_status(e, d, c->kind == LC_STOP ? "stopped" : "available", c->transitional);
    d->stopped_at_ms = c->kind == LC_STOP ? rds_now_ms() : 0;
    if (c->kind == LC_START)
        d->kms_lost_at_ms = 0; /* its key is usable again (lc_check) */
    if (c->failover)
        return instances__failover_record(e, op->s, d, "The user requested a failover of the DB instance.", err);
    return store_instance_put(op->s, d, err) || engine__event(e, op->s, d, events[c->kind], NULL, err) ? -1 : 0;
}

static int lc_after(engine_op *op, rds_error *err)
{
    lifecycle_ctx *c = op->ctx;
    if (engine__instance_view(op->r, op->s, c->d, c->out, err))
        return -1;
    c->out->status = c->transitional;
    return 0;
}

static int lifecycle(engine_req *r, const char *raw_id, lifecycle_op kind, const char *snapshot_id, bool failover,
                     instance_view *out, rds_error *err)
{
    assert(out);
    lifecycle_ctx c = { .kind = kind, .raw_id = raw_id, .snapshot_id = snapshot_id, .out = out,
                        .failover = failover };
    engine_op op = { .r = r, .kind = "db", .ctx = &c, .check_input = lc_check_input, .load = lc_load,
                     .check = lc_check, .act = lc_act, .write = lc_write, .after = lc_after };
    return engine__run(&op, err);
}

int engine_stop_instance(engine_req *r, const char *id, const char *snapshot_id, instance_view *out, rds_error *err)
{
    return lifecycle(r, id, LC_STOP, snapshot_id, false, out, err);
}

int engine_start_instance(engine_req *r, const char *id, instance_view *out, rds_error *err)
{
    return lifecycle(r, id, LC_START, NULL, false, out, err);
}

int engine_reboot_instance(engine_req *r, const char *id, opt_bool force_failover, instance_view *out, rds_error *err)
{
    return lifecycle(r, id, LC_REBOOT, NULL, force_failover.set && force_failover.v, out, err);
}
