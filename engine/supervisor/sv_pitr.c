/* sv_pitr.c: sv_instance_restore_pitr, a new instance recovered to an instant by WAL
 * replay: a base backup (a snapshot taken with pg_basebackup) plus the WAL archive of
 * sv_wal.c.
 *
 * Steps (inside sv_instance_restore's path, through its hooks):
 *  1. the base is extracted as for a snapshot restore;
 *  2. staged: every archived file from the base's start segment on (backup_label) is
 *     decrypted if need be, segments padded back to their size, into <dir>/pitr-wal, the pg
 *     user's (postgres cannot read our archive, nor decrypt it); recovery.signal is
 *     written and in->pitr_* make the `archive` conf fragment add restore_command,
 *     recovery_target_time (explicit UTC offset), timeline latest, inclusive, action
 *     promote and hot_standby off (no connection before promotion, so "ready" means
 *     "recovered");
 *  3. ready: postgres replays and promotes. When no commit after the target is in the
 *     archive, PostgreSQL stops with "recovery ended before configured recovery target
 *     was reached" although the end of the archive IS the state at the target (the
 *     caller only asks for instants the archive covers): the server is then started
 *     again without a target, and replays to the end;
 *  4. the recovery settings are dropped from the conf (the next start is a plain one)
 *     and the staging dir removed.
 * All the WAL is staged, not only up to the target: which segment holds the target is
 * not known without reading the WAL, and postgres fetches only what it needs. */
#include "sv_internal.h"
#include "sv_crypt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPLAY_TIMEOUT_MS (60 * 60 * 1000)

typedef struct pitr_ctx {
    const char *wal_key;
    const sv_snapshot_crypt *wal_crypt;
    int64_t target_real_ms;
    int files;
    size_t seg_size;
} pitr_ctx;

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The segment file backup_label names as the start ("" if none: a cold copy). */
static void base_start_segment(const sv_inst *in, char seg[25])
{
    seg[0] = '\0';
    char p[SV_PATH], buf[1024];
    if (snprintf(p, sizeof p, "%s/backup_label", in->data) >= (int)sizeof p || sv__read_file(p, buf, sizeof buf) <= 0)
        return;
    const char *f = strstr(buf, "(file ");
    if (f && strlen(f) >= 6 + 24) {
        memcpy(seg, f + 6, 24);
        seg[24] = '\0';
    }
}

/* Writes one archived file, decrypted and padded, as the pg user's dst. */
static int stage_file(sv_supervisor *sv, const char *src, const char *dst, bool enc, size_t pad_to,
                      const sv_snapshot_crypt *crypt, rds_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the WAL archive");
        return rds_detail(err, "%s: %s", src, strerror(errno));
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not stage WAL");
        return rds_detail(err, "%s: %s", dst, strerror(errno));
    }
    int rc = 0;
    size_t total = 0;
    if (enc) {
        sv_dec *d = NULL;
        if (!crypt || !crypt->key)
            rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "the WAL archive is encrypted: a key is needed");
        else
            rc = sv__dec_open(&d, in, crypt->key, err) == 0 ? 0 : -1;
        for (;;) {
            if (rc != 0)
                break;
            const unsigned char *p;
            size_t n;
            int r = sv__dec_next(d, &p, &n, err);
            if (r == 0)
                break;
            if (r < 0) {
                rc = -1;
                break;
            }
            rc = sv__snap_write_all(out, p, n, err);
            total += n;
        }
        sv__dec_free(d);
        if (rc != 0 && err)
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "the WAL archive failed its integrity check");
    } else {
        static __thread unsigned char buf[1 << 16];
        ssize_t r;
        while (rc == 0 && (r = read(in, buf, sizeof buf)) != 0) {
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the WAL archive");
                break;
            }
            rc = sv__snap_write_all(out, buf, (size_t)r, err);
            total += (size_t)r;
        }
    }
    if (rc == 0 && total < pad_to && ftruncate(out, (off_t)pad_to) != 0)
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not pad a staged WAL segment");
    if (rc == 0 && sv->as_root && fchown(out, sv->pg_uid, sv->pg_gid) != 0)
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not chown a staged WAL segment");
    close(in);
    close(out);
    if (rc != 0)
        unlink(dst);
    return rc;
}

static bool is_segment(const char *name)
{
    return strlen(name) == 24 && strspn(name, "0123456789ABCDEF") == 24;
}

static int staged(sv_supervisor *sv, sv_inst *in, void *arg, rds_error *err)
{
    pitr_ctx *c = arg;
    char src_dir[SV_PATH], stage[SV_PATH], first[25];
    if (sv__wal_dir(sv, c->wal_key, src_dir, sizeof src_dir, err) != 0 ||
        sv__path(stage, sizeof stage, err, "%s/pitr-wal", in->dir) != 0 ||
        sv__mkdir_owned(stage, 0700, own_uid(sv), sv->pg_gid, err) != 0)
        return -1;
    base_start_segment(in, first);
    char szp[SV_PATH], num[32];
    if (sv__path(szp, sizeof szp, err, "%s/" SV_WAL_SEGSIZE_FILE, src_dir) != 0)
        return -1;
    c->seg_size = sv__read_file(szp, num, sizeof num) > 0 ? (size_t)strtoull(num, NULL, 10) : 0;
    DIR *d = opendir(src_dir);
    if (!d)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "no WAL archive for \"%s\"", c->wal_key);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "datakey.kms") == 0 ||
            strcmp(de->d_name, SV_WAL_SEGSIZE_FILE) == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char plain[256];
        size_t len = strlen(names[i]);
        bool enc = len > 4 && strcmp(names[i] + len - 4, ".enc") == 0;
        snprintf(plain, sizeof plain, "%.*s", (int)(enc ? len - 4 : len), names[i]);
        bool seg = is_segment(plain);
        /* segments before the base's start are not needed (compare log/seg, any timeline) */
        if (seg && first[0] && strcmp(plain + 8, first + 8) < 0)
            continue;
        char src[SV_PATH], dst[SV_PATH];
        if (sv__path(src, sizeof src, err, "%s/%s", src_dir, names[i]) != 0 ||
            sv__path(dst, sizeof dst, err, "%s/%s", stage, plain) != 0) {
            rc = -1;
            break;
        }
        rc = stage_file(sv, src, dst, enc, seg ? c->seg_size : 0, c->wal_crypt, err);
        c->files++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc != 0)
        return -1;
    char sig[SV_PATH];
    if (sv__path(sig, sizeof sig, err, "%s/recovery.signal", in->data) != 0 ||
        sv__write_file(sig, "", 0600, own_uid(sv), sv->pg_gid, err) != 0)
        return -1;
    snprintf(in->pitr_stage, sizeof in->pitr_stage, "%s", stage);
    in->pitr_target[0] = '\0';
    if (c->target_real_ms >= 0) {
        time_t secs = (time_t)(c->target_real_ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(in->pitr_target, sizeof in->pitr_target, "%s.%03d+00", ts, (int)(c->target_real_ms % 1000));
    }
    return 0;
}

/* True if the instance's server log says recovery stopped before the target. */
static bool target_not_reached(const sv_inst *in)
{
    char dir[SV_PATH];
    if (snprintf(dir, sizeof dir, "%s/log/error", in->dir) >= (int)sizeof dir)
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    static __thread char buf[1 << 16];
    while (!found && (de = readdir(d)) != NULL) {
        char p[SV_PATH + 256];
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) == 0) {
            off_t from = st.st_size > (off_t)sizeof buf - 1 ? st.st_size - (off_t)sizeof buf + 1 : 0;
            ssize_t r = pread(fd, buf, sizeof buf - 1, from);
            if (r > 0) {
                buf[r] = '\0';
                found = strstr(buf, "recovery ended before configured recovery target was reached") != NULL;
            }
        }
        close(fd);
    }
    closedir(d);
    return found;
}

/* Spawns and waits until the server is promoted and accepts connections (sv__inst_wait_ready
 * gives up after a minute; a long replay is still progress while the postmaster lives). */
static int replay(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    if (sv__inst_spawn(sv, in, err) != 0)
        return -1;
    int64_t deadline = sv__mono_ms() + REPLAY_TIMEOUT_MS;
    for (;;) {
        rds_error_clear(err);
        if (sv__inst_wait_ready(sv, in, err) == 0)
            return 0;
        if (in->pid == 0 || sv__mono_ms() > deadline || sv->closing)
            return -1; /* exited (pid cleared by the wait), or out of time */
    }
}

/* The server log's last lines into err's detail (why recovery failed). */
static void server_log_tail(const sv_inst *in, rds_error *err)
{
    char dir[SV_PATH], newest[256] = "", p[SV_PATH + 256], tail[600];
    if (snprintf(dir, sizeof dir, "%s/log/error", in->dir) >= (int)sizeof dir)
        return;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, newest) > 0)
            snprintf(newest, sizeof newest, "%s", de->d_name);
    if (d)
        closedir(d);
    if (!newest[0])
        return;
    snprintf(p, sizeof p, "%s/%s", dir, newest);
    sv__log_tail(p, tail, sizeof tail);
    rds_detail(err, "%s", tail);
}

static int ready(sv_supervisor *sv, sv_inst *in, void *arg, rds_error *err)
{
    (void)arg;
    int rc = replay(sv, in, err);
    if (rc != 0 && in->pid == 0 && in->pitr_target[0] && target_not_reached(in)) {
        log_at(LOG_INFO, "supervisor", "instance \"%s\": no commit after %s in the archive; replaying all of it",
               in->key, in->pitr_target);
        in->pitr_target[0] = '\0';
        rc = replay(sv, in, err);
    }
    if (rc != 0)
        server_log_tail(in, err);
    char stage[SV_PATH];
    snprintf(stage, sizeof stage, "%s", in->pitr_stage);
    in->pitr_stage[0] = in->pitr_target[0] = '\0';
    if (rc == 0)
        rc = sv__write_conf(sv, in, err); /* the next start is a plain one */
    sv__remove_tree(stage, NULL);
    return rc;
}

int sv_instance_restore_pitr(sv_supervisor *sv, const sv_instance_spec *spec, const char *base_snap_key,
                             const sv_snapshot_crypt *base_crypt, const char *wal_key,
                             const sv_snapshot_crypt *wal_crypt, int64_t target_real_ms, rds_error *err)
{
    pitr_ctx c = { .wal_key = wal_key, .wal_crypt = wal_crypt, .target_real_ms = target_real_ms };
    int64_t t0 = sv__mono_ms();
    int rc = sv__instance_restore_ex(sv, spec, base_snap_key, base_crypt, staged, ready, &c, err);
    if (rc == 0)
        log_at(LOG_INFO, "supervisor", "restored instance \"%s\" from base \"%s\" + %d WAL files of \"%s\" ms=%lld",
               spec->key, base_snap_key, c.files, wal_key, (long long)(sv__mono_ms() - t0));
    return rc;
}
