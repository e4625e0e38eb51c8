/* admin.c: see admin.h. The clock's POST takes {"advance_seconds": N} (or "advance_ms",
 * or the same names as query parameters); the clock only moves forward. */
#include "admin.h"
#include "admin_faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(admin_response *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply(admin_response *out, int status, const char *fmt, ...)
{
    strbuf b;
    strbuf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    strbuf_puts(&b, tmp);
    strbuf_puts(&b, "\n");
    out->status = status;
    out->body = b.data;
    out->body_len = b.len;
}

/* Finds "name": <number> in a small JSON object, or name=<number> in a query string. */
static bool find_number(const char *text, const char *name, double *out)
{
    if (!text)
        return false;
    char key[64];
    snprintf(key, sizeof key, "\"%s\"", name);
    const char *p = strstr(text, key);
    if (p) {
        p += strlen(key);
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p != ':')
            return false;
        p++;
    } else {
        snprintf(key, sizeof key, "%s=", name);
        p = strstr(text, key);
        if (!p || (p != text && p[-1] != '&'))
            return false;
        p += strlen(key);
    }
    char *end;
    double v = strtod(p, &end);
    if (end == p)
        return false;
    *out = v;
    return true;
}

static void clock_json(admin_response *out, int status)
{
    char now[40], real[40];
    rds_time_iso8601(now, sizeof now, rds_now_ms());
    rds_time_iso8601(real, sizeof real, rds_real_now_ms());
    reply(out, status, "{\"now\": \"%s\", \"real_now\": \"%s\", \"offset_ms\": %lld}", now, real,
          (long long)rds_clock_offset_ms());
}

static void json_string(strbuf *b, const char *s)
{
    strbuf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            strbuf_printf(b, "\\u%04x", *p);
        else
            strbuf_printf(b, "%c", *p);
    }
    strbuf_puts(b, "\"");
}

/* read replicas: ", \"replicas\": [{region, id, source, state, lag_ms}]", the replication
 * state and the lag measured now (ms; -1 unknown): the ReplicaLag AWS publishes to
 * CloudWatch, which rdslocal does not emulate. */
static void health_replicas(engine *e, strbuf *b)
{
    arena *a = arena_new();
    replica_health *h;
    size_t n = 0;
    rds_error err = { 0 };
    strbuf_puts(b, ", \"replicas\": [");
    if (engine_replicas_health(e, a, &h, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            strbuf_puts(b, i ? ", {\"region\": " : "{\"region\": ");
            json_string(b, h[i].region);
            strbuf_puts(b, ", \"id\": ");
            json_string(b, h[i].id);
            strbuf_puts(b, ", \"source\": ");
            json_string(b, h[i].source_arn);
            strbuf_puts(b, ", \"state\": ");
            json_string(b, h[i].state);
            strbuf_printf(b, ", \"lag_ms\": %lld}", (long long)h[i].lag_ms);
        }
    }
    strbuf_puts(b, "]");
    arena_free(a);
}

/* "quarantined": the entries of <state dir>/quarantine/ (data dirs no instance owned, moved
 * there instead of being deleted); empty when all is well. */
static void health(engine *e, admin_response *out)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "{\"status\": \"ok\", \"version\": \"%s\", \"engine\": \"%s\", \"quarantined\": [",
                  RDSLOCAL_VERSION, engine_get_config(e)->no_engine ? "none" : "postgres");
    const char *const *q;
    size_t n = engine_quarantined(e, &q);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_puts(&b, ", ");
        json_string(&b, q[i]);
    }
    strbuf_puts(&b, "]");
    health_replicas(e, &b); /* read replicas */
    strbuf_puts(&b, "}\n");
    out->status = 200;
    out->body = b.data;
    out->body_len = b.len;
}

void admin_handle(engine *e, const char *method, const char *path, const char *query,
                  const char *body, size_t body_len, admin_response *out)
{
    rds_error err;
    rds_error_clear(&err);
    (void)body_len;
    if (strcmp(path, "/_rdslocal/health") == 0) {
        health(e, out);
        return;
    }
    if (admin_certs_handle(e, method, path, out))
        return;
    if (strcmp(path, "/_rdslocal/reset") == 0) {
        if (strcmp(method, "POST") != 0) {
            reply(out, 405, "{\"error\": \"use POST\"}");
            return;
        }
        if (engine_reset(e, &err)) {
            reply(out, 500, "{\"error\": \"reset failed\"}");
            return;
        }
        reply(out, 200, "{\"reset\": true}");
        return;
    }
    if (strcmp(path, "/_rdslocal/clock") == 0) {
        if (strcmp(method, "GET") == 0) {
            clock_json(out, 200);
            return;
        }
        if (strcmp(method, "POST") != 0) {
            reply(out, 405, "{\"error\": \"use GET or POST\"}");
            return;
        }
        double v;
        int64_t by_ms;
        if (find_number(body, "advance_seconds", &v) || find_number(query, "advance_seconds", &v))
            by_ms = (int64_t)(v * 1000.0);
        else if (find_number(body, "advance_ms", &v) || find_number(query, "advance_ms", &v))
            by_ms = (int64_t)v;
        else {
            reply(out, 400, "{\"error\": \"give advance_seconds or advance_ms\"}");
            return;
        }
        if (by_ms < 0 || engine_clock_advance(e, by_ms, &err)) {
            reply(out, 400, "{\"error\": \"the clock only moves forward\"}");
            return;
        }
        clock_json(out, 200);
        return;
    }
    if (admin_faults_handle(e, method, path, query, body, body_len, out)) /* fault injection */
        return;
    reply(out, 404, "{\"error\": \"no such admin endpoint\"}");
}
