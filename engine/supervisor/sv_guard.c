/* sv_guard.c: installs the rdslocal_guard PostgreSQL module (pgext/rdslocal_guard.c) for
 * this supervisor's instances. Every instance preloads it (shared_preload_libraries in
 * the rdslocal.conf written before each start, so instances cloned from templates cached
 * by an older rdslocal get it too); it keeps the master user from granting itself the
 * roles that run programs or touch files on the host (RDS withholds them from
 * rds_superuser).
 *
 * Where the module comes from: <dir of the running binary>/rdslocal_guard.so, then
 * <dir of the running binary>/pgext/rdslocal_guard.so (the build tree's layout), then
 * <dir of the running binary>/../lib/rdslocal/rdslocal_guard.so (the installed layout:
 * /usr/bin/rdslocal and /usr/lib/rdslocal/, as the .deb and `cmake --install` put them),
 * then the build output path compiled in by CMake. It is copied to <state_dir>/lib/ (0755
 * dir, 0644 file) because the build tree may not be readable by the pg OS user (e.g.
 * under /root), and so a rebuild never changes the file under running servers (the copy
 * is replaced by rename). No module found: sv_open fails; an instance never runs
 * unguarded.
 *
 * A module loads only into the PostgreSQL major it was built for
 * (RDSLOCAL_GUARD_PG_MAJOR): other installed majors are not offered (sv_template.c skips
 * them with a warning). A postmaster adopted at reconcile is asked with sv__guard_loaded;
 * one started by an older rdslocal runs without the module and is restarted.
 * sv__guard_install: once, from sv_open. sv__guard_loaded: any thread. */
#include "sv_internal.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef RDSLOCAL_GUARD_BUILD_PATH
#define RDSLOCAL_GUARD_BUILD_PATH ""
#endif
#ifndef RDSLOCAL_GUARD_PG_MAJOR
#define RDSLOCAL_GUARD_PG_MAJOR "15"
#endif
#define GUARD_FILE "rdslocal_guard.so"

/* First readable candidate into buf; false if none. */
static bool find_guard(char *buf, size_t n)
{
    char exe[SV_PATH];
    ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (r > 0) {
        exe[r] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            const char *rel[] = { GUARD_FILE, "pgext/" GUARD_FILE, "../lib/rdslocal/" GUARD_FILE };
            for (size_t i = 0; i < 3; i++) {
                int w = snprintf(buf, n, "%s/%s", exe, rel[i]);
                if (w > 0 && (size_t)w < n && access(buf, R_OK) == 0)
                    return true;
            }
        }
    }
    int w = snprintf(buf, n, "%s", RDSLOCAL_GUARD_BUILD_PATH);
    return w > 0 && (size_t)w < n && access(buf, R_OK) == 0;
}

int sv__guard_install(sv_supervisor *sv, rds_error *err)
{
    char src[SV_PATH], dir[SV_PATH];
    if (!find_guard(src, sizeof src)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE,
                 "PostgreSQL module \"" GUARD_FILE "\" not found: instances cannot run without it "
                 "(build it with cmake --build, which needs postgresql-server-dev-15)");
        return rds_detail(err, "looked next to the rdslocal binary and at \"%s\"", RDSLOCAL_GUARD_BUILD_PATH);
    }
    if (sv__path(dir, sizeof dir, err, "%s/lib", sv->state_dir) != 0 ||
        sv__path(sv->guard_lib, sizeof sv->guard_lib, err, "%s/" GUARD_FILE, dir) != 0 ||
        sv__mkdir_owned(dir, 0755, (uid_t)-1, 0, err) != 0 ||
        sv__copy_file(src, sv->guard_lib, 0644, err) != 0)
        return -1;
    /* The path goes into postgresql.conf between single quotes. */
    if (strpbrk(sv->guard_lib, "'\\\n")) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "invalid state directory \"%s\"", sv->state_dir);
        return rds_detail(err, "a quote, backslash or newline in the path");
    }
    if (!sv__pg_can_traverse(sv, dir)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "directory \"%s\" is not reachable by OS user %d", dir,
                 (int)sv->pg_uid);
        return rds_detail(err, "access X_OK as uid %d failed", (int)sv->pg_uid);
    }
    snprintf(sv->guard_major, sizeof sv->guard_major, "%s", RDSLOCAL_GUARD_PG_MAJOR);
    log_at(LOG_DEBUG, "supervisor", "guard module \"%s\" copied to \"%s\"", src, sv->guard_lib);
    return 0;
}

bool sv__guard_loaded(const sv_supervisor *sv, const sv_inst *in)
{
    char port[16];
    snprintf(port, sizeof port, "%d", in->port);
    const char *kw[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
    const char *val[] = { in->sock, port, SV_ADMIN_USER, "postgres", "5", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    bool ok = false;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, "SHOW shared_preload_libraries");
        ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
             strcmp(PQgetvalue(r, 0, 0), sv->guard_lib) == 0;
        PQclear(r);
    }
    PQfinish(c);
    return ok;
}
