/* sv_standby.c: the Multi-AZ standby of an instance, its health checks and failover.
 *
 * Layout (all in the instance dir D): D/data is always the primary; D/standby the standby
 * (standby.signal, streaming from the primary's private socket as rdsadmin, no TCP
 * listener, its own 0700 socket dir); D/old the dead primary being rewound after a
 * failover; D/standby.new a fresh copy being made. A failover renames D/data away BEFORE it
 * promotes D/standby and renames that to D/data, so at any instant at most one directory
 * can hold a promoted server, and the reconcile (sv__standby_fix_dirs) can finish or undo
 * a failover a killed rdslocal left half done.
 *
 * Synchronous replication (postgres-limits.md section 8): synchronous_standby_names is set
 * on the primary (conf fragment below + reload) only once the standby streams and answers;
 * every primary start writes it empty (sv__inst_spawn); it is dropped as soon as the standby
 * dies, hangs or is cut, so the primary never blocks. The standby itself has it empty, so
 * it does not block after a promotion.
 *
 * The endpoint: no two servers can listen on one port and socket path, so a failover
 * promotes the standby (new timeline: PITR and pg_rewind need it), then fast-stops it and
 * starts it again as D/data with the instance's port and socket. Measured in
 * bench/failover_bench.sh.
 *
 * Threads: the keeper thread (health checks, one per supervisor, started with the first
 * standby); detached failover/rebuild threads that own the instance's busy flag (counted
 * in restarts_in_flight so sv_close waits for them); request threads through the API. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SB_APP "rdslocal_standby"    /* application_name of the standby's walreceiver */
#define SB_TICK_MS 10                /* liveness checks (kill 0, /proc) */
#define SB_PING_EVERY_MS 200         /* health check by connection */
#define SB_PING_TIMEOUT_MS 1000      /* no answer within this: a miss (a loaded 2-core box answers
                                        well within it; a stopped server never does) */
#define SB_HANG_MISSES 2             /* consecutive misses that mean "stopped answering" */
#define SB_SYNC_WAIT_MS 30000        /* a new standby must stream within this */

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* ---- paths and the standby-node view -------------------------------------------- */

/* Paths never exceed SV_PATH here (instance dirs are checked at creation); a cut one is
 * emptied rather than used. */
static void node_dir(const sv_inst *in, const char *name, char *buf, size_t n)
{
    int r = snprintf(buf, n, "%s/%s", in->dir, name);
    if (r < 0 || (size_t)r >= n)
        buf[0] = '\0';
}

/* The standby's socket dir: beside the primary's (D/sbsock, or the /tmp fallback + "-sb"). */
static void sb_sock_path(const sv_inst *in, char *buf, size_t n)
{
    int r = strncmp(in->sock, "/tmp/rdslocal-", 14) == 0 ? snprintf(buf, n, "%s-sb", in->sock)
                                                          : snprintf(buf, n, "%s/sbsock", in->dir);
    if (r < 0 || (size_t)r >= n)
        buf[0] = '\0';
}

/* A copy of in describing the standby node: its data dir and socket; sb_sock holds the
 * primary's socket (primary_conninfo). sv_conf.c writes its files from it. */
static void standby_view(const sv_inst *in, sv_inst *v)
{
    *v = *in;
    v->sb_node = true;
    node_dir(in, "standby", v->data, sizeof v->data);
    sb_sock_path(in, v->sock, sizeof v->sock);
    snprintf(v->sb_sock, sizeof v->sb_sock, "%s", in->sock);
    v->pid = in->sb_pid;
    v->is_child = in->sb_is_child;
}

int sv__conf_standby(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    (void)sv;
    (void)err;
    if (in->sb_node) {
        strbuf_printf(out,
            "# Multi-AZ standby (sv_standby.c): no TCP listener, never blocks after a promotion\n"
            "listen_addresses = ''\n"
            "hot_standby = on\n"
            "synchronous_standby_names = ''\n"
            "wal_receiver_status_interval = 1s\n"
            "wal_retrieve_retry_interval = 100ms\n"
            "logging_collector = off\n" /* one process less; its log is D/standby-startup.log */
            "shared_buffers = 8MB\n"    /* replay needs few; a promotion restarts it with the primary's */
            "cluster_name = '%s-standby'\n",
            in->key);
        if (in->sb_cut)
            strbuf_puts(out, "primary_conninfo = ''\n");
        else
            strbuf_printf(out, "primary_conninfo = 'host=%s port=%d user=" SV_ADMIN_USER
                          " application_name=" SB_APP "'\n", in->sb_sock, in->port);
        return 0;
    }
    if (!in->multi_az)
        return 0;
    /* the standby may lag for a while (a cut, a rebuild): keep the WAL it still needs */
    strbuf_printf(out, "# Multi-AZ primary (sv_standby.c)\nwal_keep_size = 64MB\nsynchronous_standby_names = '%s'\n",
                  in->sb_sync ? SB_APP : "");
    return 0;
}

/* ---- libpq with deadlines -------------------------------------------------------- */

/* Connects as rdsadmin over sock within timeout_ms. *answered: the server said something
 * (even an error such as "too many clients"): it is alive. NULL unless CONNECTION_OK. */
static PGconn *connect_within(const char *sock, int port, int timeout_ms, bool *answered)
{
    char portb[16];
    snprintf(portb, sizeof portb, "%d", port);
    const char *kw[] = { "host", "port", "user", "dbname", "application_name", NULL };
    const char *val[] = { sock, portb, SV_ADMIN_USER, "postgres", "rdslocal_health", NULL };
    *answered = false;
    PGconn *c = PQconnectStartParams(kw, val, 0);
    if (!c || PQstatus(c) == CONNECTION_BAD) {
        PQfinish(c);
        return NULL;
    }
    int64_t deadline = sv__mono_ms() + timeout_ms;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK) {
            *answered = true;
            return c;
        }
        if (st == PGRES_POLLING_FAILED) {
            const char *m = PQerrorMessage(c);
            *answered = !strstr(m, "No such file") && !strstr(m, "refused") && !strstr(m, "could not connect");
            PQfinish(c);
            return NULL;
        }
        int left = (int)(deadline - sv__mono_ms());
        struct pollfd p = { PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            PQfinish(c);
            return NULL;
        }
        st = PQconnectPoll(c);
    }
}

/* Runs sql, copies the first value of the first row into out ("" if none). 0, or -1 on
 * error or timeout. */
static int query_within(PGconn *c, const char *sql, int timeout_ms, char *out, size_t n)
{
    out[0] = '\0';
    if (!PQsendQuery(c, sql))
        return -1;
    int64_t deadline = sv__mono_ms() + timeout_ms;
    while (PQisBusy(c)) {
        int left = (int)(deadline - sv__mono_ms());
        struct pollfd p = { PQsocket(c), POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, left) <= 0 || !PQconsumeInput(c))
            return -1;
    }
    int rc = 0;
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            if (PQntuples(r) > 0)
                snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
        } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = -1;
        }
        PQclear(r);
    }
    return rc;
}

/* One query on a fresh connection; -1 if the server does not answer in time. */
static int ask(const char *sock, int port, const char *sql, int timeout_ms, char *out, size_t n)
{
    bool answered;
    PGconn *c = connect_within(sock, port, timeout_ms, &answered);
    if (!c)
        return -1;
    int rc = query_within(c, sql, timeout_ms, out, n);
    PQfinish(c);
    return rc;
}

/* ---- the standby node's process ----------------------------------------------------- */

static bool sb_alive(sv_inst *in)
{
    if (in->sb_pid <= 0)
        return false;
    if (in->sb_is_child) {
        int st;
        pid_t r = waitpid(in->sb_pid, &st, WNOHANG);
        if (r == in->sb_pid || (r < 0 && errno == ECHILD))
            return false;
    }
    return sv__pid_alive(in->sb_pid);
}

static void sb_kill(sv_inst *in, bool immediate)
{
    char data[SV_PATH];
    node_dir(in, "standby", data, sizeof data);
    if (in->sb_pid > 0) {
        kill(in->sb_pid, immediate ? SIGQUIT : SIGINT);
        if (!sv__wait_gone(in->sb_pid, in->sb_is_child, immediate ? 5000 : 10000, NULL)) {
            kill(in->sb_pid, SIGKILL);
            sv__wait_gone(in->sb_pid, in->sb_is_child, 5000, NULL);
        }
        log_at(LOG_INFO, "supervisor", "stopped the standby of instance \"%s\" pid=%d", in->key, (int)in->sb_pid);
    }
    sv__kill_all_under(data);
    in->sb_pid = 0;
    in->sb_is_child = false;
}

/* Starts D/standby (standby.signal written) and waits until it answers. */
static int sb_start(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    sv_inst *v = malloc(sizeof *v);
    if (!v)
        abort();
    standby_view(in, v);
    char p[SV_PATH + 32], exe[SV_PATH], logp[SV_PATH];
    int rc = -1;
    sv_major *m = sv__major(sv, in->major);
    if (!m) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "PostgreSQL %s is not installed", in->major);
        goto done;
    }
    sv__kill_all_under(v->data);
    snprintf(p, sizeof p, "%s/postmaster.pid", v->data);
    unlink(p);
    snprintf(p, sizeof p, "%s/.s.PGSQL.%d", v->sock, in->port);
    unlink(p);
    snprintf(p, sizeof p, "%s/.s.PGSQL.%d.lock", v->sock, in->port);
    unlink(p);
    if (sv__mkdir_owned(v->sock, 0700, own_uid(sv), sv->pg_gid, err) != 0 ||
        sv__path(p, sizeof p, err, "%s/standby.signal", v->data) != 0 ||
        sv__write_file(p, "", 0600, own_uid(sv), sv->pg_gid, err) != 0 || sv__write_conf(sv, v, err) != 0 ||
        sv__path(exe, sizeof exe, err, "%s/postgres", m->v.bin_dir) != 0 ||
        sv__path(logp, sizeof logp, err, "%s/standby-startup.log", in->dir) != 0)
        goto done;
    char *argv[] = { exe, "-D", v->data, NULL };
    pid_t pid = sv__spawn(sv, argv, logp, -1, err);
    if (pid < 0)
        goto done;
    v->pid = pid;
    v->is_child = true;
    log_at(LOG_INFO, "supervisor", "started the standby of instance \"%s\" pid=%d", in->key, (int)pid);
    if (sv__inst_wait_ready(sv, v, err) != 0) {
        in->sb_pid = v->pid;
        in->sb_is_child = true;
        sb_kill(in, true);
        goto done;
    }
    in->sb_pid = pid;
    in->sb_is_child = true;
    rc = 0;
done:
    free(v);
    return rc;
}

/* Adopts a standby postmaster left running by an earlier rdslocal. */
static bool sb_adopt(sv_inst *in)
{
    sv_inst *v = malloc(sizeof *v);
    if (!v)
        abort();
    standby_view(in, v);
    pid_t pid;
    int port;
    bool ok = sv__inst_find_running(v, &pid, &port) && port == in->port;
    if (ok) {
        in->sb_pid = pid;
        in->sb_is_child = false;
        log_at(LOG_INFO, "supervisor", "adopted the standby of instance \"%s\" pid=%d", in->key, (int)pid);
    }
    free(v);
    return ok;
}

/* ---- synchronous replication on the primary ------------------------------------------ */

/* Rewrites the primary's conf with sb_sync = on and reloads it; waits (up to 2 s) until a
 * new session sees it. Busy held. */
static int set_sync(sv_supervisor *sv, sv_inst *in, bool on, rds_error *err)
{
    in->sb_sync = on;
    if (sv__write_conf(sv, in, err) != 0)
        return -1;
    if (in->pid <= 0 || kill(in->pid, SIGHUP) != 0)
        return 0;
    int64_t deadline = sv__mono_ms() + 2000;
    char v[128];
    while (sv__mono_ms() < deadline) {
        if (ask(in->sock, in->port, "SHOW synchronous_standby_names", 500, v, sizeof v) == 0 &&
            strcmp(v, on ? SB_APP : "") == 0)
            return 0;
        sv__sleep_ms(2);
    }
    return rds_fail(err, RDS_E_INTERNAL_FAILURE, "postgres of instance \"%s\" did not reload its settings", in->key);
}

static bool streaming(const sv_inst *in)
{
    char v[16];
    return ask(in->sock, in->port,
               "SELECT count(*) FROM pg_stat_replication WHERE application_name = '" SB_APP
               "' AND state = 'streaming'",
               SB_PING_TIMEOUT_MS, v, sizeof v) == 0 &&
           strcmp(v, "0") != 0;
}

/* Waits until the standby streams, then makes it synchronous. */
static int wait_sync(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    int64_t deadline = sv__mono_ms() + SB_SYNC_WAIT_MS;
    while (!streaming(in)) {
        if (!sb_alive(in))
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the standby of instance \"%s\" exited", in->key);
        if (sv__mono_ms() > deadline || sv->sb_closing)
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the standby of instance \"%s\" does not stream", in->key);
        sv__sleep_ms(3);
    }
    return set_sync(sv, in, true, err);
}

/* ---- building the standby ---------------------------------------------------------- */

static void keeper_start(sv_supervisor *sv);

/* Makes D/standby from the running primary (a fresh copy) if it is missing, starts it and
 * waits until it is synchronous. Busy held. */
static int sb_build(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char data[SV_PATH], tmp[SV_PATH];
    node_dir(in, "standby", data, sizeof data);
    node_dir(in, "standby.new", tmp, sizeof tmp);
    if (!sv__is_dir(data)) {
        sv__kill_all_under(tmp);
        sv__remove_tree(tmp, NULL);
        if (sv__clone_running(sv, in, tmp, NULL, err) != 0)
            return -1;
        if (rename(tmp, data) != 0) {
            sv__remove_tree(tmp, NULL);
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not place the standby of instance \"%s\"", in->key);
            return rds_detail(err, "rename %s: %s", tmp, strerror(errno));
        }
    }
    if (sb_start(sv, in, err) != 0)
        return -1;
    return wait_sync(sv, in, err);
}

int sv__standby_ensure(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char data[SV_PATH];
    node_dir(in, "standby", data, sizeof data);
    if (!in->multi_az) {
        if (in->sb_pid > 0 || sv__is_dir(data))
            sv__standby_stop(sv, in, true);
        return 0;
    }
    if (in->state != IS_RUNNING || in->pid <= 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is not running", in->key);
    keeper_start(sv);
    if (in->sb_pid <= 0 && sv__is_dir(data))
        sb_adopt(in);
    if (in->sb_pid > 0 && !sb_alive(in))
        sb_kill(in, true);
    if (in->sb_pid <= 0 && in->sb_sync && set_sync(sv, in, false, err) != 0) /* never block the primary */
        return -1;
    if (in->sb_pid > 0)
        return in->sb_sync && !in->sb_cut ? 0 : in->sb_cut ? set_sync(sv, in, false, err) : wait_sync(sv, in, err);
    if (sv__is_dir(data)) {
        rds_error first = { 0 };
        if (sb_build(sv, in, &first) == 0)
            return 0;
        /* it does not come up or does not stream (diverged): a fresh copy */
        log_at(LOG_WARN, "supervisor", "standby of instance \"%s\" is rebuilt from a fresh copy: %s (%s)", in->key,
               first.message, first.detail);
        sb_kill(in, true);
        sv__remove_tree(data, NULL);
    }
    return sb_build(sv, in, err);
}

void sv__standby_stop(sv_supervisor *sv, sv_inst *in, bool remove)
{
    if (in->sb_sync && in->pid > 0 && in->state == IS_RUNNING) {
        rds_error ignored = { 0 };
        set_sync(sv, in, false, &ignored);
    }
    in->sb_sync = false;
    sb_kill(in, false);
    if (!remove)
        return;
    char p[SV_PATH];
    node_dir(in, "standby", p, sizeof p);
    sv__remove_tree(p, NULL);
    sb_sock_path(in, p, sizeof p);
    sv__remove_tree(p, NULL);
}

int sv_instance_set_multi_az(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    if (sv__validate_spec(sv, spec, err) != 0)
        return -1;
    sv_inst *in = sv__get_inst(sv, spec->key, err);
    if (!in)
        return -1;
    in->multi_az = spec->multi_az;
    int rc = sv__standby_ensure(sv, in, err);
    sv__release_locked(sv, in);
    return rc;
}

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

/* Steps 1-6 of a failover (busy held): see the file comment. The old primary is killed,
 * on request too: a fast shutdown first waits for its checkpoint (about 100 ms measured),
 * and synchronous replication already has every acknowledged commit on the standby. */
static int failover_busy(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    int64_t t0 = sv__mono_ms();
    char old[SV_PATH], sbdata[SV_PATH], p[SV_PATH + 32];
    node_dir(in, "old", old, sizeof old);
    node_dir(in, "standby", sbdata, sizeof sbdata);
    if (in->sb_pid <= 0 || !sb_alive(in))
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
    /* 2: out of the way before anything is promoted */
    sv__remove_tree(old, NULL);
    if (rename(in->data, old) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not fail over instance \"%s\"", in->key);
        return rds_detail(err, "rename %s: %s", in->data, strerror(errno));
    }
    /* 3: promote (pg_ctl promote's signal file + SIGUSR1), wait on one session */
    char sbsock[SV_PATH];
    sb_sock_path(in, sbsock, sizeof sbsock);
    bool answered;
    PGconn *c = connect_within(sbsock, in->port, 5000, &answered);
    snprintf(p, sizeof p, "%s/promote", sbdata);
    if (sv__write_file(p, "", 0600, own_uid(sv), sv->pg_gid, err) != 0) {
        PQfinish(c);
        return -1;
    }
    kill(in->sb_pid, SIGUSR1);
    int64_t deadline = sv__mono_ms() + 10000;
    for (;;) {
        char v[8] = "";
        if (!c)
            c = connect_within(sbsock, in->port, 500, &answered);
        if (c && query_within(c, "SELECT pg_is_in_recovery()", 1000, v, sizeof v) != 0) {
            PQfinish(c);
            c = NULL;
        }
        if (strcmp(v, "f") == 0)
            break;
        if (sv__mono_ms() > deadline) {
            PQfinish(c);
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the standby of instance \"%s\" was not promoted", in->key);
        }
        sv__sleep_ms(1);
    }
    PQfinish(c);
    int64_t t_promoted = sv__mono_ms();
    /* 4-5: stop it and move it to D/data */
    sb_kill(in, false);
    int64_t t_stopped = sv__mono_ms();
    if (rename(sbdata, in->data) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not fail over instance \"%s\"", in->key);
        return rds_detail(err, "rename %s: %s", sbdata, strerror(errno));
    }
    /* 6: the endpoint: same port, same socket path */
    if (sv__inst_spawn(sv, in, err) != 0)
        return -1;
    if (sv__inst_wait_ready(sv, in, err) != 0) {
        sv__inst_kill(sv, in, true);
        return -1;
    }
    sv__set_state(sv, in, IS_RUNNING);
    in->hang_misses = 0;
    int64_t t_end = sv__mono_ms();
    log_at(LOG_INFO, "supervisor",
           "instance \"%s\" failed over ms=%lld (kill %lld, promote %lld, stop %lld, start %lld) pid=%d", in->key,
           (long long)(t_end - t0), (long long)(t_killed - t0), (long long)(t_promoted - t_killed),
           (long long)(t_stopped - t_promoted), (long long)(t_end - t_stopped), (int)in->pid);
    return 0;
}

/* The old primary (D/old) comes back as the standby: pg_rewind against the new primary
 * (a CHECKPOINT first, so its control file shows the new timeline), else a fresh copy. */
static int rejoin(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char old[SV_PATH], sbdata[SV_PATH], logp[SV_PATH], exe[SV_PATH], src[SV_PATH + 128], v[8];
    node_dir(in, "old", old, sizeof old);
    node_dir(in, "standby", sbdata, sizeof sbdata);
    node_dir(in, "rewind.log", logp, sizeof logp);
    sv_major *m = sv__major(sv, in->major);
    bool rewound = false;
    if (m && sv__is_dir(old) && !sv->sb_closing &&
        ask(in->sock, in->port, "CHECKPOINT", 10000, v, sizeof v) == 0) {
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
        sb_kill(in, true);
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
        node_dir(in, "old", old, sizeof old);
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

/* ---- faults' hooks ----------------------------------------------------------------------- */

int sv_standby_pids(sv_supervisor *sv, const char *key, int *pids, int max)
{
    pthread_mutex_lock(&sv->mu);
    sv_inst *in = sv__find(sv, key);
    pid_t pm = in ? in->sb_pid : 0;
    pthread_mutex_unlock(&sv->mu);
    if (pm <= 0 || max <= 0 || !sv__pid_alive(pm))
        return 0;
    pids[0] = (int)pm;
    return 1 + sv__proc_children(pm, pids + 1, max - 1);
}

int sv_standby_cut(sv_supervisor *sv, const char *key, bool cut, rds_error *err)
{
    sv_inst *in = sv__get_inst(sv, key, err);
    if (!in)
        return -1;
    int rc = 0;
    if (!in->multi_az || in->sb_pid <= 0 || in->state != IS_RUNNING) {
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" has no running standby", key);
        goto out;
    }
    in->sb_cut = cut;
    if (cut && (rc = set_sync(sv, in, false, err)) != 0) /* first: the primary must not block */
        goto out;
    sv_inst *v = malloc(sizeof *v);
    if (!v)
        abort();
    standby_view(in, v);
    rc = sv__write_conf(sv, v, err);
    free(v);
    if (rc == 0 && kill(in->sb_pid, SIGHUP) != 0)
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not signal the standby of instance \"%s\"", key);
    if (rc == 0 && cut) { /* until the primary sees no walsender for it */
        int64_t deadline = sv__mono_ms() + 5000;
        while (streaming(in) && sv__mono_ms() < deadline)
            sv__sleep_ms(5);
    }
    if (rc == 0 && !cut)
        rc = wait_sync(sv, in, err);
out:
    sv__release_locked(sv, in);
    return rc;
}

/* ---- the keeper thread ------------------------------------------------------------------- */

typedef struct probe {
    char key[64], sock[SV_PATH], sbsock[SV_PATH];
    int port;
    pid_t pid, sb_pid;
    bool sb_sync, sb_cut;
} probe;

/* One health check of in (not busy, caller holds sv->mu on entry and exit; the lock is
 * dropped while connecting). */
static void check_instance(sv_supervisor *sv, sv_inst *in, int64_t now)
{
    if (!sv__pid_alive(in->pid)) {
        sv__standby_failover_async(sv, in, "The primary host of the RDS Multi-AZ instance is unhealthy.");
        return;
    }
    if (in->sb_pid > 0 && !sb_alive(in)) {
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
    if (now < in->next_ping_ms)
        return;
    in->next_ping_ms = now + SB_PING_EVERY_MS;
    probe pr;
    snprintf(pr.key, sizeof pr.key, "%s", in->key);
    snprintf(pr.sock, sizeof pr.sock, "%s", in->sock);
    sb_sock_path(in, pr.sbsock, sizeof pr.sbsock);
    pr.port = in->port;
    pr.pid = in->pid;
    pr.sb_pid = in->sb_pid;
    pr.sb_sync = in->sb_sync;
    pr.sb_cut = in->sb_cut;
    pthread_mutex_unlock(&sv->mu);
    bool answered = false, sb_answered = false, streams = false;
    PGconn *c = connect_within(pr.sock, pr.port, SB_PING_TIMEOUT_MS, &answered);
    PQfinish(c);
    PGconn *sc = connect_within(pr.sbsock, pr.port, SB_PING_TIMEOUT_MS, &sb_answered);
    PQfinish(sc);
    if (answered && sb_answered && !pr.sb_sync && !pr.sb_cut) {
        probe tmp = pr;
        sv_inst fake; /* streaming() reads sock and port only */
        snprintf(fake.sock, sizeof fake.sock, "%s", tmp.sock);
        fake.port = tmp.port;
        streams = streaming(&fake);
    }
    pthread_mutex_lock(&sv->mu);
    in = sv__find(sv, pr.key);
    if (!in || in->busy || in->pid != pr.pid || in->sb_pid != pr.sb_pid || in->state != IS_RUNNING)
        return;
    in->hang_misses = answered ? 0 : in->hang_misses + 1;
    if (in->hang_misses >= SB_HANG_MISSES) {
        sv__standby_failover_async(sv, in, "The RDS Multi-AZ primary instance is busy and unresponsive.");
        return;
    }
    bool want_sync = sb_answered && !in->sb_cut && (in->sb_sync || streams);
    if (want_sync == in->sb_sync || !answered)
        return;
    /* a short step under busy: the conf and a reload */
    in->busy = true;
    pthread_mutex_unlock(&sv->mu);
    rds_error e = { 0 };
    if (set_sync(sv, in, want_sync, &e) != 0)
        log_at(LOG_WARN, "supervisor", "instance \"%s\": could not %s synchronous replication: %s", in->key,
               want_sync ? "restore" : "drop", e.message);
    else
        log_at(LOG_INFO, "supervisor", "instance \"%s\": synchronous replication %s", in->key,
               want_sync ? "restored" : "dropped (standby not answering)");
    pthread_mutex_lock(&sv->mu);
    sv__release(sv, in);
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
                check_instance(sv, in, now); /* may drop and retake the lock: the table may change */
                if (i >= sv->ninsts || sv->insts[i] != in)
                    break;
            }
        }
        pthread_mutex_unlock(&sv->mu);
        sv__sleep_ms(SB_TICK_MS);
        pthread_mutex_lock(&sv->mu);
    }
    pthread_mutex_unlock(&sv->mu);
    return NULL;
}

static void keeper_start(sv_supervisor *sv)
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
            sb_kill(sv->insts[i], false);
}
