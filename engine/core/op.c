/* op.c: what every engine operation stands on: the per-thread store connection, the
 * striped per-resource locks, and the runner (engine__run) that gives every mutating
 * operation the same skeleton: check input, lock, load, check, decide, act, write in one
 * transaction, after. Any thread may enter. */
#include "engine_internal.h"

#include <assert.h>

store *engine__store(engine *e, rds_error *err)
{
    store *s = pthread_getspecific(e->store_key);
    if (s)
        return s;
    if (store_open(&s, e->db_path, err))
        return NULL;
    pthread_setspecific(e->store_key, s);
    return s;
}

static uint32_t hash3(const char *a, const char *b, const char *c)
{
    uint32_t h = 2166136261u;
    const char *parts[3] = { a, b, c };
    for (int i = 0; i < 3; i++) {
        for (const char *p = parts[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        h = (h ^ '/') * 16777619u;
    }
    return h;
}

pthread_mutex_t *engine__resource_lock(engine *e, const char *region, const char *kind, const char *name)
{
    assert(region && kind && name);
    return &e->stripes[hash3(region, kind, name) % ENGINE_LOCK_STRIPES];
}

pthread_mutex_t *engine__instance_lock(engine *e, const char *region, const char *id)
{
    return engine__resource_lock(e, region, "db", id);
}

/* Resource locks held by this thread: at most one (striped locks: two could deadlock). */
static _Thread_local int locks_held;

void engine__lock(pthread_mutex_t *mu)
{
    assert(locks_held == 0);
    pthread_mutex_lock(mu);
    locks_held++;
}

void engine__unlock(pthread_mutex_t *mu)
{
    assert(locks_held == 1);
    locks_held--;
    pthread_mutex_unlock(mu);
}

bool engine__lock_held(void)
{
    return locks_held > 0;
}

/* Runs one step if present and the run is not done; true if it failed. */
#define STEP(op, fn, err) (!(op)->done && (op)->fn && (op)->fn((op), (err)))

int engine__tx(engine_op *op, engine_op_step *fn, rds_error *err)
{
    assert(op->s && fn);
    assert(!store_in_tx(op->s));
    if (store_begin(op->s, err))
        return -1;
    if (fn(op, err) || store_commit(op->s, err)) {
        store_rollback(op->s);
        return -1;
    }
    return 0;
}

int engine__run(engine_op *op, rds_error *err)
{
    assert(op && op->r && op->r->e && op->r->a && op->r->region);
    op->s = engine__store(op->r->e, err);
    if (!op->s)
        return -1;
    assert(!store_in_tx(op->s));
    if (STEP(op, check_input, err))
        return -1;
    pthread_mutex_t *mu = NULL;
    if (op->kind) {
        assert(op->name);
        mu = engine__resource_lock(op->r->e, op->r->region, op->kind, op->name);
        engine__lock(mu);
    }
    int rc = -1;
    if (STEP(op, load, err) || STEP(op, check, err) || STEP(op, decide, err) || STEP(op, act, err))
        goto done;
    if (!op->done && op->write && engine__tx(op, op->write, err))
        goto done;
    if (STEP(op, after, err))
        goto done;
    rc = 0;
done:
    assert(!store_in_tx(op->s));
    if (mu)
        engine__unlock(mu);
    return rc;
}
