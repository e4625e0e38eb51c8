/* query.h: AWS Query protocol input. Decodes an application/x-www-form-urlencoded body
 * (or a GET query string) into key/value pairs, then walks an operation's input shape to
 * build a typed tree of the parameters present (param node), validating types, required
 * members, enums and ranges on the way. Flattening follows botocore's query serializer:
 * structure member "Prefix.Wire", list "Prefix.<element name|member>.N" (N from 1),
 * flattened list "Prefix.N", map "Prefix.entry.N.key|value". Everything lives in the
 * request arena. Called on HTTP threads. */
#ifndef RDSLOCAL_QUERY_H
#define RDSLOCAL_QUERY_H

#include "api_model.h"
#include "rdslocal/base.h"

typedef struct form_pair {
    const char *key, *value;
    size_t pos;        /* position in the request (duplicates: the first wins) */
} form_pair;
typedef struct form {
    form_pair *pairs;   /* sorted by key (strcmp) after query_form_parse */
    size_t n;
} form;

/* Decodes "a=1&b=x%20y" (the + sign is a space). Duplicate keys: the first wins, as AWS
 * does not define it and botocore never sends duplicates. Fails with MalformedQueryString
 * on a bad percent escape, and InvalidParameterValue on invalid UTF-8. */
int query_form_parse(form *out, arena *a, const char *body, size_t len, rds_error *err);
const char *query_form_get(const form *f, const char *key);

/* A decoded parameter. Scalars keep the raw text and the parsed value. */
typedef struct param {
    const api_shape *shape;
    const char *text;          /* scalar wire text; AT_BLOB from JSON: the decoded bytes */
    size_t len;                /* bytes in text (blobs may hold NULs) */
    int64_t i;                 /* AT_INTEGER / AT_LONG; AT_TIMESTAMP in ms */
    double d;                  /* AT_DOUBLE */
    bool b;                    /* AT_BOOLEAN */
    struct param **items;      /* AT_LIST elements; AT_STRUCTURE: one per member (NULL if absent) */
    size_t n_items;            /* AT_LIST: element count; AT_STRUCTURE: shape->n_members */
    struct param **map_keys;   /* AT_MAP */
} param;

/* Appends item to a list param, or key and item to a map param (key NULL for a list),
 * doubling its arrays in arena a when full; *cap is the arrays' current capacity (both
 * decoders start at 4). Shared by every protocol front-end that builds a param tree. */
void param_append(arena *a, param *p, size_t *cap, param *key, param *item);

/* Builds the parameter tree of `shape` from the form. MissingParameter for an absent
 * required member ("The request must contain the parameter X"), InvalidParameterValue
 * for a value that does not parse or is outside the model's enum or range. *out is never
 * NULL on success (an empty structure if nothing was sent). */
int query_decode(param **out, arena *a, const form *f, const api_shape *shape, rds_error *err);

/* The same for EC2's dialect of the query protocol (botocore's EC2Serializer): a member's
 * wire name is its queryName, else its locationName with a capital first letter, else its
 * name; every list is sent flattened (Prefix.N). Same tree, same checks. */
int query_decode_ec2(param **out, arena *a, const form *f, const api_shape *shape, rds_error *err);

/* Accessors on a structure param; name is the member's name in the model, the same
 * whatever the protocol (use the generated <SVC>_M_<Name> constants). NULL/false if absent. Asking for a name that is not a member
 * of the structure's shape is a programming error (assert). */
const param *param_get(const param *p, const char *name);
const char *param_str(const param *p, const char *name);
bool param_int(const param *p, const char *name, int64_t *out);
bool param_bool(const param *p, const char *name, bool *out);

#endif
