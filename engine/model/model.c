/* model.c: field descriptors of the model structs and the built-in default VPC.
 * The default VPC ids are derived from the region name so they are stable across
 * restarts and state dirs, as a real account's default VPC is. */
#include "rdslocal/model.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define S(f) { #f, MF_STR, offsetof(db_instance, f) }
#define I(f) { #f, MF_INT, offsetof(db_instance, f) }
#define B(f) { #f, MF_BOOL, offsetof(db_instance, f) }
const model_field db_instance_fields[] = {
    S(region), S(id), S(resource_id), S(engine), S(engine_version), S(instance_class), S(status),
    S(shown_status), I(shown_until_ms), S(master_username), S(db_name), I(port),
    S(endpoint_address), I(allocated_storage_gib), I(max_allocated_storage_gib), S(storage_type),
    I(iops), I(storage_throughput), B(storage_encrypted), S(kms_key_id), B(multi_az),
    S(availability_zone), S(secondary_availability_zone), S(subnet_group),
    S(vpc_security_group_ids), S(parameter_group), S(option_group), I(backup_retention_days),
    S(backup_window), S(maintenance_window), B(publicly_accessible),
    B(auto_minor_version_upgrade), B(deletion_protection), B(copy_tags_to_snapshot),
    B(iam_auth), B(performance_insights), I(monitoring_interval_s), S(ca_certificate_id),
    S(license_model), S(network_type), I(max_connections), I(created_at_ms), I(stopped_at_ms),
    I(latest_restorable_ms), S(pending_instance_class), I(pending_allocated_storage_gib),
    I(pending_port), I(pending_backup_retention_days), S(pending_storage_type),
    S(pending_engine_version), I(pending_multi_az), S(pending_ca_certificate_id),
    B(pending_master_password), S(monitoring_role_arn), S(pending_new_id),
};
const size_t db_instance_field_count = sizeof db_instance_fields / sizeof db_instance_fields[0];
#undef S
#undef I
#undef B

#define S(f) { #f, MF_STR, offsetof(db_subnet_group, f) }
#define I(f) { #f, MF_INT, offsetof(db_subnet_group, f) }
const model_field db_subnet_group_fields[] = {
    S(region), S(name), S(description), S(vpc_id), S(subnet_ids), I(created_at_ms),
};
const size_t db_subnet_group_field_count =
    sizeof db_subnet_group_fields / sizeof db_subnet_group_fields[0];
#undef S
#undef I

#define S(f) { #f, MF_STR, offsetof(rds_event, f) }
#define I(f) { #f, MF_INT, offsetof(rds_event, f) }
const model_field rds_event_fields[] = {
    S(region), S(source_id), S(source_type), S(source_arn), S(category), S(message), I(at_ms),
};
const size_t rds_event_field_count = sizeof rds_event_fields / sizeof rds_event_fields[0];
#undef S
#undef I

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
                                           "inaccessible-encryption-credentials", NULL };
    for (int i = 0; stopped[i]; i++)
        if (strcmp(status, stopped[i]) == 0)
            return false;
    return true;
}
