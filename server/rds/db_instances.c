/* db_instances.c: handlers of the DB instance operations and the DBInstance renderer. */
#include "rds.h"

#include <stddef.h>
#include <string.h>

void act_render_instance(res_out *x, req_ctx *rq, const instance_view *v)
{
    const db_instance *d = v->inst;
    res_str(x, "DBInstanceIdentifier", d->id);
    res_str(x, "DBInstanceClass", d->instance_class);
    res_str(x, "Engine", d->engine);
    res_str(x, "DBInstanceStatus", v->status);
    res_str(x, "MasterUsername", d->master_username);
    res_str(x, "DBName", d->db_name);
    /* AWS reports no endpoint while an instance is being created. */
    if (strcmp(v->status, "creating") != 0) {
        res_struct(x, "Endpoint");
        res_str(x, "Address", d->endpoint_address);
        res_int(x, "Port", d->port);
        res_str(x, "HostedZoneId", "Z2R2ITUGPM61AM");
        res_close(x);
    }
    res_int(x, "AllocatedStorage", d->allocated_storage_gib);
    if (strcmp(v->status, "creating") != 0)
        res_time(x, "InstanceCreateTime", d->created_at_ms);
    res_str(x, "PreferredBackupWindow", d->backup_window);
    res_int(x, "BackupRetentionPeriod", d->backup_retention_days);
    res_list(x, "DBSecurityGroups");
    res_close(x);
    res_list(x, "VpcSecurityGroups");
    if (d->vpc_security_group_ids && *d->vpc_security_group_ids) {
        char *ids = arena_strdup(rq->er.a, d->vpc_security_group_ids), *save = NULL;
        for (char *t = strtok_r(ids, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            res_struct(x, "VpcSecurityGroupMembership");
            res_str(x, "VpcSecurityGroupId", t);
            res_str(x, "Status", "active");
            res_close(x);
        }
    }
    res_close(x);
    res_list(x, "DBParameterGroups");
    res_struct(x, "DBParameterGroup");
    res_str(x, "DBParameterGroupName", d->parameter_group);
    res_str(x, "ParameterApplyStatus", d->param_apply_status ? d->param_apply_status : "in-sync");
    res_close(x);
    res_close(x);
    /* AWS places a new instance after answering: no AvailabilityZone while creating. */
    if (strcmp(v->status, "creating") != 0)
        res_str(x, "AvailabilityZone", d->availability_zone);
    res_struct(x, "DBSubnetGroup");
    res_str(x, "DBSubnetGroupName", d->subnet_group);
    res_str(x, "DBSubnetGroupDescription", v->subnet_group_description);
    res_str(x, "VpcId", v->vpc_id);
    res_str(x, "SubnetGroupStatus", "Complete");
    act_render_subnets(x, v->subnets, v->n_subnets);
    res_close(x);
    res_str(x, "PreferredMaintenanceWindow", d->maintenance_window);
    /* PendingModifiedValues: one row per DBI_PENDING field of db_instance.def, in AWS's order. */
    res_struct(x, "PendingModifiedValues");
    for (size_t i = 0; i < DBI_P__COUNT; i++) {
        model_value pv;
        if (!model_pending_value(d, &db_instance_pending[i], &pv))
            continue;
        if (pv.type == MF_STR)
            res_str(x, db_instance_pending[i].wire, pv.s);
        else if (pv.type == MF_BOOL)
            res_bool(x, db_instance_pending[i].wire, pv.b);
        else
            res_int(x, db_instance_pending[i].wire, pv.i);
    }
    res_close(x);
    if (d->latest_restorable_ms && d->backup_retention_days > 0 && strcmp(v->status, "creating") != 0)
        res_time(x, "LatestRestorableTime", d->latest_restorable_ms);
    res_bool(x, "MultiAZ", d->multi_az);
    res_str(x, "EngineVersion", d->engine_version);
    res_bool(x, "AutoMinorVersionUpgrade", d->auto_minor_version_upgrade);
    res_str(x, "ReadReplicaSourceDBInstanceIdentifier", v->replica_source);
    res_list(x, "ReadReplicaDBInstanceIdentifiers");
    for (size_t i = 0; i < v->n_replica_ids; i++)
        res_str(x, "ReadReplicaDBInstanceIdentifier", v->replica_ids[i]);
    res_close(x);
    res_list(x, "ReadReplicaDBClusterIdentifiers");
    res_close(x);
    res_str(x, "LicenseModel", d->license_model);
    if (d->iops)
        res_int(x, "Iops", d->iops);
    if (d->storage_throughput)
        res_int(x, "StorageThroughput", d->storage_throughput);
    res_list(x, "OptionGroupMemberships");
    res_struct(x, "OptionGroupMembership");
    res_str(x, "OptionGroupName", d->option_group);
    res_str(x, "Status", "in-sync");
    res_close(x);
    res_close(x);
    res_str(x, "SecondaryAvailabilityZone", d->multi_az ? d->secondary_availability_zone : NULL);
    res_bool(x, "PubliclyAccessible", d->publicly_accessible);
    if (v->replica_state) { /* read replicas: as AWS shows a replica's replication state */
        res_list(x, "StatusInfos");
        res_struct(x, "DBInstanceStatusInfo");
        res_str(x, "StatusType", "read replication");
        res_bool(x, "Normal", v->replica_normal);
        res_str(x, "Status", v->replica_state);
        res_str(x, "Message", v->replica_message);
        res_close(x);
        res_close(x);
    }
    res_str(x, "StorageType", d->storage_type);
    res_int(x, "DbInstancePort", 0);
    res_bool(x, "StorageEncrypted", d->storage_encrypted);
    if (d->storage_encrypted)
        res_str(x, "KmsKeyId", d->kms_key_id);
    res_str(x, "DbiResourceId", d->resource_id);
    res_str(x, "CACertificateIdentifier", d->ca_certificate_id);
    res_list(x, "DomainMemberships");
    res_close(x);
    res_bool(x, "CopyTagsToSnapshot", d->copy_tags_to_snapshot);
    res_int(x, "MonitoringInterval", d->monitoring_interval_s);
    if (d->monitoring_interval_s > 0) {
        res_str(x, "EnhancedMonitoringResourceArn",
                arena_printf(rq->er.a, "arn:aws:logs:%s:%s:log-group:RDSOSMetrics:log-stream:%s", d->region,
                             engine_get_config(rq->er.e)->account_id, d->resource_id));
        res_str(x, "MonitoringRoleArn", d->monitoring_role_arn);
    }
    res_str(x, "DBInstanceArn", v->arn);
    res_bool(x, "IAMDatabaseAuthenticationEnabled", d->iam_auth);
    res_str(x, "DatabaseInsightsMode", "standard");
    res_bool(x, "PerformanceInsightsEnabled", d->performance_insights);
    res_bool(x, "DeletionProtection", d->deletion_protection);
    res_list(x, "AssociatedRoles");
    res_close(x);
    if (d->max_allocated_storage_gib)
        res_int(x, "MaxAllocatedStorage", d->max_allocated_storage_gib);
    act_render_tags(x, "TagList", v->tags, v->n_tags);
    res_bool(x, "CustomerOwnedIpEnabled", false);
    res_str(x, "ActivityStreamStatus", "stopped");
    res_str(x, "NetworkType", d->network_type);
    res_str(x, "BackupTarget", "region");
    if (strcmp(v->status, "creating") != 0) {
        res_struct(x, "CertificateDetails");
        res_str(x, "CAIdentifier", d->ca_certificate_id);
        /* the notAfter of the certificate the server presents (API-only mode: a year on) */
        res_time(x, "ValidTill", v->cert_valid_till_ms ? v->cert_valid_till_ms
                                                       : d->created_at_ms + (int64_t)365 * 86400 * 1000);
        res_close(x);
    }
    if (d->master_secret_arn && *d->master_secret_arn) { /* secrets: managed master password */
        res_struct(x, "MasterUserSecret");
        res_str(x, "SecretArn", d->master_secret_arn);
        res_str(x, "SecretStatus", strcmp(v->status, "creating") == 0 ? "creating" : "active");
        res_str(x, "KmsKeyId", d->master_secret_key_arn);
        res_close(x);
    }
    res_bool(x, "DedicatedLogVolume", false);
    res_bool(x, "IsStorageConfigUpgradeAvailable", false);
    res_str(x, "EngineLifecycleSupport", "open-source-rds-extended-support");
}

static void render_one(res_out *x, req_ctx *rq, const instance_view *v)
{
    res_struct(x, "DBInstance");
    act_render_instance(x, rq, v);
    res_close(x);
}

ACTION(CreateDBInstance)
{
    create_instance_in c = {
        ACT_INSTANCE_INPUTS(rq, in),
        .engine_version = param_str(in, RDS_M_EngineVersion),
        .master_username = param_str(in, RDS_M_MasterUsername),
        .master_password = param_str(in, RDS_M_MasterUserPassword),
        .maintenance_window = param_str(in, RDS_M_PreferredMaintenanceWindow),
        .kms_key_id = param_str(in, RDS_M_KmsKeyId),
        .monitoring_role_arn = param_str(in, RDS_M_MonitoringRoleArn),
        .max_allocated_storage = act_opt_int(in, RDS_M_MaxAllocatedStorage),
        .monitoring_interval = act_opt_int(in, RDS_M_MonitoringInterval),
        .storage_encrypted = act_opt_bool(in, RDS_M_StorageEncrypted),
        .performance_insights = act_opt_bool(in, RDS_M_EnablePerformanceInsights),
        .master_secret_kms_key_id = param_str(in, RDS_M_MasterUserSecretKmsKeyId),
    };
    instance_view v;
    if (engine_create_instance(&rq->er, &c, &v, err))
        return -1;
    res_struct(x, "DBInstance");
    act_render_instance(x, rq, &v);
    res_close(x);
    return 0;
}

static const act_filter_field instance_filters[] = {
    { "db-instance-id", offsetof(describe_instances_in, f_instance_ids) },
    { "dbi-resource-id", offsetof(describe_instances_in, f_resource_ids) },
    { "engine", offsetof(describe_instances_in, f_engines) },
    { "db-cluster-id", offsetof(describe_instances_in, f_cluster_ids) },
    { "domain", offsetof(describe_instances_in, f_domains) },
};

ACTION(DescribeDBInstances)
{
    describe_instances_in d = { .id = param_str(in, RDS_M_DBInstanceIdentifier),
                                .marker = param_str(in, RDS_M_Marker) };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    if (act_filters(rq, in, instance_filters, sizeof instance_filters / sizeof *instance_filters, &d, err))
        return -1;
    instance_view *views;
    size_t n;
    const char *next = NULL;
    if (engine_describe_instances(&rq->er, &d, &views, &n, &next, err))
        return -1;
    res_list(x, "DBInstances");
    for (size_t i = 0; i < n; i++)
        render_one(x, rq, &views[i]);
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

ACTION(ModifyDBInstance)
{
    modify_instance_in m = {
        .id = param_str(in, RDS_M_DBInstanceIdentifier),
        .new_id = param_str(in, RDS_M_NewDBInstanceIdentifier),
        .instance_class = param_str(in, RDS_M_DBInstanceClass),
        .master_password = param_str(in, RDS_M_MasterUserPassword),
        .backup_window = param_str(in, RDS_M_PreferredBackupWindow),
        .maintenance_window = param_str(in, RDS_M_PreferredMaintenanceWindow),
        .engine_version = param_str(in, RDS_M_EngineVersion),
        .storage_type = param_str(in, RDS_M_StorageType),
        .ca_certificate_id = param_str(in, RDS_M_CACertificateIdentifier),
        .parameter_group = param_str(in, RDS_M_DBParameterGroupName),
        .subnet_group = param_str(in, RDS_M_DBSubnetGroupName),
        .monitoring_role_arn = param_str(in, RDS_M_MonitoringRoleArn),
        .allocated_storage = act_opt_int(in, RDS_M_AllocatedStorage),
        .max_allocated_storage = act_opt_int(in, RDS_M_MaxAllocatedStorage),
        .port = act_opt_int(in, RDS_M_DBPortNumber),
        .backup_retention = act_opt_int(in, RDS_M_BackupRetentionPeriod),
        .iops = act_opt_int(in, RDS_M_Iops),
        .storage_throughput = act_opt_int(in, RDS_M_StorageThroughput),
        .monitoring_interval = act_opt_int(in, RDS_M_MonitoringInterval),
        .apply_immediately = act_opt_bool(in, RDS_M_ApplyImmediately),
        .multi_az = act_opt_bool(in, RDS_M_MultiAZ),
        .publicly_accessible = act_opt_bool(in, RDS_M_PubliclyAccessible),
        .auto_minor_version_upgrade = act_opt_bool(in, RDS_M_AutoMinorVersionUpgrade),
        .deletion_protection = act_opt_bool(in, RDS_M_DeletionProtection),
        .copy_tags_to_snapshot = act_opt_bool(in, RDS_M_CopyTagsToSnapshot),
        .iam_auth = act_opt_bool(in, RDS_M_EnableIAMDatabaseAuthentication),
        .performance_insights = act_opt_bool(in, RDS_M_EnablePerformanceInsights),
        .allow_major_version_upgrade = act_opt_bool(in, RDS_M_AllowMajorVersionUpgrade),
        .vpc_security_group_ids = act_str_list(rq, in, RDS_M_VpcSecurityGroupIds),
        .certificate_rotation_restart = act_opt_bool(in, RDS_M_CertificateRotationRestart),
        .master_secret_kms_key_id = param_str(in, RDS_M_MasterUserSecretKmsKeyId),
        .manage_master_password = act_opt_bool(in, RDS_M_ManageMasterUserPassword),
        .rotate_master_password = act_opt_bool(in, RDS_M_RotateMasterUserPassword),
    };
    instance_view v;
    if (engine_modify_instance(&rq->er, &m, &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

ACTION(DeleteDBInstance)
{
    delete_instance_in d = {
        .id = param_str(in, RDS_M_DBInstanceIdentifier),
        .final_snapshot_id = param_str(in, RDS_M_FinalDBSnapshotIdentifier),
        .skip_final_snapshot = act_opt_bool(in, RDS_M_SkipFinalSnapshot),
        .delete_automated_backups = act_opt_bool(in, RDS_M_DeleteAutomatedBackups),
    };
    instance_view v;
    if (engine_delete_instance(&rq->er, &d, &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

ACTION(RebootDBInstance)
{
    instance_view v;
    if (engine_reboot_instance(&rq->er, param_str(in, RDS_M_DBInstanceIdentifier),
                               act_opt_bool(in, RDS_M_ForceFailover), &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

ACTION(StopDBInstance)
{
    instance_view v;
    if (engine_stop_instance(&rq->er, param_str(in, RDS_M_DBInstanceIdentifier),
                             param_str(in, RDS_M_DBSnapshotIdentifier), &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

ACTION(StartDBInstance)
{
    instance_view v;
    if (engine_start_instance(&rq->er, param_str(in, RDS_M_DBInstanceIdentifier), &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "CreateDBInstance", act_CreateDBInstance, 0 },
    { &rds_api, "DeleteDBInstance", act_DeleteDBInstance, 0 },
    { &rds_api, "DescribeDBInstances", act_DescribeDBInstances, AF_CACHEABLE },
    { &rds_api, "ModifyDBInstance", act_ModifyDBInstance, 0 },
    { &rds_api, "RebootDBInstance", act_RebootDBInstance, 0 },
    { &rds_api, "StartDBInstance", act_StartDBInstance, 0 },
    { &rds_api, "StopDBInstance", act_StopDBInstance, 0 },
};
DISPATCH_FAMILY(rds_db_instances, rows);
