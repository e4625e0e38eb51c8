/* http.h: the HTTP front door (libmicrohttpd). Collects each request's body (capped),
 * routes /_rdslocal/... to the admin API and everything else to dispatch_request, and
 * writes one access-log line per request. One thread per connection, so a slow create
 * never blocks other clients. */
#ifndef RDSLOCAL_HTTP_H
#define RDSLOCAL_HTTP_H

#include "rdslocal/engine.h"

typedef struct http_server http_server;

enum { HTTP_MAX_BODY_BYTES = 1024 * 1024 };

/* Listens on host:port (IPv4 literal or "localhost"). Fails with a clear message when the
 * port is taken. */
int http_start(http_server **out, const char *host, int port, engine *e, rds_error *err);
/* With a secret key set, every request's SigV4 signature is verified with it (any access
 * key id); without one (the default), signatures are parsed but not checked. The string is
 * borrowed for the server's lifetime. */
void http_set_verify_secret(http_server *h, const char *secret_key);
void http_stop(http_server *h); /* NULL ok; waits for in-flight requests */

#endif
