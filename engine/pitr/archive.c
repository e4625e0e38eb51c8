/* archive.c: the WAL archive's upkeep for the engine (the files themselves: supervisor
 * sv_wal.c). An instance archives while its BackupRetentionPeriod > 0 (spec.archive_wal).
 *
 * engine__pitr_poll (worker thread, every POLL_MS) ships every running archiving
 * instance's finished segments and turns the restorable real instant the supervisor
 * reports into LatestRestorableTime (model clock): kept in memory for views, and written
 * to the instance row when it moved by STORE_EVERY_MS or more (so a restart of rdslocal
 * keeps a recent value without a store write per poll), and when a burst of writes is fully
 * archived (so the value a deletion freezes for retained backups is exact). While the
 * last poll found the archive caught up (no WAL written since the last archived segment:
 * an idle server), views show the time of that poll: an idle instance trails the clock
 * by at most POLL_MS. A restore first ships until the archive covers its target
 * (pitr__ship_until).
 *
 * A retention change made while the server runs (ModifyDBInstance 0 <-> N) is seen here:
 * the server's archive_command is switched by sv_instance_reconfigure (a reload) the
 * first time the poll meets the new state.
 *
 * Encrypted instances: the archive has its own data key, made under the instance's KMS
 * key at the first segment and kept wrapped beside the segments (datakey.kms); it is
 * unwrapped for each ship. A disabled key stops shipping (the server is stopped anyway:
 * instances/encryption.c). */
#include "pitr/pitr.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { POLL_MS = 250, STORE_EVERY_MS = 1000, FRESH_MS = 1500, WRAPPED_MAX = 4096 };

typedef struct arch_state {
    char rid[48];
    bool archiving;          /* what the server was last configured with by the poll */
    int64_t restorable_real; /* newest restorable real instant; -1 unknown */
    int64_t polled_real;     /* when the last ship ran */
    bool caught_up;          /* the last ship found nothing written since the archive's end */
} arch_state;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static arch_state *states;
static size_t nstates, capstates;

static arch_state *state_of(const char *rid, bool create)
{
    for (size_t i = 0; i < nstates; i++)
        if (strcmp(states[i].rid, rid) == 0)
            return &states[i];
    if (!create)
        return NULL;
    if (nstates == capstates) {
        size_t cap = capstates ? capstates * 2 : 16;
        arch_state *n = realloc(states, cap * sizeof *n);
        if (!n)
            return NULL;
        states = n;
        capstates = cap;
    }
    arch_state *s = &states[nstates++];
    memset(s, 0, sizeof *s);
    snprintf(s->rid, sizeof s->rid, "%s", rid);
    s->restorable_real = -1;
    return s;
}

static void state_drop(const char *rid)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nstates; i++)
        if (strcmp(states[i].rid, rid) == 0) {
            states[i] = states[--nstates];
            break;
        }
    pthread_mutex_unlock(&mu);
}

bool engine__pitr_archives(const db_instance *d)
{
    /* a read replica keeps no archive of its own (a server in recovery never archives) */
    return d->backup_retention_days > 0 && !(d->replica_source_resource_id && d->replica_source_resource_id[0]);
}

int pitr__archive_key(engine *e, store *s, arena *a, const char *resource_id, const char *kms_key_id, bool create,
                      unsigned char plain[32], unsigned char **wrapped, size_t *wrapped_n, rds_error *err)
{
    *wrapped = NULL;
    *wrapped_n = 0;
    unsigned char *buf = arena_alloc(a, WRAPPED_MAX);
    size_t n = 0;
    if (sv_wal_wrapped_key(e->sv, resource_id, buf, WRAPPED_MAX, &n, err))
        return -1;
    if (n > 0) {
        if (engine__kms_open_data_key(e, s, a, buf, n, plain, NULL, err))
            return -1;
        *wrapped = buf;
        *wrapped_n = n;
        return 0;
    }
    if (!create)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the WAL archive of %s has no data key", resource_id);
    return engine__kms_new_data_key(e, s, a, kms_key_id, plain, wrapped, wrapped_n, err);
}

/* One ship of d's archive; *restorable the real instant (or -1); *settled (may be NULL) true when
 * the archive just caught up with the server (the end of a burst of writes). */
static int ship(engine *e, store *s, arena *a, const db_instance *d, int64_t *restorable, bool *settled,
                rds_error *err)
{
    unsigned char key[32];
    sv_snapshot_crypt crypt = { 0 };
    if (d->storage_encrypted) {
        unsigned char *w;
        size_t wn;
        if (pitr__archive_key(e, s, a, d->resource_id, d->kms_key_id, true, key, &w, &wn, err))
            return -1;
        crypt = (sv_snapshot_crypt){ key, w, wn };
    }
    int64_t before = rds_real_now_ms();
    int rc = sv_wal_ship(e->sv, d->resource_id, &crypt, restorable, err);
    OPENSSL_cleanse(key, sizeof key);
    if (rc == 0) {
        pthread_mutex_lock(&mu);
        arch_state *st = state_of(d->resource_id, true);
        if (st) {
            bool was = st->caught_up;
            st->polled_real = before;
            st->caught_up = *restorable >= before - 2;
            if (settled)
                *settled = st->caught_up && !was;
            if (*restorable > st->restorable_real)
                st->restorable_real = *restorable;
        }
        pthread_mutex_unlock(&mu);
    }
    return rc;
}

int64_t pitr__ship_until(engine *e, store *s, const db_instance *d, int64_t target_real_ms, int timeout_ms)
{
    int64_t best = -1, deadline = rds_real_now_ms() + timeout_ms;
    arena *a = arena_new();
    for (;;) {
        rds_error err = { 0 };
        int64_t r = -1;
        if (ship(e, s, a, d, &r, NULL, &err))
            log_at(LOG_WARN, "pitr", "could not ship the WAL of \"%s\": %s (%s)", d->id, err.message, err.detail);
        if (r > best)
            best = r;
        if (best >= target_real_ms || rds_real_now_ms() > deadline)
            break;
        nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
    }
    arena_free(a);
    return best;
}

/* The row's LatestRestorableTime moves forward (re-read under the instance's lock). */
typedef struct lrt_ctx {
    int64_t model_ms;
    db_instance *d;
} lrt_ctx;

static int lrt_load(engine_op *op, rds_error *err)
{
    lrt_ctx *c = op->ctx;
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    op->done = !c->d || !engine__pitr_archives(c->d) || c->d->latest_restorable_ms >= c->model_ms;
    return 0;
}

static int lrt_write(engine_op *op, rds_error *err)
{
    lrt_ctx *c = op->ctx;
    c->d->latest_restorable_ms = c->model_ms;
    return store_instance_put(op->s, c->d, err);
}

static void poll_one(engine *e, store *s, arena *a, db_instance *d)
{
    rds_error err = { 0 };
    bool want = engine__pitr_archives(d);
    pthread_mutex_lock(&mu);
    arch_state *st = state_of(d->resource_id, want);
    bool reconf = st && st->archiving != want;
    if (st)
        st->archiving = want;
    pthread_mutex_unlock(&mu);
    if (reconf) {
        /* only the archive switch: the rest of the server's settings stay the supervisor's
         * latest (this poll's copy of the row may be older than a reboot or modify) */
        if (sv_instance_set_archive_wal(e->sv, d->resource_id, want, &err))
            log_at(LOG_WARN, "pitr", "could not switch WAL archiving of \"%s\": %s", d->id, err.message);
        if (!want) { /* what the archiver handed over before the switch */
            sv_wal_delete_all(e->sv, d->resource_id, &err);
            state_drop(d->resource_id);
        }
        rds_error_clear(&err);
    }
    if (!want)
        return;
    int64_t r = -1;
    bool settled = false;
    if (ship(e, s, a, d, &r, &settled, &err)) {
        log_at(LOG_WARN, "pitr", "could not ship the WAL of \"%s\": %s (%s)", d->id, err.message, err.detail);
        return;
    }
    if (r < 0)
        return;
    int64_t model = engine__clock_model_of(e, s, r);
    /* at most once a second while writing, and once when a burst is fully archived (the
     * value a deletion freezes for retained backups is then the exact one) */
    if (model <= d->latest_restorable_ms || (model < d->latest_restorable_ms + STORE_EVERY_MS && !settled))
        return;
    engine_req req = { .e = e, .a = a, .region = d->region };
    lrt_ctx c = { .model_ms = model };
    engine_op op = { .r = &req, .kind = "db", .name = d->id, .ctx = &c, .load = lrt_load, .write = lrt_write };
    if (engine__run(&op, &err))
        log_at(LOG_WARN, "pitr", "could not record LatestRestorableTime of \"%s\": %s", d->id, err.message);
}

void engine__pitr_poll(engine *e)
{
    static int64_t last;
    int64_t now = rds_real_now_ms();
    if (now - last < POLL_MS || !e->sv || e->cfg.no_engine)
        return;
    last = now;
    rds_error err = { 0 };
    store *s = engine__store(e, &err);
    if (!s)
        return;
    arena *a = arena_new();
    db_instance **all;
    size_t n;
    if (store_instance_all(s, a, &all, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            /* not while being created or restored: the supervisor holds that server, and a
             * reconfigure would wait for the whole replay */
            if (model_status_runs(all[i]->status) && strcmp(all[i]->status, "creating") != 0 &&
                strcmp(all[i]->status, "deleted") != 0)
                poll_one(e, s, a, all[i]);
    arena_free(a);
}

int64_t engine__pitr_latest(engine *e, store *s, const db_instance *d)
{
    int64_t shown = d->latest_restorable_ms, real = -1, polled = -1;
    bool fresh_idle = false;
    pthread_mutex_lock(&mu);
    arch_state *st = state_of(d->resource_id, false);
    if (st) {
        real = st->restorable_real;
        fresh_idle = st->caught_up && rds_real_now_ms() - st->polled_real < FRESH_MS;
        polled = st->polled_real;
    }
    pthread_mutex_unlock(&mu);
    if (!engine__pitr_archives(d))
        return shown;
    if (fresh_idle) /* caught up at the last poll (at most POLL_MS ago): restorable up to it */
        real = polled;
    if (real >= 0) {
        int64_t m = engine__clock_model_of(e, s, real);
        if (m > shown)
            shown = m;
    }
    /* the newest automated backup is consistent on its own (its tar holds the WAL it needs):
     * its instant is restorable even before the archive has caught up after it */
    arena *a = arena_new();
    db_snapshot **snaps;
    size_t n = 0;
    rds_error err = { 0 };
    if (store_autobackup_snapshots(s, a, d->region, d->resource_id, false, &snaps, &n, &err) == 0 && n > 0 &&
        snaps[n - 1]->consistent_ms > shown)
        shown = snaps[n - 1]->consistent_ms;
    arena_free(a);
    return shown;
}

int engine__pitr_prune(engine *e, const char *resource_id, int64_t before_real_ms, rds_error *err)
{
    if (!e->sv || e->cfg.no_engine)
        return 0;
    return sv_wal_prune_before(e->sv, resource_id, before_real_ms, err);
}

int engine__pitr_forget(engine *e, const char *resource_id, rds_error *err)
{
    state_drop(resource_id);
    if (!e->sv || e->cfg.no_engine)
        return 0;
    return sv_wal_delete_all(e->sv, resource_id, err);
}

void engine__pitr_reset(engine *e)
{
    pthread_mutex_lock(&mu);
    nstates = 0;
    pthread_mutex_unlock(&mu);
    rds_error err = { 0 };
    if (e->sv && !e->cfg.no_engine && sv_wal_delete_every(e->sv, &err))
        log_at(LOG_WARN, "pitr", "reset: could not remove WAL archives: %s", err.message);
}
