/* http.h: the HTTP front door (libmicrohttpd). Decides, from the request line and headers
 * alone, whether a request may reach rdslocal at all (Host, Origin, method, content type,
 * body size), answers CORS preflights, collects the body (capped), routes /_rdslocal/...
 * to the admin API and everything else to dispatch_request, and writes one access-log line
 * per request.
 *
 * Threads: libmicrohttpd runs a small pool of epoll threads that only do socket I/O, so
 * idle or slow connections cost no thread (tens of thousands can be open). Each complete
 * request is suspended and handed to a fixed pool of worker threads, which run the admin
 * API or dispatch_request (a create with a real engine blocks for 100 ms or more) and then
 * resume the connection to send the answer.
 *
 * Shutdown (http_stop): stop accepting, let every request that reached a worker finish and
 * send its answer, then close everything. Requests that arrive meanwhile on open
 * connections get 503 without being run, so nothing is done that is not answered. */
#ifndef RDSLOCAL_HTTP_H
#define RDSLOCAL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "rdslocal/engine.h"

typedef struct http_server http_server;

enum {
    HTTP_MAX_BODY_BYTES = 1024 * 1024,
    HTTP_IDLE_TIMEOUT_S = 30,      /* a connection silent this long is closed */
    HTTP_BODY_DEADLINE_S = 60,     /* a body still arriving this long after its headers: closed */
    HTTP_WORKERS = 32,             /* threads that run requests (admin API, dispatch) */
    HTTP_FD_RESERVE = 512,         /* descriptors kept for the store, logs and postgres spawns */
};

/* What http_start needs. Strings are borrowed for the server's lifetime. */
typedef struct http_options {
    const char *host;              /* IPv4 literal or "localhost" */
    int port;
    /* Comma-separated origins ("http://localhost:3000") whose pages may call rdslocal
     * (CORS); "*" allows any. NULL or "": none, so a request with an Origin header is
     * refused (403). */
    const char *allowed_origins;
    /* Comma-separated extra Host header values accepted besides the listen address,
     * "localhost" and "127.0.0.1" (each with the listen port). "name" matches "name" and
     * "name:<port>"; "name:port" matches exactly; "*" accepts any Host. */
    const char *allowed_hosts;
    const char *verify_secret;     /* if set, SigV4 signatures are verified with it */
    unsigned connection_limit;     /* 0: RLIMIT_NOFILE minus HTTP_FD_RESERVE */
    unsigned per_ip_limit;         /* 0: connection_limit minus 1/16 kept for other addresses */
} http_options;

/* Listens on opt->host:opt->port. Fails with a clear message when the port is taken. */
int http_start(http_server **out, const http_options *opt, engine *e, rds_error *err);
/* Graceful stop (see above); returns once every answered request was sent and the daemon
 * is gone. NULL ok. Called from main's thread only. */
void http_stop(http_server *h);
/* The limits in effect (for the start-up log line). */
void http_limits(const http_server *h, unsigned *connection_limit, unsigned *per_ip_limit);

/* ---- pure rules (http_rules.c), exported for tests --------------------------------- */

/* Copies src into dst[cap] for a log line: bytes below 0x21, 0x7f and above, '"' and '\\'
 * become \xNN, so a value can neither start a new line nor forge a key=value pair. The
 * result is truncated (and ends in "...") if it does not fit. NULL gives "-". */
void http_log_escape(char *dst, size_t cap, const char *src);

/* True if the Host header value host (NULL: absent, allowed) names this server: the listen
 * host, "localhost" or "127.0.0.1" with port (bare name too when port is 80), or an entry
 * of the comma-separated allowed list (see http_options.allowed_hosts). Case-insensitive. */
bool http_host_allowed(const char *host, const char *listen_host, int port, const char *allowed);

/* True if origin (an Origin header value) is an entry of the comma-separated allowed list
 * (exact, case-insensitive, a trailing '/' ignored), or the list is "*". */
bool http_origin_allowed(const char *origin, const char *allowed);

/* True if the Content-Type value ctype is the media type want, optionally followed by
 * parameters ("application/x-www-form-urlencoded; charset=utf-8"). Case-insensitive. */
bool http_media_type_is(const char *ctype, const char *want);

/* Appends to out the Access-Control-Allow-Headers value of a CORS preflight: the headers
 * AWS SDKs send (authorization, content-type, x-amz-date, ...), then each other x-amz-* /
 * amz-sdk-* name of requested (an Access-Control-Request-Headers value; NULL ok) that is
 * not already one of those.
 * Any other requested name is left out, so the browser refuses to send it. */
void http_preflight_allow_headers(strbuf *out, const char *requested);

#endif
