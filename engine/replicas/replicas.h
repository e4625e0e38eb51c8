/* replicas.h: what the read-replica files (engine/replicas/) share. create.c:
 * CreateDBInstanceReadReplica; promote.c: PromoteReadReplica and the promotion of replicas
 * whose source was deleted; view.c: the replica fields of an instance view, ModifyDBInstance's
 * refusals, the admin health lines. Private to engine/replicas. */
#ifndef RDSLOCAL_ENGINE_REPLICAS_H
#define RDSLOCAL_ENGINE_REPLICAS_H

#include "instances/instances.h"

/* Splits a source reference: an instance ARN of this account (any region) or an id of the
 * request's region. Lower-cases the id (arena). NULL when ref is not a usable reference. */
const char *replicas__source_ref(engine_req *r, const char *ref, const char **region_out);

/* Promotes replica id of region (its own engine_op under its lock): standalone server,
 * replica fields cleared, backups as given (retention < 0: unchanged), events. out may be
 * NULL. Errors: DBInstanceNotFound, InvalidDBInstanceState (not a replica, not available). */
int replicas__promote(engine_req *r, const char *id, int64_t retention, const char *backup_window,
                      instance_view *out, rds_error *err);

#endif
