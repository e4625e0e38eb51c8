/* model.h: the resources rdslocal keeps, as plain structs, and the field descriptors
 * the store uses to map them to SQLite columns. Each struct is declared once, in its
 * .def file (db_instance.def, db_subnet_group.def, kms_key.def, kms_alias.def, rds_event.def), which drives the
 * struct, the columns (adding a row adds its column at the next start, see store.c) and,
 * for DB instances, PendingModifiedValues. No I/O here.
 * Strings are borrowed from the arena that produced the struct (NULL = absent). */
#ifndef RDSLOCAL_MODEL_H
#define RDSLOCAL_MODEL_H

#include "rdslocal/base.h"

typedef enum model_field_type { MF_STR, MF_INT, MF_BOOL } model_field_type;

/* The C type of each .def TYPE (MODEL_CTYPE_STR etc.), for the expansions below. */
#define MODEL_CTYPE_STR const char *
#define MODEL_CTYPE_INT int64_t
#define MODEL_CTYPE_BOOL bool

/* One field of a model struct as the store maps it (one SQLite column per field), from
 * the struct's .def file. */
typedef struct model_field {
    const char *column;    /* SQLite column name (the C member's name) */
    model_field_type type; /* MF_STR: const char *; MF_INT: int64_t; MF_BOOL: bool */
    size_t offset;         /* offsetof in the struct */
    const char *wire;      /* the API member it feeds, "" if none (documentation, tests) */
} model_field;

/* One DB instance, declared in db_instance.def. Times are rdslocal-clock UTC
 * milliseconds (0 = unset). The pending_* members are PendingModifiedValues: held for the
 * maintenance window unless ApplyImmediately (see db_instance_pending below). */
typedef struct db_instance {
#define DBI_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#define DBI_PENDING(name, T, wire, target, none, flags) MODEL_CTYPE_##T name;
#include "rdslocal/db_instance.def"
#undef DBI_FIELD
#undef DBI_PENDING
} db_instance;

extern const model_field db_instance_fields[];
extern const size_t db_instance_field_count;

/* ---- PendingModifiedValues, driven by the DBI_PENDING rows ---- */

/* Flags of a DBI_PENDING row (meanings in db_instance.def). */
#define MPF_APPLY 0x1u
#define MPF_TRISTATE_BOOL 0x2u
#define MPF_MASKED 0x4u
#define MPF_IF_DIFFERENT 0x8u

/* DBI_P_<pending member>: index of a row in db_instance_pending. */
typedef enum db_instance_pending_id {
#define DBI_FIELD(name, T, wire, comment)
#define DBI_PENDING(name, T, wire, target, none, flags) DBI_P_##name,
#include "rdslocal/db_instance.def"
#undef DBI_FIELD
#undef DBI_PENDING
    DBI_P__COUNT
} db_instance_pending_id;

typedef struct model_pending_field {
    const char *wire;               /* PendingModifiedValues member, e.g. "DBInstanceClass" */
    const char *column;             /* the pending member, e.g. "pending_instance_class" */
    model_field_type type;          /* of the pending member */
    size_t offset;                  /* of the pending member */
    model_field_type target_type;   /* of the field it replaces */
    size_t target_offset;
    int64_t none;                   /* INT/BOOL value meaning "nothing pending" (STR: NULL) */
    unsigned flags;                 /* MPF_* */
} model_pending_field;

/* The rows in AWS's PendingModifiedValues order; DBI_P__COUNT of them. Static. */
extern const model_pending_field db_instance_pending[DBI_P__COUNT];

/* A pending value as the API shows it: type MF_STR (s; "****" for MPF_MASKED), MF_INT (i)
 * or MF_BOOL (b). */
typedef struct model_value {
    model_field_type type;
    const char *s;
    int64_t i;
    bool b;
} model_value;

/* For renderers: true if row p of d is to be shown (something pending, and for
 * MPF_IF_DIFFERENT different from the current value), and its value in *out. Strings are
 * borrowed from d. Iterate `for (size_t i = 0; i < DBI_P__COUNT; i++)`. */
bool model_pending_value(const db_instance *d, const model_pending_field *p, model_value *out);
/* True if row id holds something (its value is not `none`). */
bool model_pending_is_set(const db_instance *d, db_instance_pending_id id);
/* Sets row id to `none`. */
void model_pending_clear(db_instance *d, db_instance_pending_id id);
/* A change of an MPF_APPLY field: with now, the field takes the value and its pending row
 * is cleared; without, the value waits in the pending row. _str for STR rows (value
 * borrowed, must outlive d), _int for INT rows (for MPF_TRISTATE_BOOL: 0 or 1). */
void model_defer_str(db_instance *d, db_instance_pending_id id, bool now, const char *value);
void model_defer_int(db_instance *d, db_instance_pending_id id, bool now, int64_t value);
/* Applies every set MPF_APPLY row (field = pending value, row cleared); promoted[i] says
 * which rows were applied (may be NULL). Returns whether any was. Derived fields
 * (max_connections, the standby AZ) are the caller's. */
bool model_pending_promote(db_instance *d, bool promoted[DBI_P__COUNT]);

/* DB subnet group, declared in db_subnet_group.def. */
typedef struct db_subnet_group {
#define DSG_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/db_subnet_group.def"
#undef DSG_FIELD
} db_subnet_group;

extern const model_field db_subnet_group_fields[];
extern const size_t db_subnet_group_field_count;

/* DB snapshot, declared in db_snapshot.def. */
typedef struct db_snapshot {
#define SNP_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/db_snapshot.def"
#undef SNP_FIELD
} db_snapshot;

extern const model_field db_snapshot_fields[];
extern const size_t db_snapshot_field_count;

/* ---- automated backups ---- */
/* Automated backup (DBInstanceAutomatedBackup), declared in db_automated_backup.def. */
typedef struct db_automated_backup {
#define ABK_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/db_automated_backup.def"
#undef ABK_FIELD
} db_automated_backup;
extern const model_field db_automated_backup_fields[];
extern const size_t db_automated_backup_field_count;

/* KMS key and alias, declared in kms_key.def and kms_alias.def. */
typedef struct kms_key {
#define KMSK_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/kms_key.def"
#undef KMSK_FIELD
} kms_key;
extern const model_field kms_key_fields[];
extern const size_t kms_key_field_count;

typedef struct kms_alias {
#define KMSA_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/kms_alias.def"
#undef KMSA_FIELD
} kms_alias;
extern const model_field kms_alias_fields[];
extern const size_t kms_alias_field_count;

/* Secrets Manager secret and secret version, declared in secret.def and secret_version.def. */
typedef struct sm_secret {
#define SEC_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/secret.def"
#undef SEC_FIELD
} sm_secret;
extern const model_field secret_fields[];
extern const size_t secret_field_count;

typedef struct sm_secret_version {
#define SECV_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/secret_version.def"
#undef SECV_FIELD
} sm_secret_version;
extern const model_field secret_version_fields[];
extern const size_t secret_version_field_count;

/* One RDS event (DescribeEvents), declared in rds_event.def. */
typedef struct rds_event {
#define EVT_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/rds_event.def"
#undef EVT_FIELD
} rds_event;

extern const model_field rds_event_fields[];
extern const size_t rds_event_field_count;

/* ---- parameter groups: DB parameter group and its user-set parameters,
 * declared in db_parameter_group.def ---- */
typedef struct db_parameter_group {
#define DPG_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/db_parameter_group.def"
#undef DPG_FIELD
} db_parameter_group;
extern const model_field db_parameter_group_fields[];
extern const size_t db_parameter_group_field_count;

typedef struct db_parameter {
#define DPP_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/db_parameter_group.def"
#undef DPP_FIELD
} db_parameter;
extern const model_field db_parameter_fields[];
extern const size_t db_parameter_field_count;

/* Option group (params), declared in option_group.def. */
typedef struct option_group {
#define OPG_FIELD(name, T, wire, comment) MODEL_CTYPE_##T name;
#include "rdslocal/option_group.def"
#undef OPG_FIELD
} option_group;
extern const model_field option_group_fields[];
extern const size_t option_group_field_count;

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
