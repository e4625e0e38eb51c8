/* rules_state.c: which DBInstanceStatus values allow stop, start, reboot, modify and delete,
 * and the 7-day automatic start of a stopped instance. Pure functions; any thread.
 *
 * Message sources (real AWS responses quoted in public issues):
 *   "Instance <id> is not in available state."   StopDBInstance (cloud-custodian #1687); used
 *       for stop, reboot and modify as AWS's general wrong-state text.
 *   "Instance <id> cannot be started as it is not in one of the following statuses: 'stopped,
 *       inaccessible-encryption-credentials-recoverable, incompatible-network (only valid for
 *       non-SqlServer instances)'."   StartDBInstance, quoted in two blog posts.
 *   "Instance <id> is already being deleted."   DeleteDBInstance (terraform-provider-aws #5624).
 * AWS-styled: the Multi-AZ SQL Server stop refusal (AWS documents the limitation, not the
 * text). */
#include "rdslocal/rules.h"

#include <string.h>

static bool status_in(const char *status, const char *const *list, size_t n)
{
    if (!status)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(status, list[i]) == 0)
            return true;
    return false;
}
#define STATUS_IN(s, list) status_in((s), (list), sizeof (list) / sizeof (list)[0])

static int not_available(const char *id, rds_error *err)
{
    return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE, "Instance %s is not in available state.",
                    id ? id : "");
}

int rules_can_stop(const char *id, const char *status, bool multi_az_sqlserver, rds_error *err)
{
    static const char *const ok[] = { "available" };
    if (!STATUS_IN(status, ok))
        return not_available(id, err);
    if (multi_az_sqlserver)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "Cannot stop instance %s because it is a SQL Server Multi-AZ instance.",
                        id ? id : "");
    return 0;
}

int rules_can_start(const char *id, const char *status, rds_error *err)
{
    static const char *const ok[] = {
        "stopped", "inaccessible-encryption-credentials-recoverable", "incompatible-network",
    };
    if (STATUS_IN(status, ok))
        return 0;
    return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                    "Instance %s cannot be started as it is not in one of the following "
                    "statuses: 'stopped, inaccessible-encryption-credentials-recoverable, "
                    "incompatible-network (only valid for non-SqlServer instances)'.",
                    id ? id : "");
}

int rules_can_reboot(const char *id, const char *status, rds_error *err)
{
    /* incompatible-parameters: the user guide's fix is "modify the parameter group, then
     * reboot", so reboot must be allowed there. */
    static const char *const ok[] = {
        "available", "storage-optimization", "incompatible-parameters",
    };
    return STATUS_IN(status, ok) ? 0 : not_available(id, err);
}

int rules_can_modify(const char *id, const char *status, rds_error *err)
{
    /* storage-full: the way out is ModifyDBInstance with more AllocatedStorage. */
    static const char *const ok[] = {
        "available", "backing-up", "storage-optimization", "storage-full",
        "incompatible-parameters",
    };
    return STATUS_IN(status, ok) ? 0 : not_available(id, err);
}

int rules_can_delete(const char *id, const char *status, rds_error *err)
{
    if (status && strcmp(status, "deleting") == 0)
        return rds_fail(err, RDS_E_INVALID_DB_INSTANCE_STATE,
                        "Instance %s is already being deleted.", id ? id : "");
    return 0;
}

bool rules_kms_recovery_expired(int64_t lost_at_ms, int64_t now_ms)
{
    return now_ms - lost_at_ms >= RULES_KMS_RECOVERY_MS;
}

bool rules_stop_expired(int64_t stopped_at_ms, int64_t now_ms)
{
    return now_ms - stopped_at_ms >= RULES_MAX_STOP_MS;
}
