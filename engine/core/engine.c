/* engine.c: engine lifetime (open, reconcile at start-up, close) and the admin
 * operations (reset, clock). The worker thread lives in worker.c, the operation runner
 * and locks in op.c, the resource registry in registry.c, the families in their folders.
 * Threads: engine_open/engine_close from the main thread; the admin calls from HTTP threads. */
#include "engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void store_destroy(void *p)
{
    store_close(p);
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
                engine__forget(e, s, a, &engine__kind_instance, d->region, d->id, err)) {
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
        specs[kept] = engine__spec(a, d);
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
    if (pthread_create(&e->worker, NULL, engine__worker_main, e) == 0)
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
