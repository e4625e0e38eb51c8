/* ops_instances.c: the DB instance operations. Each one checks everything first (rules,
 * existence, state), writes in one transaction, then does the process work through the
 * supervisor, then records the outcome. A request that fails changes nothing: a create
 * whose server cannot start removes its row again.
 * Responses show AWS's transitional status (creating, modifying, ...) while the stored
 * status is already the settled one, so a waiter's first poll sees the final status;
 * with realistic timing the transitional status stays visible for a while. */
#include "engine_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ca_certificates[] = { "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1",
                                               "rds-ca-ecc384-g1", "rds-ca-2019", NULL };
#define DEFAULT_CA "rds-ca-rsa2048-g1"

static int not_found(rds_error *err, const char *id)
{
    return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
}

/* Accepts an identifier or an instance ARN of the request's region; lower-cases it. */
static const char *instance_id_arg(engine_req *r, const char *id)
{
    if (!id)
        return NULL;
    const char *prefix = arena_printf(r->a, "arn:aws:rds:%s:%s:db:", r->region, r->e->cfg.account_id);
    if (strncmp(id, prefix, strlen(prefix)) == 0)
        id += strlen(prefix);
    return rds_lower(arena_strdup(r->a, id));
}

/* Reads an instance that must exist (deleted rows kept for realistic timing don't count). */
static int load(engine_req *r, store *s, const char *id, db_instance **out, rds_error *err)
{
    if (store_instance_get(s, r->a, r->region, id, out, err))
        return -1;
    if (!*out || strcmp((*out)->status, "deleted") == 0)
        return not_found(err, id);
    return 0;
}

static const char *major_of(arena *a, const char *version)
{
    char *m = arena_strdup(a, version);
    char *dot = strchr(m, '.');
    if (dot)
        *dot = '\0';
    return m;
}

/* EngineVersion "15" or "15.x" picks the installed 15 (the version that actually runs);
 * a major that is not installed is refused, never swapped for another. */
static int resolve_version(engine_req *r, const char *want, const char **out, rds_error *err)
{
    const sv_engine_version *v;
    size_t n = r->e->sv ? sv_engine_versions(r->e->sv, &v) : 0;
    if (n == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot find version %s for postgres", want ? want : "(default)");
    if (!want || !*want) {
        *out = arena_strdup(r->a, v[n - 1].version);
        return 0;
    }
    /* "15.N" is taken to mean the installed 15 when N is a minor that exists up to the
     * installed one (15.18 serves 15.2 ... 15.18); a later or malformed minor is refused. */
    const char *major = major_of(r->a, want);
    const char *dot = strchr(want, '.');
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].major, major) != 0)
            continue;
        if (dot) {
            char *end;
            long minor = strtol(dot + 1, &end, 10);
            const char *have_dot = strchr(v[i].version, '.');
            long have = have_dot ? strtol(have_dot + 1, NULL, 10) : 0;
            if (end == dot + 1 || *end || minor < 0 || minor > have)
                break;
        }
        *out = arena_strdup(r->a, v[i].version);
        return 0;
    }
    return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION, "Cannot find version %s for postgres", want);
}

static bool is_sg_id(const char *s)
{
    if (strncmp(s, "sg-", 3) != 0)
        return false;
    size_t n = 0;
    for (const char *p = s + 3; *p; p++, n++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return n == 8 || n == 17;
}

static int check_ca(const char *ca, rds_error *err)
{
    for (int i = 0; ca_certificates[i]; i++)
        if (strcmp(ca, ca_certificates[i]) == 0)
            return 0;
    return rds_fail(err, RDS_E_CERTIFICATE_NOT_FOUND, "Certificate %s not found.", ca);
}

/* Tags given at create follow the same rules as AddTagsToResource (rules_tags). */
static int check_tags(arena *a, const tag_list *t, rds_error *err)
{
    const char **keys = arena_alloc(a, (t->n + 1) * sizeof *keys);
    const char **values = arena_alloc(a, (t->n + 1) * sizeof *values);
    for (size_t i = 0; i < t->n; i++) {
        keys[i] = t->v[i].key;
        values[i] = t->v[i].value;
    }
    return rules_tags(keys, values, t->n, err);
}

static char *join_sg(arena *a, const str_list *l)
{
    size_t len = 1;
    for (size_t i = 0; i < l->n; i++)
        len += strlen(l->v[i]) + 1;
    char *out = arena_alloc(a, len);
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, l->v[i]);
    }
    return out;
}

static int check_sgs(const str_list *l, rds_error *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (!is_sg_id(l->v[i]))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid security group , groupId= %s",
                            l->v[i]);
    return 0;
}

/* Chooses a port. An explicit port is honoured when free; without one the next free port of
 * the configured range is used (several local instances cannot all own 5432). Caller holds
 * port_mu until the row is inserted. */
static int choose_port(engine *e, store *s, const opt_int *want, int64_t *out, rds_error *err)
{
    if (want->set) {
        if (rules_port((int)want->v, err))
            return -1;
        bool used;
        if (store_port_used(s, want->v, &used, err))
            return -1;
        if (used || (!e->cfg.no_engine && !sv_port_free((int)want->v)))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Port %lld is already in use on this host; choose another Port or omit it.",
                            (long long)want->v);
        *out = want->v;
        return 0;
    }
    int64_t *used;
    size_t n_used, k = 0;
    arena *a = arena_new();
    int rc = store_ports_in_range(s, a, e->cfg.port_min, e->cfg.port_max, &used, &n_used, err);
    for (int p = e->cfg.port_min; rc == 0 && p <= e->cfg.port_max; p++) {
        while (k < n_used && used[k] < p)
            k++;
        if (k < n_used && used[k] == p)
            continue;
        if (e->cfg.no_engine || sv_port_free(p)) {
            *out = p;
            arena_free(a);
            return 0;
        }
    }
    arena_free(a);
    if (rc)
        return -1;
    return rds_fail(err, RDS_E_INSUFFICIENT_DB_INSTANCE_CAPACITY,
                    "No free port left in the configured range %d-%d.", e->cfg.port_min, e->cfg.port_max);
}

static int check_az(engine_req *r, const char *az, rds_error *err)
{
    size_t n = strlen(r->region);
    if (strncmp(az, r->region, n) != 0 || strlen(az) != n + 1 || az[n] < 'a' || az[n] > 'c')
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Cannot create a database instance because the requested availability zone %s is not valid.",
                        az);
    return 0;
}

/* Enhanced Monitoring: the interval is one of AWS's values, and an interval above 0 and a
 * role ARN go together (AWS's messages for both directions). */
static int check_monitoring(int64_t interval, const char *role_arn, rds_error *err)
{
    static const int ok[] = { 0, 1, 5, 10, 15, 30, 60 };
    bool good = false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        good |= interval == ok[i];
    if (!good)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid value for MonitoringInterval: valid values are 0, 1, 5, 10, 15, 30, 60.");
    if (interval > 0 && !role_arn)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.");
    if (interval == 0 && role_arn)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You must specify a MonitoringInterval value other than 0 when you specify a MonitoringRoleARN value.");
    return 0;
}

/* Storage as a whole: size/type/IOPS rules, plus throughput, which only gp3 from 400 GiB
 * takes (below that gp3 has a fixed baseline). iops/throughput are what the request gives
 * (0: not given). */
static int check_storage(const char *type, int64_t gib, int64_t iops, int64_t throughput, rds_error *err)
{
    if (rules_storage("postgres", type, (int)gib, (int)iops, err))
        return -1;
    if (throughput > 0 && (strcmp(type, "gp3") != 0 || gib < 400))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        strcmp(type, "gp3") == 0
                            ? "You can't specify IOPS or storage throughput for engine postgres and a storage size less than 400."
                            : "Storage throughput can only be specified with the gp3 storage type.");
    return 0;
}

/* Storage autoscaling: MaxAllocatedStorage must exceed AllocatedStorage by at least 10%. */
static int check_max_storage(int64_t max_gib, int64_t gib, rds_error *err)
{
    if (max_gib <= 0)
        return 0;
    if (max_gib <= gib)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION, "Max storage size must be greater than storage size");
    if (max_gib * 10 < gib * 11)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "The maximum allocated storage must be increased by at least 10 percent.");
    return 0;
}

/* The AZs a subnet group's subnets are in (the built-in VPC has one subnet per AZ). */
static size_t group_azs(const char *region, const db_subnet_group *g, char azs[DEFAULT_SUBNET_COUNT][32])
{
    char vpc[32];
    default_subnet all[DEFAULT_SUBNET_COUNT];
    model_default_vpc(region, vpc, all);
    size_t n = 0;
    for (int i = 0; i < DEFAULT_SUBNET_COUNT; i++)
        if (!g || (g->subnet_ids && strstr(g->subnet_ids, all[i].id)))
            snprintf(azs[n++], 32, "%s", all[i].az);
    return n;
}

int engine_create_instance(engine_req *r, const create_instance_in *in, instance_view *out, rds_error *err)
{
    engine *e = r->e;
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    /* ---- check ---- */
    if (rules_identifier("DBInstanceIdentifier", in->id, err))
        return -1;
    const char *id = rds_lower(arena_strdup(r->a, in->id));
    if (!in->engine || strcmp(in->engine, "postgres") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid DB engine: %s", in->engine ? in->engine : "");
    const char *version;
    if (resolve_version(r, in->engine_version, &version, err))
        return -1;
    const char *major = major_of(r->a, version);
    if (rules_check_instance_class("postgres", version, in->instance_class, err))
        return -1;
    const rules_instance_class *cls = rules_instance_class_find("postgres", in->instance_class);
    if (!in->master_username || !*in->master_username)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUsername must be provided and must not be blank.");
    if (rules_master_username("postgres", in->master_username, err))
        return -1;
    if (in->manage_master_password.set && in->manage_master_password.v) {
        if (in->master_password)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.");
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "ManageMasterUserPassword needs Secrets Manager, which rdslocal does not provide yet.");
    }
    if (!in->master_password || !*in->master_password)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUserPassword must be provided and must not be blank.");
    if (rules_master_password("postgres", in->master_password, err))
        return -1;
    if (in->db_name && rules_db_name("postgres", in->db_name, err))
        return -1;
    /* AWS (CreateDBInstance StorageType): io1 when Iops is given, else gp3. */
    const char *storage_type = in->storage_type ? in->storage_type : in->iops.set ? "io1" : "gp3";
    if (rules_storage_type(storage_type, err))
        return -1;
    int64_t storage = in->allocated_storage.set ? in->allocated_storage.v : 0;
    if (check_storage(storage_type, storage, in->iops.set ? in->iops.v : 0,
                      in->storage_throughput.set ? in->storage_throughput.v : 0, err) ||
        check_max_storage(in->max_allocated_storage.set ? in->max_allocated_storage.v : 0, storage, err))
        return -1;
    int64_t retention = in->backup_retention.set ? in->backup_retention.v : 1;
    if (rules_backup_retention((int)retention, err))
        return -1;
    if (rules_check_windows(in->backup_window, in->maintenance_window, err))
        return -1;
    bool multi_az = in->multi_az.set && in->multi_az.v;
    if (multi_az && in->availability_zone)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Requesting a specific availability zone is not valid for Multi-AZ instances.");
    if (in->availability_zone && check_az(r, in->availability_zone, err))
        return -1;
    const char *pg_family_group = arena_printf(r->a, "default.postgres%s", major);
    if (in->parameter_group && strcmp(in->parameter_group, pg_family_group) != 0)
        return rds_fail(err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s",
                        in->parameter_group);
    const char *option_group = arena_printf(r->a, "default:postgres-%s", major);
    if (in->option_group && strcmp(in->option_group, option_group) != 0)
        return rds_fail(err, RDS_E_OPTION_GROUP_NOT_FOUND_FAULT, "Specified OptionGroupName: %s not found.",
                        in->option_group);
    const char *ca = in->ca_certificate_id ? in->ca_certificate_id : DEFAULT_CA;
    if (check_ca(ca, err))
        return -1;
    if (in->license_model && strcmp(in->license_model, "postgresql-license") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid license model '%s' for engine postgres",
                        in->license_model);
    if (check_sgs(&in->vpc_security_group_ids, err) || check_tags(r->a, &in->tags, err))
        return -1;
    if (in->kms_key_id && !(in->storage_encrypted.set && in->storage_encrypted.v))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "KmsKeyId is only valid when StorageEncrypted is true.");
    if (check_monitoring(in->monitoring_interval.set ? in->monitoring_interval.v : 0, in->monitoring_role_arn, err))
        return -1;

    /* ---- decide ---- */
    db_instance *d = arena_alloc(r->a, sizeof *d);
    char rid[40] = "db-";
    rds_random_upper(rid + 3, 26);
    uint32_t seed = (uint32_t)strlen(id) * 2654435761u;
    for (const char *p = id; *p; p++)
        seed = seed * 31 + (unsigned char)*p;
    char bw[16], mw[32];
    if (in->backup_window)
        snprintf(bw, sizeof bw, "%s", in->backup_window);
    else
        rules_default_backup_window(bw, sizeof bw, r->region, seed);
    if (in->maintenance_window) {
        snprintf(mw, sizeof mw, "%s", in->maintenance_window);
        rds_lower(mw);
    } else {
        /* AWS picks a maintenance window that does not overlap the backup window. */
        for (uint32_t k = 0; k < 64; k++) {
            rules_default_maintenance_window(mw, sizeof mw, r->region, seed + k * 7919u);
            if (rules_check_windows(bw, mw, NULL) == 0)
                break;
        }
    }
    char sg[32];
    model_default_security_group(r->region, sg);
    d->region = r->region;
    d->id = id;
    d->resource_id = arena_strdup(r->a, rid);
    d->engine = "postgres";
    d->engine_version = version;
    d->instance_class = in->instance_class;
    d->master_username = in->master_username;
    d->db_name = in->db_name;
    d->endpoint_address = e->cfg.endpoint_address;
    d->allocated_storage_gib = storage;
    d->max_allocated_storage_gib = in->max_allocated_storage.set ? in->max_allocated_storage.v : 0;
    d->storage_type = storage_type;
    /* gp3's baseline for postgres: 3000 IOPS / 125 MiB/s below 400 GiB, 12000 / 500 from it. */
    bool gp3 = strcmp(storage_type, "gp3") == 0;
    d->iops = in->iops.set ? in->iops.v : gp3 ? (storage < 400 ? 3000 : 12000) : 0;
    d->storage_throughput = in->storage_throughput.set ? in->storage_throughput.v
                            : gp3 ? (storage < 400 ? 125 : 500) : 0;
    d->storage_encrypted = in->storage_encrypted.set && in->storage_encrypted.v;
    d->kms_key_id = d->storage_encrypted
                        ? (in->kms_key_id ? in->kms_key_id : engine__default_kms_key(e, r->a, r->region))
                        : NULL;
    d->multi_az = multi_az;
    d->subnet_group = in->subnet_group ? rds_lower(arena_strdup(r->a, in->subnet_group)) : "default";
    d->vpc_security_group_ids = in->vpc_security_group_ids.n ? join_sg(r->a, &in->vpc_security_group_ids)
                                                             : arena_strdup(r->a, sg);
    d->parameter_group = pg_family_group;
    d->option_group = option_group;
    d->backup_retention_days = retention;
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
    d->ca_certificate_id = ca;
    d->license_model = "postgresql-license";
    d->network_type = in->network_type ? in->network_type : "IPV4";
    d->max_connections = rules_default_max_connections(cls);
    d->created_at_ms = rds_now_ms();
    d->latest_restorable_ms = d->created_at_ms;
    d->pending_backup_retention_days = -1;
    d->pending_multi_az = -1;
    d->status = "creating";

    /* ---- write: the row (status creating) claims the identifier and the port ---- */
    pthread_mutex_t *mu = engine__instance_lock(e, r->region, id);
    pthread_mutex_lock(mu);
    int rc = -1;
    db_instance *existing;
    if (store_instance_get(s, r->a, r->region, id, &existing, err))
        goto unlock;
    if (existing) {
        rds_fail(err, RDS_E_DB_INSTANCE_ALREADY_EXISTS, "DB instance already exists");
        goto unlock;
    }
    {
        db_subnet_group *g = NULL;
        if (strcmp(d->subnet_group, "default") != 0) {
            if (store_subnet_group_get(s, r->a, r->region, d->subnet_group, &g, err))
                goto unlock;
            if (!g) {
                rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", d->subnet_group);
                goto unlock;
            }
        }
        /* The instance (and a Multi-AZ standby) goes in AZs its subnet group covers. The
         * error code for an AZ outside the group is not on record; the message is AWS's. */
        char azs[DEFAULT_SUBNET_COUNT][32];
        size_t naz = group_azs(r->region, g, azs), pick = seed % (naz ? naz : 1);
        if (in->availability_zone) {
            size_t k = 0;
            while (k < naz && strcmp(azs[k], in->availability_zone) != 0)
                k++;
            if (k == naz) {
                rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                         "Cannot create a database instance because there is not a subnet in %s, the targeted "
                         "availability zone.", in->availability_zone);
                goto unlock;
            }
            pick = k;
        }
        d->availability_zone = arena_strdup(r->a, azs[pick]);
        d->secondary_availability_zone = multi_az && naz > 1 ? arena_strdup(r->a, azs[(pick + 1) % naz]) : NULL;
    }
    pthread_mutex_lock(&e->port_mu);
    if (choose_port(e, s, &in->port, &d->port, err)) {
        pthread_mutex_unlock(&e->port_mu);
        goto unlock;
    }
    if (store_begin(s, err)) {
        pthread_mutex_unlock(&e->port_mu);
        goto unlock;
    }
    const char *arn = engine__arn(e, r->a, r->region, "db", id);
    bool ok = store_instance_put(s, d, err) == 0;
    for (size_t i = 0; ok && i < in->tags.n; i++)
        ok = store_tag_set(s, arn, in->tags.v[i].key, in->tags.v[i].value, err) == 0;
    if (!ok || store_commit(s, err)) {
        store_rollback(s);
        pthread_mutex_unlock(&e->port_mu);
        goto unlock;
    }
    pthread_mutex_unlock(&e->port_mu);

    /* ---- process work: a real server that accepts the master credentials ---- */
    if (!e->cfg.no_engine) {
        sv_instance_spec spec = engine__spec(d);
        spec.master_username = in->master_username;
        spec.master_password = in->master_password;
        spec.db_name = in->db_name;
        if (!e->sv || sv_instance_create(e->sv, &spec, err)) {
            rds_error ignored;
            if (store_begin(s, &ignored) == 0) {
                if (store_instance_delete(s, r->region, id, &ignored) ||
                    store_tags_delete_all(s, arn, &ignored) || store_commit(s, &ignored))
                    store_rollback(s);
            }
            log_at(LOG_ERROR, "engine", "could not create instance \"%s\": %s (%s)", id, err->message,
                   err->detail);
            if (!err->code)
                rds_fail(err, RDS_E_INTERNAL_FAILURE, "The DB instance could not be created.");
            goto unlock;
        }
    }
    engine__set_status(e, d, "available", "creating");
    if (store_begin(s, err))
        goto unlock;
    if (store_instance_put(s, d, err) || engine__event(e, s, d, RULES_EV_CREATED, NULL, err) ||
        store_commit(s, err)) {
        store_rollback(s);
        goto unlock;
    }
    if (engine__instance_view(r, s, d, out, err))
        goto unlock;
    /* AWS's create response lists the master password as pending ("****"). */
    db_instance *shown = arena_alloc(r->a, sizeof *shown);
    *shown = *d;
    shown->pending_master_password = true;
    out->inst = shown;
    out->status = "creating";
    rc = 0;
unlock:
    pthread_mutex_unlock(mu);
    return rc;
}

int engine_describe_instances(engine_req *r, const describe_instances_in *in, instance_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    store_filter f[4];
    size_t nf = 0;
    const char *one_id = instance_id_arg(r, in->id);
    if (in->f_instance_ids.n) {
        const char **ids = arena_alloc(r->a, in->f_instance_ids.n * sizeof *ids);
        for (size_t i = 0; i < in->f_instance_ids.n; i++)
            ids[i] = instance_id_arg(r, in->f_instance_ids.v[i]);
        f[nf++] = (store_filter){ "id", ids, in->f_instance_ids.n };
    }
    if (in->f_resource_ids.n)
        f[nf++] = (store_filter){ "resource_id", in->f_resource_ids.v, in->f_resource_ids.n };
    if (in->f_engines.n)
        f[nf++] = (store_filter){ "engine", in->f_engines.v, in->f_engines.n };
    static const char *const none[] = { "" };
    if (in->f_cluster_ids.n || in->f_domains.n)   /* no clusters or domains here: nothing matches */
        f[nf++] = (store_filter){ "id", none, 1 };
    const char *only[1] = { one_id };
    if (one_id)
        f[nf++] = (store_filter){ "id", only, 1 };
    int limit = in->max_records ? in->max_records : 100;
    db_instance **rows;
    size_t n;
    if (store_instance_list(s, r->a, r->region, f, nf, in->marker, limit + 1, &rows, &n, err))
        return -1;
    /* Drop rows deleted under realistic timing whose "deleting" display has ended. */
    int64_t now = rds_now_ms();
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i]->shown_until_ms > now && rows[i]->shown_until_ms < r->valid_until_ms)
            r->valid_until_ms = rows[i]->shown_until_ms;
        if (strcmp(rows[i]->status, "deleted") == 0 && now >= rows[i]->shown_until_ms)
            continue;
        rows[kept++] = rows[i];
    }
    n = kept;
    if (one_id && n == 0)
        return not_found(err, one_id);
    *next_marker = NULL;
    if (n > (size_t)limit) {
        n = (size_t)limit;
        *next_marker = rows[n - 1]->id;
    }
    instance_view *v = arena_alloc(r->a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        if (engine__instance_view_ex(r, s, rows[i], false, &v[i], err))
            return -1;
    /* All tags of the region's instances in one query, matched to the page by ARN. */
    const char **arns;
    rds_tag *tags;
    size_t nt;
    if (n && store_tags_by_prefix(s, r->a, engine__arn(r->e, r->a, r->region, "db", ""), &arns, &tags,
                                  &nt, err))
        return -1;
    for (size_t i = 0, t = 0; i < n && nt; i++) {
        while (t < nt && strcmp(arns[t], v[i].arn) < 0)
            t++;
        size_t first = t;
        while (t < nt && strcmp(arns[t], v[i].arn) == 0)
            t++;
        v[i].tags = tags + first;
        v[i].n_tags = t - first;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* The standby's AZ of a Multi-AZ instance: another AZ of the region. */
static const char *secondary_az(arena *a, const db_instance *d)
{
    size_t n = strlen(d->availability_zone);
    return arena_printf(a, "%s%c", d->region, n && d->availability_zone[n - 1] == 'a' ? 'b' : 'a');
}

/* Renames an instance inside the caller's transaction: the row moves to the new key and
 * its tags to the new ARN (d already carries the new id). */
static int rename_in_tx(engine *e, store *s, arena *a, const db_instance *d, const char *old_id, rds_error *err)
{
    const char *old_arn = engine__arn(e, a, d->region, "db", old_id);
    const char *new_arn = engine__arn(e, a, d->region, "db", d->id);
    rds_tag *tags;
    size_t nt;
    if (store_instance_delete(s, d->region, old_id, err) || store_tags_get(s, a, old_arn, &tags, &nt, err))
        return -1;
    for (size_t i = 0; i < nt; i++)
        if (store_tag_set(s, new_arn, tags[i].key, tags[i].value, err))
            return -1;
    return store_tags_delete_all(s, old_arn, err);
}

/* Moves every pending modification into effect (maintenance window reached, or
 * ApplyImmediately). *class_changed says whether the server must restart with a new
 * max_connections. Returns whether anything was pending. */
static bool promote_pending(arena *a, db_instance *d, bool *class_changed)
{
    bool any = false;
    *class_changed = false;
    if (d->pending_instance_class) {
        if (strcmp(d->pending_instance_class, d->instance_class) != 0) {
            d->instance_class = d->pending_instance_class;
            d->max_connections =
                rules_default_max_connections(rules_instance_class_find("postgres", d->instance_class));
            *class_changed = true;
        }
        d->pending_instance_class = NULL;
        any = true;
    }
    if (d->pending_allocated_storage_gib) {
        d->allocated_storage_gib = d->pending_allocated_storage_gib;
        d->pending_allocated_storage_gib = 0;
        any = true;
    }
    if (d->pending_storage_type) {
        d->storage_type = d->pending_storage_type;
        d->pending_storage_type = NULL;
        any = true;
    }
    if (d->pending_engine_version) {
        d->engine_version = d->pending_engine_version;
        d->pending_engine_version = NULL;
        any = true;
    }
    if (d->pending_multi_az >= 0) {
        d->multi_az = d->pending_multi_az == 1;
        d->secondary_availability_zone = d->multi_az ? secondary_az(a, d) : NULL;
        d->pending_multi_az = -1;
        any = true;
    }
    if (d->pending_ca_certificate_id) {
        d->ca_certificate_id = d->pending_ca_certificate_id;
        d->pending_ca_certificate_id = NULL;
        any = true;
    }
    if (d->pending_backup_retention_days >= 0) {
        d->backup_retention_days = d->pending_backup_retention_days;
        d->pending_backup_retention_days = -1;
        any = true;
    }
    return any;
}

/* Applies what was held for the maintenance window (worker thread, instance lock held). */
int engine__apply_pending(engine *e, store *s, arena *a, db_instance *d, rds_error *err)
{
    bool restart;
    const char *old_id = d->id;
    int64_t old_storage = d->allocated_storage_gib;
    bool renamed = false, dropped = false;
    if (d->pending_new_id) {
        db_instance *clash;
        if (store_instance_get(s, a, d->region, d->pending_new_id, &clash, err))
            return -1;
        if (clash) {
            dropped = true;   /* the name was taken meanwhile: the rename is dropped */
        } else {
            d->id = d->pending_new_id;
            renamed = true;
        }
        d->pending_new_id = NULL;
    }
    if (!promote_pending(a, d, &restart) && !renamed && !dropped)
        return 0;
    if (restart && !e->cfg.no_engine && e->sv) {
        sv_instance_spec spec = engine__spec(d);
        if (sv_instance_restart(e->sv, &spec, err))
            return -1;
    }
    if (store_begin(s, err))
        return -1;
    if ((renamed && rename_in_tx(e, s, a, d, old_id, err)) || store_instance_put(s, d, err) ||
        (restart && engine__event(e, s, d, RULES_EV_CLASS_CHANGED, NULL, err)) ||
        (d->allocated_storage_gib != old_storage && engine__event(e, s, d, RULES_EV_STORAGE_CHANGED, NULL, err)) ||
        store_commit(s, err)) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

int engine_modify_instance(engine_req *r, const modify_instance_in *in, instance_view *out, rds_error *err)
{
    engine *e = r->e;
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    const char *id = instance_id_arg(r, in->id);
    bool now_ = in->apply_immediately.set && in->apply_immediately.v;
    /* ---- check (inputs) ---- */
    bool any = in->new_id || in->instance_class || in->master_password || in->backup_window ||
               in->maintenance_window || in->engine_version || in->storage_type ||
               in->ca_certificate_id || in->parameter_group || in->subnet_group ||
               in->allocated_storage.set || in->max_allocated_storage.set || in->port.set ||
               in->backup_retention.set || in->iops.set || in->storage_throughput.set ||
               in->monitoring_interval.set || in->multi_az.set || in->publicly_accessible.set ||
               in->auto_minor_version_upgrade.set || in->deletion_protection.set ||
               in->copy_tags_to_snapshot.set || in->iam_auth.set || in->performance_insights.set ||
               in->vpc_security_group_ids.n;
    if (!any)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION, "No modifications were requested");
    if (in->new_id && rules_identifier("NewDBInstanceIdentifier", in->new_id, err))
        return -1;
    if (in->master_password && rules_master_password("postgres", in->master_password, err))
        return -1;
    if (in->backup_retention.set && rules_backup_retention((int)in->backup_retention.v, err))
        return -1;
    if (in->port.set && rules_port((int)in->port.v, err))
        return -1;
    if (in->storage_type && rules_storage_type(in->storage_type, err))
        return -1;
    if (in->ca_certificate_id && check_ca(in->ca_certificate_id, err))
        return -1;
    if (check_sgs(&in->vpc_security_group_ids, err))
        return -1;

    pthread_mutex_t *mu = engine__instance_lock(e, r->region, id);
    pthread_mutex_lock(mu);
    int rc = -1;
    db_instance *d;
    if (load(r, s, id, &d, err))
        goto unlock;
    /* ---- check (against the instance) ---- */
    if (rules_can_modify(d->id, d->status, err))
        goto unlock;
    if (in->instance_class && rules_check_instance_class("postgres", d->engine_version, in->instance_class, err))
        goto unlock;
    const char *new_version = NULL;
    if (in->engine_version) {
        if (resolve_version(r, in->engine_version, &new_version, err))
            goto unlock;
        if (strcmp(major_of(r->a, new_version), major_of(r->a, d->engine_version)) != 0 &&
            !(in->allow_major_version_upgrade.set && in->allow_major_version_upgrade.v)) {
            rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                     "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.");
            goto unlock;
        }
        if (strcmp(new_version, d->engine_version) == 0)
            new_version = NULL;
    }
    const char *storage_type = in->storage_type ? in->storage_type : d->storage_type;
    int64_t want_gib = in->allocated_storage.set ? in->allocated_storage.v : d->allocated_storage_gib;
    if (in->allocated_storage.set) {
        if (want_gib < d->allocated_storage_gib) {
            rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                     "Invalid storage size for engine name postgres and storage type %s: %lld",
                     storage_type, (long long)want_gib);
            goto unlock;
        }
        /* AWS (ModifyDBInstance AllocatedStorage): an increase of less than 10% is rounded
         * up to 10%. */
        if (want_gib > d->allocated_storage_gib && want_gib * 10 < d->allocated_storage_gib * 11)
            want_gib = (d->allocated_storage_gib * 11 + 9) / 10;
    }
    if (in->allocated_storage.set || in->iops.set || in->storage_type || in->storage_throughput.set) {
        /* io1/io2 keep their provisioned IOPS; gp3's shown IOPS are its baseline, not a request */
        bool provisioned = strncmp(d->storage_type, "io", 2) == 0 && strcmp(storage_type, d->storage_type) == 0;
        if (check_storage(storage_type, want_gib, in->iops.set ? in->iops.v : provisioned ? d->iops : 0,
                          in->storage_throughput.set ? in->storage_throughput.v : 0, err))
            goto unlock;
    }
    if ((in->max_allocated_storage.set || in->allocated_storage.set) &&
        check_max_storage(in->max_allocated_storage.set ? in->max_allocated_storage.v : d->max_allocated_storage_gib,
                          want_gib, err))
        goto unlock;
    if ((in->monitoring_interval.set || in->monitoring_role_arn) &&
        check_monitoring(in->monitoring_interval.set ? in->monitoring_interval.v : d->monitoring_interval_s,
                         in->monitoring_role_arn ? in->monitoring_role_arn : d->monitoring_role_arn, err))
        goto unlock;
    if (rules_check_windows(in->backup_window ? in->backup_window : d->backup_window,
                            in->maintenance_window ? in->maintenance_window : d->maintenance_window, err))
        goto unlock;
    if (in->parameter_group && strcmp(in->parameter_group, d->parameter_group) != 0) {
        rds_fail(err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s", in->parameter_group);
        goto unlock;
    }
    if (in->subnet_group && strcmp(in->subnet_group, d->subnet_group) != 0 &&
        strcmp(in->subnet_group, "default") != 0) {
        db_subnet_group *g;
        if (store_subnet_group_get(s, r->a, r->region, in->subnet_group, &g, err))
            goto unlock;
        if (!g) {
            rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", in->subnet_group);
            goto unlock;
        }
    }
    const char *new_id = in->new_id ? rds_lower(arena_strdup(r->a, in->new_id)) : NULL;
    if (new_id && strcmp(new_id, d->id) == 0)
        new_id = NULL;
    if (!new_id && now_ && d->pending_new_id)
        new_id = d->pending_new_id;   /* ApplyImmediately also applies a pending rename */
    if (new_id) {
        db_instance *clash;
        if (store_instance_get(s, r->a, r->region, new_id, &clash, err))
            goto unlock;
        if (clash) {
            rds_fail(err, RDS_E_DB_INSTANCE_ALREADY_EXISTS, "DB instance already exists");
            goto unlock;
        }
    }
    bool port_change = in->port.set && in->port.v != d->port;
    if (port_change) {
        bool used;
        if (store_port_used(s, in->port.v, &used, err))
            goto unlock;
        if (used || (!e->cfg.no_engine && !sv_port_free((int)in->port.v))) {
            rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                     "Port %lld is already in use on this host; choose another DBPortNumber.",
                     (long long)in->port.v);
            goto unlock;
        }
    }

    /* ---- decide: what applies now, what waits for the maintenance window ---- */
    db_instance before = *d;
    db_instance shown;      /* the response: AWS lists what is being applied as pending */
    bool restart = false, class_change = false;
    /* AWS: ApplyImmediately applies this request's changes and every modification already
     * pending for the maintenance window; values given in this request win. */
    if (now_ && promote_pending(r->a, d, &class_change))
        restart = restart || class_change;
    if (in->instance_class && strcmp(in->instance_class, d->instance_class) != 0) {
        if (now_) {
            d->instance_class = in->instance_class;
            d->max_connections = rules_default_max_connections(rules_instance_class_find("postgres", in->instance_class));
            d->pending_instance_class = NULL;
            restart = class_change = true;
        } else {
            d->pending_instance_class = in->instance_class;
        }
    }
    if (want_gib != d->allocated_storage_gib) {
        if (now_)
            d->allocated_storage_gib = want_gib;
        else
            d->pending_allocated_storage_gib = want_gib;
    }
    if (in->storage_type && strcmp(in->storage_type, d->storage_type) != 0) {
        if (now_)
            d->storage_type = in->storage_type;
        else
            d->pending_storage_type = in->storage_type;
    }
    if (in->max_allocated_storage.set)
        d->max_allocated_storage_gib = in->max_allocated_storage.v;
    if (in->iops.set)
        d->iops = in->iops.v;
    if (in->storage_throughput.set)
        d->storage_throughput = in->storage_throughput.v;
    if (new_version) {
        if (now_)
            d->engine_version = new_version;
        else
            d->pending_engine_version = new_version;
    }
    if (in->multi_az.set && in->multi_az.v != d->multi_az) {
        if (now_) {
            d->multi_az = in->multi_az.v;
            d->secondary_availability_zone = d->multi_az ? secondary_az(r->a, d) : NULL;
        } else {
            d->pending_multi_az = in->multi_az.v ? 1 : 0;
        }
    }
    if (in->ca_certificate_id && strcmp(in->ca_certificate_id, d->ca_certificate_id) != 0) {
        if (now_)
            d->ca_certificate_id = in->ca_certificate_id;
        else
            d->pending_ca_certificate_id = in->ca_certificate_id;
    }
    /* AWS: backup retention changes apply at once, except switching backups on or off
     * without ApplyImmediately, which waits for the maintenance window. */
    bool retention_toggle = false;
    if (in->backup_retention.set && in->backup_retention.v != d->backup_retention_days) {
        bool toggles = (in->backup_retention.v == 0) != (d->backup_retention_days == 0);
        if (toggles && !now_) {
            d->pending_backup_retention_days = in->backup_retention.v;
        } else {
            retention_toggle = toggles;
            d->backup_retention_days = in->backup_retention.v;
        }
    }
    if (in->backup_window)
        d->backup_window = in->backup_window;
    if (in->maintenance_window)
        d->maintenance_window = rds_lower(arena_strdup(r->a, in->maintenance_window));
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
    if (in->vpc_security_group_ids.n) {
        d->vpc_security_group_ids = join_sg(r->a, &in->vpc_security_group_ids);
    }
    if (port_change) {
        d->port = in->port.v;  /* AWS: a port change restarts the server whatever ApplyImmediately says */
        restart = true;
    }
    /* AWS: without ApplyImmediately a rename waits for the maintenance window. */
    if (new_id && !now_) {
        d->pending_new_id = new_id;
        new_id = NULL;
    }
    if (new_id) {
        d->pending_new_id = NULL;
        d->id = new_id;
    }
    shown = *d;
    if (class_change)
        shown.pending_instance_class = d->instance_class, shown.instance_class = before.instance_class;
    if (in->master_password)
        shown.pending_master_password = true;
    if (port_change)
        shown.pending_port = d->port, shown.port = before.port;

    /* ---- process work ---- */
    if (!e->cfg.no_engine && e->sv && model_status_runs(d->status)) {
        if (in->master_password &&
            sv_instance_set_master_password(e->sv, d->resource_id, d->master_username, in->master_password, err))
            goto unlock;
        if (restart) {
            sv_instance_spec spec = engine__spec(d);
            if (sv_instance_restart(e->sv, &spec, err))
                goto unlock;
        }
    }

    /* ---- write ---- */
    const char *transitional = in->master_password ? "resetting-master-credentials"
                               : new_id            ? "renaming"
                                                   : "modifying";
    engine__set_status(e, d, d->status, transitional);
    if (store_begin(s, err))
        goto unlock;
    bool ok = true;
    if (new_id)
        ok = rename_in_tx(e, s, r->a, d, before.id, err) == 0;
    ok = ok && store_instance_put(s, d, err) == 0;
    if (ok && in->master_password)
        ok = engine__event(e, s, d, RULES_EV_RESET_CREDENTIALS, NULL, err) == 0;
    if (ok && class_change)
        ok = engine__event(e, s, d, RULES_EV_CLASS_CHANGED, NULL, err) == 0;
    /* A port change shows as the restart it causes; AWS documents no db-instance event
     * for a VPC security group change, so none is recorded. */
    if (ok && retention_toggle)
        ok = engine__event(e, s, d,
                           d->backup_retention_days ? RULES_EV_BACKUP_RETENTION_CHANGED_ON
                                                    : RULES_EV_BACKUP_RETENTION_CHANGED_OFF,
                           NULL, err) == 0;
    if (ok && restart)
        ok = engine__event(e, s, d, RULES_EV_RESTARTED, NULL, err) == 0;
    if (!ok || store_commit(s, err)) {
        store_rollback(s);
        goto unlock;
    }
    {
        db_instance *sh = arena_alloc(r->a, sizeof *sh);
        *sh = shown;
        if (engine__instance_view(r, s, sh, out, err))
            goto unlock;
        /* AWS's ModifyDBInstance response still shows the status the instance had (the
         * CLI reference examples show "available"); later Describes show the transitional
         * one while realistic timing keeps it. */
        out->status = engine__shown_status(&before, rds_now_ms());
    }
    rc = 0;
unlock:
    pthread_mutex_unlock(mu);
    return rc;
}

int engine_delete_instance(engine_req *r, const delete_instance_in *in, instance_view *out, rds_error *err)
{
    engine *e = r->e;
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    const char *id = instance_id_arg(r, in->id);
    bool skip = in->skip_final_snapshot.set && in->skip_final_snapshot.v;
    pthread_mutex_t *mu = engine__instance_lock(e, r->region, id);
    pthread_mutex_lock(mu);
    int rc = -1;
    db_instance *d;
    if (load(r, s, id, &d, err))
        goto unlock;
    if (rules_can_delete(d->id, d->status, err))
        goto unlock;
    if (d->deletion_protection) {
        rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                 "Cannot delete protected DB Instance, please disable deletion protection and try again.");
        goto unlock;
    }
    if (!skip && !in->final_snapshot_id) {
        rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                 "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
        goto unlock;
    }
    if (skip && in->final_snapshot_id) {
        rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                 "Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.");
        goto unlock;
    }
    if (in->final_snapshot_id) {
        if (rules_identifier("FinalDBSnapshotIdentifier", in->final_snapshot_id, err))
            goto unlock;
        /* DB snapshots are not implemented yet (README coverage): refuse rather than
         * pretend a final snapshot was taken. */
        rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                 "rdslocal does not implement DB snapshots yet; delete with SkipFinalSnapshot.");
        goto unlock;
    }
    if (!e->cfg.no_engine && e->sv && sv_instance_delete(e->sv, d->resource_id, err))
        goto unlock;
    if (store_begin(s, err))
        goto unlock;
    bool ok;
    if (e->cfg.realistic_timing_ms > 0) {
        engine__set_status(e, d, "deleted", "deleting");
        ok = store_instance_put(s, d, err) == 0;
    } else {
        ok = store_instance_delete(s, r->region, d->id, err) == 0;
    }
    const char *arn = engine__arn(e, r->a, r->region, "db", d->id);
    if (out && ok)
        ok = engine__instance_view(r, s, d, out, err) == 0;
    ok = ok && store_tags_delete_all(s, arn, err) == 0 &&
         engine__event(e, s, d, RULES_EV_DELETED, NULL, err) == 0;
    if (!ok || store_commit(s, err)) {
        store_rollback(s);
        goto unlock;
    }
    out->status = "deleting";
    rc = 0;
unlock:
    pthread_mutex_unlock(mu);
    return rc;
}

/* Stop, start and reboot share one shape: check the state rule, act on the process,
 * record the settled status and the event. */
typedef enum { LC_STOP, LC_START, LC_REBOOT } lifecycle_op;

static int lifecycle(engine_req *r, const char *raw_id, lifecycle_op op, instance_view *out, rds_error *err)
{
    engine *e = r->e;
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    const char *id = instance_id_arg(r, raw_id);
    pthread_mutex_t *mu = engine__instance_lock(e, r->region, id);
    pthread_mutex_lock(mu);
    int rc = -1;
    db_instance *d;
    if (load(r, s, id, &d, err))
        goto unlock;
    const char *shown_now = engine__shown_status(d, rds_now_ms());
    int chk = op == LC_STOP    ? rules_can_stop(d->id, shown_now, false, err)
              : op == LC_START ? rules_can_start(d->id, shown_now, err)
                               : rules_can_reboot(d->id, shown_now, err);
    if (chk)
        goto unlock;
    if (!e->cfg.no_engine && e->sv) {
        sv_instance_spec spec = engine__spec(d);
        int w = op == LC_STOP    ? sv_instance_stop(e->sv, d->resource_id, err)
                : op == LC_START ? sv_instance_start(e->sv, &spec, err)
                                 : sv_instance_restart(e->sv, &spec, err);
        if (w)
            goto unlock;
    }
    const char *transitional = op == LC_STOP ? "stopping" : op == LC_START ? "starting" : "rebooting";
    engine__set_status(e, d, op == LC_STOP ? "stopped" : "available", transitional);
    d->stopped_at_ms = op == LC_STOP ? rds_now_ms() : 0;
    rules_event_id ev = op == LC_STOP ? RULES_EV_STOPPED : op == LC_START ? RULES_EV_STARTED : RULES_EV_RESTARTED;
    if (store_begin(s, err))
        goto unlock;
    if (store_instance_put(s, d, err) || engine__event(e, s, d, ev, NULL, err) || store_commit(s, err)) {
        store_rollback(s);
        goto unlock;
    }
    if (engine__instance_view(r, s, d, out, err))
        goto unlock;
    out->status = transitional;
    rc = 0;
unlock:
    pthread_mutex_unlock(mu);
    return rc;
}

int engine_stop_instance(engine_req *r, const char *id, const char *snapshot_id, instance_view *out, rds_error *err)
{
    if (snapshot_id) {
        if (rules_identifier("DBSnapshotIdentifier", snapshot_id, err))
            return -1;
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "rdslocal does not implement DB snapshots yet; stop without DBSnapshotIdentifier.");
    }
    return lifecycle(r, id, LC_STOP, out, err);
}

int engine_start_instance(engine_req *r, const char *id, instance_view *out, rds_error *err)
{
    return lifecycle(r, id, LC_START, out, err);
}

int engine_reboot_instance(engine_req *r, const char *id, opt_bool force_failover, instance_view *out, rds_error *err)
{
    if (force_failover.set && force_failover.v) {
        store *s = engine__store(r->e, err);
        db_instance *d;
        if (!s || load(r, s, instance_id_arg(r, id), &d, err))
            return -1;
        if (!d->multi_az)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                            "Cannot reboot with failover a DB instance that is not Multi-AZ.");
    }
    return lifecycle(r, id, LC_REBOOT, out, err);
}
