/* model.c: field descriptors of the model structs (expanded from their .def files), the
 * PendingModifiedValues helpers driven by db_instance.def, and the built-in default VPC.
 * The default VPC ids are derived from the region name so they are stable across
 * restarts and state dirs, as a real account's default VPC is. */
#include "rdslocal/model.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MF_TYPE_STR MF_STR
#define MF_TYPE_INT MF_INT
#define MF_TYPE_BOOL MF_BOOL

const model_field db_instance_fields[] = {
#define DBI_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(db_instance, name), wire },
#define DBI_PENDING(name, T, wire, target, none, flags) { #name, MF_TYPE_##T, offsetof(db_instance, name), "" },
#include "rdslocal/db_instance.def"
#undef DBI_FIELD
#undef DBI_PENDING
};
const size_t db_instance_field_count = sizeof db_instance_fields / sizeof db_instance_fields[0];

/* The target's type comes from the struct member itself: a _Generic over its pointer. */
#define MF_TYPE_OF(member)                                                                 \
    _Generic(&((db_instance *)0)->member, const char **: MF_STR, int64_t *: MF_INT,        \
             bool *: MF_BOOL)

const model_pending_field db_instance_pending[DBI_P__COUNT] = {
#define DBI_FIELD(name, T, wire, comment)
#define DBI_PENDING(name, T, wire, target, none, flags)                                      \
    [DBI_P_##name] = { wire, #name, MF_TYPE_##T, offsetof(db_instance, name),                \
                       MF_TYPE_OF(target), offsetof(db_instance, target), none, flags },
#include "rdslocal/db_instance.def"
#undef DBI_FIELD
#undef DBI_PENDING
};

const model_field db_subnet_group_fields[] = {
#define DSG_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(db_subnet_group, name), wire },
#include "rdslocal/db_subnet_group.def"
#undef DSG_FIELD
};
const size_t db_subnet_group_field_count =
    sizeof db_subnet_group_fields / sizeof db_subnet_group_fields[0];

/* ---- parameter groups ---- */
const model_field db_parameter_group_fields[] = {
#define DPG_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(db_parameter_group, name), wire },
#include "rdslocal/db_parameter_group.def"
#undef DPG_FIELD
};
const size_t db_parameter_group_field_count = sizeof db_parameter_group_fields / sizeof db_parameter_group_fields[0];
const model_field db_parameter_fields[] = {
#define DPP_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(db_parameter, name), wire },
#include "rdslocal/db_parameter_group.def"
#undef DPP_FIELD
};
const size_t db_parameter_field_count = sizeof db_parameter_fields / sizeof db_parameter_fields[0];

const model_field option_group_fields[] = {
#define OPG_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(option_group, name), wire },
#include "rdslocal/option_group.def"
#undef OPG_FIELD
};
const size_t option_group_field_count = sizeof option_group_fields / sizeof option_group_fields[0];

const model_field db_snapshot_fields[] = {
#define SNP_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(db_snapshot, name), wire },
#include "rdslocal/db_snapshot.def"
#undef SNP_FIELD
};
const size_t db_snapshot_field_count = sizeof db_snapshot_fields / sizeof db_snapshot_fields[0];
/* ---- automated backups ---- */
const model_field db_automated_backup_fields[] = {
#define ABK_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(db_automated_backup, name), wire },
#include "rdslocal/db_automated_backup.def"
#undef ABK_FIELD
};
const size_t db_automated_backup_field_count =
    sizeof db_automated_backup_fields / sizeof db_automated_backup_fields[0];

const model_field kms_key_fields[] = {
#define KMSK_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(kms_key, name), wire },
#include "rdslocal/kms_key.def"
#undef KMSK_FIELD
};
const size_t kms_key_field_count = sizeof kms_key_fields / sizeof kms_key_fields[0];

const model_field kms_alias_fields[] = {
#define KMSA_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(kms_alias, name), wire },
#include "rdslocal/kms_alias.def"
#undef KMSA_FIELD
};
const size_t kms_alias_field_count = sizeof kms_alias_fields / sizeof kms_alias_fields[0];

const model_field rds_event_fields[] = {
#define EVT_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(rds_event, name), wire },
#include "rdslocal/rds_event.def"
#undef EVT_FIELD
};
const size_t rds_event_field_count = sizeof rds_event_fields / sizeof rds_event_fields[0];

/* ---- pending values ---- */

#define AT(d, off, T) ((T *)((char *)(d) + (off)))
#define AT_C(d, off, T) ((const T *)((const char *)(d) + (off)))
/* a const char * member of a const struct */
#define STR_AT_C(d, off) (*(const char *const *)((const char *)(d) + (off)))

static int64_t int_of(const void *obj, model_field_type t, size_t off)
{
    return t == MF_BOOL ? (int64_t)*AT_C(obj, off, bool) : *AT_C(obj, off, int64_t);
}

bool model_pending_is_set(const db_instance *d, db_instance_pending_id id)
{
    assert(id < DBI_P__COUNT);
    const model_pending_field *p = &db_instance_pending[id];
    if (p->type == MF_STR)
        return STR_AT_C(d, p->offset) != NULL;
    return int_of(d, p->type, p->offset) != p->none;
}

void model_pending_clear(db_instance *d, db_instance_pending_id id)
{
    assert(id < DBI_P__COUNT);
    const model_pending_field *p = &db_instance_pending[id];
    switch (p->type) {
    case MF_STR: *AT(d, p->offset, const char *) = NULL; break;
    case MF_INT: *AT(d, p->offset, int64_t) = p->none; break;
    case MF_BOOL: *AT(d, p->offset, bool) = p->none != 0; break;
    }
}

bool model_pending_value(const db_instance *d, const model_pending_field *p, model_value *out)
{
    assert(p >= db_instance_pending && p < db_instance_pending + DBI_P__COUNT);
    memset(out, 0, sizeof *out);
    if (!model_pending_is_set(d, (db_instance_pending_id)(p - db_instance_pending)))
        return false;
    if (p->flags & MPF_MASKED) {
        out->type = MF_STR;
        out->s = "****";
        return true;
    }
    if (p->type == MF_STR) {
        out->type = MF_STR;
        out->s = STR_AT_C(d, p->offset);
        return true;
    }
    int64_t v = int_of(d, p->type, p->offset);
    if ((p->flags & MPF_IF_DIFFERENT) && v == int_of(d, p->target_type, p->target_offset))
        return false;
    if (p->flags & MPF_TRISTATE_BOOL) {
        out->type = MF_BOOL;
        out->b = v == 1;
    } else {
        out->type = p->type;
        out->i = v;
        out->b = v != 0;
    }
    return true;
}

static void set_target_int(db_instance *d, const model_pending_field *p, int64_t v)
{
    if (p->target_type == MF_BOOL)
        *AT(d, p->target_offset, bool) = v != 0;
    else
        *AT(d, p->target_offset, int64_t) = v;
}

void model_defer_str(db_instance *d, db_instance_pending_id id, bool now, const char *value)
{
    const model_pending_field *p = &db_instance_pending[id];
    assert(p->type == MF_STR && p->target_type == MF_STR && (p->flags & MPF_APPLY));
    if (now) {
        *AT(d, p->target_offset, const char *) = value;
        model_pending_clear(d, id);
    } else {
        *AT(d, p->offset, const char *) = value;
    }
}

void model_defer_int(db_instance *d, db_instance_pending_id id, bool now, int64_t value)
{
    const model_pending_field *p = &db_instance_pending[id];
    assert(p->type == MF_INT && (p->flags & MPF_APPLY));
    assert(!(p->flags & MPF_TRISTATE_BOOL) || value == 0 || value == 1);
    if (now) {
        set_target_int(d, p, value);
        model_pending_clear(d, id);
    } else {
        *AT(d, p->offset, int64_t) = value;
    }
}

bool model_pending_promote(db_instance *d, bool promoted[DBI_P__COUNT])
{
    bool any = false;
    for (size_t i = 0; i < DBI_P__COUNT; i++) {
        const model_pending_field *p = &db_instance_pending[i];
        bool set = (p->flags & MPF_APPLY) && model_pending_is_set(d, (db_instance_pending_id)i);
        if (promoted)
            promoted[i] = set;
        if (!set)
            continue;
        if (p->type == MF_STR)
            *AT(d, p->target_offset, const char *) = *AT(d, p->offset, const char *);
        else
            set_target_int(d, p, int_of(d, p->type, p->offset));
        model_pending_clear(d, (db_instance_pending_id)i);
        any = true;
    }
    return any;
}

/* FNV-1a: a stable hash to derive ids from the region name. */
static uint32_t fnv1a(const char *s, uint32_t salt)
{
    uint32_t h = 2166136261u ^ salt;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

void model_default_vpc(const char *region, char vpc_id[32], default_subnet subnets[DEFAULT_SUBNET_COUNT])
{
    /* Every rendered instance asks for its region's VPC: remember the last one per thread. */
    static _Thread_local char last_region[64];
    static _Thread_local char last_vpc[32];
    static _Thread_local default_subnet last_subnets[DEFAULT_SUBNET_COUNT];
    if (last_region[0] && strcmp(region, last_region) == 0) {
        memcpy(vpc_id, last_vpc, 32);
        memcpy(subnets, last_subnets, sizeof last_subnets);
        return;
    }
    snprintf(vpc_id, 32, "vpc-%08x%09x", fnv1a(region, 1), fnv1a(region, 2) & 0xfffffffu);
    for (int i = 0; i < DEFAULT_SUBNET_COUNT; i++) {
        snprintf(subnets[i].id, sizeof subnets[i].id, "subnet-%08x%09x", fnv1a(region, 10u + (unsigned)i),
                 fnv1a(region, 20u + (unsigned)i) & 0xfffffffu);
        snprintf(subnets[i].az, sizeof subnets[i].az, "%s%c", region, 'a' + i);
        snprintf(subnets[i].cidr, sizeof subnets[i].cidr, "172.31.%d.0/20", i * 16);
    }
    if (strlen(region) < sizeof last_region) {
        snprintf(last_region, sizeof last_region, "%s", region);
        memcpy(last_vpc, vpc_id, 32);
        memcpy(last_subnets, subnets, sizeof last_subnets);
    }
}

void model_default_security_group(const char *region, char sg_id[32])
{
    snprintf(sg_id, 32, "sg-%08x%09x", fnv1a(region, 30), fnv1a(region, 31) & 0xfffffffu);
}

bool model_status_runs(const char *status)
{
    static const char *const stopped[] = { "stopped", "stopping", "deleting", "failed",
                                           "inaccessible-encryption-credentials",
                                           "inaccessible-encryption-credentials-recoverable", NULL };
    for (int i = 0; stopped[i]; i++)
        if (strcmp(status, stopped[i]) == 0)
            return false;
    return true;
}

/* Secrets Manager (secrets) */
const model_field secret_fields[] = {
#define SEC_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(sm_secret, name), wire },
#include "rdslocal/secret.def"
#undef SEC_FIELD
};
const size_t secret_field_count = sizeof secret_fields / sizeof secret_fields[0];

const model_field secret_version_fields[] = {
#define SECV_FIELD(name, T, wire, comment) { #name, MF_TYPE_##T, offsetof(sm_secret_version, name), wire },
#include "rdslocal/secret_version.def"
#undef SECV_FIELD
};
const size_t secret_version_field_count = sizeof secret_version_fields / sizeof secret_version_fields[0];
