/* multiaz.c: Multi-AZ DB instances on the engine side. The supervisor runs the real
 * synchronous standby and fails over (engine/supervisor/sv_standby.c); this file asks it
 * to, and records what AWS shows: the standby built for a new or restored instance
 * (create.c and snapshots/restore.c call instances__multi_az_setup), conversions either
 * way by ModifyDBInstance or at the maintenance window (events 0024/0025 and 0030/0029),
 * failovers on request (RebootDBInstance ForceFailover) and automatic ones the supervisor
 * reports (events 0013, the reason, 0049; AvailabilityZone and SecondaryAvailabilityZone
 * swap). Request threads and the worker. */
#include "instances/instances.h"

#include <string.h>

/* The standby's AZ is now the primary's. */
static void swap_azs(db_instance *d)
{
    if (!d->secondary_availability_zone)
        return;
    const char *az = d->availability_zone;
    d->availability_zone = d->secondary_availability_zone;
    d->secondary_availability_zone = az;
}

int instances__multi_az_setup(engine_req *r, const db_instance *d, rds_error *err)
{
    engine *e = r->e;
    if (e->cfg.no_engine || !e->sv || !d->multi_az)
        return 0;
    sv_instance_spec spec = engine__spec(r->a, d);
    if (sv_instance_set_multi_az(e->sv, &spec, err) == 0)
        return 0;
    rds_error ignored = { 0 };
    sv_instance_delete(e->sv, d->resource_id, &ignored); /* the new row is taken back by the caller */
    return -1;
}

int instances__multi_az_convert(engine *e, arena *a, const db_instance *d, rds_error *err)
{
    if (e->cfg.no_engine || !e->sv || !model_status_runs(d->status))
        return 0;
    sv_instance_spec spec = engine__spec(a, d);
    return sv_instance_set_multi_az(e->sv, &spec, err);
}

int instances__multi_az_events(engine *e, store *s, const db_instance *d, rds_error *err)
{
    rules_event_id started = d->multi_az ? RULES_EV_MULTI_AZ_ON_STARTED : RULES_EV_MULTI_AZ_OFF_STARTED;
    rules_event_id finished = d->multi_az ? RULES_EV_MULTI_AZ_ON_FINISHED : RULES_EV_MULTI_AZ_OFF_FINISHED;
    return engine__event(e, s, d, started, NULL, err) || engine__event(e, s, d, finished, NULL, err) ? -1 : 0;
}

int instances__failover_record(engine *e, store *s, db_instance *d, const char *reason, rds_error *err)
{
    swap_azs(d);
    return store_instance_put(s, d, err) || engine__event(e, s, d, RULES_EV_FAILOVER_STARTED, NULL, err) ||
                   engine__event(e, s, d, RULES_EV_FAILOVER_REASON, reason, err) ||
                   engine__event(e, s, d, RULES_EV_FAILOVER_COMPLETED, NULL, err)
               ? -1
               : 0;
}

int engine__multiaz_sv_event(engine *e, store *s, db_instance *d, const sv_event *ev, rds_error *err)
{
    switch (ev->kind) {
    case SV_EV_FAILOVER_STARTED:
        return engine__event(e, s, d, RULES_EV_FAILOVER_STARTED, NULL, err) ||
                       engine__event(e, s, d, RULES_EV_FAILOVER_REASON, ev->detail, err)
                   ? -1
                   : 0;
    case SV_EV_FAILOVER_COMPLETED:
        swap_azs(d);
        return store_instance_put(s, d, err) || engine__event(e, s, d, RULES_EV_FAILOVER_COMPLETED, NULL, err) ? -1
                                                                                                              : 0;
    default:
        return 0;
    }
}
