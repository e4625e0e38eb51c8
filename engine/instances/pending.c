/* pending.c: pending modifications of DB instances. Which fields can be held for the
 * maintenance window, and how a held value is applied, comes from db_instance.def (rows
 * DBI_PENDING, model_pending_promote); this file adds what the table cannot say: the
 * derived fields (max_connections from the class, the standby AZ), the rename, the restart
 * and the events. Worker thread (maintenance window) and ModifyDBInstance (ApplyImmediately). */
#include "instances/instances.h"

#include <assert.h>
#include <string.h>

const char *instances__secondary_az(arena *a, const db_instance *d)
{
    size_t n = strlen(d->availability_zone);
    return arena_printf(a, "%s%c", d->region, n && d->availability_zone[n - 1] == 'a' ? 'b' : 'a');
}

int instances__rename_in_tx(engine *e, store *s, arena *a, const db_instance *d, const char *old_id,
                            rds_error *err)
{
    assert(engine__lock_held() && store_in_tx(s));
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

bool instances__promote_pending(arena *a, db_instance *d, bool *class_changed)
{
    const char *old_class = d->instance_class;
    bool promoted[DBI_P__COUNT];
    bool any = model_pending_promote(d, promoted);
    *class_changed = strcmp(old_class, d->instance_class) != 0;
    if (*class_changed)
        d->max_connections =
            rules_default_max_connections(rules_instance_class_find("postgres", d->instance_class));
    if (promoted[DBI_P_pending_multi_az])
        d->secondary_availability_zone = d->multi_az ? instances__secondary_az(a, d) : NULL;
    return any;
}

typedef struct apply_ctx {
    db_instance *d;
    const char *old_id;
    int64_t old_storage;
    bool renamed, restart;
    bool old_multi_az;
} apply_ctx;

static int apply_write(engine_op *op, rds_error *err)
{
    apply_ctx *c = op->ctx;
    engine *e = op->r->e;
    db_instance *d = c->d;
    if (c->renamed && instances__rename_in_tx(e, op->s, op->r->a, d, c->old_id, err))
        return -1;
    if (store_instance_put(op->s, d, err))
        return -1;
    if (c->restart && engine__event(e, op->s, d, RULES_EV_CLASS_CHANGED, NULL, err))
        return -1;
    if (d->allocated_storage_gib != c->old_storage && engine__event(e, op->s, d, RULES_EV_STORAGE_CHANGED, NULL, err))
        return -1;
    if (d->multi_az != c->old_multi_az && instances__multi_az_events(e, op->s, d, err))
        return -1;
    return 0;
}

int engine__apply_pending(engine *e, store *s, arena *a, db_instance *d, rds_error *err)
{
    assert(engine__lock_held());
    apply_ctx c = { .d = d, .old_id = d->id, .old_storage = d->allocated_storage_gib, .old_multi_az = d->multi_az };
    bool dropped = false;
    if (d->pending_new_id) {
        db_instance *clash;
        if (store_instance_get(s, a, d->region, d->pending_new_id, &clash, err))
            return -1;
        if (clash) {
            dropped = true;   /* the name was taken meanwhile: the rename is dropped */
        } else {
            d->id = d->pending_new_id;
            c.renamed = true;
        }
        d->pending_new_id = NULL;
    }
    if (!instances__promote_pending(a, d, &c.restart) && !c.renamed && !dropped)
        return 0;
    if (c.restart && !e->cfg.no_engine && e->sv) {
        sv_instance_spec spec = engine__spec(a, d);
        if (sv_instance_restart(e->sv, &spec, err))
            return -1;
    }
    if (d->multi_az != c.old_multi_az && instances__multi_az_convert(e, a, d, err))
        return -1;
    engine_req r = { .e = e, .a = a, .region = d->region };
    engine_op op = { .r = &r, .ctx = &c, .s = s };
    return engine__tx(&op, apply_write, err);
}
