/* rds.h: what the RDS resource-family files (server/rds/<family>.c) share: parameter
 * helpers and the shape renderers one family reuses from another. Each family file keeps
 * its handlers static and exports its rows of the action table with DISPATCH_FAMILY
 * (dispatch.h); server/rds/families.def lists the families. Handlers write their result
 * through res_out (result.h) and never see the wire protocol. */
#ifndef RDSLOCAL_RDS_H
#define RDSLOCAL_RDS_H

#include "dispatch.h"
#include "generated/rds_model.h"

/* Optional values from params. */
opt_int act_opt_int(const param *in, const char *name);
opt_bool act_opt_bool(const param *in, const char *name);
/* A list of strings member ("VpcSecurityGroupIds") as a str_list in the request arena. */
str_list act_str_list(req_ctx *rq, const param *in, const char *name);
/* Tags member ("Tags": Tag.N.Key/Value). */
tag_list act_tags(req_ctx *rq, const param *in, const char *name);
/* MaxRecords: 20..max (default and maximum: max, 100 for most operations),
 * InvalidParameterValue outside. */
int act_max_records(const param *in, int max, int *out, rds_error *err);
/* Filters.Filter.N.{Name,Values}: each filter's values go to the str_list field of *dst the
 * handler's table names (offsetof). A name not in the table is InvalidParameterValue
 * "Unrecognized filter name"; a known name with no value, "must have at least one value".
 * A repeated name keeps its last values. */
typedef struct act_filter_field {
    const char *name;
    size_t offset; /* offsetof(<describe input>, <str_list field>) */
} act_filter_field;
int act_filters(req_ctx *rq, const param *in, const act_filter_field *fields, size_t n_fields, void *dst,
                rds_error *err);

/* The inputs CreateDBInstance and RestoreDBInstanceFromDBSnapshot both take, as designated
 * initializers: create_instance_in and restore_instance_in name these members alike, so one
 * list reads them for both (each handler adds its own members after it). */
/* The placement and storage inputs CreateDBInstanceReadReplica shares with them
 * (create_replica_in names these members alike too). */
#define ACT_INSTANCE_PLACEMENT_INPUTS(rq, in)                                                          \
    .id = param_str(in, RDS_M_DBInstanceIdentifier), .instance_class = param_str(in, RDS_M_DBInstanceClass), \
    .availability_zone = param_str(in, RDS_M_AvailabilityZone),                                      \
    .subnet_group = param_str(in, RDS_M_DBSubnetGroupName),                                          \
    .parameter_group = param_str(in, RDS_M_DBParameterGroupName),                                    \
    .option_group = param_str(in, RDS_M_OptionGroupName),                                            \
    .storage_type = param_str(in, RDS_M_StorageType),                                                \
    .ca_certificate_id = param_str(in, RDS_M_CACertificateIdentifier),                               \
    .network_type = param_str(in, RDS_M_NetworkType),                                                \
    .allocated_storage = act_opt_int(in, RDS_M_AllocatedStorage), .port = act_opt_int(in, RDS_M_Port), \
    .iops = act_opt_int(in, RDS_M_Iops), .storage_throughput = act_opt_int(in, RDS_M_StorageThroughput), \
    .multi_az = act_opt_bool(in, RDS_M_MultiAZ),                                                     \
    .publicly_accessible = act_opt_bool(in, RDS_M_PubliclyAccessible),                               \
    .auto_minor_version_upgrade = act_opt_bool(in, RDS_M_AutoMinorVersionUpgrade),                   \
    .deletion_protection = act_opt_bool(in, RDS_M_DeletionProtection),                               \
    .copy_tags_to_snapshot = act_opt_bool(in, RDS_M_CopyTagsToSnapshot),                             \
    .iam_auth = act_opt_bool(in, RDS_M_EnableIAMDatabaseAuthentication),                             \
    .vpc_security_group_ids = act_str_list(rq, in, RDS_M_VpcSecurityGroupIds),                       \
    .tags = act_tags(rq, in, RDS_M_Tags)
#define ACT_INSTANCE_INPUTS(rq, in)                                                                    \
    ACT_INSTANCE_PLACEMENT_INPUTS(rq, in), .engine = param_str(in, RDS_M_Engine),                    \
    .db_name = param_str(in, RDS_M_DBName), .backup_window = param_str(in, RDS_M_PreferredBackupWindow), \
    .license_model = param_str(in, RDS_M_LicenseModel),                                              \
    .backup_retention = act_opt_int(in, RDS_M_BackupRetentionPeriod),                                \
    .manage_master_password = act_opt_bool(in, RDS_M_ManageMasterUserPassword)

/* Renderers (inside an open parent structure). */
void act_render_instance(res_out *x, req_ctx *rq, const instance_view *v);
void act_render_subnet_group(res_out *x, const subnet_group_view *v);
void act_render_subnets(res_out *x, const default_subnet *subnets, size_t n); /* <Subnets> */
void act_render_tags(res_out *x, const char *element, const rds_tag *tags, size_t n);
/* The result of the actions that answer one DB instance (<DBInstance>); returns 0, so a
 * handler ends with `return act_return_instance(x, rq, &v);`. */
static inline int act_return_instance(res_out *x, req_ctx *rq, const instance_view *v)
{
    res_struct(x, "DBInstance");
    act_render_instance(x, rq, v);
    res_close(x);
    return 0;
}

/* Handlers write through res_out only: calling a wire encoder from a family file does not
 * compile. */
#pragma GCC poison xml_begin xml_open xml_close xml_str xml_int xml_bool xml_time xml_finish
#pragma GCC poison xml_abort xml_error_doc

/* A handler of this family file: static, listed in the file's rows[] (DISPATCH_FAMILY). */
#define ACTION(name) static int act_##name(req_ctx *rq, const param *in, res_out *x, rds_error *err)

#endif
