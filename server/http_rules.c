/* http_rules.c: the front door's pure rules (see http.h, "pure helpers"): which Host and
 * Origin values name this server or an allowed page, media-type matching, and escaping
 * untrusted values for the log. No state, no libmicrohttpd; any thread; unit-tested in
 * tests/unit/test_http.c. http.c applies them to each request. */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_log_escape(char *dst, size_t cap, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    if (cap == 0)
        return;
    if (!src)
        src = "-";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        bool plain = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
        size_t need = plain ? 1 : 4;
        if (n + need + 4 > cap) { /* room for "..." and the NUL */
            if (cap >= 4) {
                memcpy(dst + (n + 4 > cap ? cap - 4 : n), "...", 3);
                n = (n + 4 > cap ? cap - 4 : n) + 3;
            }
            break;
        }
        if (plain) {
            dst[n++] = (char)*p;
        } else {
            dst[n++] = '\\';
            dst[n++] = 'x';
            dst[n++] = hex[*p >> 4];
            dst[n++] = hex[*p & 15];
        }
    }
    dst[n] = '\0';
}

/* Calls fn on each trimmed, non-empty entry of a comma-separated list; stops at true. */
static bool list_any(const char *list, bool (*fn)(const char *entry, size_t n, const void *ctx),
                     const void *ctx)
{
    for (const char *p = list ? list : ""; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *s = p;
        size_t k = n;
        while (k && isspace((unsigned char)*s)) { s++; k--; }
        while (k && isspace((unsigned char)s[k - 1])) k--;
        if (k && fn(s, k, ctx))
            return true;
        p += n + (comma ? 1 : 0);
    }
    return false;
}

static bool eq_n(const char *a, size_t an, const char *b)
{
    return strlen(b) == an && strncasecmp(a, b, an) == 0;
}

typedef struct host_ctx { const char *host; int port; } host_ctx;

/* Host header value h equals name (length n) with ":port", or bare when port is 80 or
 * bare_ok. */
static bool host_is(const char *h, const char *name, size_t n, int port, bool bare_ok)
{
    if (strncasecmp(h, name, n) != 0)
        return false;
    if (h[n] == '\0')
        return bare_ok || port == 80;
    if (h[n] != ':')
        return false;
    char *end;
    long p = strtol(h + n + 1, &end, 10);
    return *end == '\0' && end != h + n + 1 && p == port;
}

static bool host_entry(const char *entry, size_t n, const void *vctx)
{
    const host_ctx *c = vctx;
    if (n == 1 && entry[0] == '*')
        return true;
    const char *colon = memchr(entry, ':', n);
    if (colon && entry[0] != '[') /* "name:port": exact */
        return eq_n(entry, n, c->host);
    return host_is(c->host, entry, n, c->port, true);
}

bool http_host_allowed(const char *host, const char *listen_host, int port, const char *allowed)
{
    if (!host)
        return true; /* HTTP/1.0 without Host: no browser sends that */
    static const char *const builtin[] = { "localhost", "127.0.0.1", "[::1]" };
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (host_is(host, builtin[i], strlen(builtin[i]), port, false))
            return true;
    if (listen_host && host_is(host, listen_host, strlen(listen_host), port, false))
        return true;
    host_ctx c = { host, port };
    return list_any(allowed, host_entry, &c);
}

static bool origin_entry(const char *entry, size_t n, const void *ctx)
{
    const char *origin = ctx;
    if (n == 1 && entry[0] == '*')
        return true;
    if (n && entry[n - 1] == '/')
        n--;
    size_t on = strlen(origin);
    if (on && origin[on - 1] == '/')
        on--;
    return on == n && strncasecmp(origin, entry, n) == 0;
}

bool http_origin_allowed(const char *origin, const char *allowed)
{
    return origin && list_any(allowed, origin_entry, origin);
}

bool http_media_type_is(const char *ctype, const char *want)
{
    if (!ctype)
        return false;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    size_t n = strlen(want);
    if (strncasecmp(ctype, want, n) != 0)
        return false;
    const char *rest = ctype + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

void http_preflight_allow_headers(strbuf *out, const char *requested)
{
    static const char *const base[] = { "authorization", "content-type", "x-amz-date", "x-amz-target",
                                        "x-amz-content-sha256", "x-amz-security-token",
                                        "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request" };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        if (i)
            strbuf_puts(out, ", ");
        strbuf_puts(out, base[i]);
    }
    /* Other x-amz-* / amz-sdk-* names the page asks for (newer SDK headers). */
    for (const char *p = requested ? requested : ""; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *s = p;
        while (n && *s == ' ') { s++; n--; }
        while (n && s[n - 1] == ' ') n--;
        bool ok = n > 6 && n < 64 && (strncasecmp(s, "x-amz-", 6) == 0 || strncasecmp(s, "amz-sdk-", 8) == 0);
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)s[i]) || s[i] == '-';
        for (size_t i = 0; ok && i < sizeof base / sizeof base[0]; i++)
            ok = !eq_n(s, n, base[i]);
        if (ok) {
            strbuf_puts(out, ", ");
            strbuf_append(out, s, n);
        }
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
    }
}
