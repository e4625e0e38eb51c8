/* rules_events.c: the RDS event catalogue rdslocal emits for DB instances, the event
 * categories valid per source type, and the SourceType values. Static tables; any thread.
 *
 * Source: RDS user guide "Amazon RDS event categories and event messages" (the current
 * version, which has a Message column). Messages are written without the final period, as
 * DescribeEvents returns them ("DB instance shutdown", "Finished applying modification to DB
 * instance class", "DB instance restarted" in real CLI output quoted in AWS's own
 * describe-events examples); messages of two sentences keep their inner period.
 * RULES_EV_SECURITY_GROUP_CHANGED is RDS-EVENT-0038, which AWS documents under the
 * db-security-group source type; AWS documents no db-instance event for a VPC security group
 * change. RULES_EV_PORT_CHANGED and RULES_EV_MODIFIED have no AWS event: their messages are
 * AWS-styled after "Finished applying modification to ...". */
#include "rdslocal/rules.h"

#include <string.h>

static const rules_event_def events[RULES_EV__COUNT] = {
    [RULES_EV_CREATED] = { "RDS-EVENT-0005", "creation", "DB instance created", 0, "db-instance" },
    [RULES_EV_DELETED] = { "RDS-EVENT-0003", "deletion", "DB instance deleted", 0, "db-instance" },
    [RULES_EV_RESTARTED] = { "RDS-EVENT-0006", "availability", "DB instance restarted", 0,
                             "db-instance" },
    [RULES_EV_SHUTDOWN] = { "RDS-EVENT-0004", "availability", "DB instance shutdown", 0,
                            "db-instance" },
    [RULES_EV_STOPPED] = { "RDS-EVENT-0087", "notification", "DB instance stopped", 0,
                           "db-instance" },
    [RULES_EV_STARTED] = { "RDS-EVENT-0088", "notification", "DB instance started", 0,
                           "db-instance" },
    [RULES_EV_RESET_CREDENTIALS] = { "RDS-EVENT-0016", "configuration change",
                                     "Reset master credentials", 0, "db-instance" },
    [RULES_EV_CLASS_CHANGED] = { "RDS-EVENT-0014", "configuration change",
                                 "Finished applying modification to DB instance class", 0,
                                 "db-instance" },
    [RULES_EV_STORAGE_CHANGED] = { "RDS-EVENT-0017", "configuration change",
                                   "Finished applying modification to allocated storage", 0,
                                   "db-instance" },
    [RULES_EV_PARAMETER_GROUP_CHANGED] = { "RDS-EVENT-0011", "configuration change",
                                           "Updated to use DBParameterGroup %s", 1,
                                           "db-instance" },
    [RULES_EV_BACKUP_RETENTION_CHANGED_ON] = { "RDS-EVENT-0032", "configuration change",
                                               "Enabled automated backups", 0, "db-instance" },
    [RULES_EV_BACKUP_RETENTION_CHANGED_OFF] = { "RDS-EVENT-0028", "configuration change",
                                                "Disabled automated backups", 0, "db-instance" },
    [RULES_EV_SECURITY_GROUP_CHANGED] = { "RDS-EVENT-0038", "configuration change",
                                          "Applied change to security group", 0,
                                          "db-security-group" },
    [RULES_EV_MULTI_AZ_ON_STARTED] = { "RDS-EVENT-0024", "configuration change",
                                       "Applying modification to convert to a Multi-AZ DB "
                                       "instance", 0, "db-instance" },
    [RULES_EV_MULTI_AZ_ON_FINISHED] = { "RDS-EVENT-0025", "configuration change",
                                        "Finished applying modification to convert to a "
                                        "Multi-AZ DB instance", 0, "db-instance" },
    [RULES_EV_FAILED] = { "RDS-EVENT-0031", "failure",
                          "DB instance put into %s state. RDS recommends that you initiate a "
                          "point-in-time-restore", 1, "db-instance" },
    [RULES_EV_RECOVERY_STARTED] = { "RDS-EVENT-0020", "recovery",
                                    "Recovery of the DB instance has started. Recovery time "
                                    "will vary with the amount of data to be recovered", 0,
                                    "db-instance" },
    [RULES_EV_RECOVERY_FINISHED] = { "RDS-EVENT-0021", "recovery",
                                     "Recovery of the DB instance is complete", 0,
                                     "db-instance" },
    [RULES_EV_AUTO_STARTED_AFTER_7_DAYS] = { "RDS-EVENT-0154", "notification",
                                             "DB instance is being started due to it exceeding "
                                             "the maximum allowed time being stopped", 0,
                                             "db-instance" },
    [RULES_EV_PORT_CHANGED] = { NULL, "configuration change",
                                "Finished applying modification to DB instance port", 0,
                                "db-instance" },
    [RULES_EV_MODIFIED] = { NULL, "configuration change",
                            "Finished applying modification to DB instance", 0, "db-instance" },
};

const rules_event_def *rules_event(rules_event_id id)
{
    if ((int)id < 0 || id >= RULES_EV__COUNT)
        return NULL;
    return &events[id];
}

/* Categories per source type, from the category column of the user guide's tables (RDS and
 * Aurora guides; db-cluster includes Aurora's). NULL-terminated. */
typedef struct source_categories {
    const char *source_type;
    const char *const *categories;
} source_categories;

static const char *const cat_instance[] = {
    "availability", "backup", "configuration change", "creation", "deletion", "failover",
    "failure", "low storage", "maintenance", "notification", "read replica", "recovery",
    "restoration", "security", "security patching", NULL,
};
static const char *const cat_parameter_group[] = { "configuration change", NULL };
static const char *const cat_security_group[] = { "configuration change", "failure", NULL };
static const char *const cat_snapshot[] = {
    "creation", "deletion", "notification", "restoration", NULL,
};
static const char *const cat_cluster[] = {
    "backtrack", "configuration change", "creation", "deletion", "failover", "failure",
    "global failover", "maintenance", "migration", "notification", "read replica", "serverless",
    NULL,
};
static const char *const cat_cluster_snapshot[] = {
    "backup", "creation", "deletion", "notification", "restoration", NULL,
};
static const char *const cat_custom_engine_version[] = { "creation", "failure", "restoration", NULL };
static const char *const cat_proxy[] = {
    "configuration change", "creation", "deletion", "failure", NULL,
};
static const char *const cat_blue_green[] = {
    "creation", "deletion", "failure", "notification", NULL,
};
static const char *const cat_shard_group[] = {
    "configuration change", "creation", "deletion", "failure", NULL,
};
static const char *const cat_zero_etl[] = {
    "configuration change", "creation", "deletion", "failure", NULL,
};

static const source_categories sources[] = {
    { "db-instance", cat_instance },
    { "db-parameter-group", cat_parameter_group },
    { "db-security-group", cat_security_group },
    { "db-snapshot", cat_snapshot },
    { "db-cluster", cat_cluster },
    { "db-cluster-snapshot", cat_cluster_snapshot },
    { "custom-engine-version", cat_custom_engine_version },
    { "db-proxy", cat_proxy },
    { "blue-green-deployment", cat_blue_green },
    { "db-shard-group", cat_shard_group },
    { "zero-etl", cat_zero_etl },
};
#define SOURCE_COUNT (sizeof sources / sizeof sources[0])

static bool category_in(const char *const *list, const char *category)
{
    for (; *list; list++)
        if (strcmp(*list, category) == 0)
            return true;
    return false;
}

bool rules_event_category_valid(const char *source_type, const char *category)
{
    if (!category)
        return false;
    for (size_t i = 0; i < SOURCE_COUNT; i++) {
        if (source_type && strcmp(source_type, sources[i].source_type) != 0)
            continue;
        if (category_in(sources[i].categories, category))
            return true;
    }
    return false;
}

bool rules_source_type_valid(const char *source_type)
{
    if (!source_type)
        return false;
    for (size_t i = 0; i < SOURCE_COUNT; i++)
        if (strcmp(source_type, sources[i].source_type) == 0)
            return true;
    return false;
}
