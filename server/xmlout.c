/* xmlout.c: see xmlout.h. */
#include "xmlout.h"

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xml_out {
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    bool has_wrapper; /* a <XResult> element is open under the root */
};

#define X(s) ((const xmlChar *)(s))

xml_out *xml_begin(const char *action, const char *result_wrapper, const char *ns)
{
    xml_out *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    x->buf = xmlBufferCreateSize(4096);
    x->w = xmlNewTextWriterMemory(x->buf, 0);
    if (!x->buf || !x->w)
        abort();
    char root[160];
    snprintf(root, sizeof root, "%sResponse", action);
    xmlTextWriterStartElement(x->w, X(root));
    xmlTextWriterWriteAttribute(x->w, X("xmlns"), X(ns));
    if (result_wrapper) {
        xmlTextWriterStartElement(x->w, X(result_wrapper));
        x->has_wrapper = true;
    }
    return x;
}

void xml_open(xml_out *x, const char *name)
{
    xmlTextWriterStartElement(x->w, X(name));
}

void xml_close(xml_out *x)
{
    xmlTextWriterEndElement(x->w);
}

/* Length of the XML 1.0 character (tab, LF, CR, U+0020..U+D7FF, U+E000..U+FFFD,
 * U+10000..U+10FFFF) in well-formed UTF-8 at p, or 0 if p does not start one. */
static size_t xml_char_len(const unsigned char *p)
{
    if (*p < 0x80)
        return (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r') ? 1 : 0;
    size_t len;
    unsigned cp;
    if ((*p & 0xE0) == 0xC0) { len = 2; cp = *p & 0x1Fu; }
    else if ((*p & 0xF0) == 0xE0) { len = 3; cp = *p & 0x0Fu; }
    else if ((*p & 0xF8) == 0xF0) { len = 4; cp = *p & 0x07u; }
    else return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return len;
}

/* Values may hold what XML cannot carry: control characters (a %01 in a parameter is
 * valid UTF-8 and is echoed in error messages) or invalid UTF-8 (IncompleteSignature
 * quotes the raw Authorization header). libxml2's writer copies such bytes as they are,
 * which makes the document unparseable, so each bad byte becomes U+FFFD. Returns value
 * itself when it is clean, else a malloc'd copy in *owned. */
static const char *xml_clean(const char *value, char **owned)
{
    const unsigned char *p = (const unsigned char *)value;
    *owned = NULL;
    size_t n;
    while (*p && (n = xml_char_len(p)) > 0)
        p += n;
    if (!*p)
        return value;
    char *out = malloc(strlen(value) * 3 + 1), *o = out;
    if (!out)
        abort();
    for (p = (const unsigned char *)value; *p;) {
        n = xml_char_len(p);
        if (n) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    *o = '\0';
    *owned = out;
    return out;
}

void xml_str(xml_out *x, const char *name, const char *value)
{
    if (!value)
        return;
    char *owned;
    xmlTextWriterWriteElement(x->w, X(name), X(xml_clean(value, &owned)));
    free(owned);
}

void xml_int(xml_out *x, const char *name, int64_t value)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)value);
    xmlTextWriterWriteElement(x->w, X(name), X(b));
}

void xml_bool(xml_out *x, const char *name, bool value)
{
    xmlTextWriterWriteElement(x->w, X(name), X(value ? "true" : "false"));
}

void xml_time(xml_out *x, const char *name, int64_t at_ms)
{
    char b[40];
    rds_time_iso8601(b, sizeof b, at_ms);
    xmlTextWriterWriteElement(x->w, X(name), X(b));
}

static char *take(xml_out *x, size_t *len)
{
    xmlTextWriterFlush(x->w);
    size_t n = (size_t)xmlBufferLength(x->buf);
    char *doc = malloc(n + 1);
    if (!doc)
        abort();
    memcpy(doc, xmlBufferContent(x->buf), n);
    doc[n] = '\0';
    *len = n;
    return doc;
}

char *xml_finish(xml_out *x, const char *request_id, size_t *len)
{
    if (x->has_wrapper)
        xmlTextWriterEndElement(x->w);
    xml_open(x, "ResponseMetadata");
    xml_str(x, "RequestId", request_id);
    xml_close(x);
    xmlTextWriterEndDocument(x->w); /* closes the root */
    char *doc = take(x, len);
    xml_abort(x);
    return doc;
}

void xml_abort(xml_out *x)
{
    if (!x)
        return;
    xmlFreeTextWriter(x->w);
    xmlBufferFree(x->buf);
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
    xmlTextWriterEndDocument(x->w);
    char *doc = take(x, len);
    xml_abort(x);
    return doc;
}
