/* sv_main.c: supervisor lifetime (sv_open, sv_close), the installed versions and the
 * port probe. sv_open only prepares directories, checks the pg user's access and
 * finds the installed majors (one `postgres --version` each); initdb and the spare
 * pool are left to the background thread (sv_template.c). sv_close stops every
 * instance in parallel. */
#include "sv_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int setup_dirs(sv_supervisor *sv, const sv_config *cfg, rds_error *err)
{
    char real[SV_PATH];
    if (sv__mkdirs(cfg->state_dir, 0755, (uid_t)-1, 0, err) != 0 ||
        sv__mkdirs(cfg->template_dir, 0755, (uid_t)-1, 0, err) != 0)
        return -1;
    errno = 0;
    if (!realpath(cfg->state_dir, real) || strlen(real) > 400) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "invalid state directory \"%s\"", cfg->state_dir);
        return rds_detail(err, "%s", errno ? strerror(errno) : "longer than 400 bytes");
    }
    snprintf(sv->state_dir, sizeof sv->state_dir, "%s", real);
    /* The state dir holds the model and every instance's data. Its owner alone, except
     * that as root the postgres user must traverse it to reach instances/<key>/ (its own,
     * 0700) and lib/: 0710 with that user's group. The group changes first, so the
     * directory is never open to another group. */
    if (sv->as_root && chown(sv->state_dir, (uid_t)-1, sv->pg_gid) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not set the group of state directory \"%s\"", sv->state_dir);
        return rds_detail(err, "chown: %s", strerror(errno));
    }
    if (chmod(sv->state_dir, sv->as_root ? 0710 : 0700) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not set the mode of state directory \"%s\"", sv->state_dir);
        return rds_detail(err, "chmod: %s", strerror(errno));
    }
    errno = 0;
    if (!realpath(cfg->template_dir, real) || strlen(real) > 400) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "invalid template directory \"%s\"", cfg->template_dir);
        return rds_detail(err, "%s", errno ? strerror(errno) : "longer than 400 bytes");
    }
    snprintf(sv->template_dir, sizeof sv->template_dir, "%s", real);
    if (sv__path(sv->instances_dir, sizeof sv->instances_dir, err, "%s/instances", sv->state_dir) != 0 ||
        sv__path(sv->spare_dir, sizeof sv->spare_dir, err, "%s/spare", sv->state_dir) != 0 ||
        sv__mkdir_owned(sv->instances_dir, 0755, (uid_t)-1, 0, err) != 0 ||
        sv__mkdir_owned(sv->spare_dir, 0755, (uid_t)-1, 0, err) != 0)
        return -1;
    const char *dirs[] = { sv->instances_dir, sv->spare_dir, sv->template_dir };
    for (size_t i = 0; i < 3; i++) {
        if (!sv__pg_can_traverse(sv, dirs[i])) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE,
                     "directory \"%s\" is not reachable by OS user %d: every parent directory must be "
                     "searchable (mode o+x), e.g. not under /root",
                     dirs[i], (int)sv->pg_uid);
            return rds_detail(err, "access X_OK as uid %d failed", (int)sv->pg_uid);
        }
    }
    return 0;
}

int sv_open(sv_supervisor **out, const sv_config *cfg, rds_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->state_dir || !cfg->state_dir[0] || !cfg->template_dir || !cfg->template_dir[0])
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "supervisor needs a state and a template directory");
    sv_supervisor *sv = calloc(1, sizeof *sv);
    if (!sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    sv->spare_pool = cfg->spare_pool < 0 ? 2 : cfg->spare_pool;
    sv->pg_uid = geteuid();
    sv->pg_gid = getegid();
    pthread_mutex_init(&sv->mu, NULL);
    pthread_cond_init(&sv->cv, NULL);
    pthread_cond_init(&sv->bg_cv, NULL);
    if (geteuid() == 0) {
        /* PostgreSQL refuses to run as root: children run as pg_user. */
        const char *user = cfg->pg_user && cfg->pg_user[0] ? cfg->pg_user : "postgres";
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwnam_r(user, &pw, buf, sizeof buf, &res) != 0 || !res || res->pw_uid == 0) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE,
                     "running as root needs an unprivileged OS user \"%s\" for postgres", user);
            goto fail;
        }
        sv->as_root = true;
        sv->pg_uid = res->pw_uid;
        sv->pg_gid = res->pw_gid;
    }
    if (cfg->versions_only) {
        /* no instance runs, but DescribeCertificates still lists the state dir's CAs */
        if (sv__find_versions(sv, cfg->pg_bin_dirs, err) != 0 || sv__tls_init(sv, cfg->state_dir, false, err) != 0)
            goto fail;
        *out = sv;
        return 0;
    }
    if (setup_dirs(sv, cfg, err) != 0 || sv__guard_install(sv, err) != 0 ||
        sv__find_versions(sv, cfg->pg_bin_dirs, err) != 0 || sv__bg_start(sv, err) != 0 ||
        sv__tls_init(sv, sv->state_dir, true, err) != 0)
        goto fail;
    sv__fault_startup(sv); /* no fault outlives the rdslocal that made it (sv_fault.c) */
    log_at(LOG_INFO, "supervisor", "opened state=\"%s\" templates=\"%s\" majors=%zu as_root=%d", sv->state_dir,
           sv->template_dir, sv->nmajors, (int)sv->as_root);
    *out = sv;
    return 0;
fail:
    sv_close(sv);
    return -1;
}

void sv_close(sv_supervisor *sv)
{
    if (!sv)
        return;
    sv__bg_stop(sv);
    sv__tls_stop(sv);
    if (sv->instances_dir[0])
        sv__fault_shutdown(sv); /* a frozen postmaster would ignore the SIGINT below */
    sv__standby_close(sv);
    pthread_mutex_lock(&sv->mu);
    while (sv->restarts_in_flight > 0)
        pthread_cond_wait(&sv->cv, &sv->mu);
    /* Fast shutdown of everything at once, then wait for each. */
    for (size_t i = 0; i < sv->ninsts; i++) {
        sv_inst *in = sv->insts[i];
        if (in->pid > 0 && in->state == IS_RUNNING)
            kill(in->pid, SIGINT);
    }
    pthread_mutex_unlock(&sv->mu);
    for (size_t i = 0; i < sv->ninsts; i++) {
        sv_inst *in = sv->insts[i];
        if (in->pid > 0)
            sv__inst_kill(sv, in, false);
        free(in);
    }
    free(sv->insts);
    for (size_t i = 0; i < sv->nmajors; i++)
        pthread_mutex_destroy(&sv->majors[i].build_mu);
    pthread_cond_destroy(&sv->bg_cv);
    pthread_cond_destroy(&sv->cv);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
}

size_t sv_engine_versions(const sv_supervisor *sv, const sv_engine_version **out)
{
    *out = sv->versions;
    return sv->nmajors;
}

bool sv_port_free(int port)
{
    if (port < 1 || port > 65535)
        return false;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return false;
    bool listening = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    if (listening)
        return false;
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return false;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* as postgres does */
    bool ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}
