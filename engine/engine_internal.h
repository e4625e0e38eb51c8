/* engine_internal.h: state and helpers shared by the engine's files (engine/core and one
 * folder per resource family: instances, subnet_groups, tags, events, catalog). Not part
 * of the public API; only the engine (and its own tests) include it. This is the one
 * place where the engine meets rules.h, store.h and supervisor.h. */
#ifndef RDSLOCAL_ENGINE_INTERNAL_H
#define RDSLOCAL_ENGINE_INTERNAL_H

#include "rdslocal/engine.h"
#include "rdslocal/rules.h"
#include "rdslocal/store.h"
#include "rdslocal/supervisor.h"

#include <pthread.h>

enum { ENGINE_LOCK_STRIPES = 64 };

struct engine {
    engine_config cfg;          /* strings owned (strdup'd) */
    char *db_path;
    pthread_key_t store_key;    /* per-thread store connection */
    sv_supervisor *sv;          /* NULL only if it could not start (then every create fails) */
    pthread_mutex_t stripes[ENGINE_LOCK_STRIPES]; /* per-resource operation locks */
    pthread_mutex_t port_mu;    /* port choice + row insert */
    pthread_t worker;
    bool worker_started;
    pthread_mutex_t worker_mu;
    pthread_cond_t worker_cv;
    bool stopping;
    int64_t last_tick_ms;
    int lock_fd;                /* flock on <state_dir>/rdslocal.lock: one rdslocal per state dir */
    char **quarantined;         /* entries of <state_dir>/quarantine/ at open (full paths), sorted */
    size_t n_quarantined;
    int64_t last_model_tick_ms; /* model time of the previous tick (worker_mu): a clock jump
                                 * over a maintenance window still applies pending changes */
    unsigned char kms_master[32]; /* <state_dir>/kms/master.key once loaded (kms/kms_crypto.c) */
    bool kms_master_loaded;
    bool kms_reconciled;        /* first tick checked instances of unusable keys (kms/kms.c) */
    /* fault injection (faults/) */
    struct engine_faults *faults; /* active faults and experiments; made on first use */
    /* ---- automated backups (autobackup) ---- */
    pthread_t autobackup_thread; /* takes the due backups off the worker thread (take.c) */
    bool autobackup_started;     /* the thread exists (joined at close or before the next) */
    bool autobackup_busy;        /* it has not finished yet (worker_mu) */
    bool autobackup_reconciled;  /* first tick: backups cut off by a kill are due again */
};

/* ---- connections and locks (core/op.c) ---- */

/* The calling thread's store connection (opened on first use). NULL + err on failure. */
store *engine__store(engine *e, rds_error *err);
/* The lock protecting one resource's operations, by region, kind (ARN resource type, e.g.
 * "db") and name. Locks are striped: two resources may share one, so never hold two. */
pthread_mutex_t *engine__resource_lock(engine *e, const char *region, const char *kind, const char *name);
/* The lock of one DB instance (engine__resource_lock for kind "db"). */
pthread_mutex_t *engine__instance_lock(engine *e, const char *region, const char *id);
/* Lock bookkeeping for asserts: the calling thread holds exactly one resource lock while
 * an operation runs (engine__run, the worker). */
void engine__lock(pthread_mutex_t *mu);
void engine__unlock(pthread_mutex_t *mu);
bool engine__lock_held(void);

/* ---- the operation runner (core/op.c) ----
 * Every mutating operation has the same skeleton; the steps it needs are callbacks, the
 * order and the lock/transaction handling live in engine__run only:
 *   check_input  inputs alone (no lock, no store reads)       -> error: nothing happened
 *   [lock the resource named by kind/name, if any]
 *   load         read what the operation acts on
 *   check        refuse on the resource's state
 *   decide       compute the new state in memory (rules), no writes
 *   act          supervisor work that must succeed before anything is recorded
 *   write        store writes and events, inside ONE transaction (begun and committed
 *                by the runner; rolled back on failure)
 *   after        after the commit: follow-up process work, the response view
 *   [unlock]
 * Any step may be NULL. A step returns 0, or -1 with err filled; the run stops there. A
 * step that finds nothing to do sets op->done: the run ends there, successfully. A step may
 * also clear a later step (decide choosing between alternatives; no write: no transaction).
 * AWS: a failed request changes nothing, so every refusal belongs before `write`. */
typedef struct engine_op engine_op;
typedef int engine_op_step(engine_op *op, rds_error *err);
struct engine_op {
    engine_req *r;
    const char *kind;           /* ARN resource type of the locked resource ("db"); NULL: no lock */
    const char *name;           /* its name (set by check_input at the latest) */
    void *ctx;                  /* the operation's own state */
    engine_op_step *check_input, *load, *check, *decide, *act, *write, *after;
    store *s;                   /* set by the runner before the first step */
    bool done;                  /* set by a step: nothing (more) to do */
};
int engine__run(engine_op *op, rds_error *err);
/* Runs fn(op, err) in a transaction of its own (for an `after` step that must record the
 * outcome of process work, as create does). */
int engine__tx(engine_op *op, engine_op_step *fn, rds_error *err);

/* The worker thread's body (core/worker.c); arg is the engine. */
void *engine__worker_main(void *arg);

/* ---- resource registry (core/registry.c) ----
 * One row per resource family: its ARN resource type, its DescribeEvents SourceType, and
 * how to find one by name. ARN resolution (tags), tag clean-up and events go through it;
 * a new family adds one line to core/kinds.def. */
typedef struct engine_kind {
    const char *arn_type;       /* "db", "subgrp" */
    const char *source_type;    /* "db-instance"; NULL: the family emits no events */
    /* 0 if a resource of that name exists in the request's region; else -1 with the
     * family's not-found error. */
    int (*exists)(engine_req *r, store *s, const char *name, rds_error *err);
} engine_kind;
#define ENGINE_KIND(name) extern const engine_kind engine__kind_##name;
#include "core/kinds.def"
#undef ENGINE_KIND
/* The family with that ARN resource type; NULL if none. */
const engine_kind *engine__kind_by_arn_type(const char *arn_type);
/* ARN of a resource of kind k: arn:aws:rds:<region>:<account>:<type>:<name>, in arena a. */
const char *engine__arn(engine *e, arena *a, const char *region, const char *type, const char *name);
const char *engine__kind_arn(engine *e, arena *a, const engine_kind *k, const char *region, const char *name);
/* Forgets everything kept about a resource besides its row (its tags), inside the
 * caller's transaction. */
int engine__forget(engine *e, store *s, arena *a, const engine_kind *k, const char *region,
                   const char *name, rds_error *err);

/* ---- events (events/events.c) ---- */

/* Records an event of a resource of kind k (inside the caller's transaction). */
int engine__event_for(engine *e, store *s, const engine_kind *k, const char *region, const char *name,
                      rules_event_id id, const char *arg, rds_error *err);
/* Records an event of an instance (inside the caller's transaction). */
int engine__event(engine *e, store *s, const db_instance *d, rules_event_id id, const char *arg,
                  rds_error *err);

/* ---- instances (instances/) used by core ---- */

/* Fills a view (ARN, shown status, tags, subnet details) for an instance read from the store.
 * with_tags false leaves the tags for the caller to fill (batched Describe). */
int engine__instance_view_ex(engine_req *r, store *s, db_instance *d, bool with_tags,
                             instance_view *out, rds_error *err);
#define engine__instance_view(r, s, d, out, err) engine__instance_view_ex(r, s, d, true, out, err)
/* Status shown now: the transitional one while realistic timing keeps it, else the settled one. */
const char *engine__shown_status(const db_instance *d, int64_t now_ms);
/* A supervisor spec for an instance (key, major, port, sizing). Its strings live in
 * arena a (or in d), so specs of several instances can be held at once. */
sv_instance_spec engine__spec(arena *a, const db_instance *d);
/* Sets the settled status plus, with realistic timing, the transitional one to show. */
void engine__set_status(engine *e, db_instance *d, const char *settled, const char *transitional);
/* A KMS key became unusable (disabled, pending deletion): its instances become
 * inaccessible-encryption-credentials-recoverable (servers stopped). Call with no lock held,
 * after the key's change committed (instances/encryption.c). */
void engine__instances_key_unusable(engine_req *r, const char *key_arn);
/* The recovery period of an inaccessible-encryption-credentials-recoverable instance ended:
 * the terminal inaccessible-encryption-credentials, with its event (worker, in its tx). */
int engine__instances_kms_expire(engine *e, store *s, db_instance *d, rds_error *err);
/* Applies pending modifications of one instance (maintenance window reached). Caller holds
 * the instance's lock (worker thread). */
int engine__apply_pending(engine *e, store *s, arena *a, db_instance *d, rds_error *err);

/* ---- snapshots (snapshots/) used by other families ----
 * A manual snapshot taken by an operation that holds an instance's lock (DeleteDBInstance
 * with FinalDBSnapshotIdentifier, StopDBInstance with DBSnapshotIdentifier), in three
 * steps that fit engine_op: prepare (check/decide: the id is free, the quota, the row),
 * files (act: the supervisor copies the data; nothing in API-only mode), record (write:
 * inside the caller's transaction, the row, the instance's tags if CopyTagsToSnapshot, the
 * events). discard_files undoes `files` when a later step fails. */
typedef struct engine_snap_take {
    db_snapshot *snap;
    const char *arn;
    bool files_made;
} engine_snap_take;
/* param names snap_id in errors ("FinalDBSnapshotIdentifier"); snap_id is checked and
 * lower-cased. */
int engine__snapshot_prepare(engine_req *r, store *s, const db_instance *d, const char *param,
                             const char *snap_id, engine_snap_take *t, rds_error *err);
int engine__snapshot_files(engine_req *r, store *s, const db_instance *d, engine_snap_take *t, rds_error *err);
int engine__snapshot_record(engine_req *r, store *s, const db_instance *d, const tag_list *tags,
                            engine_snap_take *t, rds_error *err);
void engine__snapshot_discard_files(engine *e, engine_snap_take *t);
/* A restore of a new instance that shares RestoreDBInstanceFromDBSnapshot's rules (the row
 * from a base snapshot's settings plus the request's overrides, the claim, the settle) but
 * picks its base and makes its server otherwise (pitr: RestoreDBInstanceToPointInTime).
 * Hooks: check_input (may be NULL; the target id is op->name), load_base (the base
 * snapshot, under the target's lock), check (may be NULL), server (act: makes the server
 * of spec, the base's files decrypted with crypt), settled (write: the events besides
 * "created"). arg is passed to each. */
typedef struct engine_restore_variant {
    int (*check_input)(engine_op *op, void *arg, rds_error *err);
    int (*load_base)(engine_op *op, void *arg, db_snapshot **snap, rds_error *err);
    int (*check)(engine_op *op, void *arg, rds_error *err);
    int (*server)(engine_op *op, void *arg, const db_snapshot *base, const sv_snapshot_crypt *crypt,
                  const sv_instance_spec *spec, rds_error *err);
    int (*settled)(engine_op *op, void *arg, const db_instance *d, rds_error *err);
    void *arg;
} engine_restore_variant;
int engine__restore_instance_variant(engine_req *r, const restore_instance_in *in, const engine_restore_variant *v,
                                     instance_view *out, rds_error *err);
/* Start-up reconcile and admin reset of snapshot files and rows (core/engine.c). */
int engine__snapshots_reconcile(engine *e, store *s, rds_error *err);
void engine__snapshots_remove_all_files(engine *e, store *s);
/* ---- KMS (kms/) used by other families ---- */

/* Resolves a KmsKeyId as RDS takes it -- key id, key ARN, alias name ("alias/x") or alias
 * ARN -- in the request's region. ref NULL or "": the AWS managed key alias/aws/rds of the
 * region, created on first use (inside the caller's transaction, as AWS does). On success
 * *key_arn is the KEY's ARN (arn:aws:kms:<region>:<account>:key/<uuid>, never the alias)
 * in r->a. Errors: KMSKeyNotAccessibleFault (RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT, 400) when the
 * key does not exist in that region, is disabled or pending deletion. */
int engine__kms_usable_key(engine_req *r, store *s, const char *ref, const char **key_arn,
                           rds_error *err);

/* The key state of key_arn: "Enabled", "Disabled", "PendingDeletion", or NULL when no such
 * key exists (any more). In arena a. */
int engine__kms_key_state(engine *e, store *s, arena *a, const char *key_arn,
                          const char **state, rds_error *err);

/* 0 if the key key_arn names is Enabled; else KMSKeyNotAccessibleFault with the wording of
 * engine__kms_usable_key (the state, or "gone", in the detail). */
int engine__kms_arn_usable(engine *e, store *s, arena *a, const char *key_arn, rds_error *err);

/* True if key_arn is an AWS managed key (alias aws/rds): such a snapshot cannot be shared. */
bool engine__kms_is_aws_managed(engine *e, store *s, arena *a, const char *key_arn);

/* Envelope encryption for snapshot files: a new random 32-byte data key under key_arn
 * (which must be usable: else KMSKeyNotAccessibleFault). plain32 receives the plaintext
 * key; *blob / *blob_n the wrapped key (a KMS ciphertext blob, self-describing: it names the
 * key) in arena a. */
int engine__kms_new_data_key(engine *e, store *s, arena *a, const char *key_arn,
                             unsigned char plain32[32], unsigned char **blob, size_t *blob_n,
                             rds_error *err);

/* Unwraps a blob made by engine__kms_new_data_key (or KMS GenerateDataKey). The key it names
 * must exist and be usable: else KMSKeyNotAccessibleFault. *key_arn (may be NULL) receives
 * the key's ARN. A damaged blob: KMSKeyNotAccessibleFault too (detail says why). */
int engine__kms_open_data_key(engine *e, store *s, arena *a, const unsigned char *blob,
                              size_t blob_n, unsigned char plain32[32], const char **key_arn,
                              rds_error *err);

/* Deletes the keys whose deletion date has come (engine_tick); at the first tick after
 * open, also applies unusable keys to instances that missed it (a crash in between). */
void engine__kms_tick(engine *e, store *s, arena *a);
/* ---- DB log files (logs/logs.c) ---- */
/* Worker tick: removes log files past rds.log_retention_period (default 4320 minutes). */
void engine__logs_tick(engine *e, store *s, arena *a);

/* ---- secrets: Secrets Manager (secrets/ and kms/) used by other families ---- */

/* Seals plain under the KMS key ref names (key id, ARN, alias, alias ARN; NULL or "": the
 * region's AWS managed key alias/aws/secretsmanager, created on first use). *key_arn gets
 * the key's ARN. Errors are KMS's (NotFoundException, DisabledException,
 * KMSInvalidStateException): the caller words them as its service does. */
int engine__kms_seal(engine_req *r, store *s, const char *ref, const unsigned char *plain, size_t n,
                     unsigned char **blob, size_t *blob_n, const char **key_arn, rds_error *err);
/* Opens a blob of engine__kms_seal: its key must exist and be Enabled (KMS's errors). */
int engine__kms_unseal(engine_req *r, store *s, const unsigned char *blob, size_t blob_n, unsigned char **plain,
                       size_t *plain_n, rds_error *err);
/* The secret RDS keeps a managed master password in (rds!db-<uuid>): created with the
 * instance's username and password, sealed under kms_ref (NULL: aws/secretsmanager),
 * inside the caller's transaction. *secret_arn and *key_arn in r->a. */
int engine__secret_rds_create(engine_req *r, store *s, const char *instance_arn, const char *username,
                              const char *password, const char *kms_ref, const char **secret_arn,
                              const char **key_arn, rds_error *err);
/* A rotation in two steps, so a crash between the server's change and the secret's cannot
 * lose the password: before the server changes, the new credentials are staged as the
 * secret's AWSPENDING version (committed); engine__secret_rds_rotate then promotes it. A
 * staged version left by a crash is finished by engine__mmp_finish_pending (tick). */
int engine__secret_rds_stage(engine_req *r, store *s, const char *secret_arn, const char *username,
                             const char *password, rds_error *err);
/* Removes the AWSPENDING label (the server's change failed). */
int engine__secret_rds_unstage(engine_req *r, store *s, const char *secret_arn, rds_error *err);
/* The password of the staged (AWSPENDING) version, or NULL (none, or err set). */
const char *engine__secret_rds_pending(engine_req *r, store *s, const char *secret_arn, rds_error *err);
/* Sets the server's password to the staged one and promotes it, under the instance's lock
 * (the instance must be running; else nothing happens). */
int engine__mmp_finish_pending(engine_req *r, const char *instance_id, rds_error *err);
/* A new AWSCURRENT version of an RDS secret holding password (the old one AWSPREVIOUS): the
 * staged AWSPENDING version when it holds the same credentials, else a new one. */
int engine__secret_rds_rotate(engine_req *r, store *s, const char *secret_arn, const char *username,
                              const char *password, rds_error *err);
/* The RDS secret goes: force true deletes it at once (management turned off), else its
 * deletion is scheduled after the 7-day window (the instance was deleted). */
int engine__secret_rds_drop(engine_req *r, store *s, const char *secret_arn, bool force, rds_error *err);
/* Managed master passwords of NEW instances (instances/managed_password.c), the one step
 * CreateDBInstance, RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime
 * share: check_input -> engine__mmp_new_check (the combinations AWS refuses; on success
 * m->password is the generated password when managed), write -> engine__mmp_new_write
 * (the secret, in the op's transaction; sets d->master_secret_*), and for restores, once
 * the server runs, engine__mmp_new_server (the restored server gets the new password). */
typedef struct engine_mmp {
    bool on;                    /* ManageMasterUserPassword=true */
    const char *password;       /* the generated password (on) */
    const char *kms_key_id;     /* MasterUserSecretKmsKeyId (NULL: aws/secretsmanager) */
} engine_mmp;
int engine__mmp_new_check(arena *a, opt_bool manage, const char *password_given, const char *kms_key_id,
                          engine_mmp *m, rds_error *err);
int engine__mmp_new_write(engine_op *op, db_instance *d, const char *instance_arn, const engine_mmp *m,
                          rds_error *err);
int engine__mmp_new_server(engine_op *op, const db_instance *d, const engine_mmp *m, rds_error *err);
/* The new instance's server could not be made: its secret goes too (own transaction). */
void engine__mmp_new_undo(engine_op *op, const db_instance *d);
/* A strong random master password (RDS's length, no characters RDS refuses), in a. */
const char *engine__secret_new_password(arena *a);
/* Deletes the secrets whose recovery window ended and rotates the RDS-owned secrets whose
 * rotation schedule has come (engine_tick). */
void engine__secrets_tick(engine *e, store *s, arena *a);
/* Rotates an RDS-owned secret through its instance (ModifyDBInstance
 * RotateMasterUserPassword): takes the instance's lock, so the caller holds none. */
int engine__secret_rds_rotate_now(engine_req *r, const sm_secret *sec, rds_error *err);

/* ---- parameter groups (parameter_groups/) used by other families ---- */

/* The value parameter `name` (as in DescribeDBParameters: "rds.log_retention_period",
 * "log_min_duration_statement") has for instance d now: its parameter group's value, else
 * the engine default. NULL: no value known (the caller uses its own default). In arena a. */
const char *engine__instance_param(engine *e, store *s, arena *a, const db_instance *d, const char *name);
/* params: an instance's group settings. check_group resolves CreateDBInstance's /
 * ModifyDBInstance's DBParameterGroupName (NULL: the family's default) for an instance of
 * that major (DBParameterGroupNotFound; another family: InvalidParameterCombination), in
 * *name. init_instance sets what a new instance runs with; switch_group (modify) sets the
 * new group, its settings wait for a reboot (pending-reboot); reboot restarts the server
 * with all the group's settings (API-only mode: records them), falling back to the
 * previous ones if it cannot start with them. spec_conf / spec_force_ssl fill a spec. */
int engine__params_check_group(engine_req *r, store *s, const char *want, const char *major,
                               const char **name, rds_error *err);
int engine__params_init_instance(engine_req *r, store *s, db_instance *d, rds_error *err);
int engine__params_switch_group(engine_req *r, store *s, db_instance *d, const char *group, rds_error *err);
int engine__params_reboot(engine_req *r, store *s, db_instance *d, rds_error *err);
/* params: an OptionGroupName for an instance of that major (NULL: the default group),
 * OptionGroupNotFoundFault when none, in *name. */
int engine__options_check_group(engine_req *r, store *s, const char *want, const char *major,
                                const char **name, rds_error *err);
const char *engine__params_spec_conf(arena *a, const db_instance *d);
bool engine__params_spec_force_ssl(const db_instance *d, const sv_instance_spec *spec);

/* ---- automated backups (automated_backups/, autobackup) ---- */

/* The automated backup of an instance (instance_id: the live instance's, else the newest
 * retained one of that id), of a resource id, or of an auto-backup ARN (the first given
 * wins), with the instance's current values when active. DBInstanceAutomatedBackupNotFound
 * (404) when none. */
int engine__autobackup_find(engine_req *r, store *s, const char *instance_id, const char *resource_id,
                            const char *arn, db_automated_backup *out, rds_error *err);
/* The newest automated snapshot of resource_id that is a consistent base for the real
 * instant target_real_ms (consistent_real_ms <= target). InvalidRestoreFault when none. */
int engine__autobackup_base_for(engine_req *r, store *s, const char *resource_id, int64_t target_real_ms,
                                db_snapshot *out, rds_error *err);
/* RestoreWindow of a backup row (as engine__autobackup_find returns it), rdslocal clock. */
int engine__autobackup_window(engine_req *r, store *s, const db_automated_backup *b, int64_t *earliest_ms,
                              int64_t *latest_ms, rds_error *err);
/* The worker's pass (engine_tick): due backups are taken, expired ones removed. On the
 * worker thread the backups run on a thread of their own (a long pg_basebackup must not hold
 * up supervisor reports and WAL shipping); elsewhere (the admin clock advance) inline, so
 * the advance returns once the backups it made due are taken. */
void engine__autobackup_tick(engine *e, store *s, arena *a);
/* engine_close: waits for a backup in progress. */
void engine__autobackup_stop(engine *e);
/* Status an instance view shows: with --realistic-timing, "backing-up" while its first
 * automated backup is due, and while any automated backup runs; else `shown`. */
const char *engine__autobackup_shown_status(const engine *e, const db_instance *d, const char *shown);
/* ModifyDBInstance changed the retention of `before` into d (inside its transaction):
 * 0 -> stops backups and deletes the automated ones; 0 -> N: the first backup is due now;
 * N -> M: the row follows. */
int engine__autobackup_modified(engine *e, store *s, arena *a, const db_instance *before, db_instance *d,
                                rds_error *err);
/* DeleteDBInstance (inside its transaction): keep true (DeleteAutomatedBackups=false) retains
 * the instance's automated backups, else they go with it. */
int engine__autobackup_instance_deleted(engine *e, store *s, arena *a, const db_instance *d, bool keep,
                                        rds_error *err);

/* ---- WAL archive and point-in-time restore (pitr/, pitr) ---- */

/* rdslocal's clock <-> real instants (pitr/clock.c): every clock advance is recorded; a
 * model instant the clock jumped over maps to the real moment of the jump. */
int64_t engine__clock_real_of(engine *e, store *s, int64_t model_ms);
int64_t engine__clock_model_of(engine *e, store *s, int64_t real_ms);
/* Records one advance (engine_clock_advance, inside its transaction). */
int engine__pitr_clock_record(engine *e, store *s, int64_t real_ms, int64_t offset_before, int64_t offset_after,
                              rds_error *err);
/* Removes the archived WAL of resource_id older than before_real_ms (a base that started
 * then needs none of it). No supervisor / API-only mode: 0. */
int engine__pitr_prune(engine *e, const char *resource_id, int64_t before_real_ms, rds_error *err);
/* Deletes all the archived WAL of resource_id. */
int engine__pitr_forget(engine *e, const char *resource_id, rds_error *err);
/* True if instance d archives its WAL (spec.archive_wal): retention > 0. */
bool engine__pitr_archives(const db_instance *d);
/* The worker's pass (a few times a second): ships every archiving instance's WAL and keeps
 * its LatestRestorableTime. */
void engine__pitr_poll(engine *e);
/* LatestRestorableTime to show for d now (model ms): the stored value, or the clock's now
 * while its archive is caught up (idle). */
int64_t engine__pitr_latest(engine *e, store *s, const db_instance *d);
/* Admin reset: every archive and the in-memory state go. */
void engine__pitr_reset(engine *e);

/* ---- Multi-AZ (instances/multiaz.c) ---- */
/* In the worker's transaction on d: records an automatic failover the supervisor reported
 * (SV_EV_FAILOVER_STARTED: events 0013 + the reason; _COMPLETED: AZs swapped, event 0049).
 * Other kinds: nothing. */
int engine__multiaz_sv_event(engine *e, store *s, db_instance *d, const sv_event *ev, rds_error *err);

/* ---- read replicas (replicas/) used by other families ---- */

/* The replica fields of a view (its source, its replicas, StatusInfos with the lag measured
 * now), for instances.c's view. Lowers r->valid_until_ms when the view shows live state. */
int engine__replica_view(engine_req *r, store *s, const db_instance *d, instance_view *out, rds_error *err);
/* ModifyDBInstance's refusals for replicas and their sources (modify.c, in check): a master
 * password change on a replica; backups turned off on a source with replicas; backups on a
 * replica. */
int engine__replica_check_modify(engine_req *r, store *s, const db_instance *d, const modify_instance_in *in,
                                 rds_error *err);
/* After a source's port changed (modify.c, no lock held): its running replicas rewrite
 * primary_conninfo and reload (their WAL receivers reconnect to the new port). */
void engine__replicas_follow(engine *e, const char *source_resource_id);
/* StopDBInstance's refusal (lifecycle.c): AWS does not stop a read replica or an instance
 * that has read replicas (user guide, stopping a DB instance: limitations). */
int engine__replica_check_stop(store *s, arena *a, const db_instance *d, rds_error *err);
/* After an instance was deleted (no lock held): its replicas become standalone, as RDS
 * for PostgreSQL does. Also run by the worker for replicas whose source is gone. */
void engine__replicas_orphaned(engine *e, const char *source_resource_id);
/* ---- fault injection (faults/) ---- */

/* Worker loop: starts (once) the faults timer thread, which ends faults whose time is up
 * (or whose storage grew), starts experiment steps that are due and, first, turns instances
 * a killed rdslocal left in storage-full back to available. Cheap after the first call. */
void engine__faults_tick(engine *e);
/* Ends every active fault and forgets faults and experiments (engine_reset). */
void engine__faults_reset(engine *e);
/* engine__faults_reset, then frees the table (engine_close, after the worker stopped). */
void engine__faults_close(engine *e);

#endif
