/* snapshot_bench.c: issue 8 part 8. Drives the supervisor directly (no HTTP): one real
 * PostgreSQL instance filled by `pgbench -i -s SCALE` (scale 12: about 200 MB), then in
 * each of ROUNDS interleaved rounds, on the same data dir in the same run:
 *   raw      `cp -a` of the (running) instance's data dir: the reference
 *   snap     plain online snapshot (sv_snapshot_create, pg_basebackup)
 *   esnap    encrypted online snapshot (AES-256-GCM)
 *   restore  sv_instance_restore from the plain snapshot -> first master query over TCP
 *   erestore the same from the encrypted snapshot
 * and prints medians, the goal checks (snapshot >= 1/2 the raw copy's speed, encrypted
 * >= 1/3; restore -> first query < 2x the raw copy time) and one RESULT line.
 * Usage: snapshot_bench [SCALE [ROUNDS]]; env BENCH_DIR (default /tmp). Built and run by
 * bench/snapshot_bench.sh. Page cache stays warm for every variant alike. */
#include "rdslocal/supervisor.h"

#include <libpq-fe.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXR 9

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    double t[MAXR];
    memcpy(t, v, sizeof(double) * (size_t)n);
    qsort(t, (size_t)n, sizeof t[0], cmp_d);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void die(const char *what, const rds_error *err)
{
    fprintf(stderr, "snapshot_bench: %s: %s (%s)\n", what, err ? err->message : "", err ? err->detail : "");
    exit(1);
}

static int free_port(int from)
{
    for (int p = from; p < from + 100; p++)
        if (sv_port_free(p))
            return p;
    return 0;
}

static bool first_query(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    const char *kw[] = { "host", "port", "user", "password", "dbname", "sslmode", NULL };
    const char *val[] = { "127.0.0.1", p, "master", "bench-pw", "bench", "disable", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, "SELECT count(*) FROM pgbench_branches") : NULL;
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    PQfinish(c);
    return ok;
}

static long long du_bytes(const char *dir)
{
    char cmd[1200], out[64] = "";
    snprintf(cmd, sizeof cmd, "du -sb '%s' | cut -f1", dir);
    FILE *f = popen(cmd, "r");
    if (f && fgets(out, sizeof out, f) == NULL)
        out[0] = '\0';
    if (f)
        pclose(f);
    return atoll(out);
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 12;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (rounds < 1 || rounds > MAXR || scale < 1)
        return fprintf(stderr, "usage: snapshot_bench [SCALE [ROUNDS<=%d]]\n", MAXR), 2;
    signal(SIGPIPE, SIG_IGN);
    const char *base = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    char state[512], tmpl[512], data[700], raw[700], cmd[2048];
    snprintf(state, sizeof state, "%s/snapbench-XXXXXX", base);
    if (!mkdtemp(state) || chmod(state, 0755) != 0)
        return perror("mkdtemp"), 1;
    snprintf(tmpl, sizeof tmpl, "/tmp/rdslocal-snapbench-templates-%d", (int)geteuid());
    sv_config cfg = { .state_dir = state, .template_dir = tmpl, .spare_pool = 0 };
    sv_supervisor *sv = NULL;
    rds_error err = { 0 };
    if (sv_open(&sv, &cfg, &err) != 0)
        die("open", &err);
    int port = free_port(15700);
    sv_instance_spec src = { .key = "db-BENCH", .major = "15", .port = port, .master_username = "master",
                             .master_password = "bench-pw", .db_name = "bench", .max_connections = 20,
                             .shared_buffers_mb = 16 };
    if (sv_instance_create(sv, &src, &err) != 0)
        die("create", &err);
    double t = now_ms();
    snprintf(cmd, sizeof cmd, "PGPASSWORD=bench-pw /usr/lib/postgresql/15/bin/pgbench -q -i -s %d -h 127.0.0.1 "
             "-p %d -U master bench >/dev/null 2>&1", scale, port);
    if (system(cmd) != 0)
        die("pgbench -i", NULL);
    printf("pgbench -i -s %d: %.0f ms\n", scale, now_ms() - t);
    snprintf(data, sizeof data, "%s/instances/db-BENCH/data", state);
    snprintf(raw, sizeof raw, "%s/rawcopy", state);
    long long data_bytes = du_bytes(data);

    unsigned char key[32];
    RAND_bytes(key, sizeof key);
    const unsigned char wrapped[] = "bench-wrapped-key";
    sv_snapshot_crypt ecr = { .key = key, .wrapped = wrapped, .wrapped_n = sizeof wrapped };
    double tr[MAXR], tf[MAXR], ts[MAXR], te[MAXR], trs[MAXR], tre[MAXR];
    int64_t snap_bytes = 0;
    for (int r = 0; r < rounds; r++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'; sync", raw);
        system(cmd);
        snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", data, raw);
        t = now_ms();
        if (system(cmd) != 0)
            die("cp -a", NULL);
        tr[r] = now_ms() - t;
        /* the same copy made durable, as postgres makes a restored data dir durable
         * (it fsyncs every file before its recovery): a second reference, not a goal */
        snprintf(cmd, sizeof cmd, "find '%s' -type f -exec sync {} +", raw);
        if (system(cmd) != 0)
            die("sync", NULL);
        tf[r] = now_ms() - t;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'; sync", raw);
        system(cmd);

        t = now_ms();
        if (sv_snapshot_create(sv, "db-BENCH", "snap-plain", NULL, &snap_bytes, &err) != 0)
            die("snapshot", &err);
        ts[r] = now_ms() - t;
        system("sync");
        t = now_ms();
        if (sv_snapshot_create(sv, "db-BENCH", "snap-enc", &ecr, NULL, &err) != 0)
            die("encrypted snapshot", &err);
        te[r] = now_ms() - t;
        system("sync");

        const char *snaps[] = { "snap-plain", "snap-enc" };
        double *outs[] = { trs, tre };
        for (int i = 0; i < 2; i++) {
            sv_instance_spec rs = src;
            rs.key = "db-RESTORED";
            rs.port = free_port(15750);
            t = now_ms();
            if (sv_instance_restore(sv, &rs, snaps[i], i ? &ecr : NULL, &err) != 0)
                die("restore", &err);
            if (!first_query(rs.port))
                die("first query", NULL);
            outs[i][r] = now_ms() - t;
            if (sv_instance_delete(sv, "db-RESTORED", &err) != 0)
                die("delete", &err);
            system("sync");
        }
        sv_snapshot_delete(sv, "snap-plain", &err);
        sv_snapshot_delete(sv, "snap-enc", &err);
        printf("round %d: cp -a %.0f ms (+fsync %.0f), snapshot %.0f, encrypted %.0f, restore->query %.0f, encrypted %.0f\n", r + 1,
               tr[r], tf[r], ts[r], te[r], trs[r], tre[r]);
        fflush(stdout);
    }
    double mf = median(tf, rounds), mr = median(tr, rounds), ms = median(ts, rounds), me = median(te, rounds);
    double mrs = median(trs, rounds), mre = median(tre, rounds);
    double mb = data_bytes / 1e6;
    printf("\ndata dir %.0f MB (snapshot tar stream %.0f MB), medians of %d rounds:\n", mb, snap_bytes / 1e6, rounds);
    printf("| operation | ms | MB/s of the data dir | vs cp -a | goal |\n|---|---|---|---|---|\n");
    printf("| cp -a data dir | %.0f | %.0f | 1.00x time | reference |\n", mr, mb / mr * 1e3);
    printf("| cp -a + fsync of every file | %.0f | %.0f | %.2fx time | (second reference) |\n", mf, mb / mf * 1e3,
           mf / mr);
    printf("| plain snapshot | %.0f | %.0f | %.2fx time | <= 2x: %s |\n", ms, mb / ms * 1e3, ms / mr,
           ms <= 2 * mr ? "met" : "MISSED");
    printf("| encrypted snapshot | %.0f | %.0f | %.2fx time | <= 3x: %s |\n", me, mb / me * 1e3, me / mr,
           me <= 3 * mr ? "met" : "MISSED");
    printf("| restore -> first query (plain) | %.0f | %.0f | %.2fx time | < 2x: %s |\n", mrs, mb / mrs * 1e3, mrs / mr,
           mrs < 2 * mr ? "met" : "MISSED");
    printf("| restore -> first query (encrypted) | %.0f | %.0f | %.2fx time | < 2x: %s |\n", mre, mb / mre * 1e3,
           mre / mr, mre < 2 * mr ? "met" : "MISSED");
    printf("RESULT data_mb=%.0f cp_ms=%.0f cp_fsync_ms=%.0f snap_ms=%.0f esnap_ms=%.0f restore_ms=%.0f erestore_ms=%.0f\n", mb, mr, mf,
           ms, me, mrs, mre);
    sv_close(sv);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
    system(cmd);
    return 0;
}
