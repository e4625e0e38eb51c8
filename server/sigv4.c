/* sigv4.c: AWS Signature Version 4 checking for incoming requests (see sigv4.h): header and
 * presigned-query parsing, the canonical request, the signing key and the constant-time
 * comparison. Pure functions over strings; calls base (strbuf, rds_error) and libcrypto
 * (SHA-256, HMAC, CRYPTO_memcmp, OPENSSL_cleanse). Entered from HTTP threads; no state.
 *
 * Decisions worth knowing:
 * - The canonical URI is the raw path (as sent, still percent-encoded) normalised and
 *   encoded once more. This is the non-S3 rule ("encode twice" counting the client's own
 *   encoding) and what botocore does: quote(remove_dot_segments(path), safe='/~').
 * - The canonical query decodes each key and value and re-encodes them, so clients that
 *   encode a little more or less than needed still match, as on AWS.
 * - Checks run in the order AWS's front end runs them (recorded responses): missing
 *   components, date format, host signed, algorithm, credential shape, scope, key id,
 *   signature. The first failing group is reported. */
#include "sigv4.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"

/* AWS's SignatureDoesNotMatch message for Query services (IAM, STS, RDS). */
static const char MSG_MISMATCH[] =
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details.";
static const char MSG_BAD_TOKEN[] = "The security token included in the request is invalid.";
static const char MSG_REEXAMINE[] = "Re-examine the query-string parameters.";

/* ---- small string helpers ------------------------------------------------------------ */

typedef struct span { const char *p; size_t n; } span;

static bool is_ws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool span_eq(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static span trim(const char *p, size_t n)
{
    while (n && is_ws((unsigned char)*p)) { p++; n--; }
    while (n && is_ws((unsigned char)p[n - 1])) n--;
    return (span){ p, n };
}

/* Copies s into dst[cap] if it fits (with the NUL); false if too long. */
static bool copy_span(char *dst, size_t cap, span s)
{
    if (s.n >= cap)
        return false;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return true;
}

/* Appends s percent-encoded: bytes outside A-Za-z0-9-._~ (and '/' if keep_slash) become
 * %XX with upper-case hex, as SigV4 requires. */
static void pct_encode(strbuf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            strbuf_append(out, (const char *)&c, 1);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            strbuf_append(out, e, 3);
        }
    }
}

/* Appends s with %XX escapes decoded ('+' stays '+': SigV4 clients encode a space as %20).
 * -1 on a '%' not followed by two hex digits. */
static int pct_decode(strbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            strbuf_append(out, s + i, 1);
            continue;
        }
        if (i + 2 >= n)
            return -1;
        int hi = hex_val((unsigned char)s[i + 1]), lo = hex_val((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        char c = (char)(hi << 4 | lo);
        strbuf_append(out, &c, 1);
        i += 2;
    }
    return 0;
}

/* Finds key (compared after decoding) in a raw query string; its decoded value replaces
 * *val. 1 found, 0 absent, -1 bad escape. */
static int query_lookup(const char *query, const char *key, strbuf *val)
{
    int rc = 0;
    strbuf k;
    strbuf_init(&k);
    for (const char *p = query ? query : ""; *p && rc == 0;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t kn = eq ? (size_t)(eq - p) : n;
        strbuf_reset(&k);
        if (pct_decode(&k, p, kn)) {
            rc = -1;
        } else if (k.data && strcmp(k.data, key) == 0) {
            strbuf_reset(val);
            strbuf_append(val, "", 0);
            rc = eq && pct_decode(val, eq + 1, n - kn - 1) ? -1 : 1;
        }
        p += n + (end ? 1 : 0);
    }
    strbuf_free(&k);
    return rc;
}

/* ---- hashing ------------------------------------------------------------------------- */

static void to_hex(char *out, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void sigv4_hex_sha256(char out[65], const void *data, size_t n)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(n ? data : (const void *)"", n, md);
    to_hex(out, md, sizeof md);
}

static void hmac_sha256(unsigned char out[32], const void *key, size_t key_len,
                        const void *data, size_t n)
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)key_len, data, n, out, &len);
    assert(len == 32);
}

void sigv4_signing_key(unsigned char out[32], const char *secret, const char *date,
                       const char *region, const char *service)
{
    size_t sn = strlen(secret);
    unsigned char *k_secret = malloc(sn + 4);
    if (!k_secret)
        abort(); /* as arena allocation: out of memory is not a client error */
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, sn);
    unsigned char k1[32], k2[32];
    hmac_sha256(k1, k_secret, sn + 4, date, strlen(date));
    hmac_sha256(k2, k1, 32, region, strlen(region));
    hmac_sha256(k1, k2, 32, service, strlen(service));
    hmac_sha256(out, k1, 32, TERMINATOR, strlen(TERMINATOR));
    OPENSSL_cleanse(k_secret, sn + 4);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    free(k_secret);
}

/* ---- parsing ------------------------------------------------------------------------- */

static bool valid_scope_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static bool is_yyyymmdd(const char *s)
{
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return s[8] == '\0';
}

static void msg_cat(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msg_cat(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* "AKID/yyyymmdd/region/service/aws4_request" into out. Checks in AWS's order: shape
 * (IncompleteSignature), then scope (SignatureDoesNotMatch, every problem listed), then
 * the key id (InvalidClientTokenId). */
static int parse_credential(sigv4_auth *out, span cred, rds_error *err)
{
    span whole = cred;
    while (cred.n && cred.p[cred.n - 1] == '/') /* AWS ignores trailing slashes */
        cred.n--;
    span part[5];
    size_t np = 0;
    const char *p = cred.p, *end = cred.p + cred.n;
    while (np < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        part[np++] = (span){ p, slash ? (size_t)(slash - p) : (size_t)(end - p) };
        if (!slash)
            break;
        p = slash + 1;
        if (np == 5)
            np = 6; /* more than five: leave the loop reporting a bad count */
    }
    if (np != 5 || cred.n == 0)
        return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                        "Credential must have exactly 5 slash-delimited elements, e.g. "
                        "keyid/date/region/service/term, got '%.*s'",
                        (int)(whole.n > 200 ? 200 : whole.n), whole.p);

    char msg[400] = "";
    if (!copy_span(out->region, sizeof out->region, part[2]) || !valid_scope_word(out->region))
        msg_cat(msg, sizeof msg, "Credential should be scoped to a valid region, not '%.*s'. ",
                (int)(part[2].n > 64 ? 64 : part[2].n), part[2].p);
    /* rdslocal wording: AWS names the one service the endpoint serves, which this module
     * does not know (dispatch checks the service). */
    if (!copy_span(out->service, sizeof out->service, part[3]) || !valid_scope_word(out->service))
        msg_cat(msg, sizeof msg, "Credential should be scoped to a valid service, not '%.*s'. ",
                (int)(part[3].n > 64 ? 64 : part[3].n), part[3].p);
    if (!span_eq(part[4], TERMINATOR))
        msg_cat(msg, sizeof msg,
                "Credential should be scoped with a valid terminator: 'aws4_request', not '%.*s'. ",
                (int)(part[4].n > 64 ? 64 : part[4].n), part[4].p);
    /* AWS compares the scope date with the request's date (sigv4_verify does); a scope
     * date that is not even yyyymmdd can be refused here already (rdslocal wording). */
    if (!copy_span(out->date, sizeof out->date, part[1]) || !is_yyyymmdd(out->date))
        msg_cat(msg, sizeof msg, "Date in Credential scope is not in YYYYMMDD format: '%.*s'. ",
                (int)(part[1].n > 64 ? 64 : part[1].n), part[1].p);
    if (msg[0]) {
        msg[strlen(msg) - 1] = '\0'; /* the last message's trailing space */
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH, "%s", msg);
    }
    if (part[0].n == 0 || !copy_span(out->access_key, sizeof out->access_key, part[0]))
        return rds_fail(err, RDS_E_INVALID_CLIENT_TOKEN_ID, "%s", MSG_BAD_TOKEN);
    return 0;
}

/* The parts common to both parsers, after presence has been checked. */
static int parse_parts(sigv4_auth *out, span cred, span signed_headers, span signature,
                       rds_error *err)
{
    if (parse_credential(out, cred, err))
        return -1;
    if (!copy_span(out->signed_headers, sizeof out->signed_headers, signed_headers))
        return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                        "SignedHeaders is longer than the %zu bytes rdslocal accepts.",
                        sizeof out->signed_headers - 1);
    if (!copy_span(out->signature, sizeof out->signature, signature))
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH, "%s", MSG_MISMATCH);
    return 0;
}

static int unsupported_algorithm(span alg, rds_error *err)
{
    /* Recorded AWS wording, without its trailing space. */
    return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                    "Unsupported AWS 'algorithm': '%.*s' (only AWS4-HMAC-SHA256 for now).",
                    (int)(alg.n > 64 ? 64 : alg.n), alg.p);
}

int sigv4_parse_authorization(sigv4_auth *out, const char *header, rds_error *err)
{
    assert(out && header);
    memset(out, 0, sizeof *out);
    const char *p = header;
    while (is_ws((unsigned char)*p))
        p++;
    span alg = { p, 0 };
    while (*p && !is_ws((unsigned char)*p))
        p++;
    alg.n = (size_t)(p - alg.p);

    span cred = { NULL, 0 }, sh = { NULL, 0 }, sig = { NULL, 0 };
    if (span_eq(alg, ALGORITHM)) {
        while (*p) {
            while (*p == ',' || is_ws((unsigned char)*p))
                p++;
            if (!*p)
                break;
            const char *start = p;
            while (*p && *p != ',')
                p++;
            span comp = trim(start, (size_t)(p - start));
            const char *eq = memchr(comp.p, '=', comp.n);
            if (!eq)
                return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                                "'%.*s' not a valid key=value pair (missing equal-sign) in "
                                "Authorization header: '%s'.",
                                (int)(comp.n > 64 ? 64 : comp.n), comp.p, header);
            span key = trim(comp.p, (size_t)(eq - comp.p));
            span val = trim(eq + 1, comp.n - (size_t)(eq - comp.p) - 1);
            if (span_eq(key, "Credential") && !cred.p)
                cred = val;
            else if (span_eq(key, "SignedHeaders") && !sh.p)
                sh = val;
            else if (span_eq(key, "Signature") && !sig.p)
                sig = val;
        }
    } else if (alg.n > 5 && strncmp(alg.p, "AWS4-", 5) == 0) {
        return unsupported_algorithm(alg, err);
    }
    /* Anything else ("Basic ...", SigV2 "AWS AKID:sig") has none of the components and
     * gets AWS's answer for that. Empty values count as missing. */
    char msg[256] = "";
    if (cred.n == 0)
        msg_cat(msg, sizeof msg, "Authorization header requires 'Credential' parameter. ");
    if (sig.n == 0)
        msg_cat(msg, sizeof msg, "Authorization header requires 'Signature' parameter. ");
    if (sh.n == 0)
        msg_cat(msg, sizeof msg, "Authorization header requires 'SignedHeaders' parameter. ");
    if (msg[0])
        return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE, "%sAuthorization=%s", msg, header);
    return parse_parts(out, cred, sh, sig, err);
}

static span opt_span(const char *s)
{
    return s ? trim(s, strlen(s)) : (span){ NULL, 0 };
}

int sigv4_parse_query(sigv4_auth *out, const char *algorithm, const char *credential,
                      const char *signed_headers, const char *signature, rds_error *err)
{
    assert(out);
    memset(out, 0, sizeof *out);
    span alg = opt_span(algorithm), cred = opt_span(credential), sh = opt_span(signed_headers),
         sig = opt_span(signature);
    char msg[300] = "";
    if (alg.n == 0)
        msg_cat(msg, sizeof msg, "AWS query-string parameters must include 'X-Amz-Algorithm'. ");
    if (cred.n == 0)
        msg_cat(msg, sizeof msg, "AWS query-string parameters must include 'X-Amz-Credential'. ");
    if (sig.n == 0)
        msg_cat(msg, sizeof msg, "AWS query-string parameters must include 'X-Amz-Signature'. ");
    if (sh.n == 0)
        msg_cat(msg, sizeof msg, "AWS query-string parameters must include 'X-Amz-SignedHeaders'. ");
    if (msg[0])
        return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE, "%s%s", msg, MSG_REEXAMINE);
    if (!span_eq(alg, ALGORITHM))
        return unsupported_algorithm(alg, err);
    return parse_parts(out, cred, sh, sig, err);
}

/* ---- the signed time ----------------------------------------------------------------- */

static bool is_iso_basic(const char *s)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* RFC 1123 "Fri, 27 Nov 2026 18:30:00 GMT" to "20261127T183000Z". */
static bool rfc1123_to_iso(char out[17], const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char wday[4], mon[4], zone[4];
    int d, y, hh, mm, ss, used = 0;
    if (sscanf(s, "%3[A-Za-z], %d %3s %d %d:%d:%d %3s%n", wday, &d, mon, &y, &hh, &mm, &ss, zone,
               &used) != 8 ||
        s[used] != '\0' || strlen(wday) != 3 || strcmp(zone, "GMT") != 0)
        return false;
    const char *m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
    if (!m || (m - months) % 3 != 0 || d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 ||
        mm > 59 || ss > 60 || hh < 0 || mm < 0 || ss < 0)
        return false;
    char buf[80]; /* the ranges are checked above; the size only quiets -Wformat-truncation */
    snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", y, (int)((m - months) / 3) + 1, d, hh,
             mm, ss);
    memcpy(out, buf, 17);
    return true;
}

int sigv4_parse_time(int64_t *out_ms, const char *s)
{
    if (!s || !is_iso_basic(s))
        return -1;
    int y, mo, d, hh, mm, ss;
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &hh, &mm, &ss) != 6 || mo < 1 || mo > 12 ||
        d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
        return -1;
    *out_ms = (rds_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss) * 1000;
    return 0;
}

/* ISO 8601 basic of at_ms: "20261127T183000Z". */
static void iso_basic(char out[17], int64_t at_ms)
{
    char iso[40];
    rds_time_iso8601(iso, sizeof iso, at_ms); /* "2026-11-27T18:30:00.000Z" */
    snprintf(out, 17, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8, iso + 11, iso + 14, iso + 17);
}

#define SKEW_MS (15 * 60 * 1000LL)

int sigv4_check_time(const char *when, int64_t expires_s, int64_t now_ms, rds_error *err)
{
    int64_t at_ms;
    if (sigv4_parse_time(&at_ms, when))
        return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                        "Date must be in ISO-8601 'basic format'. Got '%.20s'. See "
                        "http://en.wikipedia.org/wiki/ISO_8601", when);
    char now[17], bound[17];
    iso_basic(now, now_ms);
    if (at_ms > now_ms + SKEW_MS) {
        iso_basic(bound, now_ms + SKEW_MS);
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH,
                        "Signature not yet current: %s is still later than %s (%s + 15 min.)",
                        when, bound, now);
    }
    if (expires_s >= 0) {
        if (now_ms > at_ms + expires_s * 1000)
            return rds_fail(err, RDS_E_ACCESS_DENIED, "Request has expired");
        return 0;
    }
    if (at_ms < now_ms - SKEW_MS) {
        iso_basic(bound, now_ms - SKEW_MS);
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH,
                        "Signature expired: %s is now earlier than %s (%s - 15 min.)", when, bound, now);
    }
    return 0;
}

/* The Authorization header as the client most likely sent it, for AWS's
 * "... Authorization=<header>" messages when only the parsed form is at hand. */
static void auth_echo(char *buf, size_t cap, const sigv4_auth *auth)
{
    snprintf(buf, cap, ALGORITHM " Credential=%s/%s/%s/%s/" TERMINATOR ", SignedHeaders=%s, Signature=%s",
             auth->access_key, auth->date, auth->region, auth->service, auth->signed_headers,
             auth->signature);
}

static int request_time(char out[17], const sigv4_request *req, const sigv4_auth *auth,
                        rds_error *err)
{
    strbuf v;
    strbuf_init(&v);
    int rc = 0;
    int found = query_lookup(req->query, "X-Amz-Signature", &v);
    if (found < 0) {
        rc = rds_fail(err, RDS_E_MALFORMED_QUERY_STRING,
                      "Query string contains an invalid percent-encoded sequence");
        goto done;
    }
    const char *date = NULL;
    if (found) {
        found = query_lookup(req->query, "X-Amz-Date", &v);
        if (found <= 0) {
            rc = found < 0 ? rds_fail(err, RDS_E_MALFORMED_QUERY_STRING,
                                      "Query string contains an invalid percent-encoded sequence")
                           : rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                                      "AWS query-string parameters must include 'X-Amz-Date'. %s",
                                      MSG_REEXAMINE);
            goto done;
        }
        date = v.data;
    } else if ((date = req->header(req->header_ctx, "x-amz-date")) == NULL) {
        /* No x-amz-date: the HTTP Date header, in RFC 1123 form or ISO 8601 basic. */
        const char *http_date = req->header(req->header_ctx, "date");
        if (!http_date) {
            char echo[1024] = ""; /* fits every field of sigv4_auth */
            if (auth)
                auth_echo(echo, sizeof echo, auth);
            rc = rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                          "Authorization header requires existence of either a 'X-Amz-Date' or "
                          "a 'Date' header.%s%s", auth ? " Authorization=" : "", echo);
            goto done;
        }
        span t = trim(http_date, strlen(http_date));
        char tmp[64];
        if (copy_span(tmp, sizeof tmp, t)) {
            if (is_iso_basic(tmp)) {
                memcpy(out, tmp, 17);
                goto done;
            }
            if (rfc1123_to_iso(out, tmp))
                goto done;
        }
        date = http_date;
    }
    span t = trim(date, strlen(date));
    if (t.n != 16 || !copy_span(out, 17, t) || !is_iso_basic(out))
        rc = rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                      "Date must be in ISO-8601 'basic format'. Got '%.*s'. See "
                      "http://en.wikipedia.org/wiki/ISO_8601",
                      (int)(t.n > 64 ? 64 : t.n), t.p);
done:
    strbuf_free(&v);
    return rc;
}

int sigv4_request_time(char out[17], const sigv4_request *req, rds_error *err)
{
    assert(out && req && req->header);
    return request_time(out, req, NULL, err);
}

/* ---- canonical request --------------------------------------------------------------- */

/* Appends the canonical URI of a raw path: dot segments and empty segments removed (as
 * botocore's remove_dot_segments), then encoded once more. */
static void canonical_uri(strbuf *out, const char *path)
{
    if (!path || !*path) {
        strbuf_puts(out, "/");
        return;
    }
    strbuf norm;
    strbuf_init(&norm);
    strbuf_append(&norm, "", 0);
    size_t n = strlen(path);
    for (size_t i = 0; i < n;) {
        const char *seg = path + i;
        const char *slash = memchr(seg, '/', n - i);
        size_t len = slash ? (size_t)(slash - seg) : n - i;
        i += len + 1;
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            char *last = strrchr(norm.data, '/');
            if (last) {
                norm.len = (size_t)(last - norm.data);
                norm.data[norm.len] = '\0';
            }
            continue;
        }
        strbuf_append(&norm, "/", 1);
        strbuf_append(&norm, seg, len);
    }
    const char *s = norm.data;
    size_t sn = norm.len;
    if (path[0] != '/' && sn) { /* botocore keeps a relative path relative */
        s++;
        sn--;
    }
    if (sn == 0) {
        strbuf_puts(out, path[0] == '/' ? "/" : "");
    } else {
        pct_encode(out, s, sn, true);
        if (path[n - 1] == '/')
            strbuf_puts(out, "/");
    }
    strbuf_free(&norm);
}

typedef struct qpair { char *key, *value; } qpair;

/* s[0..n) decoded and re-encoded into a new heap string; NULL on a bad %-escape. */
static char *reencode(const char *s, size_t n)
{
    strbuf dec, enc;
    strbuf_init(&dec);
    strbuf_init(&enc);
    strbuf_append(&dec, "", 0);
    strbuf_append(&enc, "", 0);
    char *r = NULL;
    if (pct_decode(&dec, s, n) == 0) {
        pct_encode(&enc, dec.data, dec.len, false);
        r = enc.data; /* handed over: enc is not freed */
        strbuf_init(&enc);
    }
    strbuf_free(&dec);
    strbuf_free(&enc);
    return r;
}

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Appends the canonical query string of a raw query. -1 on a bad %-escape. */
static int canonical_query(strbuf *out, const char *query)
{
    if (!query || !*query)
        return 0;
    size_t cap = 1;
    for (const char *p = query; *p; p++)
        cap += *p == '&';
    qpair *pairs = calloc(cap, sizeof *pairs);
    if (!pairs)
        abort();
    size_t np = 0;
    int rc = 0;
    for (const char *p = query; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *seg = p;
        p += n + (end ? 1 : 0);
        if (n == 0)
            continue;
        const char *eq = memchr(seg, '=', n);
        size_t kn = eq ? (size_t)(eq - seg) : n;
        char *key = reencode(seg, kn);
        char *value = reencode(eq ? eq + 1 : "", eq ? n - kn - 1 : 0);
        if (!key || !value || strcmp(key, "X-Amz-Signature") == 0) {
            /* X-Amz-Signature (presigned) is the signature itself, never signed. */
            rc = key && value ? rc : -1;
            free(key);
            free(value);
            if (rc)
                goto done;
            continue;
        }
        pairs[np].key = key;
        pairs[np].value = value;
        np++;
    }
    qsort(pairs, np, sizeof *pairs, qpair_cmp);
    for (size_t i = 0; i < np; i++) {
        if (i)
            strbuf_append(out, "&", 1);
        strbuf_puts(out, pairs[i].key);
        strbuf_append(out, "=", 1);
        strbuf_puts(out, pairs[i].value);
    }
done:
    for (size_t i = 0; i < np; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    return rc;
}

/* Appends value trimmed, with each inner run of whitespace collapsed to one space. */
static void append_trimall(strbuf *out, const char *v)
{
    bool pending_space = false, any = false;
    for (; *v; v++) {
        if (is_ws((unsigned char)*v)) {
            pending_space = any;
            continue;
        }
        if (pending_space)
            strbuf_append(out, " ", 1);
        strbuf_append(out, v, 1);
        pending_space = false;
        any = true;
    }
}

int sigv4_canonical_request(strbuf *out, const sigv4_auth *auth, const sigv4_request *req)
{
    assert(out && auth && req && req->method && req->header);
    strbuf_reset(out);
    strbuf_puts(out, req->method);
    strbuf_append(out, "\n", 1);
    canonical_uri(out, req->path);
    strbuf_append(out, "\n", 1);
    if (canonical_query(out, req->query))
        return -1;
    strbuf_append(out, "\n", 1);

    char name[sizeof auth->signed_headers];
    for (const char *p = auth->signed_headers; *p;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        if (n) {
            memcpy(name, p, n);
            name[n] = '\0';
            for (size_t i = 0; i < n; i++)
                name[i] = (char)tolower((unsigned char)name[i]);
            const char *v = req->header(req->header_ctx, name);
            strbuf_puts(out, name);
            strbuf_append(out, ":", 1);
            append_trimall(out, v ? v : "");
            strbuf_append(out, "\n", 1);
        }
        p += n + (semi ? 1 : 0);
    }
    strbuf_append(out, "\n", 1);
    strbuf_puts(out, auth->signed_headers);
    strbuf_append(out, "\n", 1);

    const char *payload = req->header(req->header_ctx, "x-amz-content-sha256");
    if (payload) {
        span t = trim(payload, strlen(payload));
        strbuf_append(out, t.p, t.n);
    } else {
        char hex[65];
        sigv4_hex_sha256(hex, req->body, req->body_len);
        strbuf_puts(out, hex);
    }
    return 0;
}

/* ---- verification -------------------------------------------------------------------- */

static bool host_is_signed(const char *signed_headers)
{
    for (const char *p = signed_headers; *p;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        if ((n == 4 && strncasecmp(p, "host", 4) == 0) ||
            (n == 10 && strncasecmp(p, ":authority", 10) == 0))
            return true;
        p += n + (semi ? 1 : 0);
    }
    return false;
}

int sigv4_verify(const sigv4_auth *auth, const sigv4_request *req, const char *secret_key,
                 rds_error *err)
{
    assert(auth && req && secret_key);
    char when[17];
    if (request_time(when, req, auth, err))
        return -1;
    if (!host_is_signed(auth->signed_headers))
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH,
                        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    if (strncmp(auth->date, when, 8) != 0)
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH,
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                        "of date from HTTP: '%s' != '%.8s', from '%s'.",
                        auth->date, when, when);

    strbuf creq, sts;
    strbuf_init(&creq);
    strbuf_init(&sts);
    int rc = 0;
    if (sigv4_canonical_request(&creq, auth, req)) {
        rc = rds_fail(err, RDS_E_MALFORMED_QUERY_STRING,
                      "Query string contains an invalid percent-encoded sequence");
        goto done;
    }
    char creq_hash[65];
    sigv4_hex_sha256(creq_hash, creq.data, creq.len);
    strbuf_printf(&sts, ALGORITHM "\n%s\n%s/%s/%s/" TERMINATOR "\n%s", when, auth->date,
                  auth->region, auth->service, creq_hash);

    unsigned char key[32], mac[32];
    sigv4_signing_key(key, secret_key, auth->date, auth->region, auth->service);
    hmac_sha256(mac, key, sizeof key, sts.data, sts.len);
    OPENSSL_cleanse(key, sizeof key);
    char expected[65];
    to_hex(expected, mac, sizeof mac);

    /* The length of a signature is no secret; its bytes are compared in constant time. */
    if (strlen(auth->signature) != 64 || CRYPTO_memcmp(expected, auth->signature, 64) != 0) {
        rc = rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH, "%s", MSG_MISMATCH);
        /* Not the canonical request itself: it may hold a signed x-amz-security-token. */
        rds_detail(err, "signature mismatch for key id \"%.40s\" at %s: canonical request sha256 %s, "
                   "signed headers %.80s", auth->access_key, when, creq_hash, auth->signed_headers);
        goto done;
    }
    /* A valid signature of another time: AWS's skew and presigned-expiry rules. */
    int64_t expires_s = -1;
    strbuf v;
    strbuf_init(&v);
    if (query_lookup(req->query, "X-Amz-Signature", &v) > 0) {
        int found = query_lookup(req->query, "X-Amz-Expires", &v);
        char *end = NULL;
        long long x = found > 0 && v.data ? strtoll(v.data, &end, 10) : 0;
        if (found > 0 && (!v.data || !*v.data || *end || x < 1 || x > 604800)) {
            rc = rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                          "X-Amz-Expires must be a number of seconds from 1 to 604800. %s", MSG_REEXAMINE);
        }
        if (found > 0)
            expires_s = x;
    }
    strbuf_free(&v);
    if (rc == 0)
        rc = sigv4_check_time(when, expires_s, req->now_ms ? req->now_ms : rds_real_now_ms(), err);
done:
    strbuf_free(&creq);
    strbuf_free(&sts);
    return rc;
}
