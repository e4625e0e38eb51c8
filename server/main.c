/* main.c: rdslocal's entry point: settings (flags, then RDSLOCAL_* environment, then
 * defaults), start-up order (engine → HTTP), and shutdown on SIGINT/SIGTERM (HTTP first:
 * stop accepting, finish and answer the requests in flight; then the engine, which stops
 * every instance cleanly). The verification secret comes from a file or the environment,
 * never argv. Signals are blocked in every thread and taken synchronously here with
 * sigwait, so no handler runs async code. */
#include "dispatch.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit statuses besides 0 (stopped by a signal), 1 (could not start) and 2 (bad usage):
 * one per refusal of the state dir, so a script can tell them apart (README, --help). */
enum {
    EXIT_STATE_DB_MISSING = 3, /* rdslocal.db missing or empty, instances/ holds data dirs */
    EXIT_STATE_DB_DAMAGED = 4, /* not a database, fails quick_check, lacks a table or column */
    EXIT_STATE_DB_TOO_NEW = 5, /* schema version newer than this binary's */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rdslocal [options]\n"
            "A local emulator of the Amazon RDS API; every DB instance is a real PostgreSQL server.\n\n"
            "  --listen HOST:PORT     where to listen (default 127.0.0.1:4566)       RDSLOCAL_LISTEN\n"
            "  --state-dir DIR        model and instance data (default: see README) RDSLOCAL_STATE_DIR\n"
            "  --account-id ID        account id in ARNs (000000000000)            RDSLOCAL_ACCOUNT_ID\n"
            "  --endpoint-address H   Endpoint.Address of instances (localhost)    RDSLOCAL_ENDPOINT_ADDRESS\n"
            "  --port-range LO-HI     instance ports when none is given (15432-16431) RDSLOCAL_PORT_RANGE\n"
            "  --no-engine            API only: no postgres processes              RDSLOCAL_NO_ENGINE=1\n"
            "  --pg-user USER         OS user for postgres when run as root (postgres) RDSLOCAL_PG_USER\n"
            "  --pg-bin-dirs DIRS     extra postgres bin dirs, colon-separated     RDSLOCAL_PG_BIN_DIRS\n"
            "  --template-dir DIR     initdb template cache (see README)           RDSLOCAL_TEMPLATE_DIR\n"
            "  --spare-pool N         pre-cloned data dirs kept ready (3)          RDSLOCAL_SPARE_POOL\n"
            "  --realistic-timing S   keep transitional statuses for S seconds (0) RDSLOCAL_REALISTIC_TIMING\n"
            "  --snapshot-quota N     manual DB snapshots per region (100, AWS's default)\n"
            "                                                                      RDSLOCAL_SNAPSHOT_QUOTA\n"
            "  --verify-signatures-file PATH  verify SigV4 signatures with the secret key in\n"
            "                         PATH (first line), or from RDSLOCAL_VERIFY_SIGNATURES=SECRET;\n"
            "                         never on the command line (ps shows it to every user)\n"
            "  --allowed-origins LIST browser origins allowed to call rdslocal, comma-separated\n"
            "                         (default none: requests with an Origin header get 403)\n"
            "                                                                      RDSLOCAL_ALLOWED_ORIGINS\n"
            "  --allowed-hosts LIST   Host header values accepted besides the listen address,\n"
            "                         localhost and 127.0.0.1 (\"*\": any)          RDSLOCAL_ALLOWED_HOSTS\n"
            "  --max-connections N    open HTTP connections (RLIMIT_NOFILE - 512)  RDSLOCAL_MAX_CONNECTIONS\n"
            "  --max-connections-per-ip N  per client address (15/16 of the above)\n"
            "                                                                      RDSLOCAL_MAX_CONNECTIONS_PER_IP\n"
            "  --log-level LEVEL      debug, info, warn, error (info)              RDSLOCAL_LOG_LEVEL\n"
            "  --region REGION        ignored (kept for old scripts): a request's region is the\n"
            "                         one in its SigV4 credential scope; without one it is refused\n"
            "  --quarantine-unknown   if rdslocal.db is missing or empty but instances/ holds data\n"
            "                         dirs, start with a new database and move those dirs to\n"
            "                         <state dir>/quarantine/ (default: refuse to start)\n"
            "  --coverage-table       print the API coverage table (markdown) and exit\n"
            "  --print-env            print the export lines pointing AWS SDKs and the AWS CLI at\n"
            "                         this rdslocal (AWS_ENDPOINT_URL, test credentials, region)\n"
            "                         and exit: eval \"$(rdslocal --print-env)\"\n"
            "  --help, --version\n\n"
            "exit status: 0 stopped by SIGINT/SIGTERM; 1 could not start; 2 bad usage;\n"
            "  3 rdslocal.db missing or empty while instances/ holds data dirs (see --quarantine-unknown);\n"
            "  4 rdslocal.db damaged (not a database, fails SQLite's quick_check, or lacks rdslocal's\n"
            "    tables); 5 rdslocal.db written by a newer rdslocal. In 3-5 nothing was changed.\n");
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static char *default_dir(const char *root_dir, const char *xdg_var, const char *home_rel, const char *leaf)
{
    char buf[4096];
    if (geteuid() == 0) {
        snprintf(buf, sizeof buf, "%s", root_dir);
    } else if (getenv(xdg_var) && *getenv(xdg_var)) {
        snprintf(buf, sizeof buf, "%s/%s", getenv(xdg_var), leaf);
    } else {
        snprintf(buf, sizeof buf, "%s/%s/%s", env_or("HOME", "/tmp"), home_rel, leaf);
    }
    return strdup(buf);
}

/* The first line of path, without its line end; NULL (message printed) if unreadable or
 * empty. Malloc'd. */
static char *read_secret_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rdslocal: cannot read --verify-signatures-file \"%s\": %s\n", path, strerror(errno));
        return NULL;
    }
    char buf[512];
    char *line = fgets(buf, sizeof buf, f);
    fclose(f);
    size_t n = line ? strcspn(buf, "\r\n") : 0;
    if (n == 0) {
        fprintf(stderr, "rdslocal: --verify-signatures-file \"%s\" has no secret key on its first line\n", path);
        return NULL;
    }
    buf[n] = '\0';
    char *s = strdup(buf);
    memset(buf, 0, sizeof buf);
    return s;
}

/* --print-env: the export lines that point SDKs and the AWS CLI at this server (a wildcard
 * listen address is reached through loopback). Credentials are the usual test pair: with
 * signatures unverified any key is accepted. The region is AWS_REGION's if set. Values
 * are single-quoted; a host with a quote in it is refused. */
static int print_env_lines(const char *host, int port)
{
    if (strpbrk(host, "'\\\n")) {
        fprintf(stderr, "rdslocal: --print-env: listen host \"%s\" cannot be quoted\n", host);
        return 2;
    }
    const char *h = strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host;
    const char *region = env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", "us-east-1"));
    if (strpbrk(region, "'\\\n"))
        region = "us-east-1";
    printf("export AWS_ENDPOINT_URL='http://%s:%d'\n"
           "export AWS_ACCESS_KEY_ID='test'\n"
           "export AWS_SECRET_ACCESS_KEY='test'\n"
           "export AWS_REGION='%s'\n"
           "export AWS_DEFAULT_REGION='%s'\n",
           h, port, region, region);
    return 0;
}

/* Every connection needs a descriptor: raise the soft limit to the hard one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    const char *listen = env_or("RDSLOCAL_LISTEN", "127.0.0.1:4566");
    const char *state_dir = env_or("RDSLOCAL_STATE_DIR", NULL);
    const char *template_dir = env_or("RDSLOCAL_TEMPLATE_DIR", NULL);
    const char *port_range = env_or("RDSLOCAL_PORT_RANGE", "15432-16431");
    const char *level_name = env_or("RDSLOCAL_LOG_LEVEL", "info");
    const char *timing = env_or("RDSLOCAL_REALISTIC_TIMING", "0");
    const char *spare = env_or("RDSLOCAL_SPARE_POOL", "3");
    const char *snap_quota = env_or("RDSLOCAL_SNAPSHOT_QUOTA", "100");
    const char *secret_env = env_or("RDSLOCAL_VERIFY_SIGNATURES", env_or("RDSLOCAL_VERIFY_SECRET", NULL));
    const char *secret_file = NULL;
    const char *allowed_origins = env_or("RDSLOCAL_ALLOWED_ORIGINS", NULL);
    const char *allowed_hosts = env_or("RDSLOCAL_ALLOWED_HOSTS", NULL);
    const char *max_conns = env_or("RDSLOCAL_MAX_CONNECTIONS", "0");
    const char *max_conns_ip = env_or("RDSLOCAL_MAX_CONNECTIONS_PER_IP", "0");
    bool region_given = env_or("RDSLOCAL_REGION", NULL) != NULL;
    engine_config cfg = {
        .default_region = "us-east-1", /* unused: every request's region is its credential scope's */
        .account_id = env_or("RDSLOCAL_ACCOUNT_ID", "000000000000"),
        .endpoint_address = env_or("RDSLOCAL_ENDPOINT_ADDRESS", "localhost"),
        .no_engine = strcmp(env_or("RDSLOCAL_NO_ENGINE", "0"), "0") != 0,
        .pg_user = env_or("RDSLOCAL_PG_USER", "postgres"),
        .pg_bin_dirs = env_or("RDSLOCAL_PG_BIN_DIRS", NULL),
    };
    enum { O_LISTEN = 256, O_STATE, O_REGION, O_ACCOUNT, O_ENDPOINT, O_PORTS, O_NOENGINE, O_PGUSER,
           O_PGBIN, O_TEMPLATE, O_SPARE, O_TIMING, O_LOGLEVEL, O_SECRET, O_SECRET_FILE, O_ORIGINS,
           O_HOSTS, O_MAXCONN, O_MAXCONN_IP, O_COVERAGE, O_QUARANTINE, O_PRINT_ENV, O_SNAPQUOTA, O_HELP, O_VERSION };
    static const struct option opts[] = {
        { "listen", required_argument, NULL, O_LISTEN },
        { "state-dir", required_argument, NULL, O_STATE },
        { "region", required_argument, NULL, O_REGION },
        { "account-id", required_argument, NULL, O_ACCOUNT },
        { "endpoint-address", required_argument, NULL, O_ENDPOINT },
        { "port-range", required_argument, NULL, O_PORTS },
        { "no-engine", no_argument, NULL, O_NOENGINE },
        { "pg-user", required_argument, NULL, O_PGUSER },
        { "pg-bin-dirs", required_argument, NULL, O_PGBIN },
        { "template-dir", required_argument, NULL, O_TEMPLATE },
        { "spare-pool", required_argument, NULL, O_SPARE },
        { "realistic-timing", required_argument, NULL, O_TIMING },
        { "log-level", required_argument, NULL, O_LOGLEVEL },
        { "verify-signatures", optional_argument, NULL, O_SECRET },
        { "verify-signatures-file", required_argument, NULL, O_SECRET_FILE },
        { "allowed-origins", required_argument, NULL, O_ORIGINS },
        { "allowed-hosts", required_argument, NULL, O_HOSTS },
        { "max-connections", required_argument, NULL, O_MAXCONN },
        { "max-connections-per-ip", required_argument, NULL, O_MAXCONN_IP },
        { "coverage-table", no_argument, NULL, O_COVERAGE },
        { "quarantine-unknown", no_argument, NULL, O_QUARANTINE },
        { "print-env", no_argument, NULL, O_PRINT_ENV },
        { "snapshot-quota", required_argument, NULL, O_SNAPQUOTA },
        { "help", no_argument, NULL, O_HELP },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 },
    };
    bool print_env = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: listen = optarg; break;
        case O_STATE: state_dir = optarg; break;
        case O_REGION: region_given = true; break;
        case O_ACCOUNT: cfg.account_id = optarg; break;
        case O_ENDPOINT: cfg.endpoint_address = optarg; break;
        case O_PORTS: port_range = optarg; break;
        case O_NOENGINE: cfg.no_engine = true; break;
        case O_PGUSER: cfg.pg_user = optarg; break;
        case O_PGBIN: cfg.pg_bin_dirs = optarg; break;
        case O_TEMPLATE: template_dir = optarg; break;
        case O_SPARE: spare = optarg; break;
        case O_TIMING: timing = optarg; break;
        case O_LOGLEVEL: level_name = optarg; break;
        case O_SECRET:
            fprintf(stderr, "rdslocal: --verify-signatures does not take the secret key on the command "
                            "line (every local user can read it with ps); use --verify-signatures-file "
                            "PATH or the environment variable RDSLOCAL_VERIFY_SIGNATURES\n");
            return 2;
        case O_SECRET_FILE: secret_file = optarg; break;
        case O_ORIGINS: allowed_origins = optarg; break;
        case O_HOSTS: allowed_hosts = optarg; break;
        case O_MAXCONN: max_conns = optarg; break;
        case O_MAXCONN_IP: max_conns_ip = optarg; break;
        case O_COVERAGE: dispatch_print_coverage(stdout); return 0;
        case O_QUARANTINE: cfg.quarantine_unknown = true; break;
        case O_PRINT_ENV: print_env = true; break;
        case O_SNAPQUOTA: snap_quota = optarg; break;
        case O_HELP: usage(stdout); return 0;
        case O_VERSION: printf("rdslocal %s\n", RDSLOCAL_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rdslocal: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    static const char *const levels[] = { "debug", "info", "warn", "error" };
    bool level_ok = false;
    for (int i = 0; i < 4; i++)
        if (strcmp(level_name, levels[i]) == 0)
            log_min_level = (log_level)i, level_ok = true;
    if (!level_ok) {
        fprintf(stderr, "rdslocal: unknown log level \"%s\"\n", level_name);
        return 2;
    }
    char host[256];
    int port;
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host ||
        (port = atoi(colon + 1)) <= 0 || port > 65535) {
        fprintf(stderr, "rdslocal: --listen wants HOST:PORT, got \"%s\"\n", listen);
        return 2;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    if (print_env)
        return print_env_lines(host, port);
    if (sscanf(port_range, "%d-%d", &cfg.port_min, &cfg.port_max) != 2 || cfg.port_min < 1150 ||
        cfg.port_max > 65535 || cfg.port_min > cfg.port_max) {
        fprintf(stderr, "rdslocal: --port-range wants LO-HI within 1150-65535, got \"%s\"\n", port_range);
        return 2;
    }
    char *end;
    double timing_s = strtod(timing, &end);
    if (*end || timing_s < 0) {
        fprintf(stderr, "rdslocal: --realistic-timing wants seconds, got \"%s\"\n", timing);
        return 2;
    }
    cfg.realistic_timing_ms = (int64_t)(timing_s * 1000);
    long quota = strtol(snap_quota, &end, 10);
    if (*end || !*snap_quota || quota < 1 || quota > 1000000) {
        fprintf(stderr, "rdslocal: --snapshot-quota wants a count, got \"%s\"\n", snap_quota);
        return 2;
    }
    cfg.snapshot_quota = (int)quota;
    long conn_limit = strtol(max_conns, &end, 10);
    if (*end || conn_limit < 0 || conn_limit > 1000000) {
        fprintf(stderr, "rdslocal: --max-connections wants a count, got \"%s\"\n", max_conns);
        return 2;
    }
    long conn_limit_ip = strtol(max_conns_ip, &end, 10);
    if (*end || conn_limit_ip < 0 || conn_limit_ip > 1000000) {
        fprintf(stderr, "rdslocal: --max-connections-per-ip wants a count, got \"%s\"\n", max_conns_ip);
        return 2;
    }
    /* The secret key: from a file or the environment, never argv (ps shows argv to every
     * local user). The variable is removed so postgres children don't inherit it. */
    char *secret = NULL;
    if (secret_file) {
        secret = read_secret_file(secret_file);
        if (!secret)
            return 2;
    } else if (secret_env) {
        secret = strdup(secret_env);
    }
    unsetenv("RDSLOCAL_VERIFY_SIGNATURES");
    unsetenv("RDSLOCAL_VERIFY_SECRET");
    raise_fd_limit();
    cfg.spare_pool = atoi(spare);
    char *sd = state_dir ? strdup(state_dir) : default_dir("/var/lib/rdslocal", "XDG_STATE_HOME", ".local/state", "rdslocal");
    char *td = template_dir ? strdup(template_dir)
                            : default_dir("/var/cache/rdslocal/templates", "XDG_CACHE_HOME", ".cache", "rdslocal/templates");
    cfg.state_dir = sd;
    cfg.template_dir = td;

    /* Block the shutdown signals in every thread; main takes them with sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Refuse a taken port before starting any instance process. */
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa.sin_addr) != 1) {
            fprintf(stderr, "rdslocal: cannot listen on \"%s\": not an IPv4 address\n", host);
            return 1;
        }
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            fprintf(stderr, "rdslocal: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
            close(fd);
            return 1;
        }
        close(fd);
    }
    int64_t t0 = rds_real_now_ms();
    rds_error err;
    rds_error_clear(&err);
    engine *e = NULL;
    http_server *h = NULL;
    engine_state_verdict verdict;
    if (engine_open_checked(&e, &verdict, &cfg, &err)) {
        fprintf(stderr, "rdslocal: %s%s%s\n", err.message, err.detail[0] ? ": " : "", err.detail);
        switch (verdict) {
        case ENGINE_STATE_DB_MISSING: return EXIT_STATE_DB_MISSING;
        case ENGINE_STATE_DB_DAMAGED: return EXIT_STATE_DB_DAMAGED;
        case ENGINE_STATE_DB_TOO_NEW: return EXIT_STATE_DB_TOO_NEW;
        case ENGINE_STATE_OK: break;
        }
        return 1;
    }
    http_options hopt = { .host = host, .port = port, .allowed_origins = allowed_origins,
                          .allowed_hosts = allowed_hosts, .verify_secret = secret,
                          .connection_limit = (unsigned)conn_limit,
                          .per_ip_limit = (unsigned)conn_limit_ip };
    if (http_start(&h, &hopt, e, &err)) {
        fprintf(stderr, "rdslocal: %s\n", err.message);
        engine_close(e);
        return 1;
    }
    unsigned lim, lim_ip;
    http_limits(h, &lim, &lim_ip);
    log_at(LOG_INFO, "main", "rdslocal %s listening on http://%s:%d state_dir=\"%s\" engine=%s "
           "signatures=%s max_connections=%u per_ip=%u ready_ms=%lld",
           RDSLOCAL_VERSION, host, port, sd, cfg.no_engine ? "none" : "postgres",
           secret ? "verified" : "unverified", lim, lim_ip, (long long)(rds_real_now_ms() - t0));
    if (region_given)
        log_at(LOG_WARN, "main", "--region/RDSLOCAL_REGION is ignored: each request's region is "
               "the one in its SigV4 credential scope, and a request without one is refused");
    int sig = 0;
    sigwait(&set, &sig);
    log_at(LOG_INFO, "main", "shutting down on signal %d", sig);
    http_stop(h);
    engine_close(e);
    free(sd);
    free(td);
    if (secret) {
        volatile char *p = secret;
        while (*p)
            *p++ = 0;
        free(secret);
    }
    log_at(LOG_INFO, "main", "stopped");
    return 0;
}
