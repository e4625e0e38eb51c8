/* supervisor.h: the process supervisor. Every RDS DB instance is a real PostgreSQL
 * server; this module builds initdb templates, clones data dirs, starts, stops,
 * monitors, restarts and removes those servers, and adopts the ones left running by
 * an earlier rdslocal process. It is the only code in rdslocal that forks, execs,
 * signals or waits.
 *
 * On-disk layout (all under the caller's dirs):
 *   <template_dir>/<major>/              clean initdb template (rds_superuser, pg_hba)
 *   <state_dir>/instances/<key>/data/    the instance's PGDATA
 *   <state_dir>/instances/<key>/log/error/postgresql.log.YYYY-MM-DD-HH  (RDS names)
 *   <state_dir>/instances/<key>/sock/    private unix socket dir (mode 0700)
 *   <state_dir>/instances/<key>/startup.log   postgres stdout/stderr before the
 *                                        logging collector takes over
 *   <state_dir>/spare/<major>/<name>/    pre-cloned data dirs (spare pool)
 *   <state_dir>/lib/rdslocal_guard.so    copy of the guard module every instance preloads
 *   <state_dir>/quarantine/<key>-<time>  data dirs no instance of the model owned, moved
 *                                        there at reconcile instead of being deleted
 *                                        (snapshot dirs: snapshot-<key>-<time>)
 *   <state_dir>/snapshots/<key>/         DB snapshot files: base.tar (plain), or
 *                                        base.tar.enc + datakey.kms (encrypted); the pg
 *                                        user's, 0700 (snapshots/ itself is ours, 0700)
 * The state dir itself is 0700, or 0710 with pg_user's group when running as root (set
 * by sv_open, existing dirs too): the postgres user only traverses it.
 *
 * Roles inside every instance, as on RDS: `rdsadmin` is the only superuser (it logs in
 * over the private unix socket with trust auth); `rds_superuser` is a NOLOGIN role with
 * CREATEDB, CREATEROLE and pg_monitor/pg_signal_backend/pg_checkpoint; the master user
 * is a LOGIN role IN ROLE rds_superuser, never a superuser. TCP connections (127.0.0.1,
 * ::1) always need scram-sha-256. Every instance preloads the rdslocal_guard module
 * (pgext/), which refuses non-superusers the roles and commands that reach the host
 * (pg_execute_server_program, pg_*_server_files, COPY with a file or program, ALTER
 * SYSTEM); sv_open fails if the module is missing, and only the PostgreSQL major it is
 * built for is offered.
 *
 * When rdslocal runs as root, every postgres/initdb child runs as cfg->pg_user and the
 * instance dirs are owned by that user.
 *
 * Threads: every function is thread-safe unless noted. Operations on different keys run
 * in parallel; operations on the same key are serialised (a second caller waits).
 * sv_poll is meant for one worker thread. Errors: RDS_E_INTERNAL_FAILURE for OS and
 * postgres failures (errno / postgres text in err->detail), RDS_E_DB_INSTANCE_NOT_FOUND
 * for an unknown key, RDS_E_DB_INSTANCE_ALREADY_EXISTS, RDS_E_INVALID_DB_INSTANCE_STATE
 * and RDS_E_INVALID_PARAMETER_VALUE as documented per function. */
#ifndef RDSLOCAL_SUPERVISOR_H
#define RDSLOCAL_SUPERVISOR_H

#include "rdslocal/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_supervisor sv_supervisor;

typedef struct sv_config {
    const char *state_dir;    /* instances under <state_dir>/instances/<key>/; created if missing, then
                                 made 0700 (0710, group of pg_user, as root) */
    const char *template_dir; /* cache of initdb templates, <template_dir>/<major>/; may be shared by
                                 several state dirs and processes (built under an flock, renamed in) */
    const char *pg_user;      /* OS user for postgres when running as root; NULL: "postgres" */
    const char *pg_bin_dirs;  /* extra colon-separated dirs holding postgres binaries; NULL ok.
                                 /usr/lib/postgresql/<N>/bin are always scanned */
    int spare_pool;           /* pre-cloned data dirs kept ready per major; <0: default 2; 0 disables */
    bool versions_only;       /* API-only mode: only sv_engine_versions is used; no directories are
                                 made or checked and no template or spare work runs */
} sv_config;

typedef struct sv_engine_version {
    char major[8];     /* "15" */
    char version[24];  /* "15.18", from postgres --version */
    char bin_dir[512]; /* holds postgres, initdb, pg_* */
} sv_engine_version;

/* Opens a supervisor on cfg->state_dir (strings are copied). Creates the state and
 * template dirs if missing (the state dir's mode: see sv_config), finds the installed
 * majors, checks (as root) that cfg->pg_user exists and can traverse both dirs, and starts a background thread that
 * builds missing templates and fills the spare pool. Fast: no initdb on this path.
 * Does not start or adopt any instance: call sv_reconcile for that.
 * Errors: INTERNAL_FAILURE (no postgres installed, guard module missing, unknown pg_user, dir not traversable
 * by pg_user, mkdir failed). */
int sv_open(sv_supervisor **out, const sv_config *cfg, rds_error *err);

/* Stops the background work, then fast-shuts-down (SIGINT) every instance this
 * supervisor runs or adopted, in parallel, and waits until they are gone (SIGQUIT then
 * SIGKILL after 30 s). Frees sv. NULL is a no-op. Any thread, once, with no other call
 * in flight. */
void sv_close(sv_supervisor *sv);

/* Installed majors, sorted ascending by number. *out is lent: it lives as long as sv. */
size_t sv_engine_versions(const sv_supervisor *sv, const sv_engine_version **out);

typedef struct sv_instance_spec {
    const char *key;             /* stable directory name ([A-Za-z0-9_.-], 1-63 chars, not "." or ".."),
                                    e.g. the DbiResourceId "db-ABCDEF..." */
    const char *major;           /* "15": must be one of sv_engine_versions */
    int port;                    /* listen on 127.0.0.1:port */
    const char *master_username; /* create only */
    const char *master_password; /* create only; never logged, sent to postgres pre-hashed (SCRAM) */
    const char *db_name;         /* create only; NULL or "": no extra database */
    int max_connections;         /* <=0: 20. Values below 14 shrink max_wal_senders to fit */
    int shared_buffers_mb;       /* <=0: 16 */
    bool force_ssl;              /* rds.force_ssl: TCP clients must use SSL (pg_hba hostssl lines) */
    /* TLS (sv_tls.c) */
    const char *ca_id;           /* CA signing the server certificate (sv_tls_ca_id); NULL/"": ssl off */
    const char *tls_host;        /* endpoint address the certificate names (DNS name or IP), besides
                                    127.0.0.1 */
    /* params: postgresql.conf lines of the instance's DB parameter group ("name = 'value'\n"
     * each), made and validated by the engine; written after the base settings (conf
     * fragment `params`). NULL or "": none. At most SV_PARAM_CONF_MAX-1 bytes. */
    const char *param_conf;
    /* WAL archive and PITR (pitr) */
    bool archive_wal;            /* finished WAL segments go to the instance's backup area (sv_wal.c) */
    /* Multi-AZ (sv_standby.c) */
    bool multi_az;               /* keep a synchronous standby (see "Multi-AZ standby" below) */
    /* read replicas (sv_replica.c) */
    const char *replica_of;      /* key of the instance this one streams from; NULL or "": not a replica */
} sv_instance_spec;
#define SV_PARAM_CONF_MAX 16384

/* Creates and starts a new instance: takes a spare pre-cloned data dir (or clones the
 * template), writes its config, starts postgres, creates the master role (member of
 * rds_superuser) and db_name owned by it. Returns 0 only once the master user can
 * connect over TCP and run a query. On failure nothing is left behind (process stopped,
 * directory removed). Waits for the template if it is still being built (first use of a
 * major takes ~1-2 s). Errors: INVALID_PARAMETER_VALUE (bad key, unknown major, missing
 * master credentials, port in use), DB_INSTANCE_ALREADY_EXISTS (key known or its
 * directory exists), INTERNAL_FAILURE. */
int sv_instance_create(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);

/* Starts an existing instance directory with the spec's port, max_connections and
 * shared_buffers, and waits until it accepts connections (crash recovery included).
 * Already running with the same port: no-op; with another port: restarted.
 * Clears the crash history (an instance in the FAILED state may be started again).
 * Errors: DB_INSTANCE_NOT_FOUND (no such directory), INVALID_PARAMETER_VALUE (port in
 * use, unknown major), INTERNAL_FAILURE (postgres did not come up; startup log tail in
 * detail). */
int sv_instance_start(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);

/* Fast shutdown (SIGINT) and wait until the postmaster is gone (SIGQUIT, then SIGKILL
 * of every process of the instance after 30 s). Not running: no-op.
 * Errors: DB_INSTANCE_NOT_FOUND. */
int sv_instance_stop(sv_supervisor *sv, const char *key, rds_error *err);

/* Stop then start with the spec's settings (reboot, port or class change). */
int sv_instance_restart(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);

/* Immediate stop (SIGQUIT; SIGKILL of every pid of the instance if it lingers) and
 * removes <state_dir>/instances/<key> entirely. Unknown key whose directory does not
 * exist: DB_INSTANCE_NOT_FOUND. */
int sv_instance_delete(sv_supervisor *sv, const char *key, rds_error *err);

/* Moves <state_dir>/instances/<key> (a directory or any other entry) to
 * <state_dir>/quarantine/<key>-<UTC yyyymmddThhmmssZ>[-N] after stopping any postgres
 * running there (fast shutdown, as sv_instance_stop), and logs a WARN naming both
 * paths. Nothing is deleted: this is what happens to data no instance of the model
 * owns. dest (may be NULL) receives the new path. Errors: INTERNAL_FAILURE (rename). */
int sv_instance_quarantine(sv_supervisor *sv, const char *key, char *dest, size_t dest_n, rds_error *err);

/* Applies the spec's settings that need no restart: rewrites the instance's rdslocal.conf
 * and pg_hba.conf (sv_conf.c, with every feature's fragment) and, if it runs, reloads it
 * (SIGHUP) and returns once the postmaster has read them (a new connection sees them).
 * Stopped: the files are rewritten for the next start. A port change is refused
 * (INVALID_PARAMETER_VALUE: use sv_instance_restart). Errors: DB_INSTANCE_NOT_FOUND,
 * INTERNAL_FAILURE (no reload within 5 s). */
int sv_instance_reconfigure(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);

/* ALTER ROLE <username> PASSWORD on the running server (password hashed client side,
 * so it never appears in postgres logs). Errors: DB_INSTANCE_NOT_FOUND,
 * INVALID_DB_INSTANCE_STATE (not running), INTERNAL_FAILURE (e.g. no such role). */
int sv_instance_set_master_password(sv_supervisor *sv, const char *key, const char *username,
                                    const char *password, rds_error *err);

/* True if the instance's postmaster is running (started or adopted by sv). */
bool sv_instance_running(sv_supervisor *sv, const char *key);

/* Writes up to max pids: the postmaster first, then its children (from /proc).
 * Returns the number written; 0 if not running. */
int sv_instance_pids(sv_supervisor *sv, const char *key, int *pids, int max);

/* True if nothing listens on 127.0.0.1:port and it can be bound now. */
bool sv_port_free(int port);

/* Writes "<state_dir>/instances/<key>/log" into buf and returns buf (NULL if it does
 * not fit). The postgres logs are in its "error" subdirectory. */
const char *sv_instance_log_dir(sv_supervisor *sv, const char *key, char *buf, size_t n);

/* Monitoring events. CRASHED: a running instance's postmaster exited without being
 * asked to (detail: exit status or signal); a restart follows on a background thread.
 * RECOVERED: that restart succeeded. FAILED: restarting stopped (3 unexpected exits
 * within 60 s, or a restart failed); the instance stays stopped until started again. */
typedef enum sv_event_kind {
    SV_EV_CRASHED, SV_EV_RECOVERED, SV_EV_FAILED,
    /* Multi-AZ (sv_standby.c): an automatic failover began (detail: the reason, in AWS's
     * words) / finished (detail: "promoted standby, pid N"); the instance's endpoint is
     * unchanged and its primary now runs in what was the standby's AZ. */
    SV_EV_FAILOVER_STARTED, SV_EV_FAILOVER_COMPLETED
} sv_event_kind;
typedef struct sv_event {
    sv_event_kind kind;
    char key[80];
    char detail[160];
} sv_event;

/* Checks every running, not busy instance (own children with waitpid(pid, WNOHANG),
 * adopted ones with kill(pid, 0) and /proc), starts restarts, and copies up to max
 * queued events into events (oldest first). Returns the number copied. Cheap (no
 * blocking work); meant to be called by one worker thread every ~50 ms. Instances
 * being started or stopped on purpose are never reported. */
size_t sv_poll(sv_supervisor *sv, sv_event *events, size_t max);

/* Start-up reconcile after rdslocal restarted or was killed. First, every entry of
 * <state_dir>/instances/ whose key is not in specs: if its key is in discard (instances
 * the caller's model knows were deleted, or whose create never finished), its processes
 * are killed and the directory removed; any other is data the model has no record of,
 * and is moved to quarantine (sv_instance_quarantine), never removed. Then, for each
 * spec with should_run[i]: adopt the postmaster named by its postmaster.pid if it is a
 * live postgres on that data dir listening on the spec's port (restart it if the port
 * differs), else start it. For each spec with !should_run[i]: make sure it is stopped.
 * Starts run in parallel. Processes every entry even if one fails; returns -1 with the
 * first error. */
int sv_reconcile(sv_supervisor *sv, const sv_instance_spec *specs, const bool *should_run,
                 size_t n, const char *const *discard, size_t n_discard, rds_error *err);

/* ---- DB snapshots (sv_snapshot*.c) ---------------------------------------------------
 * A snapshot is a tar stream of an instance's data dir: online (pg_basebackup over the
 * private socket; the instance keeps serving) or, for a stopped instance, its data dir.
 * Encrypted snapshots are AES-256-GCM in 1 MiB chunks (per-chunk tags; truncation,
 * reordering and tampering are detected) under a data key the caller got from KMS; the
 * plaintext never reaches the disk. Snapshot keys: [A-Za-z0-9_.-], 1-200 chars, not
 * starting with '.'. Creates and copies write into a hidden temp dir renamed into place,
 * so a snapshot dir is complete or absent. The process must ignore SIGPIPE. */

typedef struct sv_snapshot_crypt {
    const unsigned char *key;     /* 32-byte AES-256 data key; NULL: plain (unencrypted) */
    const unsigned char *wrapped; /* the data key wrapped by KMS: written beside the files
                                     as datakey.kms on create/copy; NULL when key is NULL */
    size_t wrapped_n;
} sv_snapshot_crypt;

/* A consistent copy of instance inst_key's data into snapshots/<snap_key>. The instance may
 * be running (online copy, it stays available: pg_basebackup) or stopped (copy of the data
 * dir). Holds the instance (a stop or delete waits) for the duration. *bytes (may be NULL)
 * receives the data size (bytes of the tar stream, before encryption).
 * Errors: DB_INSTANCE_NOT_FOUND (no such instance dir), INVALID_PARAMETER_VALUE (bad or
 * existing snap_key), INTERNAL_FAILURE. On failure nothing is left behind. */
int sv_snapshot_create(sv_supervisor *sv, const char *inst_key, const char *snap_key,
                       const sv_snapshot_crypt *crypt, int64_t *bytes, rds_error *err);

/* Copies snapshot src_key (decrypted with src->key if encrypted) to dst_key (encrypted with
 * dst->key, or plain if dst->key is NULL). Tampered/truncated source, or a wrong key:
 * INTERNAL_FAILURE with message "snapshot <key> failed its integrity check" (an encrypted
 * source without src->key: INTERNAL_FAILURE too). DB_SNAPSHOT_NOT_FOUND (no src dir),
 * INVALID_PARAMETER_VALUE (bad keys, dst exists). Nothing is left behind on failure. */
int sv_snapshot_copy(sv_supervisor *sv, const char *src_key, const sv_snapshot_crypt *src,
                     const char *dst_key, const sv_snapshot_crypt *dst, rds_error *err);

/* Reads snapshots/<snap_key>/datakey.kms into buf (cap bytes); *n = 0 for a plain snapshot.
 * Errors: DB_SNAPSHOT_NOT_FOUND when the dir is missing; INTERNAL_FAILURE when the file is
 * empty, larger than cap or unreadable. */
int sv_snapshot_wrapped_key(sv_supervisor *sv, const char *snap_key, unsigned char *buf,
                            size_t cap, size_t *n, rds_error *err);

/* Removes snapshots/<snap_key>. Missing: 0 (idempotent). */
int sv_snapshot_delete(sv_supervisor *sv, const char *snap_key, rds_error *err);

/* Creates and starts a NEW instance spec->key from snapshot snap_key (decrypting with
 * crypt->key when encrypted): same roles and passwords as the source (master credentials in
 * spec are ignored), the spec's port and sizing. Returns once it accepts connections and
 * runs a query as rdsadmin (the WAL of an online snapshot is replayed first).
 * Errors: DB_SNAPSHOT_NOT_FOUND, DB_INSTANCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE (bad
 * spec, port in use, snapshot of another major), INTERNAL_FAILURE (tampered files or wrong
 * key: "snapshot <key> failed its integrity check"). On failure nothing is left behind. */
int sv_instance_restore(sv_supervisor *sv, const sv_instance_spec *spec, const char *snap_key,
                        const sv_snapshot_crypt *crypt, rds_error *err);

/* Start-up reconcile of snapshots/: entries whose key is in keep are left; those in discard
 * are removed (the model knows they were deleted / never finished); the hidden temp dirs of
 * creates and copies whose process is gone are removed; any other entry is moved to
 * <state_dir>/quarantine/snapshot-<key>-<time> (never deleted). Processes every entry;
 * returns -1 with the first error. */
int sv_snapshot_reconcile(sv_supervisor *sv, const char *const *keep, size_t n_keep,
                          const char *const *discard, size_t n_discard, rds_error *err);

/* ---- TLS (sv_tls.c) ---------------------------------------------------------------
 * rdslocal's certificate authorities, one per CA identifier RDS offers, kept in
 * <state_dir>/certs/<id>/ and made once per state dir (rsa2048 and ecc384 in the
 * background after sv_open, rsa4096 (seconds of CPU) at first need; a caller needing one
 * first makes or waits for it). Every CA also has one server key, so
 * issuing an instance's certificate signs only. <state_dir>/certs/global-bundle.pem holds
 * every CA certificate. An instance whose spec names ca_id runs with ssl=on and a
 * certificate of that CA for tls_host and 127.0.0.1 (re-issued when either changes; a
 * reconfigure reloads it). */
#define SV_TLS_NCA 3
/* The i-th CA identifier (0: rds-ca-rsa2048-g1, the default), NULL past the end. */
const char *sv_tls_ca_id(size_t i);
typedef struct sv_ca_info {
    char id[32];
    char key_algorithm[16]; /* RSA2048, RSA4096, ECC384 */
    char thumbprint[48];    /* SHA-1 of the DER certificate, lower-case hex */
    int64_t valid_from_ms, valid_till_ms;
} sv_ca_info;
/* Makes CA i if missing and describes it. INTERNAL_FAILURE on OpenSSL or file errors. */
int sv_tls_ca_info(sv_supervisor *sv, size_t i, sv_ca_info *out, rds_error *err);
/* Makes every missing CA and writes the bundle's path into buf (NULL with err set). */
const char *sv_tls_bundle_path(sv_supervisor *sv, char *buf, size_t n, rds_error *err);
/* The instance's current server certificate: its issuer CA's id and notAfter. -1: none. */
int sv_tls_instance_cert(sv_supervisor *sv, const char *key, char *ca_id, size_t n, int64_t *valid_till_ms);

/* ---- DB log files (sv_logs.c) ----------------------------------------------------------
 * The server logs under <state_dir>/instances/<key>/log/error/, named
 * postgresql.log.YYYY-MM-DD-HH (UTC hour, real clock). */
typedef struct sv_log_file {
    char name[48];    /* postgresql.log.YYYY-MM-DD-HH */
    int64_t size;
    int64_t mtime_ms; /* real clock */
} sv_log_file;
/* True for a name of that pattern (nothing else is listed, read or removed). */
bool sv_log_name_ok(const char *name);
/* The instance's log files sorted by name (*out malloc'd; free it). No dir: none. */
int sv_logs_list(sv_supervisor *sv, const char *key, sv_log_file **out, size_t *n_out, rds_error *err);
/* Up to max bytes of file name from offset into buf; *size: the file's size now.
 * DB_LOG_FILE_NOT_FOUND_FAULT for a bad or missing name. */
int sv_logs_read(sv_supervisor *sv, const char *key, const char *name, int64_t offset, size_t max, char *buf,
                 size_t *n_read, int64_t *size, rds_error *err);
/* Removes one log file (missing: 0). */
int sv_logs_remove(sv_supervisor *sv, const char *key, const char *name, rds_error *err);
/* ---- parameter groups (sv_params.c) ------------------------------------------------ */

/* The settings of PostgreSQL `major` as its pg_settings shows them (internal ones left out),
 * one line each, tab-separated: name, context, category, vartype (upper case), boot value,
 * min, max, short description, extra description, enum values (comma-separated; may be
 * absent). Read from a real server: `postgres --single` on a scratch copy of the template
 * (hundreds of ms; the caller caches the answer). In versions_only mode (no template), from
 * `postgres --describe-config` (same catalog, no enum values). *out is malloc'd.
 * Errors: INVALID_PARAMETER_VALUE (unknown major), INTERNAL_FAILURE. */
int sv_engine_settings(sv_supervisor *sv, const char *major, char **out, rds_error *err);

/* True for the postgres settings rdslocal manages itself (ports, sockets, paths, the log
 * layout, TLS files, WAL archiving, replication): a parameter group cannot set them, and
 * sv_instance_spec.param_conf lines naming them are dropped. */
bool sv_setting_reserved(const char *name);
/* ---- WAL archive and PITR (sv_wal.c, sv_pitr.c; pitr) ---------------------------------
 * While spec->archive_wal, an instance's finished WAL segments (archive_timeout 1 s) go
 * to <state_dir>/backups/<key>/wal/ (ours, 0700): without their zero tail, plain, or
 * encrypted like snapshots (<name>.enc, sv_crypt.h format) under the data key the caller
 * passes, whose wrapped form is kept there as datakey.kms. The key is the INSTANCE key:
 * after a failover the new primary archives to the same place (a new timeline and its
 * .history file). Archive keys: as instance keys. */

/* Turns archiving of a known instance on or off (its archive_command) and reloads it,
 * changing nothing else of its settings: the other settings stay those of the last spec
 * the supervisor applied (a caller's older copy of the instance cannot undo a change made
 * meanwhile). Errors: DB_INSTANCE_NOT_FOUND, INTERNAL_FAILURE (no reload within 5 s). */
int sv_instance_set_archive_wal(sv_supervisor *sv, const char *key, bool on, rds_error *err);

/* Moves the segments the archiver finished into the archive (encrypted with crypt->key
 * when it is non-NULL; crypt->wrapped is written as datakey.kms before the first one) and
 * reports in *restorable_real_ms the newest REAL instant (ms) up to which every commit is
 * archived, or -1 when not known now (server not running or not sampled yet). Meant for
 * one worker thread, a few times a second. Errors: INTERNAL_FAILURE (I/O). */
int sv_wal_ship(sv_supervisor *sv, const char *key, const sv_snapshot_crypt *crypt, int64_t *restorable_real_ms,
                rds_error *err);
/* The archive's datakey.kms into buf (cap bytes); *n = 0 when there is none (plain or
 * empty archive). */
int sv_wal_wrapped_key(sv_supervisor *sv, const char *key, unsigned char *buf, size_t cap, size_t *n,
                       rds_error *err);
/* Removes the segments archived before real_ms (a base backup started at real_ms needs
 * none of them); .history files stay. */
int sv_wal_prune_before(sv_supervisor *sv, const char *key, int64_t real_ms, rds_error *err);
/* Removes the whole archive of key and what its outbox holds. Missing: 0. */
int sv_wal_delete_all(sv_supervisor *sv, const char *key, rds_error *err);
/* Removes every archive (admin reset). */
int sv_wal_delete_every(sv_supervisor *sv, rds_error *err);
/* Start-up: removes copies cut short by a crash (their outbox files ship again). */
int sv_wal_reconcile(sv_supervisor *sv, rds_error *err);

/* Creates and starts a NEW instance spec->key recovered to target_real_ms (REAL epoch ms,
 * inclusive: every transaction committed at or before it, none after; -1: all the WAL
 * archived) from the base backup base_snap_key (a snapshot, decrypted with base_crypt)
 * and the WAL archive of wal_key (decrypted with wal_crypt), following the latest
 * timeline. Returns once the server is promoted and answers queries. Errors as
 * sv_instance_restore; a damaged archive or wrong key: INTERNAL_FAILURE. On failure
 * nothing is left behind. */
int sv_instance_restore_pitr(sv_supervisor *sv, const sv_instance_spec *spec, const char *base_snap_key,
                             const sv_snapshot_crypt *base_crypt, const char *wal_key,
                             const sv_snapshot_crypt *wal_crypt, int64_t target_real_ms, rds_error *err);
/* ---- Multi-AZ standby (sv_standby.c) -------------------------------------------------
 * A Multi-AZ instance runs a second postgres of the same key: <dir>/standby, a physical
 * copy (pg_basebackup) streaming from the primary's private socket, reachable by no client
 * (no TCP listener; its own 0700 socket dir). synchronous_standby_names is set on the
 * primary only while the standby streams and answers, so an acknowledged commit is on both
 * and the primary never blocks on a missing standby. A background thread health-checks
 * both nodes (liveness every 10 ms; a connection that must answer within 1 s every 200 ms)
 * and fails over by itself when the primary dies or misses two checks in a row
 * (SV_EV_FAILOVER_*), to a synchronous standby only (else the primary restarts in place). A failover
 * promotes the standby and restarts it on the instance's port and socket path (the
 * endpoint does not change); the old primary comes back as the new standby (pg_rewind,
 * else a fresh copy) in the background. */

/* Makes the running instance's standby match spec->multi_az (also kept in the instance
 * record, so starts, restarts and the reconcile keep it): builds one (copy, start, then
 * synchronous once it streams) or removes it. Returns once the standby streams
 * synchronously, or is gone. Errors: DB_INSTANCE_NOT_FOUND, INVALID_DB_INSTANCE_STATE
 * (the instance is not running), INTERNAL_FAILURE. */
int sv_instance_set_multi_az(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);

/* Failover on request (RebootDBInstance ForceFailover): the primary is stopped (killed:
 * synchronous replication already put every acknowledged commit on the standby), the
 * standby promoted and restarted on the same port and socket. Returns once the endpoint accepts writes; the old primary is rebuilt
 * as the standby afterwards, in the background. No SV_EV_FAILOVER_* events (the caller
 * records its own). Errors: DB_INSTANCE_NOT_FOUND, INVALID_DB_INSTANCE_STATE (no running
 * standby, or it is not synchronous: cut off or catching up), INTERNAL_FAILURE. */
int sv_instance_failover(sv_supervisor *sv, const char *key, rds_error *err);

/* The standby's pids: its postmaster first, then its children. 0: no standby runs. */
int sv_standby_pids(sv_supervisor *sv, const char *key, int *pids, int max);

/* cut=true: replication to the standby stops (its walreceiver is told to disconnect) and
 * the primary drops synchronous replication first, so it keeps serving writes. cut=false:
 * the standby reconnects, catches up, and is synchronous again before this returns.
 * Errors: DB_INSTANCE_NOT_FOUND, INVALID_DB_INSTANCE_STATE (not Multi-AZ or no standby),
 * INTERNAL_FAILURE. */
int sv_standby_cut(sv_supervisor *sv, const char *key, bool cut, rds_error *err);
/* ---- Read replicas (sv_replica.c) ---------------------------------------------------
 * A read replica is an instance of its own (own key, dir, port) whose data is a physical
 * copy of a running source (pg_basebackup), started as a hot standby that streams from
 * the source over the source's private unix socket as rdsadmin (conf fragment `replica`:
 * primary_conninfo with application_name = the replica's key). The master user's password
 * is the source's (physical copy). standby.signal stays in its data dir until promotion,
 * so every later start (restart, reconcile after kill -9) is a standby again. */

/* Creates and starts replica spec->key from the running instance spec->replica_of. Returns
 * once the replica accepts read-only connections. Errors: DB_INSTANCE_NOT_FOUND (no such
 * source), INVALID_DB_INSTANCE_STATE (source not running), DB_INSTANCE_ALREADY_EXISTS,
 * INVALID_PARAMETER_VALUE (bad spec, port in use), INTERNAL_FAILURE. Nothing is left
 * behind on failure. */
int sv_replica_create(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);

/* Promotes replica key to a standalone primary (pg_promote, waiting until it accepts
 * writes) and forgets its source: later config writes have no standby settings. A server
 * that is already a primary: no-op. Errors: DB_INSTANCE_NOT_FOUND, INVALID_DB_INSTANCE_STATE
 * (not running), INTERNAL_FAILURE. */
int sv_replica_promote(sv_supervisor *sv, const char *key, rds_error *err);

typedef struct sv_replica_state {
    bool in_recovery;     /* still a standby */
    bool streaming;       /* its WAL receiver streams from the source */
    int64_t lag_ms;       /* replay delay: 0 when everything received is replayed, else now minus
                             the commit time of the last replayed transaction; -1 unknown */
    char detail[160];     /* why it does not stream ("" when it does) */
} sv_replica_state;

/* The replication state of replica key, asked over its private socket.
 * Errors: DB_INSTANCE_NOT_FOUND, INVALID_DB_INSTANCE_STATE (not running), INTERNAL_FAILURE. */
int sv_replica_status(sv_supervisor *sv, const char *key, sv_replica_state *out, rds_error *err);

/* ---- fault injection (sv_fault.c; engine/faults/ decides what and when) ------------------
 * Which postgres of an instance a fault hits: its primary, or its Multi-AZ standby. */
typedef enum sv_fault_node { SV_NODE_PRIMARY, SV_NODE_STANDBY } sv_fault_node;

/* SIGKILL of the node's postmaster (its children die with it or are cleaned up by the
 * restart). The instance is not marked busy: the monitor reacts as to a real crash (crash
 * restart, or the Multi-AZ failover). *pid_out (may be NULL) receives the killed pid.
 * Errors: DB_INSTANCE_NOT_FOUND (unknown key), INVALID_DB_INSTANCE_STATE (the node does not
 * run), INTERNAL_FAILURE. */
int sv_fault_kill(sv_supervisor *sv, const char *key, sv_fault_node node, int *pid_out, rds_error *err);

/* freeze: SIGSTOP of the node's postmaster, then of every child it has (the server stops
 * answering; TCP connects still complete in the kernel's backlog). !freeze: SIGCONT of every
 * process running under the instance's directory (either node). Errors as sv_fault_kill. */
int sv_fault_freeze(sv_supervisor *sv, const char *key, sv_fault_node node, bool freeze, rds_error *err);

/* Turns the storage-full fault on or off: rewrites rdslocal.conf (rdslocal_guard.storage_full)
 * and, if the server runs, reloads it and returns once the postmaster has read it. While on,
 * writes fail with PostgreSQL's "could not extend file ...: No space left on device"; reads
 * work. The flag lives in the supervisor only (a new rdslocal starts without it).
 * Errors: DB_INSTANCE_NOT_FOUND, INTERNAL_FAILURE (no reload within 5 s, e.g. a frozen server). */
int sv_fault_storage_full(sv_supervisor *sv, const char *key, bool full, rds_error *err);

#endif
