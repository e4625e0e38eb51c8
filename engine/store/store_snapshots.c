/* store_snapshots.c: the db_snapshot table (see store.h): get, list with filters, all,
 * put, delete and the count of manual snapshots (the quota). */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

int store_snapshot_get(store *s, arena *a, const char *region, const char *id, db_snapshot **out,
                       rds_error *err)
{
    table_def t = store__table(ST_SNAPSHOT);
    const char *args[] = { region, id };
    void **rows;
    size_t n;
    if (store__select_rows(s, a, &t, "WHERE region = ? AND id = ?", args, 2, NULL, 0, &rows, &n, err))
        return -1;
    *out = n ? rows[0] : NULL;
    return 0;
}

int store_snapshot_list(store *s, arena *a, const char *region, const store_filter *filters,
                        size_t n_filters, bool only_public, const char *after, int limit,
                        db_snapshot ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_SNAPSHOT);
    strbuf where;
    strbuf_init(&where);
    strbuf_puts(&where, "WHERE region = ?");
    size_t n_args = 2;
    for (size_t i = 0; i < n_filters; i++)
        n_args += filters[i].n_values;
    const char **args = arena_alloc(a, (n_args + 1) * sizeof *args);
    size_t k = 0;
    args[k++] = region;
    for (size_t i = 0; i < n_filters; i++) {
        strbuf_printf(&where, " AND %s IN (", filters[i].column);
        for (size_t j = 0; j < filters[i].n_values; j++) {
            strbuf_puts(&where, j ? ", ?" : "?");
            args[k++] = filters[i].values[j];
        }
        strbuf_puts(&where, ")");
    }
    /* restore_accounts is a comma-separated list; "all" in it makes the snapshot public */
    if (only_public)
        strbuf_puts(&where, " AND (',' || ifnull(restore_accounts, '') || ',') LIKE '%,all,%'");
    if (after) {
        strbuf_puts(&where, " AND id > ?");
        args[k++] = after;
    }
    strbuf_puts(&where, " ORDER BY id LIMIT ?");
    int64_t lim = limit;
    int rc = store__select_rows(s, a, &t, where.data, args, k, &lim, 1, (void ***)out, n_out, err);
    strbuf_free(&where);
    return rc;
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
