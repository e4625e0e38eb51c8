/* store_subnet_groups.c: the db_subnet_group table (see store.h). */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- subnet groups ---- */

int store_subnet_group_get(store *s, arena *a, const char *region, const char *name,
                           db_subnet_group **out, rds_error *err)
{
    const char *args[] = { region, name };
    return store__select_one(s, a, ST_SUBNET_GROUP, "WHERE region = ? AND name = ?", args, 2, out, err);
}

int store_subnet_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                            db_subnet_group ***out, size_t *n_out, rds_error *err)
{
    return store__select_page(s, a, ST_SUBNET_GROUP, "name", region, after, limit, out, n_out, err);
}

int store_subnet_group_put(store *s, const db_subnet_group *g, rds_error *err)
{
    table_def t = store__table(ST_SUBNET_GROUP);
    return store__put_row(s, &t, g, err);
}

int store_subnet_group_delete(store *s, const char *region, const char *name, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM db_subnet_group WHERE region = ? AND name = ?", region, name,
                        err);
}
