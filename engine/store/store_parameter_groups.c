/* store_parameter_groups.c: the db_parameter_group, db_parameter and option_group tables (see store.h):
 * a group row, and one row per parameter a user set in it. */
#include "store_internal.h"

#include <string.h>

int store_param_group_get(store *s, arena *a, const char *region, const char *name, db_parameter_group **out,
                          rds_error *err)
{
    const char *args[] = { region, name };
    return store__select_one(s, a, ST_PARAM_GROUP, "WHERE region = ? AND name = ?", args, 2, out, err);
}

int store_param_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                           db_parameter_group ***out, size_t *n_out, rds_error *err)
{
    return store__select_page(s, a, ST_PARAM_GROUP, "name", region, after, limit, out, n_out, err);
}

int store_param_group_count(store *s, const char *region, int64_t *n, rds_error *err)
{
    return store__count_query(s, "SELECT count(*) FROM db_parameter_group WHERE region = ?", region, NULL, 0, n,
                              err);
}

int store_param_group_put(store *s, const db_parameter_group *g, rds_error *err)
{
    table_def t = store__table(ST_PARAM_GROUP);
    return store__put_row(s, &t, g, err);
}

int store_param_group_delete(store *s, const char *region, const char *name, rds_error *err)
{
    if (store__delete_where(s, "DELETE FROM db_parameter WHERE region = ? AND group_name = ?", region, name, err))
        return -1;
    return store__delete_where(s, "DELETE FROM db_parameter_group WHERE region = ? AND name = ?", region, name,
                               err);
}

int store_param_list(store *s, arena *a, const char *region, const char *group, db_parameter ***out,
                     size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_PARAM);
    const char *args[] = { region, group };
    return store__select_rows(s, a, &t, "WHERE region = ? AND group_name = ? ORDER BY name", args, 2, NULL, 0,
                              (void ***)out, n_out, err);
}

int store_param_put(store *s, const db_parameter *p, rds_error *err)
{
    table_def t = store__table(ST_PARAM);
    return store__put_row(s, &t, p, err);
}

int store_param_delete(store *s, const char *region, const char *group, const char *name, rds_error *err)
{
    if (!name)
        return store__delete_where(s, "DELETE FROM db_parameter WHERE region = ? AND group_name = ?", region,
                                   group, err);
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "DELETE FROM db_parameter WHERE region = ? AND group_name = ? AND name = ?", err))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "delete parameter");
    store__release(s, st);
    return rc;
}

/* ---- option groups ---- */

int store_option_group_get(store *s, arena *a, const char *region, const char *name, option_group **out,
                           rds_error *err)
{
    const char *args[] = { region, name };
    return store__select_one(s, a, ST_OPTION_GROUP, "WHERE region = ? AND name = ?", args, 2, out, err);
}

int store_option_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                            option_group ***out, size_t *n_out, rds_error *err)
{
    return store__select_page(s, a, ST_OPTION_GROUP, "name", region, after, limit, out, n_out, err);
}

int store_option_group_put(store *s, const option_group *g, rds_error *err)
{
    table_def t = store__table(ST_OPTION_GROUP);
    return store__put_row(s, &t, g, err);
}

int store_option_group_delete(store *s, const char *region, const char *name, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM option_group WHERE region = ? AND name = ?", region, name, err);
}
