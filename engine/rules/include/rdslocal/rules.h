/* rules.h: the RDS rules as pure functions. Parameter validation (identifiers, names,
 * credentials, port, retention, storage, instance classes), backup and maintenance windows,
 * lifecycle state checks and the RDS event catalogue.
 *
 * Every function here is pure: no I/O, no allocation, no clock reads (the current time is an
 * argument, UTC milliseconds), no global state. They are safe to call from any thread.
 * Failures fill `err` with the AWS error code and AWS's client message (see rules_*.c for the
 * source of each message: verified AWS wording, or AWS-styled where AWS's text is not public)
 * and return -1; success returns 0 and leaves `err` untouched. `err` may be NULL.
 * String arguments are borrowed for the call only; returned pointers point at static tables
 * and live for the whole program.
 *
 * Engine names: only "postgres" is emulated. Engine-dependent functions treat NULL as
 * "postgres"; for any other engine they apply the postgres rules too, except the instance
 * class lookups, which offer nothing for other engines. */
#ifndef RDSLOCAL_RULES_H
#define RDSLOCAL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdslocal/base.h"

/* ---- names and credentials --------------------------------------------- */

/* Checks an RDS identifier (DBInstanceIdentifier, DBSnapshotIdentifier,
 * FinalDBSnapshotIdentifier, SourceDBInstanceIdentifier, ...): 1-63 characters, ASCII letters,
 * digits and hyphens, first a letter, no two consecutive hyphens, not ending in a hyphen.
 * Upper case is accepted (AWS stores identifiers lower-cased; the caller lower-cases).
 * param is the wire name used in the message ("DBInstanceIdentifier").
 * Errors: InvalidParameterValue ("The parameter <param> is not a valid identifier. ..." or
 * "... because it is longer than 63 characters."; NULL/empty: "must be provided"). */
int rules_identifier(const char *param, const char *value, rds_error *err);

/* The engines this rdslocal runs, comma-separated, for messages. */
#define RULES_ENGINES_OFFERED "postgres"

/* Engine: one rdslocal offers (postgres). Errors: InvalidParameterValue, AWS's
 * "Invalid DB engine: <engine>" first (clients match on it), then ". rdslocal offers:
 * <RULES_ENGINES_OFFERED>." (NULL is taken as empty). */
int rules_engine(const char *engine, rds_error *err);

/* Checks a DBSubnetGroupName for CreateDBSubnetGroup: 1-255 ASCII letters, digits, periods,
 * underscores, spaces or hyphens, and not "default" (any case).
 * Errors: InvalidParameterValue. */
int rules_subnet_group_name(const char *value, rds_error *err);

/* Checks MasterUsername (postgres): 1-63 characters, first a letter, then letters, digits or
 * underscores, and not a reserved word (case-insensitive; PostgreSQL's reserved key words,
 * role names PostgreSQL or RDS reserve, names beginning "pg_"; "postgres" is allowed).
 * Errors: InvalidParameterValue. */
int rules_master_username(const char *engine, const char *value, rds_error *err);

/* Checks MasterUserPassword (postgres): 8-128 printable ASCII characters other than
 * '/', '"', '@' and space. The password never appears in the message.
 * Errors: InvalidParameterValue. */
int rules_master_password(const char *engine, const char *value, rds_error *err);

/* Checks DBName (postgres): 1-63 characters, first a letter, then letters, digits or
 * underscores, not a reserved word (the same list as rules_master_username, without the
 * role names). Errors: InvalidParameterValue. */
int rules_db_name(const char *engine, const char *value, rds_error *err);

/* ---- numbers ----------------------------------------------------------- */

/* Port: 1150-65535. Errors: InvalidParameterValue. */
int rules_port(int port, rds_error *err);

/* The port an instance listens on when CreateDBInstance gives none: the engine's own
 * default (AWS gives every instance its own host, so they all share it). */
#define RULES_DEFAULT_PORT_POSTGRES 5432

/* BackupRetentionPeriod: 0-35 days (0 disables automated backups).
 * Errors: InvalidParameterValue. */
int rules_backup_retention(int days, rds_error *err);

/* StorageType: "standard", "gp2", "gp3", "io1" or "io2" (exact, lower case).
 * Errors: InvalidParameterValue. */
int rules_storage_type(const char *value, rds_error *err);

/* The StorageType RDS uses when CreateDBInstance gives neither StorageType nor Iops (AWS's
 * current default; with Iops the default is io1). The one definition the engine uses too. */
#define RULES_DEFAULT_STORAGE_TYPE "gp3"

/* AllocatedStorage and Iops for postgres. storage_type NULL means RULES_DEFAULT_STORAGE_TYPE
 * (gp3, the RDS default when Iops is not given); iops <= 0 means "not given".
 *   gp2, gp3: 20-65536 GiB; io1, io2: 100-65536 GiB; standard: 5-3072 GiB.
 *   gp2, standard: Iops not allowed.
 *   gp3: Iops only from 400 GiB, then 12000-64000 (below 400 GiB the baseline is fixed).
 *   io1: Iops required, 1000-256000, Iops/GiB between 0.5 and 50.
 *   io2: Iops required, 1000-256000, Iops/GiB between 0.5 and 1000.
 * Errors: InvalidParameterValue for an unknown storage type; InvalidParameterCombination for
 * the size and Iops rules (that is the code AWS returns for them). */
int rules_storage(const char *engine, const char *storage_type, int allocated_gib, int iops,
                  rds_error *err);

/* gp3's baseline for postgres, what RDS shows as Iops / StorageThroughput when none are
 * provisioned: 3000 IOPS / 125 MiB/s below 400 GiB, 12000 / 500 from it. */
void rules_gp3_baseline(int64_t allocated_gib, int64_t *iops, int64_t *throughput_mibps);

/* The storage limits RDS for PostgreSQL applies per storage type (the numbers rules_storage
 * checks), for DescribeOrderableDBInstanceOptions and for callers that need a range.
 * Units: GiB, IOPS, MiB/s. A 0 field means "not applicable" (no Iops for gp2/standard, no
 * Iops-per-GiB rule for gp3, no configurable throughput except gp3). */
typedef struct rules_storage_limits {
    const char *type;               /* "gp2", "gp3", "io1", "io2", "standard" */
    int min_gib, max_gib;           /* AllocatedStorage range */
    bool iops_required;             /* io1, io2: Iops must be given */
    bool iops_allowed;              /* gp3 (from 400 GiB), io1, io2 */
    int min_iops, max_iops;         /* provisioned Iops range */
    double min_iops_per_gib;        /* Iops / AllocatedStorage range; 0: no ratio rule */
    double max_iops_per_gib;
    int min_throughput_mibps;       /* provisioned StorageThroughput range (gp3); 0: none */
    int max_throughput_mibps;
    double max_throughput_per_iops; /* MiB/s per provisioned Iops (gp3: 0.25); 0: none */
} rules_storage_limits;

/* Sets *out to the static table of postgres storage types (gp2, gp3, io1, io2, standard, in
 * that order) and returns its length. */
size_t rules_storage_types(const rules_storage_limits **out);

/* ---- instance classes -------------------------------------------------- */

/* One DB instance class: name ("db.t3.micro"), vCPUs, memory in GiB. */
typedef struct rules_instance_class {
    const char *name;
    int vcpu;
    double memory_gib;
} rules_instance_class;

/* The class named `name` if RDS offers it for the engine (postgres: current-generation
 * burstable t3/t4g, general purpose m5/m5d/m6g/m6gd/m6i/m6id/m6in/m6idn/m7g/m7i/m8g, memory
 * optimized r5/r5b/r5d/r6g/r6gd/r6i/r6id/r6in/r6idn/r7g/r7i/r8g, x2g), with its EC2
 * vCPU/memory figures. NULL if not offered (t2, m4, r4 are no longer offered for current
 * postgres versions) or for an engine other than postgres. The result is static. */
const rules_instance_class *rules_instance_class_find(const char *engine, const char *name);

/* Sets *out to the static table of classes for the engine and returns its length (0 and
 * *out = NULL for an engine other than postgres). */
size_t rules_instance_classes(const char *engine, const rules_instance_class **out);

/* 0 if rules_instance_class_find finds `name`; else InvalidParameterCombination with AWS's
 * "RDS does not support creating a DB instance with the following combination:
 * DBInstanceClass=..., Engine=..., EngineVersion=..., LicenseModel=postgresql-license. ..."
 * engine_version is only quoted in the message (pass the version the request resolves to). */
int rules_check_instance_class(const char *engine, const char *engine_version,
                               const char *name, rds_error *err);

/* The default max_connections RDS for PostgreSQL computes for the class:
 * LEAST({DBInstanceClassMemory/9531392}, 5000). DBInstanceClassMemory is the class memory less
 * what RDS reserves for the OS and its agents, which AWS does not publish; this uses
 * 256 MiB + 4% of the class memory (gives 79 for 1 GiB, 404 for 4 GiB, 1702 for 16 GiB,
 * close to the values observed on RDS). cls NULL gives 100 (PostgreSQL's own default). */
int rules_default_max_connections(const rules_instance_class *cls);

/* ---- windows ----------------------------------------------------------- */

/* A parsed window. Daily (backup) windows count minutes from 00:00 UTC (0-1439); weekly
 * (maintenance) windows count minutes from Monday 00:00 UTC (0-10079). end_min < start_min
 * means the window wraps midnight (daily) or the end of the week (weekly). */
typedef struct rules_window {
    int start_min, end_min;
    bool weekly;
} rules_window;

/* Parses PreferredBackupWindow "hh24:mi-hh24:mi" (two-digit fields, UTC). The window may wrap
 * midnight and must be at least 30 minutes. Errors: InvalidParameterValue. */
int rules_parse_backup_window(const char *s, rules_window *out, rds_error *err);

/* Parses PreferredMaintenanceWindow "ddd:hh24:mi-ddd:hh24:mi" (days mon..sun, any case; UTC).
 * The window may wrap the end of the week; it must be at least 30 minutes and less than
 * 24 hours. Errors: InvalidParameterValue. */
int rules_parse_maintenance_window(const char *s, rules_window *out, rds_error *err);

/* Formats a parsed window the way RDS returns it: "03:00-03:30" or "sun:05:00-sun:05:30"
 * (day names lower case). buf should hold at least 24 bytes; truncates like snprintf. */
void rules_format_window(char *buf, size_t n, const rules_window *w);

/* Parses whichever of the two windows is given (either may be NULL) and, when both are,
 * checks that they do not overlap (the daily backup window on every day of the week against
 * the maintenance window; windows that only touch, 03:00-03:30 and mon:03:30-..., do not
 * overlap). Errors: InvalidParameterValue. */
int rules_check_windows(const char *backup, const char *maintenance, rds_error *err);

/* The window RDS assigns when the request gives none: a 30-minute window inside the region's
 * 8-hour block (the per-region tables of the RDS user guide; an unknown or NULL region uses
 * us-east-1's), chosen deterministically from seed; the maintenance window also gets a day
 * chosen from seed. For the same region and seed the two defaults never overlap. When the
 * request gives one window and not the other, call rules_check_windows on the pair and try
 * seed+1, seed+2, ... until it passes. Writes "hh:mm-hh:mm" / "ddd:hh:mm-ddd:hh:mm";
 * buf should hold at least 24 bytes. */
void rules_default_backup_window(char *buf, size_t n, const char *region, uint32_t seed);
void rules_default_maintenance_window(char *buf, size_t n, const char *region, uint32_t seed);

/* True if now_ms (UTC ms) falls inside the maintenance window [start, end). False for an
 * invalid window. */
bool rules_in_maintenance_window(const char *window, int64_t now_ms);

/* The first start of the maintenance window at or after now_ms (UTC ms); -1 for an invalid
 * window. */
int64_t rules_next_maintenance_start_ms(const char *window, int64_t now_ms);

/* ---- lifecycle states -------------------------------------------------- */

/* The state checks take the instance id (for the message) and its DBInstanceStatus string.
 * Each returns 0 if the operation may start, else InvalidDBInstanceState with AWS's message.
 *
 * stop:   from "available" only. multi_az_sqlserver true (a Multi-AZ SQL Server instance) is
 *         refused with InvalidParameterCombination; always false for postgres.
 * start:  from "stopped", "inaccessible-encryption-credentials-recoverable",
 *         "incompatible-network".
 * reboot: from "available", "storage-optimization", "incompatible-parameters".
 * modify: from "available", "backing-up", "storage-optimization", "storage-full",
 *         "incompatible-parameters".
 * delete: from any state except "deleting" ("Instance <id> is already being deleted."). */
int rules_can_stop(const char *id, const char *status, bool multi_az_sqlserver, rds_error *err);
int rules_can_start(const char *id, const char *status, rds_error *err);
int rules_can_reboot(const char *id, const char *status, rds_error *err);
int rules_can_modify(const char *id, const char *status, rds_error *err);
int rules_can_delete(const char *id, const char *status, rds_error *err);

/* An encrypted instance whose KMS key became unusable stays
 * inaccessible-encryption-credentials-recoverable for 7 days (re:Post
 * rds-aurora-inaccessible-state; user guide), then becomes the terminal
 * inaccessible-encryption-credentials. True when now_ms - lost_at_ms >= 7 days. */
#define RULES_KMS_RECOVERY_MS (7LL * 24 * 3600 * 1000)
bool rules_kms_recovery_expired(int64_t lost_at_ms, int64_t now_ms);

/* AWS starts a stopped instance automatically once it has been stopped for 7 days
 * (RDS-EVENT-0154). True when now_ms - stopped_at_ms >= 7 days. */
#define RULES_MAX_STOP_MS (7LL * 24 * 60 * 60 * 1000)
bool rules_stop_expired(int64_t stopped_at_ms, int64_t now_ms);

/* ---- tags -------------------------------------------------------------- */

/* AWS: at most 50 user tags per RDS resource. */
#define RULES_MAX_TAGS 50

/* Checks n tags (keys[i], values[i]; a NULL value is treated as "") as AddTagsToResource and
 * the Tags of every Create* action do:
 *   n <= RULES_MAX_TAGS;
 *   key 1-128 and value 0-256 Unicode code points (not bytes; the strings are UTF-8);
 *   neither may begin with "aws:" or "rds:" (any case);
 *   characters only from ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$: ASCII letters and digits, space,
 *   _ . : / = + - @, and any non-ASCII code point except C1 controls (approximating \p{L},
 *   \p{Z}, \p{N}); invalid UTF-8 is refused.
 * The 50-per-resource limit including tags already on the resource is the caller's check.
 * Errors: InvalidParameterValue with AWS's messages (sources in rules_events.c, which holds
 * this check). */
int rules_tags(const char *const *keys, const char *const *values, size_t n, rds_error *err);

/* ---- events ------------------------------------------------------------ */

/* The db-instance events rdslocal emits. Table in rules_events.c; messages are AWS's
 * DescribeEvents texts (user guide "Amazon RDS event categories and event messages"). */
typedef enum rules_event_id {
    RULES_EV_CREATED,                       /* RDS-EVENT-0005 */
    RULES_EV_DELETED,                       /* RDS-EVENT-0003 */
    RULES_EV_RESTARTED,                     /* RDS-EVENT-0006 */
    RULES_EV_SHUTDOWN,                      /* RDS-EVENT-0004 */
    RULES_EV_STOPPED,                       /* RDS-EVENT-0087 */
    RULES_EV_STARTED,                       /* RDS-EVENT-0088 */
    RULES_EV_RESET_CREDENTIALS,             /* RDS-EVENT-0016 */
    RULES_EV_CLASS_CHANGED,                 /* RDS-EVENT-0014 */
    RULES_EV_STORAGE_CHANGED,               /* RDS-EVENT-0017 */
    RULES_EV_PARAMETER_GROUP_CHANGED,       /* RDS-EVENT-0011, one %s: the group name */
    RULES_EV_BACKUP_RETENTION_CHANGED_ON,   /* RDS-EVENT-0032 */
    RULES_EV_BACKUP_RETENTION_CHANGED_OFF,  /* RDS-EVENT-0028 */
    RULES_EV_SECURITY_GROUP_CHANGED,        /* RDS-EVENT-0038 */
    RULES_EV_MULTI_AZ_ON_STARTED,           /* RDS-EVENT-0024 */
    RULES_EV_MULTI_AZ_ON_FINISHED,          /* RDS-EVENT-0025 */
    RULES_EV_FAILED,                        /* RDS-EVENT-0031, one %s: the status */
    RULES_EV_RECOVERY_STARTED,              /* RDS-EVENT-0020 */
    RULES_EV_RECOVERY_FINISHED,             /* RDS-EVENT-0021 */
    RULES_EV_AUTO_STARTED_AFTER_7_DAYS,     /* RDS-EVENT-0154 */
    RULES_EV_PORT_CHANGED,                  /* no AWS event id */
    RULES_EV_MODIFIED,                      /* no AWS event id: generic modification */
    RULES_EV_RESTORED_FROM_SNAPSHOT,        /* RDS-EVENT-0043, one %s: the snapshot */
    RULES_EV_SNAPSHOT_CREATING,             /* RDS-EVENT-0040 (db-snapshot) */
    RULES_EV_SNAPSHOT_CREATED,              /* RDS-EVENT-0042 (db-snapshot) */
    RULES_EV_SNAPSHOT_DELETED,              /* RDS-EVENT-0041 (db-snapshot) */
    RULES_EV_SNAPSHOT_COPY_STARTED,         /* RDS-EVENT-0196 (db-snapshot), one %s: the source */
    RULES_EV_SNAPSHOT_COPY_FINISHED,        /* RDS-EVENT-0197 (db-snapshot), one %s: the source */
    /* ---- automated backups (autobackup) ---- */
    RULES_EV_BACKUP_STARTED,                /* RDS-EVENT-0001 */
    RULES_EV_BACKUP_FINISHED,               /* RDS-EVENT-0002 */
    RULES_EV_AUTO_SNAPSHOT_CREATING,        /* RDS-EVENT-0090 (db-snapshot) */
    RULES_EV_AUTO_SNAPSHOT_CREATED,         /* RDS-EVENT-0091 (db-snapshot) */
    /* ---- point-in-time restore (pitr) ---- */
    RULES_EV_RESTORED_TO_POINT_IN_TIME,     /* RDS-EVENT-0019, one %s: "<source> to <time>" */
    /* Multi-AZ (engine/instances/multiaz.c) */
    RULES_EV_MULTI_AZ_OFF_STARTED,          /* RDS-EVENT-0030 */
    RULES_EV_MULTI_AZ_OFF_FINISHED,         /* RDS-EVENT-0029 */
    RULES_EV_FAILOVER_STARTED,              /* RDS-EVENT-0013 */
    RULES_EV_FAILOVER_COMPLETED,            /* RDS-EVENT-0049 */
    RULES_EV_FAILOVER_REASON,               /* no AWS id: one %s, why the failover happened */
    /* read replicas (replicas) */
    RULES_EV_REPLICA_TERMINATED,            /* RDS-EVENT-0057 */
    /* fault injection (engine/faults/) */
    RULES_EV_STORAGE_FULL,                  /* RDS-EVENT-0007 (low storage) */
    RULES_EV_NOT_RESPONDING,                /* no AWS event id: a hang fault began */
    RULES_EV_RESPONDING_AGAIN,              /* no AWS event id: a hang fault ended */
    RULES_EV_MULTI_AZ_RECOVERY_STARTED,     /* RDS-EVENT-0052: the standby is lost or cut off */
    RULES_EV_MULTI_AZ_RECOVERY_FINISHED,    /* RDS-EVENT-0053: the standby is back in sync */
    RULES_EV__COUNT
} rules_event_id;

/* One event. rds_event_id is NULL where AWS documents no event for the situation (the message
 * is then AWS-styled). message is a printf format taking `nargs` string arguments (0 or 1).
 * source_type is the DescribeEvents SourceType the event is documented under. */
typedef struct rules_event_def {
    const char *rds_event_id;   /* "RDS-EVENT-0005" or NULL */
    const char *category;       /* "creation" */
    const char *message;        /* "DB instance created" */
    int nargs;                  /* number of %s in message */
    const char *source_type;    /* "db-instance" */
} rules_event_def;

/* The definition of id; NULL for an id outside the enum. Static. */
const rules_event_def *rules_event(rules_event_id id);

/* True if category (exact, lower case, e.g. "configuration change") is a DescribeEvents /
 * event-subscription EventCategories value for source_type. source_type NULL: valid for any
 * source type. */
bool rules_event_category_valid(const char *source_type, const char *category);

/* One DescribeEventCategories row: a SourceType and its event categories (NULL-terminated,
 * alphabetical), per the user guide's event tables. */
typedef struct rules_event_source {
    const char *source_type;            /* "db-instance" */
    const char *const *categories;      /* { "availability", ..., NULL } */
} rules_event_source;

/* Sets *out to the static table of every SourceType (db-instance, db-parameter-group,
 * db-security-group, db-snapshot, db-cluster, db-cluster-snapshot, custom-engine-version,
 * db-proxy, blue-green-deployment, db-shard-group, zero-etl) and returns its length. */
size_t rules_event_sources(const rules_event_source **out);

/* True for the SourceType values of the RDS API: db-instance, db-parameter-group,
 * db-security-group, db-snapshot, db-cluster, db-cluster-snapshot, custom-engine-version,
 * db-proxy, blue-green-deployment, db-shard-group, zero-etl (exact). */
bool rules_source_type_valid(const char *source_type);

#endif
