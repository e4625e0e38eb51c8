/* store_rows.c: the reads the per-table files (store_<family>.c) share: one row by its
 * key, a page of a region's rows after a marker, and a page with column filters. */
#include "store_internal.h"

#include <stdio.h>

int store__select_one(store *s, arena *a, store_table_id tid, const char *where, const char *const *args,
                      size_t n_args, void *out, rds_error *err)
{
    table_def t = store__table(tid);
    void **rows;
    size_t n;
    if (store__select_rows(s, a, &t, where, args, n_args, NULL, 0, &rows, &n, err))
        return -1;
    *(void **)out = n ? rows[0] : NULL;
    return 0;
}

int store__select_page(store *s, arena *a, store_table_id tid, const char *key, const char *region,
                       const char *after, int limit, void *out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(tid);
    char where[128];
    snprintf(where, sizeof where, "WHERE region = ? AND %s > ? ORDER BY %s LIMIT ?", key, key);
    const char *args[] = { region, after ? after : "" };
    int64_t lim = limit;
    return store__select_rows(s, a, &t, where, args, 2, &lim, 1, (void ***)out, n_out, err);
}

int store__select_filtered(store *s, arena *a, store_table_id tid, const char *region,
                           const store_filter *filters, size_t n_filters, const char *extra, const char *after,
                           int limit, void *out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(tid);
    strbuf where;
    strbuf_init(&where);
    strbuf_puts(&where, "WHERE region = ?");
    size_t n_args = 2; /* region and after */
    for (size_t i = 0; i < n_filters; i++)
        n_args += filters[i].n_values;
    const char **args = arena_alloc(a, n_args * sizeof *args);
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
    if (extra)
        strbuf_printf(&where, " AND %s", extra);
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
