/* worker.c: the engine worker thread. It turns supervisor reports into statuses and
 * events (handle_sv_event) and runs the time-based rules (engine_tick: realistic-timing
 * deletes, the 7-day auto start, maintenance windows, event retention).
 * Threads: the worker thread; engine_tick also from the admin clock call. */
#include "engine_internal.h"

#include <assert.h>
#include <string.h>
#include <time.h>

enum { EVENT_RETENTION_DAYS = 14, WORKER_POLL_MS = 50, TICK_EVERY_MS = 1000 };

/* Recording a supervisor report is an engine_op on the instance the report names. */
typedef struct sv_event_ctx {
    const sv_event *ev;
    db_instance *d;
} sv_event_ctx;

/* Re-read under the lock: a concurrent delete or stop is never overwritten (a stale write
 * would bring a deleted instance back); a report about a server that should not run is
 * stale and dropped. */
static int sv_event_load(engine_op *op, rds_error *err)
{
    sv_event_ctx *c = op->ctx;
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    op->done = !c->d || strcmp(c->d->resource_id, c->ev->key) != 0 || !model_status_runs(c->d->status);
    return 0;
}

static int sv_event_write(engine_op *op, rds_error *err)
{
    sv_event_ctx *c = op->ctx;
    engine *e = op->r->e;
    db_instance *d = c->d;
    switch (c->ev->kind) {
    case SV_EV_CRASHED:
        return engine__event(e, op->s, d, RULES_EV_RECOVERY_STARTED, NULL, err);
    case SV_EV_RECOVERED:
        return engine__event(e, op->s, d, RULES_EV_RECOVERY_FINISHED, NULL, err);
    case SV_EV_FAILOVER_STARTED:
    case SV_EV_FAILOVER_COMPLETED:
        return engine__multiaz_sv_event(e, op->s, d, c->ev, err);
    case SV_EV_FAILED:
        d->status = "failed";
        d->shown_status = NULL;
        d->shown_until_ms = 0;
        return store_instance_put(op->s, d, err) || engine__event(e, op->s, d, RULES_EV_FAILED, "failed", err)
                   ? -1
                   : 0;
    }
    return 0;
}

/* Records what the supervisor reported for one instance, found directly by its resource
 * id (the supervisor's key). */
static void handle_sv_event(engine *e, const sv_event *ev)
{
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(e, &err);
    if (!s)
        return;
    arena *a = arena_new();
    db_instance *found;
    if (store_instance_by_resource_id(s, a, ev->key, &found, &err) == 0 && found) {
        engine_req r = { .e = e, .a = a, .region = found->region };
        sv_event_ctx c = { .ev = ev };
        engine_op op = { .r = &r, .kind = "db", .name = found->id, .ctx = &c, .load = sv_event_load,
                         .write = sv_event_write };
        engine__run(&op, &err);
    }
    if (err.code)
        log_at(LOG_WARN, "engine", "could not record supervisor event for \"%s\": %s", ev->key,
               err.detail);
    arena_free(a);
}

/* True if a maintenance window started in (prev, now]: the clock jumped over it. */
static bool window_started_between(const char *window, int64_t prev, int64_t now)
{
    if (prev >= now)
        return false;
    int64_t start = rules_next_maintenance_start_ms(window, prev + 1);
    return start >= 0 && start <= now;
}

/* The time-based rules for one instance, an engine_op: decide picks at most one of them
 * (and the steps it needs). */
typedef struct tick_ctx {
    int64_t prev, now;      /* the model clock at the previous tick and now */
    db_instance *d;
} tick_ctx;

static int tick_load(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    /* Re-read under the lock: an operation may have changed it meanwhile. */
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    op->done = c->d == NULL;
    return 0;
}

/* realistic timing: the row stayed visible as "deleting" until now */
static int tick_forget_deleted(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    return store_instance_delete(op->s, c->d->region, c->d->id, err);
}

static int tick_autostart_act(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (e->cfg.no_engine)
        return 0;
    sv_instance_spec spec = engine__spec(op->r->a, c->d);
    if (!e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "no supervisor");
    return sv_instance_start(e->sv, &spec, err);
}

static int tick_autostart_write(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    engine *e = op->r->e;
    engine__set_status(e, c->d, "available", "starting");
    c->d->stopped_at_ms = 0;
    return store_instance_put(op->s, c->d, err) ||
                   engine__event(e, op->s, c->d, RULES_EV_AUTO_STARTED_AFTER_7_DAYS, NULL, err)
               ? -1
               : 0;
}

static int tick_apply_pending(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    if (engine__apply_pending(op->r->e, op->s, op->r->a, c->d, err)) {
        log_at(LOG_WARN, "engine", "could not apply pending modifications to \"%s\": %s", c->d->id,
               err->message);
        return -1;
    }
    return 0;
}

static int tick_kms_expire(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    return engine__instances_kms_expire(op->r->e, op->s, c->d, err);
}

static int tick_decide(engine_op *op, rds_error *err)
{
    tick_ctx *c = op->ctx;
    db_instance *d = c->d;
    (void)err;
    if (strcmp(d->status, "deleted") == 0 && c->now >= d->shown_until_ms) {
        op->write = tick_forget_deleted;
    } else if (strcmp(d->status, "inaccessible-encryption-credentials-recoverable") == 0) {
        /* the KMS recovery period (instances/encryption.c) */
        if (rules_kms_recovery_expired(d->kms_lost_at_ms, c->now))
            op->write = tick_kms_expire;
        else
            op->done = true;
    } else if (strcmp(d->status, "stopped") == 0 && rules_stop_expired(d->stopped_at_ms, c->now)) {
        /* AWS starts a stopped instance again after 7 days. */
        op->act = tick_autostart_act;
        op->write = tick_autostart_write;
    } else if (strcmp(d->status, "available") == 0 && d->maintenance_window &&
               (rules_in_maintenance_window(d->maintenance_window, c->now) ||
                window_started_between(d->maintenance_window, c->prev, c->now))) {
        op->after = tick_apply_pending;   /* its own restart and transaction */
    } else {
        op->done = true;
    }
    return 0;
}

void engine_tick(engine *e)
{
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(e, &err);
    if (!s)
        return;
    int64_t now = rds_now_ms();
    pthread_mutex_lock(&e->worker_mu);
    int64_t prev = e->last_model_tick_ms < now ? e->last_model_tick_ms : now;
    e->last_model_tick_ms = now;
    pthread_mutex_unlock(&e->worker_mu);
    arena *a = arena_new();
    db_instance **all;
    size_t n;
    /* Only the instances a rule may act on (deleted, stopped, something pending): the
     * others would each cost a row read and a lock every tick (issue #7 item 9). */
    if (store_instance_due(s, a, &all, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            engine_req r = { .e = e, .a = a, .region = all[i]->region };
            tick_ctx c = { .prev = prev, .now = now };
            engine_op op = { .r = &r, .kind = "db", .name = all[i]->id, .ctx = &c, .load = tick_load,
                             .decide = tick_decide };
            engine__run(&op, &err);
            rds_error_clear(&err);
        }
    }
    engine__kms_tick(e, s, a); /* keys whose waiting period ended are deleted */
    engine__logs_tick(e, s, a); /* log files past their retention are removed */
    engine__secrets_tick(e, s, a); /* secrets: ended recovery windows, due and staged rotations */
    engine__autobackup_tick(e, s, a); /* automated backups: due ones taken, expired ones removed */
    if (store_begin(s, &err) == 0) {
        if (store_event_prune(s, now - (int64_t)EVENT_RETENTION_DAYS * 86400 * 1000, &err) ||
            store_commit(s, &err))
            store_rollback(s);
    }
    arena_free(a);
}

void *engine__worker_main(void *arg)
{
    engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->worker_mu);
        if (!e->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += WORKER_POLL_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&e->worker_cv, &e->worker_mu, &ts);
        }
        bool stop = e->stopping;
        pthread_mutex_unlock(&e->worker_mu);
        if (stop)
            break;
        if (e->sv) {
            sv_event evs[16];
            size_t n = sv_poll(e->sv, evs, 16);
            for (size_t i = 0; i < n; i++)
                handle_sv_event(e, &evs[i]);
        }
        engine__pitr_poll(e); /* pitr: WAL shipping, LatestRestorableTime */
        engine__faults_tick(e); /* fault injection: starts its timer thread once (faults/) */
        int64_t now = rds_real_now_ms();
        if (now - e->last_tick_ms >= TICK_EVERY_MS) {
            e->last_tick_ms = now;
            engine_tick(e);
        }
    }
    return NULL;
}

