/* store_tags.c: the tag table, tags by resource ARN (see store.h). */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- tags ---- */

/* Runs a prepared tag query whose rows are (arn, key, value) and collects them; arns may be
 * NULL when the caller does not need them. Releases st. */
static int collect_tags(store *s, sqlite3_stmt *st, arena *a, const char ***arns, rds_tag **tags,
                        size_t *n_out, rds_error *err)
{
    size_t cap = 8, n = 0;
    const char **an = arena_alloc(a, cap * sizeof *an);
    rds_tag *tg = arena_alloc(a, cap * sizeof *tg);
    int r, rc = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            const char **an2 = arena_alloc(a, cap * 2 * sizeof *an2);
            rds_tag *tg2 = arena_alloc(a, cap * 2 * sizeof *tg2);
            memcpy(an2, an, n * sizeof *an);
            memcpy(tg2, tg, n * sizeof *tg);
            an = an2;
            tg = tg2;
            cap *= 2;
        }
        an[n] = arena_strdup(a, (const char *)sqlite3_column_text(st, 0));
        tg[n].key = arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
        tg[n].value = arena_strdup(a, sqlite3_column_type(st, 2) == SQLITE_NULL
                                          ? "" : (const char *)sqlite3_column_text(st, 2));
        n++;
    }
    if (r != SQLITE_DONE)
        rc = store__sql_fail(s, err, "select tags");
    store__release(s, st);
    if (rc)
        return -1;
    if (arns)
        *arns = an;
    *tags = tg;
    *n_out = n;
    return 0;
}

int store_tags_get(store *s, arena *a, const char *arn, rds_tag **out, size_t *n_out, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "SELECT arn, key, value FROM tag WHERE arn = ? ORDER BY seq, key", err))
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    return collect_tags(s, st, a, NULL, out, n_out, err);
}

int store_tags_by_prefix(store *s, arena *a, const char *arn_prefix, const char ***arns,
                         rds_tag **tags, size_t *n_out, rds_error *err)
{
    sqlite3_stmt *st;
    /* A range scan on the primary key: arn_prefix <= arn < arn_prefix + U+10FFFF. */
    if (store__prepare(s, &st, "SELECT arn, key, value FROM tag WHERE arn >= ?1 AND arn < ?1 || char(1114111)"
                        " ORDER BY arn, seq, key", err))
        return -1;
    sqlite3_bind_text(st, 1, arn_prefix, -1, SQLITE_STATIC);
    return collect_tags(s, st, a, arns, tags, n_out, err);
}

int store_tag_set(store *s, const char *arn, const char *key, const char *value, rds_error *err)
{
    sqlite3_stmt *st;
    /* Keep the original position of a tag whose value is overwritten (AWS keeps order). */
    if (store__prepare(s, &st,
                "INSERT INTO tag (arn, key, value, seq) VALUES (?1, ?2, ?3,"
                " (SELECT coalesce(max(seq), 0) + 1 FROM tag WHERE arn = ?1))"
                " ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value", err))
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value ? value : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "set tag");
    store__release(s, st);
    return rc;
}

int store_tag_remove(store *s, const char *arn, const char *key, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM tag WHERE arn = ? AND key = ?", arn, key, err);
}

int store_tags_delete_all(store *s, const char *arn, rds_error *err)
{
    return store__delete_where(s, "DELETE FROM tag WHERE arn = ?", arn, NULL, err);
}
