/* http.c: see http.h. Request life:
 * 1. first access-handler call (headers complete): allocate the per-request state
 *    (arena + body buffer);
 * 2. upload calls: append to the body (refused past HTTP_MAX_BODY_BYTES; a body still
 *    arriving HTTP_BODY_DEADLINE_S after its headers closes the connection);
 * 3. final call: the checks that need no engine (Host, Origin, CORS preflight, method,
 *    content type, size) may answer at once; otherwise the connection is suspended and the
 *    request queued for a worker;
 * 4. the worker runs the admin API or dispatch_request, stores the answer and resumes the
 *    connection; libmicrohttpd calls the handler again and the answer is queued;
 * 5. the completion callback (answer sent, or connection gone) frees the state and, for a
 *    request that reached a worker, ends its "in flight" count.
 * Which threads: libmicrohttpd's epoll threads run steps 1-3 and 5; workers run step 4. */
#include "http.h"

#include "admin.h"
#include "dispatch.h"
#include "respcache.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- server and request state --------------------------------------------------------- */

typedef struct req_state req_state;

struct http_server {
    struct MHD_Daemon *d;
    engine *e;
    http_options opt;
    unsigned conn_limit, per_ip_limit;
    pthread_mutex_t mu;            /* guards everything below */
    pthread_cond_t job_cv;         /* a job was queued, or workers must exit */
    pthread_cond_t idle_cv;        /* inflight dropped to 0 */
    req_state *q_head, *q_tail;    /* jobs waiting for a worker */
    bool closing;                  /* http_stop started: no new request reaches a worker */
    bool workers_exit;
    unsigned inflight;             /* requests handed to a worker and not yet completed */
    pthread_t workers[HTTP_WORKERS];
    int n_workers;
};

enum req_phase { RQ_RECEIVING, RQ_QUEUED, RQ_ANSWERED };

struct req_state {
    http_server *h;
    struct MHD_Connection *c;
    arena *a;
    strbuf body;
    bool too_large;
    bool counted;                  /* included in h->inflight */
    bool sent;                     /* the answer was handed to libmicrohttpd */
    enum req_phase phase;
    int64_t started_ms;            /* headers complete (real clock) */
    const char *method, *url;      /* libmicrohttpd's, valid for the request's life */
    char *query;                   /* raw query string rebuilt from the arguments (arena) */
    const char *origin;            /* allowed Origin to echo in CORS headers, or NULL */
    bool is_admin;
    admin_response ar;             /* answer of an admin call */
    dispatch_response out;         /* answer of an API call */
    req_state *next;               /* job queue link */
};

static const char *header_lookup(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* ---- sending ------------------------------------------------------------------------- */

static void add_cors(struct MHD_Response *r, const req_state *st)
{
    if (!st || !st->origin)
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Origin", st->origin);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "x-amzn-RequestId");
    MHD_add_response_header(r, "Vary", "Origin");
}

/* error_type: the JSON protocol's x-amzn-ErrorType header value (NULL: none). */
static enum MHD_Result send_body(struct MHD_Connection *c, const req_state *st, int status,
                                 char *body, size_t len, const char *ctype, const char *request_id,
                                 const char *error_type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    if (request_id)
        MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    if (error_type)
        MHD_add_response_header(r, "x-amzn-ErrorType", error_type);
    if (status == 405)
        MHD_add_response_header(r, "Allow", "GET, POST");
    if (status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    add_cors(r, st);
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

static enum MHD_Result send_cached(struct MHD_Connection *c, const req_state *st,
                                   const dispatch_response *out)
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
    add_cors(r, st);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)out->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The request's one access-log line; every value escaped (no log injection). */
static void access_log(const req_state *st, const char *rid, const char *action, int status,
                       const char *code)
{
    char a[160], e[96], m[40];
    http_log_escape(a, sizeof a, action);
    http_log_escape(e, sizeof e, code);
    http_log_escape(m, sizeof m, st->method);
    log_at(LOG_INFO, "api", "req=%s action=%s status=%d ms=%lld%s%s%s%s", rid, a, status,
           (long long)(rds_real_now_ms() - st->started_ms), code && code[0] ? " error=" : "",
           code && code[0] ? e : "", strcmp(st->method, "POST") ? " method=" : "",
           strcmp(st->method, "POST") ? m : "");
}

/* Printable ASCII copy of an untrusted value for an error message. */
static void printable(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; src && *src && n + 1 < cap; src++)
        dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[n] = '\0';
}

/* An answer decided in this file: an AWS ErrorResponse (or a JSON error for admin paths
 * and JSON-protocol requests), logged and queued. */
static enum MHD_Result refuse(req_state *st, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum MHD_Result refuse(req_state *st, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char rid[40];
    rds_uuid(rid);
    char *doc;
    size_t len;
    const char *ctype;
    bool json_target = MHD_lookup_connection_value(st->c, MHD_HEADER_KIND, "X-Amz-Target") != NULL;
    if (st->is_admin || json_target) {
        strbuf b;
        strbuf_init(&b);
        /* msg holds printable ASCII only (callers pass values through printable()); quotes
         * and backslashes still need escaping for JSON. */
        strbuf_puts(&b, st->is_admin ? "{\"error\": \"" : "{\"__type\": \"");
        if (!st->is_admin) {
            strbuf_puts(&b, code);
            strbuf_puts(&b, "\", \"message\": \"");
        }
        for (const char *p = msg; *p; p++) {
            if (*p == '"' || *p == '\\')
                strbuf_append(&b, "\\", 1);
            strbuf_append(&b, p, 1);
        }
        strbuf_puts(&b, "\"}\n");
        doc = b.data;
        len = b.len;
        ctype = st->is_admin ? "application/json" : "application/x-amz-json-1.1";
    } else {
        doc = xml_error_doc(rds_api.xml_namespace, status < 500, code, msg, rid, &len);
        ctype = "text/xml";
    }
    access_log(st, rid, st->is_admin ? st->url : "-", status, code);
    return send_body(st->c, st, status, doc, len, ctype, st->is_admin ? NULL : rid, NULL);
}

/* ---- the query string ------------------------------------------------------------------ */

/* libmicrohttpd's unescape step, turned off: the URL path and the query arguments reach us
 * exactly as sent. Its own decoding would end a value at a %00 (a C string), so
 * "Action=DescribeDBInstances%00Junk" would run DescribeDBInstances; the form decoder in
 * query.c decodes instead, and refuses a NUL. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* Rebuilds the raw query string from the still-escaped arguments, in their order. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    strbuf *q = cls;
    if (q->len)
        strbuf_puts(q, "&");
    strbuf_puts(q, key);
    if (value) {
        strbuf_puts(q, "=");
        strbuf_puts(q, value);
    }
    return MHD_YES;
}

/* ---- workers ------------------------------------------------------------------------- */

/* Runs one request (a worker thread; the connection is suspended meanwhile). */
static void run_request(req_state *st)
{
    http_server *h = st->h;
    if (st->is_admin) {
        admin_handle(h->e, st->method, st->url, st->query, st->body.data, st->body.len, &st->ar);
        return;
    }
    dispatch_request_in in = { .method = st->method, .path = st->url, .query = st->query,
                               .body = st->body.data ? st->body.data : "", .body_len = st->body.len,
                               .header = header_lookup, .header_ctx = st->c,
                               .verify_secret = h->opt.verify_secret, .zero_copy = true };
    dispatch_request(h->e, st->a, &in, &st->out);
}

static void *worker_main(void *arg)
{
    http_server *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->q_head && !h->workers_exit)
            pthread_cond_wait(&h->job_cv, &h->mu);
        if (!h->q_head)
            break;
        req_state *st = h->q_head;
        h->q_head = st->next;
        if (!h->q_head)
            h->q_tail = NULL;
        pthread_mutex_unlock(&h->mu);
        run_request(st);
        st->phase = RQ_ANSWERED;
        MHD_resume_connection(st->c); /* the handler runs again and queues the answer */
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Queues the answer a worker (or run_request inline) left in st. */
static enum MHD_Result send_answer(req_state *st)
{
    st->sent = true;
    if (st->is_admin) {
        access_log(st, "-", st->url, st->ar.status, "");
        return send_body(st->c, st, st->ar.status, st->ar.body, st->ar.body_len,
                         st->ar.content_type ? st->ar.content_type : "application/json", NULL, NULL);
    }
    dispatch_response *out = &st->out;
    access_log(st, out->request_id, out->action, out->status, out->error_code);
    return out->cached ? send_cached(st->c, st, out)
                       : send_body(st->c, st, out->status, out->body, out->body_len, out->content_type,
                                   out->request_id, out->error_type);
}

/* The raw value of "Action" in a form (body or query string), or NULL; *n its length. */
static const char *peek_action(const char *text, size_t len, size_t *n)
{
    for (size_t i = 0; i + 7 <= len; i++) {
        if ((i == 0 || text[i - 1] == '&') && memcmp(text + i, "Action=", 7) == 0) {
            const char *v = text + i + 7;
            const char *end = memchr(v, '&', len - i - 7);
            *n = end ? (size_t)(end - v) : len - i - 7;
            return v;
        }
    }
    return NULL;
}

/* Requests that only read (Describe*, List*, the admin GETs) run at once on the I/O thread:
 * they take microseconds, and the hop to a worker and back would cost more than the work.
 * Anything that may wait on the engine (creates, deletes, reset) goes to a worker, so an
 * I/O thread never blocks on a postgres start. A wrong guess only costs latency: the
 * dispatcher parses the request again and decides everything. */
static bool runs_inline(const req_state *st)
{
    if (st->is_admin)
        return strcmp(st->method, "GET") == 0;
    size_t n = 0;
    const char *a = st->body.len ? peek_action(st->body.data, st->body.len, &n)
                                 : peek_action(st->query, strlen(st->query), &n);
    return a && ((n > 8 && memcmp(a, "Describe", 8) == 0) || (n > 4 && memcmp(a, "List", 4) == 0));
}

/* ---- the access handler ------------------------------------------------------------------ */

/* Answers a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method). */
static enum MHD_Result preflight(req_state *st, const char *origin)
{
    if (!http_origin_allowed(origin, st->h->opt.allowed_origins)) {
        char o[128];
        printable(o, sizeof o, origin);
        return refuse(st, 403, "AccessDenied",
                      "Origin '%s' is not allowed to call rdslocal (see --allowed-origins)", o);
    }
    const char *want = MHD_lookup_connection_value(st->c, MHD_HEADER_KIND,
                                                   "Access-Control-Request-Headers");
    strbuf allow;
    strbuf_init(&allow);
    http_preflight_allow_headers(&allow, want);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST");
    MHD_add_response_header(r, "Access-Control-Allow-Headers", allow.data);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "x-amzn-RequestId");
    MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    MHD_add_response_header(r, "Vary", "Origin");
    strbuf_free(&allow);
    access_log(st, "-", "preflight", 204, "");
    enum MHD_Result ret = MHD_queue_response(st->c, 204, r);
    MHD_destroy_response(r);
    return ret;
}

/* The checks that need no engine. Returns true if the request was answered (refused). */
static bool screen(req_state *st, enum MHD_Result *ret)
{
    http_server *h = st->h;
    struct MHD_Connection *c = st->c;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char tmp[160];
    /* DNS rebinding: a page of evil.example resolved to 127.0.0.1 still sends its own Host. */
    if (!http_host_allowed(host, h->opt.host, h->opt.port, h->opt.allowed_hosts)) {
        printable(tmp, sizeof tmp, host);
        *ret = refuse(st, 403, "AccessDenied",
                      "Host '%s' is not an address of this rdslocal (see --allowed-hosts)", tmp);
        return true;
    }
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (origin && strcmp(st->method, "OPTIONS") == 0 &&
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method")) {
        *ret = preflight(st, origin);
        return true;
    }
    /* A page of another origin is refused whatever it sends (CORS "simple" requests are
     * not preflighted, so only the server can stop them). */
    if (origin) {
        if (!http_origin_allowed(origin, h->opt.allowed_origins)) {
            printable(tmp, sizeof tmp, origin);
            *ret = refuse(st, 403, "AccessDenied",
                          "Origin '%s' is not allowed to call rdslocal (see --allowed-origins)", tmp);
            return true;
        }
        st->origin = origin;
    }
    const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (st->is_admin) {
        if (strcmp(st->method, "POST") == 0 && !http_media_type_is(ctype, "application/json")) {
            *ret = refuse(st, 415, "UnsupportedMediaType",
                          "admin POSTs take Content-Type: application/json");
            return true;
        }
        return false;
    }
    bool is_get = strcmp(st->method, "GET") == 0, is_post = strcmp(st->method, "POST") == 0;
    if (!is_get && !is_post) {
        printable(tmp, sizeof tmp, st->method);
        *ret = refuse(st, 405, "MethodNotAllowed",
                      "The HTTP method %s is not allowed; the RDS Query API takes GET or POST", tmp);
        return true;
    }
    if (st->too_large) {
        *ret = refuse(st, 413, "RequestEntityTooLarge", "Request body is larger than %d bytes",
                      HTTP_MAX_BODY_BYTES);
        return true;
    }
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Target")) {
        /* JSON protocol (KMS, Secrets Manager, ...): POST of application/x-amz-json-1.x. */
        if (!is_post || !(http_media_type_is(ctype, "application/x-amz-json-1.0") ||
                          http_media_type_is(ctype, "application/x-amz-json-1.1"))) {
            printable(tmp, sizeof tmp, ctype ? ctype : "(none)");
            *ret = refuse(st, 415, "UnsupportedMediaTypeException",
                          "A request with X-Amz-Target is a POST of application/x-amz-json-1.0 "
                          "or 1.1, not %s %s", st->method, tmp);
            return true;
        }
        return false;
    }
    /* Query protocol: a form body, or parameters in the query string. */
    if (st->body.len && !http_media_type_is(ctype, "application/x-www-form-urlencoded")) {
        printable(tmp, sizeof tmp, ctype ? ctype : "(none)");
        *ret = refuse(st, 415, "UnsupportedMediaType",
                      "The request body must be application/x-www-form-urlencoded, not %s", tmp);
        return true;
    }
    return false;
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
        st->h = h;
        st->c = c;
        st->a = arena_new();
        strbuf_init(&st->body);
        st->started_ms = rds_real_now_ms();
        st->method = method;
        st->url = url;
        st->is_admin = strncmp(url, "/_rdslocal/", 11) == 0;
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_size) {
        if (rds_real_now_ms() - st->started_ms > HTTP_BODY_DEADLINE_S * 1000LL) {
            /* A body trickle: close the connection. */
            log_at(LOG_INFO, "http", "closing a connection whose body is still arriving after %d s",
                   HTTP_BODY_DEADLINE_S);
            return MHD_NO;
        }
        if (st->body.len + *upload_size > HTTP_MAX_BODY_BYTES)
            st->too_large = true;
        else
            strbuf_append(&st->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->phase == RQ_ANSWERED)
        return send_answer(st);
    if (st->phase == RQ_QUEUED)
        return MHD_YES; /* cannot happen: a suspended connection is not called */
    enum MHD_Result ret;
    if (screen(st, &ret))
        return ret;
    strbuf q;
    strbuf_init(&q);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    st->query = arena_strdup(st->a, q.data ? q.data : "");
    strbuf_free(&q);

    pthread_mutex_lock(&h->mu);
    if (h->closing) {
        pthread_mutex_unlock(&h->mu);
        return refuse(st, 503, "ServiceUnavailable", "rdslocal is shutting down");
    }
    h->inflight++;
    st->counted = true;
    if (runs_inline(st)) {
        pthread_mutex_unlock(&h->mu);
        run_request(st);
        st->phase = RQ_ANSWERED;
        return send_answer(st);
    }
    st->phase = RQ_QUEUED;
    MHD_suspend_connection(c);
    if (h->q_tail)
        h->q_tail->next = st;
    else
        h->q_head = st;
    h->q_tail = st;
    pthread_cond_signal(&h->job_cv);
    pthread_mutex_unlock(&h->mu);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    http_server *h = cls;
    req_state *st = *con_cls;
    if (!st)
        return;
    if (st->phase == RQ_ANSWERED && !st->sent) {
        /* Answered but never queued (the connection went away first): the answer is still
         * ours. Once queued, the response owns it. */
        if (st->is_admin)
            free(st->ar.body);
        else if (st->out.cached)
            respcache_release(st->out.cached);
        else
            free(st->out.body);
    }
    if (st->counted) {
        pthread_mutex_lock(&h->mu);
        if (--h->inflight == 0)
            pthread_cond_broadcast(&h->idle_cv);
        pthread_mutex_unlock(&h->mu);
    }
    arena_free(st->a);
    strbuf_free(&st->body);
    free(st);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages (malformed requests it answers itself, accept errors)
 * become our log lines, control characters escaped like every logged value. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512], esc[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && k + 5 < sizeof esc; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            k += (size_t)snprintf(esc + k, sizeof esc - k, "\\x%02x", *p);
        else
            esc[k++] = (char)*p;
    }
    esc[k] = '\0';
    log_at(LOG_INFO, "http", "%s", esc);
}

/* ---- start and stop ----------------------------------------------------------------- */

static unsigned default_conn_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 10000;
    if (rl.rlim_cur <= HTTP_FD_RESERVE + 64)
        return 64;
    rlim_t n = rl.rlim_cur - HTTP_FD_RESERVE;
    return n > 1000000 ? 1000000 : (unsigned)n;
}

int http_start(http_server **out, const http_options *opt, engine *e, rds_error *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)opt->port);
    const char *ip = strcmp(opt->host, "localhost") == 0 ? "127.0.0.1" : opt->host;
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "cannot listen on \"%s\": not an IPv4 address", opt->host);
    http_server *h = calloc(1, sizeof *h);
    if (!h)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    h->e = e;
    h->opt = *opt;
    h->conn_limit = opt->connection_limit ? opt->connection_limit : default_conn_limit();
    /* On loopback every local client is 127.0.0.1, so the per-address limit can only keep
     * a reserve for other addresses (when listening beyond loopback); the idle timeout is
     * what frees connections a client holds without using them. */
    h->per_ip_limit = opt->per_ip_limit ? opt->per_ip_limit : h->conn_limit - h->conn_limit / 16;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->job_cv, NULL);
    pthread_cond_init(&h->idle_cv, NULL);
    for (int i = 0; i < HTTP_WORKERS; i++) {
        if (pthread_create(&h->workers[i], NULL, worker_main, h) != 0)
            break;
        h->n_workers++;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* Two I/O threads per CPU: a preempted I/O thread stalls only its share of the
     * connections, and reads (run on these threads) keep both CPUs busy. */
    unsigned pool = ncpu < 2 ? 4 : ncpu > 8 ? 16 : 2 * (unsigned)ncpu;
    if (h->n_workers > 0)
        h->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                                (uint16_t)opt->port, NULL, NULL, on_request, h,
                                MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, h, /* first: see its doc */
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                                MHD_OPTION_THREAD_POOL_SIZE, pool,
                                MHD_OPTION_CONNECTION_LIMIT, h->conn_limit,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->per_ip_limit,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
                                MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
                                MHD_OPTION_END);
    if (!h->d) {
        pthread_mutex_lock(&h->mu);
        h->workers_exit = true;
        pthread_cond_broadcast(&h->job_cv);
        pthread_mutex_unlock(&h->mu);
        for (int i = 0; i < h->n_workers; i++)
            pthread_join(h->workers[i], NULL);
        free(h);
        return rds_fail(err, RDS_E_INTERNAL_FAILURE,
                        "cannot listen on %s:%d (is the port already in use?)", opt->host, opt->port);
    }
    *out = h;
    return 0;
}

void http_limits(const http_server *h, unsigned *connection_limit, unsigned *per_ip_limit)
{
    *connection_limit = h->conn_limit;
    *per_ip_limit = h->per_ip_limit;
}

void http_stop(http_server *h)
{
    if (!h)
        return;
    /* 1. No new connections. */
    MHD_socket ls = MHD_quiesce_daemon(h->d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    /* 2. No new request reaches a worker; wait until every one that did has been answered
     *    (its completion callback ran). Engine calls are short; a real create takes well
     *    under a minute, so the deadline is only a guard against a wedged engine. */
    pthread_mutex_lock(&h->mu);
    h->closing = true;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 300;
    while (h->inflight > 0) {
        if (pthread_cond_timedwait(&h->idle_cv, &h->mu, &deadline) == ETIMEDOUT) {
            log_at(LOG_WARN, "http", "stopping with %u requests still running", h->inflight);
            break;
        }
    }
    bool drained = h->inflight == 0;
    pthread_mutex_unlock(&h->mu);
    /* 3. Close the remaining (idle) connections. With requests still suspended after the
     *    deadline, libmicrohttpd cannot be stopped safely: leave it to process exit. */
    if (drained)
        MHD_stop_daemon(h->d);
    pthread_mutex_lock(&h->mu);
    h->workers_exit = true;
    pthread_cond_broadcast(&h->job_cv);
    pthread_mutex_unlock(&h->mu);
    if (drained) {
        for (int i = 0; i < h->n_workers; i++)
            pthread_join(h->workers[i], NULL);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->job_cv);
        pthread_cond_destroy(&h->idle_cv);
        free(h);
    }
}
