/* store_automated_backups.c: the db_automated_backup table (see store.h), and the two reads
 * the automated-backup worker pass needs from other tables: the instances whose backup is
 * due, and the automated snapshots of one instance. */
#include "store_internal.h"

int store_autobackup_get(store *s, arena *a, const char *region, const char *resource_id,
                         db_automated_backup **out, rds_error *err)
{
    const char *args[] = { region, resource_id };
    return store__select_one(s, a, ST_AUTOMATED_BACKUP, "WHERE region = ? AND id = ?", args, 2, out, err);
}

int store_autobackup_by_ab_id(store *s, arena *a, const char *ab_id, db_automated_backup **out, rds_error *err)
{
    const char *args[] = { ab_id };
    return store__select_one(s, a, ST_AUTOMATED_BACKUP, "WHERE ab_id = ?", args, 1, out, err);
}

int store_autobackup_list(store *s, arena *a, const char *region, const store_filter *filters, size_t n_filters,
                          const char *after, int limit, db_automated_backup ***out, size_t *n_out, rds_error *err)
{
    return store__select_filtered(s, a, ST_AUTOMATED_BACKUP, region, filters, n_filters, NULL, after, limit, out,
                                  n_out, err);
}

int store_autobackup_all(store *s, arena *a, db_automated_backup ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_AUTOMATED_BACKUP);
    return store__select_rows(s, a, &t, "ORDER BY region, id", NULL, 0, NULL, 0, (void ***)out, n_out, err);
}

int store_autobackup_put(store *s, const db_automated_backup *b, rds_error *err)
{
    table_def t = store__table(ST_AUTOMATED_BACKUP);
    return store__put_row(s, &t, b, err);
}

int store_autobackup_delete(store *s, const char *region, const char *resource_id, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM db_automated_backup WHERE region = ? AND id = ?", region,
                               resource_id, err);
}

int store_autobackup_due_instances(store *s, arena *a, int64_t now_ms, db_instance ***out, size_t *n_out,
                                   rds_error *err)
{
    table_def t = store__table(ST_INSTANCE);
    const int64_t tail[] = { now_ms, now_ms };
    /* NULL reads as 0 (a column added by a later schema): such an instance is due now; a
     * negative value is a backup running since, due again at its absolute value */
    return store__select_rows(s, a, &t,
                              "WHERE status = 'available' AND ifnull(backup_retention_days, 0) > 0 "
                              "AND ((ifnull(autobackup_next_ms, 0) >= 0 AND ifnull(autobackup_next_ms, 0) <= ?) "
                              "OR (autobackup_next_ms < 0 AND -autobackup_next_ms <= ?)) ORDER BY region, id",
                              NULL, 0, tail, 2, (void ***)out, n_out, err);
}

int store_autobackup_running_due(store *s, int64_t now_ms, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "UPDATE db_instance SET autobackup_next_ms = ? WHERE autobackup_next_ms < 0", err))
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "autobackup running due");
    store__release(s, st);
    return rc;
}

int store_autobackup_snapshots(store *s, arena *a, const char *region, const char *resource_id, bool with_deleted,
                               db_snapshot ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SNAPSHOT);
    const char *args[] = { region, resource_id };
    return store__select_rows(s, a, &t,
                              with_deleted ? "WHERE region = ? AND resource_id = ? AND snapshot_type = 'automated' "
                                             "ORDER BY created_at_ms, id"
                                           : "WHERE region = ? AND resource_id = ? AND snapshot_type = 'automated' "
                                             "AND status <> 'deleted' ORDER BY created_at_ms, id",
                              args, 2, NULL, 0, (void ***)out, n_out, err);
}

int store_autobackup_deleted_snapshots(store *s, arena *a, db_snapshot ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SNAPSHOT);
    return store__select_rows(s, a, &t, "WHERE snapshot_type = 'automated' AND status = 'deleted' ORDER BY id",
                              NULL, 0, NULL, 0, (void ***)out, n_out, err);
}
