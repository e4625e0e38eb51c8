/* sv_snapshot.c: DB snapshot files (INTERFACES.md section 2): create, copy, delete, the
 * wrapped data key, and the start-up reconcile of <state_dir>/snapshots/. Restore lives in
 * sv_snapshot_restore.c; the shared stream helpers (sv__snap_*) are declared in
 * sv_internal.h.
 *
 * A snapshot is one tar stream of the data directory, stored as
 *   snapshots/<key>/base.tar                       (plain), or
 *   snapshots/<key>/base.tar.enc + datakey.kms     (encrypted: sv_crypt.h format; the data
 *                                                   key wrapped by KMS beside it)
 * Running instance: `pg_basebackup -D - -Ft -X fetch -c fast --no-manifest` as rdsadmin
 * over the private unix socket (replication over `local` only: the pg_hba line below; the
 * master user has no REPLICATION attribute and no hba line for it). The server keeps
 * serving: pg_basebackup is an online, consistent copy (backup_label + the WAL written
 * during the copy, in pg_wal/ of the tar), measured as the right primitive in
 * shared/notes/postgres-limits.md. -X fetch (WAL at the end of the same stream) is the only
 * WAL method pg_basebackup allows to stdout; a temporary physical replication slot, held by
 * our admin session for the duration, keeps that WAL from being recycled (it vanishes with
 * the session, even if rdslocal is killed). Stopped instance: `tar -c` of its data dir, a
 * clean shutdown image. Both children run as the pg user when rdslocal is root; their
 * stdout is piped through this process into the plain file or the encryptor, so the
 * plaintext of an encrypted snapshot never touches the disk.
 *
 * A create or copy writes into snapshots/.tmp-<pid>.<start>-<n>-<key> (<start>: the
 * process's start time from /proc, so a later process that got the same pid, as in a
 * container, still sees it as dead) and renames it into place once complete: a snapshot dir
 * either is whole or does not exist; leftovers of a killed process are removed by
 * sv_snapshot_reconcile. Files are not fsync'ed (as the instance
 * clones): a kill of rdslocal keeps them (page cache), an OS crash may not.
 * snapshots/ itself is ours, 0700: the pg user never needs it. The process must ignore
 * SIGPIPE (rdslocal's main does): a child that dies early is seen as EPIPE.
 * Any thread; the source instance's busy flag is held for the whole create. */
#include "sv_internal.h"
#include "sv_crypt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031 /* Linux fcntl; only declared with _GNU_SOURCE */
#endif

#define HBA_REPLICATION "local   replication   " SV_ADMIN_USER "   trust\n"

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

/* ---- shared helpers (sv__snap_*) ------------------------------------------------- */

int sv__snap_dirs(sv_supervisor *sv, const char *snap_key, char *dir, size_t n, rds_error *err)
{
    size_t len = snap_key ? strlen(snap_key) : 0;
    if (len == 0 || len > 200 || snap_key[0] == '.' ||
        strspn(snap_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "invalid snapshot key \"%s\"", snap_key ? snap_key : "");
    char root[SV_PATH];
    if (sv__path(root, sizeof root, err, "%s/snapshots", sv->state_dir) != 0 ||
        sv__mkdir_owned(root, 0700, (uid_t)-1, 0, err) != 0)
        return -1;
    return dir ? sv__path(dir, n, err, "%s/%s", root, snap_key) : 0;
}

/* Start time of pid (clock ticks since boot, /proc/<pid>/stat field 22); 0 if unknown. */
static unsigned long long proc_start(int pid)
{
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    if (sv__read_file(p, buf, sizeof buf) <= 0)
        return 0;
    const char *c = strrchr(buf, ')'); /* comm may hold spaces */
    unsigned long long v = 0;
    for (int field = 2; c && *c; c++) {
        if (*c == ' ' && ++field == 22)
            return sscanf(c + 1, "%llu", &v) == 1 ? v : 0;
    }
    return 0;
}

int sv__snap_tmpdir(sv_supervisor *sv, const char *snap_key, char *tmp, size_t n, rds_error *err)
{
    pthread_mutex_lock(&sv->mu);
    unsigned seq = ++sv->spare_seq;
    pthread_mutex_unlock(&sv->mu);
    int pid = (int)getpid();
    if (sv__path(tmp, n, err, "%s/snapshots/.tmp-%d.%llu-%u-%s", sv->state_dir, pid, proc_start(pid), seq,
                 snap_key) != 0)
        return -1;
    if (mkdir(tmp, 0700) != 0 || (own_uid(sv) != (uid_t)-1 && chown(tmp, sv->pg_uid, sv->pg_gid) != 0)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not create a snapshot directory");
        return rds_detail(err, "mkdir %s: %s", tmp, strerror(errno));
    }
    return 0;
}

int sv__snap_open_out(sv_supervisor *sv, const char *dir, const char *name, rds_error *err)
{
    char p[SV_PATH];
    if (sv__path(p, sizeof p, err, "%s/%s", dir, name) != 0)
        return -1;
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || (own_uid(sv) != (uid_t)-1 && fchown(fd, sv->pg_uid, sv->pg_gid) != 0)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not create a snapshot file");
        rds_detail(err, "%s: %s", p, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int sv__snap_source_open(sv__snap_source *s, const char *dir, const char *snap_key,
                         const sv_snapshot_crypt *crypt, rds_error *err)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->key = snap_key;
    char p[SV_PATH];
    if (sv__path(p, sizeof p, err, "%s/base.tar.enc", dir) != 0)
        return -1;
    s->fd = open(p, O_RDONLY | O_CLOEXEC);
    if (s->fd >= 0) {
        if (!crypt || !crypt->key) {
            close(s->fd);
            s->fd = -1;
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot \"%s\" is encrypted and no key was given",
                            snap_key);
        }
        int rc = sv__dec_open(&s->dec, s->fd, crypt->key, err);
        if (rc == SV_CRYPT_INTEGRITY)
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot %s failed its integrity check", snap_key);
        return rc == 0 ? 0 : -1;
    }
    if (sv__path(p, sizeof p, err, "%s/base.tar", dir) != 0)
        return -1;
    s->fd = open(p, O_RDONLY | O_CLOEXEC);
    s->buf = s->fd >= 0 ? malloc(SV_CRYPT_CHUNK) : NULL;
    if (!s->buf) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot \"%s\" has no data file", snap_key);
        rds_detail(err, "%s: %s", p, strerror(errno));
        sv__snap_source_close(s);
        return -1;
    }
    return 0;
}

int sv__snap_source_next(sv__snap_source *s, const unsigned char **p, size_t *n, rds_error *err)
{
    if (s->dec) {
        int rc = sv__dec_next(s->dec, p, n, err);
        if (rc == SV_CRYPT_INTEGRITY) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot %s failed its integrity check", s->key);
            return -1;
        }
        return rc;
    }
    for (;;) {
        ssize_t r = read(s->fd, s->buf, SV_CRYPT_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read snapshot \"%s\"", s->key);
            return rds_detail(err, "read: %s", strerror(errno));
        }
        *p = s->buf;
        *n = (size_t)r;
        return r > 0 ? 1 : 0;
    }
}

void sv__snap_source_close(sv__snap_source *s)
{
    sv__dec_free(s->dec);
    s->dec = NULL;
    free(s->buf);
    s->buf = NULL;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int sv__snap_write_all(int fd, const unsigned char *p, size_t n, rds_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not write snapshot data");
            return rds_detail(err, "write: %s", w < 0 ? strerror(errno) : "short write");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The output side: a plain file, or the encryptor on it. */
typedef struct sink {
    int fd;
    sv_enc *enc;
    int64_t bytes;
} sink;

static int sink_open(sink *k, sv_supervisor *sv, const char *dir, const sv_snapshot_crypt *crypt, rds_error *err)
{
    memset(k, 0, sizeof *k);
    k->fd = sv__snap_open_out(sv, dir, crypt && crypt->key ? "base.tar.enc" : "base.tar", err);
    if (k->fd < 0)
        return -1;
    if (crypt && crypt->key) {
        if (!crypt->wrapped || crypt->wrapped_n == 0)
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "an encrypted snapshot needs its wrapped data key");
        int kfd = sv__snap_open_out(sv, dir, "datakey.kms", err);
        if (kfd < 0 || sv__snap_write_all(kfd, crypt->wrapped, crypt->wrapped_n, err) != 0) {
            if (kfd >= 0)
                close(kfd);
            return -1;
        }
        close(kfd);
        if (sv__enc_open(&k->enc, k->fd, crypt->key, 0, err) != 0)
            return -1;
    }
    return 0;
}

static int sink_write(sink *k, const unsigned char *p, size_t n, rds_error *err)
{
    k->bytes += (int64_t)n;
    return k->enc ? sv__enc_write(k->enc, p, n, err) : sv__snap_write_all(k->fd, p, n, err);
}

static int sink_finish(sink *k, rds_error *err)
{
    return k->enc ? sv__enc_finish(k->enc, err) : 0;
}

static void sink_close(sink *k)
{
    sv__enc_free(k->enc);
    k->enc = NULL;
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
}

/* Renames the finished tmp dir to its final name (fails if that exists and is not empty). */
static int publish(const char *tmp, const char *final, const char *snap_key, rds_error *err)
{
    if (rename(tmp, final) != 0) {
        if (errno == EEXIST || errno == ENOTEMPTY)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "snapshot \"%s\" already exists", snap_key);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not store snapshot \"%s\"", snap_key);
        return rds_detail(err, "rename %s: %s", final, strerror(errno));
    }
    return 0;
}

/* ---- create ------------------------------------------------------------------ */

static int admin_exec(PGconn *c, const char *sql, rds_error *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not prepare the snapshot");
        rds_detail(err, "%s", PQresultErrorMessage(r));
    }
    PQclear(r);
    return rc;
}

/* Instances made from an older template have no replication line for rdsadmin: add it,
 * reload, and wait until a replication connection is accepted. */
static int ensure_replication_hba(sv_supervisor *sv, sv_inst *in, PGconn *c, rds_error *err)
{
    char p[SV_PATH], buf[16384];
    if (sv__path(p, sizeof p, err, "%s/pg_hba.conf", in->data) != 0)
        return -1;
    int n = sv__read_file(p, buf, sizeof buf - sizeof HBA_REPLICATION - 2);
    if (n < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the pg_hba.conf of instance \"%s\"", in->key);
        return rds_detail(err, "%s", p);
    }
    if (strstr(buf, HBA_REPLICATION))
        return 0;
    if (n > 0 && buf[n - 1] != '\n')
        strcat(buf, "\n");
    strcat(buf, HBA_REPLICATION);
    if (sv__write_file(p, buf, 0600, own_uid(sv), sv->pg_gid, err) != 0 ||
        admin_exec(c, "SELECT pg_reload_conf()", err) != 0)
        return -1;
    int64_t deadline = sv__mono_ms() + 5000;
    for (;;) {
        rds_error e = { 0 };
        PGconn *r = sv__admin_conn(in, true, &e);
        PQfinish(r);
        if (r)
            return 0;
        if (sv__mono_ms() > deadline) {
            *err = e;
            return -1;
        }
        sv__sleep_ms(5);
    }
}

/* Reads the child's stdout to its end into the sink. */
static int pump(int from, sink *k, rds_error *err)
{
    unsigned char *buf = malloc(SV_CRYPT_CHUNK);
    if (!buf)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    int rc = 0;
    for (;;) {
        ssize_t r = read(from, buf, SV_CRYPT_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the backup stream");
            rds_detail(err, "read: %s", strerror(errno));
            break;
        }
        if (r == 0)
            break;
        if ((rc = sink_write(k, buf, (size_t)r, err)) != 0)
            break;
    }
    OPENSSL_cleanse(buf, SV_CRYPT_CHUNK);
    free(buf);
    return rc;
}

int sv__snap_pipe(int fds[2], rds_error *err)
{
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not create a pipe");
        return rds_detail(err, "pipe: %s", strerror(errno));
    }
    fcntl(fds[0], F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; best effort */
    return 0;
}

int sv__snap_wait_child(pid_t pid, const char *what, const char *logp, rds_error *err)
{
    int st = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    char sbuf[64], tail[200];
    sv__log_tail(logp, tail, sizeof tail);
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "%s failed", what);
    return rds_detail(err, "%s: %s", sv__status_str(st, sbuf, sizeof sbuf), tail);
}

/* Runs the backup child (pg_basebackup, or tar of a stopped data dir) into the sink. */
static int stream_backup(sv_supervisor *sv, sv_inst *in, bool online, sink *k, const char *logp,
                         rds_error *err)
{
    sv_major *m = sv__major(sv, in->major);
    char exe[SV_PATH], port[16];
    if (!m)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "PostgreSQL %s is not installed", in->major);
    snprintf(port, sizeof port, "%d", in->port);
    if (sv__path(exe, sizeof exe, err, "%s/pg_basebackup", m->v.bin_dir) != 0)
        return -1;
    char *bb[] = { exe, "-h", in->sock, "-p", port, "-U", SV_ADMIN_USER, "-w", "-D", "-", "-F", "t",
                   "-X", "fetch", "-c", "fast", "--no-manifest", NULL };
    /* ustar: what sv_untar.c reads (data dir names are far below its 255-byte limit) */
    char *tar[] = { access("/usr/bin/tar", X_OK) == 0 ? "/usr/bin/tar" : "/bin/tar", "--format=ustar", "-c", "-f", "-", "-C", in->data, "--exclude=./postmaster.pid",
                    "--exclude=./postmaster.opts", ".", NULL };
    int fds[2], logfd = -1, nullfd = -1, rc = -1;
    if (sv__snap_pipe(fds, err) != 0)
        return -1;
    logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = -1;
    if (logfd < 0 || nullfd < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not start the backup");
        rds_detail(err, "open %s: %s", logp, strerror(errno));
    } else {
        pid = sv__spawn_fds(sv, online ? bb : tar, fds[1], logfd, nullfd, err);
    }
    close(fds[1]);
    if (pid > 0) {
        int prc = pump(fds[0], k, err);
        if (prc != 0)
            kill(pid, SIGKILL);
        close(fds[0]);
        fds[0] = -1;
        rds_error werr = { 0 };
        int wrc = sv__snap_wait_child(pid, online ? "pg_basebackup" : "tar of the data directory", logp, &werr);
        if (prc == 0 && wrc != 0)
            *err = werr;
        rc = prc == 0 && wrc == 0 ? 0 : -1;
    }
    if (fds[0] >= 0)
        close(fds[0]);
    if (logfd >= 0)
        close(logfd);
    if (nullfd >= 0)
        close(nullfd);
    return rc;
}

int sv_snapshot_create(sv_supervisor *sv, const char *inst_key, const char *snap_key,
                       const sv_snapshot_crypt *crypt, int64_t *bytes, rds_error *err)
{
    char final[SV_PATH], tmp[SV_PATH] = "", logp[SV_PATH] = "";
    if (bytes)
        *bytes = 0;
    if (sv__snap_dirs(sv, snap_key, final, sizeof final, err) != 0)
        return -1;
    struct stat st;
    if (lstat(final, &st) == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "snapshot \"%s\" already exists", snap_key);
    sv_inst *in = sv__get_inst(sv, inst_key, err);
    if (!in)
        return -1;
    int64_t t0 = sv__mono_ms();
    int rc = -1;
    PGconn *c = NULL;
    sink k = { .fd = -1 };
    pid_t pm;
    int pm_port;
    bool online = in->state == IS_RUNNING && in->pid > 0 && (in->is_child || sv__pid_alive(in->pid));
    if (!online && sv__inst_find_running(in, &pm, &pm_port)) {
        rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "instance \"%s\" is being started or stopped", inst_key);
        goto done;
    }
    if (sv__snap_tmpdir(sv, snap_key, tmp, sizeof tmp, err) != 0) {
        tmp[0] = '\0';
        goto done;
    }
    if (sv__path(logp, sizeof logp, err, "%s.log", tmp) != 0 || sink_open(&k, sv, tmp, crypt, err) != 0)
        goto done;
    if (online) {
        /* The admin session holds a temporary slot that reserves WAL from now on, so the
         * WAL pg_basebackup fetches at the end cannot have been recycled meanwhile. */
        char sql[160];
        unsigned seq;
        pthread_mutex_lock(&sv->mu);
        seq = ++sv->spare_seq;
        pthread_mutex_unlock(&sv->mu);
        snprintf(sql, sizeof sql, "SELECT 1 FROM pg_create_physical_replication_slot('rdslocal_snapshot_%d_%u', "
                 "true, true)", (int)getpid(), seq);
        if (!(c = sv__admin_conn(in, false, err)) || ensure_replication_hba(sv, in, c, err) != 0 ||
            admin_exec(c, sql, err) != 0)
            goto done;
    }
    if (stream_backup(sv, in, online, &k, logp, err) != 0 || sink_finish(&k, err) != 0)
        goto done;
    sink_close(&k);
    if (publish(tmp, final, snap_key, err) != 0)
        goto done;
    tmp[0] = '\0';
    if (bytes)
        *bytes = k.bytes;
    log_at(LOG_INFO, "supervisor", "snapshot \"%s\" of instance \"%s\" taken (%s, %s) bytes=%lld ms=%lld", snap_key,
           inst_key, online ? "online" : "stopped", crypt && crypt->key ? "encrypted" : "plain", (long long)k.bytes,
           (long long)(sv__mono_ms() - t0));
    rc = 0;
done:
    PQfinish(c); /* drops the temporary slot */
    sink_close(&k);
    if (tmp[0])
        sv__remove_tree(tmp, NULL);
    if (logp[0])
        unlink(logp);
    sv__release_locked(sv, in);
    return rc;
}

/* ---- copy, key, delete ------------------------------------------------------- */

int sv_snapshot_copy(sv_supervisor *sv, const char *src_key, const sv_snapshot_crypt *src,
                     const char *dst_key, const sv_snapshot_crypt *dst, rds_error *err)
{
    char sdir[SV_PATH], final[SV_PATH], tmp[SV_PATH] = "";
    if (sv__snap_dirs(sv, src_key, sdir, sizeof sdir, err) != 0 ||
        sv__snap_dirs(sv, dst_key, final, sizeof final, err) != 0)
        return -1;
    if (!sv__is_dir(sdir))
        return rds_fail(err, RDS_E_DB_SNAPSHOT_NOT_FOUND, "snapshot \"%s\" not found", src_key);
    struct stat st;
    if (lstat(final, &st) == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "snapshot \"%s\" already exists", dst_key);
    int64_t t0 = sv__mono_ms();
    sv__snap_source s;
    sink k = { .fd = -1 };
    int rc = -1;
    if (sv__snap_source_open(&s, sdir, src_key, src, err) != 0)
        return -1;
    if (sv__snap_tmpdir(sv, dst_key, tmp, sizeof tmp, err) != 0) {
        tmp[0] = '\0';
        goto done;
    }
    if (sink_open(&k, sv, tmp, dst, err) != 0)
        goto done;
    for (;;) {
        const unsigned char *p;
        size_t n;
        int r = sv__snap_source_next(&s, &p, &n, err);
        if (r < 0)
            goto done;
        if (r == 0)
            break;
        if (sink_write(&k, p, n, err) != 0)
            goto done;
    }
    if (sink_finish(&k, err) != 0)
        goto done;
    sink_close(&k);
    if (publish(tmp, final, dst_key, err) != 0)
        goto done;
    tmp[0] = '\0';
    log_at(LOG_INFO, "supervisor", "snapshot \"%s\" copied to \"%s\" (%s) bytes=%lld ms=%lld", src_key, dst_key,
           dst && dst->key ? "encrypted" : "plain", (long long)k.bytes, (long long)(sv__mono_ms() - t0));
    rc = 0;
done:
    sv__snap_source_close(&s);
    sink_close(&k);
    if (tmp[0])
        sv__remove_tree(tmp, NULL);
    return rc;
}

int sv_snapshot_wrapped_key(sv_supervisor *sv, const char *snap_key, unsigned char *buf, size_t cap,
                            size_t *n, rds_error *err)
{
    char dir[SV_PATH], p[SV_PATH];
    *n = 0;
    if (sv__snap_dirs(sv, snap_key, dir, sizeof dir, err) != 0)
        return -1;
    if (!sv__is_dir(dir))
        return rds_fail(err, RDS_E_DB_SNAPSHOT_NOT_FOUND, "snapshot \"%s\" not found", snap_key);
    if (sv__path(p, sizeof p, err, "%s/datakey.kms", dir) != 0)
        return -1;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* plain snapshot */
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the data key of snapshot \"%s\"", snap_key);
        return rds_detail(err, "%s: %s", p, strerror(errno));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > cap) {
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "the data key of snapshot \"%s\" is damaged", snap_key);
        rds_detail(err, "%s: size %lld, buffer %zu", p, (long long)st.st_size, cap);
    } else {
        size_t got = 0;
        while (rc == 0 && got < (size_t)st.st_size) {
            ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the data key of snapshot \"%s\"",
                              snap_key);
                break;
            }
            got += (size_t)r;
        }
        if (rc == 0)
            *n = got;
    }
    close(fd);
    return rc;
}

int sv_snapshot_delete(sv_supervisor *sv, const char *snap_key, rds_error *err)
{
    char dir[SV_PATH];
    if (sv__snap_dirs(sv, snap_key, dir, sizeof dir, err) != 0)
        return -1;
    struct stat st;
    if (lstat(dir, &st) != 0)
        return 0;
    int rc = sv__remove_tree(dir, err);
    if (rc == 0)
        log_at(LOG_INFO, "supervisor", "deleted snapshot \"%s\"", snap_key);
    return rc;
}

/* ---- reconcile ----------------------------------------------------------------- */

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], name) == 0)
            return true;
    return false;
}

static int quarantine(sv_supervisor *sv, const char *root, const char *name, rds_error *err)
{
    char src[SV_PATH], to[SV_PATH];
    if (sv__quarantine_dest(sv, root, "snapshot-", name, src, sizeof src, to, sizeof to, err) != 0)
        return -1;
    if (rename(src, to) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not move \"%s\" to quarantine", src);
        return rds_detail(err, "rename to %s: %s", to, strerror(errno));
    }
    log_at(LOG_WARN, "supervisor", "moved snapshot \"%s\", which no snapshot of the state database owns, to "
           "quarantine \"%s\" (nothing was deleted; remove it when it is not needed)", src, to);
    return 0;
}

int sv_snapshot_reconcile(sv_supervisor *sv, const char *const *keep, size_t n_keep,
                          const char *const *discard, size_t n_discard, rds_error *err)
{
    char root[SV_PATH];
    if (sv__snap_dirs(sv, "x", NULL, 0, err) != 0 ||
        sv__path(root, sizeof root, err, "%s/snapshots", sv->state_dir) != 0)
        return -1;
    DIR *d = opendir(root);
    if (!d) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read \"%s\"", root);
        return rds_detail(err, "opendir: %s", strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || in_list(name, keep, n_keep))
            continue;
        rds_error e1 = { 0 };
        char p[SV_PATH];
        int pid = 0;
        unsigned long long start = 0;
        if (sv__path(p, sizeof p, &e1, "%s/%s", root, name) != 0) {
            /* too long: cannot be ours */
        } else if (strncmp(name, ".tmp-", 5) == 0 && sscanf(name + 5, "%d.%llu-", &pid, &start) == 2) {
            /* Our own unfinished create or copy (its files and log): removed unless the
             * process that made it still runs (it may be a create of this process). */
            if (!sv__pid_alive(pid) || proc_start(pid) != start)
                sv__remove_tree(p, &e1);
            continue;
        } else if (in_list(name, discard, n_discard)) {
            if (sv__remove_tree(p, &e1) == 0)
                log_at(LOG_INFO, "supervisor", "removed discarded snapshot \"%s\"", name);
        } else {
            quarantine(sv, root, name, &e1);
        }
        if (e1.code != RDS_OK && rc == 0) {
            *err = e1;
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}
