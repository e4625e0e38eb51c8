/* sv_monitor.c: crash detection (sv_poll), automatic restarts, the event queue, and the
 * start-up reconcile. sv_poll runs on the engine's worker thread and never blocks: it
 * checks each running, not busy instance (waitpid(pid, WNOHANG) for our children,
 * kill(pid, 0) + /proc for adopted postmasters), and hands a restart to a short-lived
 * detached thread that owns the instance's busy flag until the restart is done; the
 * outcome comes back as an event on a later sv_poll. A crash loop (SV_CRASH_LIMIT
 * unexpected exits within SV_CRASH_WINDOW_MS) or a failed restart ends in FAILED. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Caller holds sv->mu. The ring drops the oldest event when full. */
static void push_locked(sv_supervisor *sv, sv_event_kind kind, const char *key, const char *detail)
{
    if (sv->ring_len == SV_EVENT_RING) {
        sv->ring_head = (sv->ring_head + 1) % SV_EVENT_RING;
        sv->ring_len--;
    }
    sv_event *ev = &sv->ring[(sv->ring_head + sv->ring_len++) % SV_EVENT_RING];
    ev->kind = kind;
    snprintf(ev->key, sizeof ev->key, "%s", key);
    snprintf(ev->detail, sizeof ev->detail, "%s", detail);
}

void sv__push_event(sv_supervisor *sv, sv_event_kind kind, const char *key, const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&sv->mu);
    push_locked(sv, kind, key, detail);
    pthread_mutex_unlock(&sv->mu);
}

static void *restart_main(void *arg)
{
    void **a = arg;
    sv_supervisor *sv = a[0];
    sv_inst *in = a[1];
    free(a);
    /* Orphaned backends keep the old shared memory segment attached and would make the
     * new postmaster refuse to start. */
    sv__kill_all_under(in->data);
    rds_error e = { 0 };
    int rc = sv__inst_spawn(sv, in, &e);
    if (rc == 0 && (rc = sv__inst_wait_ready(sv, in, &e)) != 0)
        sv__inst_kill(sv, in, true);
    pthread_mutex_lock(&sv->mu);
    if (rc == 0) {
        in->state = IS_RUNNING;
        char d[160];
        snprintf(d, sizeof d, "restarted, pid %d", (int)in->pid);
        push_locked(sv, SV_EV_RECOVERED, in->key, d);
        log_at(LOG_INFO, "supervisor", "instance \"%s\" recovered pid=%d", in->key, (int)in->pid);
    } else {
        in->state = IS_FAILED;
        char d[160];
        snprintf(d, sizeof d, "restart failed: %.80s (%.60s)", e.message, e.detail);
        push_locked(sv, SV_EV_FAILED, in->key, d);
        log_at(LOG_WARN, "supervisor", "instance \"%s\" failed: %s (%s)", in->key, e.message, e.detail);
    }
    sv->restarts_in_flight--;
    sv__release(sv, in);
    pthread_mutex_unlock(&sv->mu);
    return NULL;
}

/* Caller holds sv->mu; in is running and not busy. */
static void check_one(sv_supervisor *sv, sv_inst *in)
{
    int status = -1;
    bool dead;
    if (in->is_child) {
        pid_t r = waitpid(in->pid, &status, WNOHANG);
        dead = r == in->pid || (r < 0 && errno == ECHILD);
    } else {
        dead = !sv__pid_alive(in->pid);
    }
    if (!dead)
        return;
    char sbuf[64];
    sv__status_str(status, sbuf, sizeof sbuf);
    if (in->multi_az && in->sb_pid > 0) { /* Multi-AZ: fail over instead (sv_standby.c) */
        pid_t reaped = in->pid;
        in->pid = 0; /* reaped above: never signalled again */
        if (sv__standby_failover_async(sv, in, "The primary host of the RDS Multi-AZ instance is unhealthy."))
            return;
        in->pid = reaped;
    }
    log_at(LOG_WARN, "supervisor", "postgres for instance \"%s\" exited unexpectedly pid=%d status=\"%s\"",
           in->key, (int)in->pid, sbuf);
    char d[160];
    snprintf(d, sizeof d, "postmaster pid %d exited: %s", (int)in->pid, sbuf);
    push_locked(sv, SV_EV_CRASHED, in->key, d);
    in->pid = 0;
    in->is_child = false;
    in->state = IS_STOPPED;

    int64_t now = sv__mono_ms();
    if (in->ncrash == SV_CRASH_LIMIT) {
        memmove(in->crash_at_ms, in->crash_at_ms + 1, (SV_CRASH_LIMIT - 1) * sizeof in->crash_at_ms[0]);
        in->ncrash--;
    }
    in->crash_at_ms[in->ncrash++] = now;
    if (in->ncrash == SV_CRASH_LIMIT && now - in->crash_at_ms[0] <= SV_CRASH_WINDOW_MS) {
        in->state = IS_FAILED;
        snprintf(d, sizeof d, "%d unexpected exits within %d s; not restarting", SV_CRASH_LIMIT,
                 SV_CRASH_WINDOW_MS / 1000);
        push_locked(sv, SV_EV_FAILED, in->key, d);
        log_at(LOG_WARN, "supervisor", "instance \"%s\" failed: %s", in->key, d);
        return;
    }
    void **arg = malloc(2 * sizeof *arg);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (arg) {
        arg[0] = sv;
        arg[1] = in;
    }
    in->busy = true;
    sv->restarts_in_flight++;
    if (!arg || pthread_create(&t, &attr, restart_main, arg) != 0) {
        free(arg);
        in->busy = false;
        sv->restarts_in_flight--;
        in->state = IS_FAILED;
        push_locked(sv, SV_EV_FAILED, in->key, "could not start a restart thread");
    }
    pthread_attr_destroy(&attr);
}

size_t sv_poll(sv_supervisor *sv, sv_event *events, size_t max)
{
    pthread_mutex_lock(&sv->mu);
    for (size_t i = 0; i < sv->ninsts; i++) {
        sv_inst *in = sv->insts[i];
        if (!in->busy && in->state == IS_RUNNING && in->pid > 0)
            check_one(sv, in);
    }
    size_t n = 0;
    while (n < max && sv->ring_len > 0) {
        events[n++] = sv->ring[sv->ring_head];
        sv->ring_head = (sv->ring_head + 1) % SV_EVENT_RING;
        sv->ring_len--;
    }
    pthread_mutex_unlock(&sv->mu);
    return n;
}

/* ---- reconcile ---------------------------------------------------------------- */

static void keep_first(rds_error *first, bool *failed, const rds_error *e)
{
    if (!*failed && first)
        *first = *e;
    *failed = true;
}

static bool key_in(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i] && strcmp(keys[i], key) == 0)
            return true;
    return false;
}

/* Every entry of instances/ that no spec names: removed if the engine says it was
 * deleted or never finished creating (discard), else moved to quarantine. First, so the
 * ports of processes running there are free for the instances started after. */
static void settle_unlisted(sv_supervisor *sv, const sv_instance_spec *specs, size_t n,
                            const char *const *discard, size_t n_discard, rds_error *err, bool *failed)
{
    DIR *d = opendir(sv->instances_dir);
    if (!d)
        return;
    /* collect first: quarantining renames entries of the directory being read */
    size_t cap = 8, cnt = 0;
    char **keys = malloc(cap * sizeof *keys);
    struct dirent *ent;
    while (keys && (ent = readdir(d)) != NULL) {
        const char *key = ent->d_name;
        if (strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
            continue;
        bool listed = false;
        for (size_t i = 0; i < n && !listed; i++)
            listed = specs[i].key && strcmp(specs[i].key, key) == 0;
        if (listed)
            continue;
        if (cnt == cap) {
            char **bigger = realloc(keys, 2 * cap * sizeof *keys);
            if (!bigger)
                break;
            keys = bigger;
            cap *= 2;
        }
        keys[cnt++] = strdup(key);
    }
    closedir(d);
    for (size_t k = 0; keys && k < cnt; k++) {
        const char *key = keys[k];
        rds_error e = { 0 };
        if (!key) {
            continue;
        } else if (!key_in(key, discard, n_discard)) {
            if (sv_instance_quarantine(sv, key, NULL, 0, &e) != 0)
                keep_first(err, failed, &e);
        } else if (sv_instance_delete(sv, key, &e) != 0) {
            if (e.code == RDS_E_DB_INSTANCE_NOT_FOUND) { /* half-created: no data dir */
                char p[SV_PATH + 256];
                snprintf(p, sizeof p, "%s/%s", sv->instances_dir, key);
                sv__kill_all_under(p);
                if (sv__remove_tree(p, &e) == 0) {
                    free(keys[k]);
                    continue;
                }
            }
            keep_first(err, failed, &e);
        }
        free(keys[k]);
    }
    free(keys);
}

int sv_reconcile(sv_supervisor *sv, const sv_instance_spec *specs, const bool *should_run, size_t n,
                 const char *const *discard, size_t n_discard, rds_error *err)
{
    bool failed = false;
    settle_unlisted(sv, specs, n, discard, n_discard, err, &failed);
    sv_inst **waiting = calloc(n ? n : 1, sizeof *waiting);
    if (!waiting)
        abort();
    for (size_t i = 0; i < n; i++) {
        const sv_instance_spec *s = &specs[i];
        rds_error e = { 0 };
        if (sv__validate_spec(sv, s, &e) != 0) {
            keep_first(err, &failed, &e);
            continue;
        }
        sv__standby_fix_dirs(sv, s->key); /* Multi-AZ: a failover cut short by a kill of rdslocal */
        sv_inst *in = sv__get_inst(sv, s->key, &e);
        if (!in) {
            if (should_run[i])
                keep_first(err, &failed, &e);
            continue;
        }
        bool running = in->state == IS_RUNNING && in->pid > 0;
        if (!should_run[i]) {
            sv__set_state(sv, in, IS_STOPPED);
            sv__inst_kill(sv, in, false);
            sv__standby_stop(sv, in, false); /* a Multi-AZ standby left running stops too */
            sv__release_locked(sv, in);
            continue;
        }
        /* Adopt as is, unless it runs without the guard module (started by an older
         * rdslocal): then it is restarted like a port change. */
        if (running && in->port == s->port && sv__guard_loaded(sv, in)) {
            sv__apply_spec(in, s);
            sv__set_state(sv, in, IS_RUNNING);
            if (sv__standby_ensure(sv, in, &e) != 0)
                keep_first(err, &failed, &e);
            sv__release_locked(sv, in);
            continue;
        }
        sv__set_state(sv, in, IS_STOPPED);
        if (running)
            sv__inst_kill(sv, in, false);
        sv__apply_spec(in, s);
        if (sv__inst_spawn(sv, in, &e) != 0) {
            keep_first(err, &failed, &e);
            sv__release_locked(sv, in);
            continue;
        }
        waiting[i] = in; /* every postmaster boots in parallel; wait below */
    }
    for (size_t i = 0; i < n; i++) {
        sv_inst *in = waiting[i];
        if (!in)
            continue;
        rds_error e = { 0 };
        if (sv__inst_wait_ready(sv, in, &e) != 0) {
            keep_first(err, &failed, &e);
            sv__inst_kill(sv, in, true);
            sv__standby_stop(sv, in, false);
        } else {
            sv__set_state(sv, in, IS_RUNNING);
            if (sv__standby_ensure(sv, in, &e) != 0)
                keep_first(err, &failed, &e);
        }
        sv__release_locked(sv, in);
    }
    free(waiting);

    return failed ? -1 : 0;
}
