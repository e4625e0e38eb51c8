/* result.h: the neutral result writer. Handlers describe their answer as a stream of
 * structures, lists and typed scalars named by the output shape's wire names; the
 * protocol's encoder (XML for query/ec2, JSON for json) turns the stream into bytes as
 * it goes, without an intermediate tree. Handlers never see XML or JSON.
 *
 * Naming inside lists: an item is still written with a name (the query protocol's element
 * name, "VpcSecurityGroupMembership"); encoders that have no item names (JSON) ignore it.
 * Names are borrowed and must outlive the writer (literals or the request arena).
 * One res_out per request; HTTP threads. */
#ifndef RDSLOCAL_RESULT_H
#define RDSLOCAL_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An encoder: what a protocol front-end plugs into res_out. `st` is its own state. */
typedef struct res_encoder {
    const char *name;                                      /* "xml", "json" */
    void (*open)(void *st, const char *name, bool is_list); /* a structure or list member */
    void (*close)(void *st);                                /* the innermost open one */
    void (*str)(void *st, const char *name, const char *value);
    void (*num)(void *st, const char *name, const char *text); /* an integer, as text */
    void (*dbl)(void *st, const char *name, double value);     /* finite */
    void (*boolean)(void *st, const char *name, bool value);
    void (*time)(void *st, const char *name, int64_t at_ms);
    void (*blob)(void *st, const char *name, const unsigned char *data, size_t len);
} res_encoder;

/* The writer handlers get: an encoder and its state. Depth counts open members, so a
 * wrong close is caught where it happens (assert), not in the encoded bytes. */
typedef struct res_out {
    const res_encoder *enc;
    void *st;
    int depth;
} res_out;

/* A structure member (or list item) named `name`; close it with res_close. */
void res_struct(res_out *r, const char *name);
/* A list member named `name`; its items are written with their element names. */
void res_list(res_out *r, const char *name);
void res_close(res_out *r);
void res_str(res_out *r, const char *name, const char *value); /* skipped if value is NULL */
void res_int(res_out *r, const char *name, int64_t value);
void res_double(res_out *r, const char *name, double value);
void res_bool(res_out *r, const char *name, bool value);
void res_time(res_out *r, const char *name, int64_t at_ms);   /* UTC ms */
void res_blob(res_out *r, const char *name, const void *data, size_t len); /* base64 on the wire */

/* Base64 (RFC 4648, padded) of data into out (size at least res_base64_len(len) + 1). */
size_t res_base64_len(size_t len);
void res_base64(char *out, const unsigned char *data, size_t len);

#endif
