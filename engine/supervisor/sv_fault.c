/* sv_fault.c: the process side of fault injection (engine/faults/ decides what and when):
 * SIGKILL of an instance's postmaster (its primary, or its Multi-AZ standby through
 * sv_standby_pids), SIGSTOP of a node's postmaster and every child (a hang) and the
 * SIGCONT that ends it, and the storage-full switch (the guard module's
 * rdslocal_guard.storage_full, set through this file's conf fragment, then a reload).
 *
 * Never leave a stopped postgres behind: the SIGCONT side works on every process whose
 * working directory is under the instance's directory (postgres runs in its data dir), so
 * it reaches children the postmaster started before it froze and the standby alike. It
 * runs when a hang ends, before any stop/kill of the instance (sv__inst_kill calls
 * sv__fault_thaw: a frozen postmaster never reacts to SIGINT), at sv_open (a stopped server
 * left by an rdslocal that was killed during a hang) and at sv_close. sv_open also lifts a
 * storage-full setting left in an adopted server's rdslocal.conf: faults survive nothing.
 *
 * A kill does not mark the instance busy: the monitor (sv_monitor.c, or the Multi-AZ
 * failover) must see the death as it sees a real crash. Any thread. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORAGE_FULL_LINE "rdslocal_guard.storage_full = on"
enum { FAULT_MAX_PIDS = 256 };

int sv__conf_faults(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    (void)sv;
    (void)err;
    if (in->fault_storage_full)
        strbuf_puts(out, STORAGE_FULL_LINE "   # rdslocal fault injection: storage-full\n");
    return 0;
}

/* The pids of one node, its postmaster first; 0 when it does not run. */
static int node_pids(sv_supervisor *sv, const char *key, sv_fault_node node, int *pids, int max)
{
    if (node == SV_NODE_STANDBY)
        return sv_standby_pids(sv, key, pids, max);
    return sv_instance_pids(sv, key, pids, max);
}

static int check_known(sv_supervisor *sv, const char *key, rds_error *err)
{
    pthread_mutex_lock(&sv->mu);
    bool known = sv__find(sv, key) != NULL;
    pthread_mutex_unlock(&sv->mu);
    return known ? 0 : rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "no instance \"%s\"", key);
}

static int not_running(const char *key, sv_fault_node node, rds_error *err)
{
    return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "the %s of instance \"%s\" is not running",
                    node == SV_NODE_STANDBY ? "standby" : "primary", key);
}

int sv_fault_kill(sv_supervisor *sv, const char *key, sv_fault_node node, int *pid_out, rds_error *err)
{
    if (check_known(sv, key, err) != 0)
        return -1;
    int pids[FAULT_MAX_PIDS];
    if (node_pids(sv, key, node, pids, 1) < 1)
        return not_running(key, node, err);
    if (kill(pids[0], SIGKILL) != 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not kill postgres of instance \"%s\"", key);
    log_at(LOG_INFO, "supervisor", "fault: killed the %s postmaster of instance \"%s\" pid=%d",
           node == SV_NODE_STANDBY ? "standby" : "primary", key, pids[0]);
    if (pid_out)
        *pid_out = pids[0];
    return 0;
}

/* SIGCONT to every process running in dir or under it. */
static int thaw_under(const char *dir)
{
    int pids[FAULT_MAX_PIDS];
    int n = sv__proc_by_cwd(dir, pids, FAULT_MAX_PIDS);
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGCONT);
    return n;
}

/* True if pid is stopped (SIGSTOP: state T in /proc/<pid>/stat). */
static bool proc_stopped(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (sv__read_file(path, buf, sizeof buf) <= 0)
        return false;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'T';
}

void sv__fault_thaw(sv_inst *in)
{
    thaw_under(in->dir);
}

int sv_fault_freeze(sv_supervisor *sv, const char *key, sv_fault_node node, bool freeze, rds_error *err)
{
    if (check_known(sv, key, err) != 0)
        return -1;
    if (!freeze) {
        char dir[SV_PATH];
        if (sv__path(dir, sizeof dir, err, "%s/%s", sv->instances_dir, key) != 0)
            return -1;
        int n = thaw_under(dir);
        log_at(LOG_INFO, "supervisor", "fault: resumed instance \"%s\" processes=%d", key, n);
        return 0;
    }
    int pids[FAULT_MAX_PIDS];
    if (node_pids(sv, key, node, pids, 1) < 1)
        return not_running(key, node, err);
    /* The postmaster first, so it forks nothing new; then every child it has. */
    if (kill(pids[0], SIGSTOP) != 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not stop postgres of instance \"%s\"", key);
    int n = node_pids(sv, key, node, pids, FAULT_MAX_PIDS);
    for (int i = 1; i < n; i++)
        kill(pids[i], SIGSTOP);
    /* A signal takes effect when its target next runs: on a busy machine that can be late.
     * Return only once they are all stopped, so the server is frozen when the caller hears
     * so (2 s at most: a process that exited meanwhile never shows T). */
    for (int64_t deadline = sv__mono_ms() + 2000; sv__mono_ms() < deadline;) {
        int running = 0;
        for (int i = 0; i < n; i++)
            running += sv__pid_alive(pids[i]) && !proc_stopped(pids[i]);
        if (!running)
            break;
        sv__sleep_ms(1);
    }
    log_at(LOG_INFO, "supervisor", "fault: froze the %s of instance \"%s\" processes=%d",
           node == SV_NODE_STANDBY ? "standby" : "primary", key, n);
    return 0;
}

/* The instance record for a storage-full switch. The instance's operations are serialised
 * (busy), but a frozen server (hang fault) stalls whatever holds it (an automated backup's
 * pg_basebackup waits for the SIGCONT): then the switch goes ahead beside it, as it only
 * rewrites rdslocal.conf (atomically) and queues a SIGHUP the server acts on once it runs
 * again. *owned: busy was taken (release it). */
static sv_inst *inst_for_switch(sv_supervisor *sv, const char *key, bool *owned, rds_error *err)
{
    pthread_mutex_lock(&sv->mu);
    for (;;) {
        sv_inst *in = sv__find(sv, key);
        if (!in || !in->busy)
            break;
        if (in->pid > 0 && proc_stopped(in->pid)) {
            *owned = false;
            pthread_mutex_unlock(&sv->mu);
            return in;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sv->cv, &sv->mu, &ts);
    }
    pthread_mutex_unlock(&sv->mu);
    *owned = true;
    return sv__get_inst(sv, key, err);
}

int sv_fault_storage_full(sv_supervisor *sv, const char *key, bool full, rds_error *err)
{
    bool owned = true;
    sv_inst *in = inst_for_switch(sv, key, &owned, err);
    if (!in)
        return -1;
    int rc = 0;
    in->fault_storage_full = full;
    bool running = in->pid > 0 && in->state == IS_RUNNING && sv__pid_alive(in->pid);
    /* A frozen server (hang fault) cannot be asked; its SIGHUP waits for the SIGCONT. */
    bool frozen = running && proc_stopped(in->pid);
    char before[64] = "";
    if (running && !frozen)
        sv__conf_load_time(in, before, sizeof before);
    if ((rc = sv__write_conf(sv, in, err)) != 0 || !running)
        goto out;
    if (kill(in->pid, SIGHUP) != 0) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not signal postgres of instance \"%s\"", key);
        goto out;
    }
    if (frozen)
        goto out;
    /* Returns once the postmaster has read the file: new connections see the setting, and
     * connected backends apply it before their next command. */
    for (int64_t deadline = sv__mono_ms() + 5000;;) {
        char now[64];
        sv__conf_load_time(in, now, sizeof now);
        if (now[0] && strcmp(now, before) != 0)
            break;
        if (sv__mono_ms() > deadline) {
            rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "postgres of instance \"%s\" did not reload its settings",
                          key);
            break;
        }
        sv__sleep_ms(5);
    }
    log_at(LOG_INFO, "supervisor", "fault: instance \"%s\" storage_full=%d", key, (int)full);
out:
    if (owned)
        sv__release_locked(sv, in);
    return rc;
}

/* An rdslocal.conf an earlier rdslocal left with the storage-full line: the line goes and
 * the postmaster named in postmaster.pid (if any) rereads the file. */
static void lift_storage_full(sv_supervisor *sv, const char *key)
{
    char conf[SV_PATH + 128], pidf[SV_PATH + 128];
    snprintf(conf, sizeof conf, "%s/%s/data/rdslocal.conf", sv->instances_dir, key);
    snprintf(pidf, sizeof pidf, "%s/%s/data/postmaster.pid", sv->instances_dir, key);
    char *text = malloc(65536);
    if (!text)
        return;
    int n = sv__read_file(conf, text, 65536);
    char *line = n > 0 ? strstr(text, STORAGE_FULL_LINE) : NULL;
    if (line) {
        char *end = strchr(line, '\n');
        memmove(line, end ? end + 1 : line + strlen(line), strlen(end ? end + 1 : line + strlen(line)) + 1);
        rds_error e = { 0 };
        if (sv__write_file(conf, text, 0600, sv->as_root ? sv->pg_uid : (uid_t)-1, sv->pg_gid, &e) == 0) {
            char pid[32];
            if (sv__read_file(pidf, pid, sizeof pid) > 0 && atoi(pid) > 0)
                kill((pid_t)atoi(pid), SIGHUP);
            log_at(LOG_INFO, "supervisor", "fault: lifted storage-full left on instance \"%s\"", key);
        }
    }
    free(text);
}

void sv__fault_startup(sv_supervisor *sv)
{
    int n = thaw_under(sv->instances_dir);
    if (n)
        log_at(LOG_INFO, "supervisor", "fault: sent SIGCONT to %d postgres processes at start", n);
    DIR *d = opendir(sv->instances_dir);
    if (!d)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        if (ent->d_name[0] != '.')
            lift_storage_full(sv, ent->d_name);
    closedir(d);
}

void sv__fault_shutdown(sv_supervisor *sv)
{
    thaw_under(sv->instances_dir);
}
