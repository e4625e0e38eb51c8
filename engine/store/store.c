/* store.c: SQLite persistence of the model (see store.h).
 * Tables mirror the model structs: one column per model_field, created from the field
 * descriptors. Migration is two-fold: numbered steps in `migrations` for changes that
 * are not additive, and, for additive ones, any descriptor column missing from a table
 * is added with ALTER TABLE at open. Connections use WAL and a busy timeout so the
 * HTTP threads (readers) never block on the one writer. */
#include "rdslocal/store.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prepared statements are kept per connection, keyed by their SQL text, and reset after
 * use instead of finalized: preparing costs more than running most of these queries. */
enum { STMT_CACHE_SIZE = 48 };

typedef struct stmt_slot {
    char *sql;
    sqlite3_stmt *st;
    bool busy;
} stmt_slot;

struct store {
    sqlite3 *db;
    bool in_tx;
    stmt_slot cache[STMT_CACHE_SIZE];
    size_t n_cache;
};

static int sql_fail(store *s, rds_error *err, const char *what)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
    return rds_detail(err, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(store *s, const char *sql, rds_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
        rds_detail(err, "%s", msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Each prepare() is paired with one release() of the statement (reset, bindings cleared,
 * slot free again). A statement whose slot is busy (re-entrant use) or that does not fit
 * the cache is prepared fresh and finalized on release. */
static int prepare(store *s, sqlite3_stmt **st, const char *sql, rds_error *err)
{
    for (size_t i = 0; i < s->n_cache; i++) {
        stmt_slot *c = &s->cache[i];
        if (!c->busy && strcmp(c->sql, sql) == 0) {
            c->busy = true;
            *st = c->st;
            return 0;
        }
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sql_fail(s, err, "prepare");
    if (s->n_cache < STMT_CACHE_SIZE) {
        stmt_slot *c = &s->cache[s->n_cache++];
        c->sql = strdup(sql);
        c->st = *st;
        c->busy = true;
    }
    return 0;
}

static void release(store *s, sqlite3_stmt *st)
{
    for (size_t i = 0; i < s->n_cache; i++) {
        if (s->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            s->cache[i].busy = false;
            return;
        }
    }
    sqlite3_finalize(st);
}

/* ---- generic struct <-> row mapping ---- */

typedef struct table_def {
    const char *name;
    const model_field *fields;
    size_t n_fields;
    size_t struct_size;
    const char *key;      /* extra DDL after the columns (primary key) */
} table_def;

static const table_def T_INSTANCE = { "db_instance", db_instance_fields, 0, sizeof(db_instance),
                                      "PRIMARY KEY (region, id)" };
static const table_def T_SUBNET = { "db_subnet_group", db_subnet_group_fields, 0,
                                    sizeof(db_subnet_group), "PRIMARY KEY (region, name)" };

static table_def table(const table_def *t)
{
    table_def d = *t;
    if (t == &T_INSTANCE)
        d.n_fields = db_instance_field_count;
    else if (t == &T_SUBNET)
        d.n_fields = db_subnet_group_field_count;
    return d;
}

static const char *sql_type(model_field_type t)
{
    return t == MF_STR ? "TEXT" : "INTEGER";
}

static void bind_fields(sqlite3_stmt *st, const table_def *t, const void *obj)
{
    const char *base = obj;
    for (size_t i = 0; i < t->n_fields; i++) {
        const model_field *f = &t->fields[i];
        int idx = (int)i + 1;
        switch (f->type) {
        case MF_STR: {
            const char *v = *(const char *const *)(base + f->offset);
            if (v)
                sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, idx);
            break;
        }
        case MF_INT:
            sqlite3_bind_int64(st, idx, *(const int64_t *)(base + f->offset));
            break;
        case MF_BOOL:
            sqlite3_bind_int(st, idx, *(const bool *)(base + f->offset) ? 1 : 0);
            break;
        }
    }
}

static void *read_row(sqlite3_stmt *st, const table_def *t, arena *a)
{
    char *obj = arena_alloc(a, t->struct_size);
    for (size_t i = 0; i < t->n_fields; i++) {
        const model_field *f = &t->fields[i];
        int col = (int)i;
        switch (f->type) {
        case MF_STR:
            *(const char **)(obj + f->offset) =
                sqlite3_column_type(st, col) == SQLITE_NULL
                    ? NULL
                    : arena_strdup(a, (const char *)sqlite3_column_text(st, col));
            break;
        case MF_INT:
            *(int64_t *)(obj + f->offset) = sqlite3_column_int64(st, col);
            break;
        case MF_BOOL:
            *(bool *)(obj + f->offset) = sqlite3_column_int(st, col) != 0;
            break;
        }
    }
    return obj;
}

static void column_list(strbuf *b, const table_def *t)
{
    for (size_t i = 0; i < t->n_fields; i++) {
        if (i)
            strbuf_puts(b, ", ");
        strbuf_puts(b, t->fields[i].column);
    }
}

static int create_table(store *s, const table_def *t, rds_error *err)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "CREATE TABLE IF NOT EXISTS %s (", t->name);
    for (size_t i = 0; i < t->n_fields; i++)
        strbuf_printf(&b, "%s %s, ", t->fields[i].column, sql_type(t->fields[i].type));
    strbuf_printf(&b, "%s)", t->key);
    int rc = exec(s, b.data, err);
    strbuf_free(&b);
    if (rc)
        return rc;
    /* Additive migration: add descriptor columns the table does not have yet. */
    for (size_t i = 0; i < t->n_fields; i++) {
        char sql[256];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?", t->name);
        if (prepare(s, &st, sql, err))
            return -1;
        sqlite3_bind_text(st, 1, t->fields[i].column, -1, SQLITE_STATIC);
        bool have = sqlite3_step(st) == SQLITE_ROW;
        release(s, st);
        if (!have) {
            snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", t->name,
                     t->fields[i].column, sql_type(t->fields[i].type));
            if (exec(s, sql, err))
                return -1;
        }
    }
    return 0;
}

static int put_row(store *s, const table_def *t, const void *obj, rds_error *err)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "INSERT OR REPLACE INTO %s (", t->name);
    column_list(&b, t);
    strbuf_puts(&b, ") VALUES (");
    for (size_t i = 0; i < t->n_fields; i++)
        strbuf_puts(&b, i ? ", ?" : "?");
    strbuf_puts(&b, ")");
    sqlite3_stmt *st;
    int rc = prepare(s, &st, b.data, err);
    strbuf_free(&b);
    if (rc)
        return -1;
    bind_fields(st, t, obj);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(s, err, "insert");
    release(s, st);
    return rc;
}

/* SELECT <all columns> FROM t WHERE <where>; binds text args in order. */
static int select_rows(store *s, arena *a, const table_def *t, const char *where,
                       const char *const *args, size_t n_args, const int64_t *int_tail,
                       size_t n_int_tail, void ***out, size_t *n_out, rds_error *err)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "SELECT ");
    column_list(&b, t);
    strbuf_printf(&b, " FROM %s %s", t->name, where);
    sqlite3_stmt *st;
    int rc = prepare(s, &st, b.data, err);
    strbuf_free(&b);
    if (rc)
        return -1;
    int idx = 1;
    for (size_t i = 0; i < n_args; i++)
        sqlite3_bind_text(st, idx++, args[i], -1, SQLITE_STATIC);
    for (size_t i = 0; i < n_int_tail; i++)
        sqlite3_bind_int64(st, idx++, int_tail[i]);
    size_t cap = 8, n = 0;
    void **rows = arena_alloc(a, cap * sizeof *rows);
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sql_fail(s, err, "select");
            break;
        }
        if (n == cap) {
            void **bigger = arena_alloc(a, cap * 2 * sizeof *rows);
            memcpy(bigger, rows, n * sizeof *rows);
            rows = bigger;
            cap *= 2;
        }
        rows[n++] = read_row(st, t, a);
    }
    release(s, st);
    if (rc)
        return -1;
    *out = rows;
    *n_out = n;
    return 0;
}

/* ---- open / migrations ---- */

/* Numbered, non-additive migrations. Version 1 is the initial schema (tables created from
 * descriptors plus the ones below). Append new steps; never edit an applied one. */
static const char *const migrations[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS tag (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
    "  seq INTEGER, PRIMARY KEY (arn, key));"
    "CREATE TABLE IF NOT EXISTS event (seq INTEGER PRIMARY KEY AUTOINCREMENT, region TEXT,"
    "  source_id TEXT, source_type TEXT, source_arn TEXT, category TEXT, message TEXT, at_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS event_by_time ON event (region, at_ms);",
};

int store_open(store **out, const char *path, rds_error *err)
{
    store *s = calloc(1, sizeof *s);
    if (!s)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not open the state database");
        rds_detail(err, "%s: %s", path, sqlite3_errmsg(s->db));
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 10000);
    /* synchronous=NORMAL in WAL mode: a committed transaction survives a crash of rdslocal
     * (kill -9); only an OS crash may lose the last commits. */
    if (exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err))
        goto fail;
    if (exec(s, "BEGIN IMMEDIATE", err))
        goto fail;
    sqlite3_stmt *st;
    int version = 0;
    if (prepare(s, &st, "PRAGMA user_version", err))
        goto fail_tx;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    release(s, st);
    int target = (int)(sizeof migrations / sizeof migrations[0]);
    for (int v = version; v < target; v++)
        if (exec(s, migrations[v], err))
            goto fail_tx;
    table_def ti = table(&T_INSTANCE), ts = table(&T_SUBNET);
    if (create_table(s, &ti, err) || create_table(s, &ts, err) ||
        exec(s, "CREATE INDEX IF NOT EXISTS db_instance_by_port ON db_instance (port)", err))
        goto fail_tx;
    if (version != target) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", target);
        if (exec(s, sql, err))
            goto fail_tx;
    }
    if (exec(s, "COMMIT", err))
        goto fail_tx;
    *out = s;
    return 0;
fail_tx:
    exec(s, "ROLLBACK", NULL);
fail:
    store_close(s);
    return -1;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_cache; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    sqlite3_close_v2(s->db);
    free(s);
}

int store_begin(store *s, rds_error *err)
{
    if (exec(s, "BEGIN IMMEDIATE", err))
        return -1;
    s->in_tx = true;
    return 0;
}

static _Atomic uint64_t generation = 1;

uint64_t store_generation(void)
{
    return atomic_load(&generation);
}

int store_commit(store *s, rds_error *err)
{
    if (exec(s, "COMMIT", err)) {
        store_rollback(s);
        return -1;
    }
    s->in_tx = false;
    atomic_fetch_add(&generation, 1);
    return 0;
}

void store_rollback(store *s)
{
    if (s->in_tx) {
        exec(s, "ROLLBACK", NULL);
        s->in_tx = false;
    }
}

/* ---- instances ---- */

int store_instance_get(store *s, arena *a, const char *region, const char *id, db_instance **out,
                       rds_error *err)
{
    table_def t = table(&T_INSTANCE);
    const char *args[] = { region, id };
    void **rows;
    size_t n;
    if (select_rows(s, a, &t, "WHERE region = ? AND id = ?", args, 2, NULL, 0, &rows, &n, err))
        return -1;
    *out = n ? rows[0] : NULL;
    return 0;
}

int store_instance_list(store *s, arena *a, const char *region, const store_filter *filters,
                        size_t n_filters, const char *after, int limit, db_instance ***out,
                        size_t *n_out, rds_error *err)
{
    table_def t = table(&T_INSTANCE);
    strbuf where;
    strbuf_init(&where);
    strbuf_puts(&where, "WHERE region = ?");
    size_t n_args = 1;
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
    if (after) {
        strbuf_puts(&where, " AND id > ?");
        args[k++] = after;
    }
    strbuf_puts(&where, " ORDER BY id LIMIT ?");
    int64_t lim = limit;
    int rc = select_rows(s, a, &t, where.data, args, k, &lim, 1, (void ***)out, n_out, err);
    strbuf_free(&where);
    return rc;
}

int store_instance_all(store *s, arena *a, db_instance ***out, size_t *n_out, rds_error *err)
{
    table_def t = table(&T_INSTANCE);
    return select_rows(s, a, &t, "ORDER BY region, id", NULL, 0, NULL, 0, (void ***)out, n_out, err);
}

int store_instance_put(store *s, const db_instance *inst, rds_error *err)
{
    table_def t = table(&T_INSTANCE);
    return put_row(s, &t, inst, err);
}

static int delete_where(store *s, const char *sql, const char *a1, const char *a2, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, sql, err))
        return -1;
    sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
    if (a2)
        sqlite3_bind_text(st, 2, a2, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(s, err, "delete");
    release(s, st);
    return rc;
}

int store_instance_delete(store *s, const char *region, const char *id, rds_error *err)
{
    return delete_where(s, "DELETE FROM db_instance WHERE region = ? AND id = ?", region, id, err);
}

static int count_query(store *s, const char *sql, const char *a1, const char *a2, int64_t i1,
                       int64_t *n, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, sql, err))
        return -1;
    int idx = 1;
    if (a1)
        sqlite3_bind_text(st, idx++, a1, -1, SQLITE_STATIC);
    if (a2)
        sqlite3_bind_text(st, idx++, a2, -1, SQLITE_STATIC);
    if (!a1 && !a2)
        sqlite3_bind_int64(st, idx++, i1);
    int r = sqlite3_step(st);
    int rc = 0;
    if (r == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = sql_fail(s, err, "count");
    release(s, st);
    return rc;
}

int store_port_used(store *s, int64_t port, bool *used, rds_error *err)
{
    int64_t n = 0;
    if (count_query(s, "SELECT count(*) FROM db_instance WHERE port = ?", NULL, NULL, port, &n, err))
        return -1;
    *used = n > 0;
    return 0;
}

int store_ports_in_range(store *s, arena *a, int64_t lo, int64_t hi, int64_t **ports, size_t *n_out,
                         rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, "SELECT DISTINCT port FROM db_instance WHERE port BETWEEN ? AND ? ORDER BY port", err))
        return -1;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    size_t cap = 16, n = 0;
    int64_t *p = arena_alloc(a, cap * sizeof *p);
    int r, rc = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int64_t *bigger = arena_alloc(a, cap * 2 * sizeof *p);
            memcpy(bigger, p, n * sizeof *p);
            p = bigger;
            cap *= 2;
        }
        p[n++] = sqlite3_column_int64(st, 0);
    }
    if (r != SQLITE_DONE)
        rc = sql_fail(s, err, "select ports");
    release(s, st);
    if (rc)
        return -1;
    *ports = p;
    *n_out = n;
    return 0;
}

/* ---- subnet groups ---- */

int store_subnet_group_get(store *s, arena *a, const char *region, const char *name,
                           db_subnet_group **out, rds_error *err)
{
    table_def t = table(&T_SUBNET);
    const char *args[] = { region, name };
    void **rows;
    size_t n;
    if (select_rows(s, a, &t, "WHERE region = ? AND name = ?", args, 2, NULL, 0, &rows, &n, err))
        return -1;
    *out = n ? rows[0] : NULL;
    return 0;
}

int store_subnet_group_list(store *s, arena *a, const char *region, const char *after, int limit,
                            db_subnet_group ***out, size_t *n_out, rds_error *err)
{
    table_def t = table(&T_SUBNET);
    const char *args[] = { region, after ? after : "" };
    int64_t lim = limit;
    return select_rows(s, a, &t, "WHERE region = ? AND name > ? ORDER BY name LIMIT ?", args, 2,
                       &lim, 1, (void ***)out, n_out, err);
}

int store_subnet_group_put(store *s, const db_subnet_group *g, rds_error *err)
{
    table_def t = table(&T_SUBNET);
    return put_row(s, &t, g, err);
}

int store_subnet_group_delete(store *s, const char *region, const char *name, rds_error *err)
{
    return delete_where(s, "DELETE FROM db_subnet_group WHERE region = ? AND name = ?", region, name,
                        err);
}

/* ---- events ---- */

int store_event_add(store *s, const rds_event *ev, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st,
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
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(s, err, "insert event");
    release(s, st);
    return rc;
}

int store_event_list(store *s, arena *a, const char *region, const char *source_type,
                     const char *source_id, int64_t start_ms, int64_t end_ms, int64_t after_seq,
                     int limit, rds_event ***out, int64_t **seqs, size_t *n_out, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st,
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
            rc = r == SQLITE_ROW ? 0 : sql_fail(s, err, "select events");
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
    release(s, st);
    if (rc)
        return -1;
    *out = rows;
    *seqs = sq;
    *n_out = n;
    return 0;
}

int store_event_prune(store *s, int64_t before_ms, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, "DELETE FROM event WHERE at_ms < ?", err))
        return -1;
    sqlite3_bind_int64(st, 1, before_ms);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(s, err, "prune events");
    release(s, st);
    return rc;
}

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
        rc = sql_fail(s, err, "select tags");
    release(s, st);
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
    if (prepare(s, &st, "SELECT arn, key, value FROM tag WHERE arn = ? ORDER BY seq, key", err))
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    return collect_tags(s, st, a, NULL, out, n_out, err);
}

int store_tags_by_prefix(store *s, arena *a, const char *arn_prefix, const char ***arns,
                         rds_tag **tags, size_t *n_out, rds_error *err)
{
    sqlite3_stmt *st;
    /* A range scan on the primary key: arn_prefix <= arn < arn_prefix + U+10FFFF. */
    if (prepare(s, &st, "SELECT arn, key, value FROM tag WHERE arn >= ?1 AND arn < ?1 || char(1114111)"
                        " ORDER BY arn, seq, key", err))
        return -1;
    sqlite3_bind_text(st, 1, arn_prefix, -1, SQLITE_STATIC);
    return collect_tags(s, st, a, arns, tags, n_out, err);
}

int store_tag_set(store *s, const char *arn, const char *key, const char *value, rds_error *err)
{
    sqlite3_stmt *st;
    /* Keep the original position of a tag whose value is overwritten (AWS keeps order). */
    if (prepare(s, &st,
                "INSERT INTO tag (arn, key, value, seq) VALUES (?1, ?2, ?3,"
                " (SELECT coalesce(max(seq), 0) + 1 FROM tag WHERE arn = ?1))"
                " ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value", err))
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value ? value : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(s, err, "set tag");
    release(s, st);
    return rc;
}

int store_tag_remove(store *s, const char *arn, const char *key, rds_error *err)
{
    return delete_where(s, "DELETE FROM tag WHERE arn = ? AND key = ?", arn, key, err);
}

int store_tags_delete_all(store *s, const char *arn, rds_error *err)
{
    return delete_where(s, "DELETE FROM tag WHERE arn = ?", arn, NULL, err);
}

/* ---- meta ---- */

int store_meta_get(store *s, arena *a, const char *key, char **out, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, "SELECT value FROM meta WHERE key = ?", err))
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    *out = sqlite3_step(st) == SQLITE_ROW
               ? arena_strdup(a, (const char *)sqlite3_column_text(st, 0))
               : NULL;
    release(s, st);
    return 0;
}

int store_meta_set(store *s, const char *key, const char *value, rds_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, &st, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", err))
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(s, err, "set meta");
    release(s, st);
    return rc;
}

int store_reset(store *s, rds_error *err)
{
    return exec(s, "DELETE FROM db_instance; DELETE FROM db_subnet_group; DELETE FROM tag;"
                   " DELETE FROM event;", err);
}
