/* store_internal.h: what the store's files share: the connection, the statement cache,
 * and the generic struct <-> row mapping driven by the model's field descriptors. Private
 * to engine/store (the only code that includes sqlite3.h). */
#ifndef RDSLOCAL_STORE_INTERNAL_H
#define RDSLOCAL_STORE_INTERNAL_H

#include "rdslocal/store.h"

#include <sqlite3.h>

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

typedef struct table_def {
    const char *name;
    const model_field *fields;
    size_t n_fields;
    size_t struct_size;
    const char *key;      /* extra DDL after the columns (primary key) */
} table_def;

/* The tables mapped from model structs (rows in store.c). */
typedef enum store_table_id { ST_INSTANCE, ST_SUBNET_GROUP, ST_SNAPSHOT, ST_KMS_KEY, ST_KMS_ALIAS,
    ST_PARAM_GROUP, ST_PARAM, ST_OPTION_GROUP, /* params */
    ST_SECRET, ST_SECRET_VERSION, /* secrets */
    ST_AUTOMATED_BACKUP, /* automated backups */
    ST__COUNT } store_table_id;
table_def store__table(store_table_id id);

/* Fills err with INTERNAL_FAILURE, SQLite's text in detail; returns -1. */
int store__sql_fail(store *s, rds_error *err, const char *what);
int store__exec(store *s, const char *sql, rds_error *err);
/* Each prepare is paired with one release (statements are cached per connection). */
int store__prepare(store *s, sqlite3_stmt **st, const char *sql, rds_error *err);
void store__release(store *s, sqlite3_stmt *st);
/* INSERT OR REPLACE of one struct. */
int store__put_row(store *s, const table_def *t, const void *obj, rds_error *err);
/* SELECT <all columns> FROM t <where>; binds text args, then int_tail, in order. */
int store__select_rows(store *s, arena *a, const table_def *t, const char *where,
                       const char *const *args, size_t n_args, const int64_t *int_tail,
                       size_t n_int_tail, void ***out, size_t *n_out, rds_error *err);
/* DELETE with one or two text arguments. */
int store__delete_where(store *s, const char *sql, const char *a1, const char *a2, rds_error *err);
/* A single count(*) with text arguments a1, a2, or (both NULL) the integer i1. */
int store__count_query(store *s, const char *sql, const char *a1, const char *a2, int64_t i1,
                       int64_t *n, rds_error *err);

/* ---- store_rows.c: reads several tables share. out is a T ** (one row) or T *** (rows). ---- */
/* The first row of tid WHERE where (text args), or *out NULL if there is none. */
int store__select_one(store *s, arena *a, store_table_id tid, const char *where, const char *const *args,
                      size_t n_args, void *out, rds_error *err);
/* A page of a region's rows of tid in key order: key > after (NULL: from the start), at
 * most limit. key is a column name (code, never input). */
int store__select_page(store *s, arena *a, store_table_id tid, const char *key, const char *region,
                       const char *after, int limit, void *out, size_t *n_out, rds_error *err);
/* A page of a region's rows of tid in id order, each filter a "column IN (values)", extra
 * an SQL condition of the caller's (or NULL), then id > after (NULL: from the start). */
int store__select_filtered(store *s, arena *a, store_table_id tid, const char *region,
                           const store_filter *filters, size_t n_filters, const char *extra, const char *after,
                           int limit, void *out, size_t *n_out, rds_error *err);

#endif
