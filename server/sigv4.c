/* sigv4.c: whether a SigV4 signature holds (see sigv4.h): the canonical request, the
 * string to sign, the signing key and the constant-time comparison. Reading the claim
 * (header, presigned query, time) is sigv4_parse.c's. Pure functions over strings; calls
 * base (strbuf, rds_error) and libcrypto (SHA-256, HMAC, CRYPTO_memcmp, OPENSSL_cleanse).
 * Entered from HTTP threads; no state.
 *
 * Decisions worth knowing:
 * - The canonical URI is the raw path (as sent, still percent-encoded) normalised and
 *   encoded once more. This is the non-S3 rule ("encode twice" counting the client's own
 *   encoding) and what botocore does: quote(remove_dot_segments(path), safe='/~').
 * - The canonical query decodes each key and value and re-encodes them, so clients that
 *   encode a little more or less than needed still match, as on AWS. */

#include "sigv4_internal.h"

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

/* ---- percent-encoding ---------------------------------------------------------------- */

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
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
    hmac_sha256(out, k1, 32, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR));
    OPENSSL_cleanse(k_secret, sn + 4);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    free(k_secret);
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
    if (sigv4__pct_decode(&dec, s, n) == 0) {
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
        if (sigv4__is_ws((unsigned char)*v)) {
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
        span t = sigv4__trim(payload, strlen(payload));
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
    if (sigv4__request_time(when, req, auth, err))
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
    strbuf_printf(&sts, SIGV4_ALGORITHM "\n%s\n%s/%s/%s/" SIGV4_TERMINATOR "\n%s", when, auth->date,
                  auth->region, auth->service, creq_hash);

    unsigned char key[32], mac[32];
    sigv4_signing_key(key, secret_key, auth->date, auth->region, auth->service);
    hmac_sha256(mac, key, sizeof key, sts.data, sts.len);
    OPENSSL_cleanse(key, sizeof key);
    char expected[65];
    to_hex(expected, mac, sizeof mac);

    /* The length of a signature is no secret; its bytes are compared in constant time. */
    if (strlen(auth->signature) != 64 || CRYPTO_memcmp(expected, auth->signature, 64) != 0) {
        rc = rds_fail(err, RDS_E_SIGNATURE_DOES_NOT_MATCH, "%s", sigv4__msg_mismatch);
        /* Not the canonical request itself: it may hold a signed x-amz-security-token. */
        rds_detail(err, "signature mismatch for key id \"%.40s\" at %s: canonical request sha256 %s, "
                   "signed headers %.80s", auth->access_key, when, creq_hash, auth->signed_headers);
        goto done;
    }
    /* A valid signature of another time: AWS's skew and presigned-expiry rules. */
    int64_t expires_s = -1;
    strbuf v;
    strbuf_init(&v);
    if (sigv4__query_lookup(req->query, "X-Amz-Signature", &v) > 0) {
        int found = sigv4__query_lookup(req->query, "X-Amz-Expires", &v);
        char *end = NULL;
        long long x = found > 0 && v.data ? strtoll(v.data, &end, 10) : 0;
        if (found > 0 && (!v.data || !*v.data || *end || x < 1 || x > 604800)) {
            rc = rds_fail(err, RDS_E_INCOMPLETE_SIGNATURE,
                          "X-Amz-Expires must be a number of seconds from 1 to 604800. %s", sigv4__msg_reexamine);
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
