/* engine.c: engine lifetime (open, reconcile at start-up, close) and the admin
 * operations (reset, clock). The worker thread lives in worker.c, the operation runner
 * and locks in op.c, the resource registry in registry.c, the families in their folders.
 * Threads: engine_open/engine_close from the main thread; the admin calls from HTTP threads. */
#include "engine_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* Missing parents are made 0755 (the postgres user may need to traverse them), the leaf
 * with mode. */
static int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(buf, mode) && errno != EEXIST)
        return -1;
    return 0;
}

static bool is_discarded(const db_instance *d)
{
    return strcmp(d->status, "creating") == 0 || strcmp(d->status, "deleted") == 0 ||
           strcmp(d->status, "deleting") == 0;
}

/* After a restart or a kill -9: instances caught mid-create never got an answer, so they
 * are removed (a failed request changes nothing); mid-delete ones are finished; the
 * supervisor adopts or starts what should run. A data dir the model has no row for is
 * never removed: the supervisor moves it to quarantine. The directories go first and the
 * rows after, so a kill -9 in between finds the rows again and finishes the job. */
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
    size_t kept = 0, n_discard = 0;
    sv_instance_spec *specs = arena_alloc(a, (n + 1) * sizeof *specs);
    bool *run = arena_alloc(a, (n + 1) * sizeof *run);
    const char **discard = arena_alloc(a, (n + 1) * sizeof *discard);
    for (size_t i = 0; i < n; i++) {
        db_instance *d = all[i];
        if (is_discarded(d)) {
            discard[n_discard++] = d->resource_id;
            continue;
        }
        specs[kept] = engine__spec(a, d);
        run[kept] = model_status_runs(d->status);
        kept++;
    }
    bool start_failed = false;
    if (e->sv && !e->cfg.no_engine && sv_reconcile(e->sv, specs, run, kept, discard, n_discard, err)) {
        /* One instance that cannot be started must not keep rdslocal (and every other
         * instance) down: it is put into "failed", as a crash loop would be. */
        log_at(LOG_WARN, "engine", "reconcile: %s (%s)", err->message, err->detail);
        rds_error_clear(err);
        start_failed = true;
    }
    if (store_begin(s, err))
        goto done;
    for (size_t i = 0; i < n; i++) {
        db_instance *d = all[i];
        if (is_discarded(d)) {
            if (store_instance_delete(s, d->region, d->id, err) ||
                engine__forget(e, s, a, &engine__kind_instance, d->region, d->id, err)) {
                store_rollback(s);
                goto done;
            }
            continue;
        }
        /* Transitional statuses settle: the process work they stood for is redone above. */
        d->shown_status = NULL;
        d->shown_until_ms = 0;
        if (store_instance_put(s, d, err)) {
            store_rollback(s);
            goto done;
        }
    }
    if (store_commit(s, err))
        goto done;
    /* snapshots: files of unfinished or deleted ones go, unknown entries are quarantined */
    if (engine__snapshots_reconcile(e, s, err))
        goto done;
    if (e->sv && !e->cfg.no_engine && sv_wal_reconcile(e->sv, err)) /* pitr: copies cut short */
        goto done;
    if (start_failed) {
        for (size_t i = 0; i < n; i++) {
            db_instance *d = all[i];
            if (is_discarded(d) || !model_status_runs(d->status) || sv_instance_running(e->sv, d->resource_id))
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
    engine__replicas_orphaned(e, NULL); /* read replicas whose source was deleted before a crash */
    rc = 0;
done:
    arena_free(a);
    return rc;
}

/* ---- the state dir before use ---- */

/* True if dir has any entry besides . and .. (false if it does not exist). */
static bool dir_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *ent;
    bool any = false;
    while (!any && (ent = readdir(d)) != NULL)
        any = strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0;
    closedir(d);
    return any;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* e->quarantined: what <state_dir>/quarantine/ holds now. */
static void list_quarantine(engine *e)
{
    char q[4096];
    snprintf(q, sizeof q, "%s/quarantine", e->cfg.state_dir);
    DIR *d = opendir(q);
    if (!d)
        return;
    struct dirent *ent;
    size_t cap = 0;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        if (e->n_quarantined == cap) {
            cap = cap ? 2 * cap : 8;
            char **bigger = realloc(e->quarantined, cap * sizeof *bigger);
            if (!bigger)
                break;
            e->quarantined = bigger;
        }
        size_t len = strlen(q) + strlen(ent->d_name) + 2;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s/%s", q, ent->d_name);
        e->quarantined[e->n_quarantined++] = p;
    }
    closedir(d);
    if (e->n_quarantined)
        qsort(e->quarantined, e->n_quarantined, sizeof *e->quarantined, cmp_str);
    for (size_t i = 0; i < e->n_quarantined; i++)
        log_at(LOG_WARN, "engine", "in quarantine (no instance owns it): \"%s\"", e->quarantined[i]);
}

/* A WAL or SHM file left beside a missing or empty database would be replayed into the new
 * one: it is moved to quarantine instead. */
static int set_aside_stale(engine *e, const char *suffix, rds_error *err)
{
    char from[4096], qdir[4096], to[4200], stamp[32];
    snprintf(from, sizeof from, "%s%s", e->db_path, suffix);
    if (access(from, F_OK) != 0)
        return 0;
    snprintf(qdir, sizeof qdir, "%s/quarantine", e->cfg.state_dir);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(to, sizeof to, "%s/rdslocal.db%s-%s", qdir, suffix, stamp);
    if ((mkdir(qdir, 0700) != 0 && errno != EEXIST) || rename(from, to) != 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not move \"%s\" to quarantine: %s", from,
                        strerror(errno));
    log_at(LOG_WARN, "engine", "moved \"%s\", left beside a missing or empty state database, to quarantine \"%s\"",
           from, to);
    return 0;
}

/* Checks rdslocal.db before anything writes to it, then creates it (or narrows it) 0600
 * so SQLite's WAL and SHM files, which take the database's mode, are 0600 too. */
static int prepare_db_file(engine *e, engine_state_verdict *verdict, rds_error *err)
{
    store_file_state st;
    if (store_inspect(&st, e->db_path, err)) {
        *verdict = st == STORE_FILE_TOO_NEW ? ENGINE_STATE_DB_TOO_NEW : ENGINE_STATE_DB_DAMAGED;
        char hint[256];
        snprintf(hint, sizeof hint, st == STORE_FILE_TOO_NEW
                 ? "; start the newer rdslocal that wrote it, or restore a backup of the file (it was not changed)"
                 : "; restore the file from a backup, or repair it with the sqlite3 tool (it was not changed)");
        strncat(err->message, hint, sizeof err->message - strlen(err->message) - 1);
        return -1;
    }
    char inst[4096];
    snprintf(inst, sizeof inst, "%s/instances", e->cfg.state_dir);
    if (st == STORE_FILE_ABSENT) {
        if (dir_has_entries(inst)) {
            if (!e->cfg.quarantine_unknown) {
                *verdict = ENGINE_STATE_DB_MISSING;
                return rds_fail(err, RDS_E_INTERNAL_FAILURE,
                                "state database \"%s\" is missing or empty, but \"%s\" holds instance data "
                                "dirs; nothing was changed. Restore the database file from a backup, or start "
                                "with --quarantine-unknown to begin with a new database and move those dirs to "
                                "\"%s/quarantine\"", e->db_path, inst, e->cfg.state_dir);
            }
            log_at(LOG_WARN, "engine", "state database \"%s\" is missing or empty: starting with a new one; the "
                   "data dirs under \"%s\" go to quarantine (--quarantine-unknown)", e->db_path, inst);
        }
        if (set_aside_stale(e, "-wal", err) || set_aside_stale(e, "-shm", err))
            return -1;
    }
    int fd = open(e->db_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not open state database \"%s\": %s", e->db_path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    const char *sides[] = { "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", e->db_path, sides[i]);
        if (chmod(p, 0600) != 0 && errno != ENOENT)
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not set the mode of \"%s\": %s", p,
                            strerror(errno));
    }
    return 0;
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
    return engine_open_checked(out, NULL, cfg, err);
}

size_t engine_quarantined(const engine *e, const char *const **out)
{
    *out = (const char *const *)e->quarantined;
    return e->n_quarantined;
}

int engine_open_checked(engine **out, engine_state_verdict *verdict, const engine_config *cfg, rds_error *err)
{
    engine_state_verdict ignored;
    if (!verdict)
        verdict = &ignored;
    *verdict = ENGINE_STATE_OK;
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

    /* The state dir holds the model and every instance's data: its owner only. As root
     * with instances, the supervisor makes it 0710 with the postgres user's group (sv_open)
     * instead: narrowing it here first would cut off postgres servers left running by a
     * killed rdslocal until then. */
    bool sv_sets_mode = geteuid() == 0 && !e->cfg.no_engine;
    if (mkdir_p(e->cfg.state_dir, 0700) || (!sv_sets_mode && chmod(e->cfg.state_dir, 0700) != 0)) {
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
    e->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (e->lock_fd >= 0 && fchmod(e->lock_fd, 0600) != 0)
        log_at(LOG_WARN, "engine", "could not set the mode of \"%s\": %s", lock_path, strerror(errno));
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
    if (prepare_db_file(e, verdict, err)) {
        engine_close(e);
        return -1;
    }
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
    list_quarantine(e);
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
    engine__faults_close(e); /* fault injection: no stopped postgres, no storage-full left */
    engine__autobackup_stop(e); /* automated backups: a backup in progress finishes first */
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
    for (size_t i = 0; i < e->n_quarantined; i++)
        free(e->quarantined[i]);
    free(e->quarantined);
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
    engine__faults_reset(e); /* fault injection: every fault ends, the list empties */
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
    engine__snapshots_remove_all_files(e, s);
    engine__pitr_reset(e); /* pitr: WAL archives */
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
    if (store_meta_set(s, "clock_offset_ms", buf, err) ||
        engine__pitr_clock_record(e, s, rds_real_now_ms(), rds_clock_offset_ms(), off, err) || /* pitr */
        store_commit(s, err)) {
        store_rollback(s);
        return -1;
    }
    rds_clock_set_offset_ms(off);
    engine_tick(e);
    return 0;
}
