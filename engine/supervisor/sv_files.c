/* sv_files.c: file-system helpers for the supervisor: mkdir -p with owners, a recursive
 * copy of a data directory (our own cp -a: sendfile per file, no fork, owner set to the
 * pg user when running as root), rm -rf, atomic small-file writes, and log tails for
 * error details. All fd-relative (openat/unlinkat) so deep trees cost no path joins.
 * Any supervisor thread; no shared state. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sv__path(char *buf, size_t n, rds_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= n) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "path too long");
        return rds_detail(err, "path longer than %zu bytes", n - 1);
    }
    return 0;
}

bool sv__is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sv__mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid, rds_error *err)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not create directory \"%s\"", path);
        return rds_detail(err, "mkdir %s: %s", path, strerror(errno));
    }
    if (chmod(path, mode) != 0 || (uid != (uid_t)-1 && chown(path, uid, gid) != 0)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not set owner of directory \"%s\"", path);
        return rds_detail(err, "chmod/chown %s: %s", path, strerror(errno));
    }
    return 0;
}

int sv__mkdirs(const char *path, mode_t mode, uid_t uid, gid_t gid, rds_error *err)
{
    char buf[SV_PATH];
    if (sv__path(buf, sizeof buf, err, "%s", path) != 0)
        return -1;
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (!sv__is_dir(buf) && sv__mkdir_owned(buf, mode, uid, gid, err) != 0)
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

static int copy_fail(rds_error *err, const char *what, const char *name)
{
    int e = errno;
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not copy data directory");
    return rds_detail(err, "%s %s: %s", what, name, strerror(e));
}

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st, uid_t uid, gid_t gid,
                     rds_error *err)
{
    int in = openat(sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return copy_fail(err, "open", name);
    int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
    if (out < 0) {
        close(in);
        return copy_fail(err, "create", name);
    }
    int rc = 0;
    off_t left = st->st_size;
    while (left > 0) {
        ssize_t w = sendfile(out, in, NULL, (size_t)left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = copy_fail(err, "write", name);
            break;
        }
        left -= w;
    }
    if (rc == 0 && (fchmod(out, st->st_mode & 07777) != 0 ||
                    (uid != (uid_t)-1 && fchown(out, uid, gid) != 0)))
        rc = copy_fail(err, "chown", name);
    close(in);
    close(out);
    return rc;
}

static int copy_dir(int sdir, int ddir, uid_t uid, gid_t gid, const volatile bool *abort, rds_error *err)
{
    int sfd = dup(sdir);
    DIR *d = sfd < 0 ? NULL : fdopendir(sfd);
    if (!d) {
        if (sfd >= 0)
            close(sfd);
        return copy_fail(err, "opendir", ".");
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (abort && *abort) {
            rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "copy aborted: supervisor closing");
            break;
        }
        struct stat st;
        if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = copy_fail(err, "stat", name);
        } else if (S_ISDIR(st.st_mode)) {
            if (mkdirat(ddir, name, 0700) != 0) {
                rc = copy_fail(err, "mkdir", name);
                break;
            }
            int s2 = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            int d2 = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (s2 < 0 || d2 < 0)
                rc = copy_fail(err, "open", name);
            else
                rc = copy_dir(s2, d2, uid, gid, abort, err);
            if (rc == 0 && (fchmod(d2, st.st_mode & 07777) != 0 ||
                            (uid != (uid_t)-1 && fchown(d2, uid, gid) != 0)))
                rc = copy_fail(err, "chown", name);
            if (s2 >= 0)
                close(s2);
            if (d2 >= 0)
                close(d2);
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file(sdir, ddir, name, &st, uid, gid, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[SV_PATH];
            ssize_t r = readlinkat(sdir, name, target, sizeof target - 1);
            if (r < 0)
                rc = copy_fail(err, "readlink", name);
            else {
                target[r] = '\0';
                if (symlinkat(target, ddir, name) != 0 ||
                    (uid != (uid_t)-1 && fchownat(ddir, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0))
                    rc = copy_fail(err, "symlink", name);
            }
        } /* sockets, fifos: not part of a data dir; skipped */
    }
    closedir(d);
    return rc;
}

int sv__copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid, const volatile bool *abort,
                  rds_error *err)
{
    struct stat st;
    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
        return copy_fail(err, "stat", src);
    if (mkdir(dst, 0700) != 0)
        return copy_fail(err, "mkdir", dst);
    int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (s < 0 || d < 0)
        rc = copy_fail(err, "open", s < 0 ? src : dst);
    else
        rc = copy_dir(s, d, uid, gid, abort, err);
    if (rc == 0 && (fchmod(d, st.st_mode & 07777) != 0 || (uid != (uid_t)-1 && fchown(d, uid, gid) != 0)))
        rc = copy_fail(err, "chown", dst);
    if (s >= 0)
        close(s);
    if (d >= 0)
        close(d);
    if (rc != 0)
        sv__remove_tree(dst, NULL);
    return rc;
}

static int remove_in(int dfd, rds_error *err)
{
    int fd = dup(dfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove directory");
        return rds_detail(err, "opendir: %s", strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove \"%s\"", name);
            rds_detail(err, "unlink %s: %s", name, strerror(errno));
            continue;
        }
        int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (sub < 0 || remove_in(sub, err) != 0 || unlinkat(dfd, name, AT_REMOVEDIR) != 0) {
            if (rc == 0) {
                rc = rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove directory \"%s\"", name);
                rds_detail(err, "rmdir %s: %s", name, strerror(errno));
            }
        }
        if (sub >= 0)
            close(sub);
    }
    closedir(d);
    return rc;
}

int sv__remove_tree(const char *path, rds_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove \"%s\"", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove \"%s\"", path);
            return rds_detail(err, "unlink: %s", strerror(errno));
        }
        return 0;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove \"%s\"", path);
        return rds_detail(err, "open: %s", strerror(errno));
    }
    int rc = remove_in(fd, err);
    close(fd);
    if (rc == 0 && rmdir(path) != 0 && errno != ENOENT) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove \"%s\"", path);
        return rds_detail(err, "rmdir: %s", strerror(errno));
    }
    return rc;
}

int sv__write_file(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid,
                   rds_error *err)
{
    char tmp[SV_PATH];
    if (sv__path(tmp, sizeof tmp, err, "%s.tmp.%d", path, (int)getpid()) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not write \"%s\"", path);
        return rds_detail(err, "open: %s", strerror(errno));
    }
    size_t len = strlen(content), off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && (fchmod(fd, mode) != 0 || (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0)))
        rc = -1;
    int e = errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not write \"%s\"", path);
        return rds_detail(err, "%s", strerror(e));
    }
    return 0;
}

int sv__copy_file(const char *src, const char *dst, mode_t mode, rds_error *err)
{
    char tmp[SV_PATH];
    if (sv__path(tmp, sizeof tmp, err, "%s.tmp.%d", dst, (int)getpid()) != 0)
        return -1;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = in < 0 ? errno : EINVAL;
        if (in >= 0)
            close(in);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not copy \"%s\"", src);
        return rds_detail(err, "open: %s", strerror(e));
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = out < 0 ? -1 : 0;
    off_t left = st.st_size;
    while (rc == 0 && left > 0) {
        ssize_t w = sendfile(out, in, NULL, (size_t)left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = -1;
        else
            left -= w;
    }
    if (rc == 0 && fchmod(out, mode) != 0)
        rc = -1;
    int e = errno;
    close(in);
    if (out >= 0)
        close(out);
    if (rc == 0 && rename(tmp, dst) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not copy \"%s\"", src);
        return rds_detail(err, "to %s: %s", dst, strerror(e));
    }
    return 0;
}

int sv__read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len < n - 1) {
        ssize_t r = read(fd, buf + len, n - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    return (int)len;
}

void sv__log_tail(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char tmp[512];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof tmp - 1 ? size - (off_t)(sizeof tmp - 1) : 0;
    ssize_t r = pread(fd, tmp, sizeof tmp - 1, from);
    close(fd);
    if (r <= 0)
        return;
    tmp[r] = '\0';
    while (r > 0 && (tmp[r - 1] == '\n' || tmp[r - 1] == ' '))
        tmp[--r] = '\0';
    /* keep the last n-1 bytes, newlines flattened */
    const char *start = tmp;
    if ((size_t)r > n - 1)
        start = tmp + r - (n - 1);
    size_t j = 0;
    for (const char *p = start; *p && j + 3 < n; p++) {
        if (*p == '\n') {
            buf[j++] = ' ';
            buf[j++] = '|';
            buf[j++] = ' ';
        } else {
            buf[j++] = *p;
        }
    }
    buf[j] = '\0';
}

int sv__quarantine_dest(sv_supervisor *sv, const char *root, const char *prefix, const char *name, char *src,
                        size_t src_n, char *to, size_t to_n, rds_error *err)
{
    char qdir[SV_PATH], stamp[32];
    if (sv__path(src, src_n, err, "%s/%s", root, name) != 0 ||
        sv__path(qdir, sizeof qdir, err, "%s/quarantine", sv->state_dir) != 0 ||
        sv__mkdir_owned(qdir, 0700, (uid_t)-1, 0, err) != 0)
        return -1;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    struct stat sb;
    for (int i = 0;; i++) {
        int rc = i ? sv__path(to, to_n, err, "%s/%s%s-%s-%d", qdir, prefix, name, stamp, i)
                   : sv__path(to, to_n, err, "%s/%s%s-%s", qdir, prefix, name, stamp);
        if (rc != 0)
            return -1;
        if (lstat(to, &sb) != 0)
            return 0;
    }
}
