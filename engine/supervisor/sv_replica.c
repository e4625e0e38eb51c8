/* sv_replica.c: read replicas. A replica is an instance of its own (own key, dir, port,
 * socket) made by sv__clone_running (pg_basebackup -X stream) of its running source, then
 * started as a hot standby: standby.signal in its data dir and the conf fragment
 * `replica` (primary_conninfo to the SOURCE's private unix socket as rdsadmin, with
 * application_name = the replica's key, so the source's pg_stat_replication names it).
 * Asynchronous streaming, as RDS for PostgreSQL replicas are; no replication slot: a slot
 * is not carried to a Multi-AZ standby, so after a failover of the source the replica
 * could not reconnect (the price: a replica stopped for long may need a new copy).
 *
 * The source's port is looked up when the conf is written (the supervisor's table, else
 * the source's own rdslocal.conf), so a replica started before its source at reconcile
 * still finds it; the walreceiver retries every 200 ms until the source is up.
 * Promotion is pg_promote(wait => true); postgres removes standby.signal itself, and the
 * record forgets its source so later conf writes carry no standby lines. Any thread. */
#include "sv_internal.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* The port of the source key: its live record, else the port line of the rdslocal.conf
 * written before its last start. 0 if neither is known. */
static int source_port(sv_supervisor *sv, const char *key, const char *data_dir)
{
    int port = 0;
    pthread_mutex_lock(&sv->mu);
    sv_inst *src = sv__find(sv, key);
    if (src && src->port > 0)
        port = src->port;
    pthread_mutex_unlock(&sv->mu);
    if (port)
        return port;
    char p[SV_PATH + 32], buf[4096];
    snprintf(p, sizeof p, "%s/rdslocal.conf", data_dir);
    if (sv__read_file(p, buf, sizeof buf) <= 0)
        return 0;
    const char *line = strstr(buf, "\nport = ");
    return line ? atoi(line + 8) : 0;
}

int sv__conf_replica(const sv_supervisor *csv, const sv_inst *in, strbuf *out, rds_error *err)
{
    if (!in->replica_of[0])
        return 0;
    sv_supervisor *sv = (sv_supervisor *)csv; /* the table lock only */
    sv_inst src = { 0 };
    snprintf(src.key, sizeof src.key, "%s", in->replica_of);
    if (sv__inst_paths(sv, &src, err) != 0)
        return -1;
    int port = source_port(sv, src.key, src.data);
    if (port <= 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "the source \"%s\" of replica \"%s\" has no known port",
                        src.key, in->key);
    /* conninfo values go unquoted inside a quoted conf string: refuse what would need quoting */
    if (strpbrk(src.sock, " '\\") || strpbrk(in->key, " '\\"))
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "socket path \"%s\" cannot be used in primary_conninfo",
                        src.sock);
    strbuf_printf(out,
                  "# read replica of %s (sv_replica.c)\n"
                  "hot_standby = on\n"
                  "primary_conninfo = 'host=%s port=%d user=" SV_ADMIN_USER " application_name=%s'\n"
                  "wal_retrieve_retry_interval = '200ms'\n",
                  src.key, src.sock, port, in->key);
    return 0;
}

/* Polls (every 5 ms, up to timeout_ms) until the replica's WAL receiver streams, so a new
 * replica is reported "replicating" from its first Describe. */
static bool wait_streaming(const sv_inst *in, int timeout_ms)
{
    rds_error ignored = { 0 };
    PGconn *c = sv__admin_conn(in, false, &ignored);
    int64_t deadline = sv__mono_ms() + timeout_ms;
    bool streaming = false;
    while (c && !streaming && sv__mono_ms() < deadline) {
        PGresult *r = PQexec(c, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'");
        streaming = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "1") == 0;
        PQclear(r);
        if (!streaming)
            sv__sleep_ms(5);
    }
    PQfinish(c);
    return streaming;
}

int sv_replica_create(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    if (sv__validate_spec(sv, spec, err) != 0)
        return -1;
    if (!spec->replica_of || !spec->replica_of[0] || strcmp(spec->replica_of, spec->key) == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "a replica needs a source other than itself");
    sv_inst *src = sv__get_inst(sv, spec->replica_of, err);
    if (!src)
        return -1;
    if (!(src->state == IS_RUNNING && src->pid > 0)) {
        sv__release_locked(sv, src);
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "source instance \"%s\" is not running",
                        spec->replica_of);
    }
    sv_inst *in = sv__inst_begin_new(sv, spec, err);
    if (!in) {
        sv__release_locked(sv, src);
        return -1;
    }
    int64_t t0 = sv__mono_ms();
    char sig[SV_PATH];
    int rc = -1;
    bool made_dir = true;
    if (sv__mkdir_owned(in->dir, 0700, own_uid(sv), sv->pg_gid, err) != 0)
        goto done;
    rc = sv__clone_running(sv, src, in->data, NULL, err);
    sv__release_locked(sv, src);
    src = NULL;
    if (rc != 0)
        goto done;
    int64_t t1 = sv__mono_ms();
    rc = -1;
    if (sv__path(sig, sizeof sig, err, "%s/standby.signal", in->data) != 0 ||
        sv__write_file(sig, "", 0600, own_uid(sv), sv->pg_gid, err) != 0)
        goto done;
    if (sv__inst_spawn(sv, in, err) != 0 || sv__inst_wait_ready(sv, in, err) != 0)
        goto done;
    if (!wait_streaming(in, 10000))
        log_at(LOG_WARN, "supervisor", "replica \"%s\" does not stream from \"%s\" yet", in->key, in->replica_of);
    log_at(LOG_INFO, "supervisor", "created replica \"%s\" of \"%s\" ms=%lld (copy %lld, start %lld)", in->key,
           in->replica_of, (long long)(sv__mono_ms() - t0), (long long)(t1 - t0), (long long)(sv__mono_ms() - t1));
    rc = 0;
done:
    if (src)
        sv__release_locked(sv, src);
    return sv__inst_end_new(sv, in, rc, made_dir);
}

int sv__replica_unmark(const char *data_dir, rds_error *err)
{
    static const char *const marks[] = { "standby.signal", "recovery.signal" };
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
        char p[SV_PATH];
        if (sv__path(p, sizeof p, err, "%s/%s", data_dir, marks[i]) != 0)
            return -1;
        if (unlink(p) != 0 && errno != ENOENT) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove \"%s\"", p);
            return rds_detail(err, "%s", strerror(errno));
        }
    }
    return 0;
}

/* One row of one column as text into buf ("" for NULL); -1 with err on failure. */
static int query_text(PGconn *c, const char *sql, char *buf, size_t n, rds_error *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "replica query failed");
        rds_detail(err, "%s", PQresultErrorMessage(r));
    } else {
        snprintf(buf, n, "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

/* The record of key, busy, running; NULL with err otherwise. */
static sv_inst *running_inst(sv_supervisor *sv, const char *key, rds_error *err)
{
    sv_inst *in = sv__get_inst(sv, key, err);
    if (in && !(in->state == IS_RUNNING && in->pid > 0)) {
        sv__release_locked(sv, in);
        rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is not running", key);
        return NULL;
    }
    return in;
}

int sv_replica_promote(sv_supervisor *sv, const char *key, rds_error *err)
{
    sv_inst *in = running_inst(sv, key, err);
    if (!in)
        return -1;
    char v[16];
    int rc = -1;
    PGconn *c = sv__admin_conn(in, false, err);
    if (!c || query_text(c, "SELECT pg_is_in_recovery()::text", v, sizeof v, err) != 0)
        goto done;
    if (strcmp(v, "true") == 0) {
        /* waits (up to 60 s) until the end of recovery: the server then accepts writes */
        if (query_text(c, "SELECT pg_promote(true, 60)::text", v, sizeof v, err) != 0)
            goto done;
        if (strcmp(v, "true") != 0) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "replica \"%s\" was not promoted within 60 s", key);
            goto done;
        }
    }
    in->replica_of[0] = '\0';
    if (sv__write_conf(sv, in, err) != 0) /* no standby lines from now on */
        goto done;
    log_at(LOG_INFO, "supervisor", "promoted replica \"%s\"", key);
    rc = 0;
done:
    PQfinish(c);
    sv__release_locked(sv, in);
    return rc;
}

int sv_replica_status(sv_supervisor *sv, const char *key, sv_replica_state *out, rds_error *err)
{
    memset(out, 0, sizeof *out);
    out->lag_ms = -1;
    /* A copy of the connection details, not the busy flag: a Describe must not wait for a
     * snapshot or a restart of the replica to finish (a vanished server is an error). */
    sv_inst copy = { 0 };
    pthread_mutex_lock(&sv->mu);
    sv_inst *in = sv__find(sv, key);
    bool running = in && in->state == IS_RUNNING && in->pid > 0;
    if (running)
        copy = *in;
    pthread_mutex_unlock(&sv->mu);
    if (!in)
        return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "instance \"%s\" not found", key);
    if (!running)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is not running", key);
    char v[256];
    PGconn *c = sv__admin_conn(&copy, false, err);
    if (!c)
        return -1;
    int rc = -1;
    PGresult *r = PQexec(c,
        "SELECT pg_is_in_recovery(), "
        "       coalesce((SELECT status FROM pg_stat_wal_receiver), ''), "
        "       CASE WHEN NOT pg_is_in_recovery() THEN 0 "
        "            WHEN pg_last_wal_receive_lsn() IS NULL THEN NULL "
        "            WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 "
        "            ELSE (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint "
        "       END");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the replication state of \"%s\"", key);
        rds_detail(err, "%s", PQresultErrorMessage(r));
    } else {
        out->in_recovery = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        snprintf(v, sizeof v, "%s", PQgetvalue(r, 0, 1));
        out->streaming = strcmp(v, "streaming") == 0;
        out->lag_ms = PQgetisnull(r, 0, 2) ? -1 : atoll(PQgetvalue(r, 0, 2));
        if (out->in_recovery && !out->streaming)
            snprintf(out->detail, sizeof out->detail, "%.150s",
                     v[0] ? v : "the replica is not connected to its source");
        rc = 0;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}
