/* sigv4_internal.h: what sigv4_parse.c and sigv4.c share (module-private, sigv4__
 * names): spans of the request's text, the few string helpers both halves use, and the
 * messages AWS gives for a signature that does not match. */
#ifndef RDSLOCAL_SIGV4_INTERNAL_H
#define RDSLOCAL_SIGV4_INTERNAL_H

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"

/* A piece of a borrowed string (not NUL-terminated). */
typedef struct span { const char *p; size_t n; } span;

/* AWS's SignatureDoesNotMatch message for Query services (IAM, STS, RDS), and the hint
 * it adds for presigned (query-string) requests. */
extern const char sigv4__msg_mismatch[];
extern const char sigv4__msg_reexamine[];

bool sigv4__is_ws(int c);
/* p[0..n) without leading and trailing white space. */
span sigv4__trim(const char *p, size_t n);
/* Appends s with %XX escapes decoded ('+' stays '+': SigV4 clients encode a space as %20).
 * -1 on a '%' not followed by two hex digits. */
int sigv4__pct_decode(strbuf *out, const char *s, size_t n);
/* Finds key (compared after decoding) in a raw query string; its decoded value replaces
 * *val. 1 found, 0 absent, -1 bad escape. */
int sigv4__query_lookup(const char *query, const char *key, strbuf *val);
/* The request's signing time (X-Amz-Date, else Date) as "YYYYMMDDTHHMMSSZ", checked
 * against the 15-minute window and, for a presigned request, X-Amz-Expires. auth (may be
 * NULL) words the errors AWS's way for that request. */
int sigv4__request_time(char out[17], const sigv4_request *req, const sigv4_auth *auth,
                        rds_error *err);

#endif
