/* sv_params.c: the supervisor's side of DB parameter groups.
 *
 * - The conf fragment `params`: the group's postgresql.conf lines (spec.param_conf, made
 *   and validated by the engine) appended after the base settings, so they win. The
 *   supervisor checks every line again (defence in depth: a value can never leave its
 *   line) and keeps the settings it owns out of a tenant's reach: a line of the wrong
 *   shape or naming one of them is dropped with a warning, never written.
 *   shared_preload_libraries is merged: the guard module stays first, the group's
 *   libraries follow it.
 * - sv_engine_settings: the real server's pg_settings, read with `postgres --single` on a
 *   scratch copy of the template (the engine caches the answer in its store). */
#include "sv_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_owned(const char *name, size_t n);

/* Settings rdslocal itself manages: paths, sockets, logging layout (the log files API
 * reads it), TLS files, WAL archiving and replication. */
static const char *const owned[] = {
    "archive_", "cluster_name", "config_file", "data_directory", "dynamic_library_path",
    "dynamic_shared_memory_type", "external_pid_file", "hba_file", "ident_file", "include", "include_",
    "jit_provider", "listen_addresses", "local_preload_libraries", "log_destination", "log_directory",
    "log_file_mode", "log_filename", "log_line_prefix", "log_rotation_", "log_truncate_on_rotation",
    "logging_collector", "max_wal_senders", "port", "primary_", "promote_trigger_file", "recovery_",
    "restore_command", "session_preload_libraries", "ssl", "ssl_", "synchronous_standby_names", "unix_socket_",
    "wal_level", NULL,
};

bool sv_setting_reserved(const char *name)
{
    /* the guard module's own settings (storage-full of fault injection) are rdslocal's too */
    return is_owned(name, strlen(name)) || strncmp(name, "rdslocal_guard.", 15) == 0;
}

static bool is_owned(const char *name, size_t n)
{
    for (size_t i = 0; owned[i]; i++) {
        size_t k = strlen(owned[i]);
        bool prefix = owned[i][k - 1] == '_';
        if (prefix ? (n >= k && strncmp(name, owned[i], k) == 0) : (n == k && strncmp(name, owned[i], k) == 0))
            return true;
    }
    return false;
}

/* `name = '<value>'`: name [a-z_][a-z0-9_.]*, the value single-quoted with '' and \\ as its
 * only escapes, nothing after the closing quote. Returns the name's length (0: bad line);
 * *val / *val_n: the quoted value's inside. */
static size_t check_line(const char *line, size_t len, const char **val, size_t *val_n)
{
    size_t i = 0;
    if (len == 0 || !(islower((unsigned char)line[0]) || line[0] == '_'))
        return 0;
    while (i < len && (islower((unsigned char)line[i]) || isdigit((unsigned char)line[i]) || line[i] == '_' ||
                       line[i] == '.'))
        i++;
    size_t name_n = i;
    if (len - i < 5 || strncmp(line + i, " = '", 4) != 0)
        return 0;
    i += 4;
    size_t start = i;
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch < 0x20 || ch == 0x7f)
            return 0;
        if (ch == '\\' && i + 1 < len && line[i + 1] == '\\') {
            i++;
            continue;
        }
        if (ch == '\\')
            return 0;
        if (ch == '\'') {
            if (i + 1 < len && line[i + 1] == '\'') {
                i++;
                continue;
            }
            break;
        }
    }
    if (i != len - 1 || line[i] != '\'')
        return 0;
    *val = line + start;
    *val_n = i - start;
    return name_n;
}

int sv__conf_params(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    (void)err;
    const char *p = in->param_conf;
    if (!*p)
        return 0;
    strbuf_puts(out, "# the instance's DB parameter group\n");
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *val;
        size_t val_n, name_n = check_line(p, len, &val, &val_n);
        if (name_n == 24 && strncmp(p, "shared_preload_libraries", 24) == 0) {
            strbuf_printf(out, "shared_preload_libraries = '%s%s%.*s'\n", sv->guard_lib, val_n ? "," : "",
                          (int)val_n, val);
        } else if (name_n == 0 || is_owned(p, name_n) || memchr(p, '.', name_n)) {
            log_at(LOG_WARN, "supervisor", "instance \"%s\": parameter line refused: %.*s", in->key,
                   (int)(len > 80 ? 80 : len), p);
        } else {
            strbuf_printf(out, "%.*s\n", (int)len, p);
        }
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

void sv__params_apply_spec(sv_inst *in, const sv_instance_spec *spec)
{
    const char *c = spec->param_conf ? spec->param_conf : "";
    if (strlen(c) >= sizeof in->param_conf) {
        log_at(LOG_WARN, "supervisor", "instance \"%s\": parameter group settings too long, ignored", spec->key);
        c = "";
    }
    snprintf(in->param_conf, sizeof in->param_conf, "%s", c);
}

/* ---- the engine defaults: pg_settings of a real server ---- */

static const char SETTINGS_SQL[] =
    "COPY (SELECT name, context, category, upper(vartype), coalesce(boot_val, ''), coalesce(min_val, ''),"
    " coalesce(max_val, ''), coalesce(short_desc, ''), coalesce(extra_desc, ''),"
    " coalesce(array_to_string(enumvals, ','), '') FROM pg_settings WHERE context <> 'internal'"
    " ORDER BY name) TO '%s'\n";

static int settings_fail(rds_error *err, const char *what, const char *detail)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read the PostgreSQL settings");
    return rds_detail(err, "%s: %s", what, detail);
}

static int describe_config(sv_supervisor *sv, sv_major *m, char **out, rds_error *err)
{
    char exe[SV_PATH];
    if (sv__path(exe, sizeof exe, err, "%s/postgres", m->v.bin_dir))
        return -1;
    char *argv[] = { exe, "--describe-config", NULL };
    size_t cap = 512 * 1024;
    char *buf = malloc(cap);
    if (!buf)
        return settings_fail(err, "malloc", "out of memory");
    if (sv__capture(sv, argv, buf, cap, err) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* Scratch dirs of earlier processes that died while reading (their pid is gone). */
static void remove_stale_scratch(sv_supervisor *sv)
{
    DIR *d = opendir(sv->state_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int pid;
        if (sscanf(e->d_name, ".settings-%d-", &pid) != 1 || pid == (int)getpid() || sv__pid_alive(pid))
            continue;
        char p[SV_PATH + 300];
        snprintf(p, sizeof p, "%s/%s", sv->state_dir, e->d_name);
        if (strstr(e->d_name, ".sql") || strstr(e->d_name, ".log"))
            unlink(p);
        else
            sv__remove_tree(p, NULL);
    }
    if (d)
        closedir(d);
}

int sv_engine_settings(sv_supervisor *sv, const char *major, char **out, rds_error *err)
{
    *out = NULL;
    sv_major *m = sv__major(sv, major);
    if (!m)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "PostgreSQL %s is not installed", major);
    if (!sv->guard_major[0])
        return describe_config(sv, m, out, err);
    if (sv__template_ensure(sv, m, err))
        return -1;
    remove_stale_scratch(sv);
    static atomic_int seq;
    char dst[SV_PATH], sqlp[SV_PATH], logp[SV_PATH], tsv[SV_PATH], postgres[SV_PATH];
    int n = atomic_fetch_add(&seq, 1);
    if (sv__path(dst, sizeof dst, err, "%s/.settings-%d-%d", sv->state_dir, (int)getpid(), n) ||
        sv__path(sqlp, sizeof sqlp, err, "%s.sql", dst) || sv__path(logp, sizeof logp, err, "%s.log", dst) ||
        sv__path(tsv, sizeof tsv, err, "%s/settings.tsv", dst) ||
        sv__path(postgres, sizeof postgres, err, "%s/postgres", m->v.bin_dir))
        return -1;
    int64_t t0 = sv__mono_ms();
    int rc = -1, fd = -1, status;
    char *buf = NULL;
    if (sv__take_data_dir(sv, m, dst, err))
        goto done;
    char sql[SV_PATH + sizeof SETTINGS_SQL];
    snprintf(sql, sizeof sql, SETTINGS_SQL, tsv);
    if (sv__write_file(sqlp, sql, 0644, (uid_t)-1, 0, err))
        goto done;
    fd = open(sqlp, O_RDONLY | O_CLOEXEC);
    char *argv[] = { postgres, "--single", "-D", dst, "-c", "log_min_messages=warning", "postgres", NULL };
    if (fd < 0 || sv__run(sv, argv, logp, fd, &status, err))
        goto done;
    size_t cap = 512 * 1024;
    buf = malloc(cap);
    int len = buf ? sv__read_file(tsv, buf, cap) : -1;
    if (len <= 0) {
        char tail[200];
        sv__log_tail(logp, tail, sizeof tail);
        settings_fail(err, "postgres --single", tail);
        goto done;
    }
    *out = buf;
    buf = NULL;
    rc = 0;
    log_at(LOG_INFO, "supervisor", "read PostgreSQL %s settings ms=%lld", m->v.version,
           (long long)(sv__mono_ms() - t0));
done:
    if (fd >= 0)
        close(fd);
    free(buf);
    sv__remove_tree(dst, NULL);
    unlink(sqlp);
    unlink(logp);
    return rc;
}
