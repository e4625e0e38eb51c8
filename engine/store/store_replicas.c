/* store_replicas.c: the read-replica queries (engine/replicas/): the replicas of a source
 * and every replica, by the replica_source_resource_id column of db_instance.def. */
#include "store_internal.h"

int store_instance_replicas_of(store *s, arena *a, const char *source_resource_id, db_instance ***out,
                               size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_INSTANCE);
    if (!source_resource_id)
        return store__select_rows(s, a, &t,
                                  "WHERE replica_source_resource_id IS NOT NULL AND status <> 'deleted' "
                                  "ORDER BY region, id",
                                  NULL, 0, NULL, 0, (void ***)out, n_out, err);
    const char *args[] = { source_resource_id };
    return store__select_rows(s, a, &t,
                              "WHERE replica_source_resource_id = ? AND status <> 'deleted' ORDER BY region, id",
                              args, 1, NULL, 0, (void ***)out, n_out, err);
}
