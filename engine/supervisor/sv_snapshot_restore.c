/* sv_snapshot_restore.c: sv_instance_restore, a new instance from a snapshot (see
 * sv_snapshot.c for the snapshot format).
 *
 * The snapshot's tar stream (plain, or decrypted chunk by chunk: only authenticated
 * plaintext is ever written) is extracted in process by sv_untar.c into the new, empty
 * data dir (files chowned to the pg user as root; why not `tar -x`: see sv_untar.c). A
 * damaged archive stops the restore. Then the instance is started through
 * the same path sv_instance_create/start use (sv__inst_spawn rewrites rdslocal.conf with
 * the spec's port and sizing; the source's settings in the tar are overwritten), so the
 * roles and passwords are the source's. A backup from pg_basebackup carries backup_label
 * and the WAL of the copy: postgres replays it up to the end of the backup before it
 * accepts connections; a stopped instance's copy is a clean shutdown image. A failed
 * restore (tampered or truncated file, wrong key, postgres refusing) kills what it
 * started and removes the instance dir. Any thread. */
#include "sv_internal.h"
#include "sv_untar.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* Streams the snapshot into the data dir (sv_untar.c). */
static int extract(sv_supervisor *sv, sv_inst *in, sv__snap_source *s, rds_error *err)
{
    sv_untar *u = NULL;
    if (sv__untar_open(&u, in->data, own_uid(sv), sv->pg_gid, err) != 0)
        return -1;
    int rc;
    for (;;) {
        const unsigned char *p;
        size_t n;
        rc = sv__snap_source_next(s, &p, &n, err);
        if (rc <= 0)
            break;
        if ((rc = sv__untar_feed(u, p, n, err)) != 0)
            break;
    }
    if (rc == 0)
        rc = sv__untar_finish(u, err);
    sv__untar_free(u);
    return rc;
}

/* The restore contract: rdsadmin runs a query over the private socket. */
static int admin_query(sv_inst *in, rds_error *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", in->port);
    const char *kw[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
    const char *val[] = { in->sock, port, SV_ADMIN_USER, "postgres", "10", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, "SELECT 1") : NULL;
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "restored instance \"%s\" does not answer queries", in->key);
        rds_detail(err, "%s", PQerrorMessage(c));
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

int sv_instance_restore(sv_supervisor *sv, const sv_instance_spec *spec, const char *snap_key,
                        const sv_snapshot_crypt *crypt, rds_error *err)
{
    return sv__instance_restore_ex(sv, spec, snap_key, crypt, NULL, NULL, NULL, err);
}

int sv__instance_restore_ex(sv_supervisor *sv, const sv_instance_spec *spec, const char *snap_key,
                            const sv_snapshot_crypt *crypt, sv__restore_hook *staged, sv__restore_hook *ready,
                            void *arg, rds_error *err)
{
    char sdir[SV_PATH];
    if (sv__validate_spec(sv, spec, err) != 0 || sv__snap_dirs(sv, snap_key, sdir, sizeof sdir, err) != 0)
        return -1;
    if (!sv__is_dir(sdir))
        return rds_fail(err, RDS_E_DB_SNAPSHOT_NOT_FOUND, "snapshot \"%s\" not found", snap_key);
    sv_inst *in = sv__inst_begin_new(sv, spec, err);
    if (!in)
        return -1;
    int64_t t0 = sv__mono_ms(), t1 = t0;
    bool made_dir = false;
    int rc = -1;
    sv__snap_source s = { .fd = -1 };
    char pgv[SV_PATH], ver[16];
    if (sv__snap_source_open(&s, sdir, snap_key, crypt, err) != 0)
        goto done;
    made_dir = true;
    if (sv__mkdir_owned(in->dir, 0700, own_uid(sv), sv->pg_gid, err) != 0 ||
        sv__mkdir_owned(in->data, 0700, own_uid(sv), sv->pg_gid, err) != 0 ||
        extract(sv, in, &s, err) != 0)
        goto done;
    sv__snap_source_close(&s);
    if (sv__replica_unmark(in->data, err) != 0) /* a snapshot of a read replica restores standalone */
        goto done;
    if (sv__path(pgv, sizeof pgv, err, "%s/PG_VERSION", in->data) != 0)
        goto done;
    if (sv__read_file(pgv, ver, sizeof ver) <= 0 || strncmp(ver, spec->major, strlen(spec->major)) != 0 ||
        (ver[strlen(spec->major)] != '\n' && ver[strlen(spec->major)] != '\0')) {
        rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "snapshot \"%s\" is not of PostgreSQL %s", snap_key,
                 spec->major);
        goto done;
    }
    if (staged && staged(sv, in, arg, err) != 0)
        goto done;
    t1 = sv__mono_ms();
    if (ready ? ready(sv, in, arg, err) != 0
              : (sv__inst_spawn(sv, in, err) != 0 || sv__inst_wait_ready(sv, in, err) != 0))
        goto done;
    if (admin_query(in, err) != 0)
        goto done;
    log_at(LOG_INFO, "supervisor", "restored instance \"%s\" from snapshot \"%s\" ms=%lld (extract %lld, start %lld)",
           in->key, snap_key, (long long)(sv__mono_ms() - t0), (long long)(t1 - t0), (long long)(sv__mono_ms() - t1));
    rc = 0;
done:
    sv__snap_source_close(&s);
    return sv__inst_end_new(sv, in, rc, made_dir);
}
