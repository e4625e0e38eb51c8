/* view.c: what DescribeDBInstances shows about replication, ModifyDBInstance's refusals for
 * replicas and their sources, and the admin health lines.
 *
 * The DBInstance shape has no lag member (AWS publishes ReplicaLag to CloudWatch, which
 * rdslocal does not emulate), so the replica's state is shown where the RDS API shows it:
 * StatusInfos, one entry of StatusType "read replication" with Status "replicating"
 * (Normal true) while the replica streams, or "error" (Normal false, Message saying why)
 * when it does not; the measured lag goes to the admin health (/_rdslocal/health). A view
 * with live replication state is never served from the response cache. Names of instances
 * in another region are shown as ARNs, as AWS does for cross-region replicas. */
#include "replicas/replicas.h"

#include <stdio.h>
#include <string.h>

/* The name of instance x as seen from region: its id there, else its ARN. */
static const char *name_from(engine *e, arena *a, const char *region, const db_instance *x)
{
    return strcmp(x->region, region) == 0 ? x->id : engine__arn(e, a, x->region, "db", x->id);
}

/* The replication state of replica d, measured now. */
static void live_state(engine_req *r, const db_instance *d, instance_view *out)
{
    engine *e = r->e;
    out->replica_lag_ms = -1;
    out->replica_state = "replicating";
    out->replica_normal = true;
    if (e->cfg.no_engine || strcmp(engine__shown_status(d, rds_now_ms()), "available") != 0)
        return;
    r->valid_until_ms = 0; /* live: never cached */
    sv_replica_state st;
    rds_error err = { 0 };
    if (!e->sv || sv_replica_status(e->sv, d->resource_id, &st, &err)) {
        out->replica_state = "error";
        out->replica_normal = false;
        out->replica_message = arena_printf(r->a, "Replication state unavailable: %s", err.message);
        return;
    }
    out->replica_lag_ms = st.lag_ms;
    if (!st.streaming) {
        out->replica_state = "error";
        out->replica_normal = false;
        out->replica_message = arena_printf(r->a, "Replication is not streaming from the source: %s", st.detail);
    }
}

int engine__replica_view(engine_req *r, store *s, const db_instance *d, instance_view *out, rds_error *err)
{
    engine *e = r->e;
    out->replica_lag_ms = -1;
    if (d->replica_source_resource_id) {
        db_instance *src = NULL;
        if (store_instance_by_resource_id(s, r->a, d->replica_source_resource_id, &src, err))
            return -1;
        out->replica_source = src ? name_from(e, r->a, d->region, src)
                              : strcmp(d->replica_source_region, d->region) == 0
                                  ? d->replica_source_id
                                  : engine__arn(e, r->a, d->replica_source_region, "db", d->replica_source_id);
        live_state(r, d, out);
    }
    db_instance **reps;
    size_t n;
    if (store_instance_replicas_of(s, r->a, d->resource_id, &reps, &n, err))
        return -1;
    out->replica_ids = n ? arena_alloc(r->a, n * sizeof *out->replica_ids) : NULL;
    for (size_t i = 0; i < n; i++)
        out->replica_ids[out->n_replica_ids++] = name_from(e, r->a, d->region, reps[i]);
    return 0;
}

int engine__replica_check_modify(engine_req *r, store *s, const db_instance *d, const modify_instance_in *in,
                                 rds_error *err)
{
    (void)r;
    bool replica = d->replica_source_resource_id != NULL;
    /* AWS's words (terraform-aws-rds #526, a real answer) */
    if (replica && in->master_password)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot change master user password on an RDS postgres Read Replica because it uses "
                        "physical replication and therefore cannot differ from its parent.");
    if (replica && in->backup_retention.set && in->backup_retention.v > 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "DB Backups not supported on a read replica for engine postgres");
    if (!replica && in->backup_retention.set && in->backup_retention.v == 0 && d->backup_retention_days > 0) {
        db_instance **reps;
        size_t n;
        if (store_instance_replicas_of(s, r->a, d->resource_id, &reps, &n, err))
            return -1;
        if (n > 0) /* wording is rdslocal's: AWS's text for this refusal is not published */
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                            "Cannot disable automated backups on DB instance %s: it is the source of %zu read "
                            "replica(s).", d->id, n);
    }
    return 0;
}

int engine__replica_check_stop(store *s, arena *a, const db_instance *d, rds_error *err)
{
    if (d->replica_source_resource_id) /* wording is rdslocal's, after AWS's other stop refusals */
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "Cannot stop instance %s because it is a read replica.",
                        d->id);
    db_instance **reps;
    size_t n;
    if (store_instance_replicas_of(s, a, d->resource_id, &reps, &n, err))
        return -1;
    if (n > 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                        "Cannot stop instance %s because it has read replicas.", d->id);
    return 0;
}

int engine_replicas_health(engine *e, arena *a, replica_health **out, size_t *n_out, rds_error *err)
{
    *out = NULL;
    *n_out = 0;
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    db_instance **reps;
    size_t n;
    if (store_instance_replicas_of(s, a, NULL, &reps, &n, err))
        return -1;
    *out = n ? arena_alloc(a, n * sizeof **out) : NULL;
    for (size_t i = 0; i < n; i++) {
        db_instance *d = reps[i];
        engine_req r = { .e = e, .a = a, .region = d->region, .valid_until_ms = INT64_MAX };
        instance_view v = { 0 };
        live_state(&r, d, &v);
        replica_health *h = &(*out)[(*n_out)++];
        h->region = d->region;
        h->id = d->id;
        h->source_arn = engine__arn(e, a, d->replica_source_region, "db", d->replica_source_id);
        h->state = strcmp(engine__shown_status(d, rds_now_ms()), "available") != 0 ? d->status : v.replica_state;
        h->lag_ms = v.replica_lag_ms;
    }
    return 0;
}
