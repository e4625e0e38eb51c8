/* store_instances.c: the db_instance table (see store.h): get, list, put, delete, and the
 * port queries (both index seeks on db_instance_by_port). */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- instances ---- */

int store_instance_get(store *s, arena *a, const char *region, const char *id, db_instance **out,
                       rds_error *err)
{
    const char *args[] = { region, id };
    return store__select_one(s, a, ST_INSTANCE, "WHERE region = ? AND id = ?", args, 2, out, err);
}

int store_instance_by_resource_id(store *s, arena *a, const char *resource_id, db_instance **out,
                                  rds_error *err)
{
    const char *args[] = { resource_id };
    return store__select_one(s, a, ST_INSTANCE, "WHERE resource_id = ?", args, 1, out, err);
}

int store_instance_list(store *s, arena *a, const char *region, const store_filter *filters,
                        size_t n_filters, const char *after, int limit, db_instance ***out,
                        size_t *n_out, rds_error *err)
{
    return store__select_filtered(s, a, ST_INSTANCE, region, filters, n_filters, NULL, after, limit, out, n_out,
                                  err);
}

int store_instance_all(store *s, arena *a, db_instance ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_INSTANCE);
    return store__select_rows(s, a, &t, "ORDER BY region, id", NULL, 0, NULL, 0, (void ***)out, n_out, err);
}

int store_instance_due(store *s, arena *a, db_instance ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_INSTANCE);
    strbuf where;
    strbuf_init(&where);
    strbuf_puts(&where, "WHERE status IN ('deleted', 'stopped', 'inaccessible-encryption-credentials-recoverable')");
    for (size_t i = 0; i < DBI_P__COUNT; i++) {
        const model_pending_field *p = &db_instance_pending[i];
        if (p->type == MF_STR)
            strbuf_printf(&where, " OR %s IS NOT NULL", p->column);
        else
            /* NULL reads as 0 (read_row), as in a column added by a later schema */
            strbuf_printf(&where, " OR ifnull(%s, 0) <> %lld", p->column, (long long)p->none);
    }
    strbuf_puts(&where, " ORDER BY region, id");
    int rc = store__select_rows(s, a, &t, where.data, NULL, 0, NULL, 0, (void ***)out, n_out, err);
    strbuf_free(&where);
    return rc;
}

int store_instance_put(store *s, const db_instance *inst, rds_error *err)
{
    table_def t = store__table(ST_INSTANCE);
    return store__put_row(s, &t, inst, err);
}

int store_instance_delete(store *s, const char *region, const char *id, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM db_instance WHERE region = ? AND id = ?", region, id, err);
}

int store_port_used(store *s, int64_t port, bool *used, rds_error *err)
{
    int64_t n = 0;
    if (store__count_query(s, "SELECT count(*) FROM db_instance WHERE port = ?", NULL, NULL, port, &n, err))
        return -1;
    *used = n > 0;
    return 0;
}

int store_port_next_used(store *s, int64_t from, int64_t hi, int64_t *next, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "SELECT min(port) FROM db_instance WHERE port BETWEEN ? AND ?", err))
        return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, hi);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *next = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    else
        rc = store__sql_fail(s, err, "next used port");
    store__release(s, st);
    return rc;
}
