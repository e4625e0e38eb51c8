/* dispatch.c: the router, the request pipeline (see dispatch.h) and the one place errors
 * are rendered. */
#include "dispatch.h"

#include "proto.h"
#include "respcache.h"
#include "sigv4.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the action table, merged from the families ---- */

#define DISPATCH_FAMILY_ENTRY(id) extern const dispatch_family id##_family;
#include "rds/families.def"
#include "kms/families.def"
#include "secretsmanager/families.def"
#undef DISPATCH_FAMILY_ENTRY

static const dispatch_family *const families[] = {
#define DISPATCH_FAMILY_ENTRY(id) &id##_family,
#include "rds/families.def"
#include "kms/families.def"
#include "secretsmanager/families.def"
#undef DISPATCH_FAMILY_ENTRY
};

static const api_service *const services[] = { &rds_api, &kms_api, &secretsmanager_api };

static action_def *table;
static size_t table_n;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int row_cmp(const action_def *a, const char *service_id, const char *name)
{
    int c = strcmp(a->service->service_id, service_id);
    return c ? c : strcmp(a->name, name);
}

static int row_sort(const void *x, const void *y)
{
    const action_def *b = y;
    return row_cmp(x, b->service->service_id, b->name);
}

static void build_table(void)
{
    size_t n = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        n += families[f]->n_rows;
    table = calloc(n ? n : 1, sizeof *table);
    if (!table)
        abort();
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (size_t i = 0; i < families[f]->n_rows; i++)
            table[table_n++] = families[f]->rows[i];
    qsort(table, table_n, sizeof *table, row_sort);
    for (size_t i = 0; i < table_n; i++) {
        /* Every row names an operation of its service's model, with a handler, once. */
        if (!table[i].handler || !api_find_operation(table[i].service, table[i].name) ||
            (i > 0 && row_sort(&table[i - 1], &table[i]) == 0)) {
            fprintf(stderr, "rdslocal: bad action table row %s.%s\n", table[i].service->service_id,
                    table[i].name);
            abort();
        }
    }
}

const action_def *dispatch_table(size_t *n)
{
    pthread_once(&table_once, build_table);
    *n = table_n;
    return table;
}

const action_def *dispatch_find_action(const api_service *svc, const char *name)
{
    size_t n;
    const action_def *t = dispatch_table(&n);
    if (!svc || !name)
        return NULL;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = -row_cmp(&t[mid], svc->service_id, name);
        if (c == 0)
            return &t[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

action_fn *dispatch_find_handler(const api_service *svc, const char *name)
{
    const action_def *a = dispatch_find_action(svc, name);
    return a ? a->handler : NULL;
}

const api_service *const *dispatch_services(size_t *n)
{
    *n = sizeof services / sizeof services[0];
    return services;
}

const api_service *dispatch_service_by_target(const char *target, const char **op_name)
{
    const char *dot = target ? strrchr(target, '.') : NULL;
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        const char *pfx = services[i]->target_prefix;
        if (pfx && strlen(pfx) == (size_t)(dot - target) && strncmp(pfx, target, (size_t)(dot - target)) == 0) {
            *op_name = dot + 1;
            return services[i];
        }
    }
    return NULL;
}

const api_service *dispatch_service_by_signing_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof services / sizeof services[0]; i++)
        if (strcmp(services[i]->name, name) == 0)
            return services[i];
    return NULL;
}

/* True if the table has at least one row of svc: a known model is not yet a served one. */
static bool served(const api_service *svc)
{
    size_t n;
    const action_def *t = dispatch_table(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].service == svc)
            return true;
    return false;
}

/* Cache key of a cacheable request: region, then every form pair except the signing ones
 * (already sorted by key), each part length-prefixed so no value can forge a separator. */
static char *cache_key(arena *a, const char *region, const form *f)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "%zu:%s", strlen(region), region);
    for (size_t i = 0; i < f->n; i++) {
        if (strncmp(f->pairs[i].key, "X-Amz-", 6) == 0)
            continue;
        strbuf_printf(&b, "|%zu:%s=%zu:%s", strlen(f->pairs[i].key), f->pairs[i].key,
                      strlen(f->pairs[i].value), f->pairs[i].value);
    }
    char *k = arena_strdup(a, b.data);
    strbuf_free(&b);
    return k;
}

/* The one place errors are rendered: in the protocol of the front-end that owns the
 * request (fe NULL: before routing, as the query protocol of RDS). */
static void render_error(dispatch_response *out, const proto_frontend *fe, const api_service *svc,
                         const rds_error *err)
{
    rds_error e = *err;
    if (e.code == RDS_OK)
        e.code = RDS_E_INTERNAL_FAILURE;
    if (!fe) {
        fe = proto_frontend_for(AP_QUERY);
        svc = &rds_api;
    }
    e.code = fe->common_error(e.code);
    out->status = rds_error_http_status(e.code);
    snprintf(out->error_code, sizeof out->error_code, "%s", rds_error_code_str(e.code));
    out->body = fe->error(svc, &e, out->request_id, &out->body_len);
    out->content_type = fe->content_type(svc);
    out->error_type = fe->protocol == AP_JSON ? rds_error_code_str(e.code) : NULL;
}

/* Region and service from the request's SigV4 credential scope (header or presigned
 * query). Without one, AWS answers MissingAuthenticationToken. */
static int credential_scope(const dispatch_request_in *in, const form *f, sigv4_auth *auth,
                            rds_error *err)
{
    const char *h = in->header(in->header_ctx, "Authorization");
    if (h)
        return sigv4_parse_authorization(auth, h, err);
    const char *alg = query_form_get(f, "X-Amz-Algorithm");
    if (alg)
        return sigv4_parse_query(auth, alg, query_form_get(f, "X-Amz-Credential"),
                                 query_form_get(f, "X-Amz-SignedHeaders"),
                                 query_form_get(f, "X-Amz-Signature"), err);
    return rds_fail(err, RDS_E_MISSING_AUTHENTICATION_TOKEN, "Request is missing Authentication Token");
}

/* The JSON protocol's answer for an unknown (or unserved) target: AWS's
 * UnknownOperationException, echoing only a safe subset of the target. */
static void unknown_operation(dispatch_response *out, const char *target)
{
    char safe[101];
    size_t k = 0;
    for (const char *p = target; *p && k < sizeof safe - 1; p++)
        safe[k++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-') ? *p : '_';
    safe[k] = '\0';
    rds_error err;
    rds_fail(&err, RDS_E_JSON_UNKNOWN_OPERATION_EXCEPTION, "rdslocal does not offer %s", safe);
    render_error(out, proto_frontend_for(AP_JSON), NULL, &err);
}

/* SigV4: the credential scope must be there; with verify_secret the signature must match. */
static int authenticate(const dispatch_request_in *in, const form *f, sigv4_auth *auth, rds_error *err)
{
    if (credential_scope(in, f, auth, err))
        return -1;
    if (in->verify_secret) {
        sigv4_request sr = { .method = in->method, .path = in->path, .query = in->query,
                             .body = (const unsigned char *)in->body, .body_len = in->body_len,
                             .header = in->header, .header_ctx = in->header_ctx };
        if (sigv4_verify(auth, &sr, in->verify_secret, err))
            return -1;
    }
    return 0;
}

/* Decode, call the handler, encode: the part every protocol shares. */
static void run_handler(dispatch_response *out, const proto_frontend *fe, req_ctx *rq,
                        const action_def *row, const proto_input *pin)
{
    rds_error err;
    rds_error_clear(&err);
    param *params;
    if (fe->decode(&params, rq->er.a, pin, rq->op->input, &err)) {
        render_error(out, fe, rq->svc, &err);
        return;
    }
    assert(rq->er.a); /* everything a handler allocates lives in the request arena */
    res_out r = fe->begin(rq->svc, rq->op, out->request_id);
    if (row->handler(rq, params, &r, &err)) {
        fe->abort(&r);
        render_error(out, fe, rq->svc, &err);
        return;
    }
    assert(r.depth == 0); /* every res_struct/res_list of the handler was closed */
    out->body = fe->finish(&r, out->request_id, &out->body_len);
    out->status = 200;
    out->content_type = fe->content_type(rq->svc);
}

/* X-Amz-Target requests: JSON-protocol services (KMS, Secrets Manager, ...). */
static void serve_json(engine *e, arena *a, const dispatch_request_in *in, const char *target,
                       dispatch_response *out)
{
    const char *op_name = NULL;
    const api_service *svc = dispatch_service_by_target(target, &op_name);
    const proto_frontend *fe = svc ? proto_frontend_for(svc->protocol) : NULL;
    const api_operation *op = fe && fe->protocol == AP_JSON ? api_find_operation(svc, op_name) : NULL;
    const action_def *row = op ? dispatch_find_action(svc, op->name) : NULL;
    if (!row) {
        unknown_operation(out, target);
        return;
    }
    out->action = op->name;
    rds_error err;
    rds_error_clear(&err);
    form none = { NULL, 0 };
    sigv4_auth auth;
    if (authenticate(in, &none, &auth, &err)) {
        render_error(out, fe, svc, &err);
        return;
    }
    req_ctx rq = { .er = { .e = e, .a = a, .region = arena_strdup(a, auth.region),
                           .valid_until_ms = INT64_MAX },
                   .request_id = out->request_id, .action = op->name, .op = op, .svc = svc };
    proto_input pin = { .f = NULL, .body = in->body, .body_len = in->body_len };
    run_handler(out, fe, &rq, row, &pin);
}

void dispatch_request(engine *e, arena *a, const dispatch_request_in *in, dispatch_response *out)
{
    assert(e && a && in && in->header && out);
    memset(out, 0, sizeof *out);
    rds_uuid(out->request_id);
    out->action = "-";
    rds_error err;
    rds_error_clear(&err);

    /* Smithy RPC v2 CBOR (POST /service/<S>/operation/<Op>, smithy-protocol header): no
     * front-end yet (proto_frontend_for(AP_RPC_V2_CBOR) is NULL), so no service is served
     * over it; the answer is the unknown-operation error, written as JSON. */
    const char *smithy = in->header(in->header_ctx, "smithy-protocol");
    if (smithy && strcmp(smithy, "rpc-v2-cbor") == 0 && !proto_frontend_for(AP_RPC_V2_CBOR)) {
        unknown_operation(out, in->path ? in->path : "");
        return;
    }
    /* The router: an X-Amz-Target header names a JSON-protocol service and operation. */
    const char *target = in->header(in->header_ctx, "X-Amz-Target");
    if (target) {
        serve_json(e, a, in, target, out);
        return;
    }

    /* Else a query-protocol request: form parameters come from the body (POST) and the
     * query string (GET, presigned); the credential scope names the service. */
    form f;
    const char *src = in->body_len ? in->body : in->query;
    size_t src_len = in->body_len ? in->body_len : strlen(in->query ? in->query : "");
    if (query_form_parse(&f, a, src ? src : "", src_len, &err)) {
        render_error(out, NULL, NULL, &err);
        return;
    }
    sigv4_auth auth;
    if (authenticate(in, &f, &auth, &err)) {
        render_error(out, NULL, NULL, &err);
        return;
    }
    const api_service *svc = dispatch_service_by_signing_name(auth.service);
    const proto_frontend *fe = svc ? proto_frontend_for(svc->protocol) : NULL;
    if (!svc || !fe || (svc->protocol != AP_QUERY && svc->protocol != AP_EC2) || !served(svc)) {
        rds_fail(&err, RDS_E_UNRECOGNIZED_CLIENT_EXCEPTION,
                 "The service '%s' is not offered by rdslocal.", auth.service);
        render_error(out, NULL, NULL, &err);
        return;
    }
    const char *action = query_form_get(&f, "Action");
    if (!action || !*action) {
        rds_fail(&err, RDS_E_MISSING_ACTION, "The request must contain the parameter Action");
        render_error(out, fe, svc, &err);
        return;
    }
    out->action = arena_strdup(a, action);
    const api_operation *op = api_find_operation(svc, action);
    if (!op) {
        rds_fail(&err, RDS_E_INVALID_ACTION, "The action %.64s is not valid for this web service.", action);
        render_error(out, fe, svc, &err);
        return;
    }
    const char *version = query_form_get(&f, "Version");
    if (version && strcmp(version, svc->api_version) != 0) {
        rds_fail(&err, RDS_E_INVALID_ACTION, "The action %s is not valid for version %.32s.", action, version);
        render_error(out, fe, svc, &err);
        return;
    }
    const action_def *row = dispatch_find_action(svc, op->name);
    if (!row) {
        /* The operation exists in AWS; rdslocal does not implement it (README coverage). */
        rds_fail(&err, RDS_E_INVALID_ACTION,
                 "The action %s is not implemented by rdslocal yet.", op->name);
        render_error(out, fe, svc, &err);
        return;
    }
    /* Read-only actions: serve from the response cache while nothing changed. The
     * generation is read before the handler runs, so a write racing with it only makes
     * the stored entry stale, never wrong. */
    char *key = NULL;
    uint64_t gen = 0;
    if (row->flags & AF_CACHEABLE) {
        key = cache_key(a, auth.region, &f);
        gen = engine_generation(e);
        if (in->zero_copy) {
            out->cached = respcache_acquire(key, gen, rds_now_ms(), &out->status, &out->cached_prefix,
                                            &out->cached_prefix_len, &out->cached_suffix,
                                            &out->cached_suffix_len, out->error_code, sizeof out->error_code);
            if (out->cached) {
                out->content_type = fe->content_type(svc);
                return;
            }
        }
        out->body = in->zero_copy ? NULL
                                  : respcache_get(key, gen, rds_now_ms(), out->request_id, &out->status,
                                                  &out->body_len, out->error_code, sizeof out->error_code);
        if (out->body) {
            out->content_type = fe->content_type(svc);
            return;
        }
    }
    req_ctx rq = { .er = { .e = e, .a = a, .region = arena_strdup(a, auth.region),
                           .valid_until_ms = INT64_MAX },
                   .request_id = out->request_id, .action = op->name, .op = op, .svc = svc };
    proto_input pin = { .f = &f, .body = in->body, .body_len = in->body_len };
    run_handler(out, fe, &rq, row, &pin);
    /* Errors are cached too (DBInstanceNotFound), except internal ones. */
    if (key && out->status < 500)
        respcache_put(key, gen, rq.er.valid_until_ms, out->status, out->error_code, out->body,
                      out->body_len, out->request_id);
}

/* One service's table: a line per operation of its model. */
static void print_service_coverage(FILE *f, const api_service *svc, const char *label, const char *missing)
{
    size_t done = 0;
    for (size_t i = 0; i < svc->n_ops; i++)
        done += dispatch_find_handler(svc, svc->ops[i].name) != NULL;
    fprintf(f, "%zu of %zu %s operations are implemented.\n\n", done, svc->n_ops, label);
    fprintf(f, "| Operation | Status |\n|---|---|\n");
    for (size_t i = 0; i < svc->n_ops; i++)
        fprintf(f, "| %s | %s |\n", svc->ops[i].name,
                dispatch_find_handler(svc, svc->ops[i].name) ? "implemented" : missing);
}

void dispatch_print_coverage(FILE *f)
{
    print_service_coverage(f, &rds_api, "RDS", "not implemented (InvalidAction)");
    fprintf(f, "\n### KMS (same port, `X-Amz-Target: TrentService.*`)\n\n");
    print_service_coverage(f, &kms_api, "KMS", "not implemented (UnknownOperationException)");
    fprintf(f, "\n### Secrets Manager (same port, `X-Amz-Target: secretsmanager.*`)\n\n");
    print_service_coverage(f, &secretsmanager_api, "Secrets Manager", "not implemented (UnknownOperationException)");
}
