/* store.h: the model on disk. One SQLite file (WAL mode) in the state dir; the only
 * code that includes sqlite3.h. A store handle is one connection and belongs to one
 * thread; open one per thread. Every mutation of a request runs inside one
 * store_begin/store_commit pair (BEGIN IMMEDIATE), so a failed request changes nothing.
 * Errors: RDS_E_INTERNAL_FAILURE with the SQLite text in err->detail. */
#ifndef RDSLOCAL_STORE_H
#define RDSLOCAL_STORE_H

#include "rdslocal/model.h"

#include <stdbool.h>

typedef struct store store;

/* What store_inspect found at a path. */
typedef enum store_file_state {
    STORE_FILE_OK,      /* an rdslocal database this binary can open (maybe after additive migration) */
    STORE_FILE_ABSENT,  /* no file, a 0-byte file, or a database without any table: nothing recorded */
    STORE_FILE_DAMAGED, /* not a database, fails PRAGMA quick_check, not rdslocal's, or a required
                           table or column is missing */
    STORE_FILE_TOO_NEW, /* its schema version (user_version) is newer than this binary's */
} store_file_state;

/* Checks the database at path without changing it (read-only connection, no checkpoint
 * on close: the file stays byte-identical): SQLite's quick_check, the schema version and
 * the tables and columns every version has. Returns 0 with *out OK or ABSENT; -1 with
 * *out DAMAGED or TOO_NEW and err->message saying why (err->detail: SQLite's text). Run
 * once at start-up, before store_open creates or migrates anything. */
int store_inspect(store_file_state *out, const char *path, rds_error *err);

/* Opens (creating if needed) the database at path, applies migrations. A file with a
 * newer schema version is refused (INTERNAL_FAILURE), never rewritten. */
int store_open(store **out, const char *path, rds_error *err);
void store_close(store *s); /* NULL is a no-op */

/* BEGIN IMMEDIATE (waits for the write lock). Transactions don't nest (asserted). */
int store_begin(store *s, rds_error *err);
/* True between store_begin and store_commit/store_rollback: callers that must run inside
 * the caller's transaction assert it. */
bool store_in_tx(const store *s);
/* A process-wide counter bumped by every successful store_commit: a reader that saw the
 * same value before and after knows nothing was written in between (response cache). */
uint64_t store_generation(void);
int store_commit(store *s, rds_error *err);
void store_rollback(store *s);               /* no-op outside a transaction */

/* A list filter on one column: column IN (values). Column names are fixed by code. */
typedef struct store_filter {
    const char *column;
    const char *const *values;
    size_t n_values;
} store_filter;

/* ---- DB instances ---- */
/* *out = NULL (and 0 returned) when absent. Results live in arena a. */
int store_instance_get(store *s, arena *a, const char *region, const char *id, db_instance **out,
                       rds_error *err);
/* Instances of a region ordered by id, id > after (NULL: from the start), at most limit
 * (limit+1 are fetched by callers that need to know whether more exist). */
int store_instance_list(store *s, arena *a, const char *region, const store_filter *filters,
                        size_t n_filters, const char *after, int limit, db_instance ***out,
                        size_t *n_out, rds_error *err);
/* The instance (any region) whose DbiResourceId is resource_id; *out = NULL when absent. */
int store_instance_by_resource_id(store *s, arena *a, const char *resource_id, db_instance **out,
                                  rds_error *err);
/* Every instance of every region (start-up reconcile, worker). */
int store_instance_all(store *s, arena *a, db_instance ***out, size_t *n_out, rds_error *err);
/* The instances the worker's time-based rules may act on (engine_tick): status "deleted"
 * (realistic timing), "stopped" or "inaccessible-encryption-credentials-recoverable", or any pending modification (db_instance_pending rows
 * not at their `none` value). Ordered by region, id. A scan of narrow predicates only:
 * rows of every other instance are neither read into memory nor locked. */
int store_instance_due(store *s, arena *a, db_instance ***out, size_t *n_out, rds_error *err);
int store_instance_put(store *s, const db_instance *inst, rds_error *err); /* insert or replace */
int store_instance_delete(store *s, const char *region, const char *id, rds_error *err);
/* Is the TCP port used by any instance (any region)? */
int store_port_used(store *s, int64_t port, bool *used, rds_error *err);
/* The lowest port in [from, hi] used by an instance (any region), or -1 if none: one
 * index seek (db_instance_by_port). */
int store_port_next_used(store *s, int64_t from, int64_t hi, int64_t *next, rds_error *err);

/* ---- DB subnet groups ---- */
int store_subnet_group_get(store *s, arena *a, const char *region, const char *name,
                           db_subnet_group **out, rds_error *err);
int store_subnet_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                            db_subnet_group ***out, size_t *n_out, rds_error *err);
int store_subnet_group_put(store *s, const db_subnet_group *g, rds_error *err);
int store_subnet_group_delete(store *s, const char *region, const char *name, rds_error *err);

/* ---- DB snapshots ---- */
/* *out = NULL (and 0 returned) when absent. Results live in arena a. */
int store_snapshot_get(store *s, arena *a, const char *region, const char *id, db_snapshot **out,
                       rds_error *err);
/* Snapshots of a region ordered by id, id > after (NULL: from the start), at most limit;
 * only_public: only those whose restore attribute holds "all". */
int store_snapshot_list(store *s, arena *a, const char *region, const store_filter *filters,
                        size_t n_filters, bool only_public, const char *after, int limit,
                        db_snapshot ***out, size_t *n_out, rds_error *err);
/* Every snapshot of every region (start-up reconcile, admin reset). */
int store_snapshot_all(store *s, arena *a, db_snapshot ***out, size_t *n_out, rds_error *err);
int store_snapshot_put(store *s, const db_snapshot *snap, rds_error *err); /* insert or replace */
int store_snapshot_delete(store *s, const char *region, const char *id, rds_error *err);
/* Manual snapshots of a region (SnapshotQuotaExceeded). */
int store_snapshot_count_manual(store *s, const char *region, int64_t *n, rds_error *err);

/* ---- automated backups (store_automated_backups.c) ---- */
/* The row of an instance's automated backups by region and DbiResourceId; *out NULL when absent. */
int store_autobackup_get(store *s, arena *a, const char *region, const char *resource_id,
                         db_automated_backup **out, rds_error *err);
/* The row whose ab_id is ab_id (any region); *out NULL when absent. */
int store_autobackup_by_ab_id(store *s, arena *a, const char *ab_id, db_automated_backup **out, rds_error *err);
/* Rows of a region ordered by resource id, id > after, at most limit (filters as store_filter). */
int store_autobackup_list(store *s, arena *a, const char *region, const store_filter *filters, size_t n_filters,
                          const char *after, int limit, db_automated_backup ***out, size_t *n_out, rds_error *err);
/* Every row of every region (the worker's expiry pass). */
int store_autobackup_all(store *s, arena *a, db_automated_backup ***out, size_t *n_out, rds_error *err);
int store_autobackup_put(store *s, const db_automated_backup *b, rds_error *err); /* insert or replace */
int store_autobackup_delete(store *s, const char *region, const char *resource_id, rds_error *err);
/* Instances whose automated backup is due at now_ms: available, retention > 0,
 * autobackup_next_ms <= now_ms (0: the first one). */
int store_autobackup_due_instances(store *s, arena *a, int64_t now_ms, db_instance ***out, size_t *n_out,
                                   rds_error *err);
/* Backups marked running (autobackup_next_ms < 0) by a process that is gone: due now
 * (in a transaction of the caller's). */
int store_autobackup_running_due(store *s, int64_t now_ms, rds_error *err);
/* Automated snapshots of one instance (resource id) in region, oldest first; with_deleted:
 * also rows marked "deleted" (files still to remove). */
int store_autobackup_snapshots(store *s, arena *a, const char *region, const char *resource_id, bool with_deleted,
                               db_snapshot ***out, size_t *n_out, rds_error *err);
/* Automated snapshot rows marked "deleted" (any region): their files are still to remove. */
int store_autobackup_deleted_snapshots(store *s, arena *a, db_snapshot ***out, size_t *n_out, rds_error *err);

/* ---- events ---- */
int store_event_add(store *s, const rds_event *ev, rds_error *err);
/* Events of a region with at_ms in [start_ms, end_ms], optional source type/id, in
 * insertion order (seq, which follows rdslocal's forward-only clock); after_seq implements
 * Marker paging. */
int store_event_list(store *s, arena *a, const char *region, const char *source_type,
                     const char *source_id, int64_t start_ms, int64_t end_ms, int64_t after_seq,
                     int limit, rds_event ***out, int64_t **seqs, size_t *n_out, rds_error *err);
int store_event_prune(store *s, int64_t before_ms, rds_error *err);

/* ---- tags (by resource ARN) ---- */
int store_tags_get(store *s, arena *a, const char *arn, rds_tag **out, size_t *n_out, rds_error *err);
/* Tags of every ARN starting with arn_prefix (one query for a whole Describe page); arns[i]
 * names the resource of tags[i]. Ordered by ARN, then tag order. */
int store_tags_by_prefix(store *s, arena *a, const char *arn_prefix, const char ***arns,
                         rds_tag **tags, size_t *n_out, rds_error *err);
int store_tag_set(store *s, const char *arn, const char *key, const char *value, rds_error *err);
int store_tag_remove(store *s, const char *arn, const char *key, rds_error *err);
int store_tags_delete_all(store *s, const char *arn, rds_error *err);

/* ---- Secrets Manager secrets and their versions (store_secrets.c) ---- */
/* By name, or by ARN (full, or without the 6 random characters) in region; NULL if none. */
int store_secret_find(store *s, arena *a, const char *region, const char *name_or_arn, sm_secret **out, rds_error *err);
/* A page of a region's secrets in name order after `after` (NULL: from the start);
 * with_deleted false leaves out those scheduled for deletion. */
int store_secret_list(store *s, arena *a, const char *region, const char *after, int limit, bool with_deleted,
                      sm_secret ***out, size_t *n_out, rds_error *err);
/* RDS-owned secrets (any region) whose rotation schedule has come (last rotation, or
 * creation, + RotationRules days <= now). */
int store_secret_rotation_due(store *s, arena *a, int64_t now_ms, sm_secret ***out, size_t *n_out, rds_error *err);
/* RDS-owned secrets (any region) with a version labelled AWSPENDING. */
int store_secret_rds_pending(store *s, arena *a, sm_secret ***out, size_t *n_out, rds_error *err);
/* Secrets (any region) whose deletion date has come. */
int store_secret_due(store *s, arena *a, int64_t now_ms, sm_secret ***out, size_t *n_out, rds_error *err);
int store_secret_put(store *s, const sm_secret *sec, rds_error *err); /* insert or replace */
/* Deletes the secret and its versions. */
int store_secret_delete(store *s, const sm_secret *sec, rds_error *err);
/* The versions of a secret, oldest first. */
int store_secret_versions(store *s, arena *a, const char *secret_arn, sm_secret_version ***out, size_t *n_out,
                          rds_error *err);
int store_secret_version_put(store *s, const sm_secret_version *v, rds_error *err);
int store_secret_version_delete(store *s, const char *secret_arn, const char *version_id, rds_error *err);
/* The (not deleted) instance whose managed master password a secret holds; NULL if none. */
int store_instance_by_master_secret(store *s, arena *a, const char *secret_arn, db_instance **out, rds_error *err);
/* LastAccessedDate alone (a read must not rewrite the row a concurrent write changed). */
int store_secret_touch(store *s, const char *arn, int64_t day_ms, rds_error *err);

/* ---- KMS keys and aliases (store_kms.c) ---- */
/* *out = NULL (and 0 returned) when absent. Results live in arena a. */
int store_kms_key_get(store *s, arena *a, const char *region, const char *key_id, kms_key **out,
                      rds_error *err);
/* The key with that id in any region (key ids are UUIDs); *out = NULL when absent. */
int store_kms_key_by_id(store *s, arena *a, const char *key_id, kms_key **out, rds_error *err);
/* Keys of a region ordered by key_id, key_id > after (NULL: from the start), at most limit. */
int store_kms_key_list(store *s, arena *a, const char *region, const char *after, int limit,
                       kms_key ***out, size_t *n_out, rds_error *err);
/* Keys (any region) in PendingDeletion whose deletion_at_ms is <= now_ms. */
int store_kms_key_due(store *s, arena *a, int64_t now_ms, kms_key ***out, size_t *n_out, rds_error *err);
/* Keys (any region) that are not Enabled. */
int store_kms_key_unusable(store *s, arena *a, kms_key ***out, size_t *n_out, rds_error *err);
int store_kms_key_put(store *s, const kms_key *k, rds_error *err); /* insert or replace */
/* Deletes the key and its aliases. */
int store_kms_key_delete(store *s, const char *region, const char *key_id, rds_error *err);
int store_kms_alias_get(store *s, arena *a, const char *region, const char *name, kms_alias **out,
                        rds_error *err);
/* Aliases of a region (of one key if key_id is not NULL) ordered by name, name > after. */
int store_kms_alias_list(store *s, arena *a, const char *region, const char *key_id, const char *after,
                         int limit, kms_alias ***out, size_t *n_out, rds_error *err);
int store_kms_alias_put(store *s, const kms_alias *al, rds_error *err);
int store_kms_alias_delete(store *s, const char *region, const char *name, rds_error *err);
/* Instances (any region, not deleted) whose kms_key_id is that key ARN. */
int store_instance_by_kms_key(store *s, arena *a, const char *kms_key_arn, db_instance ***out, size_t *n_out,
                              rds_error *err);

/* ---- DB parameter groups and their user-set parameters (params) ---- */
int store_param_group_get(store *s, arena *a, const char *region, const char *name, db_parameter_group **out,
                          rds_error *err);
/* Groups of a region ordered by name, name > after (NULL: from the start). */
int store_param_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                           db_parameter_group ***out, size_t *n_out, rds_error *err);
int store_param_group_count(store *s, const char *region, int64_t *n, rds_error *err);
int store_param_group_put(store *s, const db_parameter_group *g, rds_error *err);
/* Deletes the group and every parameter of it. */
int store_param_group_delete(store *s, const char *region, const char *name, rds_error *err);
/* The user-set parameters of a group, ordered by name. */
int store_param_list(store *s, arena *a, const char *region, const char *group, db_parameter ***out,
                     size_t *n_out, rds_error *err);
int store_param_put(store *s, const db_parameter *p, rds_error *err);
/* Removes one user-set parameter (name NULL: all of the group). */
int store_param_delete(store *s, const char *region, const char *group, const char *name, rds_error *err);
/* ---- read replicas (store_replicas.c) ---- */
/* Replicas (any region, not deleted) of the instance whose DbiResourceId is
 * source_resource_id; NULL: every replica. Ordered by region, id. */
int store_instance_replicas_of(store *s, arena *a, const char *source_resource_id, db_instance ***out,
                               size_t *n_out, rds_error *err);

/* Option groups (params), ordered by name. */
int store_option_group_get(store *s, arena *a, const char *region, const char *name, option_group **out,
                           rds_error *err);
int store_option_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                            option_group ***out, size_t *n_out, rds_error *err);
int store_option_group_put(store *s, const option_group *g, rds_error *err);
int store_option_group_delete(store *s, const char *region, const char *name, rds_error *err);

/* ---- meta (small settings that must survive restarts, e.g. the clock offset) ---- */
int store_meta_get(store *s, arena *a, const char *key, char **out, rds_error *err); /* NULL if unset */
int store_meta_set(store *s, const char *key, const char *value, rds_error *err);

/* Removes every resource of every region (admin reset); meta is kept. */
int store_reset(store *s, rds_error *err);

#endif
