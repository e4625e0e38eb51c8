/* store_snapshots.c: the db_snapshot table (see store.h): get, list with filters, all,
 * put, delete and the count of manual snapshots (the quota). */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

int store_snapshot_get(store *s, arena *a, const char *region, const char *id, db_snapshot **out,
                       rds_error *err)
{
    const char *args[] = { region, id };
    return store__select_one(s, a, ST_SNAPSHOT, "WHERE region = ? AND id = ?", args, 2, out, err);
}

/* restore_accounts is a comma-separated list; "all" in it makes the snapshot public */
#define PUBLIC_SQL "(',' || ifnull(restore_accounts, '') || ',') LIKE '%,all,%'"

int store_snapshot_list(store *s, arena *a, const char *region, const store_filter *filters,
                        size_t n_filters, bool only_public, const char *after, int limit,
                        db_snapshot ***out, size_t *n_out, rds_error *err)
{
    return store__select_filtered(s, a, ST_SNAPSHOT, region, filters, n_filters, only_public ? PUBLIC_SQL : NULL,
                                  after, limit, out, n_out, err);
}

int store_snapshot_all(store *s, arena *a, db_snapshot ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SNAPSHOT);
    return store__select_rows(s, a, &t, "ORDER BY region, id", NULL, 0, NULL, 0, (void ***)out, n_out, err);
}

int store_snapshot_put(store *s, const db_snapshot *snap, rds_error *err)
{
    table_def t = store__table(ST_SNAPSHOT);
    return store__put_row(s, &t, snap, err);
}

int store_snapshot_delete(store *s, const char *region, const char *id, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM db_snapshot WHERE region = ? AND id = ?", region, id, err);
}

int store_snapshot_count_manual(store *s, const char *region, int64_t *n, rds_error *err)
{
    return store__count_query(s, "SELECT count(*) FROM db_snapshot WHERE region = ? AND snapshot_type = ?",
                              region, "manual", 0, n, err);
}
