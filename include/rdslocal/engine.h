/* engine.h: the façade the server calls, one function per operation, and the only
 * engine header the server may include (rules, store and supervisor are private to the
 * engine; the build enforces it). Each mutating operation runs the same steps: check the
 * input → lock the resource → load → check → decide (rules) → process work (supervisor)
 * → write (one store transaction) → build the response view.
 * Any HTTP thread may call these concurrently; each call uses the caller's arena for
 * its results and a per-thread store connection. Errors are AWS errors (rds_error). */
#ifndef RDSLOCAL_ENGINE_H
#define RDSLOCAL_ENGINE_H

#include "rdslocal/model.h"

typedef struct engine engine;

typedef struct engine_config {
    const char *state_dir;        /* created if missing */
    const char *default_region;   /* for requests without a credential scope */
    const char *account_id;       /* 12 digits, in ARNs */
    const char *endpoint_address; /* Endpoint.Address reported for instances ("localhost") */
    int port_min, port_max;       /* range for instance ports when the user gives none or 5432 is taken */
    bool no_engine;               /* API-only mode: no postgres processes */
    const char *pg_user;          /* OS user for postgres when running as root */
    const char *pg_bin_dirs;      /* extra postgres bin dirs (colon-separated) */
    const char *template_dir;     /* initdb template cache */
    int spare_pool;               /* pre-cloned data dirs per major */
    int64_t realistic_timing_ms;  /* 0: statuses settle as soon as work is done; else transitional statuses last this long */
    int snapshot_quota;           /* manual DB snapshots per region (SnapshotQuotaExceeded);
                                     0: AWS's default, 100 */
    bool quarantine_unknown;      /* rdslocal.db missing or empty while instances/ holds data dirs:
                                     start with a new database and move those dirs to quarantine
                                     (default: refuse to start, ENGINE_STATE_DB_MISSING) */
} engine_config;

/* Why engine_open refused the state dir (main maps each to its own exit code). In every
 * refusal the state database and the data dirs are left exactly as they were. */
typedef enum engine_state_verdict {
    ENGINE_STATE_OK,           /* usable, or a new state dir; any other failure of engine_open */
    ENGINE_STATE_DB_MISSING,   /* rdslocal.db missing or empty, but instances/ holds data dirs */
    ENGINE_STATE_DB_DAMAGED,   /* not a database, fails SQLite's quick_check, or lacks a table or
                                  column every rdslocal database has */
    ENGINE_STATE_DB_TOO_NEW,   /* written by a newer rdslocal (schema version above this binary's) */
} engine_state_verdict;

/* Opens the engine on cfg->state_dir (created 0700 if missing; an existing one is narrowed
 * to 0700, or 0710 with the postgres user's group when running as root; rdslocal.db, its
 * WAL and SHM files and the lock file are 0600, whatever the umask). Checks the state
 * database before changing anything (store_inspect), then reconciles: instances the model
 * knows are adopted or started, data dirs of deleted or half-created ones are removed,
 * and every other entry of instances/ is moved to <state_dir>/quarantine/ (never
 * deleted; engine_quarantined lists them). *verdict (may be NULL) says why a refusal
 * happened; err->message says what to do. Main thread, once. */
int engine_open_checked(engine **out, engine_state_verdict *verdict, const engine_config *cfg, rds_error *err);
/* engine_open_checked without the verdict. */
int engine_open(engine **out, const engine_config *cfg, rds_error *err);
/* Paths under <state_dir>/quarantine/ when the engine opened (moved there at this start or
 * earlier), sorted; *out is lent and lives as long as e. Any thread. */
size_t engine_quarantined(const engine *e, const char *const **out);
/* Stops the worker and, cleanly, every instance process. NULL is a no-op. */
void engine_close(engine *e);

/* Per-request context: the engine, the caller's arena, and the request's region. */
typedef struct engine_req {
    engine *e;
    arena *a;
    const char *region;
    int64_t valid_until_ms;   /* in/out: an op whose result changes with time alone (a
                                 transitional status ending) lowers it to that instant */
} engine_req;

const engine_config *engine_get_config(const engine *e);

/* Optional scalar inputs. */
typedef struct opt_int { bool set; int64_t v; } opt_int;
typedef struct opt_bool { bool set; bool v; } opt_bool;
typedef struct str_list { const char **v; size_t n; } str_list;
typedef struct tag_list { rds_tag *v; size_t n; } tag_list;

typedef struct create_instance_in {
    const char *id, *engine, *engine_version, *instance_class, *master_username,
        *master_password, *db_name, *availability_zone, *subnet_group, *parameter_group,
        *option_group, *backup_window, *maintenance_window, *storage_type, *kms_key_id,
        *ca_certificate_id, *license_model, *network_type, *monitoring_role_arn;
    opt_int allocated_storage, max_allocated_storage, port, backup_retention, iops,
        storage_throughput, monitoring_interval;
    opt_bool multi_az, publicly_accessible, auto_minor_version_upgrade, deletion_protection,
        copy_tags_to_snapshot, storage_encrypted, iam_auth, performance_insights,
        manage_master_password;
    str_list vpc_security_group_ids;
    tag_list tags;
    /* secrets: managed master password */
    const char *master_secret_kms_key_id;   /* MasterUserSecretKmsKeyId */
} create_instance_in;

typedef struct modify_instance_in {
    const char *id, *new_id, *instance_class, *master_password, *backup_window,
        *maintenance_window, *engine_version, *storage_type, *ca_certificate_id,
        *parameter_group, *subnet_group, *monitoring_role_arn;
    opt_int allocated_storage, max_allocated_storage, port, backup_retention, iops,
        storage_throughput, monitoring_interval;
    opt_bool apply_immediately, multi_az, publicly_accessible, auto_minor_version_upgrade,
        deletion_protection, copy_tags_to_snapshot, iam_auth, performance_insights,
        allow_major_version_upgrade;
    str_list vpc_security_group_ids;
    /* TLS */
    opt_bool certificate_rotation_restart; /* CA change: restart (default) or only reload */
    /* secrets: managed master password */
    const char *master_secret_kms_key_id;   /* MasterUserSecretKmsKeyId */
    opt_bool manage_master_password, rotate_master_password;
} modify_instance_in;

typedef struct delete_instance_in {
    const char *id, *final_snapshot_id;
    opt_bool skip_final_snapshot, delete_automated_backups;
} delete_instance_in;

typedef struct describe_instances_in {
    const char *id;            /* DBInstanceIdentifier (id or ARN) */
    str_list f_instance_ids, f_resource_ids, f_engines, f_cluster_ids, f_domains;
    const char *marker;
    int max_records;           /* validated 20..100 by the caller; 0 = 100 */
} describe_instances_in;

/* An instance as shown to the client, with its tags. */
typedef struct instance_view {
    db_instance *inst;
    const char *arn;
    const char *status;        /* what DescribeDBInstances shows now */
    rds_tag *tags;
    size_t n_tags;
    default_subnet subnets[DEFAULT_SUBNET_COUNT]; /* of its subnet group */
    size_t n_subnets;
    const char *vpc_id;
    const char *subnet_group_description;
    /* TLS */
    int64_t cert_valid_till_ms;   /* notAfter of the server's certificate; 0: unknown */
    /* read replicas (engine/replicas/view.c) */
    const char **replica_ids;   /* ReadReplicaDBInstanceIdentifiers: ids, ARNs for other regions */
    size_t n_replica_ids;
    const char *replica_source; /* ReadReplicaSourceDBInstanceIdentifier (an ARN across regions); NULL */
    const char *replica_state;  /* StatusInfos "read replication" Status ("replicating", "error"); NULL: none */
    bool replica_normal;        /* its Normal */
    const char *replica_message;/* its Message (why it is in error); NULL */
    int64_t replica_lag_ms;     /* ReplicaLag measured now (ms); -1 unknown */
} instance_view;

int engine_create_instance(engine_req *r, const create_instance_in *in, instance_view *out, rds_error *err);
int engine_describe_instances(engine_req *r, const describe_instances_in *in, instance_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err);
int engine_modify_instance(engine_req *r, const modify_instance_in *in, instance_view *out, rds_error *err);
int engine_delete_instance(engine_req *r, const delete_instance_in *in, instance_view *out, rds_error *err);
int engine_reboot_instance(engine_req *r, const char *id, opt_bool force_failover, instance_view *out, rds_error *err);
int engine_stop_instance(engine_req *r, const char *id, const char *snapshot_id, instance_view *out, rds_error *err);
int engine_start_instance(engine_req *r, const char *id, instance_view *out, rds_error *err);

/* Tags by ARN (arn:aws:rds:<region>:<account>:db:<id>, :subgrp:<name>). */
int engine_tags_list(engine_req *r, const char *arn, rds_tag **out, size_t *n_out, rds_error *err);
int engine_tags_add(engine_req *r, const char *arn, const tag_list *tags, rds_error *err);
int engine_tags_remove(engine_req *r, const char *arn, const str_list *keys, rds_error *err);

/* Subnet groups. */
typedef struct subnet_group_view {
    db_subnet_group *g;
    const char *arn;
    default_subnet subnets[DEFAULT_SUBNET_COUNT];
    size_t n_subnets;
} subnet_group_view;
int engine_create_subnet_group(engine_req *r, const char *name, const char *description,
                               const str_list *subnet_ids, const tag_list *tags,
                               subnet_group_view *out, rds_error *err);
int engine_modify_subnet_group(engine_req *r, const char *name, const char *description,
                               const str_list *subnet_ids, subnet_group_view *out, rds_error *err);
int engine_delete_subnet_group(engine_req *r, const char *name, rds_error *err);
int engine_describe_subnet_groups(engine_req *r, const char *name, const char *marker, int max_records,
                                  subnet_group_view **out, size_t *n_out, const char **next_marker,
                                  rds_error *err);

/* ---- DB snapshots (engine/snapshots/) ----
 * Manual snapshots of an instance's real data (API-only mode: records only). Snapshot
 * identifiers are taken as ids or snapshot ARNs of the request's region (CopyDBSnapshot's
 * source: any region of this account). */
typedef struct snapshot_view {
    db_snapshot *snap;
    const char *arn;
    const char *status;        /* what DescribeDBSnapshots shows now */
    int percent_progress;
    rds_tag *tags;
    size_t n_tags;
} snapshot_view;

int engine_create_snapshot(engine_req *r, const char *snapshot_id, const char *instance_id,
                           const tag_list *tags, snapshot_view *out, rds_error *err);

typedef struct copy_snapshot_in {
    const char *source, *target, *kms_key_id, *pre_signed_url, *option_group;
    opt_bool copy_tags;
    tag_list tags;
} copy_snapshot_in;
int engine_copy_snapshot(engine_req *r, const copy_snapshot_in *in, snapshot_view *out, rds_error *err);
int engine_delete_snapshot(engine_req *r, const char *snapshot_id, snapshot_view *out, rds_error *err);

typedef struct describe_snapshots_in {
    const char *instance_id, *snapshot_id, *snapshot_type, *dbi_resource_id;
    opt_bool include_shared, include_public;
    str_list f_instance_ids, f_snapshot_ids, f_resource_ids, f_types, f_engines;
    const char *marker;
    int max_records;           /* validated 20..100 by the caller */
} describe_snapshots_in;
int engine_describe_snapshots(engine_req *r, const describe_snapshots_in *in, snapshot_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err);

/* The `restore` attribute: account ids (or "all") allowed to copy or restore a snapshot. */
int engine_modify_snapshot_attribute(engine_req *r, const char *snapshot_id, const char *attribute,
                                     const str_list *add, const str_list *remove,
                                     const char **id_out, str_list *restore_out, rds_error *err);
int engine_describe_snapshot_attributes(engine_req *r, const char *snapshot_id, const char **id_out,
                                        str_list *restore_out, rds_error *err);

typedef struct restore_instance_in {
    const char *id, *snapshot_id, *instance_class, *availability_zone, *subnet_group, *db_name,
        *engine, *license_model, *option_group, *storage_type, *parameter_group, *network_type,
        *ca_certificate_id, *backup_window;
    opt_int port, iops, storage_throughput, allocated_storage, backup_retention;
    opt_bool multi_az, publicly_accessible, auto_minor_version_upgrade, deletion_protection,
        copy_tags_to_snapshot, iam_auth, manage_master_password, dedicated_log_volume;
    str_list vpc_security_group_ids;
    tag_list tags;
    /* secrets: managed master password */
    const char *master_secret_kms_key_id;   /* MasterUserSecretKmsKeyId */
} restore_instance_in;
int engine_restore_instance_from_snapshot(engine_req *r, const restore_instance_in *in, instance_view *out,
                                          rds_error *err);

/* ---- point-in-time restore (pitr) ---- */
/* RestoreDBInstanceToPointInTime: target.id is TargetDBInstanceIdentifier, target's other
 * members the overrides (snapshot_id unused); the source is named by one of source_id,
 * source_resource_id, source_ab_arn (the first given wins); restore_time (rdslocal clock,
 * epoch ms) xor use_latest. */
typedef struct pitr_restore_in {
    restore_instance_in target;
    const char *source_id, *source_resource_id, *source_ab_arn;
    opt_int restore_time;
    opt_bool use_latest;
} pitr_restore_in;
int engine_restore_instance_to_point_in_time(engine_req *r, const pitr_restore_in *in, instance_view *out,
                                             rds_error *err);

/* Engine versions / orderable options from the installed postgres majors. */
typedef struct engine_version_view { const char *engine, *version, *major, *family; bool is_default; } engine_version_view;
int engine_versions(engine_req *r, const char *engine_name, const char *version, const char *family,
                    bool default_only, engine_version_view **out, size_t *n_out, rds_error *err);

/* What DescribeOrderableDBInstanceOptions offers for an engine: its instance classes and
 * the storage types with their limits (units: GiB, IOPS, MiB/s; 0 = not applicable).
 * Everything lives in r's arena. Errors: none today (the int is for symmetry). */
typedef struct engine_storage_option {
    const char *type;               /* "gp2", "gp3", "io1", "io2", "standard" */
    int min_gib, max_gib;
    bool iops_allowed;
    int min_iops, max_iops;
    double min_iops_per_gib, max_iops_per_gib;     /* 0: no ratio rule */
    int min_throughput_mibps, max_throughput_mibps; /* 0: not configurable */
    double max_throughput_per_iops;
} engine_storage_option;
typedef struct engine_orderable {
    const char *const *classes;     /* "db.t3.micro", ... in offering order */
    size_t n_classes;
    const engine_storage_option *storage;
    size_t n_storage;
} engine_orderable;
int engine_orderable_options(engine_req *r, const char *engine_name, engine_orderable *out, rds_error *err);

/* DescribeEventCategories: one row per SourceType (source_type NULL: all; else only that
 * one), categories in AWS's order. Rows live in r's arena, strings are static.
 * Errors: InvalidParameterValue for a SourceType the API does not have. */
typedef struct engine_event_category_map {
    const char *source_type;
    const char *const *categories;
    size_t n_categories;
} engine_event_category_map;
int engine_event_categories(engine_req *r, const char *source_type, engine_event_category_map **out,
                            size_t *n_out, rds_error *err);

/* Events. */
typedef struct describe_events_in {
    const char *source_id, *source_type;
    int64_t start_ms, end_ms;      /* resolved by the caller from StartTime/EndTime/Duration */
    str_list categories;
    const char *marker;
    int max_records;
} describe_events_in;
int engine_describe_events(engine_req *r, const describe_events_in *in, rds_event ***out,
                           size_t *n_out, const char **next_marker, rds_error *err);

/* ---- KMS (engine/kms/): keys and aliases per region, AWS JSON errors (RDS_E_KMS_*) ----
 * A key reference (key_ref) is what KMS's KeyId takes, in the request's region: a key id,
 * key ARN, alias name ("alias/x") or alias ARN for the cryptographic operations and
 * DescribeKey; a key id or key ARN only for those that manage a key (state, aliases' targets,
 * tags, policy, rotation), as KMS documents each KeyId. */
typedef tag_list kms_context;      /* EncryptionContext pairs (key, value) */
typedef struct kms_key_view { kms_key *k; const char *arn; } kms_key_view;
typedef struct kms_alias_view { kms_alias *al; const char *arn; } kms_alias_view;
typedef struct kms_create_key_in {
    const char *description, *key_spec, *key_usage, *origin, *policy;
    opt_bool multi_region;
    tag_list tags;               /* TagKey/TagValue */
} kms_create_key_in;
typedef enum kms_state_change {
    KMS_ENABLE, KMS_DISABLE, KMS_SCHEDULE_DELETION, KMS_CANCEL_DELETION
} kms_state_change;

int engine_kms_create_key(engine_req *r, const kms_create_key_in *in, kms_key_view *out, rds_error *err);
/* DescribeKey (alias/aws/rds is created on first use, as AWS does). */
int engine_kms_describe_key(engine_req *r, const char *key_ref, kms_key_view *out, rds_error *err);
/* A key by key id or key ARN only (GetKeyPolicy, GetKeyRotationStatus: no aliases, as KMS). */
int engine_kms_get_key(engine_req *r, const char *key_ref, kms_key_view *out, rds_error *err);
/* Keys of the region by key id; marker: the last key id of the previous page. */
int engine_kms_list_keys(engine_req *r, const char *marker, int limit, kms_key_view **out, size_t *n_out,
                         const char **next_marker, rds_error *err);
/* Enable/Disable/ScheduleKeyDeletion (pending_days: 7-30, default 30)/CancelKeyDeletion.
 * Disabling or scheduling the deletion of a key in use makes its instances inaccessible. */
int engine_kms_set_state(engine_req *r, const char *key_ref, kms_state_change what, opt_int pending_days,
                         kms_key_view *out, rds_error *err);
int engine_kms_create_alias(engine_req *r, const char *alias, const char *target_ref, rds_error *err);
int engine_kms_update_alias(engine_req *r, const char *alias, const char *target_ref, rds_error *err);
int engine_kms_delete_alias(engine_req *r, const char *alias, rds_error *err);
/* Aliases of the region (of one key if key_ref is set); marker: the last alias name. */
int engine_kms_list_aliases(engine_req *r, const char *key_ref, const char *marker, int limit,
                            kms_alias_view **out, size_t *n_out, const char **next_marker, rds_error *err);
int engine_kms_encrypt(engine_req *r, const char *key_ref, const unsigned char *plain, size_t n,
                       const kms_context *ctx, unsigned char **blob, size_t *blob_n, const char **key_arn,
                       rds_error *err);
/* key_ref may be NULL (the blob names its key); when set it must be the blob's key. */
int engine_kms_decrypt(engine_req *r, const char *key_ref, const unsigned char *blob, size_t blob_n,
                       const kms_context *ctx, unsigned char **plain, size_t *plain_n, const char **key_arn,
                       rds_error *err);
/* Decrypt (source_ref may be NULL) then Encrypt under dest_ref; the plaintext stays in r's arena. */
int engine_kms_reencrypt(engine_req *r, const char *source_ref, const unsigned char *blob, size_t blob_n,
                         const kms_context *source_ctx, const char *dest_ref, const kms_context *dest_ctx,
                         unsigned char **out, size_t *out_n, const char **source_arn, const char **dest_arn,
                         rds_error *err);
/* n_bytes random bytes under the key: *plain (NULL to skip) and the wrapped *blob. */
int engine_kms_generate_data_key(engine_req *r, const char *key_ref, size_t n_bytes, const kms_context *ctx,
                                 unsigned char **plain, unsigned char **blob, size_t *blob_n,
                                 const char **key_arn, rds_error *err);
int engine_kms_tags_list(engine_req *r, const char *key_ref, rds_tag **out, size_t *n_out, rds_error *err);
int engine_kms_tags_add(engine_req *r, const char *key_ref, const tag_list *tags, rds_error *err);
int engine_kms_tags_remove(engine_req *r, const char *key_ref, const str_list *keys, rds_error *err);
int engine_kms_put_policy(engine_req *r, const char *key_ref, const char *policy, rds_error *err);
/* Enable/DisableKeyRotation (period_days 90-2560, default 365). */
int engine_kms_set_rotation(engine_req *r, const char *key_ref, bool enabled, opt_int period_days,
                            rds_error *err);

/* ---- secrets: Secrets Manager (engine/secrets/), AWS JSON errors (RDS_E_SECRETSMANAGER_*) ----
 * A SecretId is a name, a full ARN or a partial ARN (without the 6 random characters). */
typedef struct secret_value {
    const char *string;                 /* SecretString, or NULL */
    const unsigned char *binary;        /* SecretBinary (decoded), or NULL */
    size_t binary_n;
} secret_value;
typedef struct secret_put_in {
    const char *id;                     /* SecretId (Put/Update); Name (Create) */
    const char *description, *kms_key_id, *client_token;
    secret_value value;
    str_list stages;                    /* PutSecretValue VersionStages; none: AWSCURRENT */
    tag_list tags;                      /* CreateSecret */
} secret_put_in;
/* A secret as Describe/List show it: the row, its versions' stages and its tags. */
typedef struct secret_view {
    sm_secret *sec;
    sm_secret_version **versions;
    size_t n_versions;
    rds_tag *tags;
    size_t n_tags;
} secret_view;
typedef struct secret_value_view {
    sm_secret *sec;
    sm_secret_version *version;
    secret_value value;
} secret_value_view;
typedef struct secret_list_in {
    str_list filter_keys;               /* Filters[i].Key */
    const str_list *filter_values;      /* Filters[i].Values, parallel to filter_keys */
    bool include_deleted;               /* IncludePlannedDeletion */
    bool descending;                    /* SortOrder desc */
    const char *next_token;
    int max_results;                    /* 1..100; 0: 100 */
} secret_list_in;
typedef struct secret_rotate_in {
    const char *id, *client_token, *lambda_arn;
    opt_int after_days;                 /* RotationRules.AutomaticallyAfterDays */
    opt_bool rotate_now;                /* RotateImmediately (default true) */
} secret_rotate_in;

/* CreateSecret: *version_id NULL when no value was given. */
int engine_secret_create(engine_req *r, const secret_put_in *in, sm_secret **out, const char **version_id,
                         rds_error *err);
/* PutSecretValue (value required) and UpdateSecret (description, key, value optional). */
int engine_secret_put_value(engine_req *r, const secret_put_in *in, sm_secret **out, sm_secret_version **version,
                            rds_error *err);
int engine_secret_update(engine_req *r, const secret_put_in *in, sm_secret **out, const char **version_id,
                         rds_error *err);
int engine_secret_describe(engine_req *r, const char *id, secret_view *out, rds_error *err);
/* GetSecretValue by VersionId and/or VersionStage (default AWSCURRENT). */
int engine_secret_get_value(engine_req *r, const char *id, const char *version_id, const char *stage,
                            secret_value_view *out, rds_error *err);
int engine_secret_list(engine_req *r, const secret_list_in *in, secret_view **out, size_t *n_out,
                       const char **next_token, rds_error *err);
/* DeleteSecret: window 7..30 days (default 30) or force (at once). */
int engine_secret_delete(engine_req *r, const char *id, opt_int window_days, opt_bool force, sm_secret **out,
                         rds_error *err);
int engine_secret_restore(engine_req *r, const char *id, sm_secret **out, rds_error *err);
/* RotateSecret: an RDS-owned secret rotates its instance's password; others need a
 * rotation Lambda, which rdslocal cannot run. */
int engine_secret_rotate(engine_req *r, const secret_rotate_in *in, sm_secret **out, const char **version_id,
                         rds_error *err);
int engine_secret_tags(engine_req *r, const char *id, const tag_list *add, const str_list *remove,
                       rds_error *err);
/* UpdateSecretVersionStage: moves label `stage` from version remove_from to move_to
 * (either may be NULL: attach only / detach only). */
int engine_secret_update_stage(engine_req *r, const char *id, const char *stage, const char *remove_from,
                               const char *move_to, sm_secret **out, rds_error *err);

/* Changes whenever any resource changes (every committed write, clock moves included). */
uint64_t engine_generation(const engine *e);

/* Admin. */
int engine_reset(engine *e, rds_error *err);
int engine_clock_advance(engine *e, int64_t by_ms, rds_error *err);
/* Runs the time-based rules now (maintenance windows, 7-day stop, event retention). The
 * worker calls it periodically; the clock admin call runs it at once. */
void engine_tick(engine *e);

/* ---- TLS: certificate authorities (engine/certificates) ---- */
typedef struct certificate_view {
    const char *id, *type, *thumbprint, *arn, *key_algorithm;
    int64_t valid_from_ms, valid_till_ms;
    bool customer_override, default_for_new_launches;
} certificate_view;
/* DescribeCertificates: every CA, or the one named (CertificateNotFound 404). */
int engine_describe_certificates(engine_req *r, const char *id, const char *marker, int max_records,
                                 certificate_view **out, size_t *n_out, const char **next_marker, rds_error *err);
/* The PEM bundle of every CA (<state_dir>/certs/global-bundle.pem), malloc'd into *pem. */
int engine_ca_bundle(engine *e, char **pem, size_t *len, rds_error *err);

/* ---- DB log files (engine/logs) ---- */
typedef struct log_file_view {
    const char *name;        /* error/postgresql.log.YYYY-MM-DD-HH */
    int64_t last_written_ms; /* rdslocal clock */
    int64_t size;
} log_file_view;
typedef struct describe_log_files_in {
    const char *instance_id, *filename_contains, *marker;
    opt_int file_last_written, file_size;
    int max_records;
} describe_log_files_in;
int engine_describe_log_files(engine_req *r, const describe_log_files_in *in, log_file_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err);
typedef struct log_portion {
    const char *data;        /* NULL when empty */
    size_t len;
    const char *marker;      /* where the next call starts */
    bool more;               /* AdditionalDataPending */
} log_portion;
int engine_download_log_portion(engine_req *r, const char *instance_id, const char *file, const char *marker,
                                opt_int number_of_lines, log_portion *out, rds_error *err);
/* ---- read replicas (engine/replicas/) ----
 * A replica is an instance of its own streaming from its source (same or another region of
 * this rdslocal). CreateDBInstanceReadReplica's source is an id (same region) or an instance
 * ARN (any region); PromoteReadReplica makes it standalone. */
typedef struct create_replica_in {
    const char *id, *source, *instance_class, *availability_zone, *subnet_group, *parameter_group,
        *option_group, *storage_type, *kms_key_id, *pre_signed_url, *source_region,
        *ca_certificate_id, *network_type, *monitoring_role_arn;
    opt_int port, iops, storage_throughput, allocated_storage, max_allocated_storage, monitoring_interval;
    opt_bool multi_az, publicly_accessible, auto_minor_version_upgrade, deletion_protection,
        copy_tags_to_snapshot, iam_auth, performance_insights;
    str_list vpc_security_group_ids;
    tag_list tags;
} create_replica_in;
int engine_create_read_replica(engine_req *r, const create_replica_in *in, instance_view *out, rds_error *err);

typedef struct promote_replica_in {
    const char *id, *backup_window;
    opt_int backup_retention;
} promote_replica_in;
int engine_promote_read_replica(engine_req *r, const promote_replica_in *in, instance_view *out, rds_error *err);

/* Replication state of every replica (admin health): one line each. */
typedef struct replica_health {
    const char *region, *id, *source_arn, *state; /* state: "replicating", "error", "stopped" */
    int64_t lag_ms;                               /* -1 unknown */
} replica_health;
int engine_replicas_health(engine *e, arena *a, replica_health **out, size_t *n_out, rds_error *err);

/* ARN of an instance in the request's region. */
const char *engine_instance_arn(engine_req *r, const char *id);

/* ---- DB parameter groups and option groups (engine/parameter_groups/) ----
 * Default groups (default.postgres<major>, default:postgres-<major>) exist for every
 * installed major and cannot be changed. Names are taken as names (lower-cased). */
typedef struct param_group_view { const char *name, *family, *description, *arn; } param_group_view;
typedef struct param_view {
    const char *name, *value, *description, *source, *apply_type, *data_type, *allowed, *apply_method;
    bool modifiable;
} param_view;
typedef struct param_in { const char *name, *value, *apply_method; } param_in;
typedef struct param_in_list { param_in *v; size_t n; } param_in_list;
int engine_create_param_group(engine_req *r, const char *name, const char *family, const char *description,
                              const tag_list *tags, param_group_view *out, rds_error *err);
int engine_copy_param_group(engine_req *r, const char *source, const char *target, const char *description,
                            const tag_list *tags, param_group_view *out, rds_error *err);
/* Sets parameters (Modify) or puts them back to the engine default (Reset; all: every one). */
int engine_modify_param_group(engine_req *r, const char *name, const param_in_list *params, rds_error *err);
int engine_reset_param_group(engine_req *r, const char *name, bool all, const param_in_list *params,
                             rds_error *err);
int engine_delete_param_group(engine_req *r, const char *name, rds_error *err);
int engine_describe_param_groups(engine_req *r, const char *name, const char *marker, int max_records,
                                 param_group_view **out, size_t *n_out, const char **next_marker, rds_error *err);
/* A group's parameters (source: NULL, or "user", "engine-default", "system"). */
int engine_describe_params(engine_req *r, const char *group, const char *source, const char *marker,
                           int max_records, param_view **out, size_t *n_out, const char **next_marker,
                           rds_error *err);
int engine_default_params(engine_req *r, const char *family, const char *marker, int max_records,
                          param_view **out, size_t *n_out, const char **next_marker, rds_error *err);

typedef struct option_group_view { const char *name, *description, *engine, *major, *arn; } option_group_view;
int engine_describe_option_groups(engine_req *r, const char *name, const char *engine_name, const char *major,
                                  const char *marker, int max_records, option_group_view **out, size_t *n_out,
                                  const char **next_marker, rds_error *err);
int engine_create_option_group(engine_req *r, const char *name, const char *engine_name, const char *major,
                               const char *description, const tag_list *tags, option_group_view *out,
                               rds_error *err);
int engine_delete_option_group(engine_req *r, const char *name, rds_error *err);
/* The options an engine offers (none for postgres); validates the engine and major. */
int engine_option_group_options(engine_req *r, const char *engine_name, const char *major, rds_error *err);
/* ---- automated backups (autobackup) ---- */
/* One automated backup as DescribeDBInstanceAutomatedBackups shows it. */
typedef struct autobackup_view {
    db_automated_backup *b;    /* active: the instance's current values */
    const char *status;        /* active, creating (no automated snapshot yet), retained */
    const char *arn;           /* DBInstanceAutomatedBackupsArn (auto-backup:ab-...) */
    const char *instance_arn;  /* DBInstanceArn */
    int64_t earliest_ms, latest_ms; /* RestoreWindow (rdslocal clock); 0: not known yet */
} autobackup_view;

typedef struct describe_autobackups_in {
    const char *instance_id, *dbi_resource_id, *arn;
    str_list f_status, f_instance_ids, f_resource_ids;
    const char *marker;
    int max_records;           /* validated 20..100 by the caller */
} describe_autobackups_in;
int engine_describe_autobackups(engine_req *r, const describe_autobackups_in *in, autobackup_view **out,
                                size_t *n_out, const char **next_marker, rds_error *err);
/* DeleteDBInstanceAutomatedBackup: a retained backup (by DbiResourceId or its ARN). */
int engine_delete_autobackup(engine_req *r, const char *dbi_resource_id, const char *arn, autobackup_view *out,
                             rds_error *err);
/* ---- fault injection (engine/faults/; admin API /_rdslocal/faults, /_rdslocal/experiments) ----
 * Faults act on an instance's real processes (see docs/readme/faults.md). They live in
 * memory only: a restart of rdslocal ends them all (stopped processes get SIGCONT, the
 * storage-full switch is lifted). Times are real wall-clock ms (the admin clock's advance
 * does not shorten a hang). Any thread; the worker ends faults and runs experiments. */
typedef enum engine_fault_kind {
    ENGINE_FAULT_KILL_PRIMARY,   /* SIGKILL of the postmaster: crash restart, or Multi-AZ failover */
    ENGINE_FAULT_KILL_STANDBY,   /* SIGKILL of the Multi-AZ standby's postmaster */
    ENGINE_FAULT_HANG,           /* SIGSTOP of the primary and its children for the duration */
    ENGINE_FAULT_STORAGE_FULL,   /* status storage-full, writes fail, reads work */
    ENGINE_FAULT_CUT_STANDBY,    /* replication to the standby stops for the duration */
    ENGINE_FAULT__COUNT
} engine_fault_kind;
/* "kill-primary", ... ; NULL for a bad value. */
const char *engine_fault_kind_name(engine_fault_kind k);
/* false if name is no kind. */
bool engine_fault_kind_parse(const char *name, engine_fault_kind *out);

typedef struct engine_fault_in {
    engine_fault_kind kind;
    const char *instance_id;   /* DBInstanceIdentifier */
    const char *region;        /* NULL: the default region */
    int64_t duration_ms;       /* < 0: the kind's default; kills take none (instantaneous) */
    int64_t offset_ms;         /* experiments: when the step starts, from the experiment's start */
} engine_fault_in;

typedef struct engine_fault_view {
    int64_t id;
    engine_fault_kind kind;
    char instance_id[64], region[32];
    int64_t start_ms, end_ms;  /* real clock; while active end_ms is the planned end */
    bool active;
    char outcome[192];         /* how it went or ended ("expired", "deleted", "killed pid 123", ...) */
    int64_t experiment_id;     /* 0: started on its own */
} engine_fault_view;

enum { ENGINE_FAULT_MAX_DURATION_MS = 3600 * 1000, ENGINE_EXPERIMENT_MAX_STEPS = 32 };

/* Starts a fault now. Errors: DBInstanceNotFound (404); InvalidDBInstanceState (the instance
 * does not run, has no standby for the standby kinds, or API-only mode);
 * InvalidParameterValue (duration out of 1 ms..1 h, or given to a kill);
 * InvalidParameterCombination (the same kind is already active on the instance). */
int engine_fault_start(engine *e, const engine_fault_in *in, engine_fault_view *out, rds_error *err);
/* Ends an active fault at once (DELETE). Errors: ResourceNotFoundFault (no fault with that id),
 * InvalidParameterCombination (already ended). */
int engine_fault_end(engine *e, int64_t id, engine_fault_view *out, rds_error *err);
/* Active faults (and with include_ended the recent ended ones, oldest first); returns the
 * count written (at most max). */
size_t engine_faults_list(engine *e, bool include_ended, engine_fault_view *out, size_t max);

typedef struct engine_experiment_view {
    int64_t id;
    int64_t start_ms;          /* real clock */
    const char *state;         /* "running", "completed", "cancelled" (static) */
    size_t n_steps;
    struct {
        engine_fault_in in;    /* kind, offset, duration (use the arrays below for the names) */
        char instance_id[64], region[32];
        int64_t fault_id;      /* 0: not started yet (or it failed) */
        const char *state;     /* "pending", "active", "ended", "failed", "skipped" (static) */
        char error[192];       /* why it failed (the fault start's error message) */
    } steps[ENGINE_EXPERIMENT_MAX_STEPS];
} engine_experiment_view;

/* Schedules steps (1..ENGINE_EXPERIMENT_MAX_STEPS; offsets 0..1 h) from now; a step whose
 * start fails is marked "failed" with the reason and the others still run. Errors:
 * InvalidParameterValue; DBInstanceNotFound when a step names an unknown instance. */
int engine_experiment_start(engine *e, const engine_fault_in *steps, size_t n, engine_experiment_view *out,
                            rds_error *err);
/* One experiment (ResourceNotFoundFault if unknown) / all of them, oldest first. */
int engine_experiment_get(engine *e, int64_t id, engine_experiment_view *out, rds_error *err);
size_t engine_experiments_list(engine *e, engine_experiment_view *out, size_t max);
/* Cancels the pending steps and ends the experiment's active faults. */
int engine_experiment_cancel(engine *e, int64_t id, engine_experiment_view *out, rds_error *err);

#endif
