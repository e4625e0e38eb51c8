/* take.c: CreateDBSnapshot, and the snapshot steps other operations take under an
 * instance's lock (engine__snapshot_*: DeleteDBInstance's final snapshot, StopDBInstance
 * with DBSnapshotIdentifier). The instance stays available: the supervisor copies its data
 * online (sv_snapshot_create); an encrypted instance's snapshot is encrypted under a new
 * data key of the instance's KMS key, stored wrapped beside the files. */
#include "snapshots/snapshots.h"
#include "instances/instances.h"

#include <openssl/crypto.h>
#include <string.h>

int engine__snapshot_prepare(engine_req *r, store *s, const db_instance *d, const char *param,
                             const char *snap_id, engine_snap_take *t, rds_error *err)
{
    memset(t, 0, sizeof *t);
    if (snapshots__check_id(param, snap_id, err))
        return -1;
    snap_id = rds_lower(arena_strdup(r->a, snap_id));
    db_snapshot *existing;
    if (store_snapshot_get(s, r->a, r->region, snap_id, &existing, err))
        return -1;
    if (existing)
        return snapshots__already_exists(err, snap_id);
    if (snapshots__check_quota(r, s, err))
        return -1;
    if (d->storage_encrypted && engine__kms_arn_usable(r->e, s, r->a, d->kms_key_id, err))
        return -1;
    char vpc[32];
    default_subnet subnets[DEFAULT_SUBNET_COUNT];
    model_default_vpc(d->region, vpc, subnets);
    db_snapshot *snap = arena_alloc(r->a, sizeof *snap);
    int64_t now = rds_now_ms();
    *snap = (db_snapshot){
        .region = r->region, .id = snap_id, .instance_id = d->id, .resource_id = d->resource_id,
        .snap_key = snapshots__new_key(r->a), .snapshot_type = "manual", .status = "available",
        .created_at_ms = now, .original_created_at_ms = now, .engine = d->engine,
        .engine_version = d->engine_version, .allocated_storage_gib = d->allocated_storage_gib,
        .port = d->port, .availability_zone = d->availability_zone, .vpc_id = arena_strdup(r->a, vpc),
        .instance_created_at_ms = d->created_at_ms, .master_username = d->master_username,
        .license_model = d->license_model, .iops = d->iops, .storage_throughput = d->storage_throughput,
        .option_group = d->option_group, .storage_type = d->storage_type, .encrypted = d->storage_encrypted,
        .kms_key_id = d->storage_encrypted ? d->kms_key_id : NULL, .iam_auth = d->iam_auth,
        .instance_class = d->instance_class, .db_name = d->db_name,
    };
    t->snap = snap;
    t->arn = engine__kind_arn(r->e, r->a, &engine__kind_snapshot, r->region, snap_id);
    return 0;
}

int engine__snapshot_files(engine_req *r, store *s, const db_instance *d, engine_snap_take *t, rds_error *err)
{
    engine *e = r->e;
    if (e->cfg.no_engine)
        return 0;
    if (!e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "The DB snapshot could not be created.");
    unsigned char key[32];
    unsigned char *blob = NULL;
    size_t blob_n = 0;
    sv_snapshot_crypt crypt = { 0 };
    if (t->snap->encrypted) {
        if (engine__kms_new_data_key(e, s, r->a, t->snap->kms_key_id, key, &blob, &blob_n, err))
            return -1;
        crypt = (sv_snapshot_crypt){ key, blob, blob_n };
    }
    int64_t bytes = 0;
    int rc = sv_snapshot_create(e->sv, d->resource_id, t->snap->snap_key, &crypt, &bytes, err);
    OPENSSL_cleanse(key, sizeof key); /* a memset of a dead key may be elided */
    if (rc)
        return -1;
    t->snap->data_bytes = bytes;
    t->files_made = true;
    return 0;
}

int engine__snapshot_record(engine_req *r, store *s, const db_instance *d, const tag_list *tags,
                            engine_snap_take *t, rds_error *err)
{
    /* The id was free when checked; a concurrent create under another lock may have taken
     * it since (this runs under the instance's lock): the transaction decides. */
    db_snapshot *existing;
    if (store_snapshot_get(s, r->a, r->region, t->snap->id, &existing, err))
        return -1;
    if (existing)
        return snapshots__already_exists(err, t->snap->id);
    const char *copy_from = d->copy_tags_to_snapshot ? engine__arn(r->e, r->a, d->region, "db", d->id) : NULL;
    if (store_snapshot_put(s, t->snap, err) || snapshots__write_tags(s, r->a, t->arn, tags, copy_from, err) ||
        engine__event_for(r->e, s, &engine__kind_snapshot, r->region, t->snap->id, RULES_EV_SNAPSHOT_CREATING,
                          NULL, err))
        return -1;
    if (strcmp(t->snap->status, "available") == 0)
        return engine__event_for(r->e, s, &engine__kind_snapshot, r->region, t->snap->id,
                                 RULES_EV_SNAPSHOT_CREATED, NULL, err);
    return 0;
}

void engine__snapshot_discard_files(engine *e, engine_snap_take *t)
{
    if (!t->files_made || !e->sv)
        return;
    rds_error err = { 0 };
    if (sv_snapshot_delete(e->sv, t->snap->snap_key, &err))
        log_at(LOG_WARN, "engine", "could not remove snapshot files %s: %s", t->snap->snap_key, err.detail);
    t->files_made = false;
}

/* Sets the settled status and, with --realistic-timing, the transitional one to show. */
void snapshots__set_status(engine *e, db_snapshot *snap, const char *settled, const char *transitional)
{
    snap->status = settled;
    if (e->cfg.realistic_timing_ms > 0 && transitional) {
        snap->shown_status = transitional;
        snap->shown_until_ms = rds_now_ms() + e->cfg.realistic_timing_ms;
    } else {
        snap->shown_status = NULL;
        snap->shown_until_ms = 0;
    }
}

/* ---- CreateDBSnapshot ---- */

typedef struct create_ctx {
    const char *instance_id;
    const tag_list *tags;
    snapshot_view *out;
    db_instance *d;
    engine_snap_take t;
} create_ctx;

static int create_check_input(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (snapshots__check_id("DBSnapshotIdentifier", op->name, err))
        return -1;
    op->name = rds_lower(arena_strdup(r->a, op->name));
    if (!c->instance_id || !*c->instance_id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBInstanceIdentifier must be provided and must not be blank.");
    c->instance_id = instances__id_arg(r, c->instance_id);
    return snapshots__check_tags(r->a, c->tags, err);
}

static int create_load(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    if (store_instance_get(op->s, op->r->a, op->r->region, c->instance_id, &c->d, err))
        return -1;
    if (!c->d || strcmp(c->d->status, "deleted") == 0)
        return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", c->instance_id);
    return 0;
}

static int create_check(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    const char *status = engine__shown_status(c->d, rds_now_ms());
    /* A snapshot is taken of an available instance, or of a stopped one (its data dir). */
    if (strcmp(status, "available") != 0 && strcmp(status, "stopped") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                        "Cannot create a snapshot because the database instance %s is not currently in the "
                        "available state.", c->d->id);
    if (engine__snapshot_prepare(op->r, op->s, c->d, "DBSnapshotIdentifier", op->name, &c->t, err))
        return -1;
    c->t.snap->status = "creating";
    return 0;
}

static int create_write(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    return engine__snapshot_record(op->r, op->s, c->d, c->tags, &c->t, err);
}

static int forget_row(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    return store_snapshot_delete(op->s, r->region, c->t.snap->id, err) ||
           engine__forget(r->e, op->s, r->a, &engine__kind_snapshot, r->region, c->t.snap->id, err);
}

static int settle(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    return store_snapshot_put(op->s, c->t.snap, err) ||
           engine__event_for(r->e, op->s, &engine__kind_snapshot, r->region, c->t.snap->id,
                             RULES_EV_SNAPSHOT_CREATED, NULL, err);
}

/* The files, then the row settles to available; files that cannot be made remove the row
 * again (a failed request changes nothing). */
static int create_after(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (engine__snapshot_files(r, op->s, c->d, &c->t, err)) {
        rds_error ignored = { 0 };
        if (engine__tx(op, forget_row, &ignored))
            log_at(LOG_ERROR, "engine", "snapshot %s: could not remove its row: %s", op->name, ignored.detail);
        log_at(LOG_ERROR, "engine", "could not create snapshot \"%s\": %s (%s)", op->name, err->message,
               err->detail);
        return -1;
    }
    snapshots__set_status(r->e, c->t.snap, "available", "creating");
    if (engine__tx(op, settle, err)) {
        engine__snapshot_discard_files(r->e, &c->t);
        return -1;
    }
    if (snapshots__view(r, op->s, c->t.snap, c->out, err))
        return -1;
    c->out->status = "creating";
    c->out->percent_progress = 0;
    return 0;
}

int engine_create_snapshot(engine_req *r, const char *snapshot_id, const char *instance_id,
                           const tag_list *tags, snapshot_view *out, rds_error *err)
{
    create_ctx c = { .instance_id = instance_id, .tags = tags, .out = out };
    engine_op op = { .r = r, .kind = "snapshot", .name = snapshot_id, .ctx = &c,
                     .check_input = create_check_input, .load = create_load, .check = create_check,
                     .write = create_write, .after = create_after };
    return engine__run(&op, err);
}
