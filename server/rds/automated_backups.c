/* automated_backups.c: handlers of DescribeDBInstanceAutomatedBackups and
 * DeleteDBInstanceAutomatedBackup, and the DBInstanceAutomatedBackup renderer (members in
 * the model's order; those rdslocal has nothing true to say about are left out). */
#include "rds.h"

#include <stddef.h>
#include <string.h>

static void render_backup(res_out *x, const autobackup_view *v)
{
    const db_automated_backup *b = v->b;
    res_str(x, "DBInstanceArn", v->instance_arn);
    res_str(x, "DbiResourceId", b->id);
    res_str(x, "Region", b->region);
    res_str(x, "DBInstanceIdentifier", b->instance_id);
    res_struct(x, "RestoreWindow");
    if (v->earliest_ms)
        res_time(x, "EarliestTime", v->earliest_ms);
    /* a window that is not open yet (the WAL after the first base not archived so far) has no end */
    if (v->earliest_ms && v->latest_ms >= v->earliest_ms)
        res_time(x, "LatestTime", v->latest_ms);
    res_close(x);
    res_int(x, "AllocatedStorage", b->allocated_storage_gib);
    res_str(x, "Status", v->status);
    res_int(x, "Port", b->port);
    res_str(x, "AvailabilityZone", b->availability_zone);
    res_str(x, "VpcId", b->vpc_id);
    res_time(x, "InstanceCreateTime", b->instance_created_at_ms);
    res_str(x, "MasterUsername", b->master_username);
    res_str(x, "Engine", b->engine);
    res_str(x, "EngineVersion", b->engine_version);
    res_str(x, "LicenseModel", b->license_model);
    if (b->iops)
        res_int(x, "Iops", b->iops);
    if (b->storage_throughput)
        res_int(x, "StorageThroughput", b->storage_throughput);
    res_str(x, "OptionGroupName", b->option_group);
    res_bool(x, "Encrypted", b->encrypted);
    res_str(x, "StorageType", b->storage_type);
    if (b->encrypted)
        res_str(x, "KmsKeyId", b->kms_key_id);
    res_bool(x, "IAMDatabaseAuthenticationEnabled", b->iam_auth);
    res_int(x, "BackupRetentionPeriod", b->retention_days);
    res_str(x, "PreferredBackupWindow", b->backup_window);
    res_str(x, "DBInstanceAutomatedBackupsArn", v->arn);
    res_list(x, "DBInstanceAutomatedBackupsReplications");
    res_close(x);
    res_str(x, "BackupTarget", "region");
    res_bool(x, "MultiTenant", false);
    res_bool(x, "DedicatedLogVolume", false);
}

static const act_filter_field backup_filters[] = {
    { "status", offsetof(describe_autobackups_in, f_status) },
    { "db-instance-id", offsetof(describe_autobackups_in, f_instance_ids) },
    { "dbi-resource-id", offsetof(describe_autobackups_in, f_resource_ids) },
};

ACTION(DescribeDBInstanceAutomatedBackups)
{
    describe_autobackups_in d = {
        .instance_id = param_str(in, RDS_M_DBInstanceIdentifier),
        .dbi_resource_id = param_str(in, RDS_M_DbiResourceId),
        .arn = param_str(in, RDS_M_DBInstanceAutomatedBackupsArn),
        .marker = param_str(in, RDS_M_Marker),
    };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    if (act_filters(rq, in, backup_filters, sizeof backup_filters / sizeof *backup_filters, &d, err))
        return -1;
    autobackup_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_autobackups(&rq->er, &d, &v, &n, &next, err))
        return -1;
    res_str(x, "Marker", next);
    res_list(x, "DBInstanceAutomatedBackups");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "DBInstanceAutomatedBackup");
        render_backup(x, &v[i]);
        res_close(x);
    }
    res_close(x);
    return 0;
}

ACTION(DeleteDBInstanceAutomatedBackup)
{
    autobackup_view v;
    if (engine_delete_autobackup(&rq->er, param_str(in, RDS_M_DbiResourceId),
                                 param_str(in, RDS_M_DBInstanceAutomatedBackupsArn), &v, err))
        return -1;
    res_struct(x, "DBInstanceAutomatedBackup");
    render_backup(x, &v);
    res_close(x);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "DeleteDBInstanceAutomatedBackup", act_DeleteDBInstanceAutomatedBackup, 0 },
    { &rds_api, "DescribeDBInstanceAutomatedBackups", act_DescribeDBInstanceAutomatedBackups, AF_CACHEABLE },
};
DISPATCH_FAMILY(rds_automated_backups, rows);
