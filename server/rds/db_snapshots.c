/* db_snapshots.c: handlers of the DB snapshot operations (Create, Copy, Delete, Describe,
 * the `restore` attribute), RestoreDBInstanceFromDBSnapshot, and the DBSnapshot renderer. */
#include "rds.h"

#include <stddef.h>
#include <string.h>

static void render_snapshot(res_out *x, req_ctx *rq, const snapshot_view *v)
{
    const db_snapshot *s = v->snap;
    (void)rq;
    res_struct(x, "DBSnapshot");
    res_str(x, "DBSnapshotIdentifier", s->id);
    res_str(x, "DBInstanceIdentifier", s->instance_id);
    /* AWS shows no SnapshotCreateTime until the snapshot has been taken */
    if (strcmp(v->status, "creating") != 0 && strcmp(v->status, "pending") != 0)
        res_time(x, "SnapshotCreateTime", s->created_at_ms);
    res_str(x, "Engine", s->engine);
    res_int(x, "AllocatedStorage", s->allocated_storage_gib);
    res_str(x, "Status", v->status);
    res_int(x, "Port", s->port);
    res_str(x, "AvailabilityZone", s->availability_zone);
    res_str(x, "VpcId", s->vpc_id);
    res_time(x, "InstanceCreateTime", s->instance_created_at_ms);
    res_str(x, "MasterUsername", s->master_username);
    res_str(x, "EngineVersion", s->engine_version);
    res_str(x, "LicenseModel", s->license_model);
    res_str(x, "SnapshotType", s->snapshot_type);
    if (s->iops)
        res_int(x, "Iops", s->iops);
    if (s->storage_throughput)
        res_int(x, "StorageThroughput", s->storage_throughput);
    res_str(x, "OptionGroupName", s->option_group);
    res_int(x, "PercentProgress", v->percent_progress);
    res_str(x, "SourceRegion", s->source_region);
    res_str(x, "SourceDBSnapshotIdentifier", s->source_snapshot_arn);
    res_str(x, "StorageType", s->storage_type);
    res_bool(x, "Encrypted", s->encrypted);
    if (s->encrypted)
        res_str(x, "KmsKeyId", s->kms_key_id);
    res_str(x, "DBSnapshotArn", v->arn);
    res_bool(x, "IAMDatabaseAuthenticationEnabled", s->iam_auth);
    res_list(x, "ProcessorFeatures");
    res_close(x);
    res_str(x, "DbiResourceId", s->resource_id);
    act_render_tags(x, "TagList", v->tags, v->n_tags);
    res_str(x, "SnapshotTarget", "region");
    if (s->original_created_at_ms && strcmp(v->status, "creating") != 0 && strcmp(v->status, "pending") != 0)
        res_time(x, "OriginalSnapshotCreateTime", s->original_created_at_ms);
    res_bool(x, "MultiTenant", false);
    res_bool(x, "DedicatedLogVolume", false);
    res_close(x);
}

ACTION(CreateDBSnapshot)
{
    tag_list tags = act_tags(rq, in, RDS_M_Tags);
    snapshot_view v;
    if (engine_create_snapshot(&rq->er, param_str(in, RDS_M_DBSnapshotIdentifier),
                               param_str(in, RDS_M_DBInstanceIdentifier), &tags, &v, err))
        return -1;
    render_snapshot(x, rq, &v);
    return 0;
}

ACTION(CopyDBSnapshot)
{
    copy_snapshot_in c = {
        .source = param_str(in, RDS_M_SourceDBSnapshotIdentifier),
        .target = param_str(in, RDS_M_TargetDBSnapshotIdentifier),
        .kms_key_id = param_str(in, RDS_M_KmsKeyId),
        .pre_signed_url = param_str(in, RDS_M_PreSignedUrl),
        .option_group = param_str(in, RDS_M_OptionGroupName),
        .copy_tags = act_opt_bool(in, RDS_M_CopyTags),
        .tags = act_tags(rq, in, RDS_M_Tags),
    };
    snapshot_view v;
    if (engine_copy_snapshot(&rq->er, &c, &v, err))
        return -1;
    render_snapshot(x, rq, &v);
    return 0;
}

ACTION(DeleteDBSnapshot)
{
    snapshot_view v;
    if (engine_delete_snapshot(&rq->er, param_str(in, RDS_M_DBSnapshotIdentifier), &v, err))
        return -1;
    render_snapshot(x, rq, &v);
    return 0;
}

static const act_filter_field snapshot_filters[] = {
    { "db-instance-id", offsetof(describe_snapshots_in, f_instance_ids) },
    { "db-snapshot-id", offsetof(describe_snapshots_in, f_snapshot_ids) },
    { "dbi-resource-id", offsetof(describe_snapshots_in, f_resource_ids) },
    { "snapshot-type", offsetof(describe_snapshots_in, f_types) },
    { "engine", offsetof(describe_snapshots_in, f_engines) },
};

ACTION(DescribeDBSnapshots)
{
    describe_snapshots_in d = {
        .instance_id = param_str(in, RDS_M_DBInstanceIdentifier),
        .snapshot_id = param_str(in, RDS_M_DBSnapshotIdentifier),
        .snapshot_type = param_str(in, RDS_M_SnapshotType),
        .dbi_resource_id = param_str(in, RDS_M_DbiResourceId),
        .include_shared = act_opt_bool(in, RDS_M_IncludeShared),
        .include_public = act_opt_bool(in, RDS_M_IncludePublic),
        .marker = param_str(in, RDS_M_Marker),
    };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    if (act_filters(rq, in, snapshot_filters, sizeof snapshot_filters / sizeof *snapshot_filters, &d, err))
        return -1;
    snapshot_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_snapshots(&rq->er, &d, &v, &n, &next, err))
        return -1;
    res_str(x, "Marker", next);
    res_list(x, "DBSnapshots");
    for (size_t i = 0; i < n; i++)
        render_snapshot(x, rq, &v[i]);
    res_close(x);
    return 0;
}

static void render_attributes(res_out *x, const char *id, const str_list *restore)
{
    res_struct(x, "DBSnapshotAttributesResult");
    res_str(x, "DBSnapshotIdentifier", id);
    res_list(x, "DBSnapshotAttributes");
    res_struct(x, "DBSnapshotAttribute");
    res_str(x, "AttributeName", "restore");
    res_list(x, "AttributeValues");
    for (size_t i = 0; i < restore->n; i++)
        res_str(x, "AttributeValue", restore->v[i]);
    res_close(x);
    res_close(x);
    res_close(x);
    res_close(x);
}

ACTION(ModifyDBSnapshotAttribute)
{
    str_list add = act_str_list(rq, in, RDS_M_ValuesToAdd);
    str_list remove = act_str_list(rq, in, RDS_M_ValuesToRemove);
    const char *id;
    str_list restore;
    if (engine_modify_snapshot_attribute(&rq->er, param_str(in, RDS_M_DBSnapshotIdentifier),
                                         param_str(in, RDS_M_AttributeName), &add, &remove, &id, &restore, err))
        return -1;
    render_attributes(x, id, &restore);
    return 0;
}

ACTION(DescribeDBSnapshotAttributes)
{
    const char *id;
    str_list restore;
    if (engine_describe_snapshot_attributes(&rq->er, param_str(in, RDS_M_DBSnapshotIdentifier), &id, &restore,
                                            err))
        return -1;
    render_attributes(x, id, &restore);
    return 0;
}

ACTION(RestoreDBInstanceFromDBSnapshot)
{
    restore_instance_in c = {
        ACT_INSTANCE_INPUTS(rq, in),
        .snapshot_id = param_str(in, RDS_M_DBSnapshotIdentifier),
        .dedicated_log_volume = act_opt_bool(in, RDS_M_DedicatedLogVolume),
        .master_secret_kms_key_id = param_str(in, RDS_M_MasterUserSecretKmsKeyId),
    };
    instance_view v;
    if (engine_restore_instance_from_snapshot(&rq->er, &c, &v, err))
        return -1;
    res_struct(x, "DBInstance");
    act_render_instance(x, rq, &v);
    res_close(x);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "CopyDBSnapshot", act_CopyDBSnapshot, 0 },
    { &rds_api, "CreateDBSnapshot", act_CreateDBSnapshot, 0 },
    { &rds_api, "DeleteDBSnapshot", act_DeleteDBSnapshot, 0 },
    { &rds_api, "DescribeDBSnapshotAttributes", act_DescribeDBSnapshotAttributes, AF_CACHEABLE },
    { &rds_api, "DescribeDBSnapshots", act_DescribeDBSnapshots, AF_CACHEABLE },
    { &rds_api, "ModifyDBSnapshotAttribute", act_ModifyDBSnapshotAttribute, 0 },
    { &rds_api, "RestoreDBInstanceFromDBSnapshot", act_RestoreDBInstanceFromDBSnapshot, 0 },
};
DISPATCH_FAMILY(rds_db_snapshots, rows);
