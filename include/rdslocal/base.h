/* base.h: the bottom layer every module may use: the error type (rds_error and the
 * codes of errors.def), the level-checked logger, the per-request arena, a growable
 * string buffer, and the clock (real time plus a forward-only offset, see rds_now_ms).
 * Depends on libc, plus OpenSSL's RAND_bytes for random ids (clock.c). Thread-safe unless a function says otherwise. */
#ifndef RDSLOCAL_BASE_H
#define RDSLOCAL_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors ------------------------------------------------------------ */

typedef enum rds_fault { SENDER, RECEIVER } rds_fault;

typedef enum rds_errcode {
    RDS_OK = 0,
#define RDS_ERR(id, code, status, fault) RDS_E_##id,
#include "rdslocal/errors.def"
#undef RDS_ERR
    RDS_E__COUNT
} rds_errcode;

typedef struct rds_error {
    rds_errcode code;     /* RDS_OK if none */
    char message[512];    /* sent to the client as <Message> */
    char detail[256];     /* log only: errno text, SQLite message, pid, path */
} rds_error;

/* Fills *err (code and printf-style message) and returns -1, so a caller can write
 * `return rds_fail(err, RDS_E_X, "...")`. err may be NULL. */
int rds_fail(rds_error *err, rds_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets err->detail (log-only text) and returns -1. */
int rds_detail(rds_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rds_error_clear(rds_error *err);
const char *rds_error_code_str(rds_errcode code); /* "DBInstanceNotFound" */
int rds_error_http_status(rds_errcode code);       /* 404 */
bool rds_error_is_sender(rds_errcode code);        /* Sender (true) or Receiver fault */

/* ---- logging ----------------------------------------------------------- */

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
extern log_level log_min_level; /* set once at start-up */
void log_write(log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One line: "2026-11-27T18:30:00.123Z INFO [api] message". Formats only when enabled. */
#define log_at(lvl, subsys, ...) \
    do { if ((lvl) >= log_min_level) log_write((lvl), (subsys), __VA_ARGS__); } while (0)

/* ---- arena ------------------------------------------------------------- */

/* Bump allocator for one request (or one operation). Everything allocated from it is
 * released at once by arena_free. Allocation aborts on out-of-memory (bodies are capped,
 * so this is a programming error, as with PostgreSQL's palloc). Not thread-safe: one
 * arena belongs to one thread at a time. */
typedef struct arena arena;
arena *arena_new(void);
void arena_free(arena *a);                      /* NULL is a no-op */
void *arena_alloc(arena *a, size_t n);          /* zeroed, 16-byte aligned */
char *arena_strdup(arena *a, const char *s);    /* NULL gives NULL */
/* True if p points into memory allocated from a: for asserts on ownership ("the result
 * lives as long as the caller's arena"). Walks the blocks: debug checks only. */
bool arena_owns(const arena *a, const void *p);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- strbuf ------------------------------------------------------------ */

/* Growable NUL-terminated buffer on the heap; strbuf_free releases it. */
typedef struct strbuf { char *data; size_t len, cap; } strbuf;
void strbuf_init(strbuf *b);
void strbuf_free(strbuf *b);
void strbuf_append(strbuf *b, const char *s, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(strbuf *b);

/* ---- clock ------------------------------------------------------------- */

/* rdslocal's clock: wall time plus an offset that only moves forward (admin API
 * POST /_rdslocal/clock). Every time-based rule reads this clock, never time(). */
int64_t rds_now_ms(void);
int64_t rds_real_now_ms(void);
int64_t rds_clock_offset_ms(void);
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12, d 1..31); any year. */
int64_t rds_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Sets the offset; refuses (returns -1) an offset smaller than the current one. */
int rds_clock_set_offset_ms(int64_t offset_ms);
/* "2026-11-27T18:30:00.123Z" into buf (>= 32 bytes). */
void rds_time_iso8601(char *buf, size_t n, int64_t at_ms);
/* Parses ISO 8601 (with Z or +hh:mm, optional fraction) or epoch seconds. -1 if invalid. */
int rds_time_parse(const char *s, int64_t *out_ms);

/* ---- ids --------------------------------------------------------------- */

/* n random characters from [A-Z0-9] (upper) into buf (n+1 bytes), from a CSPRNG. */
void rds_random_upper(char *buf, size_t n);
/* Random UUID v4 (request ids), 37 bytes. */
void rds_uuid(char buf[37]);
/* Lower-cases s in place and returns it. */
char *rds_lower(char *s);
/* Decimal text of v written into buf (any int64_t, INT64_MIN included, fits); returns a
 * pointer into buf (not necessarily its start). No locale, no printf: the renderers' hot path. */
enum { RDS_INT_TEXT_MAX = 24 };
const char *rds_format_int(char buf[RDS_INT_TEXT_MAX], int64_t v);

#endif
