/* read_replicas.c: handlers of CreateDBInstanceReadReplica and PromoteReadReplica (the
 * replicas are DB instances: rendered by db_instances.c's act_render_instance).
 * The SDKs turn SourceRegion into PreSignedUrl before sending (botocore and the AWS CLI
 * drop SourceRegion); both are accepted: the source's region comes from its ARN. */
#include "rds.h"

ACTION(CreateDBInstanceReadReplica)
{
    create_replica_in c = {
        ACT_INSTANCE_PLACEMENT_INPUTS(rq, in),
        .source = param_str(in, RDS_M_SourceDBInstanceIdentifier),
        .kms_key_id = param_str(in, RDS_M_KmsKeyId),
        .pre_signed_url = param_str(in, RDS_M_PreSignedUrl),
        .source_region = param_str(in, "SourceRegion"),
        .monitoring_role_arn = param_str(in, RDS_M_MonitoringRoleArn),
        .max_allocated_storage = act_opt_int(in, RDS_M_MaxAllocatedStorage),
        .monitoring_interval = act_opt_int(in, RDS_M_MonitoringInterval),
        .performance_insights = act_opt_bool(in, RDS_M_EnablePerformanceInsights),
    };
    instance_view v;
    if (engine_create_read_replica(&rq->er, &c, &v, err))
        return -1;
    return act_return_instance(x, rq, &v);
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
    return act_return_instance(x, rq, &v);
}

static const action_def rows[] = {
    { &rds_api, "CreateDBInstanceReadReplica", act_CreateDBInstanceReadReplica, 0 },
    { &rds_api, "PromoteReadReplica", act_PromoteReadReplica, 0 },
};
DISPATCH_FAMILY(rds_read_replicas, rows);
