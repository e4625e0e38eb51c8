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

void xml_str(xml_out *x, const char *name, const char *value)
{
    if (value)
        xmlTextWriterWriteElement(x->w, X(name), X(value));
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
