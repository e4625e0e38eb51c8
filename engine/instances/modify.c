/* modify.c: ModifyDBInstance as engine_op steps: check the inputs, load, check against
 * the instance, decide what applies now and what waits for the maintenance window
 * (PendingModifiedValues, driven by db_instance.def), restart or re-password the server,
 * then record it all in one transaction. */
#include "instances/instances.h"

#include <assert.h>
#include <string.h>

typedef struct modify_ctx {
    const modify_instance_in *in;
    instance_view *out;
    bool now;                   /* ApplyImmediately */
    db_instance *d;             /* the row, changed in place by decide */
    db_instance before;         /* the row as loaded */
    db_instance shown;          /* the response: AWS lists what is being applied as pending */
    const char *new_version;    /* EngineVersion to move to; NULL: unchanged */
    const char *new_id;         /* rename applied now; NULL: none */
    int64_t want_gib;           /* AllocatedStorage after AWS's 10% rounding */
    bool port_change, restart, class_change, retention_toggle;
    bool cert_change;           /* TLS: the CA changes now: re-issue (restart or reload) */
    const char *new_param_group; /* params: DBParameterGroupName checked, NULL: unchanged */
    const char *password;       /* secrets: the server's new password (given, generated), or NULL */
} modify_ctx;

static int check_input(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    const modify_instance_in *in = c->in;
    op->name = instances__id_arg(op->r, in->id);
    bool any = in->new_id || in->instance_class || in->master_password || in->backup_window ||
               in->maintenance_window || in->engine_version || in->storage_type ||
               in->ca_certificate_id || in->parameter_group || in->subnet_group ||
               in->allocated_storage.set || in->max_allocated_storage.set || in->port.set ||
               in->backup_retention.set || in->iops.set || in->storage_throughput.set ||
               in->monitoring_interval.set || in->multi_az.set || in->publicly_accessible.set ||
               in->auto_minor_version_upgrade.set || in->deletion_protection.set ||
               in->copy_tags_to_snapshot.set || in->iam_auth.set || in->performance_insights.set ||
               in->vpc_security_group_ids.n || instances__mmp_requested(in);
    if (!any)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION, "No modifications were requested");
    if (in->new_id && rules_identifier("NewDBInstanceIdentifier", in->new_id, err))
        return -1;
    if (in->master_password && rules_master_password("postgres", in->master_password, err))
        return -1;
    if (instances__mmp_check_input(in, err))
        return -1;
    if (in->backup_retention.set && rules_backup_retention((int)in->backup_retention.v, err))
        return -1;
    if (in->port.set && rules_port((int)in->port.v, err))
        return -1;
    if (in->storage_type && rules_storage_type(in->storage_type, err))
        return -1;
    if (in->ca_certificate_id && instances__check_ca(in->ca_certificate_id, err))
        return -1;
    if (instances__check_sgs(&in->vpc_security_group_ids, err))
        return -1;

    return 0;
}

static int load(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    if (instances__load(op->r, op->s, op->name, &c->d, err))
        return -1;
    c->before = *c->d;
    return 0;
}

/* The state allows it; the class and version exist (a new major needs the flag). */
static int check_state_and_version(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    engine_req *r = op->r;
    const modify_instance_in *in = c->in;
    db_instance *d = c->d;
    if (rules_can_modify(d->id, d->status, err))
        return -1;
    if (in->instance_class && rules_check_instance_class("postgres", d->engine_version, in->instance_class, err))
        return -1;
    c->new_version = NULL;
    if (in->engine_version) {
        if (instances__resolve_version(r, in->engine_version, &c->new_version, err))
            return -1;
        if (strcmp(instances__major_of(r->a, c->new_version), instances__major_of(r->a, d->engine_version)) != 0 &&
            !(in->allow_major_version_upgrade.set && in->allow_major_version_upgrade.v))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                            "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.");
        if (strcmp(c->new_version, d->engine_version) == 0)
            c->new_version = NULL;
    }
    return 0;
}

/* Storage after the change (AWS rounds a small increase up to 10%). */
static int check_storage_change(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    const modify_instance_in *in = c->in;
    db_instance *d = c->d;
    const char *storage_type = in->storage_type ? in->storage_type : d->storage_type;
    int64_t want_gib = c->want_gib = in->allocated_storage.set ? in->allocated_storage.v : d->allocated_storage_gib;
    if (in->allocated_storage.set) {
        if (want_gib < d->allocated_storage_gib)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Invalid storage size for engine name postgres and storage type %s: %lld",
                            storage_type, (long long)want_gib);
        /* AWS (ModifyDBInstance AllocatedStorage): an increase of less than 10% is rounded
         * up to 10%. */
        if (want_gib > d->allocated_storage_gib && want_gib * 10 < d->allocated_storage_gib * 11)
            want_gib = c->want_gib = (d->allocated_storage_gib * 11 + 9) / 10;
    }
    if (in->allocated_storage.set || in->iops.set || in->storage_type || in->storage_throughput.set) {
        /* io1/io2 keep their provisioned IOPS; gp3's shown IOPS are its baseline, not a request */
        bool provisioned = strncmp(d->storage_type, "io", 2) == 0 && strcmp(storage_type, d->storage_type) == 0;
        if (instances__check_storage(storage_type, want_gib, in->iops.set ? in->iops.v : provisioned ? d->iops : 0,
                          in->storage_throughput.set ? in->storage_throughput.v : 0, err))
            return -1;
    }
    if ((in->max_allocated_storage.set || in->allocated_storage.set) &&
        instances__check_max_storage(in->max_allocated_storage.set ? in->max_allocated_storage.v : d->max_allocated_storage_gib,
                          want_gib, err))
        return -1;
    return 0;
}

/* Monitoring, windows, parameter and subnet groups as they will be. */
static int check_settings(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    engine_req *r = op->r;
    const modify_instance_in *in = c->in;
    db_instance *d = c->d;
    if ((in->monitoring_interval.set || in->monitoring_role_arn) &&
        instances__check_monitoring(in->monitoring_interval.set ? in->monitoring_interval.v : d->monitoring_interval_s,
                         in->monitoring_role_arn ? in->monitoring_role_arn : d->monitoring_role_arn, err))
        return -1;
    if (rules_check_windows(in->backup_window ? in->backup_window : d->backup_window,
                            in->maintenance_window ? in->maintenance_window : d->maintenance_window, err))
        return -1;
    if (in->parameter_group &&
        engine__params_check_group(r, op->s, in->parameter_group, instances__major_of(r->a, d->engine_version),
                                   &c->new_param_group, err)) /* params */
        return -1;
    if (in->subnet_group && strcmp(in->subnet_group, d->subnet_group) != 0 &&
        strcmp(in->subnet_group, "default") != 0) {
        db_subnet_group *g;
        if (store_subnet_group_get(op->s, r->a, r->region, in->subnet_group, &g, err))
            return -1;
        if (!g)
            return rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", in->subnet_group);
    }
    return 0;
}

/* A new identifier and a new port must be free. */
static int check_rename_and_port(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    engine_req *r = op->r;
    const modify_instance_in *in = c->in;
    db_instance *d = c->d;
    engine *e = r->e;
    const char *new_id = c->new_id = in->new_id ? rds_lower(arena_strdup(r->a, in->new_id)) : NULL;
    if (new_id && strcmp(new_id, d->id) == 0)
        new_id = c->new_id = NULL;
    if (!new_id && c->now && d->pending_new_id)
        new_id = c->new_id = d->pending_new_id;   /* ApplyImmediately also applies a pending rename */
    if (new_id && instances__id_free(r, op->s, new_id, err))
        return -1;
    bool port_change = c->port_change = in->port.set && in->port.v != d->port;
    /* API-only mode (--no-engine): nothing listens, so the port is only recorded (on AWS
     * every instance has a host of its own); with engines it must be free here. */
    if (port_change && !e->cfg.no_engine) {
        bool used;
        if (store_port_used(op->s, in->port.v, &used, err))
            return -1;
        if (used || !sv_port_free((int)in->port.v))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Port %lld is already in use on this host; choose another DBPortNumber.",
                            (long long)in->port.v);
    }
    return 0;
}

/* secrets: the managed master password's combinations against the instance */
static int check_managed_password(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    return instances__mmp_check(op, c->in, c->d, err);
}

static int check(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    return check_state_and_version(op, err) || check_storage_change(op, err) || check_settings(op, err) ||
                   check_rename_and_port(op, err) || check_managed_password(op, err) ||
                   engine__replica_check_modify(op->r, op->s, c->d, c->in, err) /* read replicas */
               ? -1
               : 0;
}

/* What applies now, what waits for the maintenance window. AWS: ApplyImmediately applies
 * this request's changes and every modification already pending for the window; values
 * given in this request win. */
static int decide(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    arena *a = op->r->a;
    const modify_instance_in *in = c->in;
    db_instance *d = c->d;
    bool now = c->now;
    if (c->new_param_group && engine__params_switch_group(op->r, op->s, d, c->new_param_group, err)) /* params */
        return -1;
    if (now && instances__promote_pending(a, d, &c->class_change))
        c->restart = c->restart || c->class_change;
    if (in->instance_class && strcmp(in->instance_class, d->instance_class) != 0) {
        model_defer_str(d, DBI_P_pending_instance_class, now, in->instance_class);
        if (now) {
            d->max_connections = rules_default_max_connections(rules_instance_class_find("postgres", in->instance_class));
            c->restart = c->class_change = true;
        }
    }
    if (c->want_gib != d->allocated_storage_gib)
        model_defer_int(d, DBI_P_pending_allocated_storage_gib, now, c->want_gib);
    if (in->storage_type && strcmp(in->storage_type, d->storage_type) != 0)
        model_defer_str(d, DBI_P_pending_storage_type, now, in->storage_type);
    if (in->max_allocated_storage.set)
        d->max_allocated_storage_gib = in->max_allocated_storage.v;
    if (in->iops.set)
        d->iops = in->iops.v;
    if (in->storage_throughput.set)
        d->storage_throughput = in->storage_throughput.v;
    if (c->new_version)
        model_defer_str(d, DBI_P_pending_engine_version, now, c->new_version);
    if (in->multi_az.set && in->multi_az.v != d->multi_az) {
        model_defer_int(d, DBI_P_pending_multi_az, now, in->multi_az.v ? 1 : 0);
        if (now)
            d->secondary_availability_zone = d->multi_az ? instances__secondary_az(a, d) : NULL;
    }
    if (in->ca_certificate_id && strcmp(in->ca_certificate_id, d->ca_certificate_id) != 0)
        model_defer_str(d, DBI_P_pending_ca_certificate_id, now, in->ca_certificate_id);
    /* AWS: backup retention changes apply at once, except switching backups on or off
     * without ApplyImmediately, which waits for the maintenance window. */
    if (in->backup_retention.set && in->backup_retention.v != d->backup_retention_days) {
        bool toggles = (in->backup_retention.v == 0) != (d->backup_retention_days == 0);
        c->retention_toggle = toggles && now;
        /* not model_defer_int: a change that applies at once leaves a held toggle alone */
        if (toggles && !now)
            d->pending_backup_retention_days = in->backup_retention.v;
        else
            d->backup_retention_days = in->backup_retention.v;
    }
    if (in->backup_window)
        d->backup_window = in->backup_window;
    if (in->maintenance_window)
        d->maintenance_window = rds_lower(arena_strdup(a, in->maintenance_window));
    if (in->publicly_accessible.set)
        d->publicly_accessible = in->publicly_accessible.v;
    if (in->auto_minor_version_upgrade.set)
        d->auto_minor_version_upgrade = in->auto_minor_version_upgrade.v;
    if (in->deletion_protection.set)
        d->deletion_protection = in->deletion_protection.v;
    if (in->copy_tags_to_snapshot.set)
        d->copy_tags_to_snapshot = in->copy_tags_to_snapshot.v;
    if (in->iam_auth.set)
        d->iam_auth = in->iam_auth.v;
    if (in->performance_insights.set)
        d->performance_insights = in->performance_insights.v;
    if (in->monitoring_interval.set)
        d->monitoring_interval_s = in->monitoring_interval.v;
    if (in->monitoring_role_arn)
        d->monitoring_role_arn = in->monitoring_role_arn;
    if (d->monitoring_interval_s == 0)
        d->monitoring_role_arn = NULL;
    if (in->subnet_group)
        d->subnet_group = in->subnet_group;
    if (in->vpc_security_group_ids.n)
        d->vpc_security_group_ids = instances__join_sg(a, &in->vpc_security_group_ids);
    if (c->port_change) {
        d->port = in->port.v;  /* AWS: a port change restarts the server whatever ApplyImmediately says */
        c->restart = true;
    }
    /* AWS: without ApplyImmediately a rename waits for the maintenance window. */
    if (c->new_id && !now) {
        d->pending_new_id = c->new_id;
        c->new_id = NULL;
    }
    if (c->new_id) {
        d->pending_new_id = NULL;
        d->id = c->new_id;
    }
    /* TLS: a CA change applied now re-issues the server certificate; AWS restarts unless
     * CertificateRotationRestart is false (postgres reloads certificates on SIGHUP). */
    c->cert_change = strcmp(d->ca_certificate_id, c->before.ca_certificate_id) != 0;
    if (c->cert_change && !(in->certificate_rotation_restart.set && !in->certificate_rotation_restart.v))
        c->restart = true;
    c->shown = *d;
    if (c->class_change)
        c->shown.pending_instance_class = d->instance_class, c->shown.instance_class = c->before.instance_class;
    c->password = instances__mmp_password(a, in, &c->before);
    if (c->password)
        c->shown.pending_master_password = true;
    if (c->port_change)
        c->shown.pending_port = d->port, c->shown.port = c->before.port;
    (void)err;
    return 0;
}

/* The server: a new master password, a restart for a class or port change. */
static int act(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    engine *e = op->r->e;
    db_instance *d = c->d;
    if (e->cfg.no_engine || !e->sv || !model_status_runs(d->status))
        return 0;
    if (instances__mmp_stage(op, c->in, d, c->password, err))
        return -1;
    if (c->password && sv_instance_set_master_password(e->sv, d->resource_id, d->master_username, c->password, err)) {
        instances__mmp_unstage(op, c->in, d);
        return -1;
    }
    if (c->restart) {
        sv_instance_spec spec = engine__spec(op->r->a, d);
        if (sv_instance_restart(e->sv, &spec, err))
            return -1;
    } else if (c->cert_change) {
        sv_instance_spec spec = engine__spec(op->r->a, d);
        if (sv_instance_reconfigure(e->sv, &spec, err))
            return -1;
    }
    if (d->multi_az != c->before.multi_az && instances__multi_az_convert(e, op->r->a, d, err))
        return -1;
    return 0;
}

static int write(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    engine *e = op->r->e;
    store *s = op->s;
    db_instance *d = c->d;
    const char *transitional = c->password ? "resetting-master-credentials"
                               : c->new_id             ? "renaming"
                                                       : "modifying";
    engine__set_status(e, d, d->status, transitional);
    if (c->new_id && instances__rename_in_tx(e, s, op->r->a, d, c->before.id, err))
        return -1;
    if (engine__autobackup_modified(e, s, op->r->a, &c->before, d, err)) /* retention 0 <-> N */
        return -1;
    if (store_instance_put(s, d, err) || instances__mmp_write(op, c->in, d, c->password, err))
        return -1;
    if (c->password && engine__event(e, s, d, RULES_EV_RESET_CREDENTIALS, NULL, err))
        return -1;
    if (c->class_change && engine__event(e, s, d, RULES_EV_CLASS_CHANGED, NULL, err))
        return -1;
    /* A port change shows as the restart it causes; AWS documents no db-instance event
     * for a VPC security group change, so none is recorded. */
    if (c->retention_toggle &&
        engine__event(e, s, d,
                      d->backup_retention_days ? RULES_EV_BACKUP_RETENTION_CHANGED_ON
                                               : RULES_EV_BACKUP_RETENTION_CHANGED_OFF,
                      NULL, err))
        return -1;
    if (c->restart && engine__event(e, s, d, RULES_EV_RESTARTED, NULL, err))
        return -1;
    if (d->multi_az != c->before.multi_az && instances__multi_az_events(e, s, d, err))
        return -1;
    if (c->new_param_group && strcmp(c->new_param_group, c->before.parameter_group) != 0 && /* params */
        engine__event(e, s, d, RULES_EV_PARAMETER_GROUP_CHANGED, d->parameter_group, err))
        return -1;
    return 0;
}

static int after(engine_op *op, rds_error *err)
{
    modify_ctx *c = op->ctx;
    db_instance *sh = arena_alloc(op->r->a, sizeof *sh);
    *sh = c->shown;
    sh->master_secret_arn = c->d->master_secret_arn; /* secrets: written after decide */
    sh->master_secret_key_arn = c->d->master_secret_key_arn;
    if (engine__instance_view(op->r, op->s, sh, c->out, err))
        return -1;
    /* AWS's ModifyDBInstance response still shows the status the instance had (the CLI
     * reference examples show "available"); later Describes show the transitional one
     * while realistic timing keeps it. */
    c->out->status = engine__shown_status(&c->before, rds_now_ms());
    return 0;
}

int engine_modify_instance(engine_req *r, const modify_instance_in *in, instance_view *out, rds_error *err)
{
    assert(out);
    modify_ctx c = { .in = in, .out = out, .now = in->apply_immediately.set && in->apply_immediately.v };
    engine_op op = { .r = r, .kind = "db", .ctx = &c, .check_input = check_input, .load = load,
                     .check = check, .decide = decide, .act = act, .write = write, .after = after };
    if (engine__run(&op, err))
        return -1;
    if (in->port.set) /* read replicas: they stream from the source's new port */
        engine__replicas_follow(r->e, c.d->resource_id);
    return 0;
}
