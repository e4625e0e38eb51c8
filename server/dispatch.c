/* dispatch.c: the request pipeline (see dispatch.h) and the one place errors are rendered. */
#include "dispatch.h"

#include "respcache.h"
#include "sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const action_def *dispatch_find_action(const char *name)
{
    size_t lo = 0, hi = dispatch_action_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, dispatch_actions[mid].name);
        if (c == 0)
            return &dispatch_actions[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

action_fn *dispatch_find_handler(const char *name)
{
    const action_def *a = dispatch_find_action(name);
    return a ? a->handler : NULL;
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

static void render_error(dispatch_response *out, const rds_error *err)
{
    rds_errcode code = err->code == RDS_OK ? RDS_E_INTERNAL_FAILURE : err->code;
    out->status = rds_error_http_status(code);
    snprintf(out->error_code, sizeof out->error_code, "%s", rds_error_code_str(code));
    out->body = xml_error_doc(rds_api.xml_namespace, rds_error_is_sender(code),
                              rds_error_code_str(code), err->message, out->request_id,
                              &out->body_len);
    out->content_type = "text/xml";
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

void dispatch_request(engine *e, arena *a, const dispatch_request_in *in, dispatch_response *out)
{
    memset(out, 0, sizeof *out);
    rds_uuid(out->request_id);
    out->action = "-";
    rds_error err;
    rds_error_clear(&err);
    form f;

    /* Form parameters come from the body (POST) and the query string (GET, presigned). */
    const char *src = in->body_len ? in->body : in->query;
    size_t src_len = in->body_len ? in->body_len : strlen(in->query ? in->query : "");
    if (query_form_parse(&f, a, src ? src : "", src_len, &err)) {
        render_error(out, &err);
        return;
    }
    /* JSON-protocol services (KMS, Secrets Manager, ...) are routed by X-Amz-Target;
     * none is offered yet, so they get the JSON protocol's unknown-operation error. */
    const char *target = in->header(in->header_ctx, "X-Amz-Target");
    if (target) {
        char safe[101];
        size_t k = 0;
        for (const char *p = target; *p && k < sizeof safe - 1; p++) /* echo only a safe subset */
            safe[k++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-') ? *p : '_';
        safe[k] = '\0';
        char msg[256];
        snprintf(msg, sizeof msg,
                 "{\"__type\":\"UnknownOperationException\",\"message\":\"rdslocal does not offer %s\"}", safe);
        out->status = 400;
        out->body = strdup(msg);
        out->body_len = strlen(msg);
        out->content_type = "application/x-amz-json-1.1";
        snprintf(out->error_code, sizeof out->error_code, "UnknownOperationException");
        return;
    }
    sigv4_auth auth;
    if (credential_scope(in, &f, &auth, &err)) {
        render_error(out, &err);
        return;
    }
    if (in->verify_secret) {
        sigv4_request sr = { .method = in->method, .path = in->path, .query = in->query,
                             .body = (const unsigned char *)in->body, .body_len = in->body_len,
                             .header = in->header, .header_ctx = in->header_ctx };
        if (sigv4_verify(&auth, &sr, in->verify_secret, &err)) {
            render_error(out, &err);
            return;
        }
    }
    if (strcmp(auth.service, rds_api.name) != 0) {
        rds_fail(&err, RDS_E_UNRECOGNIZED_CLIENT_EXCEPTION,
                 "The service '%s' is not offered by rdslocal.", auth.service);
        render_error(out, &err);
        return;
    }
    const char *action = query_form_get(&f, "Action");
    if (!action || !*action) {
        rds_fail(&err, RDS_E_MISSING_ACTION, "The request must contain the parameter Action");
        render_error(out, &err);
        return;
    }
    out->action = arena_strdup(a, action);
    const api_operation *op = api_find_operation(&rds_api, action);
    if (!op) {
        rds_fail(&err, RDS_E_INVALID_ACTION, "The action %.64s is not valid for this web service.", action);
        render_error(out, &err);
        return;
    }
    const char *version = query_form_get(&f, "Version");
    if (version && strcmp(version, rds_api.api_version) != 0) {
        rds_fail(&err, RDS_E_INVALID_ACTION, "The action %s is not valid for version %.32s.", action, version);
        render_error(out, &err);
        return;
    }
    const action_def *row = dispatch_find_action(op->name);
    action_fn *handler = row ? row->handler : NULL;
    if (!handler) {
        /* The operation exists in AWS; rdslocal does not implement it (README coverage). */
        rds_fail(&err, RDS_E_INVALID_ACTION,
                 "The action %s is not implemented by rdslocal yet.", op->name);
        render_error(out, &err);
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
                out->content_type = "text/xml";
                return;
            }
        }
        out->body = in->zero_copy ? NULL
                                  : respcache_get(key, gen, rds_now_ms(), out->request_id, &out->status,
                                                  &out->body_len, out->error_code, sizeof out->error_code);
        if (out->body) {
            out->content_type = "text/xml";
            return;
        }
    }
    param *params;
    req_ctx rq = { .er = { .e = e, .a = a, .region = arena_strdup(a, auth.region),
                           .valid_until_ms = INT64_MAX },
                   .request_id = out->request_id, .action = op->name, .op = op };
    xml_out *x = NULL;
    if (query_decode(&params, a, &f, op->input, &err)) {
        render_error(out, &err);
    } else {
        x = xml_begin(op->name, op->result_wrapper, rds_api.xml_namespace);
        if (handler(&rq, params, x, &err)) {
            xml_abort(x);
            render_error(out, &err);
        } else {
            out->body = xml_finish(x, out->request_id, &out->body_len);
            out->status = 200;
            out->content_type = "text/xml";
        }
    }
    /* Errors are cached too (DBInstanceNotFound), except internal ones. */
    if (key && out->status < 500)
        respcache_put(key, gen, rq.er.valid_until_ms, out->status, out->error_code, out->body,
                      out->body_len, out->request_id);
}

void dispatch_print_coverage(FILE *f)
{
    size_t done = 0;
    for (size_t i = 0; i < rds_api.n_ops; i++)
        done += dispatch_find_handler(rds_api.ops[i].name) != NULL;
    fprintf(f, "%zu of %zu RDS operations are implemented.\n\n", done, rds_api.n_ops);
    fprintf(f, "| Operation | Status |\n|---|---|\n");
    for (size_t i = 0; i < rds_api.n_ops; i++)
        fprintf(f, "| %s | %s |\n", rds_api.ops[i].name,
                dispatch_find_handler(rds_api.ops[i].name) ? "implemented" : "not implemented (InvalidAction)");
}
