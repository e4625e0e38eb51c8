/* test_supervisor_snapshot.c: e2e tests of the supervisor's DB snapshot files
 * (engine/supervisor/sv_snapshot*.c) against real PostgreSQL servers: online snapshots
 * under a concurrent writer, stopped-instance snapshots, restores, AES-256-GCM encrypted
 * snapshots (wrong key, flipped byte, truncation, swapped chunks), copies between plain
 * and encrypted, reconcile, and file ownership when running as root.
 * Each case gets a fresh state dir (mode 0755 for the postgres user); the initdb template
 * cache is this test's own (/tmp/rdslocal-svsnap-templates-<uid>). Ports 15600-15699.
 * After each case no process may be left working in the state dir. */
#include "check.h"
#include "sv_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <postgresql/libpq-fe.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *MASTER = "master";
static const char *PW = "snap pw'1";
/* A row whose text must be findable in a plain snapshot's bytes and never in an
 * encrypted one's. */
#define MARKER "rdslocal-plaintext-marker-7f3a9c"

static const unsigned char KEY1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char KEY2[32] = "fedcba9876543210fedcba9876543210";
static const unsigned char WRAP1[] = "wrapped-key-one";
static const unsigned char WRAP2[] = "wrapped-key-two";

static int next_port(void)
{
    static int p = 15600;
    return sv_test_next_port(&p, 15600, 15699);
}

static sv_supervisor *open_sv(void)
{
    return sv_test_open(0);
}

static sv_instance_spec spec_for(const char *key, int port)
{
    return sv_test_spec(key, port, MASTER, PW);
}

static PGconn *conn(int port)
{
    return sv_test_conn(port, MASTER, PW, "appdb");
}


/* One query on a fresh master connection, copied to out. */
static const char *mq(int port, const char *sql, char *out, size_t n)
{
    PGconn *c = conn(port);
    const char *r = sv_test_q1(c, sql);
    snprintf(out, n, "%s", r ? r : "(error)");
    PQfinish(c);
    return out;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}


static void cleanup(void)
{
    sv_test_end_state();
}

/* The whole file in memory (caller frees), or NULL. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

static bool file_contains(const char *path, const char *needle)
{
    size_t n = 0, ln = strlen(needle);
    unsigned char *b = slurp(path, &n);
    bool hit = false;
    for (size_t i = 0; b && i + ln <= n && !hit; i++)
        hit = memcmp(b + i, needle, ln) == 0;
    free(b);
    return hit;
}

static void snap_path(char *buf, size_t n, const char *key, const char *file)
{
    int r = snprintf(buf, n, "%s/snapshots/%s%s%s", g_state, key, file ? "/" : "", file ? file : "");
    if (r < 0 || (size_t)r >= n)
        abort();
}

/* Creates db key with table t (MARKER row + rows 1..n). Returns its port, 0 on failure. */
static int make_source(sv_supervisor *sv, const char *key, int rows)
{
    int port = next_port();
    sv_instance_spec s = spec_for(key, port);
    rds_error err = { 0 };
    if (sv_instance_create(sv, &s, &err) != 0) {
        fprintf(stderr, "create %s: %s (%s)\n", key, err.message, err.detail);
        return 0;
    }
    PGconn *c = conn(port);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO t(v) SELECT md5(g::text) FROM generate_series(1, %d) g", rows);
    bool ok = sv_test_q1(c, "CREATE TABLE t(id bigserial PRIMARY KEY, v text NOT NULL)") &&
              sv_test_q1(c, "INSERT INTO t(v) VALUES ('" MARKER "')") && sv_test_q1(c, sql);
    PQfinish(c);
    return ok ? port : 0;
}

static const char *SUM_SQL = "SELECT count(*) || ':' || coalesce(sum(hashtext(v)::bigint), 0) FROM t";

/* Restores snap to a new instance; returns its port or 0 (err filled). */
static int restore(sv_supervisor *sv, const char *key, const char *snap, const unsigned char *k, rds_error *err)
{
    int port = next_port();
    sv_instance_spec s = spec_for(key, port);
    s.master_username = s.master_password = NULL; /* ignored by a restore */
    sv_snapshot_crypt cr = { .key = k };
    memset(err, 0, sizeof *err);
    int rc = sv_instance_restore(sv, &s, snap, k ? &cr : NULL, err);
    if (rc != 0 && err->code != RDS_E_INTERNAL_FAILURE)
        fprintf(stderr, "restore %s: %s (%s)\n", key, err->message, err->detail);
    return rc == 0 ? port : 0;
}

/* A failed restore of key leaves no instance dir and frees its port. */
static void check_refused(sv_supervisor *sv, const char *key, const char *snap, const unsigned char *k)
{
    rds_error err;
    CHECK_INT(restore(sv, key, snap, k, &err), 0);
    CHECK_INT(err.code, RDS_E_INTERNAL_FAILURE);
    char want[128], p[512];
    snprintf(want, sizeof want, "snapshot %s failed its integrity check", snap);
    CHECK_STR(err.message, want);
    snprintf(p, sizeof p, "%s/instances/%s", g_state, key);
    CHECK(!exists(p));
    CHECK(!sv_instance_running(sv, key));
}

/* ---- a writer that keeps inserting while a snapshot runs ---------------------- */

typedef struct writer {
    int port;
    volatile bool stop;
    long ok, failed;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    PGconn *c = conn(w->port);
    while (!w->stop) {
        PGresult *r = c ? PQexec(c, "INSERT INTO t(v) VALUES (md5(random()::text))") : NULL;
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            w->ok++;
        else
            w->failed++;
        PQclear(r);
        if (!c) {
            usleep(1000);
            c = conn(w->port);
        }
    }
    PQfinish(c);
    return NULL;
}

/* ---- cases ------------------------------------------------------------------ */

static void test_sv_snapshot__online_with_writer_then_restore(void)
{
    sv_supervisor *sv = open_sv();
    CHECK(sv != NULL);
    if (!sv)
        return;
    int port = make_source(sv, "db-SRC", 20000);
    CHECK(port != 0);
    writer w = { .port = port };
    pthread_t th;
    pthread_create(&th, NULL, writer_main, &w);
    while (w.ok < 50)
        usleep(1000);
    long before = w.ok;
    rds_error err = { 0 };
    int64_t bytes = 0;
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "snap-online", NULL, &bytes, &err), 0);
    long during = w.ok - before;
    usleep(50000);
    w.stop = true;
    pthread_join(th, NULL);
    /* the instance served the writer throughout */
    CHECK_INT(w.failed, 0);
    CHECK(during > 0);
    CHECK(bytes > 1000000);
    printf("     online snapshot: %lld bytes, %ld inserts committed while it ran\n", (long long)bytes, during);

    char p[512], a[256], b[256];
    snap_path(p, sizeof p, "snap-online", "base.tar");
    CHECK(file_contains(p, MARKER)); /* a plain snapshot is plain */
    snap_path(p, sizeof p, "snap-online", "datakey.kms");
    CHECK(!exists(p));
    unsigned char kb[64];
    size_t kn = 99;
    CHECK_INT(sv_snapshot_wrapped_key(sv, "snap-online", kb, sizeof kb, &kn, &err), 0);
    CHECK_INT(kn, 0);

    int rport = restore(sv, "db-RESTORED", "snap-online", NULL, &err);
    CHECK(rport != 0);
    /* The restore holds exactly the source's rows up to its last id: a consistent cut */
    mq(rport, "SELECT max(id) FROM t", a, sizeof a);
    long maxid = atol(a);
    CHECK(maxid >= 20001 + before);
    char sql[200];
    snprintf(sql, sizeof sql, "%s WHERE id <= %ld", SUM_SQL, maxid);
    CHECK_STR(mq(rport, SUM_SQL, a, sizeof a), mq(port, sql, b, sizeof b));
    CHECK_STR(mq(rport, "SELECT v FROM t WHERE id = 1", a, sizeof a), MARKER);
    /* same roles and passwords; the spec's port; rdsadmin still the only superuser */
    CHECK_STR(mq(rport, "SHOW port", a, sizeof a), (snprintf(b, sizeof b, "%d", rport), b));
    CHECK_STR(mq(rport, "SELECT count(*) FROM pg_roles WHERE rolsuper", a, sizeof a), "1");
    CHECK(sv_instance_running(sv, "db-RESTORED"));

    /* the master user (a tenant) gets no replication connection */
    snprintf(b, sizeof b, "%d", port);
    const char *kw[] = { "host", "port", "user", "password", "dbname", "replication", "sslmode", NULL };
    const char *val[] = { "127.0.0.1", b, MASTER, PW, "appdb", "true", "disable", NULL };
    PGconn *rc = PQconnectdbParams(kw, val, 0);
    CHECK(PQstatus(rc) != CONNECTION_OK);
    PQfinish(rc);
    CHECK_STR(mq(port, "SELECT rolreplication FROM pg_roles WHERE rolname = current_user", a, sizeof a), "f");

    /* errors */
    CHECK_ERR(sv_snapshot_create(sv, "db-NOPE", "snap-x", NULL, NULL, &err), &err, RDS_E_DB_INSTANCE_NOT_FOUND);
    CHECK_ERR(sv_snapshot_create(sv, "db-SRC", "snap-online", NULL, NULL, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(sv_snapshot_create(sv, "db-SRC", "../x", NULL, NULL, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(sv_snapshot_wrapped_key(sv, "snap-none", kb, sizeof kb, &kn, &err), &err,
              RDS_E_DB_SNAPSHOT_NOT_FOUND);
    CHECK_INT(restore(sv, "db-R2", "snap-none", NULL, &err), 0);
    CHECK_INT(err.code, RDS_E_DB_SNAPSHOT_NOT_FOUND);
    CHECK_INT(restore(sv, "db-SRC", "snap-online", NULL, &err), 0);
    CHECK_INT(err.code, RDS_E_DB_INSTANCE_ALREADY_EXISTS);
    CHECK_INT(sv_snapshot_delete(sv, "snap-online", &err), 0);
    snap_path(p, sizeof p, "snap-online", NULL);
    CHECK(!exists(p));
    CHECK_INT(sv_snapshot_delete(sv, "snap-online", &err), 0);
    sv_close(sv);
}

static void test_sv_snapshot__stopped_instance(void)
{
    sv_supervisor *sv = open_sv();
    CHECK(sv != NULL);
    if (!sv)
        return;
    int port = make_source(sv, "db-SRC", 5000);
    CHECK(port != 0);
    char a[256], b[256];
    mq(port, SUM_SQL, b, sizeof b);
    rds_error err = { 0 };
    CHECK_INT(sv_instance_stop(sv, "db-SRC", &err), 0);
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "snap-stopped", NULL, NULL, &err), 0);
    sv_snapshot_crypt cr = { .key = KEY1, .wrapped = WRAP1, .wrapped_n = sizeof WRAP1 };
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "snap-stopped-enc", &cr, NULL, &err), 0);
    CHECK(!sv_instance_running(sv, "db-SRC")); /* left as it was */
    int rport = restore(sv, "db-FROMSTOPPED", "snap-stopped", NULL, &err);
    CHECK(rport != 0);
    CHECK_STR(mq(rport, SUM_SQL, a, sizeof a), b);
    int eport = restore(sv, "db-FROMSTOPPEDENC", "snap-stopped-enc", KEY1, &err);
    CHECK(eport != 0);
    CHECK_STR(mq(eport, SUM_SQL, a, sizeof a), b);
    char p0[512];
    snap_path(p0, sizeof p0, "snap-stopped-enc", "base.tar.enc");
    CHECK(!file_contains(p0, MARKER));
    snap_path(p0, sizeof p0, "snap-stopped", "base.tar");
    CHECK(file_contains(p0, MARKER));
    /* the source starts again, unchanged */
    sv_instance_spec s = spec_for("db-SRC", port);
    CHECK_INT(sv_instance_start(sv, &s, &err), 0);
    CHECK_STR(mq(port, SUM_SQL, a, sizeof a), b);

    if (geteuid() == 0) { /* as root: everything is the postgres user's, private */
        struct passwd *pw = getpwnam("postgres");
        char p[512];
        struct stat st;
        snap_path(p, sizeof p, "snap-stopped", NULL);
        CHECK(stat(p, &st) == 0 && pw && st.st_uid == pw->pw_uid && (st.st_mode & 0777) == 0700);
        snap_path(p, sizeof p, "snap-stopped", "base.tar");
        CHECK(stat(p, &st) == 0 && pw && st.st_uid == pw->pw_uid && (st.st_mode & 0777) == 0600);
        snprintf(p, sizeof p, "%s/instances/db-FROMSTOPPED/data/base", g_state);
        CHECK(stat(p, &st) == 0 && pw && st.st_uid == pw->pw_uid);
        snprintf(p, sizeof p, "%s/snapshots", g_state);
        CHECK(stat(p, &st) == 0 && st.st_uid == 0 && (st.st_mode & 0777) == 0700);
    }
    sv_close(sv);
}

static void test_sv_snapshot__encrypted_roundtrip_and_tampering(void)
{
    sv_supervisor *sv = open_sv();
    CHECK(sv != NULL);
    if (!sv)
        return;
    int port = make_source(sv, "db-SRC", 30000);
    CHECK(port != 0);
    char a[256], b[256], p[512];
    mq(port, SUM_SQL, b, sizeof b);
    rds_error err = { 0 };
    sv_snapshot_crypt cr = { .key = KEY1, .wrapped = WRAP1, .wrapped_n = sizeof WRAP1 };
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "snap-enc", &cr, NULL, &err), 0);
    snap_path(p, sizeof p, "snap-enc", "base.tar");
    CHECK(!exists(p));
    snap_path(p, sizeof p, "snap-enc", "base.tar.enc");
    CHECK(exists(p));
    CHECK(!file_contains(p, MARKER)); /* really encrypted */
    CHECK(!file_contains(p, "PG_VERSION"));
    unsigned char kb[64];
    size_t kn = 0;
    CHECK_INT(sv_snapshot_wrapped_key(sv, "snap-enc", kb, sizeof kb, &kn, &err), 0);
    CHECK(kn == sizeof WRAP1 && memcmp(kb, WRAP1, kn) == 0);
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        struct stat st;
        snap_path(a, sizeof a, "snap-enc", "datakey.kms");
        CHECK(stat(a, &st) == 0 && pw && st.st_uid == pw->pw_uid && (st.st_mode & 0777) == 0600);
    }

    /* wrong key, no key */
    check_refused(sv, "db-WRONGKEY", "snap-enc", KEY2);
    CHECK_INT(restore(sv, "db-NOKEY", "snap-enc", NULL, &err), 0);
    CHECK_INT(err.code, RDS_E_INTERNAL_FAILURE);

    /* tampered copies: a flipped byte, a truncated tail, a file cut at a chunk boundary,
     * two chunks swapped. Copies are made with sv_snapshot_copy (same key), then damaged. */
    const char *bad[] = { "snap-flip", "snap-trunc", "snap-cut", "snap-swap" };
    size_t n = 0;
    unsigned char *orig = slurp(p, &n);
    CHECK(orig != NULL && n > 2 * (1u << 20) + 100);
    size_t full = (1u << 20) + 16;
    for (size_t i = 0; i < 4 && orig; i++) {
        CHECK_INT(sv_snapshot_copy(sv, "snap-enc", &cr, bad[i], &cr, &err), 0);
        char q[512];
        snap_path(q, sizeof q, bad[i], "base.tar.enc");
        unsigned char *m = malloc(n);
        memcpy(m, orig, n);
        size_t len = n;
        if (i == 0)
            m[24 + full + 5000] ^= 0x01;
        else if (i == 1)
            len = n - 100;
        else if (i == 2)
            len = 24 + full;
        else {
            memcpy(m + 24, orig + 24 + full, full);
            memcpy(m + 24 + full, orig + 24, full);
        }
        FILE *f = fopen(q, "wb");
        CHECK(f && fwrite(m, 1, len, f) == len);
        if (f)
            fclose(f);
        free(m);
        char key[64];
        snprintf(key, sizeof key, "db-BAD%zu", i);
        check_refused(sv, key, bad[i], KEY1);
        /* a copy of a damaged snapshot fails too, and leaves no copy */
        memset(&err, 0, sizeof err);
        CHECK_ERR(sv_snapshot_copy(sv, bad[i], &cr, "snap-badcopy", NULL, &err), &err, RDS_E_INTERNAL_FAILURE);
        CHECK_CONTAINS(err.message, "failed its integrity check");
        snap_path(q, sizeof q, "snap-badcopy", NULL);
        CHECK(!exists(q));
    }
    free(orig);

    /* the right key restores the same rows */
    int rport = restore(sv, "db-DECRYPTED", "snap-enc", KEY1, &err);
    CHECK(rport != 0);
    CHECK_STR(mq(rport, SUM_SQL, a, sizeof a), b);
    sv_close(sv);
}

static void test_sv_snapshot__copy_chain(void)
{
    sv_supervisor *sv = open_sv();
    CHECK(sv != NULL);
    if (!sv)
        return;
    int port = make_source(sv, "db-SRC", 3000);
    CHECK(port != 0);
    char a[256], b[256], p[512];
    mq(port, SUM_SQL, b, sizeof b);
    rds_error err = { 0 };
    sv_snapshot_crypt c1 = { .key = KEY1, .wrapped = WRAP1, .wrapped_n = sizeof WRAP1 };
    sv_snapshot_crypt c2 = { .key = KEY2, .wrapped = WRAP2, .wrapped_n = sizeof WRAP2 };
    /* pg_hba.conf is rdslocal's: an edited one (here, one without the replication line
     * for rdsadmin, as instances of an older template had) is rewritten at the next start. */
    snprintf(p, sizeof p, "%s/instances/db-SRC/data/pg_hba.conf", g_state);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("local all rdsadmin trust\nhost all all 127.0.0.1/32 scram-sha-256\n", f);
        fclose(f);
    }
    sv_instance_spec s = spec_for("db-SRC", port);
    CHECK_INT(sv_instance_restart(sv, &s, &err), 0);
    CHECK(file_contains(p, "local   replication   rdsadmin   trust"));
    CHECK(!file_contains(p, "host all all"));
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "s-plain", NULL, NULL, &err), 0);
    CHECK_INT(sv_snapshot_copy(sv, "s-plain", NULL, "s-enc1", &c1, &err), 0);
    CHECK_INT(sv_snapshot_copy(sv, "s-enc1", &c1, "s-enc2", &c2, &err), 0);
    CHECK_ERR(sv_snapshot_copy(sv, "s-enc1", &c1, "s-enc2", &c2, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(sv_snapshot_copy(sv, "s-none", NULL, "s-x", NULL, &err), &err, RDS_E_DB_SNAPSHOT_NOT_FOUND);
    /* a copy read with the wrong key is refused */
    CHECK_ERR(sv_snapshot_copy(sv, "s-enc2", &c1, "s-x", NULL, &err), &err, RDS_E_INTERNAL_FAILURE);
    CHECK_STR(err.message, "snapshot s-enc2 failed its integrity check");
    unsigned char kb[64];
    size_t kn = 0;
    CHECK_INT(sv_snapshot_wrapped_key(sv, "s-enc2", kb, sizeof kb, &kn, &err), 0);
    CHECK(kn == sizeof WRAP2 && memcmp(kb, WRAP2, kn) == 0);
    snap_path(p, sizeof p, "s-enc2", "base.tar.enc");
    CHECK(!file_contains(p, MARKER));
    check_refused(sv, "db-K1", "s-enc2", KEY1);
    int rport = restore(sv, "db-K2", "s-enc2", KEY2, &err);
    CHECK(rport != 0);
    CHECK_STR(mq(rport, SUM_SQL, a, sizeof a), b);
    /* and back to plain (the API refuses this; the files allow it) */
    memset(&err, 0, sizeof err);
    CHECK_INT(sv_snapshot_copy(sv, "s-enc2", &c2, "s-plain2", NULL, &err), 0);
    if (err.code)
        fprintf(stderr, "copy: %s (%s)\n", err.message, err.detail);
    snap_path(p, sizeof p, "s-plain2", "base.tar");
    CHECK(file_contains(p, MARKER));
    sv_close(sv);
}

static void test_sv_snapshot__reconcile(void)
{
    sv_supervisor *sv = open_sv();
    CHECK(sv != NULL);
    if (!sv)
        return;
    int port = make_source(sv, "db-SRC", 10);
    CHECK(port != 0);
    rds_error err = { 0 };
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "s-keep", NULL, NULL, &err), 0);
    CHECK_INT(sv_snapshot_create(sv, "db-SRC", "s-gone", NULL, NULL, &err), 0);
    char p[512], q[1024];
    snap_path(p, sizeof p, "s-unknown", NULL);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(q, sizeof q, "%s/precious", p);
    FILE *f = fopen(q, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    snap_path(p, sizeof p, ".tmp-999999999.12345-1-s-dead", NULL); /* a killed create's leftover */
    CHECK(mkdir(p, 0700) == 0);
    /* this pid with another start time: a dead process whose pid we got (container restart);
     * with our own start time: a create of this process in flight, left alone */
    unsigned long long start = 0;
    char st[1024];
    FILE *sf = fopen("/proc/self/stat", "r");
    if (sf && fgets(st, sizeof st, sf)) {
        const char *c = strrchr(st, ')');
        for (int field = 2; c && *c; c++)
            if (*c == ' ' && ++field == 22) {
                start = strtoull(c + 1, NULL, 10);
                break;
            }
    }
    if (sf)
        fclose(sf);
    CHECK(start > 0);
    char reused[80], live[80];
    snprintf(reused, sizeof reused, ".tmp-%d.%llu-1-s-reused", (int)getpid(), start + 1);
    snprintf(live, sizeof live, ".tmp-%d.%llu-1-s-live", (int)getpid(), start);
    snap_path(p, sizeof p, reused, NULL);
    CHECK(mkdir(p, 0700) == 0);
    snap_path(p, sizeof p, live, NULL);
    CHECK(mkdir(p, 0700) == 0);
    const char *keep[] = { "s-keep" };
    const char *discard[] = { "s-gone" };
    CHECK_INT(sv_snapshot_reconcile(sv, keep, 1, discard, 1, &err), 0);
    snap_path(p, sizeof p, "s-keep", "base.tar");
    CHECK(exists(p));
    snap_path(p, sizeof p, "s-gone", NULL);
    CHECK(!exists(p));
    snap_path(p, sizeof p, "s-unknown", NULL);
    CHECK(!exists(p));
    snap_path(p, sizeof p, ".tmp-999999999.12345-1-s-dead", NULL);
    CHECK(!exists(p));
    snap_path(p, sizeof p, reused, NULL);
    CHECK(!exists(p));
    snap_path(p, sizeof p, live, NULL);
    CHECK(exists(p));
    /* the unknown dir is in quarantine, file and all */
    snprintf(p, sizeof p, "%s/quarantine", g_state);
    DIR *d = opendir(p);
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "snapshot-s-unknown-", 19) == 0) {
            snprintf(q, sizeof q, "%s/%s/precious", p, e->d_name);
            found = exists(q);
        }
    }
    if (d)
        closedir(d);
    CHECK(found);
    sv_close(sv);
}

static const check_case cases[] = {
    TEST(test_sv_snapshot__online_with_writer_then_restore),
    TEST(test_sv_snapshot__stopped_instance),
    TEST(test_sv_snapshot__encrypted_roundtrip_and_tampering),
    TEST(test_sv_snapshot__copy_chain),
    TEST(test_sv_snapshot__reconcile),
};

static void suite_setup(void)
{
    /* its own template cache: checkouts of other branches share /tmp/rdslocal-sv-templates-<uid> */
    sv_test_case_start("svsnap", "/tmp/svsnap-XXXXXX");
}

CHECK_MAIN(cases, suite_setup, cleanup)
