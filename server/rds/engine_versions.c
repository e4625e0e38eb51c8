/* engine_versions.c: what can be created: DescribeDBEngineVersions and
 * DescribeOrderableDBInstanceOptions. */
#include "rds.h"


#include <string.h>

ACTION(DescribeDBEngineVersions)
{
    bool default_only = false;
    param_bool(in, RDS_M_DefaultOnly, &default_only);
    int max; /* model: default 100, 20..100; the installed versions always fit one page */
    if (act_max_records(in, 100, &max, err))
        return -1;
    engine_version_view *v;
    size_t n;
    if (engine_versions(&rq->er, param_str(in, RDS_M_Engine), param_str(in, RDS_M_EngineVersion),
                        param_str(in, RDS_M_DBParameterGroupFamily), default_only, &v, &n, err))
        return -1;
    res_list(x, "DBEngineVersions");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "DBEngineVersion");
        res_str(x, "Engine", v[i].engine);
        res_str(x, "MajorEngineVersion", v[i].major);
        res_str(x, "EngineVersion", v[i].version);
        res_str(x, "DBParameterGroupFamily", v[i].family);
        res_str(x, "DBEngineDescription", "PostgreSQL");
        res_str(x, "DBEngineVersionDescription", arena_printf(rq->er.a, "PostgreSQL %s", v[i].version));
        res_list(x, "ValidUpgradeTarget");
        res_close(x);
        res_list(x, "ExportableLogTypes");
        res_str(x, "member", "postgresql");
        res_str(x, "member", "upgrade");
        res_close(x);
        res_bool(x, "SupportsLogExportsToCloudwatchLogs", true);
        res_bool(x, "SupportsReadReplica", true);
        res_list(x, "SupportedEngineModes");
        res_str(x, "member", "provisioned");
        res_close(x);
        res_str(x, "Status", "available");
        res_bool(x, "SupportsParallelQuery", false);
        res_bool(x, "SupportsGlobalDatabases", false);
        res_bool(x, "SupportsBabelfish", false);
        res_bool(x, "SupportsLimitlessDatabase", false);
        res_bool(x, "SupportsCertificateRotationWithoutRestart", true);
        res_bool(x, "SupportsIntegrations", false);
        res_close(x);
    }
    res_close(x);
    return 0;
}

/* One OrderableDBInstanceOption row: version x class x storage type (as AWS lists them: one row
 * per storage type, each with that type's size, Iops and throughput ranges). */
static void render_orderable(res_out *x, req_ctx *rq, const char *version, const char *cls,
                             const engine_storage_option *st)
{
    res_struct(x, "OrderableDBInstanceOption");
    res_str(x, "Engine", "postgres");
    res_str(x, "EngineVersion", version);
    res_str(x, "DBInstanceClass", cls);
    res_str(x, "LicenseModel", "postgresql-license");
    res_list(x, "AvailabilityZones");
    for (char az = 'a'; az <= 'c'; az++) {
        res_struct(x, "AvailabilityZone");
        res_str(x, "Name", arena_printf(rq->er.a, "%s%c", rq->er.region, az));
        res_close(x);
    }
    res_close(x);
    res_bool(x, "MultiAZCapable", true);
    res_bool(x, "ReadReplicaCapable", true);
    res_bool(x, "Vpc", true);
    res_bool(x, "SupportsStorageEncryption", true);
    res_str(x, "StorageType", st->type);
    res_bool(x, "SupportsIops", st->iops_allowed);
    res_bool(x, "SupportsStorageThroughput", st->max_throughput_mibps > 0);
    res_bool(x, "SupportsEnhancedMonitoring", true);
    res_bool(x, "SupportsIAMDatabaseAuthentication", true);
    res_bool(x, "SupportsPerformanceInsights", true);
    res_int(x, "MinStorageSize", st->min_gib);
    res_int(x, "MaxStorageSize", st->max_gib);
    if (st->iops_allowed) {
        res_int(x, "MinIopsPerDbInstance", st->min_iops);
        res_int(x, "MaxIopsPerDbInstance", st->max_iops);
    }
    if (st->max_iops_per_gib > 0) {
        res_double(x, "MinIopsPerGib", st->min_iops_per_gib);
        res_double(x, "MaxIopsPerGib", st->max_iops_per_gib);
    }
    if (st->max_throughput_mibps > 0) {
        res_int(x, "MinStorageThroughputPerDbInstance", st->min_throughput_mibps);
        res_int(x, "MaxStorageThroughputPerDbInstance", st->max_throughput_mibps);
        res_double(x, "MinStorageThroughputPerIops", 0);
        res_double(x, "MaxStorageThroughputPerIops", st->max_throughput_per_iops);
    }
    res_list(x, "SupportedEngineModes");
    res_str(x, "member", "provisioned");
    res_close(x);
    res_bool(x, "SupportsStorageAutoscaling", true);
    res_bool(x, "SupportsKerberosAuthentication", true);
    res_bool(x, "OutpostCapable", false);
    res_bool(x, "SupportsGlobalDatabases", false);
    res_list(x, "SupportedNetworkTypes");
    res_str(x, "member", "IPV4");
    res_str(x, "member", "DUAL");
    res_close(x);
    res_bool(x, "SupportsClusters", false);
    res_bool(x, "SupportsDedicatedLogVolume", false);
    res_close(x);
}

ACTION(DescribeOrderableDBInstanceOptions)
{
    const char *eng = param_str(in, RDS_M_Engine);
    const char *want_class = param_str(in, RDS_M_DBInstanceClass);
    const char *want_version = param_str(in, RDS_M_EngineVersion);
    const char *want_license = param_str(in, RDS_M_LicenseModel);
    const char *want_azg = param_str(in, RDS_M_AvailabilityZoneGroup);
    bool want_vpc = true;
    bool has_vpc = param_bool(in, RDS_M_Vpc, &want_vpc);
    /* Model: MaxRecords default 100, 20..1000. */
    int max = 100;
    int64_t given;
    if (param_int(in, RDS_M_MaxRecords, &given) && act_max_records(in, 1000, &max, err))
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
    const char *marker = param_str(in, RDS_M_Marker);
    size_t emitted = 0;
    const char *next = NULL, *last_key = NULL;
    bool past_marker = marker == NULL;
    res_list(x, "OrderableDBInstanceOptions");
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
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "DescribeDBEngineVersions", act_DescribeDBEngineVersions, AF_CACHEABLE },
    { &rds_api, "DescribeOrderableDBInstanceOptions", act_DescribeOrderableDBInstanceOptions, AF_CACHEABLE },
};
DISPATCH_FAMILY(rds_engine_versions, rows);
