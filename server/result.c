/* result.c: res_out calls (see result.h): argument checks, scalar formatting shared by
 * every encoder, then one call into the protocol's encoder. */
#include "result.h"

#include "rdslocal/base.h"

#include <assert.h>
#include <math.h>
#include <string.h>

enum { RES_MAX_DEPTH = 32 };

void res_struct(res_out *r, const char *name)
{
    assert(r && r->enc && name);
    assert(r->depth < RES_MAX_DEPTH); /* shapes are far shallower: a missing res_close */
    r->depth++;
    r->enc->open(r->st, name, false);
}

void res_list(res_out *r, const char *name)
{
    assert(r && r->enc && name);
    assert(r->depth < RES_MAX_DEPTH);
    r->depth++;
    r->enc->open(r->st, name, true);
}

void res_close(res_out *r)
{
    assert(r && r->depth > 0); /* a close without its open would end the result wrapper */
    r->depth--;
    r->enc->close(r->st);
}

void res_str(res_out *r, const char *name, const char *value)
{
    assert(r && name);
    if (value)
        r->enc->str(r->st, name, value);
}

void res_int(res_out *r, const char *name, int64_t value)
{
    char b[RDS_INT_TEXT_MAX];
    r->enc->num(r->st, name, rds_format_int(b, value));
}

void res_double(res_out *r, const char *name, double value)
{
    if (!isfinite(value)) {
        /* botocore's parsers accept these spellings for non-finite numbers */
        r->enc->str(r->st, name, isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        return;
    }
    r->enc->dbl(r->st, name, value); /* each protocol spells doubles its own way */
}

void res_bool(res_out *r, const char *name, bool value)
{
    r->enc->boolean(r->st, name, value);
}

void res_time(res_out *r, const char *name, int64_t at_ms)
{
    r->enc->time(r->st, name, at_ms);
}

void res_blob(res_out *r, const char *name, const void *data, size_t len)
{
    assert(data || len == 0);
    r->enc->blob(r->st, name, data, len);
}

size_t res_base64_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

void res_base64(char *out, const unsigned char *data, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        *out++ = tab[v >> 18];
        *out++ = tab[(v >> 12) & 63];
        *out++ = tab[(v >> 6) & 63];
        *out++ = tab[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0u);
        *out++ = tab[v >> 18];
        *out++ = tab[(v >> 12) & 63];
        *out++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}
