/* logs.c: DB log files. DescribeDBLogFiles and DownloadDBLogFilePortion over the real
 * servers' logs (the supervisor's sv_logs.c lists and reads them), and the retention rule
 * run by the worker tick: a file last written more than rds.log_retention_period minutes
 * (default 4320, three days) ago by rdslocal's clock is removed; the newest file, the one
 * postgres writes, never is.
 *
 * Names as RDS shows them: "error/postgresql.log.YYYY-MM-DD-HH" (the hour is postgres's,
 * real UTC). LastWritten is the file's modification time as rdslocal's clock showed it (model_of): an
 * advance of rdslocal's clock ages every file by that much, which the retention rule
 * acts on.
 *
 * DownloadDBLogFilePortion, as AWS documents it: without Marker, the last NumberOfLines
 * lines (default 10000); with Marker "0" (or a Marker returned earlier, "0:<byte offset>"),
 * NumberOfLines lines (default 10000) from there; never more than 1 MB per call (cut at a
 * line end when there is one); AdditionalDataPending while the file goes on past the
 * returned Marker. */
#include "engine_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_DIR_PREFIX "error/"
#define PAGE_LIMIT (1024 * 1024)
#define DEFAULT_LINES 10000
#define DEFAULT_RETENTION_MIN 4320
#define PRUNE_EVERY_MS 60000

/* A real instant as rdslocal's clock showed it then (pitr's clock map: every advance is
 * recorded), so a file written after an advance is not aged by it, and an advance ages
 * every file written before it by that much (which is what the retention rule needs). */
static int64_t model_of(engine *e, store *s, int64_t real_ms) { return engine__clock_model_of(e, s, real_ms); }

static int load_instance(engine_req *r, store *s, const char *id, db_instance **d, rds_error *err)
{
    if (store_instance_get(s, r->a, r->region, id ? rds_lower(arena_strdup(r->a, id)) : "", d, err))
        return -1;
    if (!*d || strcmp((*d)->status, "deleted") == 0)
        return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id ? id : "");
    if (r->e->cfg.no_engine || !r->e->sv)
        return 0;
    if (strcmp((*d)->status, "creating") == 0)
        return rds_fail(err, RDS_E_DB_INSTANCE_NOT_READY, "DB instance %s is not ready.", id);
    return 0;
}

int engine_describe_log_files(engine_req *r, const describe_log_files_in *in, log_file_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err)
{
    *out = NULL;
    *n_out = 0;
    *next_marker = NULL;
    store *s = engine__store(r->e, err);
    db_instance *d;
    if (!s || load_instance(r, s, in->instance_id, &d, err))
        return -1;
    if (r->e->cfg.no_engine || !r->e->sv)
        return 0;
    sv_log_file *files;
    size_t n;
    if (sv_logs_list(r->e->sv, d->resource_id, &files, &n, err))
        return -1;
    size_t start = 0;
    if (in->marker && in->marker[0]) {
        char *end;
        unsigned long long v = strtoull(in->marker, &end, 10);
        if (*end) {
            free(files);
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "The parameter Marker is not valid.");
        }
        start = (size_t)v;
    }
    log_file_view *v = arena_alloc(r->a, (n ? n : 1) * sizeof *v);
    size_t k = 0, matched = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = arena_printf(r->a, LOG_DIR_PREFIX "%s", files[i].name);
        int64_t written = model_of(r->e, s, files[i].mtime_ms);
        if (in->filename_contains && !strstr(name, in->filename_contains))
            continue;
        if (in->file_last_written.set && written < in->file_last_written.v)
            continue;
        if (in->file_size.set && files[i].size <= in->file_size.v) /* "larger than" */
            continue;
        if (matched++ < start)
            continue;
        if ((int)k == in->max_records) {
            *next_marker = arena_printf(r->a, "%zu", start + k);
            break;
        }
        v[k++] = (log_file_view){ .name = name, .last_written_ms = written, .size = files[i].size };
    }
    free(files);
    *out = v;
    *n_out = k;
    return 0;
}

/* Marker "0" or "<n>:<byte offset>" (what this returns: "0:<offset>"). */
static int parse_marker(const char *m, int64_t *off, rds_error *err)
{
    char *end;
    if (strcmp(m, "0") == 0) {
        *off = 0;
        return 0;
    }
    const char *colon = strchr(m, ':');
    if (colon) {
        strtoll(m, &end, 10);
        if (end == colon) {
            long long v = strtoll(colon + 1, &end, 10);
            if (!*end && end != colon + 1 && v >= 0) {
                *off = v;
                return 0;
            }
        }
    }
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "The parameter Marker is not valid: %s", m);
}

int engine_download_log_portion(engine_req *r, const char *instance_id, const char *file, const char *marker,
                                opt_int number_of_lines, log_portion *out, rds_error *err)
{
    memset(out, 0, sizeof *out);
    store *s = engine__store(r->e, err);
    db_instance *d;
    if (!s || load_instance(r, s, instance_id, &d, err))
        return -1;
    if (number_of_lines.set && number_of_lines.v < 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "NumberOfLines must be a non-negative number.");
    int64_t lines = number_of_lines.set && number_of_lines.v > 0 ? number_of_lines.v : DEFAULT_LINES;
    size_t pl = strlen(LOG_DIR_PREFIX);
    if (!file || strncmp(file, LOG_DIR_PREFIX, pl) != 0 || !sv_log_name_ok(file + pl) || r->e->cfg.no_engine ||
        !r->e->sv)
        return rds_fail(err, RDS_E_DB_LOG_FILE_NOT_FOUND_FAULT, "DBLog File: %s, is not found on the DB instance",
                        file ? file : "");
    int64_t off = -1;
    if (marker && parse_marker(marker, &off, err))
        return -1;
    char *buf = arena_alloc(r->a, PAGE_LIMIT + 1);
    size_t got;
    int64_t size;
    /* the tail: read the last MB and keep its last `lines` lines */
    int64_t from = off >= 0 ? off : 0;
    if (sv_logs_read(r->e->sv, d->resource_id, file + pl, from, PAGE_LIMIT, buf, &got, &size, err)) {
        if (err->code == RDS_E_DB_LOG_FILE_NOT_FOUND_FAULT)
            rds_fail(err, RDS_E_DB_LOG_FILE_NOT_FOUND_FAULT, "DBLog File: %s, is not found on the DB instance", file);
        return -1;
    }
    if (off < 0 && size > PAGE_LIMIT) {
        from = size - PAGE_LIMIT;
        if (sv_logs_read(r->e->sv, d->resource_id, file + pl, from, PAGE_LIMIT, buf, &got, &size, err))
            return -1;
    }
    const char *p = buf;
    size_t len = got;
    if (off < 0) {
        /* the last `lines` lines of what was read (a final line without '\n' counts) */
        size_t i = len;
        int64_t seen = 0;
        if (i > 0 && buf[i - 1] == '\n')
            i--;
        while (i > 0) {
            if (buf[i - 1] == '\n' && ++seen == lines)
                break;
            i--;
        }
        p = buf + i;
        len = got - i;
        out->marker = arena_printf(r->a, "0:%" PRId64, from + (int64_t)got);
        out->more = false;
    } else {
        /* `lines` lines from the marker, within 1 MB (cut at a line end when there is one) */
        size_t i = 0;
        int64_t seen = 0;
        while (i < len && seen < lines)
            if (buf[i++] == '\n')
                seen++;
        if (seen < lines && len == PAGE_LIMIT) {
            size_t j = i;
            while (j > 0 && buf[j - 1] != '\n')
                j--;
            if (j > 0)
                i = j;
        }
        len = i;
        out->marker = arena_printf(r->a, "0:%" PRId64, off + (int64_t)len);
        out->more = off + (int64_t)len < size;
    }
    buf[(p - buf) + len] = '\0';
    out->data = len ? p : NULL;
    out->len = len;
    return 0;
}

/* Worker tick: removes log files older than the instance's retention (minutes). At most
 * once a minute of real time, and after every clock advance. */
void engine__logs_tick(engine *e, store *s, arena *a)
{
    /* the worker and the admin clock call may tick at once: a double prune is harmless */
    static _Atomic int64_t last_real_ms, last_offset_ms = -1;
    int64_t real = rds_real_now_ms(), offset = rds_clock_offset_ms();
    if (e->cfg.no_engine || !e->sv || (real - last_real_ms < PRUNE_EVERY_MS && offset == last_offset_ms))
        return;
    last_real_ms = real;
    last_offset_ms = offset;
    rds_error err;
    rds_error_clear(&err);
    db_instance **all;
    size_t n;
    if (store_instance_all(s, a, &all, &n, &err))
        return;
    int64_t now = rds_now_ms();
    for (size_t i = 0; i < n; i++) {
        const db_instance *d = all[i];
        if (!d->resource_id || strcmp(d->status, "deleted") == 0)
            continue;
        const char *v = engine__instance_param(e, s, a, d, "rds.log_retention_period");
        int64_t minutes = v ? strtoll(v, NULL, 10) : DEFAULT_RETENTION_MIN;
        if (minutes <= 0)
            minutes = DEFAULT_RETENTION_MIN;
        sv_log_file *files;
        size_t nf;
        if (sv_logs_list(e->sv, d->resource_id, &files, &nf, &err)) {
            rds_error_clear(&err);
            continue;
        }
        /* sorted by name = by hour: the last one is the file postgres writes now */
        for (size_t k = 0; k + 1 < nf; k++) {
            if (now - model_of(e, s, files[k].mtime_ms) <= minutes * 60000)
                continue;
            if (sv_logs_remove(e->sv, d->resource_id, files[k].name, &err) == 0)
                log_at(LOG_INFO, "engine", "log file %s of %s removed after %lld minutes of retention",
                       files[k].name, d->id, (long long)minutes);
            rds_error_clear(&err);
        }
        free(files);
    }
}
