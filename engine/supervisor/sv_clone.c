/* sv_clone.c: a physical copy of a RUNNING instance into a new data dir, the first step of
 * every node that replicates from it (a Multi-AZ standby, a read replica). It is
 * `pg_basebackup -X stream -c fast` as rdsadmin over the source's private unix socket
 * (the replication line of its pg_hba.conf), run as the pg user so the copy is theirs;
 * measured in shared/notes/postgres-limits.md (#8: ~0.4 s for a 35 MB db on ext4). No
 * standby settings are written here: the caller adds standby.signal and its
 * primary_conninfo (through a conf fragment) before starting the copy. */
#include "sv_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int sv__clone_running(sv_supervisor *sv, const sv_inst *src, const char *dst, const char *slot,
                      rds_error *err)
{
    sv_major *m = sv__major(sv, src->major);
    if (!m)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "PostgreSQL %s is not installed", src->major);
    if (access(dst, F_OK) == 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "clone target \"%s\" already exists", dst);
    char exe[SV_PATH], logp[SV_PATH], port[16];
    snprintf(port, sizeof port, "%d", src->port);
    if (sv__path(exe, sizeof exe, err, "%s/pg_basebackup", m->v.bin_dir) != 0 ||
        sv__path(logp, sizeof logp, err, "%s.clone.log", dst) != 0)
        return -1;
    char *argv[20];
    int n = 0;
    argv[n++] = exe;
    argv[n++] = "-h";
    argv[n++] = (char *)src->sock;
    argv[n++] = "-p";
    argv[n++] = port;
    argv[n++] = "-U";
    argv[n++] = SV_ADMIN_USER;
    argv[n++] = "-w";
    argv[n++] = "-D";
    argv[n++] = (char *)dst;
    argv[n++] = "-X";
    argv[n++] = "stream";
    argv[n++] = "-c";
    argv[n++] = "fast";
    if (slot) { /* -C -S: the primary keeps the WAL this node has not received yet */
        argv[n++] = "-C";
        argv[n++] = "-S";
        argv[n++] = (char *)slot;
    }
    argv[n] = NULL;
    unlink(logp);
    int status = -1;
    if (sv__run(sv, argv, logp, -1, &status, err) != 0)
        return -1;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        char sbuf[64], tail[200];
        sv__log_tail(logp, tail, sizeof tail);
        rds_error ignore = { 0 };
        sv__remove_tree(dst, &ignore);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "copying instance \"%s\" for a new replica failed", src->key);
        return rds_detail(err, "pg_basebackup: %s: %s", sv__status_str(status, sbuf, sizeof sbuf), tail);
    }
    unlink(logp);
    return 0;
}
