/* worker.c: the engine worker thread. It turns supervisor reports into statuses and
 * events (handle_sv_event) and runs the time-based rules (engine_tick: realistic-timing
 * deletes, the 7-day auto start, maintenance windows, event retention).
 * Threads: the worker thread; engine_tick also from the admin clock call. */
#include "engine_internal.h"

#include <assert.h>
#include <string.h>
#include <time.h>

enum { EVENT_RETENTION_DAYS = 14, WORKER_POLL_MS = 50, TICK_EVERY_MS = 1000 };

/* Records what the supervisor reported for one instance, found directly by its resource
 * id (the supervisor's key). The row is re-read under the instance's lock so a concurrent
 * delete or stop is never overwritten (a stale write would bring a deleted instance back). */
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
        {
            pthread_mutex_t *mu = engine__instance_lock(e, found->region, found->id);
            engine__lock(mu);
            db_instance *d;
            if (store_instance_get(s, a, found->region, found->id, &d, &err) == 0 && d &&
                strcmp(d->resource_id, ev->key) == 0 && model_status_runs(d->status) &&
                store_begin(s, &err) == 0) {
                int rc = 0;
                switch (ev->kind) {
                case SV_EV_CRASHED:
                    rc = engine__event(e, s, d, RULES_EV_RECOVERY_STARTED, NULL, &err);
                    break;
                case SV_EV_RECOVERED:
                    rc = engine__event(e, s, d, RULES_EV_RECOVERY_FINISHED, NULL, &err);
                    break;
                case SV_EV_FAILED:
                    d->status = "failed";
                    d->shown_status = NULL;
                    d->shown_until_ms = 0;
                    rc = store_instance_put(s, d, &err) ||
                         engine__event(e, s, d, RULES_EV_FAILED, "failed", &err);
                    break;
                }
                if (rc || store_commit(s, &err))
                    store_rollback(s);
            }
            engine__unlock(mu);
        }
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
    if (store_instance_all(s, a, &all, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            db_instance *d = all[i];
            pthread_mutex_t *mu = engine__instance_lock(e, d->region, d->id);
            engine__lock(mu);
            /* Re-read under the lock: an operation may have changed it meanwhile. */
            db_instance *cur;
            if (store_instance_get(s, a, d->region, d->id, &cur, &err) == 0 && cur) {
                if (strcmp(cur->status, "deleted") == 0 && now >= cur->shown_until_ms) {
                    /* realistic timing: the row stayed visible as "deleting" until now */
                    if (store_begin(s, &err) == 0) {
                        if (store_instance_delete(s, cur->region, cur->id, &err) ||
                            store_commit(s, &err))
                            store_rollback(s);
                    }
                } else if (strcmp(cur->status, "stopped") == 0 &&
                           rules_stop_expired(cur->stopped_at_ms, now)) {
                    /* AWS starts a stopped instance again after 7 days. */
                    sv_instance_spec spec = engine__spec(a, cur);
                    if (e->cfg.no_engine || (e->sv && sv_instance_start(e->sv, &spec, &err) == 0)) {
                        engine__set_status(e, cur, "available", "starting");
                        cur->stopped_at_ms = 0;
                        if (store_begin(s, &err) == 0) {
                            if (store_instance_put(s, cur, &err) ||
                                engine__event(e, s, cur, RULES_EV_AUTO_STARTED_AFTER_7_DAYS, NULL, &err) ||
                                store_commit(s, &err))
                                store_rollback(s);
                        }
                    }
                } else if (strcmp(cur->status, "available") == 0 && cur->maintenance_window &&
                           (rules_in_maintenance_window(cur->maintenance_window, now) ||
                            window_started_between(cur->maintenance_window, prev, now))) {
                    if (engine__apply_pending(e, s, a, cur, &err))
                        log_at(LOG_WARN, "engine", "could not apply pending modifications to \"%s\": %s",
                               cur->id, err.message);
                }
            }
            engine__unlock(mu);
            rds_error_clear(&err);
        }
    }
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
        int64_t now = rds_real_now_ms();
        if (now - e->last_tick_ms >= TICK_EVERY_MS) {
            e->last_tick_ms = now;
            engine_tick(e);
        }
    }
    return NULL;
}

