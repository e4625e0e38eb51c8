/* store_kms.c: the kms_key and kms_alias tables (see store.h). */
#include "store_internal.h"

#include <string.h>

int store_kms_key_get(store *s, arena *a, const char *region, const char *key_id, kms_key **out,
                      rds_error *err)
{
    const char *args[] = { region, key_id };
    return store__select_one(s, a, ST_KMS_KEY, "WHERE region = ? AND key_id = ?", args, 2, out, err);
}

int store_kms_key_by_id(store *s, arena *a, const char *key_id, kms_key **out, rds_error *err)
{
    const char *args[] = { key_id };
    return store__select_one(s, a, ST_KMS_KEY, "WHERE key_id = ? LIMIT 1", args, 1, out, err);
}

int store_kms_key_list(store *s, arena *a, const char *region, const char *after, int limit,
                       kms_key ***out, size_t *n_out, rds_error *err)
{
    return store__select_page(s, a, ST_KMS_KEY, "key_id", region, after, limit, out, n_out, err);
}

int store_kms_key_due(store *s, arena *a, int64_t now_ms, kms_key ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_KMS_KEY);
    return store__select_rows(s, a, &t,
                              "WHERE key_state = 'PendingDeletion' AND deletion_at_ms <= ? ORDER BY region, key_id",
                              NULL, 0, &now_ms, 1, (void ***)out, n_out, err);
}

int store_kms_key_unusable(store *s, arena *a, kms_key ***out, size_t *n_out, rds_error *err)
{
    table_def t = store__table(ST_KMS_KEY);
    return store__select_rows(s, a, &t, "WHERE key_state <> 'Enabled' ORDER BY region, key_id", NULL, 0, NULL, 0,
                              (void ***)out, n_out, err);
}

int store_kms_key_put(store *s, const kms_key *k, rds_error *err)
{
    table_def t = store__table(ST_KMS_KEY);
    return store__put_row(s, &t, k, err);
}

int store_kms_key_delete(store *s, const char *region, const char *key_id, rds_error *err)
{
    if (store__delete_where(s, "DELETE FROM kms_alias WHERE region = ? AND key_id = ?", region, key_id, err))
        return -1;
    return store__delete_where(s, "DELETE FROM kms_key WHERE region = ? AND key_id = ?", region, key_id, err);
}

int store_kms_alias_get(store *s, arena *a, const char *region, const char *name, kms_alias **out,
                        rds_error *err)
{
    const char *args[] = { region, name };
    return store__select_one(s, a, ST_KMS_ALIAS, "WHERE region = ? AND name = ?", args, 2, out, err);
}

int store_kms_alias_list(store *s, arena *a, const char *region, const char *key_id, const char *after,
                         int limit, kms_alias ***out, size_t *n_out, rds_error *err)
{
    if (key_id) {
        table_def t = store__table(ST_KMS_ALIAS);
        int64_t lim = limit;
        const char *args[] = { region, key_id, after ? after : "" };
        return store__select_rows(s, a, &t, "WHERE region = ? AND key_id = ? AND name > ? ORDER BY name LIMIT ?",
                                  args, 3, &lim, 1, (void ***)out, n_out, err);
    }
    return store__select_page(s, a, ST_KMS_ALIAS, "name", region, after, limit, out, n_out, err);
}

int store_kms_alias_put(store *s, const kms_alias *al, rds_error *err)
{
    table_def t = store__table(ST_KMS_ALIAS);
    return store__put_row(s, &t, al, err);
}

int store_kms_alias_delete(store *s, const char *region, const char *name, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM kms_alias WHERE region = ? AND name = ?", region, name, err);
}

int store_instance_by_kms_key(store *s, arena *a, const char *kms_key_arn, db_instance ***out, size_t *n_out,
                              rds_error *err)
{
    table_def t = store__table(ST_INSTANCE);
    const char *args[] = { kms_key_arn };
    return store__select_rows(s, a, &t, "WHERE kms_key_id = ? AND status <> 'deleted' ORDER BY region, id", args,
                              1, NULL, 0, (void ***)out, n_out, err);
}
