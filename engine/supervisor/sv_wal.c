/* sv_wal.c: continuous WAL archiving of an instance into its backup area, for
 * point-in-time restore (sv_pitr.c replays it).
 *
 * Path of a segment: postgres' archiver runs archive_command (conf fragment `archive`)
 * as the pg user; while in->archive_wal it copies the finished segment into the
 * pg-owned outbox <state>/instances/<key>/walout under a dot-name and renames it there
 * (atomic: a name without the dot is always a complete file). Otherwise the command is
 * /bin/true: postgres recycles its WAL and nothing accumulates (archive_mode itself
 * needs a restart to change, so it is always on). archive_timeout = 1 s: a segment with
 * any WAL is closed at most a second after its first record, which bounds how far
 * LatestRestorableTime trails the clock of a writing instance.
 *
 * sv_wal_ship (the engine's worker, a few times a second) moves outbox files into
 * <state>/backups/<key>/wal/ (ours, 0700; the pg user never touches it): a segment is
 * stored without its zero tail (archive_timeout closes mostly empty segments -- 1 MiB;
 * rdslocal initdb uses --wal-segsize=1; sv_pitr.c pads them back, size in
 * segment_size), plain, or -- for an encrypted instance -- as <name>.enc in
 * the chunked AES-256-GCM format of snapshots (sv_crypt.h) under the instance's WAL data
 * key (wrapped by KMS, beside the segments as datakey.kms). Each copy goes through a
 * dot-name and a rename; the outbox file is removed only after.
 *
 * The restorable instant: before shipping, ship samples (real time t, insert LSN L) of
 * the running server. Once the archive's end (the end of its highest segment) reaches
 * L, every transaction committed by t is archived, so t is restorable. The newest such
 * t is reported. An idle server has its last segment closed by archive_timeout, after
 * which L stays at the start of the next segment: t = now (exact when idle).
 * Samples live in memory only: after a restart the engine keeps the value it stored.
 *
 * Locking: wal_mu serialises every archive operation (ship, prune, delete, read of the
 * key) and guards the per-key state table; none holds sv->mu for long. Any thread. */
#include "sv_internal.h"
#include "sv_crypt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAL_LONG_PHD 40 /* SizeOfXLogLongPHD: no record starts before seg start + 40 */
#define SAMPLES 128
#define IDLE_SWITCH_MS 1500

typedef struct wal_sample {
    int64_t t;
    uint64_t lsn;
} wal_sample;

typedef struct wal_state {
    char key[64];
    bool scanned;
    uint64_t seg_size;     /* the server's wal_segment_size (rdslocal's templates: 1 MiB) */
    uint64_t archived_end; /* end LSN of the highest archived segment; 0: none */
    wal_sample s[SAMPLES];
    int n, head;           /* ring of samples, oldest at head */
    uint64_t still_lsn;    /* the insert LSN seen unchanged since still_since */
    int64_t still_since;
} wal_state;

static pthread_mutex_t wal_mu = PTHREAD_MUTEX_INITIALIZER;
static wal_state **states;
static size_t nstates;

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

static bool key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > 63 || key[0] == '.')
        return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            return false;
    return true;
}

int sv__wal_dir(sv_supervisor *sv, const char *key, char *buf, size_t n, rds_error *err)
{
    if (!key_ok(key))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "invalid instance key \"%s\"", key ? key : "");
    return sv__path(buf, n, err, "%s/backups/%s/wal", sv->state_dir, key);
}

static int outbox_dir(sv_supervisor *sv, const char *key, char *buf, size_t n, rds_error *err)
{
    return sv__path(buf, n, err, "%s/%s/walout", sv->instances_dir, key);
}

/* A WAL segment file name: 24 hex digits. *end = its end LSN for segments of seg bytes. */
static bool segment_name(const char *name, uint64_t seg, uint64_t *end)
{
    if (strlen(name) != 24 || strspn(name, "0123456789ABCDEF") != 24)
        return false;
    char hi[9], lo[9];
    memcpy(hi, name + 8, 8);
    memcpy(lo, name + 16, 8);
    hi[8] = lo[8] = '\0';
    if (end && seg) {
        uint64_t segno = strtoull(hi, NULL, 16) * (0x100000000ull / seg) + strtoull(lo, NULL, 16);
        *end = (segno + 1) * seg;
    }
    return true;
}

/* ---- the conf fragment ------------------------------------------------------------ */

int sv__conf_archive(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    char box[SV_PATH];
    if (sv__path(box, sizeof box, err, "%s/walout", in->dir) != 0)
        return -1;
    if (strchr(box, '\'') || strchr(box, '"') || strchr(box, '\\') || strchr(box, '$') || strchr(box, '`'))
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "state dir path unusable in archive_command: %s", box);
    strbuf_puts(out, "archive_mode = on\n");
    if (in->archive_wal) {
        if (sv__mkdir_owned(box, 0700, own_uid(sv), sv->pg_gid, err) != 0)
            return -1;
        strbuf_printf(out,
                      "archive_timeout = 1\n"
                      "archive_command = 'cp \"%%p\" \"%s/.tmp-%%f\" && mv \"%s/.tmp-%%f\" \"%s/%%f\"'\n",
                      box, box, box);
    } else {
        strbuf_puts(out, "archive_timeout = 0\narchive_command = '/bin/true'\n");
    }
    if (in->pitr_stage[0]) {
        /* a point-in-time restore in progress (sv_pitr.c): archive recovery from the staged
         * WAL; no connections until it is promoted (hot_standby off) */
        strbuf_printf(out,
                      "restore_command = 'cp \"%s/%%f\" \"%%p\"'\n"
                      "recovery_target_timeline = 'latest'\n"
                      "recovery_target_action = 'promote'\n"
                      "recovery_target_inclusive = on\n"
                      "hot_standby = off\n",
                      in->pitr_stage);
        if (in->pitr_target[0])
            strbuf_printf(out, "recovery_target_time = '%s'\n", in->pitr_target);
    }
    return 0;
}

/* ---- per-key state ------------------------------------------------------------------ */

static wal_state *state_of(const char *key)
{
    for (size_t i = 0; i < nstates; i++)
        if (strcmp(states[i]->key, key) == 0)
            return states[i];
    wal_state **n = realloc(states, (nstates + 1) * sizeof *n);
    wal_state *s = calloc(1, sizeof *s);
    if (!n || !s) {
        free(s);
        if (n)
            states = n;
        return NULL;
    }
    states = n;
    snprintf(s->key, sizeof s->key, "%s", key);
    states[nstates++] = s;
    return s;
}

static void state_drop(const char *key)
{
    for (size_t i = 0; i < nstates; i++)
        if (strcmp(states[i]->key, key) == 0) {
            free(states[i]);
            states[i] = states[--nstates];
            return;
        }
}

static void scan_archive_end(const char *dir, wal_state *st)
{
    st->scanned = true;
    char p[SV_PATH], buf[32];
    if (snprintf(p, sizeof p, "%s/" SV_WAL_SEGSIZE_FILE, dir) < (int)sizeof p && sv__read_file(p, buf, sizeof buf) > 0)
        st->seg_size = strtoull(buf, NULL, 10);
    if (!st->seg_size)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char name[32];
        uint64_t end;
        snprintf(name, sizeof name, "%.24s", de->d_name);
        const char *rest = de->d_name + strlen(name);
        if ((*rest == '\0' || strcmp(rest, ".enc") == 0) && segment_name(name, st->seg_size, &end) &&
            end > st->archived_end)
            st->archived_end = end;
    }
    closedir(d);
}

/* ---- shipping ----------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The visible (not dot) entries of dir, sorted; *n of them. NULL with *n 0 if none/missing. */
static char **list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Reads a whole (<= 64 MiB) file into a malloc'd buffer. */
static unsigned char *slurp(const char *path, size_t *len, rds_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > (64 << 20)) {
        if (fd >= 0)
            close(fd);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read WAL file");
        rds_detail(err, "%s: %s", path, fd < 0 ? strerror(errno) : "too large");
        return NULL;
    }
    unsigned char *b = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (b && got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!b || got != (size_t)st.st_size) {
        free(b);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read WAL file");
        rds_detail(err, "%s: short read", path);
        return NULL;
    }
    *len = got;
    return b;
}

/* Writes p[0..n) to dir/name (through dir/.tmp-name and a rename), plain or encrypted. */
static int store_file(const char *dir, const char *name, const unsigned char *p, size_t n,
                      const sv_snapshot_crypt *crypt, rds_error *err)
{
    char tmp[SV_PATH], dst[SV_PATH];
    const char *suffix = crypt && crypt->key ? ".enc" : "";
    if (sv__path(tmp, sizeof tmp, err, "%s/.tmp-%s%s", dir, name, suffix) != 0 ||
        sv__path(dst, sizeof dst, err, "%s/%s%s", dir, name, suffix) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not write the WAL archive");
        return rds_detail(err, "%s: %s", tmp, strerror(errno));
    }
    int rc;
    if (crypt && crypt->key) {
        sv_enc *e = NULL;
        rc = sv__enc_open(&e, fd, crypt->key, 0, err);
        if (rc == 0)
            rc = sv__enc_write(e, p, n, err);
        if (rc == 0)
            rc = sv__enc_finish(e, err);
        sv__enc_free(e);
    } else {
        rc = sv__snap_write_all(fd, p, n, err);
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not sync the WAL archive");
    close(fd);
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not rename into the WAL archive");
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* The datakey.kms of an encrypted archive, written once (before its first segment). */
static int ensure_wrapped(const char *dir, const sv_snapshot_crypt *crypt, rds_error *err)
{
    if (!crypt || !crypt->key)
        return 0;
    char p[SV_PATH];
    if (sv__path(p, sizeof p, err, "%s/datakey.kms", dir) != 0)
        return -1;
    if (access(p, F_OK) == 0)
        return 0;
    if (!crypt->wrapped || !crypt->wrapped_n)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "an encrypted WAL archive needs its wrapped data key");
    return store_file(dir, "datakey.kms", crypt->wrapped, crypt->wrapped_n, NULL, err);
}

static int ship_one(const char *box, const char *dir, const char *name, const sv_snapshot_crypt *crypt,
                    wal_state *st, rds_error *err)
{
    char src[SV_PATH];
    if (sv__path(src, sizeof src, err, "%s/%s", box, name) != 0)
        return -1;
    size_t n;
    unsigned char *b = slurp(src, &n, err);
    if (!b)
        return -1;
    uint64_t end = 0;
    bool seg = segment_name(name, n, &end);
    if (seg && st->seg_size != n) { /* the segment size, for sv_pitr.c's padding */
        char num[32];
        snprintf(num, sizeof num, "%zu\n", n);
        if (store_file(dir, SV_WAL_SEGSIZE_FILE, (const unsigned char *)num, strlen(num), NULL, err) != 0) {
            free(b);
            return -1;
        }
        st->seg_size = n;
    }
    size_t keep = n;
    if (seg) /* the zero tail of a segment closed early: padded back on restore */
        while (keep > 0 && b[keep - 1] == 0)
            keep--;
    int rc = store_file(dir, name, b, keep, crypt, err);
    free(b);
    if (rc != 0)
        return -1;
    if (seg && end > st->archived_end)
        st->archived_end = end;
    unlink(src);
    return 0;
}

/* (t, insert LSN) of the running primary; false if it cannot be asked or is recovering.
 * switch_wal: first closes the current segment (pg_switch_wal) -- see sv_wal_ship. */
static bool sample_now(sv_supervisor *sv, const char *key, bool switch_wal, wal_sample *out)
{
    char sock[SV_PATH], port[16];
    pthread_mutex_lock(&sv->mu);
    sv_inst *in = sv__find(sv, key);
    bool up = in && in->state == IS_RUNNING && in->pid > 0;
    if (up) {
        snprintf(sock, sizeof sock, "%s", in->sock);
        snprintf(port, sizeof port, "%d", in->port);
    }
    pthread_mutex_unlock(&sv->mu);
    if (!up)
        return false;
    const char *kw[] = { "host", "port", "user", "dbname", "connect_timeout", "application_name", NULL };
    const char *val[] = { sock, port, SV_ADMIN_USER, "postgres", "2", "rdslocal", NULL };
    int64_t t = rds_real_now_ms() - 1; /* a commit stamped before t has its record inserted by the query */
    PGconn *c = PQconnectdbParams(kw, val, 0);
    bool ok = false;
    if (PQstatus(c) == CONNECTION_OK) {
        if (switch_wal)
            PQclear(PQexec(c, "SELECT pg_switch_wal()"));
        PGresult *r = PQexec(c, "SELECT CASE WHEN pg_is_in_recovery() THEN NULL "
                                "ELSE pg_current_wal_insert_lsn()::text END");
        unsigned hi, lo;
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
            sscanf(PQgetvalue(r, 0, 0), "%X/%X", &hi, &lo) == 2) {
            out->t = t;
            out->lsn = (uint64_t)hi << 32 | lo;
            ok = true;
        }
        PQclear(r);
    }
    PQfinish(c);
    return ok;
}

int sv_wal_ship(sv_supervisor *sv, const char *key, const sv_snapshot_crypt *crypt, int64_t *restorable_real_ms,
                rds_error *err)
{
    *restorable_real_ms = -1;
    char dir[SV_PATH], box[SV_PATH], root[SV_PATH];
    if (sv__wal_dir(sv, key, dir, sizeof dir, err) != 0 || outbox_dir(sv, key, box, sizeof box, err) != 0 ||
        sv__path(root, sizeof root, err, "%s/backups", sv->state_dir) != 0)
        return -1;
    /* A server that went idle right after writing may leave records archive_timeout
     * ignores (running-xacts snapshots are not "important" WAL) in an open segment: the
     * archive then never reaches its insert position. Once that position has not moved for
     * IDLE_SWITCH_MS and is past the archive, the segment is closed by hand. */
    pthread_mutex_lock(&wal_mu);
    wal_state *st0 = state_of(key);
    bool switch_wal = st0 && st0->still_since && st0->archived_end &&
                      rds_real_now_ms() - st0->still_since > IDLE_SWITCH_MS &&
                      st0->still_lsn > st0->archived_end + WAL_LONG_PHD;
    if (switch_wal)
        st0->still_since = 0;
    pthread_mutex_unlock(&wal_mu);
    wal_sample now;
    bool sampled = sample_now(sv, key, switch_wal, &now);
    pthread_mutex_lock(&wal_mu);
    int rc = -1;
    wal_state *st = state_of(key);
    if (!st) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
        goto out;
    }
    if (sv__mkdir_owned(root, 0700, (uid_t)-1, (gid_t)-1, err) != 0 || sv__mkdirs(dir, 0700, (uid_t)-1, (gid_t)-1, err) != 0)
        goto out;
    if (!st->scanned)
        scan_archive_end(dir, st);
    size_t n;
    char **names = list_dir(box, &n);
    rc = n ? ensure_wrapped(dir, crypt, err) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = ship_one(box, dir, names[i], crypt, st, err);
    free_list(names, n);
    if (rc != 0)
        goto out;
    if (sampled && (now.lsn != st->still_lsn || !st->still_since)) {
        st->still_lsn = now.lsn;
        st->still_since = now.t;
    }
    if (sampled) {
        int at = (st->head + st->n) % SAMPLES;
        if (st->n == SAMPLES)
            st->head = (st->head + 1) % SAMPLES;
        else
            st->n++;
        st->s[at] = now;
    }
    for (int i = st->n - 1; i >= 0; i--) {
        const wal_sample *s = &st->s[(st->head + i) % SAMPLES];
        if (st->archived_end && s->lsn <= st->archived_end + WAL_LONG_PHD) {
            *restorable_real_ms = s->t;
            /* older samples are of no further use */
            st->head = (st->head + i) % SAMPLES;
            st->n -= i;
            break;
        }
    }
out:
    pthread_mutex_unlock(&wal_mu);
    return rc;
}

int sv_wal_wrapped_key(sv_supervisor *sv, const char *key, unsigned char *buf, size_t cap, size_t *n,
                       rds_error *err)
{
    *n = 0;
    char dir[SV_PATH], p[SV_PATH];
    if (sv__wal_dir(sv, key, dir, sizeof dir, err) != 0 || sv__path(p, sizeof p, err, "%s/datakey.kms", dir) != 0)
        return -1;
    pthread_mutex_lock(&wal_mu);
    int rc = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, buf, cap);
        if (r <= 0 || (size_t)r == cap)
            rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "unreadable WAL data key of \"%s\"", key);
        else
            *n = (size_t)r;
        close(fd);
    }
    pthread_mutex_unlock(&wal_mu);
    return rc;
}

int sv_wal_prune_before(sv_supervisor *sv, const char *key, int64_t real_ms, rds_error *err)
{
    char dir[SV_PATH];
    if (sv__wal_dir(sv, key, dir, sizeof dir, err) != 0)
        return -1;
    pthread_mutex_lock(&wal_mu);
    size_t n;
    char **names = list_dir(dir, &n);
    int removed = 0;
    for (size_t i = 0; i < n; i++) {
        char p[SV_PATH], seg[32];
        snprintf(seg, sizeof seg, "%.24s", names[i]);
        struct stat st;
        /* only segments: history files and the data key stay */
        if (!segment_name(seg, 0, NULL) || sv__path(p, sizeof p, NULL, "%s/%s", dir, names[i]) != 0 ||
            stat(p, &st) != 0)
            continue;
        int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (mt < real_ms && unlink(p) == 0)
            removed++;
    }
    free_list(names, n);
    pthread_mutex_unlock(&wal_mu);
    if (removed)
        log_at(LOG_INFO, "supervisor", "pruned %d WAL segments of \"%s\"", removed, key);
    return 0;
}

int sv_wal_delete_all(sv_supervisor *sv, const char *key, rds_error *err)
{
    char dir[SV_PATH], box[SV_PATH];
    if (sv__wal_dir(sv, key, dir, sizeof dir, err) != 0 || outbox_dir(sv, key, box, sizeof box, err) != 0)
        return -1;
    pthread_mutex_lock(&wal_mu);
    int rc = sv__remove_tree(dir, err);
    size_t n;
    char **names = list_dir(box, &n); /* what the archiver already handed over */
    for (size_t i = 0; i < n; i++) {
        char p[SV_PATH];
        if (sv__path(p, sizeof p, NULL, "%s/%s", box, names[i]) == 0)
            unlink(p);
    }
    free_list(names, n);
    state_drop(key);
    pthread_mutex_unlock(&wal_mu);
    return rc;
}

/* Calls fn on each instance's WAL directory (<state>/backups/<key>/wal); wal_mu held. */
static int each_wal_dir(sv_supervisor *sv, void (*fn)(const char *wal_dir), rds_error *err)
{
    char root[SV_PATH];
    if (sv__path(root, sizeof root, err, "%s/backups", sv->state_dir) != 0)
        return -1;
    DIR *d = opendir(root);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char dir[SV_PATH];
        if (de->d_name[0] != '.' && sv__path(dir, sizeof dir, NULL, "%s/%s/wal", root, de->d_name) == 0)
            fn(dir);
    }
    if (d)
        closedir(d);
    return 0;
}

/* a copy cut short by a crash: its outbox file is still there and ships again */
static void drop_partial_copies(const char *dir)
{
    DIR *w = opendir(dir);
    struct dirent *f;
    while (w && (f = readdir(w)) != NULL) {
        char p[SV_PATH];
        if (strncmp(f->d_name, ".tmp-", 5) == 0 && sv__path(p, sizeof p, NULL, "%s/%s", dir, f->d_name) == 0)
            unlink(p);
    }
    if (w)
        closedir(w);
}

static void remove_wal_dir(const char *dir) { sv__remove_tree(dir, NULL); }

int sv_wal_reconcile(sv_supervisor *sv, rds_error *err)
{
    pthread_mutex_lock(&wal_mu);
    int rc = each_wal_dir(sv, drop_partial_copies, err);
    pthread_mutex_unlock(&wal_mu);
    return rc;
}

int sv_wal_delete_every(sv_supervisor *sv, rds_error *err)
{
    pthread_mutex_lock(&wal_mu);
    if (each_wal_dir(sv, remove_wal_dir, err) != 0) {
        pthread_mutex_unlock(&wal_mu);
        return -1;
    }
    for (size_t i = 0; i < nstates; i++)
        free(states[i]);
    nstates = 0;
    pthread_mutex_unlock(&wal_mu);
    return 0;
}
