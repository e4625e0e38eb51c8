/* checks.c: the DB instance input checks that create and modify share (versions, CA,
 * security groups, AZ, monitoring, storage, tags) and the choice of a free port. Pure
 * functions of their inputs, except resolve_version (the installed majors) and
 * choose_port (the store and the host's ports). */
#include "instances/instances.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The CAs the supervisor keeps (sv_tls.c). rds-ca-2019 expired in August 2024 and is no
 * longer offered. */
static const char *const ca_certificates[] = { "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1",
                                               "rds-ca-ecc384-g1", NULL };

const char *instances__major_of(arena *a, const char *version)
{
    char *m = arena_strdup(a, version);
    char *dot = strchr(m, '.');
    if (dot)
        *dot = '\0';
    return m;
}

/* EngineVersion "15" or "15.x" picks the installed 15 (the version that actually runs);
 * a major that is not installed is refused, never swapped for another. */
int instances__resolve_version(engine_req *r, const char *want, const char **out, rds_error *err)
{
    const sv_engine_version *v;
    size_t n = r->e->sv ? sv_engine_versions(r->e->sv, &v) : 0;
    if (n == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot find version %s for postgres", want ? want : "(default)");
    if (!want || !*want) { /* AWS: an empty EngineVersion means the default (Terraform sends one) */
        *out = arena_strdup(r->a, v[n - 1].version);
        return 0;
    }
    /* "15.N" is taken to mean the installed 15 when N is a minor that exists up to the
     * installed one (15.18 serves 15.2 ... 15.18); a later or malformed minor is refused. */
    const char *major = instances__major_of(r->a, want);
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

int instances__check_ca(const char *ca, rds_error *err)
{
    for (int i = 0; ca_certificates[i]; i++)
        if (strcmp(ca, ca_certificates[i]) == 0)
            return 0;
    return rds_fail(err, RDS_E_CERTIFICATE_NOT_FOUND, "Certificate %s not found.", ca);
}

/* Tags given at create follow the same rules as AddTagsToResource (rules_tags). */
int instances__check_tags(arena *a, const tag_list *t, rds_error *err)
{
    const char **keys = arena_alloc(a, (t->n + 1) * sizeof *keys);
    const char **values = arena_alloc(a, (t->n + 1) * sizeof *values);
    for (size_t i = 0; i < t->n; i++) {
        keys[i] = t->v[i].key;
        values[i] = t->v[i].value;
    }
    return rules_tags(keys, values, t->n, err);
}

char *instances__join_sg(arena *a, const str_list *l)
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

int instances__check_sgs(const str_list *l, rds_error *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (!is_sg_id(l->v[i]))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid security group , groupId= %s",
                            l->v[i]);
    return 0;
}

/* Chooses a port. In API-only mode (--no-engine) nothing listens, so nothing is allocated:
 * the instance reports the requested port, or the engine's default, as on AWS where every
 * instance has a host of its own. With engines, an explicit port is honoured when free;
 * without one the lowest free port of the configured range is used (several local
 * instances cannot all own 5432). Each probe is one index seek, so the cost grows with the
 * ports taken before the first gap, not with the number of instances. Caller holds
 * port_mu until the row is inserted. */
int instances__choose_port(engine *e, store *s, const opt_int *want, int64_t *out, rds_error *err)
{
    if (want->set && rules_port((int)want->v, err))
        return -1;
    if (e->cfg.no_engine) {
        *out = want->set ? want->v : RULES_DEFAULT_PORT_POSTGRES;
        return 0;
    }
    if (want->set) {
        bool used;
        if (store_port_used(s, want->v, &used, err))
            return -1;
        if (used || !sv_port_free((int)want->v))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Port %lld is already in use on this host; choose another Port or omit it.",
                            (long long)want->v);
        *out = want->v;
        return 0;
    }
    int64_t p = e->cfg.port_min;
    while (p <= e->cfg.port_max) {
        int64_t next_used;
        if (store_port_next_used(s, p, e->cfg.port_max, &next_used, err))
            return -1;
        if (next_used == p) {   /* taken by an instance: try the next one */
            p++;
            continue;
        }
        /* p is free in the model (the next taken one, if any, is above it) */
        if (sv_port_free((int)p)) {
            *out = p;
            return 0;
        }
        p++;                    /* something else on this host listens there */
    }
    return rds_fail(err, RDS_E_INSUFFICIENT_DB_INSTANCE_CAPACITY,
                    "No free port left in the configured range %d-%d.", e->cfg.port_min, e->cfg.port_max);
}

int instances__check_az(engine_req *r, const char *az, rds_error *err)
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
int instances__check_monitoring(int64_t interval, const char *role_arn, rds_error *err)
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
int instances__check_storage(const char *type, int64_t gib, int64_t iops, int64_t throughput, rds_error *err)
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
int instances__check_max_storage(int64_t max_gib, int64_t gib, rds_error *err)
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
size_t instances__group_azs(const char *region, const db_subnet_group *g, char azs[DEFAULT_SUBNET_COUNT][32])
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

