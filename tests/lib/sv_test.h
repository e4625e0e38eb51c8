/* sv_test.h: the harness the supervisor e2e tests (tests/e2e/test_supervisor*.c) share: a
 * fresh state dir per case (mode 0755 so the postgres user can traverse it when the test
 * runs as root) in g_state, the template cache in g_tmpl, ports from a range, an
 * sv_supervisor on them, an instance spec, libpq connections and one-value queries, and the
 * end-of-case check that no process is left working in the state dir (those left are
 * killed, and the case fails). Include after check.h. */
#ifndef RDSLOCAL_SV_TEST_H
#define RDSLOCAL_SV_TEST_H

#include "rdslocal/supervisor.h"

#include <dirent.h>
#include <postgresql/libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_state[256];
static char g_tmpl[256];

/* The next free port of lo..hi, round robin from *cursor (0: none free). */
static inline int sv_test_next_port(int *cursor, int lo, int hi)
{
    if (*cursor < lo || *cursor > hi)
        *cursor = lo;
    for (int i = 0; i <= hi - lo; i++) {
        int port = *cursor;
        *cursor = *cursor >= hi ? lo : *cursor + 1;
        if (sv_port_free(port))
            return port;
    }
    return 0;
}

static inline sv_supervisor *sv_test_open(int spare)
{
    sv_config cfg = { .state_dir = g_state, .template_dir = g_tmpl, .spare_pool = spare };
    sv_supervisor *sv = NULL;
    rds_error err = { 0 };
    if (sv_open(&sv, &cfg, &err) != 0)
        fprintf(stderr, "sv_open: %s (%s)\n", err.message, err.detail);
    return sv;
}

/* A small PostgreSQL 15 instance with database appdb. */
static inline sv_instance_spec sv_test_spec(const char *key, int port, const char *master, const char *pw)
{
    sv_instance_spec s = { .key = key, .major = "15", .port = port, .master_username = master,
                           .master_password = pw, .db_name = "appdb", .max_connections = 20,
                           .shared_buffers_mb = 16 };
    return s;
}

/* A connection over TCP to 127.0.0.1:port, or NULL. */
static inline PGconn *sv_test_conn(int port, const char *user, const char *pw, const char *db)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    const char *kw[] = { "host", "port", "user", "password", "dbname", "connect_timeout", "sslmode", NULL };
    const char *val[] = { "127.0.0.1", p, user, pw, db, "5", "disable", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* First column of the first row ("" for a command), or NULL on error (static buffer). */
static inline const char *sv_test_q1(PGconn *c, const char *sql)
{
    static char buf[256];
    if (!c)
        return NULL;
    PGresult *r = PQexec(c, sql);
    const char *out = NULL;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
        snprintf(buf, sizeof buf, "%s", PQgetvalue(r, 0, 0));
        out = buf;
    } else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        out = "";
    } else {
        fprintf(stderr, "sql \"%s\": %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
    return out;
}

/* Processes (not zombies) whose cwd is under g_state or whose command line names it. */
static inline int sv_test_leftover_pids(int *out, int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    size_t sl = strlen(g_state);
    while (d && (e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char p[300], buf[4096];
        snprintf(p, sizeof p, "/proc/%s/cwd", e->d_name);
        ssize_t r = readlink(p, buf, sizeof buf - 1);
        bool hit = r > 0 && (buf[r] = '\0', strncmp(buf, g_state, sl) == 0);
        if (!hit) {
            snprintf(p, sizeof p, "/proc/%s/cmdline", e->d_name);
            FILE *f = fopen(p, "r");
            if (f) {
                size_t len = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                for (size_t i = 0; i < len; i++)
                    if (buf[i] == '\0')
                        buf[i] = ' ';
                buf[len] = '\0';
                hit = strstr(buf, g_state) != NULL;
            }
        }
        char st[512];
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(p, "r");
        if (hit && f && fgets(st, sizeof st, f)) {
            char *q = strrchr(st, ')');
            if (q && q[2] == 'Z')
                hit = false; /* zombie awaiting a lazy reaper */
        }
        if (f)
            fclose(f);
        if (hit)
            out[n++] = atoi(e->d_name);
    }
    if (d)
        closedir(d);
    return n;
}

/* A case's fresh state dir from template ("/tmp/svtest-XXXXXX"). */
static inline void sv_test_new_state(const char *template)
{
    snprintf(g_state, sizeof g_state, "%s", template);
    if (!mkdtemp(g_state) || chmod(g_state, 0755) != 0) {
        perror("mkdtemp");
        exit(2);
    }
}

/* A case's end: waits up to 2 s for processes in the state dir to finish (a stop may
 * still be finishing in a child's exit), kills and reports those left (the case fails),
 * removes the state dir. */
static inline void sv_test_end_state(void)
{
    int pids[64];
    int n = 0;
    for (int i = 0; i < 200 && (n = sv_test_leftover_pids(pids, 64)) > 0; i++)
        usleep(10000);
    if (n > 0) {
        fprintf(stderr, "leftover processes in %s:", g_state);
        for (int i = 0; i < n; i++) {
            fprintf(stderr, " %d", pids[i]);
            kill(pids[i], SIGKILL);
        }
        fprintf(stderr, "\n");
    }
    CHECK_INT(n, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_state);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_state);
}

/* A case's start (check.h runs it before each case): the template cache
 * /tmp/rdslocal-<name>-templates-<euid>, SIGPIPE ignored (libpq), a fresh state dir from
 * template. */
static inline void sv_test_case_start(const char *name, const char *template)
{
    snprintf(g_tmpl, sizeof g_tmpl, "/tmp/rdslocal-%s-templates-%d", name, (int)geteuid());
    signal(SIGPIPE, SIG_IGN);
    sv_test_new_state(template);
}

#endif
