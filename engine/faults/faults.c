/* faults.c: fault injection on an instance's real processes -- start, end (by time, by
 * request, or for storage-full when AllocatedStorage grows), the list, and the worker's
 * tick. The supervisor does the process work (sv_fault.c, and maz's sv_standby_* for the
 * standby kinds); this file decides, keeps the table and records statuses and events.
 *
 * Events (rules_events.c, "fault injection" block), as AWS records the situation:
 *   kill-primary   none of its own: the crash it causes is recorded as a real one
 *                  (RDS-EVENT-0020/0021 crash recovery of a single-AZ instance; the
 *                  Multi-AZ failover's events otherwise)
 *   kill-standby,
 *   cut-standby    RDS-EVENT-0052 "Multi-AZ instance recovery started" at the start,
 *                  RDS-EVENT-0053 "... completed" when the standby is back (a killed
 *                  standby: once the supervisor runs a new one, the fault staying
 *                  active until then, at most 120 s; a cut: once it is synchronous again)
 *   hang           no AWS id (RDS has none for an engine that stops answering):
 *                  "DB instance is not responding" / "... responding again"
 *   storage-full   RDS-EVENT-0007 "Allocated storage has been exhausted ..." and status
 *                  storage-full until the fault ends (then available again)
 * Faults live in memory only: nothing survives a restart of rdslocal (the supervisor
 * SIGCONTs and lifts storage-full at sv_open; the first tick turns a storage-full status
 * left by a killed rdslocal back to available).
 * Threads: HTTP (admin API); the faults timer, a thread of this file that ticks every
 * TICK_MS (ends, experiment steps) -- its own, so that slow process work (a cut standby
 * catching up) never delays the worker's crash handling, and offsets are kept to ~20 ms;
 * the worker only starts it; engine_reset/engine_close. */
#include "faults/faults_internal.h"
#include "core/timed_wait.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const KIND_NAMES[ENGINE_FAULT__COUNT] = {
    [ENGINE_FAULT_KILL_PRIMARY] = "kill-primary", [ENGINE_FAULT_KILL_STANDBY] = "kill-standby",
    [ENGINE_FAULT_HANG] = "hang",                 [ENGINE_FAULT_STORAGE_FULL] = "storage-full",
    [ENGINE_FAULT_CUT_STANDBY] = "cut-standby",
};
enum { DEFAULT_DURATION_MS = 30000, STORAGE_CHECK_EVERY_MS = 200, STANDBY_BACK_WAIT_MS = 120000, TICK_MS = 20 };

const char *engine_fault_kind_name(engine_fault_kind k)
{
    return (int)k >= 0 && k < ENGINE_FAULT__COUNT ? KIND_NAMES[k] : NULL;
}

bool engine_fault_kind_parse(const char *name, engine_fault_kind *out)
{
    for (int k = 0; name && k < ENGINE_FAULT__COUNT; k++)
        if (strcmp(name, KIND_NAMES[k]) == 0) {
            *out = (engine_fault_kind)k;
            return true;
        }
    return false;
}

static bool is_kill(engine_fault_kind k)
{
    return k == ENGINE_FAULT_KILL_PRIMARY || k == ENGINE_FAULT_KILL_STANDBY;
}

static bool needs_standby(engine_fault_kind k)
{
    return k == ENGINE_FAULT_KILL_STANDBY || k == ENGINE_FAULT_CUT_STANDBY;
}

struct engine_faults *faults__get(engine *e)
{
    static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
    struct engine_faults *t = __atomic_load_n(&e->faults, __ATOMIC_ACQUIRE);
    if (t)
        return t;
    pthread_mutex_lock(&init_mu);
    if (!e->faults) {
        t = calloc(1, sizeof *t);
        if (!t)
            abort();
        pthread_mutex_init(&t->mu, NULL);
        pthread_mutex_init(&t->pub_mu, NULL);
        pthread_cond_init(&t->cv, NULL);
        t->next_fault_id = t->next_experiment_id = 1;
        __atomic_store_n(&e->faults, t, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&init_mu);
    return e->faults;
}

void faults__unlock(struct engine_faults *t)
{
    if (t->dirty) {
        faults__experiments_refresh_locked(t);
        engine_fault_view *f = malloc((t->n ? t->n : 1) * sizeof *f);
        engine_experiment_view *x = malloc((t->nx ? t->nx : 1) * sizeof *x);
        if (!f || !x)
            abort();
        for (size_t i = 0; i < t->n; i++)
            f[i] = t->f[i].v;
        for (size_t i = 0; i < t->nx; i++)
            x[i] = t->x[i].v;
        pthread_mutex_lock(&t->pub_mu);
        free(t->pub_f);
        free(t->pub_x);
        t->pub_f = f;
        t->pub_n = t->n;
        t->pub_x = x;
        t->pub_nx = t->nx;
        pthread_mutex_unlock(&t->pub_mu);
        t->dirty = false;
    }
    pthread_mutex_unlock(&t->mu);
}

int faults__check_input(const engine_fault_in *in, rds_error *err)
{
    if (!engine_fault_kind_name(in->kind))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "unknown fault kind");
    if (!in->instance_id || !in->instance_id[0])
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "DBInstanceIdentifier is required");
    if (is_kill(in->kind) && in->duration_ms >= 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "a %s fault is instantaneous: it takes no duration", KIND_NAMES[in->kind]);
    if (!is_kill(in->kind) && in->duration_ms >= 0 &&
        (in->duration_ms < 1 || in->duration_ms > ENGINE_FAULT_MAX_DURATION_MS))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "the duration must be from 1 ms to %d s",
                        ENGINE_FAULT_MAX_DURATION_MS / 1000);
    if (in->offset_ms < 0 || in->offset_ms > ENGINE_FAULT_MAX_DURATION_MS)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "the offset must be from 0 to %d s",
                        ENGINE_FAULT_MAX_DURATION_MS / 1000);
    return 0;
}

/* ---- the instance's row: status and events, as engine_ops ---------------------------- */

typedef struct status_ctx {
    const char *from;           /* change only from this status (NULL: any running one) */
    const char *to;             /* NULL: leave the status */
    rules_event_id ev;
    bool has_event;
    db_instance *d;
} status_ctx;

static int status_load(engine_op *op, rds_error *err)
{
    status_ctx *c = op->ctx;
    if (store_instance_get(op->s, op->r->a, op->r->region, op->name, &c->d, err))
        return -1;
    op->done = !c->d || strcmp(c->d->status, "deleted") == 0 ||
               (c->from && strcmp(c->d->status, c->from) != 0);
    return 0;
}

static int status_write(engine_op *op, rds_error *err)
{
    status_ctx *c = op->ctx;
    if (c->to) {
        engine__set_status(op->r->e, c->d, c->to, NULL);
        if (store_instance_put(op->s, c->d, err))
            return -1;
    }
    return c->has_event ? engine__event(op->r->e, op->s, c->d, c->ev, NULL, err) : 0;
}

/* Records an event and/or a status change on the instance (a missing instance, or one
 * not in `from`, is left alone). */
static int record(engine *e, const char *region, const char *id, const char *from, const char *to,
                  bool has_event, rules_event_id ev, rds_error *err)
{
    arena *a = arena_new();
    engine_req r = { .e = e, .a = a, .region = region };
    status_ctx c = { .from = from, .to = to, .ev = ev, .has_event = has_event };
    engine_op op = { .r = &r, .kind = "db", .name = id, .ctx = &c, .load = status_load, .write = status_write };
    int rc = engine__run(&op, err);
    arena_free(a);
    return rc;
}

/* ---- start -------------------------------------------------------------------------- */

/* The instance a request names, checked for the kind. *gib its AllocatedStorage. */
static int load_target(engine *e, const engine_fault_in *in, const char *region, char *id_out, size_t id_n,
                       char *key_out, size_t key_n, int64_t *gib, rds_error *err)
{
    store *s = engine__store(e, err);
    if (!s)
        return -1;
    arena *a = arena_new();
    char *id = rds_lower(arena_strdup(a, in->instance_id));
    db_instance *d = NULL;
    int rc = store_instance_get(s, a, region, id, &d, err);
    if (rc == 0 && (!d || strcmp(d->status, "deleted") == 0))
        rc = rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    else if (rc == 0 && (e->cfg.no_engine || !e->sv))
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                      "faults act on real postgres processes: rdslocal runs in API-only mode");
    else if (rc == 0 && (!model_status_runs(d->status) || strcmp(d->status, "creating") == 0))
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "Instance %s is not in available state.", id);
    else if (rc == 0 && needs_standby(in->kind) && !d->multi_az)
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                      "Instance %s has no standby: it is not a Multi-AZ instance.", id);
    if (rc == 0) {
        snprintf(id_out, id_n, "%s", d->id);
        snprintf(key_out, key_n, "%s", d->resource_id);
        *gib = d->allocated_storage_gib;
    }
    arena_free(a);
    return rc;
}

static fault *add_fault(struct engine_faults *t)
{
    if (t->n == t->cap) {
        /* forget the oldest ended fault when the history is full */
        size_t ended = 0;
        for (size_t i = 0; i < t->n; i++)
            ended += !t->f[i].v.active;
        if (ended >= FAULTS_KEEP_ENDED) {
            for (size_t i = 0; i < t->n; i++)
                if (!t->f[i].v.active) {
                    memmove(&t->f[i], &t->f[i + 1], (t->n - i - 1) * sizeof *t->f);
                    t->n--;
                    break;
                }
        } else {
            size_t cap = t->cap ? 2 * t->cap : 16;
            fault *bigger = realloc(t->f, cap * sizeof *bigger);
            if (!bigger)
                abort();
            t->f = bigger;
            t->cap = cap;
        }
    }
    fault *f = &t->f[t->n++];
    memset(f, 0, sizeof *f);
    return f;
}

/* The process work that starts a fault. */
static int act_start(engine *e, fault *f, rds_error *err)
{
    const char *key = f->key;
    switch (f->v.kind) {
    case ENGINE_FAULT_KILL_PRIMARY:
    case ENGINE_FAULT_KILL_STANDBY: {
        int pid = 0;
        sv_fault_node node = f->v.kind == ENGINE_FAULT_KILL_PRIMARY ? SV_NODE_PRIMARY : SV_NODE_STANDBY;
        if (sv_fault_kill(e->sv, key, node, &pid, err))
            return -1;
        f->killed_pid = pid;
        snprintf(f->v.outcome, sizeof f->v.outcome, "killed the %s postmaster, pid %d",
                 node == SV_NODE_PRIMARY ? "primary" : "standby", pid);
        return 0;
    }
    case ENGINE_FAULT_HANG:
        return sv_fault_freeze(e->sv, key, SV_NODE_PRIMARY, true, err);
    case ENGINE_FAULT_STORAGE_FULL:
        return sv_fault_storage_full(e->sv, key, true, err);
    case ENGINE_FAULT_CUT_STANDBY:
        return sv_standby_cut(e->sv, key, true, err);
    case ENGINE_FAULT__COUNT:
        break;
    }
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "unknown fault kind");
}

int faults__start_locked(engine *e, struct engine_faults *t, const engine_fault_in *in, int64_t experiment_id,
                         engine_fault_view *out, rds_error *err)
{
    if (faults__check_input(in, err))
        return -1;
    const char *region = in->region && in->region[0] ? in->region : e->cfg.default_region;
    char id[64], key[80];
    int64_t gib = 0;
    if (load_target(e, in, region, id, sizeof id, key, sizeof key, &gib, err))
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        const fault *o = &t->f[i];
        if (o->v.active && o->v.kind == in->kind && strcmp(o->key, key) == 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                            "a %s fault (id %lld) is already active on instance %s", KIND_NAMES[in->kind],
                            (long long)o->v.id, id);
    }
    fault nf = { .storage_gib_at_start = gib };
    nf.v.kind = in->kind;
    nf.v.experiment_id = experiment_id;
    snprintf(nf.v.instance_id, sizeof nf.v.instance_id, "%s", id);
    snprintf(nf.v.region, sizeof nf.v.region, "%s", region);
    snprintf(nf.key, sizeof nf.key, "%s", key);
    nf.v.start_ms = rds_real_now_ms();
    int64_t dur = in->duration_ms >= 0 ? in->duration_ms : DEFAULT_DURATION_MS;
    nf.v.end_ms = in->kind == ENGINE_FAULT_KILL_PRIMARY   ? nf.v.start_ms
                  : in->kind == ENGINE_FAULT_KILL_STANDBY ? nf.v.start_ms + STANDBY_BACK_WAIT_MS
                                                          : nf.v.start_ms + dur;
    nf.v.active = in->kind != ENGINE_FAULT_KILL_PRIMARY;
    if (act_start(e, &nf, err))
        return -1;
    rds_error ev_err;
    rds_error_clear(&ev_err);
    switch (in->kind) {
    case ENGINE_FAULT_HANG:
        record(e, region, id, NULL, NULL, true, RULES_EV_NOT_RESPONDING, &ev_err);
        break;
    case ENGINE_FAULT_STORAGE_FULL:
        record(e, region, id, NULL, "storage-full", true, RULES_EV_STORAGE_FULL, &ev_err);
        break;
    case ENGINE_FAULT_KILL_STANDBY:
    case ENGINE_FAULT_CUT_STANDBY:
        record(e, region, id, NULL, NULL, true, RULES_EV_MULTI_AZ_RECOVERY_STARTED, &ev_err);
        break;
    default:
        break;
    }
    if (ev_err.code)
        log_at(LOG_WARN, "faults", "could not record the start of a %s fault on \"%s\": %s", KIND_NAMES[in->kind],
               id, ev_err.message);
    nf.v.id = t->next_fault_id++;
    fault *f = add_fault(t);
    *f = nf;
    t->dirty = true;
    if (out)
        *out = f->v;
    log_at(LOG_INFO, "faults", "fault %lld %s started on instance \"%s\" until=%lld", (long long)f->v.id,
           KIND_NAMES[in->kind], id, (long long)f->v.end_ms);
    return 0;
}

/* ---- end ---------------------------------------------------------------------------- */

void faults__end_locked(engine *e, struct engine_faults *t, fault *f, const char *outcome)
{
    if (!f->v.active)
        return;
    rds_error err;
    rds_error_clear(&err);
    const char *region = f->v.region, *id = f->v.instance_id;
    bool gone = false;
    switch (f->v.kind) {
    case ENGINE_FAULT_HANG:
        if (sv_fault_freeze(e->sv, f->key, SV_NODE_PRIMARY, false, &err) == 0)
            record(e, region, id, NULL, NULL, true, RULES_EV_RESPONDING_AGAIN, &err);
        break;
    case ENGINE_FAULT_STORAGE_FULL:
        if (sv_fault_storage_full(e->sv, f->key, false, &err) != 0)
            gone = err.code == RDS_E_DB_INSTANCE_NOT_FOUND;
        rds_error_clear(&err);
        record(e, region, id, "storage-full", "available", false, 0, &err);
        break;
    case ENGINE_FAULT_CUT_STANDBY:
        /* returns once the standby caught up and is synchronous again */
        if (sv_standby_cut(e->sv, f->key, false, &err) == 0)
            record(e, region, id, NULL, NULL, true, RULES_EV_MULTI_AZ_RECOVERY_FINISHED, &err);
        break;
    case ENGINE_FAULT_KILL_STANDBY:
        if (f->recovered)
            record(e, region, id, NULL, NULL, true, RULES_EV_MULTI_AZ_RECOVERY_FINISHED, &err);
        break;
    default:
        break;
    }
    if (err.code && !gone && err.code != RDS_E_DB_INSTANCE_NOT_FOUND)
        log_at(LOG_WARN, "faults", "fault %lld: ending it: %s (%s)", (long long)f->v.id, err.message, err.detail);
    f->v.active = false;
    t->dirty = true;
    f->v.end_ms = rds_real_now_ms();
    snprintf(f->v.outcome, sizeof f->v.outcome, "%s", outcome);
    log_at(LOG_INFO, "faults", "fault %lld %s on instance \"%s\" ended: %s", (long long)f->v.id,
           KIND_NAMES[f->v.kind], id, outcome);
}

fault *faults__find_locked(struct engine_faults *t, int64_t id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->f[i].v.id == id)
            return &t->f[i];
    return NULL;
}

/* ---- the API ------------------------------------------------------------------------ */

int engine_fault_start(engine *e, const engine_fault_in *in, engine_fault_view *out, rds_error *err)
{
    if (faults__check_input(in, err))
        return -1;
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->mu);
    int rc = faults__start_locked(e, t, in, 0, out, err);
    faults__unlock(t);
    return rc;
}

int engine_fault_end(engine *e, int64_t id, engine_fault_view *out, rds_error *err)
{
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->mu);
    int rc = 0;
    fault *f = faults__find_locked(t, id);
    if (!f)
        rc = rds_fail(err, RDS_E_RESOURCE_NOT_FOUND_FAULT, "fault %lld not found", (long long)id);
    else if (!f->v.active)
        rc = rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION, "fault %lld has already ended (%s)",
                      (long long)id, f->v.outcome);
    else
        faults__end_locked(e, t, f, "ended by request");
    if (rc == 0 && out)
        *out = f->v;
    faults__unlock(t);
    return rc;
}

size_t engine_faults_list(engine *e, bool include_ended, engine_fault_view *out, size_t max)
{
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->pub_mu);
    size_t k = 0;
    for (size_t i = 0; i < t->pub_n && k < max; i++)
        if (include_ended || t->pub_f[i].active)
            out[k++] = t->pub_f[i];
    pthread_mutex_unlock(&t->pub_mu);
    return k;
}

/* ---- tick, reset ---------------------------------------------------------------------- */

/* A storage-full fault ends when its instance's AllocatedStorage grew (ModifyDBInstance
 * applied) or the instance is gone; else 0. */
static const char *storage_outcome(engine *e, const fault *f)
{
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(e, &err);
    if (!s)
        return NULL;
    arena *a = arena_new();
    db_instance *d = NULL;
    const char *why = NULL;
    if (store_instance_get(s, a, f->v.region, f->v.instance_id, &d, &err) == 0) {
        if (!d || strcmp(d->status, "deleted") == 0)
            why = "instance deleted";
        else if (d->allocated_storage_gib > f->storage_gib_at_start)
            why = "allocated storage increased";
    }
    arena_free(a);
    return why;
}

/* Instances an earlier rdslocal left in storage-full (killed during the fault) are
 * available again: faults survive nothing. */
static void reconcile_statuses(engine *e)
{
    rds_error err;
    rds_error_clear(&err);
    store *s = engine__store(e, &err);
    if (!s)
        return;
    arena *a = arena_new();
    db_instance **all;
    size_t n;
    if (store_instance_all(s, a, &all, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            if (strcmp(all[i]->status, "storage-full") == 0)
                record(e, all[i]->region, all[i]->id, "storage-full", "available", false, 0, &err);
    arena_free(a);
}

static void tick(engine *e)
{
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->mu);
    if (!t->reconciled) {
        t->reconciled = true;
        reconcile_statuses(e);
    }
    int64_t now = rds_real_now_ms();
    bool check_storage = now - t->last_storage_check_ms >= STORAGE_CHECK_EVERY_MS;
    if (check_storage)
        t->last_storage_check_ms = now;
    for (size_t i = 0; i < t->n; i++) {
        fault *f = &t->f[i];
        if (!f->v.active)
            continue;
        const char *why = NULL;
        char back[96];
        int sb[1];
        if (f->v.kind == ENGINE_FAULT_KILL_STANDBY && sv_standby_pids(e->sv, f->key, sb, 1) == 1 &&
            sb[0] != f->killed_pid) {
            f->recovered = true;
            snprintf(back, sizeof back, "the standby is back, pid %d", sb[0]);
            why = back;
        } else if (now >= f->v.end_ms)
            why = f->v.kind == ENGINE_FAULT_KILL_STANDBY ? "the standby was not back within 120 s" : "expired";
        else if (f->v.kind == ENGINE_FAULT_STORAGE_FULL && check_storage)
            why = storage_outcome(e, f);
        if (why)
            faults__end_locked(e, t, f, why);
    }
    faults__experiments_tick_locked(e, t, now);
    faults__unlock(t);
}

static void *timer_main(void *arg)
{
    engine *e = arg;
    struct engine_faults *t = e->faults;
    for (;;) {
        pthread_mutex_lock(&t->mu);
        if (!t->stopping)
            engine__cond_wait_ms(&t->cv, &t->mu, TICK_MS);
        bool stop = t->stopping;
        pthread_mutex_unlock(&t->mu);
        if (stop)
            return NULL;
        tick(e);
    }
}

void engine__faults_tick(engine *e)
{
    struct engine_faults *t = faults__get(e);
    if (__atomic_load_n(&t->thread_started, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&t->mu);
    if (!t->thread_started && !t->stopping) {
        if (pthread_create(&t->thread, NULL, timer_main, e) == 0)
            __atomic_store_n(&t->thread_started, true, __ATOMIC_RELEASE);
        else
            log_at(LOG_ERROR, "faults", "could not start the faults timer thread");
    }
    pthread_mutex_unlock(&t->mu);
}

static void end_all(engine *e, const char *why)
{
    struct engine_faults *t = faults__get(e);
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->n; i++)
        faults__end_locked(e, t, &t->f[i], why);
    t->n = 0;
    faults__experiments_clear_locked(t);
    t->dirty = true;
    faults__unlock(t);
}

void engine__faults_reset(engine *e)
{
    end_all(e, "ended by reset");
}

void engine__faults_close(engine *e)
{
    if (!e->faults)
        return;
    struct engine_faults *t = e->faults;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (t->thread_started)
        pthread_join(t->thread, NULL);
    end_all(e, "ended: rdslocal is stopping");
    free(t->f);
    free(t->x);
    free(t->pub_f);
    free(t->pub_x);
    pthread_mutex_destroy(&t->pub_mu);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
    e->faults = NULL;
}
