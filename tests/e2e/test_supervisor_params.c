/* test_supervisor_params.c: e2e tests of the supervisor's side of parameter groups
 * (sv_params.c) on real PostgreSQL 15: the conf fragment `params` applies the spec's lines
 * at start and on reconfigure (reload), drops lines naming the settings rdslocal owns or of
 * the wrong shape (a second line of defence behind the engine's validation), keeps the
 * guard module first in shared_preload_libraries; and sv_engine_settings reads the real
 * pg_settings, leaving nothing behind. */
#include "check.h"
#include "sv_test.h"

#include <dirent.h>

static const char *MASTER = "master";
static const char *PW = "params-pw-1";

static int next_port(void)
{
    static int p = 15700; /* a range of its own: the supervisor tests run in parallel */
    return sv_test_next_port(&p, 15700, 15799);
}

static const char *show(int port, const char *setting, char *out, size_t n)
{
    PGconn *c = sv_test_conn(port, MASTER, PW, "appdb");
    char sql[128];
    snprintf(sql, sizeof sql, "show %s", setting);
    const char *r = sv_test_q1(c, sql);
    snprintf(out, n, "%s", r ? r : "(error)");
    PQfinish(c);
    return out;
}

static void cleanup(void)
{
    sv_test_end_state();
}

static void test_sv_params__conf_lines_applied_and_filtered(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    rds_error err = { 0 };
    int port = next_port();
    sv_instance_spec spec = sv_test_spec("db-params", port, MASTER, PW);
    spec.param_conf = "work_mem = '8MB'\n"
                      "port = '1'\n"                           /* owned: dropped */
                      "listen_addresses = '*'\n"               /* owned: dropped */
                      "log_directory = '/tmp'\n"               /* owned: dropped */
                      "ssl_key_file = '/etc/shadow'\n"         /* owned: dropped */
                      "archive_command = '/bin/sh -c evil'\n"  /* owned: dropped */
                      "statement_timeout = '5s' # trailing\n"  /* wrong shape: dropped */
                      "lock_timeout = 'a\\b'\n"                /* lone backslash: dropped */
                      "custom.thing = '1'\n"                   /* not a core setting: dropped */
                      "syslog_ident = 'it''s \\\\ # fine'\n"
                      "shared_preload_libraries = 'pg_stat_statements'\n";
    CHECK_INT(sv_instance_create(sv, &spec, &err), 0);
    char buf[256];
    CHECK_STR(show(port, "work_mem", buf, sizeof buf), "8MB");
    CHECK_STR(show(port, "listen_addresses", buf, sizeof buf), "127.0.0.1");
    CHECK_STR(show(port, "statement_timeout", buf, sizeof buf), "0");
    CHECK_STR(show(port, "syslog_ident", buf, sizeof buf), "it's \\ # fine");
    show(port, "shared_preload_libraries", buf, sizeof buf);
    CHECK(strstr(buf, "rdslocal_guard") == buf || strstr(buf, "/rdslocal_guard") != NULL);
    CHECK(strstr(buf, "rdslocal_guard") < strstr(buf, "pg_stat_statements"));
    /* a dynamic change reaches the running server with a reload */
    spec.param_conf = "work_mem = '16MB'\n";
    CHECK_INT(sv_instance_reconfigure(sv, &spec, &err), 0);
    CHECK_STR(show(port, "work_mem", buf, sizeof buf), "16MB");
    /* too long for the instance: ignored whole, never cut mid-line */
    static char big[SV_PARAM_CONF_MAX + 64];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "work_mem = '32MB'\n", 18);
    spec.param_conf = big;
    CHECK_INT(sv_instance_reconfigure(sv, &spec, &err), 0);
    CHECK_STR(show(port, "work_mem", buf, sizeof buf), "4MB");
    CHECK_INT(sv_instance_delete(sv, "db-params", &err), 0);
    sv_close(sv);
}

static void test_sv_params__engine_settings_from_pg_settings(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    rds_error err = { 0 };
    /* what a process killed while reading left behind (its pid is gone) */
    char stale[400];
    snprintf(stale, sizeof stale, "%s/.settings-3999999-0", g_state);
    CHECK_INT(mkdir(stale, 0700), 0);
    snprintf(stale, sizeof stale, "%s/.settings-3999999-0.sql", g_state);
    FILE *f = fopen(stale, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    char *text = NULL;
    CHECK_INT(sv_engine_settings(sv, "15", &text, &err), 0);
    CHECK(text && strstr(text, "\nlog_statement\tsuperuser\t") && strstr(text, "\tnone,ddl,mod,all\n"));
    CHECK(text && strstr(text, "\nshared_buffers\tpostmaster\t"));
    CHECK(text && !strstr(text, "\nblock_size\t")); /* internal settings are left out */
    free(text);
    CHECK_ERR(sv_engine_settings(sv, "9", &text, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    /* the scratch data dir is gone, and so are the stale ones */
    DIR *d = opendir(g_state);
    struct dirent *e;
    int scratch = 0;
    while (d && (e = readdir(d)) != NULL)
        scratch += strncmp(e->d_name, ".settings-", 10) == 0;
    if (d)
        closedir(d);
    CHECK_INT(scratch, 0);
    CHECK(sv_setting_reserved("port") && sv_setting_reserved("unix_socket_directories") &&
          sv_setting_reserved("ssl_cert_file") && sv_setting_reserved("archive_mode"));
    CHECK(!sv_setting_reserved("work_mem") && !sv_setting_reserved("portal") && !sv_setting_reserved("log_statement"));
    sv_close(sv);
}

static const check_case cases[] = {
    TEST(test_sv_params__conf_lines_applied_and_filtered),
    TEST(test_sv_params__engine_settings_from_pg_settings),
};

static void suite_setup(void)
{
    sv_test_case_start("svparams", "/tmp/svparams-XXXXXX");
}

CHECK_MAIN(cases, suite_setup, cleanup)
