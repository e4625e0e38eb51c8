/* create.c: CreateDBInstance as engine_op steps. The row (status "creating") is written
 * first and claims the identifier and the port; then the real server is created; then
 * the row settles to "available" with its event. A server that cannot be created removes
 * the row again (a failed request changes nothing). */
#include "instances/instances.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

typedef struct create_ctx {
    const create_instance_in *in;
    instance_view *out;
    const char *id, *version, *storage_type, *parameter_group, *option_group, *ca;
    const rules_instance_class *cls;
    int64_t storage, retention;
    bool multi_az;
    uint32_t seed;          /* from the id: deterministic default windows and AZ */
    db_instance *d;         /* the new row (decide) */
    db_subnet_group *g;     /* its subnet group; NULL: the default one */
    const char *arn;
    engine_mmp mmp;         /* secrets: managed master password */
} create_ctx;

/* Identifier, engine, version and class. */
static int check_engine(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    const create_instance_in *in = c->in;
    if (rules_identifier("DBInstanceIdentifier", in->id, err))
        return -1;
    const char *id = rds_lower(arena_strdup(r->a, in->id));
    op->name = c->id = id;
    if (rules_engine(in->engine, err))
        return -1;
    const char *version;
    if (instances__resolve_version(r, in->engine_version, &version, err))
        return -1;
    c->version = version;
    if (rules_check_instance_class("postgres", version, in->instance_class, err))
        return -1;
    c->cls = rules_instance_class_find("postgres", in->instance_class);
    return 0;
}

/* Master user, password and database name. */
static int check_credentials(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    const create_instance_in *in = c->in;
    if (!in->master_username || !*in->master_username)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUsername must be provided and must not be blank.");
    if (rules_master_username("postgres", in->master_username, err))
        return -1;
    if (engine__mmp_new_check(op->r->a, in->manage_master_password, in->master_password,
                              in->master_secret_kms_key_id, &c->mmp, err))
        return -1;
    if (c->mmp.on)
        return in->db_name && *in->db_name && rules_db_name("postgres", in->db_name, err) ? -1 : 0;
    if (!in->master_password || !*in->master_password)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUserPassword must be provided and must not be blank.");
    if (rules_master_password("postgres", in->master_password, err))
        return -1;
    /* An empty DBName is no database name, as AWS reads it: the Terraform provider sends
     * DBName= for every aws_db_instance without db_name. */
    if (in->db_name && *in->db_name && rules_db_name("postgres", in->db_name, err))
        return -1;
    return 0;
}

/* Storage type and sizes, backup retention. */
static int check_storage_input(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    const create_instance_in *in = c->in;
    /* AWS (CreateDBInstance StorageType): io1 when Iops is given, else gp3. */
    const char *storage_type = c->storage_type = in->storage_type ? in->storage_type : in->iops.set ? "io1" : RULES_DEFAULT_STORAGE_TYPE;
    if (rules_storage_type(storage_type, err))
        return -1;
    int64_t storage = c->storage = in->allocated_storage.set ? in->allocated_storage.v : 0;
    if (instances__check_storage(storage_type, storage, in->iops.set ? in->iops.v : 0,
                      in->storage_throughput.set ? in->storage_throughput.v : 0, err) ||
        instances__check_max_storage(in->max_allocated_storage.set ? in->max_allocated_storage.v : 0, storage, err))
        return -1;
    int64_t retention = c->retention = in->backup_retention.set ? in->backup_retention.v : 1;
    if (rules_backup_retention((int)retention, err))
        return -1;
    return 0;
}

/* Windows, AZ, groups, certificate, network and options. */
static int check_placement(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    const create_instance_in *in = c->in;
    if (rules_check_windows(in->backup_window, in->maintenance_window, err))
        return -1;
    bool multi_az = c->multi_az = in->multi_az.set && in->multi_az.v;
    if (multi_az && in->availability_zone)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Requesting a specific availability zone is not valid for Multi-AZ instances.");
    if (in->availability_zone && instances__check_az(r, in->availability_zone, err))
        return -1;
    const char *ca = c->ca = in->ca_certificate_id ? in->ca_certificate_id : DEFAULT_CA;
    if (instances__check_ca(ca, err))
        return -1;
    if (in->license_model && strcmp(in->license_model, "postgresql-license") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid license model '%s' for engine postgres",
                        in->license_model);
    if (instances__check_sgs(&in->vpc_security_group_ids, err) || instances__check_tags(r->a, &in->tags, err))
        return -1;
    /* AWS (terraform/tfsec reports of real answers): "You must enable StorageEncrypted when
     * you specify KmsKeyId for DB engine <engine>". */
    if (in->kms_key_id && !(in->storage_encrypted.set && in->storage_encrypted.v))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You must enable StorageEncrypted when you specify KmsKeyId for DB engine postgres");
    if (instances__check_monitoring(in->monitoring_interval.set ? in->monitoring_interval.v : 0, in->monitoring_role_arn, err))
        return -1;
    return 0;
}

/* Everything the request alone can be checked for, in AWS's order of complaints. */
static int check_input(engine_op *op, rds_error *err)
{
    return check_engine(op, err) || check_credentials(op, err) || check_storage_input(op, err) ||
                   check_placement(op, err)
               ? -1
               : 0;
}

/* The identifier is free and the subnet group exists (under the instance's lock). */
static int load(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    return instances__id_free(r, op->s, c->id, err) ||
                   instances__load_subnet_group(r, op->s, c->in->subnet_group, &c->g, err) ||
                   engine__params_check_group(r, op->s, c->in->parameter_group, instances__major_of(r->a, c->version),
                                              &c->parameter_group, err) || /* params */
                   engine__options_check_group(r, op->s, c->in->option_group, instances__major_of(r->a, c->version),
                                               &c->option_group, err)
               ? -1
               : 0;
}

/* The new row: AWS's defaults for everything the request leaves out. */
static int decide(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    const create_instance_in *in = c->in;
    const char *id = c->id, *storage_type = c->storage_type;
    int64_t storage = c->storage;
    db_instance *d = c->d = instances__new_row(r, id, &in->vpc_security_group_ids, &c->seed);
    char bw[16], mw[32];
    instances__windows(r, c->seed, in->backup_window, in->maintenance_window, bw, mw);
    d->engine_version = c->version;
    d->instance_class = in->instance_class;
    d->master_username = in->master_username;
    d->db_name = in->db_name && *in->db_name ? in->db_name : NULL;
    d->allocated_storage_gib = storage;
    d->max_allocated_storage_gib = in->max_allocated_storage.set ? in->max_allocated_storage.v : 0;
    d->storage_type = storage_type;
    int64_t base_iops = 0, base_tput = 0;
    if (strcmp(storage_type, "gp3") == 0)
        rules_gp3_baseline(storage, &base_iops, &base_tput);
    d->iops = in->iops.set ? in->iops.v : base_iops;
    d->storage_throughput = in->storage_throughput.set ? in->storage_throughput.v : base_tput;
    d->storage_encrypted = in->storage_encrypted.set && in->storage_encrypted.v;
    d->kms_key_id = NULL; /* the key's ARN, resolved in write (KMS, inside the transaction) */
    d->multi_az = c->multi_az;
    d->subnet_group = in->subnet_group ? rds_lower(arena_strdup(r->a, in->subnet_group)) : "default";
    d->parameter_group = c->parameter_group;
    if (engine__params_init_instance(r, op->s, d, err)) /* params */
        return -1;
    d->option_group = c->option_group;
    d->backup_retention_days = c->retention;
    d->backup_window = arena_strdup(r->a, bw);
    d->maintenance_window = arena_strdup(r->a, mw);
    /* AWS (CreateDBInstance PubliclyAccessible): without a subnet group, or with the
     * default one, the instance is public (the default VPC has an internet gateway); with
     * another subnet group it is private. */
    d->publicly_accessible = in->publicly_accessible.set ? in->publicly_accessible.v
                                                         : strcmp(d->subnet_group, "default") == 0;
    d->auto_minor_version_upgrade = in->auto_minor_version_upgrade.set ? in->auto_minor_version_upgrade.v : true;
    d->deletion_protection = in->deletion_protection.set && in->deletion_protection.v;
    d->copy_tags_to_snapshot = in->copy_tags_to_snapshot.set && in->copy_tags_to_snapshot.v;
    d->iam_auth = in->iam_auth.set && in->iam_auth.v;
    d->performance_insights = in->performance_insights.set && in->performance_insights.v;
    d->monitoring_interval_s = in->monitoring_interval.set ? in->monitoring_interval.v : 0;
    d->monitoring_role_arn = in->monitoring_role_arn;
    d->ca_certificate_id = c->ca;
    d->network_type = in->network_type ? in->network_type : "IPV4";
    d->max_connections = rules_default_max_connections(c->cls);
    if (instances__place(r, d, c->g, c->seed, in->availability_zone, err))
        return -1;
    c->arn = engine__arn(e, r->a, r->region, "db", id);
    return 0;
}

/* The row in status "creating" with its tags; the port is chosen and claimed in the same
 * transaction. */
static int write(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    /* StorageEncrypted: KmsKeyId (id, ARN, alias or alias ARN) or the region's AWS managed
     * key alias/aws/rds, created on first use in this transaction; the row keeps the key's
     * ARN. An unusable key: KMSKeyNotAccessibleFault, nothing recorded. */
    if (c->d->storage_encrypted &&
        engine__kms_usable_key(op->r, op->s, c->in->kms_key_id, &c->d->kms_key_id, err))
        return -1;
    if (engine__mmp_new_write(op, c->d, c->arn, &c->mmp, err))
        return -1;
    return instances__claim(op, c->d, &c->in->port, &c->in->tags, c->arn, err);
}

static int settle(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    return store_instance_put(op->s, c->d, err) ||
           engine__event(op->r->e, op->s, c->d, RULES_EV_CREATED, NULL, err) ? -1 : 0;
}

/* A real server that accepts the master credentials; then the row settles. */
static int after(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    db_instance *d = c->d;
    if (!e->cfg.no_engine) {
        sv_instance_spec spec = engine__spec(r->a, d);
        spec.master_username = c->in->master_username;
        spec.master_password = c->mmp.on ? c->mmp.password : c->in->master_password;
        spec.db_name = c->in->db_name;
        if (!e->sv || sv_instance_create(e->sv, &spec, err) || instances__multi_az_setup(r, d, err)) {
            engine__mmp_new_undo(op, d);
            return instances__undo_new_row(op, "create", err);
        }
    }
    engine__set_status(e, d, "available", "creating");
    if (engine__tx(op, settle, err) || engine__instance_view(r, op->s, d, c->out, err))
        return -1;
    /* AWS's create response lists the master password as pending ("****"). */
    db_instance *shown = arena_alloc(r->a, sizeof *shown);
    *shown = *d;
    shown->pending_master_password = true;
    c->out->inst = shown;
    c->out->status = "creating";
    return 0;
}

int engine_create_instance(engine_req *r, const create_instance_in *in, instance_view *out, rds_error *err)
{
    assert(out);
    create_ctx c = { .in = in, .out = out };
    engine_op op = { .r = r, .kind = "db", .ctx = &c, .check_input = check_input, .load = load,
                     .decide = decide, .write = write, .after = after };
    return engine__run(&op, err);
}
