/* respcache.c: see respcache.h. A fixed hash table (chained) with a global size cap; on
 * overflow the least recently used entries go. */
#include "respcache.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BUCKETS = 256, MAX_ENTRIES = 256 };
#define MAX_BYTES ((size_t)64 * 1024 * 1024)

typedef struct respcache_entry entry;
struct respcache_entry {
    struct respcache_entry *next;
    char *key;
    uint64_t generation;
    int64_t valid_until_ms;
    int status;
    char error_code[64];        /* "" for a success */
    char *prefix, *suffix;      /* body = prefix + request id + suffix */
    size_t prefix_len, suffix_len;
    uint64_t last_used;
    atomic_int refs;            /* 1 for the table + 1 per reader copying or lending */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static entry *table[BUCKETS];
static size_t n_entries, n_bytes;
static uint64_t use_clock;

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void unref(entry *e)
{
    int before = atomic_fetch_sub(&e->refs, 1);
    assert(before > 0); /* a release without its acquire would free a live entry */
    if (before == 1) {
        free(e->key);
        free(e->prefix);
        free(e);
    }
}

/* Unlinks *pp (lock held). */
static void drop(entry **pp)
{
    entry *e = *pp;
    *pp = e->next;
    n_entries--;
    n_bytes -= e->prefix_len + e->suffix_len;
    unref(e);
}

/* Finds a valid entry and takes a reference (lock held inside); NULL on a miss. */
static entry *acquire(const char *key, uint64_t generation, int64_t now_ms)
{
    uint32_t b = hash(key) % BUCKETS;
    entry *hit = NULL;
    pthread_mutex_lock(&mu);
    for (entry **pp = &table[b]; *pp; pp = &(*pp)->next) {
        entry *e = *pp;
        if (strcmp(e->key, key) != 0)
            continue;
        if (e->generation != generation || now_ms >= e->valid_until_ms) {
            drop(pp);
            break;
        }
        e->last_used = ++use_clock;
        atomic_fetch_add(&e->refs, 1);
        hit = e;
        break;
    }
    pthread_mutex_unlock(&mu);
    return hit;
}

char *respcache_get(const char *key, uint64_t generation, int64_t now_ms, const char *request_id,
                    int *status, size_t *len, char *error_code, size_t n_code)
{
    entry *hit = acquire(key, generation, now_ms);
    if (!hit)
        return NULL;
    size_t rl = strlen(request_id);
    size_t n = hit->prefix_len + rl + hit->suffix_len;
    char *body = malloc(n + 1);
    if (body) {
        memcpy(body, hit->prefix, hit->prefix_len);
        memcpy(body + hit->prefix_len, request_id, rl);
        memcpy(body + hit->prefix_len + rl, hit->suffix, hit->suffix_len);
        body[n] = '\0';
        *len = n;
        *status = hit->status;
        snprintf(error_code, n_code, "%s", hit->error_code);
    }
    unref(hit);
    return body;
}

const respcache_entry *respcache_acquire(const char *key, uint64_t generation, int64_t now_ms,
                                         int *status, const char **prefix, size_t *prefix_len,
                                         const char **suffix, size_t *suffix_len, char *error_code,
                                         size_t n)
{
    entry *hit = acquire(key, generation, now_ms);
    if (!hit)
        return NULL;
    *status = hit->status;
    *prefix = hit->prefix;
    *prefix_len = hit->prefix_len;
    *suffix = hit->suffix;
    *suffix_len = hit->suffix_len;
    snprintf(error_code, n, "%s", hit->error_code);
    return hit;
}

void respcache_release(const respcache_entry *e)
{
    if (e)
        unref((entry *)e);
}

static void evict_lru(void)
{
    entry **victim = NULL;
    for (int b = 0; b < BUCKETS; b++)
        for (entry **pp = &table[b]; *pp; pp = &(*pp)->next)
            if (!victim || (*pp)->last_used < (*victim)->last_used)
                victim = pp;
    if (victim)
        drop(victim);
}

void respcache_put(const char *key, uint64_t generation, int64_t valid_until_ms, int status,
                   const char *error_code, const char *body, size_t len, const char *request_id)
{
    /* The request id sits in the trailing metadata: split at its last occurrence (searched
     * from the end: the body can be hundreds of KB). */
    size_t rl = strlen(request_id);
    const char *at = NULL;
    for (size_t i = len >= rl ? len - rl + 1 : 0; rl && i-- > 0;)
        if (body[i] == request_id[0] && memcmp(body + i, request_id, rl) == 0) {
            at = body + i;
            break;
        }
    if (!at || len > MAX_BYTES / 4)
        return;
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->key = strdup(key);
    e->prefix_len = (size_t)(at - body);
    e->suffix_len = len - e->prefix_len - rl;
    e->prefix = malloc(e->prefix_len + e->suffix_len + 1);
    if (!e->key || !e->prefix) {
        free(e->key);
        free(e->prefix);
        free(e);
        return;
    }
    memcpy(e->prefix, body, e->prefix_len);
    e->suffix = e->prefix + e->prefix_len;
    memcpy(e->suffix, at + rl, e->suffix_len);
    e->generation = generation;
    e->valid_until_ms = valid_until_ms;
    e->status = status;
    snprintf(e->error_code, sizeof e->error_code, "%s", error_code ? error_code : "");
    atomic_init(&e->refs, 1);
    uint32_t b = hash(key) % BUCKETS;
    pthread_mutex_lock(&mu);
    for (entry **pp = &table[b]; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->key, key) == 0) {
            drop(pp);
            break;
        }
    while (n_entries >= MAX_ENTRIES || n_bytes + e->prefix_len + e->suffix_len > MAX_BYTES) {
        if (!n_entries)
            break;
        evict_lru();
    }
    e->last_used = ++use_clock;
    e->next = table[b];
    table[b] = e;
    n_entries++;
    n_bytes += e->prefix_len + e->suffix_len;
    pthread_mutex_unlock(&mu);
}

void respcache_clear(void)
{
    pthread_mutex_lock(&mu);
    for (int b = 0; b < BUCKETS; b++)
        while (table[b])
            drop(&table[b]);
    pthread_mutex_unlock(&mu);
}
