/* test_supervisor_standby.c: e2e tests of the Multi-AZ standby in the supervisor
 * (sv_standby.c) with real postgres: the hooks the fault injector uses (sv_standby_pids,
 * sv_standby_cut), a standby killed under the primary (which must not block), a failover on
 * request through the supervisor API, and the refusals on a Single-AZ instance. */
#include "check.h"
#include "sv_test.h"

#include <postgresql/libpq-fe.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static const char *MASTER = "master";
static const char *PW = "standby pw";

static int next_port(void)
{
    static int p = 16000; /* a range of its own: the supervisor tests run in parallel */
    return sv_test_next_port(&p, 16000, 16099);
}

static void cleanup(void)
{
    sv_test_end_state();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One query as the master user over TCP (a 5 s statement timeout: a blocked commit fails
 * instead of hanging the test); the value is copied to out. */
static const char *mq(int port, const char *sql, char *out, size_t n)
{
    PGconn *c = sv_test_conn(port, MASTER, PW, "appdb");
    const char *r = c ? sv_test_q1(c, "SET statement_timeout = 5000") : NULL;
    if (r)
        r = sv_test_q1(c, sql);
    if (r && snprintf(out, n, "%s", r) >= (int)n)
        r = NULL;
    PQfinish(c);
    return r ? out : NULL;
}

/* One query on the standby, as rdsadmin over its private socket. */
static const char *sq(const char *key, int port, const char *sql, char *out, size_t n)
{
    char host[512], p[16];
    snprintf(host, sizeof host, "%s/instances/%s/sbsock", g_state, key);
    snprintf(p, sizeof p, "%d", port);
    const char *kw[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
    const char *val[] = { host, p, "rdsadmin", "appdb", "5", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    const char *r = PQstatus(c) == CONNECTION_OK ? sv_test_q1(c, sql) : NULL;
    if (r && snprintf(out, n, "%s", r) >= (int)n)
        r = NULL;
    PQfinish(c);
    return r ? out : NULL;
}

static bool synchronous(int port)
{
    char v[64];
    return mq(port, "SELECT string_agg(sync_state, ',') FROM pg_stat_replication", v, sizeof v) &&
           strcmp(v, "sync") == 0;
}

static bool wait_synchronous(int port, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        if (synchronous(port))
            return true;
        usleep(20000);
    }
    return false;
}

/* A running Multi-AZ instance "m" with table t. */
static sv_supervisor *multi_az(int *port)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    *port = next_port();
    sv_instance_spec spec = sv_test_spec("m", *port, MASTER, PW);
    spec.multi_az = true;
    rds_error err = { 0 };
    CHECK_INT(sv_instance_create(sv, &spec, &err), 0);
    CHECK_INT(sv_instance_set_multi_az(sv, &spec, &err), 0);
    char v[64];
    CHECK(mq(*port, "CREATE TABLE t (i int)", v, sizeof v) != NULL);
    return sv;
}

static void test_sv_standby__cut_keeps_primary_writable_then_catches_up(void)
{
    int port;
    sv_supervisor *sv = multi_az(&port);
    char v[64];
    int pids[64];
    CHECK(sv_standby_pids(sv, "m", pids, 64) >= 2); /* postmaster + its children */
    CHECK(synchronous(port));
    CHECK(mq(port, "INSERT INTO t VALUES (1)", v, sizeof v) != NULL);
    CHECK_STR(sq("m", port, "SELECT count(*) FROM t", v, sizeof v), "1");

    rds_error err = { 0 };
    CHECK_INT(sv_standby_cut(sv, "m", true, &err), 0);
    CHECK_STR(mq(port, "SHOW synchronous_standby_names", v, sizeof v), "");
    CHECK_STR(mq(port, "SELECT count(*) FROM pg_stat_replication", v, sizeof v), "0");
    /* the primary keeps committing; the standby does not see it */
    CHECK(mq(port, "INSERT INTO t SELECT generate_series(2, 100)", v, sizeof v) != NULL);
    CHECK_STR(sq("m", port, "SELECT count(*) FROM t", v, sizeof v), "1");

    CHECK_INT(sv_standby_cut(sv, "m", false, &err), 0);
    CHECK(synchronous(port));
    CHECK(mq(port, "INSERT INTO t VALUES (101)", v, sizeof v) != NULL);
    /* synchronous again: an acknowledged commit is on the standby (flushed; replay follows) */
    int64_t end = now_ms() + 5000;
    while (now_ms() < end && !(sq("m", port, "SELECT count(*) FROM t", v, sizeof v) && strcmp(v, "101") == 0))
        usleep(10000);
    CHECK_STR(v, "101");
    sv_close(sv);
}

static void test_sv_standby__killed_standby_never_blocks_primary(void)
{
    int port;
    sv_supervisor *sv = multi_az(&port);
    char v[64];
    int pids[64];
    int n = sv_standby_pids(sv, "m", pids, 64);
    CHECK(n >= 2);
    int old_pm = pids[0];
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    /* commits must not wait for a standby that is gone (statement_timeout 5 s in mq) */
    for (int i = 0; i < 20; i++)
        CHECK(mq(port, "INSERT INTO t VALUES (1)", v, sizeof v) != NULL);
    /* the supervisor brings the standby back, synchronous */
    CHECK(wait_synchronous(port, 60000));
    n = sv_standby_pids(sv, "m", pids, 64);
    CHECK(n >= 2 && pids[0] != old_pm);
    sv_close(sv);
}

static void test_sv_standby__failover_on_request(void)
{
    int port;
    sv_supervisor *sv = multi_az(&port);
    char v[64];
    CHECK(mq(port, "INSERT INTO t SELECT generate_series(1, 500)", v, sizeof v) != NULL);
    int before[4];
    CHECK(sv_instance_pids(sv, "m", before, 4) >= 1);
    rds_error err = { 0 };
    CHECK_INT(sv_instance_failover(sv, "m", &err), 0);
    int after[4];
    CHECK(sv_instance_pids(sv, "m", after, 4) >= 1);
    CHECK(after[0] != before[0]);
    CHECK_STR(mq(port, "SELECT count(*) FROM t", v, sizeof v), "500");
    CHECK_STR(mq(port, "SELECT pg_is_in_recovery()", v, sizeof v), "f");
    /* the old primary rejoins as the synchronous standby */
    CHECK(wait_synchronous(port, 60000));
    CHECK(mq(port, "INSERT INTO t VALUES (501)", v, sizeof v) != NULL);
    sv_close(sv);
}

static void test_sv_standby__single_az_refusals(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    int port = next_port();
    sv_instance_spec spec = sv_test_spec("s", port, MASTER, PW);
    rds_error err = { 0 };
    CHECK_INT(sv_instance_create(sv, &spec, &err), 0);
    int pids[8];
    CHECK_INT(sv_standby_pids(sv, "s", pids, 8), 0);
    CHECK_INT(sv_standby_cut(sv, "s", true, &err), -1);
    CHECK_INT(err.code, RDS_E_INVALID_DB_INSTANCE_STATE);
    rds_error_clear(&err);
    CHECK_INT(sv_instance_failover(sv, "s", &err), -1);
    CHECK_INT(err.code, RDS_E_INVALID_DB_INSTANCE_STATE);
    rds_error_clear(&err);
    CHECK_INT(sv_standby_cut(sv, "nope", true, &err), -1);
    CHECK_INT(err.code, RDS_E_DB_INSTANCE_NOT_FOUND);
    sv_close(sv);
}

static const check_case cases[] = {
    TEST(test_sv_standby__cut_keeps_primary_writable_then_catches_up),
    TEST(test_sv_standby__killed_standby_never_blocks_primary),
    TEST(test_sv_standby__failover_on_request),
    TEST(test_sv_standby__single_az_refusals),
};

static void suite_setup(void)
{
    sv_test_case_start("svstb", "/tmp/svstb-XXXXXX");
}

CHECK_MAIN(cases, suite_setup, cleanup)
