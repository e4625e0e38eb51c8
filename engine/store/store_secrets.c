/* store_secrets.c: the secret and secret_version tables (see store.h). */
#include "store_internal.h"

#include <string.h>

int store_secret_find(store *s, arena *a, const char *region, const char *name_or_arn, sm_secret **out, rds_error *err)
{
    const char *args[] = { region, name_or_arn, name_or_arn };
    return store__select_one(s, a, ST_SECRET, "WHERE region = ? AND (name = ? OR arn = ?)", args, 3, out, err);
}

int store_secret_list(store *s, arena *a, const char *region, const char *after, int limit, bool with_deleted,
                      sm_secret ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SECRET);
    const char *args[] = { region, after ? after : "" };
    int64_t lim = limit;
    return store__select_rows(s, a, &t,
                              with_deleted ? "WHERE region = ? AND name > ? ORDER BY name LIMIT ?"
                                           : "WHERE region = ? AND name > ? AND deletion_at_ms = 0 ORDER BY name LIMIT ?",
                              args, 2, &lim, 1, (void ***)out, n_out, err);
}

int store_secret_due(store *s, arena *a, int64_t now_ms, sm_secret ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SECRET);
    return store__select_rows(s, a, &t, "WHERE deletion_at_ms > 0 AND deletion_at_ms <= ? ORDER BY region, name",
                              NULL, 0, &now_ms, 1, (void ***)out, n_out, err);
}

int store_secret_put(store *s, const sm_secret *sec, rds_error *err)
{
    table_def t = store__table(ST_SECRET);
    return store__put_row(s, &t, sec, err);
}

int store_secret_delete(store *s, const sm_secret *sec, rds_error *err)
{
    if (store__delete_where(s, "DELETE FROM secret_version WHERE secret_arn = ?", sec->arn, NULL, err))
        return -1;
    return store__delete_where(s, "DELETE FROM secret WHERE region = ? AND name = ?", sec->region, sec->name, err);
}

int store_secret_versions(store *s, arena *a, const char *secret_arn, sm_secret_version ***out, size_t *n_out,
                          rds_error *err)
{
    table_def t = store__table(ST_SECRET_VERSION);
    const char *args[] = { secret_arn };
    return store__select_rows(s, a, &t, "WHERE secret_arn = ? ORDER BY created_at_ms, rowid", args, 1, NULL, 0,
                              (void ***)out, n_out, err);
}

int store_secret_version_put(store *s, const sm_secret_version *v, rds_error *err)
{
    table_def t = store__table(ST_SECRET_VERSION);
    return store__put_row(s, &t, v, err);
}

int store_secret_version_delete(store *s, const char *secret_arn, const char *version_id, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM secret_version WHERE secret_arn = ? AND version_id = ?", secret_arn,
                               version_id, err);
}

int store_secret_touch(store *s, const char *arn, int64_t day_ms, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "UPDATE secret SET accessed_at_ms = ? WHERE arn = ?", err))
        return -1;
    sqlite3_bind_int64(st, 1, day_ms);
    sqlite3_bind_text(st, 2, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "touch secret");
    store__release(s, st);
    return rc;
}

int store_secret_rotation_due(store *s, arena *a, int64_t now_ms, sm_secret ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SECRET);
    return store__select_rows(s, a, &t,
                              "WHERE rotation_enabled = 1 AND owning_service = 'rds' AND deletion_at_ms = 0"
                              " AND rotation_days > 0 AND (CASE WHEN rotated_at_ms > 0 THEN rotated_at_ms"
                              " ELSE created_at_ms END) + rotation_days * 86400000 <= ? ORDER BY region, name",
                              NULL, 0, &now_ms, 1, (void ***)out, n_out, err);
}

int store_instance_by_master_secret(store *s, arena *a, const char *secret_arn, db_instance **out, rds_error *err)
{
    const char *args[] = { secret_arn };
    return store__select_one(s, a, ST_INSTANCE, "WHERE master_secret_arn = ? AND status <> 'deleted' LIMIT 1", args,
                             1, out, err);
}

int store_secret_rds_pending(store *s, arena *a, sm_secret ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SECRET);
    return store__select_rows(s, a, &t,
                              "WHERE owning_service = 'rds' AND arn IN (SELECT secret_arn FROM secret_version"
                              " WHERE stages LIKE '%,AWSPENDING,%') ORDER BY region, name",
                              NULL, 0, NULL, 0, (void ***)out, n_out, err);
}
