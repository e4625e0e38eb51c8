/* sv_standby.c: the Multi-AZ standby of an instance: its files and config, building and
 * starting it, synchronous replication on the primary, and the hooks of the fault injector.
 * The failover, the reconcile of an interrupted one and the health checks are in
 * sv_failover.c (shared helpers: sv_standby.h).
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
 * fast-stops the standby (a restartpoint of at most 1 MB of buffers) and starts it again as
 * D/data with the instance's port and socket, still with standby.signal, with
 * hot_standby = off and an existing promote_trigger_file: it replays all the WAL it has,
 * finds no more, promotes itself (a new timeline: PITR and pg_rewind need it) and only then
 * accepts connections, so no client ever sees it read-only. Promoting first and restarting
 * after costs a shutdown checkpoint (~300 ms); an immediate stop costs a replay from the
 * last restartpoint plus an fsync of the data dir at start (1-2 s). Measured in
 * bench/failover_bench.sh. promote_trigger_file exists up to PostgreSQL 15 (16 removed
 * it: a 16+ major would need the promote signal file and SIGUSR1 once it runs).
 *
 * Threads: the keeper thread (health checks, one per supervisor, started with the first
 * standby); detached failover/rebuild threads that own the instance's busy flag (counted
 * in restarts_in_flight so sv_close waits for them); request threads through the API. */
#include "sv_internal.h"
#include "sv_standby.h"

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

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* ---- paths and the standby-node view -------------------------------------------- */

/* Paths never exceed SV_PATH here (instance dirs are checked at creation); a cut one is
 * emptied rather than used. */
void sv__sb_dir(const sv_inst *in, const char *name, char *buf, size_t n)
{
    int r = snprintf(buf, n, "%s/%s", in->dir, name);
    if (r < 0 || (size_t)r >= n)
        buf[0] = '\0';
}

/* The standby's socket dir: beside the primary's (D/sbsock, or the /tmp fallback + "-sb"). */
void sv__sb_sock(const sv_inst *in, char *buf, size_t n)
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
    sv__sb_dir(in, "standby", v->data, sizeof v->data);
    sv__sb_sock(in, v->sock, sizeof v->sock);
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
            "shared_buffers = 1MB\n"    /* replay needs few (a promotion restarts it with the primary's); */
            "wal_buffers = 64kB\n"
            /* a hot standby runs no SERIALIZABLE transaction, and this one is not checked
             * against the primary's (max_locks_per_transaction is): its preallocated hash
             * tables are most of the shared memory the postmaster touches at start */
            "max_pred_locks_per_transaction = 10\n"
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
    if (in->sb_promoting) /* the failover start: see sv_failover.c */
        strbuf_printf(out, "# Multi-AZ failover start (sv_failover.c)\nhot_standby = off\n"
                      "promote_trigger_file = '%s/" SB_TRIGGER "'\n", in->data);
    /* the standby may lag for a while (a cut, a rebuild): keep the WAL it still needs */
    strbuf_printf(out, "# Multi-AZ primary (sv_standby.c)\nwal_keep_size = 64MB\nsynchronous_standby_names = '%s'\n",
                  in->sb_sync ? SB_APP : "");
    return 0;
}

/* ---- libpq with deadlines -------------------------------------------------------- */

/* Connects as rdsadmin over sock within timeout_ms. *answered: the server said something
 * (even an error such as "too many clients"): it is alive. NULL unless CONNECTION_OK. */
PGconn *sv__sb_connect(const char *sock, int port, int timeout_ms, bool *answered)
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
int sv__sb_query(PGconn *c, const char *sql, int timeout_ms, char *out, size_t n)
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
int sv__sb_ask(const char *sock, int port, const char *sql, int timeout_ms, char *out, size_t n)
{
    bool answered;
    PGconn *c = sv__sb_connect(sock, port, timeout_ms, &answered);
    if (!c)
        return -1;
    int rc = sv__sb_query(c, sql, timeout_ms, out, n);
    PQfinish(c);
    return rc;
}

/* ---- the standby node's process ----------------------------------------------------- */

bool sv__sb_alive(sv_inst *in)
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

void sv__sb_kill(sv_inst *in, bool immediate)
{
    char data[SV_PATH];
    sv__sb_dir(in, "standby", data, sizeof data);
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
        sv__sb_kill(in, true);
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
 * new session sees it and, when turning it on, until the walsender itself has reloaded
 * (pg_stat_replication says "sync": before that its priority is 0 and it shows "async").
 * Busy held. */
int sv__sb_set_sync(sv_supervisor *sv, sv_inst *in, bool on, rds_error *err)
{
    in->sb_sync = on;
    if (sv__write_conf(sv, in, err) != 0)
        return -1;
    if (in->pid <= 0 || kill(in->pid, SIGHUP) != 0)
        return 0;
    int64_t deadline = sv__mono_ms() + 2000;
    char v[128];
    while (sv__mono_ms() < deadline) {
        if (on ? sv__sb_ask(in->sock, in->port,
                            "SELECT current_setting('synchronous_standby_names') || ':' || coalesce((SELECT "
                            "sync_state FROM pg_stat_replication WHERE application_name = '" SB_APP "' LIMIT 1), '')",
                            500, v, sizeof v) == 0 && strcmp(v, SB_APP ":sync") == 0
               : sv__sb_ask(in->sock, in->port, "SHOW synchronous_standby_names", 500, v, sizeof v) == 0 &&
                     strcmp(v, "") == 0)
            return 0;
        sv__sleep_ms(2);
    }
    return rds_fail(err, RDS_E_INTERNAL_FAILURE, "postgres of instance \"%s\" did not reload its settings", in->key);
}

bool sv__sb_streaming(const sv_inst *in)
{
    char v[16];
    return sv__sb_ask(in->sock, in->port,
               "SELECT count(*) FROM pg_stat_replication WHERE application_name = '" SB_APP
               "' AND state = 'streaming'",
               SB_PING_TIMEOUT_MS, v, sizeof v) == 0 &&
           strcmp(v, "0") != 0;
}

/* Waits until the standby streams, then makes it synchronous. */
static int wait_sync(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    int64_t deadline = sv__mono_ms() + SB_SYNC_WAIT_MS;
    while (!sv__sb_streaming(in)) {
        if (!sv__sb_alive(in))
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the standby of instance \"%s\" exited", in->key);
        if (sv__mono_ms() > deadline || sv->sb_closing)
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the standby of instance \"%s\" does not stream", in->key);
        sv__sleep_ms(3);
    }
    return sv__sb_set_sync(sv, in, true, err);
}

/* ---- building the standby ---------------------------------------------------------- */

void sv__sb_keeper_start(sv_supervisor *sv);

/* Makes D/standby from the running primary (a fresh copy) if it is missing, starts it and
 * waits until it is synchronous. Busy held. */
static int sb_build(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char data[SV_PATH], tmp[SV_PATH];
    sv__sb_dir(in, "standby", data, sizeof data);
    sv__sb_dir(in, "standby.new", tmp, sizeof tmp);
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
    sv__sb_dir(in, "standby", data, sizeof data);
    if (!in->multi_az) {
        if (in->sb_pid > 0 || sv__is_dir(data))
            sv__standby_stop(sv, in, true);
        return 0;
    }
    if (in->state != IS_RUNNING || in->pid <= 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is not running", in->key);
    sv__sb_keeper_start(sv);
    if (in->sb_pid <= 0 && sv__is_dir(data))
        sb_adopt(in);
    if (in->sb_pid > 0 && !sv__sb_alive(in))
        sv__sb_kill(in, true);
    if (in->sb_pid <= 0 && in->sb_sync && sv__sb_set_sync(sv, in, false, err) != 0) /* never block the primary */
        return -1;
    if (in->sb_pid > 0)
        return in->sb_sync && !in->sb_cut ? 0 : in->sb_cut ? sv__sb_set_sync(sv, in, false, err) : wait_sync(sv, in, err);
    if (sv__is_dir(data)) {
        rds_error first = { 0 };
        if (sb_build(sv, in, &first) == 0)
            return 0;
        /* it does not come up or does not stream (diverged): a fresh copy */
        log_at(LOG_WARN, "supervisor", "standby of instance \"%s\" is rebuilt from a fresh copy: %s (%s)", in->key,
               first.message, first.detail);
        sv__sb_kill(in, true);
        sv__remove_tree(data, NULL);
    }
    return sb_build(sv, in, err);
}

void sv__standby_stop(sv_supervisor *sv, sv_inst *in, bool remove)
{
    if (in->sb_sync && in->pid > 0 && in->state == IS_RUNNING) {
        rds_error ignored = { 0 };
        sv__sb_set_sync(sv, in, false, &ignored);
    }
    in->sb_sync = false;
    sv__sb_kill(in, false);
    if (!remove)
        return;
    char p[SV_PATH];
    sv__sb_dir(in, "standby", p, sizeof p);
    sv__remove_tree(p, NULL);
    sv__sb_sock(in, p, sizeof p);
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
    if (cut && (rc = sv__sb_set_sync(sv, in, false, err)) != 0) /* first: the primary must not block */
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
        while (sv__sb_streaming(in) && sv__mono_ms() < deadline)
            sv__sleep_ms(5);
    }
    if (rc == 0 && !cut)
        rc = wait_sync(sv, in, err);
out:
    sv__release_locked(sv, in);
    return rc;
}
