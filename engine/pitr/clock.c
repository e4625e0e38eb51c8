/* clock.c: the map between rdslocal's clock (the model clock: real time plus a
 * forward-only offset, moved by POST /_rdslocal/clock) and real instants, which is what
 * the WAL records. Restore times are given on the model clock; the WAL replays to a real
 * instant.
 *
 * Every advance is recorded in the store (meta "clock_advances", one line per advance:
 * "<real ms of the jump> <offset before> <offset after>", appended inside the advance's
 * transaction). Between two advances the offset is constant, so model = real + offset.
 * A model instant the clock jumped over (in [R + before, R + after) for a jump at real R)
 * maps to R, the real moment of the jump: nothing was written in between. Before the
 * first recorded advance the offset is the first record's "before" (the offset the store
 * had when recording began), after the last one the current offset.
 * Threads: any; the caller's store connection. */
#include "pitr/pitr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_KEY "clock_advances"

typedef struct advance {
    int64_t real, before, after;
} advance;

/* The recorded advances, oldest first, in arena a. */
static size_t load(store *s, arena *a, advance **out)
{
    *out = NULL;
    char *text = NULL;
    rds_error err = { 0 };
    if (store_meta_get(s, a, META_KEY, &text, &err) != 0 || !text)
        return 0;
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    advance *v = arena_alloc(a, (n + 1) * sizeof *v);
    size_t k = 0;
    for (char *line = text; *line && k < n;) {
        long long r, b, f;
        if (sscanf(line, "%lld %lld %lld", &r, &b, &f) == 3)
            v[k++] = (advance){ r, b, f };
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    *out = v;
    return k;
}

int engine__pitr_clock_record(engine *e, store *s, int64_t real_ms, int64_t before, int64_t after, rds_error *err)
{
    (void)e;
    arena *a = arena_new();
    char *text = NULL;
    int rc = store_meta_get(s, a, META_KEY, &text, err);
    if (rc == 0) {
        char *line = arena_printf(a, "%s%lld %lld %lld\n", text ? text : "", (long long)real_ms, (long long)before,
                                  (long long)after);
        rc = store_meta_set(s, META_KEY, line, err);
    }
    arena_free(a);
    return rc;
}

int64_t engine__clock_real_of(engine *e, store *s, int64_t model_ms)
{
    (void)e;
    arena *a = arena_new();
    advance *v;
    size_t n = load(s, a, &v);
    int64_t off = n ? v[0].before : rds_clock_offset_ms(), real = model_ms - off;
    for (size_t i = 0; i < n; i++) {
        if (real < v[i].real)
            break;                      /* before this jump, at the offset in effect */
        if (model_ms < v[i].real + v[i].after) {
            real = v[i].real;           /* skipped by this jump */
            break;
        }
        off = v[i].after;
        real = model_ms - off;
    }
    arena_free(a);
    return real;
}

int64_t engine__clock_model_of(engine *e, store *s, int64_t real_ms)
{
    (void)e;
    arena *a = arena_new();
    advance *v;
    size_t n = load(s, a, &v);
    int64_t off = n ? v[0].before : rds_clock_offset_ms();
    for (size_t i = 0; i < n && v[i].real <= real_ms; i++)
        off = v[i].after;
    arena_free(a);
    return real_ms + off;
}
