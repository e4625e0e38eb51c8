/* dispatch.h: turns one HTTP request into one AWS response. Steps, in order (handlers
 * don't repeat them): the router picks the service (X-Amz-Target prefix, else the SigV4
 * credential scope's service) and with it the protocol front-end (proto.h); the
 * front-end names the operation, found in that service's generated model, and its
 * handler in the action table; it decodes and validates the parameters against the
 * input shape into the neutral param tree; the handler writes the neutral result
 * (result.h), which the front-end encodes (XML for query, JSON for json), or the error
 * in the protocol's own form. Runs on HTTP threads; no shared mutable state after the
 * table is built. */
#ifndef RDSLOCAL_DISPATCH_H
#define RDSLOCAL_DISPATCH_H

#include <stdio.h>

#include "api_model.h"
#include "generated/kms_model.h"
#include "generated/secretsmanager_model.h"
#include "generated/rds_model.h"
#include "query.h"
#include "rdslocal/engine.h"
#include "result.h"
#include "xmlout.h"

/* Per-request state handed to handlers. */
typedef struct req_ctx {
    engine_req er;            /* engine, arena, region */
    const char *request_id;
    const char *action;
    const api_operation *op;
    const api_service *svc;   /* the service whose model op belongs to */
} req_ctx;

/* A handler: params (already decoded by the protocol front-end and validated against the
 * input shape) -> one engine call -> the neutral result (result.h). Returns 0, or -1
 * with err set. Handlers never see the wire protocol. */
typedef int action_fn(req_ctx *rq, const param *in, res_out *out, rds_error *err);

/* Action flags.
 * AF_CACHEABLE: read-only and a pure function of (region, parameters, stored state, time
 * as reported through engine_req.valid_until_ms): its response may be served from the
 * response cache until the store generation changes. */
#define AF_CACHEABLE 0x1u

typedef struct action_def {
    const api_service *service; /* &rds_api, &kms_api, ... */
    const char *name;           /* operation name, exact case of the model */
    action_fn *handler;         /* never NULL: unimplemented operations have no row */
    unsigned flags;             /* AF_* */
} action_def;

/* One resource family's rows (server/<service>/<family>.c). A family file ends with
 *     static const action_def rows[] = { { &rds_api, "CreateDBInstance", act_..., 0 }, ... };
 *     DISPATCH_FAMILY(rds_db_instances, rows);
 * and its name is listed once in server/rds/families.def. */
typedef struct dispatch_family {
    const char *name;
    const action_def *rows;
    size_t n_rows;
} dispatch_family;
#define DISPATCH_FAMILY(id, rows_array) \
    extern const dispatch_family id##_family; \
    const dispatch_family id##_family = { #id, rows_array, sizeof rows_array / sizeof rows_array[0] }

/* The merged action table: every family's rows, sorted by (service_id, name). Built once,
 * on first use (any thread; pthread_once); aborts at start-up on a duplicate row. */
const action_def *dispatch_table(size_t *n);
/* The action row of an implemented operation of svc, or NULL if rdslocal doesn't
 * implement it. */
const action_def *dispatch_find_action(const api_service *svc, const char *name);
action_fn *dispatch_find_handler(const api_service *svc, const char *name);

/* Services whose models rdslocal knows (RDS, KMS, ...), and the router's two keys. A
 * service with no rows in the table is known but not served. */
const api_service *const *dispatch_services(size_t *n);
/* The service of an X-Amz-Target value "Prefix.Operation" (by the model's targetPrefix);
 * *op_name points into target after the last '.'. NULL if no known service has it. */
const api_service *dispatch_service_by_target(const char *target, const char **op_name);
/* The service whose SigV4 signing name is name, or NULL. */
const api_service *dispatch_service_by_signing_name(const char *name);

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
    const char *error_type;    /* JSON protocol errors: the x-amzn-ErrorType header value
                                * (static or arena-owned), NULL otherwise */
    /* With zero_copy, a cache hit comes back as a lent entry instead of body: the body is
     * cached_prefix + request_id + cached_suffix; release with respcache_release(cached). */
    const struct respcache_entry *cached;
    const char *cached_prefix, *cached_suffix;
    size_t cached_prefix_len, cached_suffix_len;
} dispatch_response;

/* Handles one request. Never fails: errors become ErrorResponse documents. */
void dispatch_request(engine *e, arena *a, const dispatch_request_in *in, dispatch_response *out);

/* Prints the README coverage table (markdown) of every RDS operation: one line per
 * operation of the model, its status taken from the action table. */
void dispatch_print_coverage(FILE *f);

#endif
