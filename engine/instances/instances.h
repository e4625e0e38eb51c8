/* instances.h: helpers shared by the DB instance family's files (instances/): id
 * arguments, loading, the input checks that several operations repeat, and the steps of
 * renames and pending modifications. Private to engine/instances. */
#ifndef RDSLOCAL_ENGINE_INSTANCES_H
#define RDSLOCAL_ENGINE_INSTANCES_H

#include "engine_internal.h"

#define DEFAULT_CA "rds-ca-rsa2048-g1"

/* ---- instances.c ---- */
int instances__not_found(rds_error *err, const char *id);
/* Accepts an identifier or an instance ARN of the request's region; lower-cases it (arena). */
const char *instances__id_arg(engine_req *r, const char *id);
/* Reads an instance that must exist (deleted rows kept for realistic timing don't count). */
int instances__load(engine_req *r, store *s, const char *id, db_instance **out, rds_error *err);

/* ---- checks.c: checks of inputs (pure, or reading the installed versions / ports) ---- */
const char *instances__major_of(arena *a, const char *version);
/* EngineVersion "15" / "15.x" -> the installed 15; a major not installed is refused. */
int instances__resolve_version(engine_req *r, const char *want, const char **out, rds_error *err);
int instances__check_ca(const char *ca, rds_error *err);
int instances__check_tags(arena *a, const tag_list *t, rds_error *err);
int instances__check_sgs(const str_list *l, rds_error *err);
char *instances__join_sg(arena *a, const str_list *l);
int instances__check_az(engine_req *r, const char *az, rds_error *err);
int instances__check_monitoring(int64_t interval, const char *role_arn, rds_error *err);
int instances__check_storage(const char *type, int64_t gib, int64_t iops, int64_t throughput, rds_error *err);
int instances__check_max_storage(int64_t max_gib, int64_t gib, rds_error *err);
/* Chooses a port (explicit and free, else the next free one of the configured range). */
int instances__choose_port(engine *e, store *s, const opt_int *want, int64_t *out, rds_error *err);
/* The AZs a subnet group's subnets are in (g NULL: the default group, every AZ). */
size_t instances__group_azs(const char *region, const db_subnet_group *g, char azs[DEFAULT_SUBNET_COUNT][32]);

/* ---- pending.c ---- */
/* The standby's AZ of a Multi-AZ instance: another AZ of the region. */
const char *instances__secondary_az(arena *a, const db_instance *d);
/* Renames inside the caller's transaction: the row moves to the new key and its tags to
 * the new ARN (d already carries the new id). */
int instances__rename_in_tx(engine *e, store *s, arena *a, const db_instance *d, const char *old_id,
                            rds_error *err);
/* Moves every pending modification into effect and fixes the derived fields
 * (max_connections, standby AZ). *class_changed: the server must restart. Returns whether
 * anything was pending. */
bool instances__promote_pending(arena *a, db_instance *d, bool *class_changed);

/* ---- newrow.c: what CreateDBInstance and RestoreDBInstanceFromDBSnapshot share (and
 * ModifyDBInstance's rename: instances__id_free) ---- */
/* DBInstanceAlreadyExists if a row of id is there (deleted rows kept for realistic timing
 * count: the identifier is not free yet). */
int instances__id_free(engine_req *r, store *s, const char *id, rds_error *err);
/* The AvailabilityZone a new instance asks for: none with MultiAZ (InvalidParameterCombination),
 * else one of the region's. */
int instances__check_az_request(engine_req *r, bool multi_az, const char *az, rds_error *err);
/* The subnet group a request names (NULL or "default": *out NULL, the default group);
 * DBSubnetGroupNotFoundFault for one that does not exist. */
int instances__load_subnet_group(engine_req *r, store *s, const char *name, db_subnet_group **out,
                                 rds_error *err);
/* A new row of id (arena, zeroed) with what every new instance starts with: a new
 * DbiResourceId, engine postgres, the endpoint, the security groups (sgs, else the
 * region's default), license, creation time, nothing pending, status "creating".
 * *seed: from the id, for the default windows and AZ. */
db_instance *instances__new_row(engine_req *r, const char *id, const str_list *sgs, uint32_t *seed);
/* The backup and maintenance windows: the request's, else the region's defaults for the
 * seed (a maintenance window that does not overlap the backup one). */
void instances__windows(engine_req *r, uint32_t seed, const char *backup, const char *maintenance, char bw[16],
                        char mw[32]);
/* Sets d's AZ (az, else one the seed picks among those of group g) and, for d->multi_az,
 * its standby's. InvalidParameterCombination for an az the group does not cover. */
int instances__place(engine_req *r, db_instance *d, const db_subnet_group *g, uint32_t seed, const char *az,
                     rds_error *err);
/* In the op's transaction: chooses the port (port, else the next free one), writes the row
 * and the tags on arn. */
int instances__claim(engine_op *op, db_instance *d, const opt_int *port, const tag_list *tags, const char *arn,
                     rds_error *err);
/* The server of op->name could not be made ("create" / "restore"): removes its row and
 * tags, logs, and leaves err set (InternalFailure if nothing set it). Returns -1. */
int instances__undo_new_row(engine_op *op, const char *verb, rds_error *err);

/* ---- managed_password.c (secrets): ModifyDBInstance's managed master password ---- */
/* The request touches management (ManageMasterUserPassword, RotateMasterUserPassword,
 * MasterUserSecretKmsKeyId). */
bool instances__mmp_requested(const modify_instance_in *in);
/* The combinations AWS refuses from the request alone, then against the instance (and the
 * secret's KMS key, so the write cannot fail after the server changed). */
int instances__mmp_check_input(const modify_instance_in *in, rds_error *err);
int instances__mmp_check(engine_op *op, const modify_instance_in *in, const db_instance *d, rds_error *err);
/* The password the server gets now: generated (management on, rotation), the request's,
 * or NULL. */
const char *instances__mmp_password(arena *a, const modify_instance_in *in, const db_instance *d);
/* The secret's side, in the op's transaction (d's secret fields updated and stored). */
int instances__mmp_write(engine_op *op, const modify_instance_in *in, db_instance *d, const char *password,
                         rds_error *err);
/* RotateMasterUserPassword, before the server changes (act): the new credentials are
 * staged (AWSPENDING, committed); unstage takes them back when the server's change failed. */
int instances__mmp_stage(engine_op *op, const modify_instance_in *in, const db_instance *d, const char *password,
                         rds_error *err);
void instances__mmp_unstage(engine_op *op, const modify_instance_in *in, const db_instance *d);
/* DeleteDBInstance: the instance's secret is scheduled for deletion. */
int instances__mmp_forget(engine_op *op, const db_instance *d, rds_error *err);
/* ---- Multi-AZ (multiaz.c) ---- */
/* After the server of a new instance (create, restores) is made: its standby when
 * d->multi_az. On failure the server is deleted (the caller takes the row back). */
int instances__multi_az_setup(engine_req *r, const db_instance *d, rds_error *err);
/* d->multi_az changed (ModifyDBInstance, maintenance window): the standby is built or
 * removed on a running server. */
int instances__multi_az_convert(engine *e, arena *a, const db_instance *d, rds_error *err);
/* In a transaction: the conversion's started/finished events for d's new MultiAZ value. */
int instances__multi_az_events(engine *e, store *s, const db_instance *d, rds_error *err);
/* In a transaction, after a failover on request: AZs swapped, row written, events. */
int instances__failover_record(engine *e, store *s, db_instance *d, const char *reason, rds_error *err);

#endif
