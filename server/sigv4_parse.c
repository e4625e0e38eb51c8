/* sigv4_parse.c: what a SigV4-signed request claims, read from its text (see sigv4.h):
 * the Authorization header and the presigned query's parameters (algorithm, credential
 * scope, signed headers, signature) and the signing time (X-Amz-Date or Date, the
 * 15-minute window, X-Amz-Expires). Whether the signature holds is sigv4.c's job. Pure
 * functions over strings; entered from HTTP threads; no state.
 *
 * Checks run in the order AWS's front end runs them (recorded responses): missing
 * components, date format, host signed, algorithm, credential shape, scope, key id,
 * signature. The first failing group is reported. */

#include "sigv4_internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char sigv4__msg_mismatch[] =
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details.";
static const char MSG_BAD_TOKEN[] = "The security token included in the request is invalid.";
const char sigv4__msg_reexamine[] = "Re-examine the query-string parameters.";

/* ---- small string helpers ------------------------------------------------------------ */

bool sigv4__is_ws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

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

span sigv4__trim(const char *p, size_t n)
{
    while (n && sigv4__is_ws((unsigned char)*p)) { p++; n--; }
    while (n && sigv4__is_ws((unsigned char)p[n - 1])) n--;
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

/* Appends s with %XX escapes decoded ('+' stays '+': SigV4 clients encode a space as %20).
 * -1 on a '%' not followed by two hex digits. */
int sigv4__pct_decode(strbuf *out, const char *s, size_t n)
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
int sigv4__query_lookup(const char *query, const char *key, strbuf *val)
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
        if (sigv4__pct_decode(&k, p, kn)) {
            rc = -1;
        } else if (k.data && strcmp(k.data, key) == 0) {
            strbuf_reset(val);
            strbuf_append(val, "", 0);
            rc = eq && sigv4__pct_decode(val, eq + 1, n - kn - 1) ? -1 : 1;
        }
        p += n + (end ? 1 : 0);
    }
    strbuf_free(&k);
    return rc;
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
    if (!span_eq(part[4], SIGV4_TERMINATOR))
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
        return rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH, "%s", sigv4__msg_mismatch);
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
    while (sigv4__is_ws((unsigned char)*p))
        p++;
    span alg = { p, 0 };
    while (*p && !sigv4__is_ws((unsigned char)*p))
        p++;
    alg.n = (size_t)(p - alg.p);

    span cred = { NULL, 0 }, sh = { NULL, 0 }, sig = { NULL, 0 };
    if (span_eq(alg, SIGV4_ALGORITHM)) {
        while (*p) {
            while (*p == ',' || sigv4__is_ws((unsigned char)*p))
                p++;
            if (!*p)
                break;
            const char *start = p;
            while (*p && *p != ',')
                p++;
            span comp = sigv4__trim(start, (size_t)(p - start));
            const char *eq = memchr(comp.p, '=', comp.n);
            if (!eq)
                return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                                "'%.*s' not a valid key=value pair (missing equal-sign) in "
                                "Authorization header: '%s'.",
                                (int)(comp.n > 64 ? 64 : comp.n), comp.p, header);
            span key = sigv4__trim(comp.p, (size_t)(eq - comp.p));
            span val = sigv4__trim(eq + 1, comp.n - (size_t)(eq - comp.p) - 1);
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
    return s ? sigv4__trim(s, strlen(s)) : (span){ NULL, 0 };
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
        return rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE, "%s%s", msg, sigv4__msg_reexamine);
    if (!span_eq(alg, SIGV4_ALGORITHM))
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
    snprintf(buf, cap, SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/" SIGV4_TERMINATOR ", SignedHeaders=%s, Signature=%s",
             auth->access_key, auth->date, auth->region, auth->service, auth->signed_headers,
             auth->signature);
}

int sigv4__request_time(char out[17], const sigv4_request *req, const sigv4_auth *auth,
                         rds_error *err)
{
    strbuf v;
    strbuf_init(&v);
    int rc = 0;
    int found = sigv4__query_lookup(req->query, "X-Amz-Signature", &v);
    if (found < 0) {
        rc = rds_fail(err, RDS_E_MALFORMED_QUERY_STRING,
                      "Query string contains an invalid percent-encoded sequence");
        goto done;
    }
    const char *date = NULL;
    if (found) {
        found = sigv4__query_lookup(req->query, "X-Amz-Date", &v);
        if (found <= 0) {
            rc = found < 0 ? rds_fail(err, RDS_E_MALFORMED_QUERY_STRING,
                                      "Query string contains an invalid percent-encoded sequence")
                           : rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                                      "AWS query-string parameters must include 'X-Amz-Date'. %s",
                                      sigv4__msg_reexamine);
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
        span t = sigv4__trim(http_date, strlen(http_date));
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
    span t = sigv4__trim(date, strlen(date));
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
    return sigv4__request_time(out, req, NULL, err);
}
