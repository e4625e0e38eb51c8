/* pitr.c: RestoreDBInstanceToPointInTime (engine/pitr/). The overrides are read as for
 * the other restores (ACT_INSTANCE_INPUTS); the target's identifier is
 * TargetDBInstanceIdentifier; RestoreTime arrives as epoch ms (the query parser reads
 * ISO 8601). */
#include "rds.h"

#include <stddef.h>
#include <string.h>

ACTION(RestoreDBInstanceToPointInTime)
{
    pitr_restore_in c = {
        .target = { ACT_INSTANCE_INPUTS(rq, in),
                    .dedicated_log_volume = act_opt_bool(in, RDS_M_DedicatedLogVolume),
                    .master_secret_kms_key_id = param_str(in, RDS_M_MasterUserSecretKmsKeyId) },
        .source_id = param_str(in, RDS_M_SourceDBInstanceIdentifier),
        .source_resource_id = param_str(in, RDS_M_SourceDbiResourceId),
        .source_ab_arn = param_str(in, RDS_M_SourceDBInstanceAutomatedBackupsArn),
        .use_latest = act_opt_bool(in, RDS_M_UseLatestRestorableTime),
    };
    c.target.id = param_str(in, RDS_M_TargetDBInstanceIdentifier);
    int64_t t;
    if (param_int(in, RDS_M_RestoreTime, &t))
        c.restore_time = (opt_int){ true, t };
    instance_view v;
    if (engine_restore_instance_to_point_in_time(&rq->er, &c, &v, err))
        return -1;
    return act_return_instance(x, rq, &v);
}

static const action_def rows[] = {
    { &rds_api, "RestoreDBInstanceToPointInTime", act_RestoreDBInstanceToPointInTime, 0 },
};
DISPATCH_FAMILY(rds_pitr, rows);
