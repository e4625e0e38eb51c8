/* apply.c: what the servers run with from their DB parameter group.
 *
 * An instance row keeps the group's postgresql.conf lines its server runs with, in two
 * parts: param_conf_dynamic (parameters with ApplyMethod immediate: a change reaches the
 * running server at once, sv_instance_reconfigure rewrites the conf and reloads) and
 * param_conf_static (those with pending-reboot, which static ones must use: held until
 * RebootDBInstance). ParameterApplyStatus is pending-reboot while what the group says
 * differs from what the server runs with, in-sync otherwise. A switch to another group
 * (ModifyDBInstance DBParameterGroupName) takes effect at the next reboot, as on RDS.
 * Since the lines live in the row, a start (reconcile after a restart of rdslocal, a crash
 * restart) needs no lookup, and engine__spec stays a pure function of the row. */
#include "parameter_groups/params.h"

#include <string.h>

/* The conf lines group `name` asks for, split by when they apply, and its rds.force_ssl. */
static int group_conf(engine *e, store *s, arena *a, const char *region, const char *name, const char **held,
                      const char **now, bool *force_ssl, rds_error *err)
{
    db_parameter **rows;
    size_t n;
    if (store_param_list(s, a, region, name, &rows, &n, err))
        return -1;
    (void)e;
    strbuf h, d;
    strbuf_init(&h);
    strbuf_init(&d);
    *force_ssl = strcmp(params__rds_default("rds.force_ssl"), "1") == 0;
    for (size_t i = 0; i < n; i++) {
        const db_parameter *p = rows[i];
        if (strcmp(p->name, "rds.force_ssl") == 0)
            *force_ssl = strcmp(p->value, "1") == 0;
        if (strncmp(p->name, "rds.", 4) == 0)
            continue;
        bool hold = p->apply_method && strcmp(p->apply_method, "pending-reboot") == 0;
        strbuf_puts(hold ? &h : &d, params__conf_line(a, p->name, p->value));
    }
    *held = arena_strdup(a, h.data ? h.data : "");
    *now = arena_strdup(a, d.data ? d.data : "");
    strbuf_free(&h);
    strbuf_free(&d);
    return 0;
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* All of the group applied (create, reboot). */
static int take_all(engine *e, store *s, arena *a, db_instance *d, rds_error *err)
{
    const char *held, *now;
    bool ssl;
    if (group_conf(e, s, a, d->region, d->parameter_group, &held, &now, &ssl, err))
        return -1;
    d->param_conf_static = held;
    d->param_conf_dynamic = now;
    d->param_force_ssl = ssl;
    d->param_apply_status = "in-sync";
    return 0;
}

int engine__params_init_instance(engine_req *r, store *s, db_instance *d, rds_error *err)
{
    return take_all(r->e, s, r->a, d, err);
}

/* A reboot restarts the server with all of the group's settings. If it does not come up
 * with them (a static value the host cannot honour, e.g. shared_buffers beyond its memory:
 * RDS's incompatible-parameters), the server is started again with what it ran with
 * before, and the instance stays pending-reboot: it never stays down because of its group. */
int engine__params_reboot(engine_req *r, store *s, db_instance *d, rds_error *err)
{
    engine *e = r->e;
    db_instance before = *d;
    if (take_all(e, s, r->a, d, err))
        return -1;
    if (e->cfg.no_engine || !e->sv)
        return 0;
    sv_instance_spec spec = engine__spec(r->a, d);
    if (sv_instance_restart(e->sv, &spec, err) == 0)
        return 0;
    if (same(before.param_conf_static, d->param_conf_static) && same(before.param_conf_dynamic, d->param_conf_dynamic))
        return -1;
    log_at(LOG_WARN, "params", "instance %s did not start with parameter group %s (%s: %s); started with its "
           "previous settings", d->id, d->parameter_group, err->message, err->detail);
    d->param_conf_static = before.param_conf_static;
    d->param_conf_dynamic = before.param_conf_dynamic;
    d->param_force_ssl = before.param_force_ssl;
    d->param_apply_status = "pending-reboot";
    rds_error_clear(err);
    spec = engine__spec(r->a, d);
    return sv_instance_start(e->sv, &spec, err);
}

int engine__params_check_group(engine_req *r, store *s, const char *want, const char *major, const char **name,
                               rds_error *err)
{
    const char *family = arena_printf(r->a, "postgres%s", major);
    if (!want) {
        *name = params__default_group(r->a, family);
        return 0;
    }
    db_parameter_group *g;
    if (params__load_group(r, s, rds_lower(arena_strdup(r->a, want)), &g, err))
        return -1;
    if (strcmp(g->family, family) != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "The parameter group %s with DBParameterGroupFamily %s can't be used for this instance. "
                        "Use a parameter group with DBParameterGroupFamily %s.",
                        g->name, g->family, family);
    *name = g->name;
    return 0;
}

int engine__params_switch_group(engine_req *r, store *s, db_instance *d, const char *group, rds_error *err)
{
    if (strcmp(group, d->parameter_group) == 0)
        return 0;
    d->parameter_group = group;
    d->param_apply_status = "pending-reboot";
    (void)s;
    (void)err;
    (void)r;
    return 0;
}

const char *engine__params_spec_conf(arena *a, const db_instance *d)
{
    return arena_printf(a, "%s%s", d->param_conf_static ? d->param_conf_static : "",
                        d->param_conf_dynamic ? d->param_conf_dynamic : "");
}

bool engine__params_spec_force_ssl(const db_instance *d, const sv_instance_spec *spec)
{
    /* rds.force_ssl needs a server with TLS (a spec naming its CA): without one, refusing
     * non-SSL clients would refuse every client. */
    return d->param_force_ssl && spec->ca_id && *spec->ca_id;
}

/* One instance using the group: its row brought up to date, its server reloaded. */
static void sync_one(engine_req *r, store *s, const char *id)
{
    engine *e = r->e;
    rds_error err = { 0 };
    pthread_mutex_t *mu = engine__instance_lock(e, r->region, id);
    engine__lock(mu);
    db_instance *d = NULL;
    const char *held, *now;
    bool ssl;
    if (store_instance_get(s, r->a, r->region, id, &d, &err) || !d || strcmp(d->status, "deleted") == 0)
        goto out;
    if (group_conf(e, s, r->a, d->region, d->parameter_group, &held, &now, &ssl, &err))
        goto out;
    d->param_conf_dynamic = now;
    d->param_force_ssl = ssl;
    d->param_apply_status = same(d->param_conf_static, held) ? "in-sync" : "pending-reboot";
    if (store_instance_put(s, d, &err))
        goto out;
    if (!e->cfg.no_engine && e->sv && sv_instance_running(e->sv, d->resource_id)) {
        sv_instance_spec spec = engine__spec(r->a, d);
        if (sv_instance_reconfigure(e->sv, &spec, &err))
            goto out;
    }
out:
    if (err.code)
        log_at(LOG_WARN, "params", "instance %s: parameter group %s not applied: %s (%s)", id,
               d ? d->parameter_group : "?", err.message, err.detail);
    engine__unlock(mu);
}

void params__sync_users(engine_req *r, const char *name)
{
    rds_error err = { 0 };
    store *s = engine__store(r->e, &err);
    if (!s)
        return;
    const char *values[1] = { name };
    store_filter f = { "parameter_group", values, 1 };
    db_instance **rows;
    size_t n;
    if (store_instance_list(s, r->a, r->region, &f, 1, NULL, 100000, &rows, &n, &err)) {
        log_at(LOG_WARN, "params", "parameter group %s: instances not updated: %s", name, err.message);
        return;
    }
    for (size_t i = 0; i < n; i++)
        sync_one(r, s, rows[i]->id);
}

const char *engine__instance_param(engine *e, store *s, arena *a, const db_instance *d, const char *name)
{
    (void)e;
    rds_error err = { 0 };
    db_parameter **rows;
    size_t n;
    if (d->parameter_group && store_param_list(s, a, d->region, d->parameter_group, &rows, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i]->name, name) == 0)
                return rows[i]->value;
    return params__rds_default(name);
}
