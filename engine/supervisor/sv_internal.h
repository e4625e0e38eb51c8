/* sv_internal.h: private to engine/supervisor. The supervisor and instance records, and
 * the helpers shared between its files (sv__ prefix): process spawning and /proc
 * inspection (sv_proc.c), file-tree copy/removal (sv_files.c), templates and the spare
 * pool (sv_template.c), instance start/stop (sv_instance.c), monitoring and reconcile
 * (sv_monitor.c).
 *
 * Locking: sv->mu protects the instance table, every sv_inst field except the paths and
 * key (immutable after insert), the event ring and the background-thread flags. An
 * operation on an instance sets inst->busy under sv->mu, works without the lock, then
 * clears busy and broadcasts sv->cv; other operations on the same key wait for that. */
#ifndef RDSLOCAL_SV_INTERNAL_H
#define RDSLOCAL_SV_INTERNAL_H

#include "rdslocal/supervisor.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#define SV_PATH 1024
#define SV_MAX_VERSIONS 16
#define SV_EVENT_RING 256
#define SV_ADMIN_USER "rdsadmin"
#define SV_SPARE_DB "rdslocal_spare_db" /* in the template; renamed to DBName or dropped at create */
#define SV_CRASH_WINDOW_MS 60000
#define SV_CRASH_LIMIT 3
#define SV_START_TIMEOUT_MS 60000
#define SV_STOP_TIMEOUT_MS 30000

typedef enum inst_state {
    IS_STOPPED, /* no postmaster (never started, stopped on purpose, or crashed and waiting for a restart) */
    IS_RUNNING, /* postmaster up: started by us (is_child) or adopted */
    IS_FAILED   /* crash loop or failed restart: left stopped until started again */
} inst_state;

typedef struct sv_inst {
    char key[64];
    char major[8];
    char dir[SV_PATH];   /* <state>/instances/<key> */
    char data[SV_PATH];  /* <dir>/data */
    char sock[SV_PATH];  /* unix socket dir: <dir>/sock, or the short fallback in /tmp */
    int port, max_connections, shared_buffers_mb;
    bool force_ssl;      /* TCP clients need SSL (rds.force_ssl): hostssl lines in pg_hba.conf */
    pid_t pid;           /* postmaster, 0 when none */
    bool is_child;       /* we forked it: reap with waitpid(pid); else adopted: poll kill(pid, 0) */
    inst_state state;
    bool busy;           /* an operation is in flight; sv_poll skips the instance */
    bool deleted;        /* removed from the table; freed by whoever clears busy */
    int64_t crash_at_ms[SV_CRASH_LIMIT]; /* recent unexpected exits, newest last */
    int ncrash;
    /* TLS (sv_tls.c) */
    char ca_id[32];      /* the CA signing its server certificate; "": ssl off */
    char tls_host[256];  /* the endpoint address its certificate names (with 127.0.0.1) */
    /* params: the parameter group's conf lines (spec.param_conf), written by sv__conf_params */
    char param_conf[SV_PARAM_CONF_MAX];
    /* WAL archive and PITR (pitr, sv_wal.c / sv_pitr.c) */
    bool archive_wal;            /* archive_command copies finished segments into <dir>/walout */
    char pitr_stage[SV_PATH];    /* during a point-in-time restore: the staged WAL dir; "" otherwise */
    char pitr_target[48];        /* its recovery_target_time ("" = replay all the staged WAL) */
    /* Multi-AZ standby (sv_standby.c) */
    bool multi_az;        /* from the spec: keep a synchronous standby */
    bool sb_node;         /* this record is a view of the standby node, made for sv_conf.c */
    char sb_sock[SV_PATH];/* the standby's socket dir (in a standby-node view: the primary's) */
    pid_t sb_pid;         /* standby postmaster, 0 when none */
    bool sb_is_child;     /* we forked it (reap with waitpid) */
    bool sb_sync;         /* synchronous_standby_names is set on the primary */
    bool sb_cut;          /* replication cut on request (sv_standby_cut) */
    int hang_misses;      /* consecutive primary health checks without an answer */
    int64_t next_ping_ms; /* monotonic ms of the next health check */
    int64_t next_rebuild_ms; /* monotonic ms before which no new standby rebuild starts */
    /* read replicas (sv_replica.c) */
    char replica_of[64]; /* source key; "" when not a replica */
    /* fault injection (sv_fault.c) */
    bool fault_storage_full; /* rdslocal_guard.storage_full = on in rdslocal.conf */
    bool sb_pinging;      /* a health-check thread of this instance is in flight (sv_failover.c) */
    uint64_t sb_ping_id;  /* which one: it clears sb_pinging only if this is still its id */
    bool sb_promoting;    /* the next conf written is the failover start's (sv_failover.c) */
} sv_inst;

typedef struct sv_major {
    sv_engine_version v;
    pthread_mutex_t build_mu; /* one builder per process; flock for other processes */
    bool ready;               /* <template_dir>/<major> exists and is complete */
} sv_major;

struct sv_supervisor {
    char state_dir[SV_PATH], template_dir[SV_PATH], instances_dir[SV_PATH], spare_dir[SV_PATH];
    char guard_lib[SV_PATH];  /* <state_dir>/lib/rdslocal_guard.so: our copy of the guard module,
                                 preloaded by every instance (see sv_guard.c) */
    char guard_major[8];      /* the PostgreSQL major the module is built for; "" in versions_only
                                 mode (no instance runs). Other majors are not offered */
    bool as_root;             /* children run as pg_uid/pg_gid and dirs are chowned to them */
    uid_t pg_uid;
    gid_t pg_gid;
    int spare_pool;

    sv_major majors[SV_MAX_VERSIONS];
    sv_engine_version versions[SV_MAX_VERSIONS]; /* copy of majors[i].v for sv_engine_versions */
    size_t nmajors;

    pthread_mutex_t mu;
    pthread_cond_t cv;        /* an instance's busy flag cleared; restart threads count changed */
    sv_inst **insts;
    size_t ninsts, cap;

    sv_event ring[SV_EVENT_RING];
    size_t ring_head, ring_len;

    pthread_t bg;
    bool bg_started;
    pthread_cond_t bg_cv;     /* wakes the background thread */
    bool bg_kick;             /* a spare was taken or a template is wanted */
    volatile bool closing;    /* read without the lock by long copies to abort early */
    int restarts_in_flight;   /* detached restart threads still running */
    unsigned spare_seq;
    /* TLS (sv_tls.c) */
    struct sv_tls *tls;       /* the CAs under <state>/certs; NULL before sv__tls_init */
    /* Multi-AZ (sv_standby.c) */
    pthread_t sb_keeper;      /* health checks of Multi-AZ instances */
    bool sb_keeper_started;
    volatile bool sb_closing;
};

/* ---- sv_proc.c ---- */
/* Forks and execs argv (argv[0] an absolute path). stdout+stderr go to out_path (appended,
 * created 0600) or /dev/null; stdin from in_fd or /dev/null. The child gets a new session,
 * default signals, no inherited fds, cwd "/", and runs as pg_uid when sv->as_root. */
pid_t sv__spawn(const sv_supervisor *sv, char *const argv[], const char *out_path, int in_fd,
                rds_error *err);
/* As sv__spawn with the child's stdout, stderr and stdin given as fds (the caller keeps
 * and closes them; they should be O_CLOEXEC so other children do not inherit them). */
pid_t sv__spawn_fds(const sv_supervisor *sv, char *const argv[], int out_fd, int err_fd, int in_fd,
                    rds_error *err);
/* sv__spawn then waitpid; *status is the raw wait status. */
int sv__run(const sv_supervisor *sv, char *const argv[], const char *out_path, int in_fd,
            int *status, rds_error *err);
/* Runs argv and captures up to n-1 bytes of its stdout into buf. 0 if it exited 0. */
int sv__capture(const sv_supervisor *sv, char *const argv[], char *buf, size_t n, rds_error *err);
/* "exit status 1" / "signal 9 (Killed)" into buf. */
const char *sv__status_str(int status, char *buf, size_t n);
/* Exists and is not a zombie. */
bool sv__pid_alive(pid_t pid);
/* Children of ppid from /proc (unsorted). Returns count written. */
int sv__proc_children(pid_t ppid, int *out, int max);
/* Processes whose cwd is dir or under it. Returns count written. */
int sv__proc_by_cwd(const char *dir, int *out, int max);
/* Waits until pid is gone; own children are reaped (status stored in *status, -1 if
 * unknown). Returns true if gone before timeout_ms. */
bool sv__wait_gone(pid_t pid, bool is_child, int timeout_ms, int *status);
/* SIGKILLs every process whose cwd is under dir and waits (up to 5 s) for them to go. */
void sv__kill_all_under(const char *dir);
/* True if cfg's pg user can search (x) path: checked in a forked child running as it. */
bool sv__pg_can_traverse(const sv_supervisor *sv, const char *path);
void sv__sleep_ms(int ms);
int64_t sv__mono_ms(void);

/* ---- sv_conf.c ---- */
/* Writes <data>/rdslocal.conf and <data>/pg_hba.conf from in (base + the fragments of
 * conf_fragments.def). Called before every start. */
int sv__write_conf(sv_supervisor *sv, sv_inst *in, rds_error *err);
/* pg_conf_load_time() of the running server, as text ("" when it cannot be asked): a
 * reload has been read once it moves. */
void sv__conf_load_time(const sv_inst *in, char *buf, size_t n);
/* The base pg_hba.conf lines: rdsadmin over the private socket, then everyone over TCP
 * with scram-sha-256 (the template is built with the same lines). */
extern const char sv__hba_admin_lines[];
extern const char sv__hba_tcp_lines[];
/* The fragment functions conf_fragments.def names. */
#define SV_CONF_FRAGMENT(name) \
    int sv__conf_##name(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err);
#define SV_HBA_FRAGMENT(name) \
    int sv__hba_##name(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err);
#include "conf_fragments.def"
#undef SV_CONF_FRAGMENT
#undef SV_HBA_FRAGMENT

/* ---- sv_clone.c ---- */
/* Copies the running instance src into the new data dir dst (must not exist; its parent
 * must be traversable and writable by the pg user) with pg_basebackup -X stream -c fast
 * over src's private socket as rdsadmin. slot non-NULL: also creates that physical
 * replication slot on src (-C -S). Writes no standby settings. On failure dst is removed.
 * Caller holds src busy, or otherwise knows it runs. */
int sv__clone_running(sv_supervisor *sv, const sv_inst *src, const char *dst, const char *slot,
                      rds_error *err);

/* ---- sv_files.c ---- */
/* Makes <state>/quarantine and names a free place in it for what src holds:
 * <quarantine>/<prefix><name>-<UTC stamp>[-i]. Sets src (<root>/<name>) and to. */
int sv__quarantine_dest(sv_supervisor *sv, const char *root, const char *prefix, const char *name, char *src,
                        size_t src_n, char *to, size_t to_n, rds_error *err);
/* mkdir -p; directories it creates get mode and, if uid != (uid_t)-1, that owner. */
int sv__mkdirs(const char *path, mode_t mode, uid_t uid, gid_t gid, rds_error *err);
/* mkdir path (EEXIST ok), chmod mode, chown when uid != -1. */
int sv__mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid, rds_error *err);
/* Recursive copy (cp -a equivalent for regular files, dirs, symlinks), files chowned to
 * uid when uid != -1. dst must not exist. Aborts (-1) when *abort becomes true. */
int sv__copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid, const volatile bool *abort,
                  rds_error *err);
/* rm -rf; missing path is success. */
int sv__remove_tree(const char *path, rds_error *err);
/* Writes content to path atomically (tmp + rename), mode, chown when uid != -1. */
int sv__write_file(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid,
                   rds_error *err);
/* Copies the regular file src to dst atomically (tmp + rename), mode, owned by us. */
int sv__copy_file(const char *src, const char *dst, mode_t mode, rds_error *err);
/* Reads up to n-1 bytes; -1 if missing/unreadable. */
int sv__read_file(const char *path, char *buf, size_t n);
bool sv__is_dir(const char *path);
/* snprintf that reports truncation as an error. */
int sv__path(char *buf, size_t n, rds_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Last lines of a log file (at most n-1 bytes, newlines as " | ") for error details. */
void sv__log_tail(const char *path, char *buf, size_t n);

/* ---- sv_template.c ---- */
int sv__find_versions(sv_supervisor *sv, const char *extra_dirs, rds_error *err);
sv_major *sv__major(sv_supervisor *sv, const char *major);
/* Builds <template_dir>/<major> if missing (blocks; safe across threads and processes). */
int sv__template_ensure(sv_supervisor *sv, sv_major *m, rds_error *err);
/* Moves a spare data dir for m to dst (rename) or clones the template there. */
int sv__take_data_dir(sv_supervisor *sv, sv_major *m, const char *dst, rds_error *err);
int sv__bg_start(sv_supervisor *sv, rds_error *err);
void sv__bg_kick(sv_supervisor *sv);
void sv__bg_stop(sv_supervisor *sv);

/* ---- sv_instance.c ---- */
/* Table lookups/changes; caller holds sv->mu. */
sv_inst *sv__find(sv_supervisor *sv, const char *key);
sv_inst *sv__insert(sv_supervisor *sv, const char *key);
void sv__remove(sv_supervisor *sv, sv_inst *in);
/* Clears busy (holding sv->mu), frees a deleted record, broadcasts. */
void sv__release(sv_supervisor *sv, sv_inst *in);
/* Fills paths of a fresh record from its key. */
int sv__inst_paths(sv_supervisor *sv, sv_inst *in, rds_error *err);
int sv__validate_spec(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);
/* Writes conf and forks the postmaster (in->pid, is_child set). Caller owns busy. */
int sv__inst_spawn(sv_supervisor *sv, sv_inst *in, rds_error *err);
/* Polls readiness every 3 ms until accepting or the postmaster exits/timeout. */
int sv__inst_wait_ready(sv_supervisor *sv, sv_inst *in, rds_error *err);
/* Fast (SIGINT) or immediate (SIGQUIT) stop, escalating to SIGKILL of every process. */
void sv__inst_kill(sv_supervisor *sv, sv_inst *in, bool immediate);
/* Finds key (waiting while another operation holds it) or loads an instance directory
 * of an earlier run (adopting its live postmaster), and marks it busy. NULL with
 * DB_INSTANCE_NOT_FOUND if neither the table nor the disk has it. */
sv_inst *sv__get_inst(sv_supervisor *sv, const char *key, rds_error *err);
/* rdsadmin's connection over the instance's private socket to database postgres
 * (replication: a physical replication connection, for base backups). NULL with err set. */
struct pg_conn *sv__admin_conn(const sv_inst *in, bool replication, rds_error *err); /* a PGconn */
/* Copies major, port, max_connections and shared_buffers from spec. */
void sv__apply_spec(sv_inst *in, const sv_instance_spec *spec);
/* The first steps of making a new instance (create, restore): claims spec->key in the
 * table (busy), applies spec, sets its paths; its directory must not exist yet and its
 * port must be free. NULL (err set, nothing kept) otherwise. */
sv_inst *sv__inst_begin_new(sv_supervisor *sv, const sv_instance_spec *spec, rds_error *err);
/* The last step: rc 0, the instance runs; else its postgres is stopped, its directory
 * (made_dir) and socket dir removed, and the record dropped. Releases in; returns rc. */
int sv__inst_end_new(sv_supervisor *sv, sv_inst *in, int rc, bool made_dir);
/* Removes the instance's socket dir when it is one of /tmp/rdslocal-* (long state dirs). */
void sv__inst_remove_sock(sv_inst *in);
/* Sets in->state under sv->mu (RUNNING also clears the crash history). */
void sv__set_state(sv_supervisor *sv, sv_inst *in, inst_state st);
/* sv__release under sv->mu. */
void sv__release_locked(sv_supervisor *sv, sv_inst *in);
/* Reads data/postmaster.pid: a live postgres on this data dir → *pid and *port. */
bool sv__inst_find_running(sv_inst *in, pid_t *pid, int *port);

/* ---- sv_guard.c ---- */
/* Finds the rdslocal_guard module (next to the running binary, else the build output),
 * copies it to <state_dir>/lib/ where the pg user can read it and sets sv->guard_lib.
 * INTERNAL_FAILURE if it is missing: instances never run without it. */
int sv__guard_install(sv_supervisor *sv, rds_error *err);
/* True if the running postmaster of in preloads sv->guard_lib (asked over its socket as
 * rdsadmin); false if not, or if it cannot be asked. */
bool sv__guard_loaded(const sv_supervisor *sv, const sv_inst *in);

/* ---- sv_snapshot.c (shared with sv_snapshot_restore.c) ---- */
/* A snapshot's data read back as the plain tar stream: base.tar, or base.tar.enc through
 * the decryptor (sv_crypt.h). */
typedef struct sv__snap_source {
    int fd;
    struct sv_dec *dec;  /* NULL for a plain snapshot */
    unsigned char *buf;  /* read buffer of a plain one */
    const char *key;     /* snapshot key, for messages (borrowed) */
} sv__snap_source;
/* Validates snap_key ([A-Za-z0-9_.-], 1-200, not starting with '.'), makes
 * <state>/snapshots (0700, ours) and writes <state>/snapshots/<key> into dir (may be NULL).
 * INVALID_PARAMETER_VALUE for a bad key. */
int sv__snap_dirs(sv_supervisor *sv, const char *snap_key, char *dir, size_t n, rds_error *err);
/* Makes snapshots/.tmp-<pid>-<n>-<key> (0700, the pg user's as root). */
int sv__snap_tmpdir(sv_supervisor *sv, const char *snap_key, char *tmp, size_t n, rds_error *err);
/* Creates dir/name (O_EXCL, 0600, the pg user's as root); returns the fd or -1. */
int sv__snap_open_out(sv_supervisor *sv, const char *dir, const char *name, rds_error *err);
/* Opens the snapshot in dir. Encrypted without crypt->key, or a bad header:
 * INTERNAL_FAILURE ("snapshot <key> failed its integrity check" for the latter). */
int sv__snap_source_open(sv__snap_source *s, const char *dir, const char *snap_key,
                         const sv_snapshot_crypt *crypt, rds_error *err);
/* 1 with the next piece of the tar stream (lent until the next call), 0 at its verified
 * end, -1 on error (integrity failures carry the message above). */
int sv__snap_source_next(sv__snap_source *s, const unsigned char **p, size_t *n, rds_error *err);
void sv__snap_source_close(sv__snap_source *s);
int sv__snap_write_all(int fd, const unsigned char *p, size_t n, rds_error *err);
/* pipe with both ends O_CLOEXEC and a 1 MiB buffer. */
int sv__snap_pipe(int fds[2], rds_error *err);
/* waitpid(pid); INTERNAL_FAILURE "<what> failed" with the tail of logp unless it exited 0. */
int sv__snap_wait_child(pid_t pid, const char *what, const char *logp, rds_error *err);

/* ---- sv_tls.c ---- */
/* Allocates sv->tls for <state_dir>/certs (made 0700); background: a thread makes the
 * default and the ECDSA CA now if missing (joined by sv__tls_stop; RSA keygen aborts when
 * sv->closing is set). */
int sv__tls_init(sv_supervisor *sv, const char *state_dir, bool background, rds_error *err);
void sv__tls_stop(sv_supervisor *sv);
/* ---- sv_snapshot_restore.c (shared with sv_pitr.c) ---- */
/* sv_instance_restore with two hooks: staged(sv, in, arg) runs after the base is extracted
 * and before the first start (it may set recovery settings on in); ready(sv, in, arg) replaces
 * the default wait for the server (spawn included). NULL hooks: the plain snapshot restore. */
typedef int sv__restore_hook(sv_supervisor *sv, sv_inst *in, void *arg, rds_error *err);
int sv__instance_restore_ex(sv_supervisor *sv, const sv_instance_spec *spec, const char *snap_key,
                            const sv_snapshot_crypt *crypt, sv__restore_hook *staged, sv__restore_hook *ready,
                            void *arg, rds_error *err);

/* ---- sv_wal.c (shared with sv_pitr.c) ---- */
/* The archive's file holding the segment size in bytes (decimal text). */
#define SV_WAL_SEGSIZE_FILE "segment_size"
/* <state>/backups/<key>/wal into buf (the key is validated). */
int sv__wal_dir(sv_supervisor *sv, const char *key, char *buf, size_t n, rds_error *err);
/* ---- sv_standby.c, sv_failover.c (Multi-AZ) ---- */
/* sv_failover.c. Before sv__get_inst at reconcile: finishes or undoes a failover or standby rebuild that a
 * killed rdslocal left half done (<dir>/data missing but <dir>/standby present: the standby
 * becomes the primary; <dir>/old and <dir>/standby.new are removed), never two primaries. */
void sv__standby_fix_dirs(sv_supervisor *sv, const char *key);
/* After the primary (re)started or was adopted (busy held): adopts, starts or builds the
 * standby when in->multi_az, removes it otherwise, and waits until it is synchronous. */
int sv__standby_ensure(sv_supervisor *sv, sv_inst *in, rds_error *err);
/* Stops the standby (fast shutdown) and, with remove, deletes its files (busy held). */
void sv__standby_stop(sv_supervisor *sv, sv_inst *in, bool remove);
/* sv_failover.c. Caller holds sv->mu; in's primary is dead or hung and in is not busy: if it has a
 * standby, marks in busy, starts an automatic failover thread and returns true. */
bool sv__standby_failover_async(sv_supervisor *sv, sv_inst *in, const char *reason);
/* sv_failover.c. sv_close: stops the health-check thread, waits for failovers and rebuilds, stops standbys. */
void sv__standby_close(sv_supervisor *sv);
/* ---- sv_replica.c ---- */
/* Removes standby.signal and recovery.signal from a data dir copied from a read replica
 * (a snapshot of one): the copy then starts as a standalone primary once its backup's WAL
 * is replayed. Missing files are fine. */
int sv__replica_unmark(const char *data_dir, rds_error *err);

/* ---- sv_monitor.c ---- */
void sv__push_event(sv_supervisor *sv, sv_event_kind kind, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- sv_params.c (params) ---- */
/* Copies spec->param_conf into in->param_conf (too long: dropped, with a warning). */
void sv__params_apply_spec(sv_inst *in, const sv_instance_spec *spec);
/* ---- sv_fault.c ---- */
/* SIGCONT to every process under in->dir: before any stop or kill (a frozen postmaster
 * never acts on SIGINT/SIGQUIT). */
void sv__fault_thaw(sv_inst *in);
/* sv_open: SIGCONT to everything under instances/ and the storage-full line removed from
 * every rdslocal.conf (running servers reload): no fault outlives the rdslocal that made it. */
void sv__fault_startup(sv_supervisor *sv);
/* sv_close: SIGCONT to everything under instances/ before the shutdown. */
void sv__fault_shutdown(sv_supervisor *sv);

#endif
