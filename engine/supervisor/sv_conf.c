/* sv_conf.c: the two server files rdslocal owns in every instance's data dir,
 * rdslocal.conf (included at the end of postgresql.conf) and pg_hba.conf. Each is a base
 * written here plus the fragments of the features listed in conf_fragments.def (TLS,
 * parameter groups, WAL archiving, standbys, ...), so a feature keeps its settings in its
 * own file. Both are rewritten before every start and by sv_instance_reconfigure, which
 * then reloads the server and waits until the postmaster has read them. */
#include "sv_internal.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As on RDS: everyone needs a password over TCP; the internal superuser rdsadmin only
 * logs in over the private unix socket, and it alone may open replication connections
 * there (snapshots, standbys): no tenant role can. The template is built with the same
 * lines (sv_template.c). */
const char sv__hba_admin_lines[] =
    "local   all   " SV_ADMIN_USER "   trust\n"
    "local   replication   " SV_ADMIN_USER "   trust\n";
const char sv__hba_tcp_lines[] =
    "host    all   all   127.0.0.1/32   scram-sha-256\n"
    "host    all   all   ::1/128        scram-sha-256\n";
/* rds.force_ssl=1: the same lines for SSL connections only, so a client without SSL gets
 * PostgreSQL's own "no pg_hba.conf entry for host ..., SSL off", as on RDS. */
static const char hba_tcp_ssl_lines[] =
    "hostssl all   all   127.0.0.1/32   scram-sha-256\n"
    "hostssl all   all   ::1/128        scram-sha-256\n";

static uid_t own_uid(const sv_supervisor *sv) { return sv->as_root ? sv->pg_uid : (uid_t)-1; }

static int base_conf(const sv_supervisor *sv, const sv_inst *in, strbuf *out)
{
    int mc = in->max_connections > 0 ? in->max_connections : 20;
    if (mc < 5)
        mc = 5;
    /* PG15 refuses to start unless superuser_reserved_connections (3) + max_wal_senders < max_connections */
    int senders = mc >= 14 ? 10 : mc - 4;
    int sb = in->shared_buffers_mb > 0 ? in->shared_buffers_mb : 16;
    strbuf_printf(out,
        "# written by rdslocal before every start; edits are lost\n"
        "port = %d\n"
        "listen_addresses = '127.0.0.1'\n"
        "unix_socket_directories = '%s'\n"
        "unix_socket_permissions = 0700\n"
        "max_connections = %d\n"
        "max_wal_senders = %d\n"
        "shared_buffers = %dMB\n"
        "dynamic_shared_memory_type = posix\n"
        "huge_pages = off\n"
        "password_encryption = 'scram-sha-256'\n"
        "cluster_name = '%s'\n"
        "logging_collector = on\n"
        "log_destination = 'stderr'\n"
        "log_directory = '%s/log/error'\n"
        "log_filename = 'postgresql.log.%%Y-%%m-%%d-%%H'\n"
        "log_rotation_age = 60\n"
        "log_rotation_size = 0\n"
        "log_truncate_on_rotation = off\n"
        "log_timezone = 'UTC'\n"
        "log_line_prefix = '%%t:%%r:%%u@%%d:[%%p]:'\n"
        "shared_preload_libraries = '%s'\n"
        /* Keep 16 MiB of WAL for a replica that reconnects (sv_replica.c uses no slot).
         * archive_mode is always on (sv_wal.c), and with it postgres switches to a new
         * segment at shutdown, so the shutdown checkpoint's redo lies in a later segment
         * and, with 1 MiB segments (sv_template.c) and no retention, the checkpoint
         * removes the segment a replica stopped just before still needs: after a restart
         * the replica asks for a removed segment forever. A feature may raise it later
         * in the file (Multi-AZ: 64MB; a parameter group). */
        "wal_keep_size = 16MB\n",
        in->port, in->sock, mc, senders, sb, in->key, in->dir, sv->guard_lib);
    return 0;
}

static int conf_text(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    if (base_conf(sv, in, out) != 0)
        return -1;
#define SV_CONF_FRAGMENT(name) \
    if (sv__conf_##name(sv, in, out, err) != 0) \
        return -1;
#define SV_HBA_FRAGMENT(name)
#include "conf_fragments.def"
#undef SV_CONF_FRAGMENT
#undef SV_HBA_FRAGMENT
    (void)err;
    return 0;
}

static int hba_text(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    strbuf_puts(out, "# pg_hba.conf written by rdslocal before every start; edits are lost\n");
    strbuf_puts(out, sv__hba_admin_lines);
#define SV_CONF_FRAGMENT(name)
#define SV_HBA_FRAGMENT(name) \
    if (sv__hba_##name(sv, in, out, err) != 0) \
        return -1;
#include "conf_fragments.def"
#undef SV_CONF_FRAGMENT
#undef SV_HBA_FRAGMENT
    (void)sv;
    (void)err;
    strbuf_puts(out, in->force_ssl ? hba_tcp_ssl_lines : sv__hba_tcp_lines);
    return 0;
}

static int write_text(const sv_supervisor *sv, const sv_inst *in, const char *name,
                      int (*text)(const sv_supervisor *, const sv_inst *, strbuf *, rds_error *), rds_error *err)
{
    char path[SV_PATH];
    if (sv__path(path, sizeof path, err, "%s/%s", in->data, name) != 0)
        return -1;
    strbuf b;
    strbuf_init(&b);
    int rc = text(sv, in, &b, err);
    if (rc == 0)
        rc = sv__write_file(path, b.data ? b.data : "", 0600, own_uid(sv), sv->pg_gid, err);
    strbuf_free(&b);
    return rc;
}

int sv__write_conf(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    if (write_text(sv, in, "rdslocal.conf", conf_text, err) != 0)
        return -1;
    return write_text(sv, in, "pg_hba.conf", hba_text, err);
}

void sv__conf_load_time(const sv_inst *in, char *buf, size_t n)
{
    buf[0] = '\0';
    rds_error e = { 0 };
    PGconn *c = sv__admin_conn(in, false, &e);
    if (!c)
        return;
    PGresult *res = PQexec(c, "SELECT pg_conf_load_time()::text");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        snprintf(buf, n, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(c);
}

/* Rewrites in's files from its record and, if it runs, reloads it and waits until the
 * postmaster has read them. Caller holds in busy. */
static int rewrite_and_reload(sv_supervisor *sv, sv_inst *in, rds_error *err)
{
    bool running = in->pid > 0 && in->state == IS_RUNNING && sv__pid_alive(in->pid);
    char before[64];
    if (running)
        sv__conf_load_time(in, before, sizeof before);
    if (sv__write_conf(sv, in, err) != 0)
        return -1;
    if (!running)
        return 0;
    if (kill(in->pid, SIGHUP) != 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not signal postgres of instance \"%s\"", in->key);
    /* The postmaster reloads asynchronously; a connection made after its load time moved
     * sees the new settings (backends already connected pick them up at their next
     * command). */
    for (int64_t deadline = sv__mono_ms() + 5000;;) {
        char now[64];
        sv__conf_load_time(in, now, sizeof now);
        if (now[0] && strcmp(now, before) != 0)
            return 0;
        if (sv__mono_ms() > deadline)
            return rds_fail(err, RDS_E_INTERNAL_FAILURE, "postgres of instance \"%s\" did not reload its settings",
                            in->key);
        sv__sleep_ms(5);
    }
}

int sv_instance_reconfigure(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err)
{
    if (sv__validate_spec(sv, spec, err) != 0)
        return -1;
    sv_inst *in = sv__get_inst(sv, spec->key, err);
    if (!in)
        return -1;
    int rc;
    if (spec->port != in->port) {
        rc = rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                      "a port change needs a restart (instance \"%s\")", spec->key);
    } else {
        sv__apply_spec(in, spec);
        rc = rewrite_and_reload(sv, in, err);
    }
    sv__release_locked(sv, in);
    return rc;
}

int sv_instance_set_archive_wal(sv_supervisor *sv, const char *key, bool on, rds_error *err)
{
    sv_inst *in = sv__get_inst(sv, key, err);
    if (!in)
        return -1;
    in->archive_wal = on;
    int rc = rewrite_and_reload(sv, in, err);
    sv__release_locked(sv, in);
    return rc;
}
