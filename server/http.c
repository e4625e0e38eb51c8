/* http.c: see http.h. Request life: the first access-handler call allocates a
 * per-request state (arena + body buffer); upload calls append to the body (refused past
 * HTTP_MAX_BODY_BYTES); the final call dispatches and queues the response; the
 * completion callback frees the state. */
#include "http.h"

#include "admin.h"
#include "dispatch.h"
#include "respcache.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_server {
    struct MHD_Daemon *d;
    engine *e;
    const char *verify_secret;
};

void http_set_verify_secret(http_server *h, const char *secret_key)
{
    h->verify_secret = secret_key;
}

typedef struct req_state {
    arena *a;
    strbuf body;
    bool too_large;
    int64_t started_ms;
} req_state;

static const char *header_lookup(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_body(struct MHD_Connection *c, int status, char *body, size_t len,
                                 const char *ctype, const char *request_id)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", ctype);
    if (request_id) {
        MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A cached answer sent without copying: the lent cache entry and this request's id. */
typedef struct lent_body {
    const respcache_entry *entry;
    char request_id[40];
} lent_body;

static void release_lent(void *cls)
{
    lent_body *lb = cls;
    respcache_release(lb->entry);
    free(lb);
}

static enum MHD_Result send_cached(struct MHD_Connection *c, const dispatch_response *out)
{
    lent_body *lb = malloc(sizeof *lb);
    if (!lb) {
        respcache_release(out->cached);
        return MHD_NO;
    }
    lb->entry = out->cached;
    snprintf(lb->request_id, sizeof lb->request_id, "%s", out->request_id);
    struct MHD_IoVec iov[3] = {
        { out->cached_prefix, out->cached_prefix_len },
        { lb->request_id, strlen(lb->request_id) },
        { out->cached_suffix, out->cached_suffix_len },
    };
    struct MHD_Response *r = MHD_create_response_from_iovec(iov, 3, release_lent, lb);
    if (!r) {
        release_lent(lb);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", out->content_type);
    MHD_add_response_header(r, "x-amzn-RequestId", lb->request_id);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)out->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Rebuilds the raw query string, one argument per call (libmicrohttpd hands us the
 * decoded arguments). */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    strbuf *q = cls;
    static const char hex[] = "0123456789ABCDEF";
    if (q->len)
        strbuf_puts(q, "&");
    for (int part = 0; part < 2; part++) {
        const char *s = part ? value : key;
        if (part)
            strbuf_puts(q, "=");
        for (; s && *s; s++) {
            unsigned char ch = (unsigned char)*s;
            if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '_' || ch == '.' || ch == '~') {
                strbuf_append(q, (const char *)&ch, 1);
            } else {
                char esc[3] = { '%', hex[ch >> 4], hex[ch & 15] };
                strbuf_append(q, esc, 3);
            }
        }
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    http_server *h = cls;
    req_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        st->a = arena_new();
        strbuf_init(&st->body);
        st->started_ms = rds_real_now_ms();
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_size) {
        if (st->body.len + *upload_size > HTTP_MAX_BODY_BYTES)
            st->too_large = true;
        else
            strbuf_append(&st->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    strbuf q;
    strbuf_init(&q);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    const char *query = q.data ? q.data : "";
    enum MHD_Result ret;
    int status;
    const char *action = "-", *code = "";
    char rid[40] = "-";
    if (strncmp(url, "/_rdslocal/", 11) == 0) {
        admin_response ar;
        admin_handle(h->e, method, url, query, st->body.data, st->body.len, &ar);
        status = ar.status;
        action = url;
        ret = send_body(c, ar.status, ar.body, ar.body_len, "application/json", NULL);
    } else if (st->too_large) {
        rds_uuid(rid);
        size_t len;
        char msg[96];
        snprintf(msg, sizeof msg, "Request body is larger than %d bytes", HTTP_MAX_BODY_BYTES);
        char *doc = xml_error_doc(rds_api.xml_namespace, true, "RequestEntityTooLarge", msg, rid, &len);
        status = 413;
        code = "RequestEntityTooLarge";
        ret = send_body(c, status, doc, len, "text/xml", rid);
    } else {
        dispatch_request_in in = { .method = method, .path = url, .query = query,
                                   .body = st->body.data ? st->body.data : "", .body_len = st->body.len,
                                   .header = header_lookup, .header_ctx = c,
                                   .verify_secret = h->verify_secret, .zero_copy = true };
        dispatch_response out;
        dispatch_request(h->e, st->a, &in, &out);
        status = out.status;
        action = out.action;
        snprintf(rid, sizeof rid, "%s", out.request_id);
        log_at(LOG_INFO, "api", "req=%s action=%s status=%d ms=%lld%s%s", rid, action, status,
               (long long)(rds_real_now_ms() - st->started_ms), out.error_code[0] ? " error=" : "",
               out.error_code);
        ret = out.cached ? send_cached(c, &out)
                         : send_body(c, status, out.body, out.body_len, out.content_type, out.request_id);
        strbuf_free(&q);
        return ret;
    }
    log_at(LOG_INFO, "api", "req=%s action=%s status=%d ms=%lld%s%s", rid, action, status,
           (long long)(rds_real_now_ms() - st->started_ms), code[0] ? " error=" : "", code);
    strbuf_free(&q);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_state *st = *con_cls;
    if (!st)
        return;
    arena_free(st->a);
    strbuf_free(&st->body);
    free(st);
    *con_cls = NULL;
}

int http_start(http_server **out, const char *host, int port, engine *e, rds_error *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "cannot listen on \"%s\": not an IPv4 address", host);
    http_server *h = calloc(1, sizeof *h);
    if (!h)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    h->e = e;
    h->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_ERROR_LOG,
                            (uint16_t)port, NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                            MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return rds_fail(err, RDS_E_INTERNAL_FAILURE,
                        "cannot listen on %s:%d (is the port already in use?)", host, port);
    }
    *out = h;
    return 0;
}

void http_stop(http_server *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
