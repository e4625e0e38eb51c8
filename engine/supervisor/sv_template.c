/* sv_template.c: installed PostgreSQL majors, the initdb template cache and the spare
 * pool, and the background thread that fills them.
 *
 * Template (<template_dir>/<major>/): initdb -k --no-sync --wal-segsize=1 -A trust -U rdsadmin -E UTF8
 * --locale=C.UTF-8 into a hidden build dir, then our pg_hba.conf, an include of
 * rdslocal.conf (per-instance settings written at each start) at the end of
 * postgresql.conf, the rds_superuser role and a pre-made database SV_SPARE_DB (a create
 * renames it to the master's DBName: CREATE DATABASE writes ~300 files, 100-300 ms on
 * this ext4, a rename is a catalog update) created with `postgres --single`; then
 * renamed into place. Builders hold <template_dir>/.<major>.lock (flock) so processes
 * sharing a template dir never race; threads of one process also hold build_mu.
 *
 * Spare pool (<state_dir>/spare/<major>/<n>-<pid>): full copies of the template made by
 * the background thread (into .tmp-<pid>-<n>, then renamed), so a create only renames
 * one into its instance dir. Taking one is a rename, which is atomic even if two
 * processes share the state dir. Threads: the background thread plus any create. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char TEMPLATE_HBA[] =
    "# pg_hba.conf written by rdslocal (as on RDS: everyone needs a password over TCP;\n"
    "# the internal superuser rdsadmin only logs in over the private unix socket; it alone\n"
    "# may open replication connections there, for snapshots: no tenant role can)\n"
    "local   all   " SV_ADMIN_USER "   trust\n"
    "local   replication   " SV_ADMIN_USER "   trust\n"
    "host    all   all   127.0.0.1/32   scram-sha-256\n"
    "host    all   all   ::1/128        scram-sha-256\n";

static const char TEMPLATE_SQL[] =
    "CREATE ROLE rds_superuser NOLOGIN CREATEDB CREATEROLE;\n"
    "GRANT pg_monitor, pg_signal_backend, pg_checkpoint TO rds_superuser WITH ADMIN OPTION;\n"
    "GRANT ALL ON SCHEMA public TO rds_superuser;\n"
    "CREATE DATABASE " SV_SPARE_DB ";\n";

/* Bump when the template's content changes. Not bumped for the replication line of
 * TEMPLATE_HBA: template dirs are shared between checkouts and processes, and a bump makes
 * builds of different markers remove each other's template; sv_snapshot_create adds the
 * line to instances made from an older template instead. */
#define TEMPLATE_MARKER "rdslocal_template_v3"

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* ---- versions ------------------------------------------------------------ */

static bool is_exec(const char *dir, const char *name)
{
    char p[SV_PATH + 300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, X_OK) == 0;
}

static void add_version(sv_supervisor *sv, const char *bin_dir)
{
    if (sv->nmajors >= SV_MAX_VERSIONS || !is_exec(bin_dir, "postgres") || !is_exec(bin_dir, "initdb"))
        return;
    char exe[SV_PATH], out[256];
    snprintf(exe, sizeof exe, "%s/postgres", bin_dir);
    char *argv[] = { exe, "--version", NULL };
    rds_error e = { 0 };
    if (sv__capture(sv, argv, out, sizeof out, &e) != 0) {
        log_at(LOG_WARN, "supervisor", "ignoring \"%s\": %s (%s)", exe, e.message, e.detail);
        return;
    }
    /* "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" */
    const char *p = strstr(out, ") ");
    char ver[24] = "";
    if (!p || sscanf(p + 2, "%23[0-9.]", ver) != 1 || ver[0] == '\0')
        return;
    char major[8];
    snprintf(major, sizeof major, "%.*s", (int)strcspn(ver, "."), ver);
    if (sv__major(sv, major))
        return; /* the first directory providing a major wins */
    if (sv->guard_major[0] && strcmp(major, sv->guard_major) != 0) {
        log_at(LOG_WARN, "supervisor", "ignoring PostgreSQL %s in \"%s\": the rdslocal_guard module is built for %s",
               ver, bin_dir, sv->guard_major);
        return;
    }
    sv_major *m = &sv->majors[sv->nmajors++];
    memset(m, 0, sizeof *m);
    snprintf(m->v.major, sizeof m->v.major, "%s", major);
    snprintf(m->v.version, sizeof m->v.version, "%s", ver);
    snprintf(m->v.bin_dir, sizeof m->v.bin_dir, "%s", bin_dir);
}

static int cmp_major(const void *a, const void *b)
{
    return atoi(((const sv_major *)a)->v.major) - atoi(((const sv_major *)b)->v.major);
}

int sv__find_versions(sv_supervisor *sv, const char *extra_dirs, rds_error *err)
{
    if (extra_dirs) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", extra_dirs);
        char *save = NULL;
        for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (*d)
                add_version(sv, d);
    }
    glob_t g;
    if (glob("/usr/lib/postgresql/*/bin", GLOB_NOSORT, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            add_version(sv, g.gl_pathv[i]);
        globfree(&g);
    }
    if (sv->nmajors == 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE,
                        "no PostgreSQL installation found in /usr/lib/postgresql/*/bin or pg_bin_dirs");
    qsort(sv->majors, sv->nmajors, sizeof sv->majors[0], cmp_major);
    for (size_t i = 0; i < sv->nmajors; i++) { /* mutexes only after the sort moved the records */
        pthread_mutex_init(&sv->majors[i].build_mu, NULL);
        sv->versions[i] = sv->majors[i].v;
    }
    return 0;
}

sv_major *sv__major(sv_supervisor *sv, const char *major)
{
    for (size_t i = 0; i < sv->nmajors; i++)
        if (strcmp(sv->majors[i].v.major, major) == 0)
            return &sv->majors[i];
    return NULL;
}

/* ---- template ------------------------------------------------------------ */

static bool template_complete(const char *tdir)
{
    char p[SV_PATH + 300];
    snprintf(p, sizeof p, "%s/" TEMPLATE_MARKER, tdir);
    return access(p, F_OK) == 0;
}

/* Removes <template_dir>/.<major>.build.* left by a builder that died (we hold the lock). */
static void remove_stale_builds(sv_supervisor *sv, const char *major)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, ".%s.build.", major);
    DIR *d = opendir(sv->template_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            char p[SV_PATH + 300];
            snprintf(p, sizeof p, "%s/%s", sv->template_dir, e->d_name);
            sv__remove_tree(p, NULL);
        }
    }
    closedir(d);
}

static int check_ok(int status, const char *what, const char *logpath, rds_error *err)
{
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char sbuf[64], tail[200];
    sv__log_tail(logpath, tail, sizeof tail);
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not build the PostgreSQL template: %s failed", what);
    return rds_detail(err, "%s: %s", sv__status_str(status, sbuf, sizeof sbuf), tail);
}

static int build_template(sv_supervisor *sv, sv_major *m, const char *final, rds_error *err)
{
    char build[SV_PATH], logp[SV_PATH], sqlp[SV_PATH], conf[SV_PATH], hba[SV_PATH], marker[SV_PATH];
    char initdb[SV_PATH], postgres[SV_PATH];
    if (sv__path(build, sizeof build, err, "%s/.%s.build.%d", sv->template_dir, m->v.major, (int)getpid()) ||
        sv__path(logp, sizeof logp, err, "%s.log", build) || sv__path(sqlp, sizeof sqlp, err, "%s.sql", build) ||
        sv__path(conf, sizeof conf, err, "%s/postgresql.conf", build) ||
        sv__path(hba, sizeof hba, err, "%s/pg_hba.conf", build) ||
        sv__path(marker, sizeof marker, err, "%s/" TEMPLATE_MARKER, build) ||
        sv__path(initdb, sizeof initdb, err, "%s/initdb", m->v.bin_dir) ||
        sv__path(postgres, sizeof postgres, err, "%s/postgres", m->v.bin_dir))
        return -1;
    int64_t t0 = sv__mono_ms();
    int rc = -1, status, sqlfd = -1;
    if (sv__mkdir_owned(build, 0700, own_uid(sv), sv->pg_gid, err) != 0)
        goto done;
    /* 1 MB WAL segments: the template's pg_wal shrinks from 16 MB to 1 MB, and every
     * clone (spare or on the request path) copies that much less. */
    char *iargv[] = { initdb, "-k", "--no-sync", "--wal-segsize=1", "-A", "trust", "-U", SV_ADMIN_USER,
                      "-E", "UTF8", "--locale=C.UTF-8", "-D", build, NULL };
    if (sv__run(sv, iargv, logp, -1, &status, err) != 0 || check_ok(status, "initdb", logp, err) != 0)
        goto done;

    char base[65536];
    int len = sv__read_file(conf, base, sizeof base - 64);
    if (len < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not build the PostgreSQL template");
        rds_detail(err, "cannot read %s", conf);
        goto done;
    }
    strcat(base, "\n# per-instance settings, rewritten by rdslocal at each start\n"
                 "include_if_exists = 'rdslocal.conf'\n");
    if (sv__write_file(conf, base, 0600, own_uid(sv), sv->pg_gid, err) != 0 ||
        sv__write_file(hba, TEMPLATE_HBA, 0600, own_uid(sv), sv->pg_gid, err) != 0 ||
        sv__write_file(sqlp, TEMPLATE_SQL, 0644, (uid_t)-1, 0, err) != 0)
        goto done;
    sqlfd = open(sqlp, O_RDONLY | O_CLOEXEC);
    char *sargv[] = { postgres, "--single", "-D", build, "-c", "log_min_messages=warning", "postgres", NULL };
    if (sqlfd < 0 || sv__run(sv, sargv, logp, sqlfd, &status, err) != 0 ||
        check_ok(status, "postgres --single", logp, err) != 0)
        goto done;
    char out[65536];
    if (sv__read_file(logp, out, sizeof out) >= 0 && (strstr(out, "ERROR:") || strstr(out, "FATAL:"))) {
        check_ok(1 << 8, "setup SQL", logp, err);
        goto done;
    }
    if (sv__write_file(marker, m->v.version, 0600, own_uid(sv), sv->pg_gid, err) != 0)
        goto done;
    if (rename(build, final) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not build the PostgreSQL template");
        rds_detail(err, "rename %s: %s", final, strerror(errno));
        goto done;
    }
    log_at(LOG_INFO, "supervisor", "built PostgreSQL %s template \"%s\" ms=%lld", m->v.version, final,
           (long long)(sv__mono_ms() - t0));
    rc = 0;
done:
    if (sqlfd >= 0)
        close(sqlfd);
    if (rc != 0)
        sv__remove_tree(build, NULL);
    unlink(logp);
    unlink(sqlp);
    return rc;
}

int sv__template_ensure(sv_supervisor *sv, sv_major *m, rds_error *err)
{
    pthread_mutex_lock(&m->build_mu);
    int rc = 0, lockfd = -1;
    char final[SV_PATH], lockp[SV_PATH];
    if (m->ready)
        goto done;
    if ((rc = sv__path(final, sizeof final, err, "%s/%s", sv->template_dir, m->v.major)) != 0 ||
        (rc = sv__path(lockp, sizeof lockp, err, "%s/.%s.lock", sv->template_dir, m->v.major)) != 0)
        goto done;
    if (template_complete(final)) {
        m->ready = true;
        goto done;
    }
    lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not lock the template directory");
        rds_detail(err, "%s: %s", lockp, strerror(errno));
        goto done;
    }
    if (!template_complete(final)) {
        remove_stale_builds(sv, m->v.major);
        if (sv__is_dir(final)) /* incomplete leftover from an older layout */
            sv__remove_tree(final, NULL);
        rc = build_template(sv, m, final, err);
    }
    if (rc == 0)
        m->ready = true;
done:
    if (lockfd >= 0)
        close(lockfd); /* releases the flock */
    pthread_mutex_unlock(&m->build_mu);
    return rc;
}

/* ---- spare pool ---------------------------------------------------------- */

static int spare_dir(sv_supervisor *sv, sv_major *m, char *buf, size_t n, rds_error *err)
{
    if (sv__path(buf, n, err, "%s/%s", sv->spare_dir, m->v.major) != 0)
        return -1;
    return sv__is_dir(buf) ? 0 : sv__mkdirs(buf, 0755, (uid_t)-1, 0, err);
}

/* Counts ready spares; removes .tmp-<pid>-* copies whose builder process is gone. */
static int spare_count(sv_supervisor *sv, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
            continue;
        }
        int pid;
        if (sscanf(e->d_name, ".tmp-%d-", &pid) == 1 && pid != (int)getpid() && !sv__pid_alive(pid)) {
            char p[SV_PATH + 300];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            sv__remove_tree(p, NULL);
        }
    }
    closedir(d);
    return n;
}

int sv__take_data_dir(sv_supervisor *sv, sv_major *m, const char *dst, rds_error *err)
{
    char dir[SV_PATH];
    if (sv->spare_pool > 0 && spare_dir(sv, m, dir, sizeof dir, NULL) == 0) {
        DIR *d = opendir(dir);
        struct dirent *e;
        bool taken = false;
        while (d && !taken && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[SV_PATH + 300];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            taken = rename(p, dst) == 0; /* ENOENT: another creator was faster */
        }
        if (d)
            closedir(d);
        if (taken) {
            sv__bg_kick(sv);
            return 0;
        }
        sv__bg_kick(sv);
    }
    char tdir[SV_PATH];
    if (sv__path(tdir, sizeof tdir, err, "%s/%s", sv->template_dir, m->v.major) != 0)
        return -1;
    return sv__copy_tree(tdir, dst, own_uid(sv), sv->pg_gid, NULL, err);
}

static void fill_spares(sv_supervisor *sv, sv_major *m)
{
    char dir[SV_PATH], tdir[SV_PATH];
    rds_error e = { 0 };
    if (spare_dir(sv, m, dir, sizeof dir, &e) != 0 ||
        sv__path(tdir, sizeof tdir, &e, "%s/%s", sv->template_dir, m->v.major) != 0) {
        log_at(LOG_WARN, "supervisor", "could not fill the spare pool: %s (%s)", e.message, e.detail);
        return;
    }
    while (!sv->closing && spare_count(sv, dir) < sv->spare_pool) {
        pthread_mutex_lock(&sv->mu);
        unsigned seq = ++sv->spare_seq;
        pthread_mutex_unlock(&sv->mu);
        char tmp[SV_PATH + 64], final[SV_PATH + 64];
        snprintf(tmp, sizeof tmp, "%s/.tmp-%d-%u", dir, (int)getpid(), seq);
        snprintf(final, sizeof final, "%s/%u-%d", dir, seq, (int)getpid());
        if (sv__copy_tree(tdir, tmp, own_uid(sv), sv->pg_gid, &sv->closing, &e) != 0 || rename(tmp, final) != 0) {
            if (!sv->closing)
                log_at(LOG_WARN, "supervisor", "could not fill the spare pool: %s (%s)", e.message, e.detail);
            sv__remove_tree(tmp, NULL);
            return;
        }
    }
}

static void *bg_main(void *arg)
{
    sv_supervisor *sv = arg;
    for (size_t i = 0; i < sv->nmajors && !sv->closing; i++) {
        rds_error e = { 0 };
        if (sv__template_ensure(sv, &sv->majors[i], &e) != 0)
            log_at(LOG_ERROR, "supervisor", "%s (%s)", e.message, e.detail);
    }
    for (;;) {
        for (size_t i = 0; i < sv->nmajors && !sv->closing && sv->spare_pool > 0; i++)
            if (sv->majors[i].ready)
                fill_spares(sv, &sv->majors[i]);
        pthread_mutex_lock(&sv->mu);
        while (!sv->bg_kick && !sv->closing)
            pthread_cond_wait(&sv->bg_cv, &sv->mu);
        sv->bg_kick = false;
        /* Let the create that took a spare start its postgres before we compete for
         * the disk and both cores: refill 100 ms later. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!sv->closing && pthread_cond_timedwait(&sv->bg_cv, &sv->mu, &until) == 0) {
        }
        bool stop = sv->closing;
        sv->bg_kick = false;
        pthread_mutex_unlock(&sv->mu);
        if (stop)
            break;
    }
    return NULL;
}

int sv__bg_start(sv_supervisor *sv, rds_error *err)
{
    int r = pthread_create(&sv->bg, NULL, bg_main, sv);
    if (r != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not start the supervisor thread");
        return rds_detail(err, "pthread_create: %s", strerror(r));
    }
    sv->bg_started = true;
    return 0;
}

void sv__bg_kick(sv_supervisor *sv)
{
    pthread_mutex_lock(&sv->mu);
    sv->bg_kick = true;
    pthread_cond_broadcast(&sv->bg_cv);
    pthread_mutex_unlock(&sv->mu);
}

void sv__bg_stop(sv_supervisor *sv)
{
    pthread_mutex_lock(&sv->mu);
    sv->closing = true;
    pthread_cond_broadcast(&sv->bg_cv);
    pthread_mutex_unlock(&sv->mu);
    if (sv->bg_started)
        pthread_join(sv->bg, NULL);
    sv->bg_started = false;
}
