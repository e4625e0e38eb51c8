/* misc.c: tags, subnet groups, events and engine-version handlers. */
#include "actions.h"

#include <string.h>

/* ---- tags ---- */

ACTION(ListTagsForResource)
{
    if (param_get(in, "Filters"))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Filters are not supported for this operation.");
    rds_tag *tags;
    size_t n;
    if (engine_tags_list(&rq->er, param_str(in, "ResourceName"), &tags, &n, err))
        return -1;
    act_render_tags(x, "TagList", tags, n);
    return 0;
}

ACTION(AddTagsToResource)
{
    tag_list t = act_tags(rq, in, "Tags");
    return engine_tags_add(&rq->er, param_str(in, "ResourceName"), &t, err);
}

ACTION(RemoveTagsFromResource)
{
    str_list keys = act_str_list(rq, in, "TagKeys");
    return engine_tags_remove(&rq->er, param_str(in, "ResourceName"), &keys, err);
}

/* ---- subnet groups ---- */

void act_render_subnets(xml_out *x, const default_subnet *subnets, size_t n)
{
    xml_open(x, "Subnets");
    for (size_t i = 0; i < n; i++) {
        xml_open(x, "Subnet");
        xml_str(x, "SubnetIdentifier", subnets[i].id);
        xml_open(x, "SubnetAvailabilityZone");
        xml_str(x, "Name", subnets[i].az);
        xml_close(x);
        xml_open(x, "SubnetOutpost");
        xml_close(x);
        xml_str(x, "SubnetStatus", "Active");
        xml_close(x);
    }
    xml_close(x);
}

void act_render_subnet_group(xml_out *x, const subnet_group_view *v)
{
    xml_str(x, "DBSubnetGroupName", v->g->name);
    xml_str(x, "DBSubnetGroupDescription", v->g->description);
    xml_str(x, "VpcId", v->g->vpc_id);
    xml_str(x, "SubnetGroupStatus", "Complete");
    act_render_subnets(x, v->subnets, v->n_subnets);
    xml_str(x, "DBSubnetGroupArn", v->arn);
    xml_open(x, "SupportedNetworkTypes");
    xml_str(x, "member", "IPV4");
    xml_close(x);
}

ACTION(CreateDBSubnetGroup)
{
    str_list subnets = act_str_list(rq, in, "SubnetIds");
    tag_list tags = act_tags(rq, in, "Tags");
    subnet_group_view v;
    if (engine_create_subnet_group(&rq->er, param_str(in, "DBSubnetGroupName"),
                                   param_str(in, "DBSubnetGroupDescription"), &subnets, &tags, &v, err))
        return -1;
    xml_open(x, "DBSubnetGroup");
    act_render_subnet_group(x, &v);
    xml_close(x);
    return 0;
}

ACTION(ModifyDBSubnetGroup)
{
    str_list subnets = act_str_list(rq, in, "SubnetIds");
    subnet_group_view v;
    if (engine_modify_subnet_group(&rq->er, param_str(in, "DBSubnetGroupName"),
                                   param_str(in, "DBSubnetGroupDescription"), &subnets, &v, err))
        return -1;
    xml_open(x, "DBSubnetGroup");
    act_render_subnet_group(x, &v);
    xml_close(x);
    return 0;
}

ACTION(DeleteDBSubnetGroup)
{
    return engine_delete_subnet_group(&rq->er, param_str(in, "DBSubnetGroupName"), err);
}

ACTION(DescribeDBSubnetGroups)
{
    int max;
    if (act_max_records(in, 100, &max, err))
        return -1;
    subnet_group_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_subnet_groups(&rq->er, param_str(in, "DBSubnetGroupName"),
                                      param_str(in, "Marker"), max, &v, &n, &next, err))
        return -1;
    xml_open(x, "DBSubnetGroups");
    for (size_t i = 0; i < n; i++) {
        xml_open(x, "DBSubnetGroup");
        act_render_subnet_group(x, &v[i]);
        xml_close(x);
    }
    xml_close(x);
    xml_str(x, "Marker", next);
    return 0;
}

/* ---- events ---- */

ACTION(DescribeEvents)
{
    describe_events_in d = { .source_id = param_str(in, "SourceIdentifier"),
                             .source_type = param_str(in, "SourceType"),
                             .marker = param_str(in, "Marker"),
                             .categories = act_str_list(rq, in, "EventCategories") };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    if (d.source_id && !d.source_type)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot specify source identifier without source type");
    /* AWS: StartTime/EndTime bound the window; Duration (minutes) counts back from now or
     * forward from StartTime; default is the past hour. Events are kept 14 days. */
    int64_t now = rds_now_ms(), start = 0, end = 0, duration_min = 0;
    bool has_start = param_int(in, "StartTime", &start);
    bool has_end = param_int(in, "EndTime", &end);
    bool has_dur = param_int(in, "Duration", &duration_min);
    if (!has_end)
        end = has_start && has_dur ? start + duration_min * 60000 : now;
    if (!has_start)
        start = end - (has_dur ? duration_min : 60) * 60000;
    d.start_ms = start;
    d.end_ms = end;
    rds_event **ev;
    size_t n;
    const char *next = NULL;
    if (engine_describe_events(&rq->er, &d, &ev, &n, &next, err))
        return -1;
    xml_str(x, "Marker", next);
    xml_open(x, "Events");
    for (size_t i = 0; i < n; i++) {
        xml_open(x, "Event");
        xml_str(x, "SourceIdentifier", ev[i]->source_id);
        xml_str(x, "SourceType", ev[i]->source_type);
        xml_str(x, "Message", ev[i]->message);
        xml_open(x, "EventCategories");
        xml_str(x, "EventCategory", ev[i]->category);
        xml_close(x);
        xml_time(x, "Date", ev[i]->at_ms);
        xml_str(x, "SourceArn", ev[i]->source_arn);
        xml_close(x);
    }
    xml_close(x);
    return 0;
}

ACTION(DescribeEventCategories)
{
    engine_event_category_map *src;
    size_t n;
    if (engine_event_categories(&rq->er, param_str(in, "SourceType"), &src, &n, err))
        return -1;
    xml_open(x, "EventCategoriesMapList");
    for (size_t t = 0; t < n; t++) {
        xml_open(x, "EventCategoriesMap");
        xml_str(x, "SourceType", src[t].source_type);
        xml_open(x, "EventCategories");
        for (size_t c = 0; c < src[t].n_categories; c++)
            xml_str(x, "EventCategory", src[t].categories[c]);
        xml_close(x);
        xml_close(x);
    }
    xml_close(x);
    return 0;
}

/* ---- engine versions ---- */

ACTION(DescribeDBEngineVersions)
{
    bool default_only = false;
    param_bool(in, "DefaultOnly", &default_only);
    int max; /* model: default 100, 20..100; the installed versions always fit one page */
    if (act_max_records(in, 100, &max, err))
        return -1;
    engine_version_view *v;
    size_t n;
    if (engine_versions(&rq->er, param_str(in, "Engine"), param_str(in, "EngineVersion"),
                        param_str(in, "DBParameterGroupFamily"), default_only, &v, &n, err))
        return -1;
    xml_open(x, "DBEngineVersions");
    for (size_t i = 0; i < n; i++) {
        xml_open(x, "DBEngineVersion");
        xml_str(x, "Engine", v[i].engine);
        xml_str(x, "MajorEngineVersion", v[i].major);
        xml_str(x, "EngineVersion", v[i].version);
        xml_str(x, "DBParameterGroupFamily", v[i].family);
        xml_str(x, "DBEngineDescription", "PostgreSQL");
        xml_str(x, "DBEngineVersionDescription", arena_printf(rq->er.a, "PostgreSQL %s", v[i].version));
        xml_open(x, "ValidUpgradeTarget");
        xml_close(x);
        xml_open(x, "ExportableLogTypes");
        xml_str(x, "member", "postgresql");
        xml_str(x, "member", "upgrade");
        xml_close(x);
        xml_bool(x, "SupportsLogExportsToCloudwatchLogs", true);
        xml_bool(x, "SupportsReadReplica", true);
        xml_open(x, "SupportedEngineModes");
        xml_str(x, "member", "provisioned");
        xml_close(x);
        xml_str(x, "Status", "available");
        xml_bool(x, "SupportsParallelQuery", false);
        xml_bool(x, "SupportsGlobalDatabases", false);
        xml_bool(x, "SupportsBabelfish", false);
        xml_bool(x, "SupportsLimitlessDatabase", false);
        xml_bool(x, "SupportsCertificateRotationWithoutRestart", true);
        xml_bool(x, "SupportsIntegrations", false);
        xml_close(x);
    }
    xml_close(x);
    return 0;
}

/* A DoubleOptional as AWS renders it: "50.0", "0.5", "0.25". */
static const char *fmt_double(arena *a, double v)
{
    return v == (double)(long long)v ? arena_printf(a, "%lld.0", (long long)v) : arena_printf(a, "%g", v);
}

/* One OrderableDBInstanceOption row: version x class x storage type (as AWS lists them: one row
 * per storage type, each with that type's size, Iops and throughput ranges). */
static void render_orderable(xml_out *x, req_ctx *rq, const char *version, const char *cls,
                             const engine_storage_option *st)
{
    xml_open(x, "OrderableDBInstanceOption");
    xml_str(x, "Engine", "postgres");
    xml_str(x, "EngineVersion", version);
    xml_str(x, "DBInstanceClass", cls);
    xml_str(x, "LicenseModel", "postgresql-license");
    xml_open(x, "AvailabilityZones");
    for (char az = 'a'; az <= 'c'; az++) {
        xml_open(x, "AvailabilityZone");
        xml_str(x, "Name", arena_printf(rq->er.a, "%s%c", rq->er.region, az));
        xml_close(x);
    }
    xml_close(x);
    xml_bool(x, "MultiAZCapable", true);
    xml_bool(x, "ReadReplicaCapable", true);
    xml_bool(x, "Vpc", true);
    xml_bool(x, "SupportsStorageEncryption", true);
    xml_str(x, "StorageType", st->type);
    xml_bool(x, "SupportsIops", st->iops_allowed);
    xml_bool(x, "SupportsStorageThroughput", st->max_throughput_mibps > 0);
    xml_bool(x, "SupportsEnhancedMonitoring", true);
    xml_bool(x, "SupportsIAMDatabaseAuthentication", true);
    xml_bool(x, "SupportsPerformanceInsights", true);
    xml_int(x, "MinStorageSize", st->min_gib);
    xml_int(x, "MaxStorageSize", st->max_gib);
    if (st->iops_allowed) {
        xml_int(x, "MinIopsPerDbInstance", st->min_iops);
        xml_int(x, "MaxIopsPerDbInstance", st->max_iops);
    }
    if (st->max_iops_per_gib > 0) {
        xml_str(x, "MinIopsPerGib", fmt_double(rq->er.a, st->min_iops_per_gib));
        xml_str(x, "MaxIopsPerGib", fmt_double(rq->er.a, st->max_iops_per_gib));
    }
    if (st->max_throughput_mibps > 0) {
        xml_int(x, "MinStorageThroughputPerDbInstance", st->min_throughput_mibps);
        xml_int(x, "MaxStorageThroughputPerDbInstance", st->max_throughput_mibps);
        xml_str(x, "MinStorageThroughputPerIops", fmt_double(rq->er.a, 0));
        xml_str(x, "MaxStorageThroughputPerIops", fmt_double(rq->er.a, st->max_throughput_per_iops));
    }
    xml_open(x, "SupportedEngineModes");
    xml_str(x, "member", "provisioned");
    xml_close(x);
    xml_bool(x, "SupportsStorageAutoscaling", true);
    xml_bool(x, "SupportsKerberosAuthentication", true);
    xml_bool(x, "OutpostCapable", false);
    xml_bool(x, "SupportsGlobalDatabases", false);
    xml_open(x, "SupportedNetworkTypes");
    xml_str(x, "member", "IPV4");
    xml_str(x, "member", "DUAL");
    xml_close(x);
    xml_bool(x, "SupportsClusters", false);
    xml_bool(x, "SupportsDedicatedLogVolume", false);
    xml_close(x);
}

ACTION(DescribeOrderableDBInstanceOptions)
{
    const char *eng = param_str(in, "Engine");
    const char *want_class = param_str(in, "DBInstanceClass");
    const char *want_version = param_str(in, "EngineVersion");
    const char *want_license = param_str(in, "LicenseModel");
    const char *want_azg = param_str(in, "AvailabilityZoneGroup");
    bool want_vpc = true;
    bool has_vpc = param_bool(in, "Vpc", &want_vpc);
    /* Model: MaxRecords default 100, 20..1000. */
    int max = 100;
    int64_t given;
    if (param_int(in, "MaxRecords", &given) && act_max_records(in, 1000, &max, err))
        return -1;
    engine_version_view *v;
    size_t nv;
    if (engine_versions(&rq->er, eng, want_version, NULL, false, &v, &nv, err))
        return -1;
    /* Filters that no rdslocal offering matches give an empty list, as on AWS: every offering
     * is postgresql-license, in a VPC, in the region's own AZs (no Local Zone groups; the
     * region's AZ group is named after the region, as in EC2). */
    if ((want_license && strcmp(want_license, "postgresql-license") != 0) || (has_vpc && !want_vpc) ||
        (want_azg && strcmp(want_azg, rq->er.region) != 0))
        nv = 0;
    engine_orderable ord;
    if (engine_orderable_options(&rq->er, "postgres", &ord, err))
        return -1;
    const char *const *classes = ord.classes;
    size_t nc = ord.n_classes;
    const engine_storage_option *st = ord.storage;
    size_t ns = ord.n_storage;
    /* Marker: "<version>|<class>|<storage type>" of the last row returned. */
    const char *marker = param_str(in, "Marker");
    size_t emitted = 0;
    const char *next = NULL, *last_key = NULL;
    bool past_marker = marker == NULL;
    xml_open(x, "OrderableDBInstanceOptions");
    for (size_t i = 0; i < nv && !next; i++) {
        for (size_t c = 0; c < nc && !next; c++) {
            if (want_class && strcmp(want_class, classes[c]) != 0)
                continue;
            for (size_t t = 0; t < ns; t++) {
                const char *key = arena_printf(rq->er.a, "%s|%s|%s", v[i].version, classes[c], st[t].type);
                if (!past_marker) {
                    past_marker = strcmp(key, marker) == 0;
                    continue;
                }
                if (emitted == (size_t)max) {
                    next = last_key; /* more rows exist: resume after the last one sent */
                    break;
                }
                last_key = key;
                render_orderable(x, rq, v[i].version, classes[c], &st[t]);
                emitted++;
            }
        }
    }
    xml_close(x);
    xml_str(x, "Marker", next);
    return 0;
}
