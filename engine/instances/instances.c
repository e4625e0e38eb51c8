/* instances.c: the DB instance family's registration (registry row), loading by id, and
 * the view of an instance the server renders (ARN, shown status, tags, subnets). The
 * operations are in create.c, modify.c, lifecycle.c, describe.c; pending modifications in
 * pending.c; input checks in checks.c. Any HTTP thread, and the worker. */
#include "instances/instances.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static int instance_exists(engine_req *r, store *s, const char *name, rds_error *err)
{
    db_instance *d;
    return instances__load(r, s, name, &d, err);
}

const engine_kind engine__kind_instance = { "db", "db-instance", instance_exists };

int instances__not_found(rds_error *err, const char *id)
{
    return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
}

const char *instances__id_arg(engine_req *r, const char *id)
{
    if (!id)
        return NULL;
    const char *prefix = arena_printf(r->a, "arn:aws:rds:%s:%s:db:", r->region, r->e->cfg.account_id);
    if (strncmp(id, prefix, strlen(prefix)) == 0)
        id += strlen(prefix);
    return rds_lower(arena_strdup(r->a, id));
}

int instances__load(engine_req *r, store *s, const char *id, db_instance **out, rds_error *err)
{
    if (store_instance_get(s, r->a, r->region, id, out, err))
        return -1;
    if (!*out || strcmp((*out)->status, "deleted") == 0)
        return instances__not_found(err, id);
    return 0;
}

const char *engine_instance_arn(engine_req *r, const char *id)
{
    return engine__arn(r->e, r->a, r->region, "db", id);
}

const char *engine__shown_status(const db_instance *d, int64_t now_ms)
{
    if (d->shown_status && now_ms < d->shown_until_ms)
        return d->shown_status;
    return d->status;
}

void engine__set_status(engine *e, db_instance *d, const char *settled, const char *transitional)
{
    d->status = settled;
    if (e->cfg.realistic_timing_ms > 0 && transitional) {
        d->shown_status = transitional;
        d->shown_until_ms = rds_now_ms() + e->cfg.realistic_timing_ms;
    } else {
        d->shown_status = NULL;
        d->shown_until_ms = 0;
    }
}

sv_instance_spec engine__spec(arena *a, const db_instance *d)
{
    assert(a && d);
    sv_instance_spec spec = { .key = d->resource_id,
                              .major = instances__major_of(a, d->engine_version ? d->engine_version : ""),
                              .port = (int)d->port, .master_username = NULL, .master_password = NULL,
                              .db_name = NULL, .max_connections = (int)d->max_connections,
                              .shared_buffers_mb = 16,
                              /* TLS: the certificate names the endpoint the instance reports */
                              .ca_id = d->ca_certificate_id, .tls_host = d->endpoint_address };
    spec.param_conf = engine__params_spec_conf(a, d);                 /* params */
    spec.force_ssl = engine__params_spec_force_ssl(d, &spec);        /* params */
    spec.archive_wal = engine__pitr_archives(d); /* pitr */
    /* Multi-AZ: a standby (instances/multiaz.c); a read replica's MultiAZ is only recorded */
    spec.multi_az = d->multi_az && !(d->replica_source_resource_id && d->replica_source_resource_id[0]);
    spec.replica_of = d->replica_source_resource_id; /* read replicas: NULL when not one */
    return spec;
}

int engine__instance_view_ex(engine_req *r, store *s, db_instance *d, bool with_tags,
                             instance_view *out, rds_error *err)
{
    /* the view lends d to the caller: it must live as long as the caller's arena */
    assert(arena_owns(r->a, d));
    memset(out, 0, sizeof *out);
    out->inst = d;
    out->arn = engine__arn(r->e, r->a, d->region, "db", d->id);
    out->status = engine__shown_status(d, rds_now_ms());
    /* TLS: CertificateDetails.ValidTill is the notAfter of the certificate the server has */
    if (r->e->sv && !r->e->cfg.no_engine && d->resource_id &&
        sv_tls_instance_cert(r->e->sv, d->resource_id, NULL, 0, &out->cert_valid_till_ms) != 0)
        out->cert_valid_till_ms = 0;
    d->latest_restorable_ms = engine__pitr_latest(r->e, s, d); /* pitr: fresher than the row */
    out->status = engine__autobackup_shown_status(r->e, d, out->status); /* first backup: backing-up */
    if (with_tags && store_tags_get(s, r->a, out->arn, &out->tags, &out->n_tags, err))
        return -1;
    char vpc[32];
    model_default_vpc(d->region, vpc, out->subnets);
    out->vpc_id = arena_strdup(r->a, vpc);
    out->n_subnets = DEFAULT_SUBNET_COUNT;
    out->subnet_group_description = "default";
    if (engine__replica_view(r, s, d, out, err)) /* read replicas */
        return -1;
    if (d->subnet_group && strcmp(d->subnet_group, "default") != 0) {
        db_subnet_group *g;
        if (store_subnet_group_get(s, r->a, d->region, d->subnet_group, &g, err))
            return -1;
        if (g) {
            out->subnet_group_description = g->description;
            /* keep only the group's subnets, in the group's order */
            default_subnet all[DEFAULT_SUBNET_COUNT];
            memcpy(all, out->subnets, sizeof all);
            out->n_subnets = 0;
            for (int i = 0; i < DEFAULT_SUBNET_COUNT; i++)
                if (g->subnet_ids && strstr(g->subnet_ids, all[i].id))
                    out->subnets[out->n_subnets++] = all[i];
        }
    }
    return 0;
}
