/* xmlout.c: see xmlout.h. A small streaming writer into one growing buffer. It replaced
 * libxml2's xmlTextWriter, which allocated per element and made a 100-instance
 * DescribeDBInstances cost about 4.6 ms of CPU (bench/README.md); libxml2 stays the
 * parser the tests use to check that every document is well-formed.
 * Escaping: & < > become entities (quotes stay literal in text, as libxml2 writes them;
 * attribute values here are fixed namespace URIs), carriage return becomes &#13;;
 * characters XML 1.0 cannot carry (other C0 controls, U+FFFE, U+FFFF) and invalid UTF-8
 * bytes become U+FFFD, so any input yields a well-formed document.
 * Element names are borrowed and must outlive the writer (literals or request arena). */
#include "xmlout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { XML_MAX_DEPTH = 32, XML_INITIAL_BYTES = 8192 };

struct xml_out {
    strbuf b;
    const char *stack[XML_MAX_DEPTH];
    int depth;
    bool has_wrapper;   /* a <XResult> element is open under the root */
    char root[160];
};

/* Appends n bytes; the buffer grows by doubling (start: XML_INITIAL_BYTES, a typical
 * single-instance response), so a 100-instance page reallocates a handful of times. */
static inline void put(xml_out *x, const char *s, size_t n)
{
    if (x->b.len + n + 1 > x->b.cap) {
        strbuf_append(&x->b, s, n);
        return;
    }
    memcpy(x->b.data + x->b.len, s, n);
    x->b.len += n;
    x->b.data[x->b.len] = '\0';
}

static inline void puts_(xml_out *x, const char *s)
{
    put(x, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one (bad lead or
 * continuation byte, overlong, surrogate, beyond U+10FFFF) or is U+FFFE / U+FFFF. */
static size_t utf8_seq(const unsigned char *p)
{
    size_t len;
    unsigned cp;
    if (*p < 0xC2 || *p > 0xF4)
        return 0;
    if (*p < 0xE0) { len = 2; cp = *p & 0x1F; }
    else if (*p < 0xF0) { len = 3; cp = *p & 0x0F; }
    else { len = 4; cp = *p & 0x07; }
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return len;
}

/* Bytes escape() must look at: & < > \r, other C0 controls except tab and newline, and every
 * non-ASCII byte (UTF-8 validation). */
static inline bool needs_care(unsigned char c)
{
    return c >= 0x80 || c == '&' || c == '<' || c == '>' || (c < 0x20 && c != '\t' && c != '\n');
}

static void escape(xml_out *x, const char *s)
{
    /* Fast path: most values (ids, numbers, enums) need no escaping at all. */
    const unsigned char *q = (const unsigned char *)s;
    while (*q && !needs_care(*q))
        q++;
    if (!*q) {
        put(x, s, (size_t)(q - (const unsigned char *)s));
        return;
    }
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p) {
        const char *rep = NULL;
        size_t skip = 1;
        if (*p >= 0x80) {
            size_t n = utf8_seq(p);
            if (n) {
                p += n;
                continue;
            }
            rep = replacement;
        } else {
            switch (*p) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '\r': rep = "&#13;"; break; /* survives the parser's newline normalisation */
            default:
                if (*p < 0x20 && *p != '\t' && *p != '\n')
                    rep = replacement;
                break;
            }
        }
        if (!rep) {
            p++;
            continue;
        }
        put(x, (const char *)run, (size_t)(p - run));
        puts_(x, rep);
        p += skip;
        run = p;
    }
    put(x, (const char *)run, (size_t)(p - run));
}

static void start(xml_out *x, const char *name)
{
    if (x->depth >= XML_MAX_DEPTH)
        abort(); /* programming error: shapes are far shallower */
    x->stack[x->depth++] = name;
    put(x, "<", 1);
    puts_(x, name);
    put(x, ">", 1);
}

xml_out *xml_begin(const char *action, const char *result_wrapper, const char *ns)
{
    xml_out *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    x->b.cap = XML_INITIAL_BYTES;
    x->b.len = 0;
    x->b.data = malloc(x->b.cap);
    if (!x->b.data)
        abort();
    x->b.data[0] = '\0';
    snprintf(x->root, sizeof x->root, "%sResponse", action);
    put(x, "<", 1); /* AWS sends no XML declaration */
    puts_(x, x->root);
    puts_(x, " xmlns=\"");
    escape(x, ns);
    put(x, "\">", 2);
    x->stack[x->depth++] = x->root;
    if (result_wrapper) {
        start(x, result_wrapper);
        x->has_wrapper = true;
    }
    return x;
}

void xml_open(xml_out *x, const char *name)
{
    start(x, name);
}

void xml_close(xml_out *x)
{
    if (x->depth <= 1)
        abort(); /* programming error: unbalanced close */
    const char *name = x->stack[--x->depth];
    put(x, "</", 2);
    puts_(x, name);
    put(x, ">", 1);
}

void xml_str(xml_out *x, const char *name, const char *value)
{
    if (!value)
        return;
    put(x, "<", 1);
    puts_(x, name);
    put(x, ">", 1);
    escape(x, value);
    put(x, "</", 2);
    puts_(x, name);
    put(x, ">", 1);
}

void xml_int(xml_out *x, const char *name, int64_t value)
{
    char b[RDS_INT_TEXT_MAX];
    xml_str(x, name, rds_format_int(b, value));
}

void xml_bool(xml_out *x, const char *name, bool value)
{
    xml_str(x, name, value ? "true" : "false");
}

void xml_time(xml_out *x, const char *name, int64_t at_ms)
{
    char b[40];
    rds_time_iso8601(b, sizeof b, at_ms);
    xml_str(x, name, b);
}

static char *take(xml_out *x, size_t *len)
{
    char *doc = x->b.data;
    *len = x->b.len;
    strbuf_init(&x->b);
    free(x);
    return doc;
}

char *xml_finish(xml_out *x, const char *request_id, size_t *len)
{
    while (x->depth > 1 + (x->has_wrapper ? 1 : 0))
        xml_close(x); /* a handler that left elements open: close them, keep it well-formed */
    if (x->has_wrapper)
        xml_close(x);
    xml_open(x, "ResponseMetadata");
    xml_str(x, "RequestId", request_id);
    xml_close(x);
    put(x, "</", 2);
    puts_(x, x->root);
    put(x, ">", 1);
    return take(x, len);
}

void xml_abort(xml_out *x)
{
    if (!x)
        return;
    strbuf_free(&x->b);
    free(x);
}

char *xml_error_doc(const char *ns, bool sender, const char *code, const char *message,
                    const char *request_id, size_t *len)
{
    xml_out *x = xml_begin("Error", NULL, ns);
    xml_open(x, "Error");
    xml_str(x, "Type", sender ? "Sender" : "Receiver");
    xml_str(x, "Code", code);
    xml_str(x, "Message", message);
    xml_close(x);
    xml_str(x, "RequestId", request_id);
    put(x, "</", 2);
    puts_(x, x->root);
    put(x, ">", 1);
    return take(x, len);
}

/* ---- EC2's dialect ---- */

xml_out *xml_begin_ec2(const char *action, const char *ns, const char *request_id)
{
    xml_out *x = xml_begin(action, NULL, ns);
    xml_str(x, "requestId", request_id);
    return x;
}

char *xml_finish_plain(xml_out *x, size_t *len)
{
    while (x->depth > 1)
        xml_close(x);
    put(x, "</", 2);
    puts_(x, x->root);
    put(x, ">", 1);
    return take(x, len);
}

char *xml_ec2_error_doc(const char *code, const char *message, const char *request_id, size_t *len)
{
    xml_out *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    strbuf_init(&x->b);
    snprintf(x->root, sizeof x->root, "Response");
    puts_(x, "<Response>");
    x->stack[x->depth++] = x->root;
    xml_open(x, "Errors");
    xml_open(x, "Error");
    xml_str(x, "Code", code);
    xml_str(x, "Message", message);
    xml_close(x);
    xml_close(x);
    xml_str(x, "RequestID", request_id);
    return xml_finish_plain(x, len);
}

/* ---- res_out encoder ---- */

static void enc_open(void *st, const char *name, bool is_list)
{
    (void)is_list; /* a list is an element like a structure; its items carry their names */
    start(st, name);
}

static void enc_close(void *st)
{
    xml_close(st);
}

static void enc_str(void *st, const char *name, const char *value)
{
    xml_str(st, name, value);
}

/* A double as AWS's query services render one: "50.0", "0.5", "0.25". */
static void enc_double(void *st, const char *name, double value)
{
    char b[40];
    if (value == (double)(long long)value)
        snprintf(b, sizeof b, "%lld.0", (long long)value);
    else
        snprintf(b, sizeof b, "%.15g", value);
    xml_str(st, name, b);
}

static void enc_bool(void *st, const char *name, bool value)
{
    xml_bool(st, name, value);
}

static void enc_time(void *st, const char *name, int64_t at_ms)
{
    xml_time(st, name, at_ms);
}

static void enc_blob(void *st, const char *name, const unsigned char *data, size_t len)
{
    char small[256];
    size_t n = res_base64_len(len) + 1;
    char *b = n <= sizeof small ? small : malloc(n);
    if (!b)
        abort();
    res_base64(b, data, len);
    xml_str(st, name, b);
    if (b != small)
        free(b);
}

const res_encoder xml_res_encoder = {
    .name = "xml", .open = enc_open, .close = enc_close, .str = enc_str, .num = enc_str, .dbl = enc_double,
    .boolean = enc_bool, .time = enc_time, .blob = enc_blob,
};
