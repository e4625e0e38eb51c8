/* store.c: SQLite persistence of the model (see store.h): the connection, statement cache,
 * generic struct <-> row mapping, schema and migrations, transactions, meta and reset.
 * Each family's queries are in store_<family>.c.
 * Tables mirror the model structs: one column per model_field, created from the field
 * descriptors. Migration is two-fold: numbered steps in `migrations` for changes that
 * are not additive, and, for additive ones, any descriptor column missing from a table
 * is added with ALTER TABLE at open. Connections use WAL and a busy timeout so the
 * HTTP threads (readers) never block on the one writer. */
#include "store_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store__sql_fail(store *s, rds_error *err, const char *what)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
    return rds_detail(err, "%s: %s", what, sqlite3_errmsg(s->db));
}

int store__exec(store *s, const char *sql, rds_error *err)
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

/* Each store__prepare() is paired with one store__release() of the statement (reset, bindings cleared,
 * slot free again). A statement whose slot is busy (re-entrant use) or that does not fit
 * the cache is prepared fresh and finalized on release. */
int store__prepare(store *s, sqlite3_stmt **st, const char *sql, rds_error *err)
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
        return store__sql_fail(s, err, "prepare");
    if (s->n_cache < STMT_CACHE_SIZE) {
        stmt_slot *c = &s->cache[s->n_cache++];
        c->sql = strdup(sql);
        c->st = *st;
        c->busy = true;
    }
    return 0;
}

void store__release(store *s, sqlite3_stmt *st)
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

/* The tables mapped from model structs, one row per family: columns from the struct's
 * .def file (via its model_field array), the key, and DDL run after the table exists
 * (indexes). A new family adds its row here and its store_<family>.c. */
static const struct {
    const char *name;
    const model_field *fields;
    const size_t *n_fields;
    size_t struct_size;
    const char *key;
    const char *after_ddl;
} tables[ST__COUNT] = {
    [ST_INSTANCE] = { "db_instance", db_instance_fields, &db_instance_field_count, sizeof(db_instance),
                      "PRIMARY KEY (region, id)",
                      "CREATE INDEX IF NOT EXISTS db_instance_by_port ON db_instance (port);"
                      /* the worker finds the instance of a supervisor report by its resource id */
                      "CREATE INDEX IF NOT EXISTS db_instance_by_resource_id ON db_instance (resource_id);"
                      /* read replicas: every instance view lists its replicas */
                      "CREATE INDEX IF NOT EXISTS db_instance_by_replica_source ON db_instance "
                      "(replica_source_resource_id);" },
    [ST_SUBNET_GROUP] = { "db_subnet_group", db_subnet_group_fields, &db_subnet_group_field_count,
                          sizeof(db_subnet_group), "PRIMARY KEY (region, name)", NULL },
    [ST_SNAPSHOT] = { "db_snapshot", db_snapshot_fields, &db_snapshot_field_count, sizeof(db_snapshot),
                      "PRIMARY KEY (region, id)",
                      "CREATE UNIQUE INDEX IF NOT EXISTS db_snapshot_by_key ON db_snapshot (snap_key);" },
    [ST_KMS_KEY] = { "kms_key", kms_key_fields, &kms_key_field_count, sizeof(kms_key),
                     "PRIMARY KEY (region, key_id)", NULL },
    [ST_KMS_ALIAS] = { "kms_alias", kms_alias_fields, &kms_alias_field_count, sizeof(kms_alias),
                       "PRIMARY KEY (region, name)",
                       "CREATE INDEX IF NOT EXISTS kms_alias_by_key ON kms_alias (region, key_id);" },
    /* params: parameter groups and their user-set parameters */
    [ST_PARAM_GROUP] = { "db_parameter_group", db_parameter_group_fields, &db_parameter_group_field_count,
                         sizeof(db_parameter_group), "PRIMARY KEY (region, name)", NULL },
    [ST_PARAM] = { "db_parameter", db_parameter_fields, &db_parameter_field_count, sizeof(db_parameter),
                   "PRIMARY KEY (region, group_name, name)", NULL },
    [ST_OPTION_GROUP] = { "option_group", option_group_fields, &option_group_field_count, sizeof(option_group),
                          "PRIMARY KEY (region, name)", NULL },
    /* secrets: Secrets Manager */
    [ST_SECRET] = { "secret", secret_fields, &secret_field_count, sizeof(sm_secret), "PRIMARY KEY (region, name)",
                    "CREATE UNIQUE INDEX IF NOT EXISTS secret_by_arn ON secret (arn);" },
    [ST_SECRET_VERSION] = { "secret_version", secret_version_fields, &secret_version_field_count,
                            sizeof(sm_secret_version), "PRIMARY KEY (secret_arn, version_id)", NULL },
    /* automated backups: one row per instance (resource id) with automated backups */
    [ST_AUTOMATED_BACKUP] = { "db_automated_backup", db_automated_backup_fields, &db_automated_backup_field_count,
                              sizeof(db_automated_backup), "PRIMARY KEY (region, id)", NULL },
};

table_def store__table(store_table_id id)
{
    assert(id < ST__COUNT);
    return (table_def){ tables[id].name, tables[id].fields, *tables[id].n_fields, tables[id].struct_size,
                        tables[id].key };
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
    int rc = store__exec(s, b.data, err);
    strbuf_free(&b);
    if (rc)
        return rc;
    /* Additive migration: add descriptor columns the table does not have yet. */
    for (size_t i = 0; i < t->n_fields; i++) {
        char sql[256];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?", t->name);
        if (store__prepare(s, &st, sql, err))
            return -1;
        sqlite3_bind_text(st, 1, t->fields[i].column, -1, SQLITE_STATIC);
        bool have = sqlite3_step(st) == SQLITE_ROW;
        store__release(s, st);
        if (!have) {
            snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", t->name,
                     t->fields[i].column, sql_type(t->fields[i].type));
            if (store__exec(s, sql, err))
                return -1;
        }
    }
    return 0;
}

int store__put_row(store *s, const table_def *t, const void *obj, rds_error *err)
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
    int rc = store__prepare(s, &st, b.data, err);
    strbuf_free(&b);
    if (rc)
        return -1;
    bind_fields(st, t, obj);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "insert");
    store__release(s, st);
    return rc;
}

/* SELECT <all columns> FROM t WHERE <where>; binds text args in order. */
int store__select_rows(store *s, arena *a, const table_def *t, const char *where,
                       const char *const *args, size_t n_args, const int64_t *int_tail,
                       size_t n_int_tail, void ***out, size_t *n_out, rds_error *err)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "SELECT ");
    column_list(&b, t);
    strbuf_printf(&b, " FROM %s %s", t->name, where);
    sqlite3_stmt *st;
    int rc = store__prepare(s, &st, b.data, err);
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
            rc = store__sql_fail(s, err, "select");
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
    store__release(s, st);
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

/* ---- inspection before use ---- */

/* What every rdslocal database has had since the schema version in `since`: the tables
 * of migration steps and the key (and reconcile) columns of the model tables. Other
 * descriptor columns are additive: store_open adds them to an older file. */
static const struct {
    int since;
    const char *table;
    const char *const columns[8];
} required[] = {
    { 1, "meta", { "key", "value" } },
    { 1, "tag", { "arn", "key", "value", "seq" } },
    { 1, "event", { "seq", "region", "source_id", "source_type", "source_arn", "category", "message", "at_ms" } },
    { 1, "db_instance", { "region", "id", "resource_id", "status", "port" } },
    { 1, "db_subnet_group", { "region", "name" } },
};

static int schema_version(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]);
}

/* One integer from a single-row query; -1 if the query fails. */
static int64_t query_int(sqlite3 *db, const char *sql, int *rc_out)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    *rc_out = rc;
    return v;
}

static int inspect_fail(store_file_state *out, store_file_state st, rds_error *err, const char *path,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int inspect_fail(store_file_state *out, store_file_state st, rds_error *err, const char *path,
                        const char *fmt, ...)
{
    *out = st;
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "state database \"%s\" %s", path, why);
    return -1;
}

int store_inspect(store_file_state *out, const char *path, rds_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT) {
            *out = STORE_FILE_ABSENT;
            return 0;
        }
        *out = STORE_FILE_DAMAGED;
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read state database \"%s\": %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode))
        return inspect_fail(out, STORE_FILE_DAMAGED, err, path, "is not a regular file");
    if (sb.st_size == 0) {
        *out = STORE_FILE_ABSENT;
        return 0;
    }
    /* Read-only, and no checkpoint when this connection closes: a refused file stays
     * byte-identical, whatever its WAL holds. The empty -wal and -shm files SQLite may
     * create for this connection are removed after it. */
    char side[2][4096];
    bool had_side[2];
    for (int i = 0; i < 2; i++) {
        snprintf(side[i], sizeof side[i], "%s%s", path, i ? "-shm" : "-wal");
        had_side[i] = lstat(side[i], &sb) == 0;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = inspect_fail(out, STORE_FILE_DAMAGED, err, path, "cannot be opened");
        rds_detail(err, "%s", sqlite3_errmsg(db));
        sqlite3_close_v2(db);
        return rc;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_busy_timeout(db, 10000);
    int rc = -1, qrc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        inspect_fail(out, STORE_FILE_DAMAGED, err, path, "is not a readable SQLite database");
        rds_detail(err, "%s", sqlite3_errmsg(db));
        goto done;
    }
    const char *verdict = (const char *)sqlite3_column_text(st, 0);
    if (!verdict || strcmp(verdict, "ok") != 0) {
        inspect_fail(out, STORE_FILE_DAMAGED, err, path, "fails SQLite's integrity check");
        rds_detail(err, "quick_check: %s", verdict ? verdict : "no answer");
        for (char *p = err->detail; *p; p++)
            if (*p == '\n')
                *p = ' ';
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    int64_t version = query_int(db, "PRAGMA user_version", &qrc);
    int64_t n_tables = query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", &qrc);
    if (qrc != SQLITE_OK || version < 0 || n_tables < 0) {
        inspect_fail(out, STORE_FILE_DAMAGED, err, path, "cannot be read");
        rds_detail(err, "%s", sqlite3_errmsg(db));
        goto done;
    }
    if (version > schema_version()) {
        inspect_fail(out, STORE_FILE_TOO_NEW, err, path,
                     "has schema version %lld; this rdslocal knows versions up to %d", (long long)version,
                     schema_version());
        goto done;
    }
    if (version == 0) {
        /* Never written by rdslocal (every version sets user_version): empty is a new
         * file, anything else is someone else's database. */
        if (n_tables == 0) {
            *out = STORE_FILE_ABSENT;
            rc = 0;
        } else {
            inspect_fail(out, STORE_FILE_DAMAGED, err, path, "is not an rdslocal state database (schema version 0)");
        }
        goto done;
    }
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (required[i].since > version)
            continue;
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
                 required[i].table);
        if (query_int(db, sql, &qrc) != 1) {
            inspect_fail(out, STORE_FILE_DAMAGED, err, path, "lacks table \"%s\"", required[i].table);
            goto done;
        }
        for (size_t c = 0; c < 8 && required[i].columns[c]; c++) {
            snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
                     required[i].table, required[i].columns[c]);
            if (query_int(db, sql, &qrc) != 1) {
                inspect_fail(out, STORE_FILE_DAMAGED, err, path, "lacks column \"%s\" of table \"%s\"",
                             required[i].columns[c], required[i].table);
                goto done;
            }
        }
    }
    *out = STORE_FILE_OK;
    rc = 0;
done:
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    for (int i = 0; i < 2; i++)
        if (!had_side[i] && lstat(side[i], &sb) == 0 && (i == 1 || sb.st_size == 0))
            unlink(side[i]);
    return rc;
}

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
    if (store__exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err))
        goto fail;
    if (store__exec(s, "BEGIN IMMEDIATE", err))
        goto fail;
    sqlite3_stmt *st;
    int version = 0;
    if (store__prepare(s, &st, "PRAGMA user_version", err))
        goto fail_tx;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    store__release(s, st);
    int target = schema_version();
    if (version > target) {
        /* Written by a newer rdslocal: never rewrite its version (store_inspect refuses
         * such a file at start; this guards every other connection). */
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "state database has a newer schema version");
        rds_detail(err, "%s: user_version %d > %d", path, version, target);
        goto fail_tx;
    }
    for (int v = version; v < target; v++)
        if (store__exec(s, migrations[v], err))
            goto fail_tx;
    for (int t = 0; t < ST__COUNT; t++) {
        table_def td = store__table((store_table_id)t);
        if (create_table(s, &td, err) || (tables[t].after_ddl && store__exec(s, tables[t].after_ddl, err)))
            goto fail_tx;
    }
    if (version != target) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", target);
        if (store__exec(s, sql, err))
            goto fail_tx;
    }
    if (store__exec(s, "COMMIT", err))
        goto fail_tx;
    *out = s;
    return 0;
fail_tx:
    store__exec(s, "ROLLBACK", NULL);
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
    assert(s && !s->in_tx);   /* transactions don't nest: one request, one transaction */
    if (store__exec(s, "BEGIN IMMEDIATE", err))
        return -1;
    s->in_tx = true;
    return 0;
}

static _Atomic uint64_t generation = 1;

uint64_t store_generation(void)
{
    return atomic_load(&generation);
}

bool store_in_tx(const store *s)
{
    return s->in_tx;
}

int store_commit(store *s, rds_error *err)
{
    assert(s && s->in_tx);
    if (store__exec(s, "COMMIT", err)) {
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
        store__exec(s, "ROLLBACK", NULL);
        s->in_tx = false;
    }
}

/* ---- small shared queries ---- */

int store__delete_where(store *s, const char *sql, const char *a1, const char *a2, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, sql, err))
        return -1;
    sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
    if (a2)
        sqlite3_bind_text(st, 2, a2, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "delete");
    store__release(s, st);
    return rc;
}

int store__count_query(store *s, const char *sql, const char *a1, const char *a2, int64_t i1,
                       int64_t *n, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, sql, err))
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
        rc = store__sql_fail(s, err, "count");
    store__release(s, st);
    return rc;
}

/* ---- meta ---- */

int store_meta_get(store *s, arena *a, const char *key, char **out, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "SELECT value FROM meta WHERE key = ?", err))
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    *out = sqlite3_step(st) == SQLITE_ROW
               ? arena_strdup(a, (const char *)sqlite3_column_text(st, 0))
               : NULL;
    store__release(s, st);
    return 0;
}

int store_meta_set(store *s, const char *key, const char *value, rds_error *err)
{
    sqlite3_stmt *st;
    if (store__prepare(s, &st, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", err))
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sql_fail(s, err, "set meta");
    store__release(s, st);
    return rc;
}

int store_reset(store *s, rds_error *err)
{
    return store__exec(s, "DELETE FROM db_instance; DELETE FROM db_subnet_group; DELETE FROM db_snapshot;"
                   " DELETE FROM tag; DELETE FROM event; DELETE FROM kms_key; DELETE FROM kms_alias;"
                   " DELETE FROM db_parameter_group; DELETE FROM db_parameter; DELETE FROM option_group;" /* params */
                   " DELETE FROM secret; DELETE FROM secret_version;" /* secrets */
                   " DELETE FROM db_automated_backup;" /* automated backups */
                   "", err);
}
