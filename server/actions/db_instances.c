/* db_instances.c: handlers of the DB instance operations and the DBInstance renderer. */
#include "actions.h"

#include <string.h>

void act_render_instance(xml_out *x, req_ctx *rq, const instance_view *v)
{
    const db_instance *d = v->inst;
    xml_str(x, "DBInstanceIdentifier", d->id);
    xml_str(x, "DBInstanceClass", d->instance_class);
    xml_str(x, "Engine", d->engine);
    xml_str(x, "DBInstanceStatus", v->status);
    xml_str(x, "MasterUsername", d->master_username);
    xml_str(x, "DBName", d->db_name);
    /* AWS reports no endpoint while an instance is being created. */
    if (strcmp(v->status, "creating") != 0) {
        xml_open(x, "Endpoint");
        xml_str(x, "Address", d->endpoint_address);
        xml_int(x, "Port", d->port);
        xml_str(x, "HostedZoneId", "Z2R2ITUGPM61AM");
        xml_close(x);
    }
    xml_int(x, "AllocatedStorage", d->allocated_storage_gib);
    if (strcmp(v->status, "creating") != 0)
        xml_time(x, "InstanceCreateTime", d->created_at_ms);
    xml_str(x, "PreferredBackupWindow", d->backup_window);
    xml_int(x, "BackupRetentionPeriod", d->backup_retention_days);
    xml_open(x, "DBSecurityGroups");
    xml_close(x);
    xml_open(x, "VpcSecurityGroups");
    if (d->vpc_security_group_ids && *d->vpc_security_group_ids) {
        char *ids = arena_strdup(rq->er.a, d->vpc_security_group_ids), *save = NULL;
        for (char *t = strtok_r(ids, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            xml_open(x, "VpcSecurityGroupMembership");
            xml_str(x, "VpcSecurityGroupId", t);
            xml_str(x, "Status", "active");
            xml_close(x);
        }
    }
    xml_close(x);
    xml_open(x, "DBParameterGroups");
    xml_open(x, "DBParameterGroup");
    xml_str(x, "DBParameterGroupName", d->parameter_group);
    xml_str(x, "ParameterApplyStatus", "in-sync");
    xml_close(x);
    xml_close(x);
    /* AWS places a new instance after answering: no AvailabilityZone while creating. */
    if (strcmp(v->status, "creating") != 0)
        xml_str(x, "AvailabilityZone", d->availability_zone);
    xml_open(x, "DBSubnetGroup");
    xml_str(x, "DBSubnetGroupName", d->subnet_group);
    xml_str(x, "DBSubnetGroupDescription", v->subnet_group_description);
    xml_str(x, "VpcId", v->vpc_id);
    xml_str(x, "SubnetGroupStatus", "Complete");
    act_render_subnets(x, v->subnets, v->n_subnets);
    xml_close(x);
    xml_str(x, "PreferredMaintenanceWindow", d->maintenance_window);
    xml_open(x, "PendingModifiedValues");
    xml_str(x, "DBInstanceClass", d->pending_instance_class);
    if (d->pending_allocated_storage_gib)
        xml_int(x, "AllocatedStorage", d->pending_allocated_storage_gib);
    if (d->pending_master_password)
        xml_str(x, "MasterUserPassword", "****");
    if (d->pending_port)
        xml_int(x, "Port", d->pending_port);
    if (d->pending_backup_retention_days >= 0 && d->pending_backup_retention_days != d->backup_retention_days)
        xml_int(x, "BackupRetentionPeriod", d->pending_backup_retention_days);
    if (d->pending_multi_az >= 0)
        xml_bool(x, "MultiAZ", d->pending_multi_az == 1);
    xml_str(x, "EngineVersion", d->pending_engine_version);
    xml_str(x, "StorageType", d->pending_storage_type);
    xml_str(x, "CACertificateIdentifier", d->pending_ca_certificate_id);
    xml_str(x, "DBInstanceIdentifier", d->pending_new_id);
    xml_close(x);
    if (d->latest_restorable_ms && d->backup_retention_days > 0 && strcmp(v->status, "creating") != 0)
        xml_time(x, "LatestRestorableTime", d->latest_restorable_ms);
    xml_bool(x, "MultiAZ", d->multi_az);
    xml_str(x, "EngineVersion", d->engine_version);
    xml_bool(x, "AutoMinorVersionUpgrade", d->auto_minor_version_upgrade);
    xml_open(x, "ReadReplicaDBInstanceIdentifiers");
    xml_close(x);
    xml_open(x, "ReadReplicaDBClusterIdentifiers");
    xml_close(x);
    xml_str(x, "LicenseModel", d->license_model);
    if (d->iops)
        xml_int(x, "Iops", d->iops);
    if (d->storage_throughput)
        xml_int(x, "StorageThroughput", d->storage_throughput);
    xml_open(x, "OptionGroupMemberships");
    xml_open(x, "OptionGroupMembership");
    xml_str(x, "OptionGroupName", d->option_group);
    xml_str(x, "Status", "in-sync");
    xml_close(x);
    xml_close(x);
    xml_str(x, "SecondaryAvailabilityZone", d->multi_az ? d->secondary_availability_zone : NULL);
    xml_bool(x, "PubliclyAccessible", d->publicly_accessible);
    xml_str(x, "StorageType", d->storage_type);
    xml_int(x, "DbInstancePort", 0);
    xml_bool(x, "StorageEncrypted", d->storage_encrypted);
    if (d->storage_encrypted)
        xml_str(x, "KmsKeyId", d->kms_key_id);
    xml_str(x, "DbiResourceId", d->resource_id);
    xml_str(x, "CACertificateIdentifier", d->ca_certificate_id);
    xml_open(x, "DomainMemberships");
    xml_close(x);
    xml_bool(x, "CopyTagsToSnapshot", d->copy_tags_to_snapshot);
    xml_int(x, "MonitoringInterval", d->monitoring_interval_s);
    if (d->monitoring_interval_s > 0) {
        xml_str(x, "EnhancedMonitoringResourceArn",
                arena_printf(rq->er.a, "arn:aws:logs:%s:%s:log-group:RDSOSMetrics:log-stream:%s", d->region,
                             engine_get_config(rq->er.e)->account_id, d->resource_id));
        xml_str(x, "MonitoringRoleArn", d->monitoring_role_arn);
    }
    xml_str(x, "DBInstanceArn", v->arn);
    xml_bool(x, "IAMDatabaseAuthenticationEnabled", d->iam_auth);
    xml_str(x, "DatabaseInsightsMode", "standard");
    xml_bool(x, "PerformanceInsightsEnabled", d->performance_insights);
    xml_bool(x, "DeletionProtection", d->deletion_protection);
    xml_open(x, "AssociatedRoles");
    xml_close(x);
    if (d->max_allocated_storage_gib)
        xml_int(x, "MaxAllocatedStorage", d->max_allocated_storage_gib);
    act_render_tags(x, "TagList", v->tags, v->n_tags);
    xml_bool(x, "CustomerOwnedIpEnabled", false);
    xml_str(x, "ActivityStreamStatus", "stopped");
    xml_str(x, "NetworkType", d->network_type);
    xml_str(x, "BackupTarget", "region");
    if (strcmp(v->status, "creating") != 0) {
        xml_open(x, "CertificateDetails");
        xml_str(x, "CAIdentifier", d->ca_certificate_id);
        xml_time(x, "ValidTill", d->created_at_ms + (int64_t)395 * 86400 * 1000);
        xml_close(x);
    }
    xml_bool(x, "DedicatedLogVolume", false);
    xml_bool(x, "IsStorageConfigUpgradeAvailable", false);
    xml_str(x, "EngineLifecycleSupport", "open-source-rds-extended-support");
}

static void render_one(xml_out *x, req_ctx *rq, const instance_view *v)
{
    xml_open(x, "DBInstance");
    act_render_instance(x, rq, v);
    xml_close(x);
}

ACTION(CreateDBInstance)
{
    create_instance_in c = {
        .id = param_str(in, "DBInstanceIdentifier"),
        .engine = param_str(in, "Engine"),
        .engine_version = param_str(in, "EngineVersion"),
        .instance_class = param_str(in, "DBInstanceClass"),
        .master_username = param_str(in, "MasterUsername"),
        .master_password = param_str(in, "MasterUserPassword"),
        .db_name = param_str(in, "DBName"),
        .availability_zone = param_str(in, "AvailabilityZone"),
        .subnet_group = param_str(in, "DBSubnetGroupName"),
        .parameter_group = param_str(in, "DBParameterGroupName"),
        .option_group = param_str(in, "OptionGroupName"),
        .backup_window = param_str(in, "PreferredBackupWindow"),
        .maintenance_window = param_str(in, "PreferredMaintenanceWindow"),
        .storage_type = param_str(in, "StorageType"),
        .kms_key_id = param_str(in, "KmsKeyId"),
        .ca_certificate_id = param_str(in, "CACertificateIdentifier"),
        .license_model = param_str(in, "LicenseModel"),
        .network_type = param_str(in, "NetworkType"),
        .monitoring_role_arn = param_str(in, "MonitoringRoleArn"),
        .allocated_storage = act_opt_int(in, "AllocatedStorage"),
        .max_allocated_storage = act_opt_int(in, "MaxAllocatedStorage"),
        .port = act_opt_int(in, "Port"),
        .backup_retention = act_opt_int(in, "BackupRetentionPeriod"),
        .iops = act_opt_int(in, "Iops"),
        .storage_throughput = act_opt_int(in, "StorageThroughput"),
        .monitoring_interval = act_opt_int(in, "MonitoringInterval"),
        .multi_az = act_opt_bool(in, "MultiAZ"),
        .publicly_accessible = act_opt_bool(in, "PubliclyAccessible"),
        .auto_minor_version_upgrade = act_opt_bool(in, "AutoMinorVersionUpgrade"),
        .deletion_protection = act_opt_bool(in, "DeletionProtection"),
        .copy_tags_to_snapshot = act_opt_bool(in, "CopyTagsToSnapshot"),
        .storage_encrypted = act_opt_bool(in, "StorageEncrypted"),
        .iam_auth = act_opt_bool(in, "EnableIAMDatabaseAuthentication"),
        .performance_insights = act_opt_bool(in, "EnablePerformanceInsights"),
        .manage_master_password = act_opt_bool(in, "ManageMasterUserPassword"),
        .vpc_security_group_ids = act_str_list(rq, in, "VpcSecurityGroupIds"),
        .tags = act_tags(rq, in, "Tags"),
    };
    instance_view v;
    if (engine_create_instance(&rq->er, &c, &v, err))
        return -1;
    xml_open(x, "DBInstance");
    act_render_instance(x, rq, &v);
    xml_close(x);
    return 0;
}

typedef struct filter_ctx { describe_instances_in *d; } filter_ctx;

static int instance_filter(void *ctx, const char *name, str_list values, rds_error *err)
{
    describe_instances_in *d = ((filter_ctx *)ctx)->d;
    if (strcmp(name, "db-instance-id") == 0)
        d->f_instance_ids = values;
    else if (strcmp(name, "dbi-resource-id") == 0)
        d->f_resource_ids = values;
    else if (strcmp(name, "engine") == 0)
        d->f_engines = values;
    else if (strcmp(name, "db-cluster-id") == 0)
        d->f_cluster_ids = values;
    else if (strcmp(name, "domain") == 0)
        d->f_domains = values;
    else
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Unrecognized filter name: %.64s", name);
    if (values.n == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The filter %s must have at least one value.", name);
    return 0;
}

ACTION(DescribeDBInstances)
{
    describe_instances_in d = { .id = param_str(in, "DBInstanceIdentifier"),
                                .marker = param_str(in, "Marker") };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    filter_ctx fc = { &d };
    if (act_filters(rq, in, instance_filter, &fc, err))
        return -1;
    instance_view *views;
    size_t n;
    const char *next = NULL;
    if (engine_describe_instances(&rq->er, &d, &views, &n, &next, err))
        return -1;
    xml_open(x, "DBInstances");
    for (size_t i = 0; i < n; i++)
        render_one(x, rq, &views[i]);
    xml_close(x);
    xml_str(x, "Marker", next);
    return 0;
}

ACTION(ModifyDBInstance)
{
    modify_instance_in m = {
        .id = param_str(in, "DBInstanceIdentifier"),
        .new_id = param_str(in, "NewDBInstanceIdentifier"),
        .instance_class = param_str(in, "DBInstanceClass"),
        .master_password = param_str(in, "MasterUserPassword"),
        .backup_window = param_str(in, "PreferredBackupWindow"),
        .maintenance_window = param_str(in, "PreferredMaintenanceWindow"),
        .engine_version = param_str(in, "EngineVersion"),
        .storage_type = param_str(in, "StorageType"),
        .ca_certificate_id = param_str(in, "CACertificateIdentifier"),
        .parameter_group = param_str(in, "DBParameterGroupName"),
        .subnet_group = param_str(in, "DBSubnetGroupName"),
        .monitoring_role_arn = param_str(in, "MonitoringRoleArn"),
        .allocated_storage = act_opt_int(in, "AllocatedStorage"),
        .max_allocated_storage = act_opt_int(in, "MaxAllocatedStorage"),
        .port = act_opt_int(in, "DBPortNumber"),
        .backup_retention = act_opt_int(in, "BackupRetentionPeriod"),
        .iops = act_opt_int(in, "Iops"),
        .storage_throughput = act_opt_int(in, "StorageThroughput"),
        .monitoring_interval = act_opt_int(in, "MonitoringInterval"),
        .apply_immediately = act_opt_bool(in, "ApplyImmediately"),
        .multi_az = act_opt_bool(in, "MultiAZ"),
        .publicly_accessible = act_opt_bool(in, "PubliclyAccessible"),
        .auto_minor_version_upgrade = act_opt_bool(in, "AutoMinorVersionUpgrade"),
        .deletion_protection = act_opt_bool(in, "DeletionProtection"),
        .copy_tags_to_snapshot = act_opt_bool(in, "CopyTagsToSnapshot"),
        .iam_auth = act_opt_bool(in, "EnableIAMDatabaseAuthentication"),
        .performance_insights = act_opt_bool(in, "EnablePerformanceInsights"),
        .allow_major_version_upgrade = act_opt_bool(in, "AllowMajorVersionUpgrade"),
        .vpc_security_group_ids = act_str_list(rq, in, "VpcSecurityGroupIds"),
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
        .id = param_str(in, "DBInstanceIdentifier"),
        .final_snapshot_id = param_str(in, "FinalDBSnapshotIdentifier"),
        .skip_final_snapshot = act_opt_bool(in, "SkipFinalSnapshot"),
        .delete_automated_backups = act_opt_bool(in, "DeleteAutomatedBackups"),
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
    if (engine_reboot_instance(&rq->er, param_str(in, "DBInstanceIdentifier"),
                               act_opt_bool(in, "ForceFailover"), &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

ACTION(StopDBInstance)
{
    instance_view v;
    if (engine_stop_instance(&rq->er, param_str(in, "DBInstanceIdentifier"),
                             param_str(in, "DBSnapshotIdentifier"), &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}

ACTION(StartDBInstance)
{
    instance_view v;
    if (engine_start_instance(&rq->er, param_str(in, "DBInstanceIdentifier"), &v, err))
        return -1;
    render_one(x, rq, &v);
    return 0;
}
