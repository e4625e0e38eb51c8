/* restore.c: RestoreDBInstanceFromDBSnapshot: a new instance, with a new DbiResourceId, a
 * real server holding the snapshot's data (same roles and passwords), and the snapshot's
 * encryption and KMS key: the API has no KmsKeyId here, so encrypting an existing
 * database goes snapshot -> CopyDBSnapshot with a key -> restore. Overrides AWS allows:
 * class, port, AZ, subnet group, Multi-AZ, public access, minor upgrades, storage type,
 * IOPS, throughput, size (not smaller), security groups, deletion protection,
 * CopyTagsToSnapshot, IAM auth, backup retention and window, CA, network type, tags.
 * DBName does not apply to PostgreSQL (API reference): the snapshot's database is kept.
 * Shape as CreateDBInstance (instances/create.c): the row claims the identifier and the
 * port in status "creating", the server is restored, then the row settles.
 * engine__restore_instance_variant runs the same op for restores whose base snapshot is
 * chosen otherwise and whose server is made otherwise (point-in-time restore, pitr/). */
#include "snapshots/snapshots.h"
#include "instances/instances.h"

#include <stdio.h>
#include <openssl/crypto.h>
#include <string.h>

typedef struct restore_ctx {
    const restore_instance_in *in;
    const engine_restore_variant *v; /* NULL: from the named snapshot (this file's own op) */
    instance_view *out;
    const char *snap_region, *snap_id;
    db_snapshot *snap;
    db_subnet_group *g;
    db_instance *d;
    const char *arn;
    engine_mmp mmp;         /* secrets: managed master password */
} restore_ctx;

static int restore_check_input(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    engine_req *r = op->r;
    const restore_instance_in *in = c->in;
    if (rules_identifier("DBInstanceIdentifier", in->id, err))
        return -1;
    op->name = rds_lower(arena_strdup(r->a, in->id));
    if (c->v && c->v->check_input && c->v->check_input(op, c->v->arg, err))
        return -1;
    if (!c->v && (!in->snapshot_id || !*in->snapshot_id))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "One of DBSnapshotIdentifier or DBClusterSnapshotIdentifier must be specified.");
    c->snap_id = c->v ? NULL : snapshots__id_arg(r, in->snapshot_id, &c->snap_region);
    if (!c->v && (!c->snap_id || strcmp(c->snap_region, r->region) != 0))
        return snapshots__not_found(err, in->snapshot_id);
    if (in->engine && strcmp(in->engine, "postgres") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot restore a postgres snapshot as engine %s.", in->engine);
    if (engine__mmp_new_check(r->a, in->manage_master_password, NULL, in->master_secret_kms_key_id, &c->mmp, err))
        return -1;
    if (in->storage_type && rules_storage_type(in->storage_type, err))
        return -1;
    if (in->multi_az.set && in->multi_az.v && in->availability_zone)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Requesting a specific availability zone is not valid for Multi-AZ instances.");
    if (in->availability_zone && instances__check_az(r, in->availability_zone, err))
        return -1;
    if (in->backup_retention.set && rules_backup_retention((int)in->backup_retention.v, err))
        return -1;
    if (in->ca_certificate_id && instances__check_ca(in->ca_certificate_id, err))
        return -1;
    if (in->license_model && strcmp(in->license_model, "postgresql-license") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid license model '%s' for engine postgres",
                        in->license_model);
    if (in->port.set && rules_port((int)in->port.v, err))
        return -1;
    return instances__check_sgs(&in->vpc_security_group_ids, err) || instances__check_tags(r->a, &in->tags, err)
               ? -1
               : 0;
}

static int restore_load(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (instances__id_free(r, op->s, op->name, err))
        return -1;
    if (c->v ? c->v->load_base(op, c->v->arg, &c->snap, err)
             : snapshots__load(r, op->s, r->region, c->snap_id, &c->snap, err))
        return -1;
    return instances__load_subnet_group(r, op->s, c->in->subnet_group, &c->g, err);
}

/* The snapshot must be available and, if encrypted, its key usable. */
static int restore_check(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    engine_req *r = op->r;
    const db_snapshot *snap = c->snap;
    if (strcmp(snapshots__shown_status(snap, rds_now_ms()), "available") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_SNAPSHOT_STATE, "Snapshot %s is not in available state.", snap->id);
    if (snap->encrypted && engine__kms_arn_usable(r->e, op->s, r->a, snap->kms_key_id, err))
        return -1;
    return c->v && c->v->check ? c->v->check(op, c->v->arg, err) : 0;
}

/* The new row: the snapshot's settings, then the request's overrides. */
static int restore_decide(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    const restore_instance_in *in = c->in;
    const db_snapshot *snap = c->snap;
    const char *cls_name = in->instance_class ? in->instance_class : snap->instance_class;
    if (!cls_name)
        cls_name = "db.t3.micro";
    if (rules_check_instance_class("postgres", snap->engine_version, cls_name, err))
        return -1;
    const rules_instance_class *cls = rules_instance_class_find("postgres", cls_name);
    const char *storage_type = in->storage_type ? in->storage_type : snap->storage_type;
    int64_t storage = in->allocated_storage.set ? in->allocated_storage.v : snap->allocated_storage_gib;
    if (storage < snap->allocated_storage_gib)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The allocated storage (%lld GiB) must not be smaller than the snapshot's (%lld GiB).",
                        (long long)storage, (long long)snap->allocated_storage_gib);
    bool gp3 = strcmp(storage_type, "gp3") == 0;
    bool type_changed = in->storage_type && strcmp(in->storage_type, snap->storage_type) != 0;
    int64_t base_iops = 0, base_tput = 0, snap_base_iops = 0, snap_base_tput = 0;
    if (gp3)
        rules_gp3_baseline(storage, &base_iops, &base_tput);
    /* a gp3 snapshot's baseline was not provisioned: it follows the new size */
    if (strcmp(snap->storage_type, "gp3") == 0)
        rules_gp3_baseline(snap->allocated_storage_gib, &snap_base_iops, &snap_base_tput);
    int64_t iops = in->iops.set ? in->iops.v
                   : (type_changed || !snap->iops || snap->iops == snap_base_iops) ? base_iops : snap->iops;
    int64_t tput = in->storage_throughput.set ? in->storage_throughput.v
                   : (type_changed || !snap->storage_throughput || snap->storage_throughput == snap_base_tput)
                       ? base_tput
                       : snap->storage_throughput;
    if (strcmp(storage_type, "io1") != 0 && strcmp(storage_type, "io2") != 0 && !gp3 && !in->iops.set)
        iops = 0;
    if (instances__check_storage(storage_type, storage, in->iops.set ? in->iops.v : 0,
                                 in->storage_throughput.set ? in->storage_throughput.v : 0, err))
        return -1;
    uint32_t seed;
    db_instance *d = c->d = instances__new_row(r, op->name, &in->vpc_security_group_ids, &seed);
    char bw[16], mw[32];
    instances__windows(r, seed, in->backup_window, NULL, bw, mw);
    if (rules_check_windows(bw, NULL, err))
        return -1;
    const char *major = instances__major_of(r->a, snap->engine_version);
    d->engine_version = snap->engine_version;
    d->instance_class = arena_strdup(r->a, cls_name);
    d->master_username = snap->master_username;
    d->db_name = snap->db_name;
    d->allocated_storage_gib = storage;
    d->storage_type = storage_type;
    d->iops = iops;
    d->storage_throughput = tput;
    d->storage_encrypted = snap->encrypted;
    d->kms_key_id = snap->encrypted ? snap->kms_key_id : NULL;
    d->multi_az = in->multi_az.set && in->multi_az.v;
    d->subnet_group = c->g ? c->g->name : "default";
    if (engine__params_check_group(r, op->s, in->parameter_group, major, &d->parameter_group, err) || /* params */
        engine__params_init_instance(r, op->s, d, err))
        return -1;
    d->option_group = snap->option_group;
    if (in->option_group && strcmp(in->option_group, snap->option_group ? snap->option_group : "") != 0)
        return rds_fail(err, RDS_E_OPTION_GROUP_NOT_FOUND_FAULT, "Specified OptionGroupName: %s not found.",
                        in->option_group);
    d->backup_retention_days = in->backup_retention.set ? in->backup_retention.v : 1;
    d->backup_window = arena_strdup(r->a, bw);
    d->maintenance_window = arena_strdup(r->a, mw);
    d->publicly_accessible = in->publicly_accessible.set ? in->publicly_accessible.v
                                                         : strcmp(d->subnet_group, "default") == 0;
    d->auto_minor_version_upgrade = in->auto_minor_version_upgrade.set ? in->auto_minor_version_upgrade.v : true;
    d->deletion_protection = in->deletion_protection.set && in->deletion_protection.v;
    d->copy_tags_to_snapshot = in->copy_tags_to_snapshot.set && in->copy_tags_to_snapshot.v;
    d->iam_auth = in->iam_auth.set ? in->iam_auth.v : snap->iam_auth;
    d->ca_certificate_id = in->ca_certificate_id ? in->ca_certificate_id : DEFAULT_CA;
    d->network_type = in->network_type ? in->network_type : "IPV4";
    d->max_connections = rules_default_max_connections(cls);
    if (instances__place(r, d, c->g, seed, in->availability_zone, err))
        return -1;
    c->arn = engine__arn(e, r->a, r->region, "db", op->name);
    return 0;
}

static int restore_write(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    return engine__mmp_new_write(op, c->d, c->arn, &c->mmp, err) ||
                   instances__claim(op, c->d, &c->in->port, &c->in->tags, c->arn, err)
               ? -1
               : 0;
}

static int settle(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    if (c->v)
        return store_instance_put(op->s, c->d, err) ||
                       engine__event(op->r->e, op->s, c->d, RULES_EV_CREATED, NULL, err) ||
                       c->v->settled(op, c->v->arg, c->d, err)
                   ? -1
                   : 0;
    return store_instance_put(op->s, c->d, err) ||
                   engine__event(op->r->e, op->s, c->d, RULES_EV_CREATED, NULL, err) ||
                   engine__event(op->r->e, op->s, c->d, RULES_EV_RESTORED_FROM_SNAPSHOT, c->snap->id, err)
               ? -1
               : 0;
}

/* The real server from the snapshot's files (decrypted with its data key). */
static int restore_server(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    if (e->cfg.no_engine)
        return 0;
    if (!e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "The DB instance could not be restored.");
    unsigned char key[32];
    sv_snapshot_crypt crypt = { 0 };
    if (c->snap->encrypted) {
        if (snapshots__open_key(e, op->s, r->a, c->snap, key, err))
            return -1;
        crypt.key = key;
    }
    sv_instance_spec spec = engine__spec(r->a, c->d);
    int rc = c->v ? c->v->server(op, c->v->arg, c->snap, &crypt, &spec, err)
                  : sv_instance_restore(e->sv, &spec, c->snap->snap_key, &crypt, err);
    OPENSSL_cleanse(key, sizeof key); /* a memset of a dead key may be elided */
    return rc;
}

static int restore_after(engine_op *op, rds_error *err)
{
    restore_ctx *c = op->ctx;
    engine_req *r = op->r;
    bool made = restore_server(op, err) == 0;
    if (!made || engine__mmp_new_server(op, c->d, &c->mmp, err) || instances__multi_az_setup(r, c->d, err)) {
        /* a server made before a later step failed goes too: no row owns it any more */
        if (made && r->e->sv && !r->e->cfg.no_engine) {
            rds_error ignored = { 0 };
            sv_instance_delete(r->e->sv, c->d->resource_id, &ignored);
        }
        engine__mmp_new_undo(op, c->d);
        return instances__undo_new_row(op, "restore", err);
    }
    engine__set_status(r->e, c->d, "available", "creating");
    if (engine__tx(op, settle, err) || engine__instance_view(r, op->s, c->d, c->out, err))
        return -1;
    c->out->status = "creating";
    return 0;
}

int engine_restore_instance_from_snapshot(engine_req *r, const restore_instance_in *in, instance_view *out,
                                          rds_error *err)
{
    return engine__restore_instance_variant(r, in, NULL, out, err);
}

int engine__restore_instance_variant(engine_req *r, const restore_instance_in *in, const engine_restore_variant *v,
                                     instance_view *out, rds_error *err)
{
    restore_ctx c = { .in = in, .out = out, .v = v };
    engine_op op = { .r = r, .kind = "db", .ctx = &c, .check_input = restore_check_input,
                     .load = restore_load, .check = restore_check, .decide = restore_decide,
                     .write = restore_write, .after = restore_after };
    return engine__run(&op, err);
}
