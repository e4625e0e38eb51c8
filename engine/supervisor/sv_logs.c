/* sv_logs.c: the servers' log files, for DescribeDBLogFiles, DownloadDBLogFilePortion and
 * the retention rule. Postgres's logging collector writes
 * <state>/instances/<key>/log/error/postgresql.log.YYYY-MM-DD-HH (hourly, base conf in
 * sv_conf.c); this file lists, reads and removes them. Names are checked against that
 * pattern, so no request can reach another path. Reads need no instance lock: the files
 * are only appended to by postgres and removed here. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "postgresql.log."

bool sv_log_name_ok(const char *name)
{
    /* postgresql.log.YYYY-MM-DD-HH */
    static const char pat[] = "9999-99-99-99";
    size_t pl = strlen(LOG_PREFIX);
    if (!name || strncmp(name, LOG_PREFIX, pl) != 0 || strlen(name) != pl + sizeof pat - 1)
        return false;
    for (size_t i = 0; pat[i]; i++)
        if (pat[i] == '9' ? (name[pl + i] < '0' || name[pl + i] > '9') : name[pl + i] != pat[i])
            return false;
    return true;
}

static int log_dir(sv_supervisor *sv, const char *key, char *buf, size_t n, rds_error *err)
{
    if (!key || !key[0] || strchr(key, '/') || key[0] == '.')
        return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "instance \"%s\" not found", key ? key : "");
    return sv__path(buf, n, err, "%s/%s/log/error", sv->instances_dir, key);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const sv_log_file *)a)->name, ((const sv_log_file *)b)->name);
}

int sv_logs_list(sv_supervisor *sv, const char *key, sv_log_file **out, size_t *n_out, rds_error *err)
{
    *out = NULL;
    *n_out = 0;
    char dir[SV_PATH];
    if (log_dir(sv, key, dir, sizeof dir, err) != 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not list logs of \"%s\"", key);
    size_t n = 0, cap = 0;
    sv_log_file *v = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (!sv_log_name_ok(de->d_name) || fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            sv_log_file *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                closedir(d);
                return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
            }
            v = nv;
        }
        snprintf(v[n].name, sizeof v[n].name, "%.47s", de->d_name);
        v[n].size = (int64_t)st.st_size;
        v[n].mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_name);
    *out = v;
    *n_out = n;
    return 0;
}

int sv_logs_read(sv_supervisor *sv, const char *key, const char *name, int64_t offset, size_t max, char *buf,
                 size_t *n_read, int64_t *size, rds_error *err)
{
    *n_read = 0;
    char dir[SV_PATH], path[SV_PATH];
    if (!sv_log_name_ok(name))
        return rds_fail(err, RDS_E_DB_LOG_FILE_NOT_FOUND_FAULT, "DBLog File: %s, is not found on the DB instance", name);
    if (log_dir(sv, key, dir, sizeof dir, err) != 0 || sv__path(path, sizeof path, err, "%s/%s", dir, name) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rds_fail(err, RDS_E_DB_LOG_FILE_NOT_FOUND_FAULT, "DBLog File: %s, is not found on the DB instance", name);
    struct stat st;
    fstat(fd, &st);
    *size = (int64_t)st.st_size;
    size_t got = 0;
    while (got < max && offset + (int64_t)got < *size) {
        ssize_t k = pread(fd, buf + got, max - got, (off_t)(offset + (int64_t)got));
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    *n_read = got;
    return 0;
}

int sv_logs_remove(sv_supervisor *sv, const char *key, const char *name, rds_error *err)
{
    char dir[SV_PATH], path[SV_PATH];
    if (!sv_log_name_ok(name))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "bad log file name");
    if (log_dir(sv, key, dir, sizeof dir, err) != 0 || sv__path(path, sizeof path, err, "%s/%s", dir, name) != 0)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not remove log file %s", name);
    return 0;
}
