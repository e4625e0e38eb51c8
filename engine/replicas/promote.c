/* promote.c: PromoteReadReplica, and what happens to replicas whose source is deleted.
 *
 * AWS: a promoted replica becomes a standalone DB instance (it is rebooted; status
 * "modifying", then "available"); BackupRetentionPeriod defaults to 1 and
 * PreferredBackupWindow to the instance's own. Here the server is promoted first
 * (sv_replica_promote: pg_promote, it accepts writes when that returns), then the row
 * forgets its source in one transaction with the events (RDS-EVENT-0057 replication
 * terminated, RDS-EVENT-0032 when backups come on).
 *
 * RDS for PostgreSQL, when a source instance with replicas is deleted: its replicas are
 * promoted to standalone instances (user guide, "Working with read replicas": deleting a
 * source). engine__replicas_orphaned does that after DeleteDBInstance committed, and at
 * start-up for replicas whose source row is gone (a crash in between), and for replicas whose
 * server was promoted before a crash kept the row from saying so; backups stay as they
 * were (off). Each promotion is its own engine_op under the replica's lock.
 * engine__replicas_follow: after a source's port changed, its replicas' primary_conninfo is
 * rewritten and reloaded (the supervisor reads the source's new port). */
#include "replicas/replicas.h"

#include <string.h>

typedef struct promote_ctx {
    const char *backup_window;
    int64_t retention;          /* < 0: unchanged */
    instance_view *out;
    db_instance *d;
    bool backups_on;
} promote_ctx;

static int load(engine_op *op, rds_error *err)
{
    promote_ctx *c = op->ctx;
    return instances__load(op->r, op->s, op->name, &c->d, err);
}

static int check(engine_op *op, rds_error *err)
{
    promote_ctx *c = op->ctx;
    if (!c->d->replica_source_resource_id)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "DB Instance is not a read replica.");
    if (strcmp(engine__shown_status(c->d, rds_now_ms()), "available") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "Instance %s is not in available state.", c->d->id);
    return 0;
}

static int act(engine_op *op, rds_error *err)
{
    promote_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (e->cfg.no_engine)
        return 0;
    if (!e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "The read replica could not be promoted.");
    return sv_replica_promote(e->sv, c->d->resource_id, err);
}

static int write(engine_op *op, rds_error *err)
{
    promote_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_instance *d = c->d;
    d->replica_source_region = d->replica_source_resource_id = d->replica_source_id = NULL;
    c->backups_on = c->retention > 0 && d->backup_retention_days == 0;
    if (c->retention >= 0)
        d->backup_retention_days = c->retention;
    if (c->backup_window)
        d->backup_window = c->backup_window;
    engine__set_status(r->e, d, "available", "modifying");
    if (store_instance_put(op->s, d, err) || engine__event(r->e, op->s, d, RULES_EV_REPLICA_TERMINATED, NULL, err))
        return -1;
    if (c->backups_on && engine__event(r->e, op->s, d, RULES_EV_BACKUP_RETENTION_CHANGED_ON, NULL, err))
        return -1;
    return 0;
}

static int after(engine_op *op, rds_error *err)
{
    promote_ctx *c = op->ctx;
    if (!c->out)
        return 0;
    if (engine__instance_view(op->r, op->s, c->d, c->out, err))
        return -1;
    c->out->status = "modifying";
    return 0;
}

int replicas__promote(engine_req *r, const char *id, int64_t retention, const char *backup_window,
                      instance_view *out, rds_error *err)
{
    promote_ctx c = { .backup_window = backup_window, .retention = retention, .out = out };
    engine_op op = { .r = r, .kind = "db", .name = id, .ctx = &c, .load = load, .check = check, .act = act,
                     .write = write, .after = after };
    return engine__run(&op, err);
}

int engine_promote_read_replica(engine_req *r, const promote_replica_in *in, instance_view *out, rds_error *err)
{
    const char *id = instances__id_arg(r, in->id);
    if (!id)
        return instances__not_found(err, "");
    /* AWS (PromoteReadReplica): BackupRetentionPeriod 0-35, default 1 */
    int64_t retention = in->backup_retention.set ? in->backup_retention.v : 1;
    if (rules_backup_retention((int)retention, err))
        return -1;
    const char *bw = NULL;
    if (in->backup_window) {
        if (rules_check_windows(in->backup_window, NULL, err))
            return -1;
        bw = arena_strdup(r->a, in->backup_window);
    }
    return replicas__promote(r, id, retention, bw, out, err);
}

void engine__replicas_orphaned(engine *e, const char *source_resource_id)
{
    rds_error err = { 0 };
    store *s = engine__store(e, &err);
    if (!s)
        return;
    arena *a = arena_new();
    db_instance **reps;
    size_t n;
    if (store_instance_replicas_of(s, a, source_resource_id, &reps, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            db_instance *src = NULL;
            if (!source_resource_id) { /* the start-up sweep */
                if (store_instance_by_resource_id(s, a, reps[i]->replica_source_resource_id, &src, &err))
                    break;
                /* a source that is still there keeps its replica, unless the replica's server
                 * was promoted and rdslocal died before recording it: finish the promotion */
                sv_replica_state st;
                rds_error ignored = { 0 };
                bool promoted = !e->cfg.no_engine && e->sv &&
                                sv_replica_status(e->sv, reps[i]->resource_id, &st, &ignored) == 0 && !st.in_recovery;
                if (src && strcmp(src->status, "deleted") != 0 && !promoted)
                    continue;
            }
            engine_req r = { .e = e, .a = a, .region = reps[i]->region, .valid_until_ms = INT64_MAX };
            if (replicas__promote(&r, reps[i]->id, -1, NULL, NULL, &err))
                log_at(LOG_WARN, "engine", "could not promote replica \"%s\" of a deleted source: %s (%s)",
                       reps[i]->id, err.message, err.detail);
            else
                log_at(LOG_INFO, "engine", "promoted replica \"%s\": its source was deleted", reps[i]->id);
            rds_error_clear(&err);
        }
    }
    arena_free(a);
}

void engine__replicas_follow(engine *e, const char *source_resource_id)
{
    rds_error err = { 0 };
    store *s = engine__store(e, &err);
    if (!s || e->cfg.no_engine || !e->sv)
        return;
    arena *a = arena_new();
    db_instance **reps;
    size_t n;
    if (store_instance_replicas_of(s, a, source_resource_id, &reps, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (!sv_instance_running(e->sv, reps[i]->resource_id))
                continue; /* its next start writes the new port */
            sv_instance_spec spec = engine__spec(a, reps[i]);
            if (sv_instance_reconfigure(e->sv, &spec, &err))
                log_at(LOG_WARN, "engine", "replica \"%s\" could not follow its source's new port: %s (%s)",
                       reps[i]->id, err.message, err.detail);
            rds_error_clear(&err);
        }
    }
    arena_free(a);
}
