/* create.c: CreateDBInstanceReadReplica as engine_op steps, shaped like CreateDBInstance
 * (instances/create.c): the row claims the identifier and the port in status "creating",
 * the supervisor copies the running source and starts the copy as a streaming hot standby
 * (sv_replica_create), then the row settles to "available" with RDS-EVENT-0005.
 *
 * AWS rules copied here (API reference and user guide, "Working with read replicas"):
 * the source must have automated backups (BackupRetentionPeriod > 0); the replica is made
 * with backups disabled (retention 0) and inherits everything else from its source unless
 * the request says otherwise -- but a replica in another region (source named by its ARN)
 * gets that region's default parameter group, option group, subnet group and security
 * group. Encryption follows the source: an unencrypted source gives an unencrypted
 * replica (a KmsKeyId is refused); an encrypted one gives an encrypted replica under the
 * source's key in its region, and a cross-region replica needs a KmsKeyId of ITS region.
 * The master user and password are the source's (physical copy). A Multi-AZ replica is
 * recorded as such (MultiAZ, SecondaryAvailabilityZone). */
#include "replicas/replicas.h"

#include <stdio.h>
#include <string.h>

typedef struct replica_ctx {
    const create_replica_in *in;
    instance_view *out;
    const char *src_region, *src_id;
    db_instance *src;
    db_subnet_group *g;
    db_instance *d;
    const char *arn;
    bool cross_region;
} replica_ctx;

const char *replicas__source_ref(engine_req *r, const char *ref, const char **region_out)
{
    if (!ref || !*ref)
        return NULL;
    *region_out = r->region;
    if (strncmp(ref, "arn:", 4) != 0)
        return rds_lower(arena_strdup(r->a, ref));
    /* arn:<partition>:rds:<region>:<account>:db:<id> */
    char part[16], region[32], account[16], id[80];
    if (sscanf(ref, "arn:%15[^:]:rds:%31[^:]:%15[^:]:db:%79s", part, region, account, id) != 4 ||
        strcmp(account, r->e->cfg.account_id) != 0)
        return NULL;
    *region_out = arena_strdup(r->a, region);
    return rds_lower(arena_strdup(r->a, id));
}

static int check_input(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    engine_req *r = op->r;
    const create_replica_in *in = c->in;
    if (rules_identifier("DBInstanceIdentifier", in->id, err))
        return -1;
    op->name = rds_lower(arena_strdup(r->a, in->id));
    if (!in->source || !*in->source)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter SourceDBInstanceIdentifier must be provided and must not be blank.");
    c->src_id = replicas__source_ref(r, in->source, &c->src_region);
    if (!c->src_id)
        return instances__not_found(err, in->source);
    c->cross_region = strcmp(c->src_region, r->region) != 0;
    /* SourceRegion (SDKs turn it into PreSignedUrl) must agree with the source's ARN */
    if (in->source_region && strcmp(in->source_region, c->src_region) != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "SourceRegion %s does not match the region of SourceDBInstanceIdentifier %s.",
                        in->source_region, in->source);
    if (in->storage_type && rules_storage_type(in->storage_type, err))
        return -1;
    if (instances__check_az_request(r, in->multi_az.set && in->multi_az.v, in->availability_zone, err))
        return -1;
    if (in->port.set && rules_port((int)in->port.v, err))
        return -1;
    if (in->ca_certificate_id && instances__check_ca(in->ca_certificate_id, err))
        return -1;
    if (instances__check_monitoring(in->monitoring_interval.set ? in->monitoring_interval.v : 0,
                                    in->monitoring_role_arn, err))
        return -1;
    return instances__check_sgs(&in->vpc_security_group_ids, err) || instances__check_tags(r->a, &in->tags, err)
               ? -1
               : 0;
}

static int load(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (instances__id_free(r, op->s, op->name, err))
        return -1;
    if (store_instance_get(op->s, r->a, c->src_region, c->src_id, &c->src, err))
        return -1;
    if (!c->src || strcmp(c->src->status, "deleted") == 0)
        return instances__not_found(err, c->in->source);
    return instances__load_subnet_group(r, op->s, c->in->subnet_group, &c->g, err);
}

/* The source's state, backups and encryption allow a replica. */
static int check(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    engine_req *r = op->r;
    const db_instance *src = c->src;
    const create_replica_in *in = c->in;
    if (strcmp(engine__shown_status(src, rds_now_ms()), "available") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "Instance %s is not in available state.", src->id);
    if (src->backup_retention_days <= 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                        "Automated backups are not enabled for this database instance. To enable automated "
                        "backups, use ModifyDBInstance to set the backup retention period to a non-zero value.");
    if (!src->storage_encrypted && in->kms_key_id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You cannot create an encrypted Read Replica from an unencrypted DB instance.");
    if (src->storage_encrypted && c->cross_region && !in->kms_key_id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot create a cross region unencrypted read replica from encrypted source.");
    /* same region, no KmsKeyId: the source's key, which must still be usable */
    if (src->storage_encrypted && !in->kms_key_id && engine__kms_arn_usable(r->e, op->s, r->a, src->kms_key_id, err))
        return -1;
    return 0;
}

/* Groups the replica gets: the request's, else the source's in its region, else the
 * region's defaults. Only the default parameter and option groups exist here. */
static int groups(engine_op *op, db_instance *d, rds_error *err)
{
    replica_ctx *c = op->ctx;
    engine_req *r = op->r;
    const create_replica_in *in = c->in;
    const db_instance *src = c->src;
    const char *major = instances__major_of(r->a, src->engine_version);
    const char *def_pg = arena_printf(r->a, "default.postgres%s", major);
    const char *def_og = arena_printf(r->a, "default:postgres-%s", major);
    d->parameter_group = c->cross_region || !src->parameter_group ? def_pg : src->parameter_group;
    if (in->parameter_group && strcmp(in->parameter_group, def_pg) != 0 &&
        strcmp(in->parameter_group, d->parameter_group) != 0)
        return rds_fail(err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s",
                        in->parameter_group);
    if (in->parameter_group)
        d->parameter_group = in->parameter_group;
    d->option_group = c->cross_region || !src->option_group ? def_og : src->option_group;
    if (in->option_group && strcmp(in->option_group, def_og) != 0 && strcmp(in->option_group, d->option_group) != 0)
        return rds_fail(err, RDS_E_OPTION_GROUP_NOT_FOUND_FAULT, "Specified OptionGroupName: %s not found.",
                        in->option_group);
    if (in->option_group)
        d->option_group = in->option_group;
    d->subnet_group = c->g ? c->g->name : in->subnet_group || c->cross_region ? "default" : src->subnet_group;
    if (!in->vpc_security_group_ids.n && !c->cross_region)
        d->vpc_security_group_ids = src->vpc_security_group_ids;
    return 0;
}

static int decide(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    engine_req *r = op->r;
    const create_replica_in *in = c->in;
    const db_instance *src = c->src;
    const char *cls_name = in->instance_class ? in->instance_class : src->instance_class;
    if (rules_check_instance_class("postgres", src->engine_version, cls_name, err))
        return -1;
    const rules_instance_class *cls = rules_instance_class_find("postgres", cls_name);
    uint32_t seed;
    db_instance *d = c->d = instances__new_row(r, op->name, &in->vpc_security_group_ids, &seed);
    char bw[16], mw[32];
    instances__windows(r, seed, NULL, NULL, bw, mw);
    d->engine_version = src->engine_version;
    d->instance_class = arena_strdup(r->a, cls_name);
    d->master_username = src->master_username;
    d->db_name = src->db_name;
    d->storage_type = in->storage_type ? in->storage_type : src->storage_type;
    d->allocated_storage_gib = in->allocated_storage.set ? in->allocated_storage.v : src->allocated_storage_gib;
    d->max_allocated_storage_gib = in->max_allocated_storage.set ? in->max_allocated_storage.v : 0;
    int64_t base_iops = 0, base_tput = 0;
    if (strcmp(d->storage_type, "gp3") == 0)
        rules_gp3_baseline(d->allocated_storage_gib, &base_iops, &base_tput);
    bool same_storage = strcmp(d->storage_type, src->storage_type) == 0 &&
                        d->allocated_storage_gib == src->allocated_storage_gib;
    d->iops = in->iops.set ? in->iops.v : same_storage ? src->iops : base_iops;
    d->storage_throughput = in->storage_throughput.set ? in->storage_throughput.v
                            : same_storage                ? src->storage_throughput
                                                          : base_tput;
    if (instances__check_storage(d->storage_type, d->allocated_storage_gib, in->iops.set ? in->iops.v : 0,
                                 in->storage_throughput.set ? in->storage_throughput.v : 0, err) ||
        instances__check_max_storage(d->max_allocated_storage_gib, d->allocated_storage_gib, err))
        return -1;
    d->storage_encrypted = src->storage_encrypted;
    d->kms_key_id = src->storage_encrypted && !in->kms_key_id ? src->kms_key_id : NULL; /* else in write */
    d->multi_az = in->multi_az.set && in->multi_az.v;
    if (groups(op, d, err))
        return -1;
    d->backup_retention_days = 0; /* AWS: replicas are created with backups disabled */
    d->backup_window = arena_strdup(r->a, bw);
    d->maintenance_window = arena_strdup(r->a, mw);
    d->publicly_accessible = in->publicly_accessible.set ? in->publicly_accessible.v
                             : c->cross_region            ? strcmp(d->subnet_group, "default") == 0
                                                          : src->publicly_accessible;
    d->auto_minor_version_upgrade = in->auto_minor_version_upgrade.set ? in->auto_minor_version_upgrade.v
                                                                       : src->auto_minor_version_upgrade;
    d->deletion_protection = in->deletion_protection.set && in->deletion_protection.v;
    d->copy_tags_to_snapshot = in->copy_tags_to_snapshot.set && in->copy_tags_to_snapshot.v;
    d->iam_auth = in->iam_auth.set && in->iam_auth.v;
    d->performance_insights = in->performance_insights.set && in->performance_insights.v;
    d->monitoring_interval_s = in->monitoring_interval.set ? in->monitoring_interval.v : 0;
    d->monitoring_role_arn = in->monitoring_role_arn;
    d->ca_certificate_id = in->ca_certificate_id ? in->ca_certificate_id : src->ca_certificate_id;
    d->network_type = in->network_type ? in->network_type : src->network_type;
    /* A hot standby refuses to run with fewer connections than its primary has. */
    int64_t mc = rules_default_max_connections(cls);
    d->max_connections = mc > src->max_connections ? mc : src->max_connections;
    d->replica_source_region = src->region;
    d->replica_source_resource_id = src->resource_id;
    d->replica_source_id = src->id;
    if (instances__place(r, d, c->g, seed, in->availability_zone, err))
        return -1;
    c->arn = engine__arn(r->e, r->a, r->region, "db", op->name);
    return 0;
}

static int write(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    /* a KmsKeyId is resolved in the REPLICA's region: a key of the source's region is not
     * found there (KMSKeyNotAccessibleFault), as on AWS */
    if (c->d->storage_encrypted && c->in->kms_key_id &&
        engine__kms_usable_key(op->r, op->s, c->in->kms_key_id, &c->d->kms_key_id, err))
        return -1;
    return instances__claim(op, c->d, &c->in->port, &c->in->tags, c->arn, err);
}

static int settle(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    return store_instance_put(op->s, c->d, err) || engine__event(op->r->e, op->s, c->d, RULES_EV_CREATED, NULL, err)
               ? -1
               : 0;
}

static int after(engine_op *op, rds_error *err)
{
    replica_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    if (!e->cfg.no_engine) {
        sv_instance_spec spec = engine__spec(r->a, c->d);
        if (!e->sv || sv_replica_create(e->sv, &spec, err))
            return instances__undo_new_row(op, "create", err);
    }
    engine__set_status(e, c->d, "available", "creating");
    if (engine__tx(op, settle, err) || engine__instance_view(r, op->s, c->d, c->out, err))
        return -1;
    c->out->status = "creating";
    return 0;
}

int engine_create_read_replica(engine_req *r, const create_replica_in *in, instance_view *out, rds_error *err)
{
    replica_ctx c = { .in = in, .out = out };
    engine_op op = { .r = r, .kind = "db", .ctx = &c, .check_input = check_input, .load = load, .check = check,
                     .decide = decide, .write = write, .after = after };
    return engine__run(&op, err);
}
