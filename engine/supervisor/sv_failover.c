/* sv_failover.c: Multi-AZ failover (see sv_standby.c for the standby itself). A failover
 * kills the old primary, moves D/data to D/old, fast-stops the standby, moves D/standby to
 * D/data, starts it there with the instance's port and socket (still a standby) where it
 * promotes itself, so the endpoint does not change and at any instant at most one
 * directory can hold a promoted server; sv__standby_fix_dirs finishes or undoes a
 * failover that a killed rdslocal left half done. The old primary then comes back as the
 * standby (pg_rewind, else a fresh copy) on a background thread. The keeper thread health-checks every Multi-AZ
 * instance: liveness every SB_TICK_MS, a connection with a deadline every
 * SB_PING_EVERY_MS (on a short thread per check, so one hung server delays no other); it
 * fails over when the primary dies or misses SB_HANG_MISSES checks, drops synchronous
 * replication while the standby does not answer, restores it once it streams again, and
 * rebuilds a standby that died.
 *
 * Threads: the keeper; detached failover/rebuild threads that own the instance's busy flag
 * and detached ping threads (one at a time per instance, sb_pinging) that do not (both
 * counted in restarts_in_flight so sv_close waits for them); request threads
 * (sv_instance_failover); sv_poll's check_one (sv__standby_failover_async, under sv->mu). */
#include "sv_standby.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* ---- failover ------------------------------------------------------------------------ */

/* Kills every process whose command line names dir (pg_rewind and pg_basebackup run with
 * cwd "/" and would survive sv__kill_all_under). */
static void kill_mentioning(const char *dir)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char p[300], buf[4096];
        snprintf(p, sizeof p, "/proc/%.255s/cmdline", e->d_name);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        buf[n] = '\0';
        if (strstr(buf, dir))
            kill((pid_t)atoi(e->d_name), SIGKILL);
    }
    closedir(d);
}

void sv__standby_fix_dirs(sv_supervisor *sv, const char *key)
{
    char dir[SV_PATH], data[SV_PATH + 16], sb[SV_PATH + 16], p[SV_PATH + 32];
    int r = snprintf(dir, sizeof dir, "%s/%s", sv->instances_dir, key);
    if (r < 0 || (size_t)r >= sizeof dir)
        return;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(sb, sizeof sb, "%s/standby", dir);
    snprintf(p, sizeof p, "%s/old", dir);
    bool interrupted = access(p, F_OK) == 0;
    snprintf(p, sizeof p, "%s/standby.signal", data);
    if (interrupted && access(p, F_OK) == 0) {
        /* the standby was already in D/data but not promoted: it starts as the primary
         * (crash recovery to the end of its WAL) and gets a fresh standby */
        sv__kill_all_under(data);
        unlink(p);
        log_at(LOG_WARN, "supervisor", "instance \"%s\": finished an interrupted failover (standby in place)", key);
    }
    const char *leftovers[] = { "old", "standby.new" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, leftovers[i]);
        if (access(p, F_OK) == 0) {
            kill_mentioning(p);
            sv__kill_all_under(p);
            sv__remove_tree(p, NULL);
            log_at(LOG_WARN, "supervisor", "instance \"%s\": removed \"%s\" left by an interrupted failover", key, p);
        }
    }
    if (!sv__is_dir(data) && sv__is_dir(sb)) {
        /* the primary was already moved away: the standby is the only candidate */
        sv__kill_all_under(sb);
        snprintf(p, sizeof p, "%s/standby.signal", sb);
        unlink(p);
        if (rename(sb, data) == 0)
            log_at(LOG_WARN, "supervisor", "instance \"%s\": finished an interrupted failover (standby is primary)",
                   key);
    }
}

/* A failover (busy held): see the file comment. The old primary is killed, on request
 * too: a fast shutdown first waits for its checkpoint (about 100 ms measured), and
 * synchronous replication already has every acknowledged commit flushed on the standby.
 * The standby is fast-stopped and started on the instance's port and socket while it is
 * STILL a standby, and promotes itself there (sv_standby.c, "The endpoint"): a promoted
 * server's shutdown would write a checkpoint first (~300 ms measured under load). Its
 * restart reads every WAL record the walreceiver flushed (a trigger file only acts once
 * pg_wal has no more), so it replays every acknowledged commit before it promotes. */
static int failover_busy(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    int64_t t0 = sv__mono_ms();
    char old[SV_PATH], sbdata[SV_PATH];
    sv__sb_dir(in, "old", old, sizeof old);
    sv__sb_dir(in, "standby", sbdata, sizeof sbdata);
    if (in->sb_pid <= 0 || !sv__sb_alive(in))
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" has no standby to fail over to",
                        in->key);
    sv__set_state(sv, in, IS_STOPPED);
    /* 1: the old primary is gone, every process of it (a hung one too: SIGKILL works on a
     * stopped process) */
    if (in->pid > 0) {
        kill(in->pid, SIGKILL);
        sv__wait_gone(in->pid, in->is_child, 5000, NULL);
    }
    sv__kill_all_under(in->data);
    in->pid = 0;
    in->is_child = false;
    int64_t t_killed = sv__mono_ms();
    /* 2: out of the way before the standby takes its place */
    sv__remove_tree(old, NULL);
    if (rename(in->data, old) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not fail over instance \"%s\"", in->key);
        return rds_detail(err, "rename %s: %s", in->data, strerror(errno));
    }
    /* 3: the standby stops (still a standby) and moves to D/data */
    in->sb_sync = false;
    sv__sb_kill(in, false); /* fast: see sv_standby.c, "The endpoint" */
    int64_t t_stopped = sv__mono_ms();
    if (rename(sbdata, in->data) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not fail over instance \"%s\"", in->key);
        return rds_detail(err, "rename %s: %s", sbdata, strerror(errno));
    }
    /* 4: it starts on the endpoint (same port, same socket path) with no upstream (the
     * instance's conf has no primary_conninfo), replays every WAL record it has, finds the
     * trigger file and promotes itself; it accepts connections (hot_standby = off) only as
     * the new primary, so "ready" means "takes writes" */
    char trig[SV_PATH + 32];
    snprintf(trig, sizeof trig, "%s/" SB_TRIGGER, in->data);
    if (sv__write_file(trig, "", 0600, own_uid(sv), sv->pg_gid, err) != 0)
        return -1;
    in->sb_promoting = true;
    int rc = sv__inst_spawn(sv, in, err);
    in->sb_promoting = false; /* the next conf written (a reload, a start) is the usual one */
    if (rc != 0)
        return -1;
    if (sv__inst_wait_ready(sv, in, err) != 0) {
        sv__inst_kill(sv, in, true);
        return -1;
    }
    int64_t t_started = sv__mono_ms();
    char v[8] = "";
    if (sv__sb_ask(in->sock, in->port, "SELECT pg_is_in_recovery()", 5000, v, sizeof v) != 0 || strcmp(v, "f") != 0) {
        sv__inst_kill(sv, in, true);
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the standby of instance \"%s\" was not promoted", in->key);
    }
    rds_error ignored = { 0 };
    sv__write_conf(sv, in, &ignored); /* without the failover-start lines */
    sv__set_state(sv, in, IS_RUNNING);
    in->hang_misses = 0;
    int64_t t_end = sv__mono_ms();
    log_at(LOG_INFO, "supervisor",
           "instance \"%s\" failed over ms=%lld (kill %lld, stop %lld, start+promote %lld, check %lld) pid=%d",
           in->key, (long long)(t_end - t0), (long long)(t_killed - t0), (long long)(t_stopped - t_killed),
           (long long)(t_started - t_stopped), (long long)(t_end - t_started), (int)in->pid);
    return 0;
}

/* The old primary (D/old) comes back as the standby: pg_rewind against the new primary
 * (a CHECKPOINT first, so its control file shows the new timeline), else a fresh copy. */
static int rejoin(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char old[SV_PATH], sbdata[SV_PATH], logp[SV_PATH], exe[SV_PATH], src[SV_PATH + 128], v[8];
    sv__sb_dir(in, "old", old, sizeof old);
    sv__sb_dir(in, "standby", sbdata, sizeof sbdata);
    sv__sb_dir(in, "rewind.log", logp, sizeof logp);
    sv_major *m = sv__major(sv, in->major);
    bool rewound = false;
    if (m && sv__is_dir(old) && !sv->sb_closing &&
        sv__sb_ask(in->sock, in->port, "CHECKPOINT", 10000, v, sizeof v) == 0) {
        snprintf(exe, sizeof exe, "%s/pg_rewind", m->v.bin_dir);
        snprintf(src, sizeof src, "host=%s port=%d user=" SV_ADMIN_USER " dbname=postgres", in->sock, in->port);
        char *argv[] = { exe, "-D", old, "--source-server", src, NULL };
        int status = -1;
        unlink(logp);
        rds_error e = { 0 };
        if (sv__run(sv, argv, logp, -1, &status, &e) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            char pidf[SV_PATH + 32];
            snprintf(pidf, sizeof pidf, "%s/postmaster.pid", old);
            unlink(pidf);
            rewound = rename(old, sbdata) == 0;
        } else {
            char tail[200];
            sv__log_tail(logp, tail, sizeof tail);
            log_at(LOG_WARN, "supervisor", "pg_rewind of instance \"%s\" failed, making a fresh copy: %s", in->key,
                   tail);
        }
    }
    sv__remove_tree(old, NULL);
    int rc = rewound ? sv__standby_ensure(sv, in, err) : -1;
    if (rc != 0 && !sv->sb_closing) {
        sv__sb_kill(in, true);
        sv__remove_tree(sbdata, NULL);
        rc = sv__standby_ensure(sv, in, err);
    }
    return rc;
}

typedef struct fo_arg {
    sv_supervisor *sv;
    sv_inst *in;
    bool failover;      /* false: only rebuild the standby */
    char reason[160];
} fo_arg;

static void *failover_main(void *p)
{
    fo_arg *a = p;
    sv_supervisor *sv = a->sv;
    sv_inst *in = a->in;
    rds_error e = { 0 };
    int rc = 0;
    if (a->failover) {
        sv__push_event(sv, SV_EV_FAILOVER_STARTED, in->key, "%s", a->reason);
        rc = failover_busy(sv, in, &e);
        if (rc == 0) {
            sv__push_event(sv, SV_EV_FAILOVER_COMPLETED, in->key, "promoted standby, pid %d", (int)in->pid);
        } else {
            log_at(LOG_WARN, "supervisor", "failover of instance \"%s\" failed: %s (%s)", in->key, e.message, e.detail);
            sv__set_state(sv, in, IS_FAILED);
            sv__push_event(sv, SV_EV_FAILED, in->key, "failover failed: %.80s (%.60s)", e.message, e.detail);
        }
    }
    if (rc == 0 && !sv->sb_closing && in->multi_az) {
        rds_error re = { 0 };
        char old[SV_PATH];
        sv__sb_dir(in, "old", old, sizeof old);
        int r = sv__is_dir(old) ? rejoin(sv, in, &re) : sv__standby_ensure(sv, in, &re);
        if (r != 0)
            log_at(LOG_WARN, "supervisor", "standby of instance \"%s\" not rebuilt: %s (%s)", in->key, re.message,
                   re.detail);
    }
    pthread_mutex_lock(&sv->mu);
    sv->restarts_in_flight--;
    sv__release(sv, in);
    pthread_mutex_unlock(&sv->mu);
    free(a);
    return NULL;
}

/* Caller holds sv->mu and has set in->busy (counted in restarts_in_flight). */
static bool spawn_worker_locked(sv_supervisor *sv, sv_inst *in, bool failover, const char *reason)
{
    fo_arg *a = calloc(1, sizeof *a);
    if (!a)
        return false;
    a->sv = sv;
    a->in = in;
    a->failover = failover;
    snprintf(a->reason, sizeof a->reason, "%s", reason ? reason : "");
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    in->busy = true;
    sv->restarts_in_flight++;
    bool ok = pthread_create(&t, &attr, failover_main, a) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        in->busy = false;
        sv->restarts_in_flight--;
        free(a);
    }
    return ok;
}

bool sv__standby_failover_async(sv_supervisor *sv, sv_inst *in, const char *reason)
{
    /* Only to a synchronous standby: one that was cut off or is catching up may miss
     * acknowledged commits. Without one, the primary is restarted in place (sv_monitor.c). */
    if (in->busy || in->sb_pid <= 0 || !in->sb_sync || sv->sb_closing)
        return false;
    log_at(LOG_WARN, "supervisor", "instance \"%s\": automatic failover: %s", in->key, reason);
    return spawn_worker_locked(sv, in, true, reason);
}

int sv_instance_failover(sv_supervisor *sv, const char *key, rds_error *err)
{
    sv_inst *in = sv__get_inst(sv, key, err);
    if (!in)
        return -1;
    int rc;
    if (!in->multi_az || in->state != IS_RUNNING || in->pid <= 0) {
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is not a running Multi-AZ instance", key);
    } else if (!in->sb_sync) { /* cut off or catching up: it may miss acknowledged commits */
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "the standby of instance \"%s\" is not synchronous", key);
    } else {
        rc = failover_busy(sv, in, err);
        if (rc != 0 && in->state != IS_RUNNING)
            sv__set_state(sv, in, IS_FAILED);
    }
    pthread_mutex_lock(&sv->mu);
    /* the rebuild goes on in the background, still holding the instance */
    bool handed = rc == 0 && !sv->sb_closing && spawn_worker_locked(sv, in, false, NULL);
    if (!handed)
        sv__release(sv, in);
    pthread_mutex_unlock(&sv->mu);
    return rc;
}

/* ---- the keeper thread ------------------------------------------------------------------- */

typedef struct probe {
    sv_supervisor *sv;
    char key[64], sock[SV_PATH], sbsock[SV_PATH];
    int port;
    pid_t pid, sb_pid;
    bool sb_sync, sb_cut;
    uint64_t id;
} probe;

/* The connection part of a health check, on its own short thread so a hung server delays
 * no other instance's check. The instance is found again by key afterwards (it may have
 * been deleted or replaced meanwhile) and only acted on if nothing changed. */
static void *ping_main(void *arg)
{
    probe *pr = arg;
    sv_supervisor *sv = pr->sv;
    bool answered = false, sb_answered = false, streams = false;
    PGconn *c = sv__sb_connect(pr->sock, pr->port, SB_PING_TIMEOUT_MS, &answered);
    PQfinish(c);
    PGconn *sc = sv__sb_connect(pr->sbsock, pr->port, SB_PING_TIMEOUT_MS, &sb_answered);
    PQfinish(sc);
    if (answered && sb_answered && !pr->sb_sync && !pr->sb_cut) {
        sv_inst *fake = calloc(1, sizeof *fake); /* sv__sb_streaming() reads sock and port only */
        if (fake) {
            snprintf(fake->sock, sizeof fake->sock, "%s", pr->sock);
            fake->port = pr->port;
            streams = sv__sb_streaming(fake);
            free(fake);
        }
    }
    pthread_mutex_lock(&sv->mu);
    sv_inst *in = sv__find(sv, pr->key);
    if (in && in->sb_ping_id == pr->id)
        in->sb_pinging = false;
    if (!in || in->busy || in->pid != pr->pid || in->sb_pid != pr->sb_pid || in->state != IS_RUNNING ||
        sv->sb_closing)
        goto out;
    in->hang_misses = answered ? 0 : in->hang_misses + 1;
    if (in->hang_misses >= SB_HANG_MISSES) {
        sv__standby_failover_async(sv, in, "The RDS Multi-AZ primary instance is busy and unresponsive.");
        goto out;
    }
    bool want_sync = sb_answered && !in->sb_cut && (in->sb_sync || streams);
    if (want_sync == in->sb_sync || !answered)
        goto out;
    /* a short step under busy: the conf and a reload */
    in->busy = true;
    pthread_mutex_unlock(&sv->mu);
    rds_error e = { 0 };
    if (sv__sb_set_sync(sv, in, want_sync, &e) != 0)
        log_at(LOG_WARN, "supervisor", "instance \"%s\": could not %s synchronous replication: %s", in->key,
               want_sync ? "restore" : "drop", e.message);
    else
        log_at(LOG_INFO, "supervisor", "instance \"%s\": synchronous replication %s", in->key,
               want_sync ? "restored" : "dropped (standby not answering)");
    pthread_mutex_lock(&sv->mu);
    sv__release(sv, in);
out:
    sv->restarts_in_flight--;
    pthread_cond_broadcast(&sv->cv);
    pthread_mutex_unlock(&sv->mu);
    free(pr);
    return NULL;
}

/* One health check of in (not busy, caller holds sv->mu): liveness inline (kill 0 and
 * /proc: microseconds), the connections on a ping thread, at most one per instance. */
static void check_instance(sv_supervisor *sv, sv_inst *in, int64_t now)
{
    static uint64_t ping_ids; /* under sv->mu */
    if (!sv__pid_alive(in->pid)) {
        sv__standby_failover_async(sv, in, "The primary host of the RDS Multi-AZ instance is unhealthy.");
        return;
    }
    if (in->sb_pid > 0 && !sv__sb_alive(in)) {
        /* the standby died: never block the primary; rebuild it (restart or fresh copy) */
        log_at(LOG_WARN, "supervisor", "the standby of instance \"%s\" exited; restarting it", in->key);
        in->sb_pid = 0;
    }
    if (in->sb_pid <= 0) {
        if (now >= in->next_rebuild_ms) { /* at most one attempt a second */
            in->next_rebuild_ms = now + 1000;
            spawn_worker_locked(sv, in, false, NULL);
        }
        return;
    }
    if (now < in->next_ping_ms || in->sb_pinging)
        return;
    in->next_ping_ms = now + SB_PING_EVERY_MS;
    probe *pr = calloc(1, sizeof *pr);
    if (!pr)
        return;
    pr->sv = sv;
    snprintf(pr->key, sizeof pr->key, "%s", in->key);
    snprintf(pr->sock, sizeof pr->sock, "%s", in->sock);
    sv__sb_sock(in, pr->sbsock, sizeof pr->sbsock);
    pr->port = in->port;
    pr->pid = in->pid;
    pr->sb_pid = in->sb_pid;
    pr->sb_sync = in->sb_sync;
    pr->sb_cut = in->sb_cut;
    pr->id = ++ping_ids;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sv->restarts_in_flight++; /* sv_close waits for it */
    if (pthread_create(&t, &attr, ping_main, pr) == 0) {
        in->sb_pinging = true;
        in->sb_ping_id = pr->id;
    } else {
        sv->restarts_in_flight--;
        free(pr);
    }
    pthread_attr_destroy(&attr);
}

static void *keeper_main(void *arg)
{
    sv_supervisor *sv = arg;
    pthread_mutex_lock(&sv->mu);
    while (!sv->sb_closing && !sv->closing) {
        int64_t now = sv__mono_ms();
        for (size_t i = 0; i < sv->ninsts; i++) {
            sv_inst *in = sv->insts[i];
            if (!in->busy && in->multi_az && in->state == IS_RUNNING && in->pid > 0) {
                check_instance(sv, in, now); /* never drops the lock */
            }
        }
        pthread_mutex_unlock(&sv->mu);
        sv__sleep_ms(SB_TICK_MS);
        pthread_mutex_lock(&sv->mu);
    }
    pthread_mutex_unlock(&sv->mu);
    return NULL;
}

void sv__sb_keeper_start(sv_supervisor *sv)
{
    pthread_mutex_lock(&sv->mu);
    if (!sv->sb_keeper_started && !sv->sb_closing)
        sv->sb_keeper_started = pthread_create(&sv->sb_keeper, NULL, keeper_main, sv) == 0;
    pthread_mutex_unlock(&sv->mu);
}

void sv__standby_close(sv_supervisor *sv)
{
    pthread_mutex_lock(&sv->mu);
    sv->sb_closing = true;
    bool started = sv->sb_keeper_started;
    sv->sb_keeper_started = false;
    pthread_mutex_unlock(&sv->mu);
    if (started)
        pthread_join(sv->sb_keeper, NULL);
    pthread_mutex_lock(&sv->mu);
    while (sv->restarts_in_flight > 0)
        pthread_cond_wait(&sv->cv, &sv->mu);
    pthread_mutex_unlock(&sv->mu);
    for (size_t i = 0; i < sv->ninsts; i++)
        if (sv->insts[i]->sb_pid > 0)
            sv__sb_kill(sv->insts[i], false);
}
