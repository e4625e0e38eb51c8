/* sv_untar.c: a minimal streaming ustar extractor for snapshot restores (sv_untar.h).
 *
 * Why our own and not `tar -x`: the restore feeds verified plaintext straight from the
 * decryptor's buffer into the files (no pipe, no second process on a 2-core box), and
 * starts each file's writeback as soon as it is complete (sync_file_range WRITE, as
 * PostgreSQL's own initdb/fsync pre-pass does), so the fsync pass postgres makes over a
 * restored data dir before recovery finds little left to write.
 *
 * Accepted: what pg_basebackup -Ft and `tar --format=ustar` write for a data dir: regular
 * files ('0', '\0') and directories ('5'), names from the ustar name + prefix fields,
 * octal or base-256 sizes, and the end-of-archive zero block. Anything else (symlinks,
 * hard links, devices, pax or GNU extension headers), an absolute name or a ".." component
 * is refused: nothing can be written outside the target dir, which must be empty. Files
 * are created O_EXCL|O_NOFOLLOW with the archive's permission bits and, when uid is not
 * -1, chowned to the pg user. Any thread; one object per extraction. */
#include "sv_untar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BLK 512

struct sv_untar {
    int root;                 /* target dir */
    uid_t uid;
    gid_t gid;
    unsigned char hdr[BLK];   /* header being assembled */
    size_t hdr_fill;
    int fd;                   /* file being written, -1 between entries */
    uint64_t left, pad;       /* content bytes still to write / padding to skip */
    bool done;                /* end-of-archive block seen */
    char name[260];
};

static int bad(rds_error *err, const char *why, const char *name)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "the snapshot's archive is damaged or unsupported");
    return rds_detail(err, "%s: \"%.200s\"", why, name);
}

int sv__untar_open(sv_untar **out, const char *dir, uid_t uid, gid_t gid, rds_error *err)
{
    *out = NULL;
    sv_untar *u = calloc(1, sizeof *u);
    if (!u)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    u->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (u->root < 0) {
        free(u);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not open \"%s\"", dir);
        return rds_detail(err, "%s", strerror(errno));
    }
    u->uid = uid;
    u->gid = gid;
    u->fd = -1;
    *out = u;
    return 0;
}

/* Octal (NUL/space terminated) or GNU base-256 (high bit set) numeric field. */
static bool parse_num(const unsigned char *f, size_t n, uint64_t *v)
{
    *v = 0;
    if (f[0] & 0x80) {
        for (size_t i = 1; i < n; i++) {
            if (*v >> 55)
                return false;
            *v = *v << 8 | f[i];
        }
        return (f[0] & 0x7f) == 0;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
        *v = *v * 8 + (uint64_t)(f[i] - '0');
    return i == n || f[i] == '\0' || f[i] == ' ';
}

/* Full relative name; "" for the archive's own root ("." or "./"). */
static int entry_name(sv_untar *u, rds_error *err)
{
    char name[101], prefix[156];
    memcpy(name, u->hdr, 100);
    name[100] = '\0';
    memcpy(prefix, u->hdr + 345, 155);
    prefix[155] = '\0';
    if (memcmp(u->hdr + 257, "ustar", 5) != 0)
        prefix[0] = '\0'; /* v7 header: no prefix field */
    int r = prefix[0] ? snprintf(u->name, sizeof u->name, "%s/%s", prefix, name)
                      : snprintf(u->name, sizeof u->name, "%s", name);
    if (r < 0 || (size_t)r >= sizeof u->name)
        return bad(err, "name too long", name);
    char *p = u->name;
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    size_t len = strlen(p);
    while (len > 0 && p[len - 1] == '/')
        p[--len] = '\0';
    if (strcmp(p, ".") == 0)
        p[0] = '\0';
    memmove(u->name, p, strlen(p) + 1);
    if (u->name[0] == '/')
        return bad(err, "absolute name", u->name);
    for (const char *c = u->name; *c;) { /* no ".." component */
        size_t cl = strcspn(c, "/");
        if (cl == 2 && c[0] == '.' && c[1] == '.')
            return bad(err, "name leaves the directory", u->name);
        c += cl;
        while (*c == '/')
            c++;
    }
    return 0;
}

static bool zero_block(const unsigned char *b)
{
    for (size_t i = 0; i < BLK; i++)
        if (b[i])
            return false;
    return true;
}

static int start_entry(sv_untar *u, rds_error *err)
{
    if (zero_block(u->hdr)) {
        u->done = true;
        return 0;
    }
    uint64_t sum = 0, want, mode, size;
    for (size_t i = 0; i < BLK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : u->hdr[i];
    if (!parse_num(u->hdr + 148, 8, &want) || sum != want)
        return bad(err, "header checksum mismatch", "");
    if (entry_name(u, err) != 0)
        return -1;
    if (!parse_num(u->hdr + 100, 8, &mode) || !parse_num(u->hdr + 124, 12, &size))
        return bad(err, "bad numeric field", u->name);
    char type = (char)u->hdr[156];
    mode &= 07777;
    if (type == '5') {
        if (u->name[0] == '\0')
            return 0; /* the target dir itself: made by the caller */
        if ((mkdirat(u->root, u->name, 0700) != 0 && errno != EEXIST) ||
            fchmodat(u->root, u->name, (mode_t)(mode & 0700), 0) != 0 ||
            (u->uid != (uid_t)-1 && fchownat(u->root, u->name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) != 0)) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not restore directory \"%s\"", u->name);
            return rds_detail(err, "%s", strerror(errno));
        }
        return 0;
    }
    if (type != '0' && type != '\0')
        return bad(err, "unsupported entry type", u->name);
    if (u->name[0] == '\0')
        return bad(err, "empty name", "");
    /* Permissions only (no set-id bits), and never more than the owner's. */
    u->fd = openat(u->root, u->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)(mode & 0700));
    if (u->fd < 0 || (u->uid != (uid_t)-1 && fchown(u->fd, u->uid, u->gid) != 0)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not restore file \"%s\"", u->name);
        return rds_detail(err, "%s", strerror(errno));
    }
    u->left = size;
    u->pad = (BLK - size % BLK) % BLK;
    return 0;
}

static int end_file(sv_untar *u, rds_error *err)
{
    /* Start writeback now (asynchronously): postgres fsyncs the whole data dir before its
     * recovery, and would otherwise wait for all of it then. Linux only; best effort. */
#ifdef SYS_sync_file_range
    syscall(SYS_sync_file_range, u->fd, (off_t)0, (off_t)0, 2 /* SYNC_FILE_RANGE_WRITE */);
#endif
    int rc = close(u->fd);
    u->fd = -1;
    if (rc != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not restore file \"%s\"", u->name);
        return rds_detail(err, "close: %s", strerror(errno));
    }
    return 0;
}

int sv__untar_feed(sv_untar *u, const unsigned char *p, size_t n, rds_error *err)
{
    while (n > 0) {
        if (u->done)
            return 0; /* after the end marker: record padding */
        if (u->left > 0) {
            size_t take = u->left < n ? (size_t)u->left : n;
            ssize_t w = write(u->fd, p, take);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not restore file \"%s\"", u->name);
                return rds_detail(err, "write: %s", w < 0 ? strerror(errno) : "short write");
            }
            p += w;
            n -= (size_t)w;
            u->left -= (uint64_t)w;
            if (u->left == 0 && end_file(u, err) != 0)
                return -1;
            continue;
        }
        if (u->fd >= 0 && end_file(u, err) != 0) /* an empty file */
            return -1;
        if (u->pad > 0) {
            size_t take = u->pad < n ? (size_t)u->pad : n;
            p += take;
            n -= take;
            u->pad -= take;
            continue;
        }
        size_t take = BLK - u->hdr_fill < n ? BLK - u->hdr_fill : n;
        memcpy(u->hdr + u->hdr_fill, p, take);
        u->hdr_fill += take;
        p += take;
        n -= take;
        if (u->hdr_fill == BLK) {
            u->hdr_fill = 0;
            if (start_entry(u, err) != 0)
                return -1;
        }
    }
    return 0;
}

int sv__untar_finish(sv_untar *u, rds_error *err)
{
    if (u->fd >= 0 && u->left == 0 && end_file(u, err) != 0)
        return -1;
    if (!u->done)
        return bad(err, "archive ends early", u->name);
    return 0;
}

void sv__untar_free(sv_untar *u)
{
    if (!u)
        return;
    if (u->fd >= 0)
        close(u->fd);
    if (u->root >= 0)
        close(u->root);
    free(u);
}
