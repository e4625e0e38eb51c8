/* newrow.c: the steps CreateDBInstance (create.c) and RestoreDBInstanceFromDBSnapshot
 * (snapshots/restore.c) share to make a new instance: its subnet group, the row's starting
 * fields, default windows, the AZ, claiming port and identifier with the tags, and taking
 * the row back when the server could not be made (the AZ request check too, which
 * CreateDBInstanceReadReplica shares). Each operation keeps its own rules for
 * the rest (defaults from the request vs from the snapshot). */
#include "instances/instances.h"

#include <stdio.h>
#include <string.h>

int instances__id_free(engine_req *r, store *s, const char *id, rds_error *err)
{
    db_instance *existing;
    if (store_instance_get(s, r->a, r->region, id, &existing, err))
        return -1;
    if (existing)
        return rds_fail(err, RDS_E_DB_INSTANCE_ALREADY_EXISTS, "DB instance already exists");
    return 0;
}

int instances__check_az_request(engine_req *r, bool multi_az, const char *az, rds_error *err)
{
    if (multi_az && az)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Requesting a specific availability zone is not valid for Multi-AZ instances.");
    return az && instances__check_az(r, az, err) ? -1 : 0;
}

int instances__load_subnet_group(engine_req *r, store *s, const char *name, db_subnet_group **out,
                                 rds_error *err)
{
    *out = NULL;
    const char *group = name ? rds_lower(arena_strdup(r->a, name)) : "default";
    if (strcmp(group, "default") == 0)
        return 0;
    if (store_subnet_group_get(s, r->a, r->region, group, out, err))
        return -1;
    if (!*out)
        return rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", group);
    return 0;
}

db_instance *instances__new_row(engine_req *r, const char *id, const str_list *sgs, uint32_t *seed)
{
    db_instance *d = arena_alloc(r->a, sizeof *d);
    char rid[40] = "db-";
    rds_random_upper(rid + 3, 26);
    /* from the id: the same id gets the same default windows and AZ */
    uint32_t h = (uint32_t)strlen(id) * 2654435761u;
    for (const char *p = id; *p; p++)
        h = h * 31 + (unsigned char)*p;
    *seed = h;
    char sg[32];
    model_default_security_group(r->region, sg);
    d->region = r->region;
    d->id = id;
    d->resource_id = arena_strdup(r->a, rid);
    d->engine = "postgres";
    d->endpoint_address = r->e->cfg.endpoint_address;
    d->vpc_security_group_ids = sgs->n ? instances__join_sg(r->a, sgs) : arena_strdup(r->a, sg);
    d->license_model = "postgresql-license";
    d->created_at_ms = rds_now_ms();
    d->latest_restorable_ms = d->created_at_ms;
    d->pending_backup_retention_days = -1;
    d->pending_multi_az = -1;
    d->status = "creating";
    return d;
}

void instances__windows(engine_req *r, uint32_t seed, const char *backup, const char *maintenance, char bw[16],
                        char mw[32])
{
    if (backup)
        snprintf(bw, 16, "%s", backup);
    else
        rules_default_backup_window(bw, 16, r->region, seed);
    if (maintenance) {
        snprintf(mw, 32, "%s", maintenance);
        rds_lower(mw);
        return;
    }
    /* AWS picks a maintenance window that does not overlap the backup window. */
    for (uint32_t k = 0; k < 64; k++) {
        rules_default_maintenance_window(mw, 32, r->region, seed + k * 7919u);
        if (rules_check_windows(bw, mw, NULL) == 0)
            break;
    }
}

/* The instance (and a Multi-AZ standby) goes in AZs its subnet group covers. The error
 * code for an AZ outside the group is not on record; the message is AWS's. */
int instances__place(engine_req *r, db_instance *d, const db_subnet_group *g, uint32_t seed, const char *az,
                     rds_error *err)
{
    char azs[DEFAULT_SUBNET_COUNT][32];
    size_t naz = instances__group_azs(r->region, g, azs), pick = seed % (naz ? naz : 1);
    if (az) {
        size_t k = 0;
        while (k < naz && strcmp(azs[k], az) != 0)
            k++;
        if (k == naz)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                            "Cannot create a database instance because there is not a subnet in %s, the targeted "
                            "availability zone.", az);
        pick = k;
    }
    d->availability_zone = arena_strdup(r->a, azs[pick]);
    d->secondary_availability_zone = d->multi_az && naz > 1 ? arena_strdup(r->a, azs[(pick + 1) % naz]) : NULL;
    return 0;
}

int instances__claim(engine_op *op, db_instance *d, const opt_int *port, const tag_list *tags, const char *arn,
                     rds_error *err)
{
    engine *e = op->r->e;
    /* the port is chosen and claimed under port_mu, in the same transaction as the row */
    pthread_mutex_lock(&e->port_mu);
    int rc = instances__choose_port(e, op->s, port, &d->port, err);
    if (rc == 0)
        rc = store_instance_put(op->s, d, err);
    pthread_mutex_unlock(&e->port_mu);
    for (size_t i = 0; rc == 0 && i < tags->n; i++)
        rc = store_tag_set(op->s, arn, tags->v[i].key, tags->v[i].value, err);
    return rc;
}

static int forget_row(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    return store_instance_delete(op->s, r->region, op->name, err) ||
           engine__forget(r->e, op->s, r->a, &engine__kind_instance, r->region, op->name, err);
}

int instances__undo_new_row(engine_op *op, const char *verb, rds_error *err)
{
    rds_error ignored = { 0 };
    if (engine__tx(op, forget_row, &ignored))
        log_at(LOG_ERROR, "engine", "%s %s: could not remove its row: %s", verb, op->name, ignored.detail);
    log_at(LOG_ERROR, "engine", "could not %s instance \"%s\": %s (%s)", verb, op->name, err->message, err->detail);
    if (!err->code)
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "The DB instance could not be %sd.", verb);
    return -1;
}
