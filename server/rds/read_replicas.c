/* read_replicas.c: handlers of CreateDBInstanceReadReplica and PromoteReadReplica (the
 * replicas are DB instances: rendered by db_instances.c's act_render_instance).
 * The SDKs turn SourceRegion into PreSignedUrl before sending (botocore and the AWS CLI
 * drop SourceRegion); both are accepted: the source's region comes from its ARN. */
#include "rds.h"

ACTION(CreateDBInstanceReadReplica)
{
    create_replica_in c = {
        .id = param_str(in, RDS_M_DBInstanceIdentifier),
        .source = param_str(in, RDS_M_SourceDBInstanceIdentifier),
        .instance_class = param_str(in, RDS_M_DBInstanceClass),
        .availability_zone = param_str(in, RDS_M_AvailabilityZone),
        .subnet_group = param_str(in, RDS_M_DBSubnetGroupName),
        .parameter_group = param_str(in, RDS_M_DBParameterGroupName),
        .option_group = param_str(in, RDS_M_OptionGroupName),
        .storage_type = param_str(in, RDS_M_StorageType),
        .kms_key_id = param_str(in, RDS_M_KmsKeyId),
        .pre_signed_url = param_str(in, RDS_M_PreSignedUrl),
        .source_region = param_str(in, "SourceRegion"),
        .ca_certificate_id = param_str(in, RDS_M_CACertificateIdentifier),
        .network_type = param_str(in, RDS_M_NetworkType),
        .monitoring_role_arn = param_str(in, RDS_M_MonitoringRoleArn),
        .port = act_opt_int(in, RDS_M_Port),
        .iops = act_opt_int(in, RDS_M_Iops),
        .storage_throughput = act_opt_int(in, RDS_M_StorageThroughput),
        .allocated_storage = act_opt_int(in, RDS_M_AllocatedStorage),
        .max_allocated_storage = act_opt_int(in, RDS_M_MaxAllocatedStorage),
        .monitoring_interval = act_opt_int(in, RDS_M_MonitoringInterval),
        .multi_az = act_opt_bool(in, RDS_M_MultiAZ),
        .publicly_accessible = act_opt_bool(in, RDS_M_PubliclyAccessible),
        .auto_minor_version_upgrade = act_opt_bool(in, RDS_M_AutoMinorVersionUpgrade),
        .deletion_protection = act_opt_bool(in, RDS_M_DeletionProtection),
        .copy_tags_to_snapshot = act_opt_bool(in, RDS_M_CopyTagsToSnapshot),
        .iam_auth = act_opt_bool(in, RDS_M_EnableIAMDatabaseAuthentication),
        .performance_insights = act_opt_bool(in, RDS_M_EnablePerformanceInsights),
        .vpc_security_group_ids = act_str_list(rq, in, RDS_M_VpcSecurityGroupIds),
        .tags = act_tags(rq, in, RDS_M_Tags),
    };
    instance_view v;
    if (engine_create_read_replica(&rq->er, &c, &v, err))
        return -1;
    res_struct(x, "DBInstance");
    act_render_instance(x, rq, &v);
    res_close(x);
    return 0;
}

ACTION(PromoteReadReplica)
{
    promote_replica_in p = {
        .id = param_str(in, RDS_M_DBInstanceIdentifier),
        .backup_window = param_str(in, RDS_M_PreferredBackupWindow),
        .backup_retention = act_opt_int(in, RDS_M_BackupRetentionPeriod),
    };
    instance_view v;
    if (engine_promote_read_replica(&rq->er, &p, &v, err))
        return -1;
    res_struct(x, "DBInstance");
    act_render_instance(x, rq, &v);
    res_close(x);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "CreateDBInstanceReadReplica", act_CreateDBInstanceReadReplica, 0 },
    { &rds_api, "PromoteReadReplica", act_PromoteReadReplica, 0 },
};
DISPATCH_FAMILY(rds_read_replicas, rows);
