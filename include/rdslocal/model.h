/* model.h: the resources rdslocal keeps, as plain structs, and the field descriptors
 * the store uses to map them to SQLite columns (one column per field; adding a field
 * here adds its column at the next start, see store.c). No I/O here.
 * Strings are borrowed from the arena that produced the struct (NULL = absent). */
#ifndef RDSLOCAL_MODEL_H
#define RDSLOCAL_MODEL_H

#include "rdslocal/base.h"

typedef enum model_field_type { MF_STR, MF_INT, MF_BOOL } model_field_type;

typedef struct model_field {
    const char *column;    /* SQLite column name */
    model_field_type type; /* MF_STR: const char *; MF_INT: int64_t; MF_BOOL: bool */
    size_t offset;         /* offsetof in the struct */
} model_field;

/* One DB instance. Times are rdslocal-clock UTC milliseconds (0 = unset). */
typedef struct db_instance {
    const char *region;
    const char *id;                 /* DBInstanceIdentifier, lower case */
    const char *resource_id;        /* DbiResourceId "db-..." (also the data dir key) */
    const char *engine;             /* "postgres" */
    const char *engine_version;     /* "15.18": the version that actually runs */
    const char *instance_class;     /* "db.t3.micro" */
    const char *status;             /* the settled status: available, stopped, failed, ... */
    const char *shown_status;       /* a transitional status shown until shown_until_ms */
    int64_t shown_until_ms;         /* with --realistic-timing; 0 = show status */
    const char *master_username;
    const char *db_name;
    int64_t port;
    const char *endpoint_address;
    int64_t allocated_storage_gib;
    int64_t max_allocated_storage_gib;  /* 0 = autoscaling off */
    const char *storage_type;
    int64_t iops;
    int64_t storage_throughput;
    bool storage_encrypted;
    const char *kms_key_id;
    bool multi_az;
    const char *availability_zone;
    const char *secondary_availability_zone;
    const char *subnet_group;       /* DBSubnetGroupName */
    const char *vpc_security_group_ids; /* comma-separated sg ids */
    const char *parameter_group;
    const char *option_group;
    int64_t backup_retention_days;
    const char *backup_window;      /* "hh24:mi-hh24:mi" */
    const char *maintenance_window; /* "ddd:hh24:mi-ddd:hh24:mi" */
    bool publicly_accessible;
    bool auto_minor_version_upgrade;
    bool deletion_protection;
    bool copy_tags_to_snapshot;
    bool iam_auth;
    bool performance_insights;
    int64_t monitoring_interval_s;
    const char *monitoring_role_arn;
    const char *ca_certificate_id;
    const char *license_model;
    const char *network_type;
    int64_t max_connections;        /* what the real server runs with (from the class) */
    int64_t created_at_ms;
    int64_t stopped_at_ms;          /* when it was stopped (7-day auto start) */
    int64_t latest_restorable_ms;
    /* PendingModifiedValues: held for the maintenance window unless ApplyImmediately */
    const char *pending_instance_class;
    int64_t pending_allocated_storage_gib;
    int64_t pending_port;
    int64_t pending_backup_retention_days;
    const char *pending_storage_type;
    const char *pending_engine_version;
    int64_t pending_multi_az;       /* -1 none, 0 false, 1 true */
    const char *pending_ca_certificate_id;
    bool pending_master_password;   /* a password change is pending (value never kept) */
    const char *pending_new_id;     /* NewDBInstanceIdentifier held for the window */
} db_instance;

extern const model_field db_instance_fields[];
extern const size_t db_instance_field_count;

/* DB subnet group; the subnets are a JSON-free "subnet-id:az," list over the built-in VPC. */
typedef struct db_subnet_group {
    const char *region;
    const char *name;
    const char *description;
    const char *vpc_id;
    const char *subnet_ids;         /* comma-separated */
    int64_t created_at_ms;
} db_subnet_group;

extern const model_field db_subnet_group_fields[];
extern const size_t db_subnet_group_field_count;

/* One RDS event (DescribeEvents). */
typedef struct rds_event {
    const char *region;
    const char *source_id;          /* SourceIdentifier */
    const char *source_type;        /* "db-instance" */
    const char *source_arn;
    const char *category;           /* one category, e.g. "creation" */
    const char *message;
    int64_t at_ms;
} rds_event;

extern const model_field rds_event_fields[];
extern const size_t rds_event_field_count;

/* Tags are kept per resource ARN. */
typedef struct rds_tag { const char *key, *value; } rds_tag;

/* The built-in default VPC of a region: one subnet per AZ in three AZs (a, b, c). */
typedef struct default_subnet { char id[32]; char az[32]; char cidr[24]; } default_subnet;
enum { DEFAULT_SUBNET_COUNT = 3 };
/* Fills the default VPC id ("vpc-...", stable per region) and its subnets. */
void model_default_vpc(const char *region, char vpc_id[32], default_subnet subnets[DEFAULT_SUBNET_COUNT]);
/* The default security group id of the region's default VPC ("sg-..."). */
void model_default_security_group(const char *region, char sg_id[32]);

/* Statuses (AWS strings) and "is the server meant to run in this status". */
bool model_status_runs(const char *status);

#endif
