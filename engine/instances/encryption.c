/* encryption.c: what KMS key states do to encrypted instances (issue 8 part 5). When a key
 * is disabled or scheduled for deletion, every instance encrypted with it goes to
 * inaccessible-encryption-credentials-recoverable: its server is stopped (connections are
 * refused) and RDS-EVENT-0004 "DB instance shutdown" is recorded. StartDBInstance brings it
 * back once the key is usable again (lifecycle.c checks the key); after the recovery period
 * (7 days by rdslocal's clock) the worker makes it the terminal
 * inaccessible-encryption-credentials (engine__instances_kms_expire), with RDS-EVENT-0031
 * naming that status. Called by the KMS family after its change committed, with no lock
 * held; each instance is then its own engine_op under its own lock. */
#include "instances/instances.h"

#include <string.h>

/* Both inaccessible statuses (-recoverable and the terminal one) start with this. */
#define INACCESSIBLE "inaccessible-encryption-credentials"

typedef struct lost_ctx {
    const char *key_arn;
    db_instance *d;
    bool was_running;
} lost_ctx;

static int lost_load(engine_op *op, rds_error *err)
{
    lost_ctx *c = op->ctx;
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    db_instance *d = c->d;
    /* gone, not (any more) on this key, or already inaccessible: nothing to do */
    op->done = !d || !d->storage_encrypted || !d->kms_key_id || strcmp(d->kms_key_id, c->key_arn) != 0 ||
               strcmp(d->status, "deleted") == 0 || strcmp(d->status, "deleting") == 0 ||
               strncmp(d->status, INACCESSIBLE, sizeof INACCESSIBLE - 1) == 0;
    if (op->done)
        return 0;
    /* re-checked under the instance's lock: an EnableKey may already have undone it */
    const char *state;
    if (engine__kms_key_state(op->r->e, op->s, op->r->a, c->key_arn, &state, err))
        return -1;
    op->done = state && strcmp(state, "Enabled") == 0;
    c->was_running = model_status_runs(d->status);
    return 0;
}

static int lost_act(engine_op *op, rds_error *err)
{
    lost_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (!c->was_running || e->cfg.no_engine || !e->sv)
        return 0;
    return sv_instance_stop(e->sv, c->d->resource_id, err);
}

static int lost_write(engine_op *op, rds_error *err)
{
    lost_ctx *c = op->ctx;
    db_instance *d = c->d;
    engine__set_status(op->r->e, d, "inaccessible-encryption-credentials-recoverable", NULL);
    d->kms_lost_at_ms = rds_now_ms();
    d->stopped_at_ms = 0; /* not "stopped": no 7-day automatic start */
    if (store_instance_put(op->s, d, err))
        return -1;
    return c->was_running ? engine__event(op->r->e, op->s, d, RULES_EV_SHUTDOWN, NULL, err) : 0;
}

void engine__instances_key_unusable(engine_req *r, const char *key_arn)
{
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(r->e, &err);
    db_instance **rows;
    size_t n;
    if (!s || store_instance_by_kms_key(s, r->a, key_arn, &rows, &n, &err)) {
        log_at(LOG_WARN, "engine", "KMS key %s: could not list its instances: %s", key_arn, err.message);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        engine_req ir = { .e = r->e, .a = r->a, .region = rows[i]->region, .valid_until_ms = INT64_MAX };
        lost_ctx c = { .key_arn = key_arn };
        engine_op op = { .r = &ir, .kind = "db", .name = rows[i]->id, .ctx = &c, .load = lost_load,
                         .act = lost_act, .write = lost_write };
        if (engine__run(&op, &err))
            log_at(LOG_WARN, "engine", "instance %s: could not apply its KMS key's state: %s", rows[i]->id,
                   err.message);
        rds_error_clear(&err);
    }
}

int engine__instances_kms_expire(engine *e, store *s, db_instance *d, rds_error *err)
{
    engine__set_status(e, d, "inaccessible-encryption-credentials", NULL);
    return store_instance_put(s, d, err) ||
                   engine__event(e, s, d, RULES_EV_FAILED, "inaccessible-encryption-credentials", err)
               ? -1
               : 0;
}
