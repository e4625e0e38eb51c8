/* respcache.h: a small in-memory cache of responses to read-only actions (AF_CACHEABLE).
 * An entry is valid while the store generation is the one it was rendered at and the clock
 * is before its valid-until instant; a write anywhere makes every entry stale. The
 * RequestId is spliced into the cached body on each hit. Thread-safe; entries are
 * reference-counted so a hit copies outside the lock. */
#ifndef RDSLOCAL_RESPCACHE_H
#define RDSLOCAL_RESPCACHE_H

#include <stddef.h>
#include <stdint.h>

/* On a hit returns a malloc'd body (caller frees) with request_id in place, its status, and
 * its AWS error code ("" for a success) copied into error_code (n bytes). */
char *respcache_get(const char *key, uint64_t generation, int64_t now_ms, const char *request_id,
                    int *status, size_t *len, char *error_code, size_t n);
/* Stores body (rendered with request_id, which must occur exactly where RequestId goes). */
void respcache_put(const char *key, uint64_t generation, int64_t valid_until_ms, int status,
                   const char *error_code, const char *body, size_t len, const char *request_id);
void respcache_clear(void);

/* Zero-copy variant of respcache_get for the HTTP layer: on a hit, lends the entry (it stays
 * valid until respcache_release, even if evicted meanwhile) and its two body parts; the
 * body is prefix + request id + suffix. NULL on a miss. */
typedef struct respcache_entry respcache_entry;
const respcache_entry *respcache_acquire(const char *key, uint64_t generation, int64_t now_ms,
                                         int *status, const char **prefix, size_t *prefix_len,
                                         const char **suffix, size_t *suffix_len, char *error_code,
                                         size_t n);
void respcache_release(const respcache_entry *e);

#endif
