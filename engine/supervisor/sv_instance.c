/* sv_instance.c: the instance table and the per-instance operations: create (spare or
 * template clone, config, start, master role and database), start, stop, restart,
 * delete, master password changes, and the start/stop primitives sv_monitor.c reuses.
 *
 * Postgres is spawned directly (`postgres -D <data>`, new session, as the pg user when
 * root) and its readiness polled with PQping over the private unix socket every 3 ms;
 * pg_ctl -w would poll every 100 ms. Stops signal the postmaster (SIGINT fast, SIGQUIT
 * immediate) and poll the pid. Per-instance settings (rdslocal.conf, pg_hba.conf) are
 * written before every start by sv_conf.c.
 *
 * Credentials as on RDS: the internal superuser rdsadmin connects only over the unix
 * socket dir (mode 0700, trust); the master role gets LOGIN CREATEDB CREATEROLE IN ROLE
 * rds_superuser and a password hashed here with PQencryptPasswordConn (SCRAM), so the
 * clear text never reaches postgres or its logs. Called from any thread; the busy flag
 * (see sv_internal.h) serialises operations on one key. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* ---- table (caller holds sv->mu) ------------------------------------------ */

sv_inst *sv__find(sv_supervisor *sv, const char *key)
{
    for (size_t i = 0; i < sv->ninsts; i++)
        if (strcmp(sv->insts[i]->key, key) == 0)
            return sv->insts[i];
    return NULL;
}

sv_inst *sv__insert(sv_supervisor *sv, const char *key)
{
    if (sv->ninsts == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        sv_inst **p = realloc(sv->insts, cap * sizeof *p);
        if (!p)
            abort(); /* as arena allocation: out of memory is not recoverable here */
        sv->insts = p;
        sv->cap = cap;
    }
    sv_inst *in = calloc(1, sizeof *in);
    if (!in)
        abort();
    snprintf(in->key, sizeof in->key, "%s", key);
    in->busy = true;
    sv->insts[sv->ninsts++] = in;
    return in;
}

void sv__remove(sv_supervisor *sv, sv_inst *in)
{
    for (size_t i = 0; i < sv->ninsts; i++) {
        if (sv->insts[i] == in) {
            sv->insts[i] = sv->insts[--sv->ninsts];
            break;
        }
    }
    in->deleted = true;
}

void sv__release(sv_supervisor *sv, sv_inst *in)
{
    in->busy = false;
    if (in->deleted)
        free(in);
    pthread_cond_broadcast(&sv->cv);
}

void sv__release_locked(sv_supervisor *sv, sv_inst *in)
{
    pthread_mutex_lock(&sv->mu);
    sv__release(sv, in);
    pthread_mutex_unlock(&sv->mu);
}

int sv__validate_spec(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    const char *k = spec->key;
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > 63 || strcmp(k, ".") == 0 || strcmp(k, "..") == 0 ||
        strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "invalid instance key \"%s\"", k ? k : "");
    if (!spec->major || !sv__major(sv, spec->major))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "PostgreSQL major version \"%s\" is not installed",
                        spec->major ? spec->major : "");
    if (spec->port < 1 || spec->port > 65535)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "invalid port %d", spec->port);
    return 0;
}

int sv__inst_paths(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    if (sv__path(in->dir, sizeof in->dir, err, "%s/%s", sv->instances_dir, in->key) != 0 ||
        sv__path(in->data, sizeof in->data, err, "%s/data", in->dir) != 0 ||
        sv__path(in->sock, sizeof in->sock, err, "%s/sock", in->dir) != 0)
        return -1;
    /* A unix socket path is limited to 107 bytes; "/.s.PGSQL.65535" takes 15. For deep
     * state dirs use /tmp/rdslocal-<sha256(instance dir)[0..15]>, 0700, checked to be ours. */
    if (strlen(in->sock) > 90) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        EVP_Digest(in->dir, strlen(in->dir), md, &mdlen, EVP_sha256(), NULL);
        char hex[17];
        for (int i = 0; i < 8; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        snprintf(in->sock, sizeof in->sock, "/tmp/rdslocal-%s", hex);
    }
    return 0;
}

/* ---- files and config ---------------------------------------------------- */

static int ensure_dirs(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char p[SV_PATH];
    if (sv__mkdir_owned(in->dir, 0700, own_uid(sv), sv->pg_gid, err) != 0)
        return -1;
    if (sv__path(p, sizeof p, err, "%s/log", in->dir) != 0 ||
        sv__mkdir_owned(p, 0755, own_uid(sv), sv->pg_gid, err) != 0 ||
        sv__path(p, sizeof p, err, "%s/log/error", in->dir) != 0 ||
        sv__mkdir_owned(p, 0755, own_uid(sv), sv->pg_gid, err) != 0)
        return -1;
    if (strncmp(in->sock, "/tmp/rdslocal-", 14) == 0) {
        struct stat st;
        uid_t want = sv->as_root ? sv->pg_uid : geteuid();
        if (lstat(in->sock, &st) == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != want)) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "socket directory \"%s\" belongs to someone else", in->sock);
            return rds_detail(err, "owner uid %d, expected %d", (int)st.st_uid, (int)want);
        }
    }
    return sv__mkdir_owned(in->sock, 0700, own_uid(sv), sv->pg_gid, err);
}

/* ---- process primitives ------------------------------------------------------ */

/* Parses postmaster.pid (line 1 pid, line 4 port). */
static bool read_pidfile(const char *data, pid_t *pid, int *port)
{
    char p[SV_PATH + 32], buf[1024];
    snprintf(p, sizeof p, "%s/postmaster.pid", data);
    if (sv__read_file(p, buf, sizeof buf) <= 0)
        return false;
    int v[4] = { 0 };
    char *save = NULL, *line = strtok_r(buf, "\n", &save);
    for (int i = 0; i < 4 && line; i++, line = strtok_r(NULL, "\n", &save))
        v[i] = atoi(line);
    *pid = v[0];
    *port = v[3];
    return v[0] > 0;
}

bool sv__inst_find_running(sv_inst *in, pid_t *pid, int *port)
{
    pid_t p;
    int pt;
    if (!read_pidfile(in->data, &p, &pt) || !sv__pid_alive(p))
        return false;
    char link[64], cwd[SV_PATH];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)p);
    ssize_t r = readlink(link, cwd, sizeof cwd - 1);
    if (r <= 0)
        return false;
    cwd[r] = '\0';
    if (strcmp(cwd, in->data) != 0)
        return false; /* pid reused by an unrelated process */
    *pid = p;
    *port = pt;
    return true;
}

int sv__inst_spawn(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    pid_t old;
    int oport;
    if (sv__inst_find_running(in, &old, &oport))
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                        "instance \"%s\" already has a running postgres (pid %d)", in->key, (int)old);
    char p[SV_PATH], exe[SV_PATH], logp[SV_PATH];
    /* No postmaster runs here: any process still under the data dir is a leftover backend
     * of a killed one (it would keep the old shared memory busy). */
    sv__kill_all_under(in->data);
    /* Stale lock files naming a dead or zombie pid (PID 1 may reap late) make postgres
     * refuse to start: postmaster.pid and the socket lock files in the private socket dir. */
    if (sv__path(p, sizeof p, err, "%s/postmaster.pid", in->data) != 0)
        return -1;
    unlink(p);
    DIR *sd = opendir(in->sock);
    if (sd) {
        struct dirent *de;
        while ((de = readdir(sd)) != NULL) {
            if (strncmp(de->d_name, ".s.PGSQL.", 9) != 0)
                continue;
            if (sv__path(p, sizeof p, err, "%s/%s", in->sock, de->d_name) == 0)
                unlink(p);
        }
        closedir(sd);
    }
    sv_major *m = sv__major(sv, in->major);
    if (!m)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "PostgreSQL major version \"%s\" is not installed",
                        in->major);
    if (!sv_port_free(in->port))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "port %d is already in use", in->port);
    in->sb_sync = false; /* Multi-AZ: synchronous only once the standby streams again (sv_standby.c) */
    if (ensure_dirs(sv, in, err) != 0 || sv__write_conf(sv, in, err) != 0 ||
        sv__path(exe, sizeof exe, err, "%s/postgres", m->v.bin_dir) != 0 ||
        sv__path(logp, sizeof logp, err, "%s/startup.log", in->dir) != 0)
        return -1;
    char *argv[] = { exe, "-D", in->data, NULL };
    pid_t pid = sv__spawn(sv, argv, logp, -1, err);
    if (pid < 0)
        return -1;
    in->pid = pid;
    in->is_child = true;
    log_at(LOG_INFO, "supervisor", "started postgres for instance \"%s\" pid=%d port=%d", in->key, (int)pid,
           in->port);
    return 0;
}

static void log_exit(sv_inst *in, int status)
{
    char sbuf[64];
    log_at(LOG_INFO, "supervisor", "postgres for instance \"%s\" exited pid=%d status=\"%s\"", in->key,
           (int)in->pid, sv__status_str(status, sbuf, sizeof sbuf));
}

int sv__inst_wait_ready(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", in->port);
    const char *kw[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
    const char *val[] = { in->sock, port, SV_ADMIN_USER, "postgres", "5", NULL };
    int64_t deadline = sv__mono_ms() + SV_START_TIMEOUT_MS;
    for (;;) {
        if (PQpingParams(kw, val, 0) == PQPING_OK)
            return 0;
        int status = -1;
        bool dead = false;
        if (in->is_child) {
            pid_t r = waitpid(in->pid, &status, WNOHANG);
            dead = r == in->pid || (r < 0 && errno == ECHILD);
        } else {
            dead = !sv__pid_alive(in->pid);
        }
        if (dead || sv__mono_ms() > deadline) {
            char tail[200], logp[SV_PATH + 32], sbuf[64];
            snprintf(logp, sizeof logp, "%s/startup.log", in->dir);
            sv__log_tail(logp, tail, sizeof tail);
            if (dead) {
                log_exit(in, status);
                in->pid = 0;
                rds_fail(err, RDS_E_INTERNAL_FAILURE, "postgres for instance \"%s\" exited during start-up",
                         in->key);
                return rds_detail(err, "%s: %s", sv__status_str(status, sbuf, sizeof sbuf), tail);
            }
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "postgres for instance \"%s\" did not become ready", in->key);
            return rds_detail(err, "timeout after %d ms: %s", SV_START_TIMEOUT_MS, tail);
        }
        sv__sleep_ms(3);
    }
}

void sv__inst_kill(sv_supervisor *sv, sv_inst *in, bool immediate)
{
    if (in->pid <= 0)
        return;
    sv__fault_thaw(in); /* a hang fault's SIGSTOP would make it deaf to SIGINT/SIGQUIT */
    int status = -1;
    kill(in->pid, immediate ? SIGQUIT : SIGINT);
    bool gone = sv__wait_gone(in->pid, in->is_child, immediate ? 5000 : SV_STOP_TIMEOUT_MS, &status);
    if (!gone && !immediate) {
        kill(in->pid, SIGQUIT);
        gone = sv__wait_gone(in->pid, in->is_child, 5000, &status);
    }
    if (!gone) {
        kill(in->pid, SIGKILL);
        sv__wait_gone(in->pid, in->is_child, 5000, &status);
    }
    /* Children are not in the postmaster's process group; after an immediate stop or a
     * SIGKILL some may linger, and they keep the shared memory segment busy. */
    if (immediate || !gone)
        sv__kill_all_under(in->data);
    log_exit(in, status);
    in->pid = 0;
    in->is_child = false;
}

/* ---- libpq helpers ------------------------------------------------------------- */

PGconn *sv__admin_conn(const sv_inst *in, bool replication, rds_error *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", in->port);
    const char *kw[] = { "host", "port", "user", "dbname", "connect_timeout", "application_name",
                         replication ? "replication" : NULL, NULL };
    const char *val[] = { in->sock, port, SV_ADMIN_USER, "postgres", "10", "rdslocal", "true", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    if (PQstatus(c) != CONNECTION_OK) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not connect to instance \"%s\"", in->key);
        rds_detail(err, "%s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int exec_sql(PGconn *c, const char *sql, const char *what, rds_error *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not %s", what);
        rds_detail(err, "%s", PQresultErrorMessage(r));
    }
    PQclear(r);
    return rc;
}

/* ALTER/CREATE ROLE ... PASSWORD with a client-side SCRAM hash. verb: "CREATE"/"ALTER". */
static int role_with_password(PGconn *c, const char *verb, const char *user, const char *password,
                              const char *suffix, rds_error *err)
{
    char *hash = PQencryptPasswordConn(c, password, user, "scram-sha-256");
    char *ident = PQescapeIdentifier(c, user, strlen(user));
    char *lit = hash ? PQescapeLiteral(c, hash, strlen(hash)) : NULL;
    int rc;
    if (!hash || !ident || !lit) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not prepare the password of role \"%s\"", user);
        rds_detail(err, "%s", PQerrorMessage(c));
    } else {
        strbuf sql;
        strbuf_init(&sql);
        strbuf_printf(&sql, "%s ROLE %s%s PASSWORD %s%s", verb, ident,
                      strcmp(verb, "CREATE") == 0 ? " LOGIN CREATEDB CREATEROLE" : "", lit, suffix);
        char what[128];
        snprintf(what, sizeof what, "%s role \"%s\"", strcmp(verb, "CREATE") == 0 ? "create" : "alter", user);
        /* the verifier never reaches the server log, whatever the parameter group logs
         * (log_statement, log_min_duration_statement): DownloadDBLogFilePortion serves it */
        rc = exec_sql(c, "SET log_statement = 'none'; SET log_min_duration_statement = -1", "quiet session", err);
        if (rc == 0)
            rc = exec_sql(c, sql.data, what, err);
        OPENSSL_cleanse(sql.data, sql.len);
        strbuf_free(&sql);
    }
    if (hash) {
        OPENSSL_cleanse(hash, strlen(hash));
        PQfreemem(hash);
    }
    if (lit) {
        OPENSSL_cleanse(lit, strlen(lit));
        PQfreemem(lit);
    }
    PQfreemem(ident);
    return rc;
}

static int setup_master(sv_inst *in, const sv_instance_spec *spec, rds_error *err)
{
    PGconn *c = sv__admin_conn(in, false, err);
    if (!c)
        return -1;
    int rc = role_with_password(c, "CREATE", spec->master_username, spec->master_password,
                                " IN ROLE rds_superuser", err);
    if (rc == 0 && spec->db_name && spec->db_name[0]) {
        char *db = PQescapeIdentifier(c, spec->db_name, strlen(spec->db_name));
        char *owner = PQescapeIdentifier(c, spec->master_username, strlen(spec->master_username));
        strbuf sql;
        strbuf_init(&sql);
        char what[128];
        snprintf(what, sizeof what, "create database \"%s\"", spec->db_name);
        /* Rename the template's pre-made database; fall back to CREATE DATABASE. */
        strbuf_printf(&sql, "ALTER DATABASE " SV_SPARE_DB " RENAME TO %s", db ? db : "\"\"");
        rds_error ignored = { 0 };
        if (exec_sql(c, sql.data, what, &ignored) == 0) {
            strbuf_reset(&sql);
            strbuf_printf(&sql, "ALTER DATABASE %s OWNER TO %s", db ? db : "\"\"", owner ? owner : "\"\"");
        } else {
            strbuf_reset(&sql);
            strbuf_printf(&sql, "CREATE DATABASE %s OWNER %s", db ? db : "\"\"", owner ? owner : "\"\"");
        }
        rc = exec_sql(c, sql.data, what, err);
        strbuf_free(&sql);
        PQfreemem(db);
        PQfreemem(owner);
    }
    if (rc == 0 && !(spec->db_name && spec->db_name[0]))
        rc = exec_sql(c, "DROP DATABASE IF EXISTS " SV_SPARE_DB, "drop the spare database", err);
    PQfinish(c);
    return rc;
}

/* The create contract: the master user can log in over TCP and run a query. sslmode
 * prefer: SSL when the server has it (rds.force_ssl may demand it), plain otherwise. */
static int check_master(sv_inst *in, const sv_instance_spec *spec, rds_error *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", in->port);
    const char *db = spec->db_name && spec->db_name[0] ? spec->db_name : "postgres";
    const char *kw[] = { "host", "port", "user", "password", "dbname", "connect_timeout", "sslmode", NULL };
    const char *val[] = { "127.0.0.1", port, spec->master_username, spec->master_password, db, "10", "prefer",
                          NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    int rc = 0;
    if (PQstatus(c) != CONNECTION_OK) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "master user cannot connect to instance \"%s\"", in->key);
        rds_detail(err, "%s", PQerrorMessage(c));
    } else {
        rc = exec_sql(c, "SELECT 1", "run a query as the master user", err);
    }
    PQfinish(c);
    return rc;
}

/* ---- operations ---------------------------------------------------------------- */

/* Finds key (waiting while another operation holds it) or loads it from disk, and marks
 * it busy. NULL with DB_INSTANCE_NOT_FOUND if neither the table nor the disk has it. */
sv_inst *sv__get_inst(sv_supervisor *sv, const char *key, rds_error *err)
{
    pthread_mutex_lock(&sv->mu);
    sv_inst *in;
    while ((in = sv__find(sv, key)) != NULL && in->busy)
        pthread_cond_wait(&sv->cv, &sv->mu);
    if (in) {
        in->busy = true;
        pthread_mutex_unlock(&sv->mu);
        return in;
    }
    in = sv__insert(sv, key);
    pthread_mutex_unlock(&sv->mu);
    /* Not known to this process: an instance directory from an earlier run. */
    char pgv[SV_PATH], ver[16];
    if (sv__inst_paths(sv, in, err) != 0 || !sv__is_dir(in->data) ||
        sv__path(pgv, sizeof pgv, err, "%s/PG_VERSION", in->data) != 0 || sv__read_file(pgv, ver, sizeof ver) <= 0) {
        pthread_mutex_lock(&sv->mu);
        sv__remove(sv, in);
        sv__release(sv, in);
        pthread_mutex_unlock(&sv->mu);
        rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "instance \"%s\" not found", key);
        return NULL;
    }
    snprintf(in->major, sizeof in->major, "%.*s", (int)strcspn(ver, ".\n"), ver);
    pid_t pid;
    int port;
    if (sv__inst_find_running(in, &pid, &port)) {
        in->pid = pid;
        in->port = port;
        in->max_connections = in->shared_buffers_mb = -1; /* unknown: not compared by start */
        in->is_child = false;
        in->state = IS_RUNNING;
        log_at(LOG_INFO, "supervisor", "adopted postgres for instance \"%s\" pid=%d port=%d", key, (int)pid, port);
    }
    return in;
}

void sv__apply_spec(sv_inst *in, const sv_instance_spec *spec)
{
    snprintf(in->major, sizeof in->major, "%s", spec->major);
    in->port = spec->port;
    in->max_connections = spec->max_connections;
    in->shared_buffers_mb = spec->shared_buffers_mb;
    in->force_ssl = spec->force_ssl;
    snprintf(in->ca_id, sizeof in->ca_id, "%s", spec->ca_id ? spec->ca_id : "");
    snprintf(in->tls_host, sizeof in->tls_host, "%s", spec->tls_host ? spec->tls_host : "");
    sv__params_apply_spec(in, spec); /* params */
    in->archive_wal = spec->archive_wal;
    in->multi_az = spec->multi_az;
    snprintf(in->replica_of, sizeof in->replica_of, "%s", spec->replica_of ? spec->replica_of : "");
}

void sv__inst_remove_sock(sv_inst *in)
{
    if (strncmp(in->sock, "/tmp/rdslocal-", 14) == 0)
        sv__remove_tree(in->sock, NULL);
}

sv_inst *sv__inst_begin_new(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    pthread_mutex_lock(&sv->mu);
    if (sv__find(sv, spec->key)) {
        pthread_mutex_unlock(&sv->mu);
        rds_fail(err, RDS_E_DB_INSTANCE_ALREADY_EXISTS, "instance \"%s\" already exists", spec->key);
        return NULL;
    }
    sv_inst *in = sv__insert(sv, spec->key);
    pthread_mutex_unlock(&sv->mu);
    sv__apply_spec(in, spec);
    if (sv__inst_paths(sv, in, err) != 0)
        goto fail;
    if (sv__is_dir(in->dir)) {
        rds_fail(err, RDS_E_DB_INSTANCE_ALREADY_EXISTS, "instance \"%s\" already exists", spec->key);
        rds_detail(err, "directory %s exists", in->dir);
        goto fail;
    }
    if (!sv_port_free(spec->port)) {
        rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "port %d is already in use", spec->port);
        goto fail;
    }
    return in;
fail:
    sv__inst_end_new(sv, in, -1, false);
    return NULL;
}

int sv__inst_end_new(sv_supervisor *sv, sv_inst *in, int rc, bool made_dir)
{
    if (rc != 0) {
        sv__inst_kill(sv, in, true);
        if (made_dir) {
            /* anything still running from the directory goes before it does */
            sv__kill_all_under(in->dir);
            sv__remove_tree(in->dir, NULL);
            sv__inst_remove_sock(in);
        }
    }
    pthread_mutex_lock(&sv->mu);
    if (rc == 0)
        in->state = IS_RUNNING;
    else
        sv__remove(sv, in);
    sv__release(sv, in);
    pthread_mutex_unlock(&sv->mu);
    return rc;
}

int sv_instance_create(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    if (sv__validate_spec(sv, spec, err) != 0)
        return -1;
    if (!spec->master_username || !spec->master_username[0] || !spec->master_password || !spec->master_password[0])
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "master username and password are required");
    sv_major *m = sv__major(sv, spec->major);
    sv_inst *in = sv__inst_begin_new(sv, spec, err);
    if (!in)
        return -1;
    int64_t t0 = sv__mono_ms();
    bool made_dir = false;
    int rc = -1;
    if (sv__template_ensure(sv, m, err) != 0)
        goto done;
    made_dir = true;
    if (ensure_dirs(sv, in, err) != 0 || sv__take_data_dir(sv, m, in->data, err) != 0)
        goto done;
    int64_t t1 = sv__mono_ms();
    if (sv__inst_spawn(sv, in, err) != 0 || sv__inst_wait_ready(sv, in, err) != 0)
        goto done;
    int64_t t2 = sv__mono_ms();
    if (setup_master(in, spec, err) != 0 || check_master(in, spec, err) != 0)
        goto done;
    log_at(LOG_INFO, "supervisor", "created instance \"%s\" ms=%lld (clone %lld, start %lld, setup %lld)",
           in->key, (long long)(sv__mono_ms() - t0), (long long)(t1 - t0), (long long)(t2 - t1),
           (long long)(sv__mono_ms() - t2));
    rc = 0;
done:
    return sv__inst_end_new(sv, in, rc, made_dir);
}

void sv__set_state(sv_supervisor *sv, sv_inst *in, inst_state st)
{
    pthread_mutex_lock(&sv->mu);
    in->state = st;
    if (st == IS_RUNNING)
        in->ncrash = 0;
    pthread_mutex_unlock(&sv->mu);
}

/* Stop (if needed) and start with spec; caller holds busy. */
static int start_busy(sv_supervisor *sv, sv_inst *in, const sv_instance_spec *spec, bool force_restart,
                      rds_error *err)
{
    bool running = in->pid > 0 && (in->is_child ? true : sv__pid_alive(in->pid));
    if (running && !force_restart && in->state == IS_RUNNING && in->port == spec->port &&
        (in->max_connections < 0 || in->max_connections == spec->max_connections) &&
        (in->shared_buffers_mb < 0 || in->shared_buffers_mb == spec->shared_buffers_mb)) {
        sv__apply_spec(in, spec);
        sv__set_state(sv, in, IS_RUNNING);
        return 0;
    }
    sv__set_state(sv, in, IS_STOPPED);
    if (running)
        sv__inst_kill(sv, in, false);
    sv__apply_spec(in, spec);
    if (sv__inst_spawn(sv, in, err) != 0)
        return -1;
    if (sv__inst_wait_ready(sv, in, err) != 0) {
        sv__inst_kill(sv, in, true);
        return -1;
    }
    sv__set_state(sv, in, IS_RUNNING);
    return 0;
}

int sv_instance_start(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    if (sv__validate_spec(sv, spec, err) != 0)
        return -1;
    sv_inst *in = sv__get_inst(sv, spec->key, err);
    if (!in)
        return -1;
    int rc = start_busy(sv, in, spec, false, err);
    if (rc == 0)
        rc = sv__standby_ensure(sv, in, err);
    sv__release_locked(sv, in);
    return rc;
}

int sv_instance_restart(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    if (sv__validate_spec(sv, spec, err) != 0)
        return -1;
    sv_inst *in = sv__get_inst(sv, spec->key, err);
    if (!in)
        return -1;
    int rc = start_busy(sv, in, spec, true, err);
    if (rc == 0)
        rc = sv__standby_ensure(sv, in, err);
    sv__release_locked(sv, in);
    return rc;
}

int sv_instance_stop(sv_supervisor *sv, const char *key, rds_error *err)
{
    sv_inst *in = sv__get_inst(sv, key, err);
    if (!in)
        return -1;
    sv__set_state(sv, in, IS_STOPPED);
    sv__inst_kill(sv, in, false);
    sv__standby_stop(sv, in, false);
    sv__release_locked(sv, in);
    return 0;
}

int sv_instance_delete(sv_supervisor *sv, const char *key, rds_error *err)
{
    sv_inst *in = sv__get_inst(sv, key, err);
    if (!in)
        return -1;
    sv__set_state(sv, in, IS_STOPPED);
    sv__inst_kill(sv, in, true);
    sv__standby_stop(sv, in, true);
    sv__kill_all_under(in->dir);
    int rc = sv__remove_tree(in->dir, err);
    sv__inst_remove_sock(in);
    if (rc == 0)
        log_at(LOG_INFO, "supervisor", "deleted instance \"%s\"", key);
    pthread_mutex_lock(&sv->mu);
    sv__remove(sv, in);
    sv__release(sv, in);
    pthread_mutex_unlock(&sv->mu);
    return rc;
}

int sv_instance_quarantine(sv_supervisor *sv, const char *key, char *dest, size_t dest_n, rds_error *err)
{
    char src[SV_PATH], to[SV_PATH];
    if (sv__quarantine_dest(sv, sv->instances_dir, "", key, src, sizeof src, to, sizeof to, err) != 0)
        return -1;
    /* Its postgres, if one runs there (left by a killed rdslocal), stops cleanly first:
     * the data dir must not move under a live server. */
    rds_error ignored = { 0 };
    sv_inst *in = sv__get_inst(sv, key, &ignored);
    if (in) {
        sv__set_state(sv, in, IS_STOPPED);
        sv__inst_kill(sv, in, false);
    }
    sv__kill_all_under(src);
    int rc = 0;
    if (rename(src, to) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not move \"%s\" to quarantine", src);
        rc = rds_detail(err, "rename to %s: %s", to, strerror(errno));
    }
    if (in) {
        if (rc == 0)
            sv__inst_remove_sock(in);
        pthread_mutex_lock(&sv->mu);
        sv__remove(sv, in);
        sv__release(sv, in);
        pthread_mutex_unlock(&sv->mu);
    }
    if (rc == 0) {
        log_at(LOG_WARN, "supervisor", "moved \"%s\", which no instance of the state database owns, to "
               "quarantine \"%s\" (nothing was deleted; remove it when it is not needed)", src, to);
        if (dest && dest_n)
            snprintf(dest, dest_n, "%s", to);
    }
    return rc;
}

int sv_instance_set_master_password(sv_supervisor *sv, const char *key, const char *username,
                                    const char *password, rds_error *err)
{
    if (!username || !username[0] || !password || !password[0])
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "master username and password are required");
    sv_inst *in = sv__get_inst(sv, key, err);
    if (!in)
        return -1;
    int rc;
    if (in->state != IS_RUNNING) {
        rc = rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is not running", key);
    } else {
        PGconn *c = sv__admin_conn(in, false, err);
        rc = c ? role_with_password(c, "ALTER", username, password, "", err) : -1;
        PQfinish(c);
    }
    sv__release_locked(sv, in);
    return rc;
}

bool sv_instance_running(sv_supervisor *sv, const char *key)
{
    pthread_mutex_lock(&sv->mu);
    sv_inst *in = sv__find(sv, key);
    bool r = in && in->state == IS_RUNNING && in->pid > 0;
    pthread_mutex_unlock(&sv->mu);
    return r;
}

int sv_instance_pids(sv_supervisor *sv, const char *key, int *pids, int max)
{
    pthread_mutex_lock(&sv->mu);
    sv_inst *in = sv__find(sv, key);
    pid_t pm = in && in->state == IS_RUNNING ? in->pid : 0;
    pthread_mutex_unlock(&sv->mu);
    if (pm <= 0 || max <= 0)
        return 0;
    pids[0] = (int)pm;
    return 1 + sv__proc_children(pm, pids + 1, max - 1);
}

const char *sv_instance_log_dir(sv_supervisor *sv, const char *key, char *buf, size_t n)
{
    int r = snprintf(buf, n, "%s/%s/log", sv->instances_dir, key);
    return r < 0 || (size_t)r >= n ? NULL : buf;
}
