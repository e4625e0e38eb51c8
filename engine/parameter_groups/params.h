/* params.h: what the parameter-group family's files share (engine/parameter_groups/):
 * the engine defaults of a family (defaults.c), the groups (groups.c) and what the servers
 * that use them run with (apply.c). */
#ifndef RDSLOCAL_PARAMS_H
#define RDSLOCAL_PARAMS_H

#include "engine_internal.h"

/* One parameter of a family, as DescribeEngineDefaultParameters shows it. */
typedef struct param_def {
    const char *name;
    const char *data_type;    /* boolean, integer, real, string, list */
    const char *allowed;      /* AllowedValues: "0,1", "1-100", "none,ddl,mod,all"; NULL: any */
    const char *apply_type;   /* static (postmaster context) or dynamic */
    const char *description;
    const char *source;       /* engine-default, or system (rdslocal manages it) */
    const char *value;        /* ParameterValue shown by default; NULL: none (as RDS, for most) */
    bool modifiable;
    bool rds;                 /* an rds.* parameter: not a postgres setting */
    char kind;                /* b(ool) i(nt) r(eal) e(num) s(tring) l(ist) */
    double min, max;          /* i, r */
} param_def;

typedef struct param_defs {
    param_def *v;             /* sorted by name */
    size_t n;
} param_defs;

/* "postgres15" -> "15" if that major is installed; else NULL. */
const char *params__family_major(engine_req *r, const char *family);
/* The default group's name of a family ("default.postgres15"). */
const char *params__default_group(arena *a, const char *family);
/* The family of a default group name, if it is one of an installed major; else NULL. */
const char *params__default_family(engine_req *r, const char *name);
/* The engine defaults of an installed family (built once from the real server's
 * pg_settings, then read from the store's meta). */
int params__defaults(engine_req *r, store *s, const char *family, param_defs *out, rds_error *err);
const param_def *params__find(const param_defs *d, const char *name);
/* AWS's InvalidParameterValue when value does not fit p's type, range or allowed values. */
int params__check_value(const param_def *p, const char *value, rds_error *err);
/* The engine default of an rds.* parameter ("rds.force_ssl" -> "1"); NULL for others. */
const char *params__rds_default(const char *name);
/* `name = 'value'` with the value escaped for postgresql.conf (' and \ doubled), in a. */
const char *params__conf_line(arena *a, const char *name, const char *value);

/* A group (default ones made up, stored ones read); DBParameterGroupNotFound if none. */
int params__load_group(engine_req *r, store *s, const char *name, db_parameter_group **out, rds_error *err);
/* Brings every instance using group `name` up to date with it (after a change committed;
 * no lock held): dynamic settings reloaded now, static ones pending-reboot. */
void params__sync_users(engine_req *r, const char *name);

#endif
