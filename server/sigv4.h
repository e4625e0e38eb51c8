/* sigv4.h: AWS Signature Version 4 for incoming requests: parse the Authorization header
 * (or the presigned X-Amz-* query parameters), rebuild the canonical request, and check
 * the signature against a secret key. Pure functions over strings: no HTTP library, no
 * I/O, no global state; headers are read through a callback so the caller's HTTP library
 * stays out of this module. May call base and OpenSSL (libcrypto). Any thread may call any
 * function here at any time.
 *
 * What this module does NOT decide, and leaves to the caller (dispatch):
 * - which access keys exist and their secrets (unknown key: InvalidClientTokenId);
 * - which services and regions are served (auth->service, auth->region are just parsed);
 * (Clock skew and presigned-URL expiry ARE checked here, against the caller's "now".)
 *
 * Error wording copies AWS's where it is on record (responses recorded from AWS's SigV4
 * front end: "Authorization header requires 'Credential' parameter. ... Authorization=...",
 * "Credential must have exactly 5 slash-delimited elements, ...", "Unsupported AWS
 * 'algorithm': ...", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version
 * of date from HTTP: ...", and the SignatureDoesNotMatch message). */
#ifndef RDSLOCAL_SIGV4_H
#define RDSLOCAL_SIGV4_H

#include <stddef.h>

#include "rdslocal/base.h"

/* The parsed credential scope and signature of one request. Every string is
 * NUL-terminated; the sizes are limits, checked by the parsers. */
typedef struct sigv4_auth {
    char access_key[128];       /* "AKIDEXAMPLE" */
    char date[9];               /* yyyymmdd from the credential scope */
    char region[32];            /* "us-east-1" */
    char service[32];           /* "rds", "kms", ... */
    char signed_headers[512];   /* as sent: "content-type;host;x-amz-date" */
    char signature[65];         /* as sent; a valid one is 64 lower-case hex digits */
} sigv4_auth;

/* Parses an Authorization header "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/rds/
 * aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>" into *out. Components may
 * come in any order, with or without spaces after the commas; unknown components are
 * ignored. Checks only what the header alone shows; sigv4_verify checks the rest.
 * Errors (err filled, -1 returned, *out unspecified):
 * - IncompleteSignature: another algorithm ("Unsupported AWS 'algorithm': ..."); a
 *   component without '='; Credential, SignedHeaders or Signature missing or empty (all
 *   missing ones are listed, then "Authorization=<header>", as AWS does); a Credential
 *   without exactly 5 '/'-separated parts; SignedHeaders longer than 511 bytes.
 * - SignatureDoesNotMatch: a scope whose terminator is not "aws4_request", whose date is
 *   not 8 digits, or whose region/service is empty, too long or not [a-z0-9-]; a Signature
 *   longer than 64 characters (it cannot match).
 * - InvalidClientTokenId: an empty or over-long (> 127 bytes) access key.
 * header is borrowed for the call. */
int sigv4_parse_authorization(sigv4_auth *out, const char *header, rds_error *err);

/* The same from presigned query parameters (already percent-decoded, e.g. by
 * query_form_get): X-Amz-Algorithm, X-Amz-Credential, X-Amz-SignedHeaders,
 * X-Amz-Signature. Any may be NULL (absent). Missing ones give IncompleteSignature "AWS
 * query-string parameters must include 'X-Amz-Credential'. Re-examine the query-string
 * parameters."; the other errors are those of sigv4_parse_authorization. X-Amz-Date is
 * read from the raw query by sigv4_verify. */
int sigv4_parse_query(sigv4_auth *out, const char *algorithm, const char *credential,
                      const char *signed_headers, const char *signature, rds_error *err);

/* Looks up a request header by its lower-case name ("host", "x-amz-date"). Returns the
 * value (borrowed; must live until the sigv4 call returns) or NULL if absent. For a
 * repeated header, return the values joined by "," (SigV4 signs them that way). */
typedef const char *(*sigv4_header_fn)(void *ctx, const char *lower_name);

/* The request pieces that are signed. Everything is borrowed for the call. */
typedef struct sigv4_request {
    const char *method;         /* "POST" */
    const char *path;           /* the raw URI path as sent on the wire, NOT percent-decoded: "/" */
    const char *query;          /* the raw query string without '?', not decoded; "" or NULL if none */
    const unsigned char *body;  /* may be NULL when body_len is 0 */
    size_t body_len;            /* bytes */
    sigv4_header_fn header;
    void *header_ctx;
    /* The server's wall clock (UTC ms) for the skew and expiry checks; 0: read it
     * (rds_real_now_ms). Tests pass a fixed instant so recorded vectors stay valid. */
    int64_t now_ms;
} sigv4_request;

/* Recomputes the signature of req under auth's scope with secret_key and compares it with
 * auth->signature in constant time. 0 if they match. auth comes from one of the parsers.
 * Presigned requests (the query has X-Amz-Signature) take the signed time from the
 * X-Amz-Date query parameter; others from the x-amz-date header, else the Date header
 * (RFC 1123 or ISO 8601 basic).
 * Errors, in AWS's order of checks:
 * - IncompleteSignature: no signed time ("Authorization header requires existence of either
 *   a 'X-Amz-Date' or a 'Date' header. Authorization=..."; for presigned "AWS query-string
 *   parameters must include 'X-Amz-Date'. ..."), or a malformed one ("Date must be in
 *   ISO-8601 'basic format'. Got '...'. ...").
 * - SignatureDoesNotMatch (403): host not among the signed headers; the scope date is not
 *   the date of the signed time; the signature differs (AWS's message; err->detail holds
 *   the key id, signed time and hash of the canonical request we computed, for the log).
 * - MalformedQueryString: a bad %-escape in the query string.
 * - then, for a matching signature, the time checks of sigv4_check_time (X-Amz-Expires of
 *   a presigned request included).
 * The signing key is wiped before returning. secret_key is borrowed. */
int sigv4_verify(const sigv4_auth *auth, const sigv4_request *req, const char *secret_key,
                 rds_error *err);

/* The signed time of req as ISO 8601 basic "20261127T183000Z" (see sigv4_verify for where
 * it comes from), so the caller can check clock skew and presigned expiry against its own
 * clock. Errors: IncompleteSignature as in sigv4_verify, without the "Authorization=..."
 * echo; MalformedQueryString for a bad %-escape in the query. */
int sigv4_request_time(char out[17], const sigv4_request *req, rds_error *err);

/* AWS's clock rules for a signed time when (ISO 8601 basic) at now_ms:
 * - more than 15 minutes in the future: SignatureDoesNotMatch (403) "Signature not yet
 *   current: <when> is still later than <now+15min> (<now> + 15 min.)";
 * - presigned (expires_s >= 0, from X-Amz-Expires): past when + expires_s: AccessDenied
 *   (403) "Request has expired";
 * - otherwise (expires_s < 0) more than 15 minutes in the past: SignatureDoesNotMatch
 *   "Signature expired: <when> is now earlier than <now-15min> (<now> - 15 min.)".
 * The wording is AWS's, as its Query services (STS, SNS, RDS) answer. 0 if within. */
int sigv4_check_time(const char *when, int64_t expires_s, int64_t now_ms, rds_error *err);

/* "20261127T183000Z" to UTC ms. -1 if not ISO 8601 basic. */
int sigv4_parse_time(int64_t *out_ms, const char *iso_basic);

/* ---- lower-level pieces, exported for tests ------------------------------------------- */

/* Lower-case hex SHA-256 of data[0..n) into out (64 digits + NUL). */
void sigv4_hex_sha256(char out[65], const void *data, size_t n);

/* Replaces the contents of *out (an initialised strbuf) with the SigV4 canonical request:
 *   METHOD \n canonical URI \n canonical query \n canonical headers \n signed headers \n
 *   payload hash
 * - URI: the raw path with dot segments and repeated '/' removed, then each byte outside
 *   A-Za-z0-9-._~ and '/' percent-encoded once more (non-S3 rule: the path AWS sees is
 *   already encoded once; botocore does the same). Empty path: "/".
 * - query: pairs split on '&' (first '=' splits key from value, none means ""), decoded,
 *   re-encoded (A-Za-z0-9-._~ kept), sorted by key then value; X-Amz-Signature left out.
 * - headers: the names of auth->signed_headers in their order, lower-cased; each value
 *   looked up via req->header, trimmed, inner whitespace runs collapsed to one space
 *   (absent headers give an empty value, so the signature will not match).
 * - payload: the x-amz-content-sha256 header if present, else SHA-256 of the body.
 * Returns 0, or -1 (out unspecified) if the query has a bad %-escape. */
int sigv4_canonical_request(strbuf *out, const sigv4_auth *auth, const sigv4_request *req);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
 * into out (32 bytes). The caller wipes out (OPENSSL_cleanse) when done. */
void sigv4_signing_key(unsigned char out[32], const char *secret, const char *date,
                       const char *region, const char *service);

#endif
