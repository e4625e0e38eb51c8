/* rules_events.c: the RDS event catalogue rdslocal emits for DB instances, the event
 * categories valid per source type, the SourceType values, and the tag rules (resource
 * metadata checked alongside; kept here rather than in a file of their own). Static tables
 * and pure functions; any thread.
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

#include <stdint.h>
#include <string.h>
#include <strings.h>

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
    /* snapshots (user guide, db-snapshot source type; 0043 is a db-instance event) */
    [RULES_EV_RESTORED_FROM_SNAPSHOT] = { "RDS-EVENT-0043", "restoration", "Restored from snapshot %s", 1,
                                          "db-instance" },
    [RULES_EV_SNAPSHOT_CREATING] = { "RDS-EVENT-0040", "creation", "Creating manual snapshot", 0,
                                     "db-snapshot" },
    [RULES_EV_SNAPSHOT_CREATED] = { "RDS-EVENT-0042", "creation", "Manual snapshot created", 0,
                                    "db-snapshot" },
    [RULES_EV_SNAPSHOT_DELETED] = { "RDS-EVENT-0041", "deletion", "Deleted manual snapshot", 0,
                                    "db-snapshot" },
    [RULES_EV_SNAPSHOT_COPY_STARTED] = { "RDS-EVENT-0196", "notification", "Started copy of snapshot %s", 1,
                                         "db-snapshot" },
    [RULES_EV_SNAPSHOT_COPY_FINISHED] = { "RDS-EVENT-0197", "notification", "Finished copy of snapshot %s", 1,
                                          "db-snapshot" },
    /* ---- automated backups (autobackup) ---- */
    [RULES_EV_BACKUP_STARTED] = { "RDS-EVENT-0001", "backup", "Backing up DB instance", 0, "db-instance" },
    [RULES_EV_BACKUP_FINISHED] = { "RDS-EVENT-0002", "backup", "Finished DB Instance backup", 0, "db-instance" },
    [RULES_EV_AUTO_SNAPSHOT_CREATING] = { "RDS-EVENT-0090", "creation", "Creating automated snapshot", 0,
                                          "db-snapshot" },
    [RULES_EV_AUTO_SNAPSHOT_CREATED] = { "RDS-EVENT-0091", "creation", "Automated snapshot created", 0,
                                         "db-snapshot" },
    /* ---- point-in-time restore (pitr) ---- */
    [RULES_EV_RESTORED_TO_POINT_IN_TIME] = { "RDS-EVENT-0019", "restoration", "Restored from DB instance %s", 1,
                                             "db-instance" },
    /* Multi-AZ. The failover messages are the ones DescribeEvents shows for a Multi-AZ DB
     * instance (0013 started, 0049 completed); the reason AWS records beside them (e.g.
     * "The user requested a failover of the DB instance.") has no documented id. */
    [RULES_EV_MULTI_AZ_OFF_STARTED] = { "RDS-EVENT-0030", "configuration change",
                                        "Applying modification to convert to a standard (Single-AZ) DB "
                                        "instance", 0, "db-instance" },
    [RULES_EV_MULTI_AZ_OFF_FINISHED] = { "RDS-EVENT-0029", "configuration change",
                                         "Finished applying modification to convert to a standard "
                                         "(Single-AZ) DB instance", 0, "db-instance" },
    [RULES_EV_FAILOVER_STARTED] = { "RDS-EVENT-0013", "failover", "Multi-AZ instance failover started", 0,
                                    "db-instance" },
    [RULES_EV_FAILOVER_COMPLETED] = { "RDS-EVENT-0049", "failover", "Multi-AZ instance failover completed", 0,
                                      "db-instance" },
    [RULES_EV_FAILOVER_REASON] = { NULL, "failover", "%s", 1, "db-instance" },
    /* read replicas: replication ends when a replica is promoted or its source deleted
     * (user guide, read replica category; wording paraphrased) */
    [RULES_EV_REPLICA_TERMINATED] = { "RDS-EVENT-0057", "read replica",
                                      "Replication on the read replica was terminated", 0, "db-instance" },
    /* fault injection (engine/faults/). 0007: the user guide's low-storage event for an
     * instance whose allocated storage is exhausted. A hang has no AWS event (RDS records
     * none for an engine that merely stops answering): AWS-styled "availability" messages.
     * 0052/0053: the user guide's Multi-AZ recovery pair, recorded when the standby is lost
     * (killed or cut off) and when it is in sync again. */
    [RULES_EV_STORAGE_FULL] = { "RDS-EVENT-0007", "low storage",
                                "Allocated storage has been exhausted. Allocate additional storage to resolve the issue",
                                0, "db-instance" },
    [RULES_EV_NOT_RESPONDING] = { NULL, "availability", "DB instance is not responding", 0, "db-instance" },
    [RULES_EV_RESPONDING_AGAIN] = { NULL, "availability", "DB instance is responding again", 0, "db-instance" },
    [RULES_EV_MULTI_AZ_RECOVERY_STARTED] = { "RDS-EVENT-0052", "recovery", "Multi-AZ instance recovery started", 0,
                                             "db-instance" },
    [RULES_EV_MULTI_AZ_RECOVERY_FINISHED] = { "RDS-EVENT-0053", "recovery", "Multi-AZ instance recovery completed",
                                              0, "db-instance" },
};

const rules_event_def *rules_event(rules_event_id id)
{
    if ((int)id < 0 || id >= RULES_EV__COUNT)
        return NULL;
    return &events[id];
}

/* Categories per source type, from the category column of the user guide's tables (RDS and
 * Aurora guides; db-cluster includes Aurora's). NULL-terminated. */

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

/* The first six in the order of AWS's own describe-event-categories example (aws-cli
 * awscli/examples/rds/describe-event-categories.rst), then the newer source types. */
static const rules_event_source sources[] = {
    { "db-instance", cat_instance },
    { "db-security-group", cat_security_group },
    { "db-parameter-group", cat_parameter_group },
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

size_t rules_event_sources(const rules_event_source **out)
{
    if (out)
        *out = sources;
    return SOURCE_COUNT;
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

/* ---- tags ---------------------------------------------------------------- */

/* Message sources (code InvalidParameterValue):
 *   "Tag values may only contain unicode letters, digits, whitespace, or one of these symbols:
 *    _ . : / = + \ - @"          real AWS response, cloud-custodian #2115 and #4674 (the "\"
 *                                 is AWS's own, the regex escape of "-" leaking into the text)
 *   "Tag keys cannot start with the reserved prefix "aws:"."
 *                                 real AWS response to CopyDBSnapshot, cloud-custodian #6782
 * AWS-styled after those two (AWS's text not found): the key variant of the character message,
 * the "rds:" prefix and value-prefix messages, the length messages and the count message.
 * Rules: botocore model, shape Tag (1-128 / 0-256 Unicode characters, no aws:/rds: prefix, Java
 * regex ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$); 50 tags per resource from the user guide "Tagging
 * Amazon RDS resources"; empty values accepted (aws-cloudformation-resource-providers-rds
 * #119: "RDS support tag value to be between 0 and 256"). */

#define TAG_SYMBOLS "_ . : / = + \\ - @"

/* Decodes one UTF-8 code point at *p, advancing *p; -1 for invalid UTF-8 (overlong forms,
 * surrogates, values above U+10FFFF, truncated sequences). */
static int32_t utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    int32_t cp;
    int len;
    if (s[0] < 0x80) {
        *p = s + 1;
        return s[0];
    } else if ((s[0] & 0xE0) == 0xC0) {
        cp = s[0] & 0x1F, len = 2;
    } else if ((s[0] & 0xF0) == 0xE0) {
        cp = s[0] & 0x0F, len = 3;
    } else if ((s[0] & 0xF8) == 0xF0) {
        cp = s[0] & 0x07, len = 4;
    } else {
        return -1;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const int32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *p = s + len;
    return cp;
}

/* ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ for one code point. ASCII: letters, digits, space (the only
 * ASCII \p{Z}) and the symbols. Non-ASCII: every code point except the C1 controls counts
 * (an approximation: Unicode punctuation and symbols outside \p{L}\p{Z}\p{N} pass too). */
static bool tag_char_ok(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               (cp != 0 && strchr(" _.:/=+-@", (int)cp) != NULL);
    return cp >= 0xA0;
}

/* Counts the code points of s into *n; false if s is not valid UTF-8 or holds a character
 * outside the tag set. */
static bool tag_scan(const char *s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s;
    *n = 0;
    while (*p) {
        int32_t cp = utf8_next(&p);
        if (cp < 0 || !tag_char_ok(cp))
            return false;
        (*n)++;
    }
    return true;
}

static const char *reserved_prefix(const char *s)
{
    if (strncasecmp(s, "aws:", 4) == 0)
        return "aws:";
    if (strncasecmp(s, "rds:", 4) == 0)
        return "rds:";
    return NULL;
}

int rules_tags(const char *const *keys, const char *const *values, size_t n, rds_error *err)
{
    if (n > RULES_MAX_TAGS)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Cannot add more than %d tags to a resource.", RULES_MAX_TAGS);
    for (size_t i = 0; i < n; i++) {
        const char *key = keys[i] ? keys[i] : "";
        const char *value = values && values[i] ? values[i] : "";
        const char *pfx;
        size_t len;
        if ((pfx = reserved_prefix(key)))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Tag keys cannot start with the reserved prefix \"%s\".", pfx);
        if (!tag_scan(key, &len))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Tag keys may only contain unicode letters, digits, whitespace, or one "
                            "of these symbols: " TAG_SYMBOLS);
        if (len < 1 || len > 128)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Tag keys must be between 1 and 128 characters in length.");
        if ((pfx = reserved_prefix(value)))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Tag values cannot start with the reserved prefix \"%s\".", pfx);
        if (!tag_scan(value, &len))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Tag values may only contain unicode letters, digits, whitespace, or "
                            "one of these symbols: " TAG_SYMBOLS);
        if (len > 256)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Tag values must be between 0 and 256 characters in length.");
    }
    return 0;
}
