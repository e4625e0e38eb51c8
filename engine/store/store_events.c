/* store_events.c: the event table (see store.h): add, list by window, prune. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- events ---- */

int store_event_add(store *s, const rds_event *ev, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st,
                "INSERT INTO event (region, source_id, source_type, source_arn, category, message, at_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", err))
        return -1;
    sqlite3_bind_text(st, 1, ev->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->source_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ev->source_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->source_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, ev->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, ev->message, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, ev->at_ms);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "insert event");
    store__release(s, st);
    return rc;
}

int store_event_list(store *s, arena *a, const char *region, const char *source_type,
                     const char *source_id, int64_t start_ms, int64_t end_ms, int64_t after_seq,
                     int limit, rds_event ***out, int64_t **seqs, size_t *n_out, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st,
                "SELECT seq, region, source_id, source_type, source_arn, category, message, at_ms"
                " FROM event WHERE region = ?1 AND at_ms >= ?2 AND at_ms <= ?3 AND seq > ?4"
                " AND (?5 IS NULL OR source_type = ?5) AND (?6 IS NULL OR source_id = ?6)"
                " ORDER BY seq LIMIT ?7", err))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, start_ms);
    sqlite3_bind_int64(st, 3, end_ms);
    sqlite3_bind_int64(st, 4, after_seq);
    if (source_type)
        sqlite3_bind_text(st, 5, source_type, -1, SQLITE_STATIC);
    if (source_id)
        sqlite3_bind_text(st, 6, source_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, limit);
    size_t cap = (size_t)(limit > 0 ? limit : 1), n = 0;
    rds_event **rows = arena_alloc(a, cap * sizeof *rows);
    int64_t *sq = arena_alloc(a, cap * sizeof *sq);
    int rc = 0;
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW || n == cap) {
            rc = r == SQLITE_ROW ? 0 : store__sql_fail(s, err, "select events");
            break;
        }
        rds_event *e = arena_alloc(a, sizeof *e);
        sq[n] = sqlite3_column_int64(st, 0);
        e->region = arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
        e->source_id = arena_strdup(a, (const char *)sqlite3_column_text(st, 2));
        e->source_type = arena_strdup(a, (const char *)sqlite3_column_text(st, 3));
        e->source_arn = arena_strdup(a, (const char *)sqlite3_column_text(st, 4));
        e->category = arena_strdup(a, (const char *)sqlite3_column_text(st, 5));
        e->message = arena_strdup(a, (const char *)sqlite3_column_text(st, 6));
        e->at_ms = sqlite3_column_int64(st, 7);
        rows[n++] = e;
    }
    store__release(s, st);
    if (rc)
        return -1;
    *out = rows;
    *seqs = sq;
    *n_out = n;
    return 0;
}

/* Per region, so that both the region walk (min(region) after the last one) and the
 * delete are seeks on event_by_time (region, at_ms): the cost is the regions and the rows
 * removed, not the events kept (issue #7 item 9: the worker prunes every second). */
int store_event_prune(store *s, int64_t before_ms, rds_error *err)
{
    char *region = strdup("");
    int rc = region ? 0 : rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    while (rc == 0) {
        sqlite3_stmt *st;
        if (store__prepare(s, &st, "SELECT min(region) FROM event WHERE region > ?", err)) {
            rc = -1;
            break;
        }
        sqlite3_bind_text(st, 1, region, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        char *next = r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                         ? strdup((const char *)sqlite3_column_text(st, 0))
                         : NULL;
        store__release(s, st);
        if (r != SQLITE_ROW) {
            rc = store__sql_fail(s, err, "prune events");
            break;
        }
        if (!next)
            break;   /* no region after the last one: done */
        free(region);
        region = next;
        if (store__prepare(s, &st, "DELETE FROM event WHERE region = ? AND at_ms < ?", err)) {
            rc = -1;
            break;
        }
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, before_ms);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "prune events");
        store__release(s, st);
    }
    free(region);
    return rc;
}
