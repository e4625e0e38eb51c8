/* jsonout.c: see jsonout.h. A streaming writer into one growing buffer, like xmlout.c:
 * a stack records, per open container, whether it is a list (items have no names) and
 * whether a comma is due. */
#include "jsonout.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JSON_MAX_DEPTH = 34 };

struct json_out {
    strbuf b;
    bool is_list[JSON_MAX_DEPTH];
    bool has_items[JSON_MAX_DEPTH];
    int depth;          /* 1 once the result object is open */
};

json_out *json_begin(void)
{
    json_out *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    strbuf_init(&j->b);
    strbuf_append(&j->b, "{", 1);
    j->depth = 1;
    return j;
}

/* Writes s as a JSON string; invalid UTF-8 bytes become U+FFFD. */
static void put_string(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *run = p;
    strbuf_append(b, "\"", 1);
    while (*p) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        strbuf_append(b, (const char *)run, (size_t)(p - run));
        if (c >= 0x80) {
            size_t n = 0;
            unsigned cp = 0;
            if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
            else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
            else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
            for (size_t k = 1; k < n; k++) {
                if ((p[k] & 0xC0) != 0x80) { n = 0; break; }
                cp = (cp << 6) | (p[k] & 0x3F);
            }
            if (n && ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
                      (cp >= 0xD800 && cp <= 0xDFFF)))
                n = 0;
            if (n) {
                strbuf_append(b, (const char *)p, n);
                p += n;
            } else {
                strbuf_append(b, "\xEF\xBF\xBD", 3);
                p++;
            }
        } else if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            strbuf_append(b, e, 2);
            p++;
        } else {
            const char *e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (e) {
                strbuf_append(b, e, 2);
            } else {
                char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                strbuf_append(b, u, 6);
            }
            p++;
        }
        run = p;
    }
    strbuf_append(b, (const char *)run, (size_t)(p - run));
    strbuf_append(b, "\"", 1);
}

/* The comma and, inside an object, the member name before a value. */
static void member(json_out *j, const char *name)
{
    assert(j->depth > 0);
    int d = j->depth - 1;
    if (j->has_items[d])
        strbuf_append(&j->b, ",", 1);
    j->has_items[d] = true;
    if (!j->is_list[d]) {
        put_string(&j->b, name);
        strbuf_append(&j->b, ":", 1);
    }
}

static void enc_open(void *st, const char *name, bool is_list)
{
    json_out *j = st;
    if (j->depth >= JSON_MAX_DEPTH)
        abort(); /* programming error: shapes are far shallower */
    member(j, name);
    strbuf_append(&j->b, is_list ? "[" : "{", 1);
    j->is_list[j->depth] = is_list;
    j->has_items[j->depth] = false;
    j->depth++;
}

static void enc_close(void *st)
{
    json_out *j = st;
    if (j->depth <= 1)
        abort(); /* programming error: unbalanced close */
    j->depth--;
    strbuf_append(&j->b, j->is_list[j->depth] ? "]" : "}", 1);
}

static void enc_str(void *st, const char *name, const char *value)
{
    json_out *j = st;
    member(j, name);
    put_string(&j->b, value);
}

static void enc_num(void *st, const char *name, const char *text)
{
    json_out *j = st;
    member(j, name);
    strbuf_puts(&j->b, text);
}

/* The shortest "%g" spelling that reads back as the same double. */
static void enc_double(void *st, const char *name, double value)
{
    json_out *j = st;
    char b[40];
    snprintf(b, sizeof b, "%.15g", value);
    if (strtod(b, NULL) != value)
        snprintf(b, sizeof b, "%.17g", value);
    member(j, name);
    strbuf_puts(&j->b, b);
}

static void enc_bool(void *st, const char *name, bool value)
{
    json_out *j = st;
    member(j, name);
    strbuf_puts(&j->b, value ? "true" : "false");
}

/* Epoch seconds; milliseconds, if any, as a fraction (botocore reads a float). */
static void enc_time(void *st, const char *name, int64_t at_ms)
{
    json_out *j = st;
    member(j, name);
    int64_t s = at_ms / 1000, ms = at_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        s -= 1;
    }
    if (ms)
        strbuf_printf(&j->b, "%lld.%03lld", (long long)s, (long long)ms);
    else
        strbuf_printf(&j->b, "%lld", (long long)s);
}

static void enc_blob(void *st, const char *name, const unsigned char *data, size_t len)
{
    json_out *j = st;
    member(j, name);
    char *b = malloc(res_base64_len(len) + 1);
    if (!b)
        abort();
    res_base64(b, data, len);
    strbuf_append(&j->b, "\"", 1);
    strbuf_puts(&j->b, b);
    strbuf_append(&j->b, "\"", 1);
    free(b);
}

const res_encoder json_res_encoder = {
    .name = "json", .open = enc_open, .close = enc_close, .str = enc_str, .num = enc_num, .dbl = enc_double,
    .boolean = enc_bool, .time = enc_time, .blob = enc_blob,
};

char *json_finish(json_out *j, size_t *len)
{
    while (j->depth > 1)
        enc_close(j); /* a handler that left members open: close them, keep it valid */
    strbuf_append(&j->b, "}", 1);
    char *doc = j->b.data;
    *len = j->b.len;
    free(j);
    return doc;
}

void json_abort(json_out *j)
{
    if (!j)
        return;
    strbuf_free(&j->b);
    free(j);
}

char *json_error_doc(const char *code, const char *message, size_t *len)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "{\"__type\":");
    put_string(&b, code);
    if (message && *message) {
        strbuf_puts(&b, ",\"message\":");
        put_string(&b, message);
    }
    strbuf_puts(&b, "}");
    *len = b.len;
    return b.data;
}
