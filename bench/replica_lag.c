/* replica_lag.c: the probe of bench/replica_bench.sh. For D seconds, every INTERVAL ms:
 * INSERT a probe row on the source (the commit returns), then poll the replica with
 * `SELECT 1 FROM probe WHERE id = k` until it is there; that time is the replica lag a
 * client sees (commit acknowledged on the source -> readable on the replica). Alongside,
 * the source's own figure (pg_stat_replication.replay_lag of the replica) is sampled once
 * per probe. Prints one `RESULT` line: probes, median / p90 / max visible lag (ms), median /
 * max replay_lag (ms). Connections: libpq conninfo strings (TCP, master user).
 * Usage: replica_lag SOURCE_CONNINFO REPLICA_CONNINFO APP_NAME SECONDS INTERVAL_MS */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static PGconn *connect_or_die(const char *ci)
{
    PGconn *c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "connect %s: %s", ci, PQerrorMessage(c));
        exit(2);
    }
    return c;
}

static int ok(PGresult *r) { return PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK; }

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) { return n ? v[(int)((n - 1) * p + 0.5)] : -1; }

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s SOURCE_CONNINFO REPLICA_CONNINFO APP_NAME SECONDS INTERVAL_MS\n", argv[0]);
        return 2;
    }
    PGconn *src = connect_or_die(argv[1]), *rep = connect_or_die(argv[2]);
    double secs = atof(argv[4]), interval = atof(argv[5]);
    PQclear(PQexec(src, "SET client_min_messages = warning"));
    PQclear(PQexec(src, "CREATE TABLE IF NOT EXISTS probe (id bigint PRIMARY KEY)"));
    PGresult *r = PQexec(src, "SELECT coalesce(max(id), 0) FROM probe");
    long long k = ok(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    char lagq[256];
    snprintf(lagq, sizeof lagq,
             "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0) FROM pg_stat_replication "
             "WHERE application_name = '%s'", argv[3]);
    int cap = (int)(secs * 1000 / interval) + 16, n = 0, nr = 0;
    double *lag = calloc(cap, sizeof *lag), *replay = calloc(cap, sizeof *replay);
    double end = now_ms() + secs * 1000;
    while (now_ms() < end && n < cap) {
        double t_next = now_ms() + interval;
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO probe VALUES (%lld)", ++k);
        r = PQexec(src, sql);
        double t0 = now_ms();
        if (!ok(r)) {
            fprintf(stderr, "insert: %s", PQresultErrorMessage(r));
            return 1;
        }
        PQclear(r);
        snprintf(sql, sizeof sql, "SELECT 1 FROM probe WHERE id = %lld", k);
        for (;;) {
            r = PQexec(rep, sql);
            int seen = ok(r) && PQntuples(r) == 1;
            PQclear(r);
            if (seen)
                break;
            struct timespec pause = { 0, 200000 }; /* 0.2 ms between polls */
            nanosleep(&pause, NULL);
            if (now_ms() - t0 > 10000) {
                fprintf(stderr, "probe %lld not visible after 10 s\n", k);
                return 1;
            }
        }
        lag[n++] = now_ms() - t0;
        r = PQexec(src, lagq);
        if (ok(r) && PQntuples(r) == 1)
            replay[nr++] = atof(PQgetvalue(r, 0, 0));
        PQclear(r);
        double wait = t_next - now_ms();
        if (wait > 0) {
            struct timespec ts = { (time_t)(wait / 1000), (long)((wait - (long)(wait / 1000) * 1000) * 1e6) };
            nanosleep(&ts, NULL);
        }
    }
    qsort(lag, n, sizeof *lag, cmp);
    qsort(replay, nr, sizeof *replay, cmp);
    printf("RESULT probes=%d visible_p50_ms=%.2f visible_p90_ms=%.2f visible_max_ms=%.2f "
           "replay_lag_p50_ms=%.2f replay_lag_max_ms=%.2f\n",
           n, pct(lag, n, 0.5), pct(lag, n, 0.9), n ? lag[n - 1] : -1, pct(replay, nr, 0.5),
           nr ? replay[nr - 1] : -1);
    PQfinish(src);
    PQfinish(rep);
    return 0;
}
