/* test_supervisor_pitr.c: e2e tests of WAL archiving and point-in-time restore in the
 * supervisor (engine/supervisor/sv_wal.c, sv_pitr.c) against real PostgreSQL servers:
 * rows committed at distinct instants, restores to instants between them (exact row
 * sets), to the latest point and past the last commit; the restorable instant reported
 * by sv_wal_ship; an encrypted archive (no plaintext in its files, refused with a wrong
 * key, nothing left behind); archiving off (nothing kept); prune and delete.
 * The base backups are snapshots (sv_snapshot_create: pg_basebackup). Ports 15700-15799;
 * template cache /tmp/rdslocal-svpitr-templates-<uid>. */
#include "check.h"
#include "sv_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <postgresql/libpq-fe.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *MASTER = "master";
static const char *PW = "pitr pw'1";
#define MARKER "rdslocal-pitr-marker-5b1e0d"
#define NROWS 5

static const unsigned char KEY1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char KEY2[32] = "fedcba9876543210fedcba9876543210";
static const unsigned char WRAP1[] = "wrapped-wal-key-one";

static int next_port(void)
{
    static int p = 15800; /* a range of its own: the supervisor tests run in parallel */
    return sv_test_next_port(&p, 15800, 15899);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_text(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t r = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[r] = '\0';
    return (int)r;
}

static const char *q(int port, const char *sql, char *out, size_t n)
{
    PGconn *c = sv_test_conn(port, MASTER, PW, "appdb");
    const char *r = sv_test_q1(c, sql);
    snprintf(out, n, "%s", r ? r : "(error)");
    PQfinish(c);
    return out;
}

/* Ships until the restorable instant reaches want (or 30 s pass); returns it. */
static int64_t ship_until(sv_supervisor *sv, const char *key, const sv_snapshot_crypt *crypt, int64_t want)
{
    int64_t best = -1;
    for (int i = 0; i < 300; i++) {
        rds_error err = { 0 };
        int64_t r = -1;
        CHECK_INT(sv_wal_ship(sv, key, crypt, &r, &err), 0);
        if (r > best)
            best = r;
        if (best >= want)
            break;
        usleep(100000);
    }
    return best;
}

/* Creates an archiving instance, a base backup, then NROWS rows at distinct instants.
 * t[i] = a real instant after row i+1 committed and before row i+2; t[-1] analogue in *before. */
static void make_history(sv_supervisor *sv, const char *key, int port, const sv_snapshot_crypt *crypt,
                         const char *base, int64_t *before, int64_t t[NROWS])
{
    rds_error err = { 0 };
    sv_instance_spec spec = sv_test_spec(key, port, MASTER, PW);
    spec.archive_wal = true;
    CHECK_INT(sv_instance_create(sv, &spec, &err), 0);
    char buf[256];
    CHECK_STR(q(port, "CREATE TABLE t (id int primary key, note text)", buf, sizeof buf), "");
    CHECK_INT(sv_snapshot_create(sv, key, base, crypt, NULL, &err), 0);
    int64_t r = -1;
    CHECK_INT(sv_wal_ship(sv, key, crypt, &r, &err), 0); /* the first sample */
    usleep(300000);
    *before = now_ms();
    usleep(300000);
    for (int i = 0; i < NROWS; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, '" MARKER "-%d')", i + 1, i + 1);
        CHECK_STR(q(port, sql, buf, sizeof buf), "");
        usleep(250000);
        t[i] = now_ms();
        usleep(250000);
    }
}

static void restore_to(sv_supervisor *sv, const char *newkey, const char *base, const sv_snapshot_crypt *bc,
                       const char *walkey, const sv_snapshot_crypt *wc, int64_t target, const char *want_ids)
{
    rds_error err = { 0 };
    int port = next_port();
    sv_instance_spec spec = sv_test_spec(newkey, port, MASTER, PW);
    int rc = sv_instance_restore_pitr(sv, &spec, base, bc, walkey, wc, target, &err);
    if (rc != 0)
        fprintf(stderr, "restore %s: %s (%s)\n", newkey, err.message, err.detail);
    CHECK_INT(rc, 0);
    char buf[256];
    CHECK_STR(q(port, "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM t", buf, sizeof buf),
              want_ids);
    /* a primary again: it takes writes, and the recovery settings are gone from its conf */
    CHECK_STR(q(port, "SELECT pg_is_in_recovery()::text", buf, sizeof buf), "false");
    CHECK_STR(q(port, "INSERT INTO t VALUES (100, 'after')", buf, sizeof buf), "");
    char p[1024], conf[8192];
    snprintf(p, sizeof p, "%s/instances/%s/data/rdslocal.conf", g_state, newkey);
    CHECK(read_text(p, conf, sizeof conf) > 0 && !strstr(conf, "recovery_target"));
    snprintf(p, sizeof p, "%s/instances/%s/pitr-wal", g_state, newkey);
    struct stat st;
    CHECK(stat(p, &st) != 0);
    CHECK_INT(sv_instance_delete(sv, newkey, &err), 0);
}

static void test_sv_pitr__plain_restores_are_exact(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    int64_t before, t[NROWS];
    make_history(sv, "src", next_port(), NULL, "base1", &before, t);
    int64_t r = ship_until(sv, "src", NULL, t[NROWS - 1]);
    CHECK(r >= t[NROWS - 1]);
    CHECK(r <= now_ms());
    /* segments are kept without their zero tail */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/backups/src/wal", g_state);
    DIR *d = opendir(dir);
    int segs = 0, small = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != 24)
            continue;
        char p[1300];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        segs++;
        if (stat(p, &st) == 0 && st.st_size < (1 << 20))
            small++;
    }
    if (d)
        closedir(d);
    CHECK(segs >= 2);
    CHECK(small >= 1);
    restore_to(sv, "r-before", "base1", NULL, "src", NULL, before, "");
    restore_to(sv, "r-2", "base1", NULL, "src", NULL, t[1], "1,2");
    restore_to(sv, "r-4", "base1", NULL, "src", NULL, t[3], "1,2,3,4");
    /* after the last commit: no commit past the target in the archive */
    restore_to(sv, "r-end", "base1", NULL, "src", NULL, t[NROWS - 1], "1,2,3,4,5");
    restore_to(sv, "r-latest", "base1", NULL, "src", NULL, -1, "1,2,3,4,5");
    /* prune: segments archived before now go; delete: the archive goes */
    rds_error err = { 0 };
    CHECK_INT(sv_wal_prune_before(sv, "src", now_ms() + 1000, &err), 0);
    d = opendir(dir);
    segs = 0;
    while (d && (e = readdir(d)) != NULL)
        segs += strlen(e->d_name) == 24;
    if (d)
        closedir(d);
    CHECK_INT(segs, 0);
    CHECK_INT(sv_wal_delete_all(sv, "src", &err), 0);
    struct stat st;
    CHECK(stat(dir, &st) != 0);
    CHECK_INT(sv_instance_delete(sv, "src", &err), 0);
    sv_close(sv);
}

/* True if any file under dir holds needle. */
static bool dir_has(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool hit = false;
    size_t nl = strlen(needle);
    while (!hit && d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1300];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        FILE *f = fopen(p, "rb");
        if (!f)
            continue;
        static char buf[17 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t i = 0; i + nl <= n && !hit; i++)
            hit = memcmp(buf + i, needle, nl) == 0;
    }
    if (d)
        closedir(d);
    return hit;
}

static void test_sv_pitr__encrypted_archive(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    sv_snapshot_crypt c1 = { .key = KEY1, .wrapped = WRAP1, .wrapped_n = sizeof WRAP1 };
    sv_snapshot_crypt c2 = { .key = KEY2 };
    int64_t before, t[NROWS];
    make_history(sv, "esrc", next_port(), &c1, "ebase", &before, t);
    CHECK(ship_until(sv, "esrc", &c1, t[NROWS - 1]) >= t[NROWS - 1]);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/backups/esrc/wal", g_state);
    CHECK(!dir_has(dir, MARKER));
    unsigned char wrapped[64];
    size_t wn = 0;
    rds_error err = { 0 };
    CHECK_INT(sv_wal_wrapped_key(sv, "esrc", wrapped, sizeof wrapped, &wn, &err), 0);
    CHECK(wn == sizeof WRAP1 && memcmp(wrapped, WRAP1, wn) == 0);
    restore_to(sv, "e-3", "ebase", &c1, "esrc", &c1, t[2], "1,2,3");
    /* a wrong key: refused, nothing left behind */
    int port = next_port();
    sv_instance_spec spec = sv_test_spec("e-bad", port, MASTER, PW);
    rds_error e2 = { 0 };
    CHECK_ERR(sv_instance_restore_pitr(sv, &spec, "ebase", &c1, "esrc", &c2, t[2], &e2), &e2,
              RDS_E_INTERNAL_FAILURE);
    char p[1100];
    snprintf(p, sizeof p, "%s/instances/e-bad", g_state);
    struct stat st;
    CHECK(stat(p, &st) != 0);
    CHECK(sv_port_free(port));
    CHECK_INT(sv_instance_delete(sv, "esrc", &err), 0);
    sv_close(sv);
}

static void test_sv_pitr__archiving_off_keeps_nothing(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    rds_error err = { 0 };
    int port = next_port();
    sv_instance_spec spec = sv_test_spec("off", port, MASTER, PW);
    CHECK_INT(sv_instance_create(sv, &spec, &err), 0);
    char buf[256];
    CHECK_STR(q(port, "CREATE TABLE x (v int); INSERT INTO x VALUES (1)", buf, sizeof buf), "");
    usleep(1500000);
    int64_t r = 0;
    CHECK_INT(sv_wal_ship(sv, "off", NULL, &r, &err), 0);
    char p[1100];
    snprintf(p, sizeof p, "%s/instances/off/walout", g_state);
    struct stat st;
    CHECK(stat(p, &st) != 0);
    /* turned on by a reconfigure (reload): segments arrive */
    spec.archive_wal = true;
    CHECK_INT(sv_instance_reconfigure(sv, &spec, &err), 0);
    CHECK_STR(q(port, "INSERT INTO x VALUES (2)", buf, sizeof buf), "");
    int64_t t = now_ms();
    CHECK(ship_until(sv, "off", NULL, t) >= t);
    snprintf(p, sizeof p, "%s/backups/off/wal", g_state);
    DIR *d = opendir(p);
    int segs = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        segs += strlen(e->d_name) == 24;
    if (d)
        closedir(d);
    CHECK(segs >= 1);
    CHECK_INT(sv_instance_delete(sv, "off", &err), 0);
    sv_close(sv);
}

static const check_case cases[] = {
    TEST(test_sv_pitr__plain_restores_are_exact),
    TEST(test_sv_pitr__encrypted_archive),
    TEST(test_sv_pitr__archiving_off_keeps_nothing),
};

static void suite_setup(void)
{
    sv_test_case_start("svpitr", "/tmp/svpitr-XXXXXX");
}

static void cleanup(void)
{
    sv_test_end_state();
}

CHECK_MAIN(cases, suite_setup, cleanup)
