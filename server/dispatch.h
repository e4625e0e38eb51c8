/* dispatch.h: turns one HTTP request into one AWS response. Steps, in order (handlers
 * don't repeat them): decode the form, read the SigV4 credential scope (service, region),
 * find the operation in the generated model and its handler in the action table, decode
 * and validate parameters against the input shape, call the handler, render the XML
 * result or the ErrorResponse. Runs on HTTP threads; no shared mutable state. */
#ifndef RDSLOCAL_DISPATCH_H
#define RDSLOCAL_DISPATCH_H

#include <stdio.h>

#include "api_model.h"
#include "query.h"
#include "rdslocal/engine.h"
#include "xmlout.h"

/* Per-request state handed to handlers. */
typedef struct req_ctx {
    engine_req er;            /* engine, arena, region */
    const char *request_id;
    const char *action;
    const api_operation *op;
} req_ctx;

/* A handler: params (already validated against the input shape) → one engine call → XML. */
typedef int action_fn(req_ctx *rq, const param *in, xml_out *out, rds_error *err);

/* Action flags.
 * AF_CACHEABLE: read-only and a pure function of (region, parameters, stored state, time
 * as reported through engine_req.valid_until_ms): its response may be served from the
 * response cache until the store generation changes. */
#define AF_CACHEABLE 0x1u

typedef struct action_def {
    const char *name;      /* operation name; the table is sorted by strcmp */
    action_fn *handler;
    unsigned flags;        /* AF_* */
} action_def;

extern const action_def dispatch_actions[];
extern const size_t dispatch_action_count;
/* The action row of an implemented operation, or NULL if rdslocal doesn't implement it. */
const action_def *dispatch_find_action(const char *name);
action_fn *dispatch_find_handler(const char *name);

typedef const char *(*dispatch_header_fn)(void *ctx, const char *name);

typedef struct dispatch_request_in {
    const char *method;        /* "POST" / "GET" */
    const char *path;          /* "/" */
    const char *query;         /* raw query string ("" if none) */
    const char *body;          /* raw body (may contain NULs) */
    size_t body_len;
    dispatch_header_fn header; /* header lookup, case-insensitive name */
    void *header_ctx;
    const char *verify_secret; /* if set, SigV4 signatures are verified with this secret key */
    bool zero_copy;            /* a cache hit may be lent (dispatch_response.cached) */
} dispatch_request_in;

typedef struct dispatch_response {
    int status;
    char *body;                /* malloc'd; caller frees */
    size_t body_len;
    const char *content_type;
    char request_id[40];
    const char *action;        /* for the access log; static or arena-owned */
    char error_code[64];       /* "" on success */
    /* With zero_copy, a cache hit comes back as a lent entry instead of body: the body is
     * cached_prefix + request_id + cached_suffix; release with respcache_release(cached). */
    const struct respcache_entry *cached;
    const char *cached_prefix, *cached_suffix;
    size_t cached_prefix_len, cached_suffix_len;
} dispatch_response;

/* Handles one request. Never fails: errors become ErrorResponse documents. */
void dispatch_request(engine *e, arena *a, const dispatch_request_in *in, dispatch_response *out);

/* Prints the README coverage table (markdown) of every RDS operation. */
void dispatch_print_coverage(FILE *f);

#endif
