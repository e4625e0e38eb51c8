/* test_supervisor_replica.c: e2e tests of read replicas in the supervisor
 * (engine/supervisor/sv_replica.c) against real PostgreSQL servers: a replica cloned from
 * a running source streams its writes, refuses writes with PostgreSQL's read-only error,
 * logs the master user in with the source's password, survives a restart and a
 * supervisor re-open (still a standby, never a primary), reports its lag, and is promoted
 * to a writable standalone server that no longer follows the source.
 * Fresh state dir per case; own template cache; ports 15700-15799; no process may be left. */
#include "check.h"
#include "sv_test.h"

#include <postgresql/libpq-fe.h>
#include <time.h>

static const char *MASTER = "master";
static const char *PW = "replica pw 1";

static int next_port(void)
{
    static int p = 15900; /* a range of its own: the supervisor tests run in parallel */
    return sv_test_next_port(&p, 15900, 15999);
}

static PGconn *conn(int port) { return sv_test_conn(port, MASTER, PW, "appdb"); }

static const char *q(int port, const char *sql, char *out, size_t n)
{
    PGconn *c = conn(port);
    const char *r = sv_test_q1(c, sql);
    snprintf(out, n, "%s", r ? r : "(error)");
    PQfinish(c);
    return out;
}

/* Polls (up to 10 s) until sql on port returns want. */
static bool wait_value(int port, const char *sql, const char *want)
{
    char v[256];
    for (int i = 0; i < 1000; i++) {
        if (strcmp(q(port, sql, v, sizeof v), want) == 0)
            return true;
        usleep(10000);
    }
    fprintf(stderr, "waited for \"%s\" = %s, last %s\n", sql, want, v);
    return false;
}

/* The error message of sql on port ("" if it succeeded). */
static const char *err_of(int port, const char *sql, char *out, size_t n)
{
    PGconn *c = conn(port);
    PGresult *r = c ? PQexec(c, sql) : NULL;
    snprintf(out, n, "%s", c ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : "" : "(no connection)");
    PQclear(r);
    PQfinish(c);
    return out;
}

static int make_source(sv_supervisor *sv, const char *key)
{
    int port = next_port();
    sv_instance_spec s = sv_test_spec(key, port, MASTER, PW);
    rds_error err = { 0 };
    if (sv_instance_create(sv, &s, &err) != 0) {
        fprintf(stderr, "create %s: %s (%s)\n", key, err.message, err.detail);
        return 0;
    }
    char v[64];
    q(port, "CREATE TABLE t(id int PRIMARY KEY, v text)", v, sizeof v);
    q(port, "INSERT INTO t SELECT g, 'before' FROM generate_series(1, 100) g", v, sizeof v);
    return port;
}

static int make_replica(sv_supervisor *sv, const char *key, const char *source, rds_error *err)
{
    int port = next_port();
    sv_instance_spec s = sv_test_spec(key, port, NULL, NULL);
    s.db_name = NULL;
    s.replica_of = source;
    memset(err, 0, sizeof *err);
    if (sv_replica_create(sv, &s, err) != 0) {
        fprintf(stderr, "replica %s: %s (%s)\n", key, err->message, err->detail);
        return 0;
    }
    return port;
}

static void test_sv_replica__streams_read_only_and_promotes(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    int sp = make_source(sv, "db-SRC");
    CHECK(sp != 0);
    rds_error err;
    int rp = make_replica(sv, "db-REP", "db-SRC", &err);
    CHECK(rp != 0);
    char v[256];
    /* the copy, then the stream: rows written after the copy arrive */
    CHECK_STR(q(rp, "SELECT count(*) FROM t", v, sizeof v), "100");
    CHECK_STR(q(rp, "SELECT pg_is_in_recovery()", v, sizeof v), "t");
    q(sp, "INSERT INTO t SELECT g, 'after' FROM generate_series(101, 150) g", v, sizeof v);
    CHECK(wait_value(rp, "SELECT count(*) FROM t", "150"));
    /* the source sees the replica by its key */
    CHECK(wait_value(sp, "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'db-REP' "
                         "AND state = 'streaming'", "1"));
    /* writes fail as on RDS */
    CHECK_STR(err_of(rp, "INSERT INTO t VALUES (999, 'x')", v, sizeof v),
              "cannot execute INSERT in a read-only transaction");
    CHECK_STR(err_of(rp, "CREATE TABLE u(i int)", v, sizeof v),
              "cannot execute CREATE TABLE in a read-only transaction");
    sv_replica_state st;
    CHECK_INT(sv_replica_status(sv, "db-REP", &st, &err), 0);
    CHECK(st.in_recovery);
    CHECK(st.streaming);
    CHECK(st.lag_ms >= 0);
    CHECK_STR(st.detail, "");
    /* a source that is not running cannot be copied; nothing is left of the attempt */
    CHECK_INT(sv_instance_stop(sv, "db-SRC", &err), 0);
    CHECK_INT(make_replica(sv, "db-REP2", "db-SRC", &err), 0);
    CHECK_INT(err.code, RDS_E_INVALID_DB_INSTANCE_STATE);
    char p[512];
    snprintf(p, sizeof p, "%s/instances/db-REP2", g_state);
    CHECK(access(p, F_OK) != 0);
    /* the replica keeps serving reads while its source is down, and says it is not streaming */
    CHECK(wait_value(rp, "SELECT count(*) FROM t", "150"));
    for (int i = 0; i < 500; i++) {
        if (sv_replica_status(sv, "db-REP", &st, &err) == 0 && !st.streaming)
            break;
        usleep(10000);
    }
    CHECK(!st.streaming);
    CHECK(st.detail[0] != '\0');
    sv_instance_spec ss = sv_test_spec("db-SRC", sp, NULL, NULL);
    CHECK_INT(sv_instance_start(sv, &ss, &err), 0);
    q(sp, "INSERT INTO t VALUES (151, 'back')", v, sizeof v);
    CHECK(wait_value(rp, "SELECT count(*) FROM t", "151"));
    /* promotion: writable, no longer following the source */
    CHECK_INT(sv_replica_promote(sv, "db-REP", &err), 0);
    CHECK_STR(q(rp, "SELECT pg_is_in_recovery()", v, sizeof v), "f");
    CHECK_STR(q(rp, "INSERT INTO t VALUES (1000, 'promoted') RETURNING id", v, sizeof v), "1000");
    q(sp, "INSERT INTO t VALUES (152, 'not replicated')", v, sizeof v);
    usleep(300000);
    CHECK_STR(q(rp, "SELECT count(*) FROM t WHERE id = 152", v, sizeof v), "0");
    snprintf(p, sizeof p, "%s/instances/db-REP/data/standby.signal", g_state);
    CHECK(access(p, F_OK) != 0);
    /* a restart after promotion stays a primary */
    sv_instance_spec rs = sv_test_spec("db-REP", rp, NULL, NULL);
    CHECK_INT(sv_instance_restart(sv, &rs, &err), 0);
    CHECK_STR(q(rp, "SELECT pg_is_in_recovery()", v, sizeof v), "f");
    CHECK_INT(sv_replica_promote(sv, "db-REP", &err), 0); /* already a primary: no-op */
    sv_close(sv);
}

static void test_sv_replica__restart_and_reopen_stay_replicas(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    int sp = make_source(sv, "db-SRC");
    rds_error err;
    int rp = make_replica(sv, "db-REP", "db-SRC", &err);
    CHECK(sp != 0 && rp != 0);
    char v[256];
    sv_instance_spec rs = sv_test_spec("db-REP", rp, NULL, NULL);
    rs.replica_of = "db-SRC";
    CHECK_INT(sv_instance_restart(sv, &rs, &err), 0);
    CHECK_STR(q(rp, "SELECT pg_is_in_recovery()", v, sizeof v), "t");
    q(sp, "INSERT INTO t VALUES (200, 'after restart')", v, sizeof v);
    CHECK(wait_value(rp, "SELECT count(*) FROM t", "101"));
    /* a new supervisor (as after rdslocal restarts) with the replica listed FIRST: it
     * starts before its source and catches up once the source is up */
    sv_close(sv);
    sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    sv_instance_spec specs[2] = { rs, sv_test_spec("db-SRC", sp, NULL, NULL) };
    bool run[2] = { true, true };
    CHECK_INT(sv_reconcile(sv, specs, run, 2, NULL, 0, &err), 0);
    CHECK_STR(q(rp, "SELECT pg_is_in_recovery()", v, sizeof v), "t");
    CHECK_STR(err_of(rp, "DELETE FROM t", v, sizeof v), "cannot execute DELETE in a read-only transaction");
    q(sp, "INSERT INTO t VALUES (201, 'after reopen')", v, sizeof v);
    CHECK(wait_value(rp, "SELECT count(*) FROM t", "102"));
    sv_close(sv);
}

static const check_case cases[] = {
    TEST(test_sv_replica__streams_read_only_and_promotes),
    TEST(test_sv_replica__restart_and_reopen_stay_replicas),
};

static void suite_setup(void) { sv_test_case_start("svrepl", "/tmp/svrepl-XXXXXX"); }
static void cleanup(void) { sv_test_end_state(); }

CHECK_MAIN(cases, suite_setup, cleanup)
