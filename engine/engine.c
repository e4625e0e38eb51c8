/* engine.c: engine lifetime (open, reconcile, close), the worker thread that turns
 * supervisor reports into statuses and events and runs the time-based rules, the admin
 * operations (reset, clock), and helpers shared by the ops_*.c files.
 * Threads: HTTP threads call the ops; the worker thread owns sv_poll and engine_tick. */
#include "engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EVENT_RETENTION_DAYS = 14, WORKER_POLL_MS = 50, TICK_EVERY_MS = 1000 };

static void store_destroy(void *p)
{
    store_close(p);
}

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

static uint32_t hash_str(const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ '/') * 16777619u;
    for (const char *p = b; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

pthread_mutex_t *engine__instance_lock(engine *e, const char *region, const char *id)
{
    return &e->stripes[hash_str(region, id) % ENGINE_LOCK_STRIPES];
}

const char *engine__arn(engine *e, arena *a, const char *region, const char *type, const char *name)
{
    return arena_printf(a, "arn:aws:rds:%s:%s:%s:%s", region, e->cfg.account_id, type, name);
}

const char *engine_instance_arn(engine_req *r, const char *id)
{
    return engine__arn(r->e, r->a, r->region, "db", id);
}

const char *engine__default_kms_key(engine *e, arena *a, const char *region)
{
    uint32_t h1 = hash_str(region, "aws/rds"), h2 = hash_str(e->cfg.account_id, region);
    return arena_printf(a, "arn:aws:kms:%s:%s:key/%08x-%04x-4%03x-8%03x-%08x%04x", region,
                        e->cfg.account_id, h1, h2 & 0xffff, (h1 >> 4) & 0xfff, (h2 >> 8) & 0xfff,
                        h1 ^ h2, h2 >> 16);
}

int engine__event(engine *e, store *s, const db_instance *d, rules_event_id id, const char *arg,
                  rds_error *err)
{
    const rules_event_def *def = rules_event(id);
    char msg[512];
    if (def->nargs > 0)
        snprintf(msg, sizeof msg, def->message, arg ? arg : "");
    else
        snprintf(msg, sizeof msg, "%s", def->message);
    char arn[256];
    snprintf(arn, sizeof arn, "arn:aws:rds:%s:%s:db:%s", d->region, e->cfg.account_id, d->id);
    rds_event ev = { .region = d->region, .source_id = d->id, .source_type = "db-instance",
                     .source_arn = arn, .category = def->category, .message = msg,
                     .at_ms = rds_now_ms() };
    log_at(LOG_INFO, "event", "instance=\"%s\" region=%s category=\"%s\" message=\"%s\"", d->id,
           d->region, def->category, msg);
    return store_event_add(s, &ev, err);
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

sv_instance_spec engine__spec(const db_instance *d)
{
    static _Thread_local char major[16];
    snprintf(major, sizeof major, "%s", d->engine_version ? d->engine_version : "");
    char *dot = strchr(major, '.');
    if (dot)
        *dot = '\0';
    sv_instance_spec spec = { .key = d->resource_id, .major = major, .port = (int)d->port,
                              .master_username = NULL, .master_password = NULL, .db_name = NULL,
                              .max_connections = (int)d->max_connections, .shared_buffers_mb = 16 };
    return spec;
}

int engine__instance_view_ex(engine_req *r, store *s, db_instance *d, bool with_tags,
                             instance_view *out, rds_error *err)
{
    memset(out, 0, sizeof *out);
    out->inst = d;
    out->arn = engine__arn(r->e, r->a, d->region, "db", d->id);
    out->status = engine__shown_status(d, rds_now_ms());
    if (with_tags && store_tags_get(s, r->a, out->arn, &out->tags, &out->n_tags, err))
        return -1;
    char vpc[32];
    model_default_vpc(d->region, vpc, out->subnets);
    out->vpc_id = arena_strdup(r->a, vpc);
    out->n_subnets = DEFAULT_SUBNET_COUNT;
    out->subnet_group_description = "default";
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

/* ---- worker ---- */

/* Records what the supervisor reported for one instance. The row is re-read under the
 * instance's lock so a concurrent delete or stop is never overwritten (a stale write would
 * bring a deleted instance back). */
static void handle_sv_event(engine *e, const sv_event *ev)
{
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(e, &err);
    if (!s)
        return;
    arena *a = arena_new();
    db_instance **all;
    size_t n;
    if (store_instance_all(s, a, &all, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(all[i]->resource_id, ev->key) != 0)
                continue;
            pthread_mutex_t *mu = engine__instance_lock(e, all[i]->region, all[i]->id);
            pthread_mutex_lock(mu);
            db_instance *d;
            if (store_instance_get(s, a, all[i]->region, all[i]->id, &d, &err) == 0 && d &&
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
            pthread_mutex_unlock(mu);
            break;
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
            pthread_mutex_lock(mu);
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
                    sv_instance_spec spec = engine__spec(cur);
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
            pthread_mutex_unlock(mu);
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

static void *worker_main(void *arg)
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

/* ---- open / reconcile / close ---- */

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, mode) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(buf, mode) && errno != EEXIST)
        return -1;
    return 0;
}

/* After a restart or a kill -9: instances caught mid-create never got an answer, so they
 * are removed (a failed request changes nothing); mid-delete ones are finished; the
 * supervisor adopts or starts what should run and removes what belongs to nobody. */
static int reconcile(engine *e, rds_error *err)
{
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    arena *a = arena_new();
    db_instance **all;
    size_t n;
    int rc = -1;
    if (store_instance_all(s, a, &all, &n, err))
        goto done;
    if (store_begin(s, err))
        goto done;
    size_t kept = 0;
    sv_instance_spec *specs = arena_alloc(a, (n + 1) * sizeof *specs);
    bool *run = arena_alloc(a, (n + 1) * sizeof *run);
    for (size_t i = 0; i < n; i++) {
        db_instance *d = all[i];
        if (strcmp(d->status, "creating") == 0 || strcmp(d->status, "deleted") == 0 ||
            strcmp(d->status, "deleting") == 0) {
            if (store_instance_delete(s, d->region, d->id, err) ||
                store_tags_delete_all(s, engine__arn(e, a, d->region, "db", d->id), err)) {
                store_rollback(s);
                goto done;
            }
            continue;
        }
        /* Transitional statuses settle: the process work they stood for is redone below. */
        d->shown_status = NULL;
        d->shown_until_ms = 0;
        if (store_instance_put(s, d, err)) {
            store_rollback(s);
            goto done;
        }
        sv_instance_spec sp = engine__spec(d);
        sp.major = arena_strdup(a, sp.major);
        specs[kept] = sp;
        run[kept] = model_status_runs(d->status);
        kept++;
    }
    if (store_commit(s, err))
        goto done;
    if (e->sv && !e->cfg.no_engine && sv_reconcile(e->sv, specs, run, kept, err)) {
        /* One instance that cannot be started must not keep rdslocal (and every other
         * instance) down: it is put into "failed", as a crash loop would be. */
        log_at(LOG_WARN, "engine", "reconcile: %s (%s)", err->message, err->detail);
        rds_error_clear(err);
        for (size_t i = 0; i < n; i++) {
            db_instance *d = all[i];
            if (!model_status_runs(d->status) || strcmp(d->status, "creating") == 0 ||
                strcmp(d->status, "deleted") == 0 || sv_instance_running(e->sv, d->resource_id))
                continue;
            if (store_begin(s, err))
                goto done;
            d->status = "failed";
            d->shown_status = NULL;
            if (store_instance_put(s, d, err) ||
                engine__event(e, s, d, RULES_EV_FAILED, "failed", err) || store_commit(s, err)) {
                store_rollback(s);
                goto done;
            }
        }
    }
    rc = 0;
done:
    arena_free(a);
    return rc;
}

uint64_t engine_generation(const engine *e)
{
    (void)e;
    return store_generation();
}

const engine_config *engine_get_config(const engine *e)
{
    return &e->cfg;
}

int engine_open(engine **out, const engine_config *cfg, rds_error *err)
{
    engine *e = calloc(1, sizeof *e);
    if (!e)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    e->cfg = *cfg;
    e->lock_fd = -1;
    e->cfg.state_dir = xstrdup(cfg->state_dir);
    e->cfg.default_region = xstrdup(cfg->default_region ? cfg->default_region : "us-east-1");
    e->cfg.account_id = xstrdup(cfg->account_id ? cfg->account_id : "000000000000");
    e->cfg.endpoint_address = xstrdup(cfg->endpoint_address ? cfg->endpoint_address : "localhost");
    e->cfg.pg_user = xstrdup(cfg->pg_user);
    e->cfg.pg_bin_dirs = xstrdup(cfg->pg_bin_dirs);
    e->cfg.template_dir = xstrdup(cfg->template_dir);
    if (!e->cfg.port_min)
        e->cfg.port_min = 15432, e->cfg.port_max = 16431;
    pthread_key_create(&e->store_key, store_destroy);
    for (int i = 0; i < ENGINE_LOCK_STRIPES; i++)
        pthread_mutex_init(&e->stripes[i], NULL);
    pthread_mutex_init(&e->port_mu, NULL);
    pthread_mutex_init(&e->worker_mu, NULL);
    pthread_cond_init(&e->worker_cv, NULL);

    if (mkdir_p(e->cfg.state_dir, 0755)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not create state directory \"%s\": %s",
                 e->cfg.state_dir, strerror(errno));
        engine_close(e);
        return -1;
    }
    if (access(e->cfg.state_dir, W_OK | X_OK)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "state directory \"%s\" is not writable: %s",
                 e->cfg.state_dir, strerror(errno));
        engine_close(e);
        return -1;
    }
    /* Two rdslocal processes on one state dir would fight over the same postgres
     * processes: the second one is refused. The lock dies with the process (kill -9 too). */
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s/rdslocal.lock", e->cfg.state_dir);
    e->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (e->lock_fd < 0 || flock(e->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char other[32] = "";
        if (e->lock_fd >= 0) {
            ssize_t r = pread(e->lock_fd, other, sizeof other - 1, 0);
            other[r > 0 ? r : 0] = '\0';
            other[strcspn(other, "\n")] = '\0';
        }
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "state directory \"%s\" is in use by another rdslocal%s%s",
                 e->cfg.state_dir, other[0] ? " (pid " : "", other[0] ? other : "");
        if (other[0])
            strncat(err->message, ")", sizeof err->message - strlen(err->message) - 1);
        engine_close(e);
        return -1;
    }
    char pidbuf[32];
    int pl = snprintf(pidbuf, sizeof pidbuf, "%d\n", (int)getpid());
    if (ftruncate(e->lock_fd, 0) == 0 && pwrite(e->lock_fd, pidbuf, (size_t)pl, 0) < 0)
        log_at(LOG_WARN, "engine", "could not write pid to \"%s\"", lock_path);
    size_t n = strlen(e->cfg.state_dir) + 32;
    e->db_path = malloc(n);
    snprintf(e->db_path, n, "%s/rdslocal.db", e->cfg.state_dir);
    store *s = engine__store(e, err);
    if (!s) {
        engine_close(e);
        return -1;
    }
    /* The clock never goes back: restore the persisted offset. */
    arena *a = arena_new();
    char *off = NULL;
    if (store_meta_get(s, a, "clock_offset_ms", &off, err) == 0 && off)
        rds_clock_set_offset_ms(strtoll(off, NULL, 10));
    arena_free(a);

    sv_config sc = { .state_dir = e->cfg.state_dir, .template_dir = e->cfg.template_dir,
                     .pg_user = e->cfg.pg_user, .pg_bin_dirs = e->cfg.pg_bin_dirs,
                     .spare_pool = e->cfg.no_engine ? 0 : e->cfg.spare_pool,
                     .versions_only = e->cfg.no_engine };
    if (sv_open(&e->sv, &sc, err)) {
        engine_close(e);
        return -1;
    }
    if (reconcile(e, err)) {
        engine_close(e);
        return -1;
    }
    e->last_tick_ms = rds_real_now_ms();
    /* A clock jump before the first tick must still find the windows it passed over. */
    e->last_model_tick_ms = rds_now_ms();
    if (pthread_create(&e->worker, NULL, worker_main, e) == 0)
        e->worker_started = true;
    *out = e;
    return 0;
}

void engine_close(engine *e)
{
    if (!e)
        return;
    if (e->worker_started) {
        pthread_mutex_lock(&e->worker_mu);
        e->stopping = true;
        pthread_cond_signal(&e->worker_cv);
        pthread_mutex_unlock(&e->worker_mu);
        pthread_join(e->worker, NULL);
    }
    sv_close(e->sv);
    store *s = pthread_getspecific(e->store_key);
    store_close(s);
    pthread_setspecific(e->store_key, NULL);
    free((char *)e->cfg.state_dir);
    free((char *)e->cfg.default_region);
    free((char *)e->cfg.account_id);
    free((char *)e->cfg.endpoint_address);
    free((char *)e->cfg.pg_user);
    free((char *)e->cfg.pg_bin_dirs);
    free((char *)e->cfg.template_dir);
    free(e->db_path);
    if (e->lock_fd > 0)
        close(e->lock_fd);
    free(e);
}

/* ---- admin ---- */

int engine_reset(engine *e, rds_error *err)
{
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    arena *a = arena_new();
    db_instance **all;
    size_t n;
    int rc = -1;
    for (int i = 0; i < ENGINE_LOCK_STRIPES; i++)
        pthread_mutex_lock(&e->stripes[i]);
    if (store_instance_all(s, a, &all, &n, err))
        goto done;
    if (e->sv && !e->cfg.no_engine)
        for (size_t i = 0; i < n; i++)
            if (sv_instance_delete(e->sv, all[i]->resource_id, err))
                log_at(LOG_WARN, "engine", "reset: could not remove instance \"%s\": %s", all[i]->id,
                       err->detail);
    if (store_begin(s, err))
        goto done;
    if (store_reset(s, err)) {
        store_rollback(s);
        goto done;
    }
    if (store_commit(s, err))
        goto done;
    rc = 0;
done:
    for (int i = ENGINE_LOCK_STRIPES - 1; i >= 0; i--)
        pthread_mutex_unlock(&e->stripes[i]);
    arena_free(a);
    return rc;
}

int engine_clock_advance(engine *e, int64_t by_ms, rds_error *err)
{
    if (by_ms < 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "the clock only moves forward");
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    int64_t off = rds_clock_offset_ms() + by_ms;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)off);
    if (store_begin(s, err))
        return -1;
    if (store_meta_set(s, "clock_offset_ms", buf, err) || store_commit(s, err)) {
        store_rollback(s);
        return -1;
    }
    rds_clock_set_offset_ms(off);
    engine_tick(e);
    return 0;
}
