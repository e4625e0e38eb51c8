/* test_sigv4.c: the SigV4 module (server/sigv4.c): header and presigned-query parsing with
 * AWS's error codes and wording, AWS's published vectors (aws-sig-v4-test-suite:
 * AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service"; the IAM docs' signing-key
 * example), path normalisation checked against botocore, and requests signed by botocore
 * itself (constants printed by tests/unit/gen_sigv4_fixture.py). */
#include "sigv4.h"

#include "check.h"

#include <strings.h>

/* ---- a header table standing in for the HTTP library --------------------------------- */

typedef struct hdr_table { const char *kv[12][2]; } hdr_table;

static const char *hdr_get(void *ctx, const char *lower_name)
{
    const hdr_table *t = ctx;
    for (size_t i = 0; i < 12 && t->kv[i][0]; i++)
        if (strcasecmp(t->kv[i][0], lower_name) == 0) /* HTTP names are case-insensitive */
            return t->kv[i][1];
    return NULL;
}

/* A request that arrives at the instant it was signed (now_ms = its signed time), so the
 * recorded vectors, signed years ago, pass the clock checks. */
static sigv4_request make_req(const char *method, const char *path, const char *query,
                              const char *body, hdr_table *h)
{
    sigv4_request r = { .method = method, .path = path, .query = query,
                        .body = (const unsigned char *)body, .body_len = body ? strlen(body) : 0,
                        .header = hdr_get, .header_ctx = h };
    char when[17];
    rds_error err = { 0 };
    int64_t at_ms;
    if (sigv4_request_time(when, &r, &err) == 0 && sigv4_parse_time(&at_ms, when) == 0)
        r.now_ms = at_ms;
    return r;
}

#define MINUTE_MS (60 * 1000LL)

/* ---- the AWS test suite -------------------------------------------------------------- */

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_CRED "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Parses the suite's Authorization header for (signed_headers, signature), checks the
 * canonical request if want_creq is given, and returns sigv4_verify's result. */
static int suite_check(const sigv4_request *req, const char *signed_headers, const char *signature,
                       const char *want_creq, rds_error *err)
{
    char header[512];
    snprintf(header, sizeof header, "AWS4-HMAC-SHA256 " SUITE_CRED ", SignedHeaders=%s, Signature=%s",
             signed_headers, signature);
    sigv4_auth auth;
    if (sigv4_parse_authorization(&auth, header, err))
        return -1;
    if (want_creq) {
        strbuf creq;
        strbuf_init(&creq);
        CHECK_INT(sigv4_canonical_request(&creq, &auth, req), 0);
        CHECK_STR(creq.data, want_creq);
        strbuf_free(&creq);
    }
    return sigv4_verify(&auth, req, SUITE_SECRET, err);
}

static void test_sigv4__signing_key_iam_example(void)
{
    /* IAM docs, "Examples of how to derive a signing key for Signature Version 4". */
    unsigned char key[32];
    char hex[65];
    sigv4_signing_key(key, SUITE_SECRET, "20120215", "us-east-1", "iam");
    static const char want[] = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d";
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    CHECK_STR(hex, want);
}

static void test_sigv4__hex_sha256(void)
{
    char hex[65];
    sigv4_hex_sha256(hex, "", 0);
    CHECK_STR(hex, EMPTY_SHA);
    sigv4_hex_sha256(hex, NULL, 0);
    CHECK_STR(hex, EMPTY_SHA);
    sigv4_hex_sha256(hex, "Param1=value1", 13);
    CHECK_STR(hex, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

static void test_sigv4__get_vanilla(void)
{
    hdr_table h = { { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } } };
    sigv4_request req = make_req("GET", "/", "", NULL, &h);
    rds_error err = { 0 };
    static const char creq[] = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                               "host;x-amz-date\n" EMPTY_SHA;
    char hex[65];
    sigv4_hex_sha256(hex, creq, strlen(creq));
    CHECK_STR(hex, "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    CHECK_INT(suite_check(&req, "host;x-amz-date",
                          "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", creq, &err), 0);
    /* One hex digit off. */
    int rc = suite_check(&req, "host;x-amz-date",
                         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf32", NULL, &err);
    CHECK_ERR(rc, &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
}

static void test_sigv4__post_vanilla(void)
{
    hdr_table h = { { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } } };
    sigv4_request req = make_req("POST", "/", NULL, NULL, &h);
    rds_error err = { 0 };
    CHECK_INT(suite_check(&req, "host;x-amz-date",
                          "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", NULL, &err), 0);
}

static void test_sigv4__get_vanilla_query_order_key_case(void)
{
    hdr_table h = { { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } } };
    sigv4_request req = make_req("GET", "/", "Param2=value2&Param1=value1", NULL, &h);
    rds_error err = { 0 };
    CHECK_INT(suite_check(&req, "host;x-amz-date",
                          "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
                          "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
                          "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA, &err), 0);
}

static void test_sigv4__post_x_www_form_urlencoded(void)
{
    hdr_table h = { { { "Content-Type", "application/x-www-form-urlencoded" },
                      { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } } };
    sigv4_request req = make_req("POST", "/", "", "Param1=value1", &h);
    rds_error err = { 0 };
    CHECK_INT(suite_check(&req, "content-type;host;x-amz-date",
                          "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
                          "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
                          "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                          "content-type;host;x-amz-date\n"
                          "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e", &err), 0);
}

static void test_sigv4__suite_more_vectors(void)
{
    rds_error err = { 0 };
    /* get-header-key-duplicate: the HTTP layer joins repeated values with ','. */
    hdr_table dup = { { { "Host", "example.amazonaws.com" }, { "My-Header1", "value2,value2,value1" },
                        { "X-Amz-Date", SUITE_DATE } } };
    sigv4_request req = make_req("GET", "/", "", NULL, &dup);
    CHECK_INT(suite_check(&req, "host;my-header1;x-amz-date",
                          "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea", NULL, &err), 0);

    hdr_table plain = { { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } } };
    /* get-unreserved */
    req = make_req("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", NULL, &plain);
    CHECK_INT(suite_check(&req, "host;x-amz-date",
                          "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f", NULL, &err), 0);
    /* get-vanilla-utf8-query: the key arrives percent-encoded on the wire. */
    req = make_req("GET", "/", "%E1%88%B4=bar", NULL, &plain);
    CHECK_INT(suite_check(&req, "host;x-amz-date",
                          "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04", NULL, &err), 0);

    /* post-header-key-sort and post-header-value-case */
    hdr_table v1 = { { { "Host", "example.amazonaws.com" }, { "My-Header1", "value1" },
                       { "X-Amz-Date", SUITE_DATE } } };
    req = make_req("POST", "/", "", NULL, &v1);
    CHECK_INT(suite_check(&req, "host;my-header1;x-amz-date",
                          "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c", NULL, &err), 0);
    hdr_table upper = { { { "Host", "example.amazonaws.com" }, { "My-Header1", "VALUE1" },
                          { "X-Amz-Date", SUITE_DATE } } };
    req = make_req("POST", "/", "", NULL, &upper);
    CHECK_INT(suite_check(&req, "host;my-header1;x-amz-date",
                          "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d", NULL, &err), 0);
}

/* Canonical URIs as botocore computes them (SigV4Auth._normalize_url_path), which is what
 * the suite's normalize-path cases show. */
static void test_sigv4__canonical_uri_normalisation(void)
{
    static const char *const cases[][2] = {
        { "/", "/" },
        { "//", "/" },
        { "//example//", "/example/" },
        { "/example/..", "/" },
        { "/example1/example2/../..", "/" },
        { "/./", "/" },
        { "/./example", "/example" },
        { "/example space/", "/example%20space/" },
        { "/%E1%88%B4", "/%25E1%2588%25B4" }, /* non-S3: encoded once more */
        { "/a/b/../c/./d/", "/a/c/d/" },
        { "/~user/a+b=c", "/~user/a%2Bb%3Dc" },
        { "", "/" },
    };
    hdr_table h = { { { "Host", "h" } } };
    sigv4_auth auth = { .signed_headers = "host" };
    strbuf out;
    strbuf_init(&out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sigv4_request req = make_req("GET", cases[i][0], "", NULL, &h);
        CHECK_INT(sigv4_canonical_request(&out, &auth, &req), 0);
        char want[256];
        snprintf(want, sizeof want, "GET\n%s\n\nhost:h\n\nhost\n" EMPTY_SHA, cases[i][1]);
        CHECK_STR(out.data, want);
    }
    strbuf_free(&out);
}

static void test_sigv4__canonical_query_and_headers(void)
{
    /* botocore: quote(k, safe='-_.~') = quote(v, ...), sorted by key then value. */
    hdr_table h = { { { "Host", "h" }, { "X-Trim", "  a   b \t  c  " } } };
    sigv4_auth auth = { .signed_headers = "host;x-trim" };
    sigv4_request req = make_req("GET", "/", "b=2&a=z&a=a&a%20b=c/d&flag&&%E1%88%B4=bar", NULL, &h);
    strbuf out;
    strbuf_init(&out);
    CHECK_INT(sigv4_canonical_request(&out, &auth, &req), 0);
    CHECK_STR(out.data, "GET\n/\n%E1%88%B4=bar&a=a&a=z&a%20b=c%2Fd&b=2&flag=\nhost:h\nx-trim:a b c\n\n"
                        "host;x-trim\n" EMPTY_SHA);
    /* x-amz-content-sha256, when sent, is the payload hash as given. */
    hdr_table h2 = { { { "Host", "h" }, { "x-amz-content-sha256", "UNSIGNED-PAYLOAD" } } };
    sigv4_auth auth2 = { .signed_headers = "host" };
    req = make_req("PUT", "/", NULL, "ignored", &h2);
    CHECK_INT(sigv4_canonical_request(&out, &auth2, &req), 0);
    CHECK_STR(out.data, "PUT\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
    /* A bad escape in the query. */
    req = make_req("GET", "/", "a=%zz", NULL, &h);
    CHECK_INT(sigv4_canonical_request(&out, &auth, &req), -1);
    strbuf_free(&out);
}

/* ---- parsing ------------------------------------------------------------------------- */

static void test_sigv4__parse_good(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
                                            "Signature=0123abcd", &err), 0);
    CHECK_STR(a.access_key, "AKID");
    CHECK_STR(a.date, "20261127");
    CHECK_STR(a.region, "us-east-1");
    CHECK_STR(a.service, "rds");
    CHECK_STR(a.signed_headers, "content-type;host;x-amz-date");
    CHECK_STR(a.signature, "0123abcd");
    /* Any order, no spaces after commas (some SDKs), a trailing slash on the scope. */
    CHECK_INT(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Signature=ff,SignedHeaders=host,"
                                            "Credential=K/20150830/eu-west-1/kms/aws4_request/", &err), 0);
    CHECK_STR(a.access_key, "K");
    CHECK_STR(a.service, "kms");
    CHECK_STR(a.region, "eu-west-1");
    CHECK_STR(a.signature, "ff");
}

static void test_sigv4__parse_missing_credential(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    const char *h = "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc";
    CHECK_ERR(sigv4_parse_authorization(&a, h, &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "Authorization header requires 'Credential' parameter. "
                           "Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc");
    CHECK_INT(rds_error_http_status(err.code), 400);
    /* Not SigV4 at all: every component is reported missing, as AWS does. */
    CHECK_ERR(sigv4_parse_authorization(&a, "Basic dXNlcjpwdw==", &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "Authorization header requires 'Credential' parameter. Authorization header "
                           "requires 'Signature' parameter. Authorization header requires "
                           "'SignedHeaders' parameter. Authorization=Basic dXNlcjpwdw==");
    /* An empty value counts as missing; a component without '=' is malformed. */
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=host, Signature=", &err),
              &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_CONTAINS(err.message, "requires 'Signature' parameter.");
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, "
                                            "Signature=ab", &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_CONTAINS(err.message, "'Credential' not a valid key=value pair (missing equal-sign)");
}

static void test_sigv4__parse_bad_scope(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/rds, "
                                            "SignedHeaders=host, Signature=ab", &err),
              &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "Credential must have exactly 5 slash-delimited elements, e.g. "
                           "keyid/date/region/service/term, got 'AKID/20261127/us-east-1/rds'");
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=A/B/20261127/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=host, Signature=ab", &err),
              &err, RDS_E_INCOMPLETE_SIGNATURE);
    /* Scope problems are SignatureDoesNotMatch (403), all listed. */
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=AKID/20261127/US_EAST/rds/"
                                            "aws5_request, SignedHeaders=host, Signature=ab", &err),
              &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_STR(err.message, "Credential should be scoped to a valid region, not 'US_EAST'. Credential "
                           "should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
    CHECK_INT(rds_error_http_status(err.code), 403);
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=AKID/2026-11-27/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=host, Signature=ab", &err),
              &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    /* Key id: empty or longer than the struct holds. */
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=/20261127/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=host, Signature=ab", &err),
              &err, RDS_E_INVALID_CLIENT_TOKEN_ID);
    CHECK_STR(err.message, "The security token included in the request is invalid.");
    char big[400];
    snprintf(big, sizeof big, "AWS4-HMAC-SHA256 Credential=%0200d/20261127/us-east-1/rds/aws4_request, "
             "SignedHeaders=host, Signature=ab", 7);
    CHECK_ERR(sigv4_parse_authorization(&a, big, &err), &err, RDS_E_INVALID_CLIENT_TOKEN_ID);
    /* A signature longer than 64 characters cannot match. */
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=K/20261127/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=host, Signature="
                                            "00000000000000000000000000000000000000000000000000000000000000000",
                                        &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
}

static void test_sigv4__parse_unknown_algorithm(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_ERR(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA512 Credential=K/20261127/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=host, Signature=ab", &err),
              &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now).");
    CHECK_ERR(sigv4_parse_query(&a, "AWS4-ECDSA-P256-SHA256", "K/20261127/us-east-1/rds/aws4_request",
                                "host", "ab", &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_CONTAINS(err.message, "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'");
}

static void test_sigv4__parse_query(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_query(&a, "AWS4-HMAC-SHA256", "test/20261127/us-east-1/rds/aws4_request",
                                "host", "abcd", &err), 0);
    CHECK_STR(a.access_key, "test");
    CHECK_STR(a.signed_headers, "host");
    CHECK_ERR(sigv4_parse_query(&a, "AWS4-HMAC-SHA256", NULL, "host", NULL, &err),
              &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
                           "parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.");
}

/* ---- a request signed by botocore ---------------------------------------------------- */

/* python3 tests/unit/gen_sigv4_fixture.py (botocore 1.43.11, SigV4Auth("test","test"), rds,
 * us-east-1, time fixed at 2026-11-27T18:30:00Z). */
#define BOTO_BODY "Action=DescribeDBInstances&Version=2014-10-31"
#define BOTO_AUTH "AWS4-HMAC-SHA256 Credential=test/20261127/us-east-1/rds/aws4_request, " \
                  "SignedHeaders=content-type;host;x-amz-date, " \
                  "Signature=f32d35cc68523642db1892ef5b29076ab19a080caf1f9a7e23b112f1fcd05305"
#define BOTO_PRESIGNED_QUERY "Action=DescribeDBInstances&Version=2014-10-31&X-Amz-Algorithm=" \
    "AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261127%2Fus-east-1%2Frds%2Faws4_request&X-Amz-Date=" \
    "20261127T183000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=" \
    "3c8e7e23e798f9d95f0a3b2d05a5675b9436206dae21db260467e12b96abb309"

static void test_sigv4__boto3_fixture(void)
{
    hdr_table h = { { { "Host", "127.0.0.1:4566" },
                      { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
                      { "X-Amz-Date", "20261127T183000Z" }, { "Authorization", BOTO_AUTH },
                      { "User-Agent", "Boto3/1.x (not signed)" } } };
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_authorization(&a, BOTO_AUTH, &err), 0);
    CHECK_STR(a.service, "rds");
    sigv4_request req = make_req("POST", "/", "", BOTO_BODY, &h);
    CHECK_INT(sigv4_verify(&a, &req, "test", &err), 0);
    char when[17];
    CHECK_INT(sigv4_request_time(when, &req, &err), 0);
    CHECK_STR(when, "20261127T183000Z");
}

static void test_sigv4__boto3_tampered(void)
{
    hdr_table h = { { { "Host", "127.0.0.1:4566" },
                      { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
                      { "X-Amz-Date", "20261127T183000Z" } } };
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_authorization(&a, BOTO_AUTH, &err), 0);

    sigv4_request req = make_req("POST", "/", "", "Action=DeleteDBInstance&Version=2014-10-31", &h);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_STR(err.message, "The request signature we calculated does not match the signature you "
                           "provided. Check your AWS Secret Access Key and signing method. Consult the "
                           "service documentation for details.");
    CHECK_INT(rds_error_http_status(err.code), 403);
    CHECK_CONTAINS(err.detail, "key id \"test\"");

    /* The right body under another secret. */
    req = make_req("POST", "/", "", BOTO_BODY, &h);
    CHECK_ERR(sigv4_verify(&a, &req, "not-test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    /* A different signed header value (another port). */
    hdr_table other = h;
    other.kv[0][1] = "127.0.0.1:4567";
    req = make_req("POST", "/", "", BOTO_BODY, &other);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
}

static void test_sigv4__verify_date_checks(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_authorization(&a, BOTO_AUTH, &err), 0);

    hdr_table none = { { { "Host", "127.0.0.1:4566" } } };
    sigv4_request req = make_req("POST", "/", "", BOTO_BODY, &none);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_CONTAINS(err.message, "Authorization header requires existence of either a 'X-Amz-Date' or a "
                                "'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=test/20261127/");

    hdr_table bad = { { { "Host", "127.0.0.1:4566" }, { "X-Amz-Date", "2026-11-27T18:30:00Z" } } };
    req = make_req("POST", "/", "", BOTO_BODY, &bad);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "Date must be in ISO-8601 'basic format'. Got '2026-11-27T18:30:00Z'. "
                           "See http://en.wikipedia.org/wiki/ISO_8601");

    hdr_table next_day = { { { "Host", "127.0.0.1:4566" }, { "X-Amz-Date", "20261128T000100Z" } } };
    req = make_req("POST", "/", "", BOTO_BODY, &next_day);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_STR(err.message, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                           "date from HTTP: '20261127' != '20261128', from '20261128T000100Z'.");

    /* The HTTP Date header, when there is no x-amz-date. */
    hdr_table http_date = { { { "Host", "h" }, { "Date", "Fri, 27 Nov 2026 18:30:00 GMT" } } };
    req = make_req("GET", "/", "", NULL, &http_date);
    char when[17];
    CHECK_INT(sigv4_request_time(when, &req, &err), 0);
    CHECK_STR(when, "20261127T183000Z");
    http_date.kv[1][1] = "27/11/2026";
    CHECK_ERR(sigv4_request_time(when, &req, &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
}

static void test_sigv4__verify_host_must_be_signed(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_authorization(&a, "AWS4-HMAC-SHA256 Credential=test/20261127/us-east-1/rds/"
                                            "aws4_request, SignedHeaders=x-amz-date, Signature=ab", &err), 0);
    hdr_table h = { { { "Host", "127.0.0.1:4566" }, { "X-Amz-Date", "20261127T183000Z" } } };
    sigv4_request req = make_req("POST", "/", "", BOTO_BODY, &h);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_STR(err.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

static void test_sigv4__boto3_presigned(void)
{
    /* dispatch hands sigv4_parse_query the decoded form values. */
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_query(&a, "AWS4-HMAC-SHA256", "test/20261127/us-east-1/rds/aws4_request", "host",
                                "3c8e7e23e798f9d95f0a3b2d05a5675b9436206dae21db260467e12b96abb309", &err), 0);
    hdr_table h = { { { "Host", "127.0.0.1:4566" } } };
    sigv4_request req = make_req("GET", "/", BOTO_PRESIGNED_QUERY, NULL, &h);
    CHECK_INT(sigv4_verify(&a, &req, "test", &err), 0);
    char when[17];
    CHECK_INT(sigv4_request_time(when, &req, &err), 0);
    CHECK_STR(when, "20261127T183000Z");

    /* Another action under the same signature. */
    req = make_req("GET", "/", "Action=DeleteDBInstance&Version=2014-10-31&X-Amz-Algorithm="
                   "AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261127%2Fus-east-1%2Frds%2Faws4_request&"
                   "X-Amz-Date=20261127T183000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&"
                   "X-Amz-Signature=3c8e7e23e798f9d95f0a3b2d05a5675b9436206dae21db260467e12b96abb309", NULL, &h);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);

    /* No X-Amz-Date in a presigned query. */
    req = make_req("GET", "/", "Action=DescribeDBInstances&X-Amz-Signature=ab", NULL, &h);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_INCOMPLETE_SIGNATURE);
    CHECK_STR(err.message, "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the "
                           "query-string parameters.");

    /* A bad escape. */
    req = make_req("GET", "/", "Action=%G1&X-Amz-Date=20261127T183000Z&X-Amz-Signature=ab", NULL, &h);
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_MALFORMED_QUERY_STRING);
}

/* Issue #7 item 3: a signature dated long ago (or far ahead) was accepted. */
static void test_sigv4__issue_7_signature_expired(void)
{
    hdr_table h = { { { "Host", "127.0.0.1:4566" },
                      { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
                      { "X-Amz-Date", "20261127T183000Z" } } };
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_authorization(&a, BOTO_AUTH, &err), 0);
    sigv4_request req = make_req("POST", "/", "", BOTO_BODY, &h);
    int64_t signed_ms = req.now_ms;
    CHECK(signed_ms > 0);

    req.now_ms = signed_ms + 15 * MINUTE_MS; /* exactly 15 minutes: still accepted */
    CHECK_INT(sigv4_verify(&a, &req, "test", &err), 0);
    req.now_ms = signed_ms - 15 * MINUTE_MS;
    CHECK_INT(sigv4_verify(&a, &req, "test", &err), 0);

    req.now_ms = signed_ms + 16 * MINUTE_MS;
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_STR(err.message, "Signature expired: 20261127T183000Z is now earlier than 20261127T183100Z "
                           "(20261127T184600Z - 15 min.)");
    CHECK_INT(rds_error_http_status(err.code), 403);

    req.now_ms = signed_ms - 16 * MINUTE_MS;
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_STR(err.message, "Signature not yet current: 20261127T183000Z is still later than "
                           "20261127T182900Z (20261127T181400Z + 15 min.)");

    /* now_ms 0 is the wall clock, and 2026-11-27 18:30 is long gone by the time this runs
     * (or the machine's clock is wrong). */
    req.now_ms = 0;
    if (rds_real_now_ms() > signed_ms + 16 * MINUTE_MS) {
        CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
        CHECK_CONTAINS(err.message, "Signature expired: 20261127T183000Z is now earlier than ");
    }

    /* A wrong signature is reported as such, whatever its date. */
    req = make_req("POST", "/", "", "Action=DeleteDBInstance", &h);
    req.now_ms = signed_ms + 60 * MINUTE_MS;
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_CONTAINS(err.message, "The request signature we calculated does not match");
}

static void test_sigv4__issue_7_presigned_expired(void)
{
    sigv4_auth a;
    rds_error err = { 0 };
    CHECK_INT(sigv4_parse_query(&a, "AWS4-HMAC-SHA256", "test/20261127/us-east-1/rds/aws4_request", "host",
                                "3c8e7e23e798f9d95f0a3b2d05a5675b9436206dae21db260467e12b96abb309", &err), 0);
    hdr_table h = { { { "Host", "127.0.0.1:4566" } } };
    sigv4_request req = make_req("GET", "/", BOTO_PRESIGNED_QUERY, NULL, &h); /* X-Amz-Expires=900 */
    int64_t signed_ms = req.now_ms;
    CHECK(signed_ms > 0);
    req.now_ms = signed_ms + 900 * 1000;
    CHECK_INT(sigv4_verify(&a, &req, "test", &err), 0);
    req.now_ms = signed_ms + 901 * 1000;
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_ACCESS_DENIED);
    CHECK_STR(err.message, "Request has expired");
    CHECK_INT(rds_error_http_status(err.code), 403);
    req.now_ms = signed_ms + 365 * 24 * 60 * MINUTE_MS;
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_ACCESS_DENIED);
    /* Signed in the future (a URL dated 2099 would be this, and more). */
    req.now_ms = signed_ms - 20 * MINUTE_MS;
    CHECK_ERR(sigv4_verify(&a, &req, "test", &err), &err, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_CONTAINS(err.message, "Signature not yet current: 20261127T183000Z is still later than ");
}

static void test_sigv4__issue_7_check_time(void)
{
    rds_error err = { 0 };
    int64_t t;
    CHECK_INT(sigv4_parse_time(&t, "20261127T183000Z"), 0);
    CHECK(t == 1795804200000LL);
    CHECK_INT(sigv4_parse_time(&t, "19700101T000000Z"), 0);
    CHECK(t == 0);
    CHECK_INT(sigv4_parse_time(&t, "2026-11-27T18:30:00Z"), -1);
    CHECK_INT(sigv4_check_time("20200101T000000Z", -1, t + 1795804200000LL, &err), -1);
    CHECK_INT(err.code, RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK_INT(sigv4_check_time("20990101T000000Z", 604800, 1795804200000LL, &err), -1);
    CHECK_CONTAINS(err.message, "Signature not yet current: 20990101T000000Z is still later than "
                                "20261127T184500Z (20261127T183000Z + 15 min.)");
    CHECK_INT(sigv4_check_time("20261127T183000Z", -1, 1795804200000LL, &err), 0);
}

static const check_case cases[] = {
    TEST(test_sigv4__signing_key_iam_example),
    TEST(test_sigv4__hex_sha256),
    TEST(test_sigv4__get_vanilla),
    TEST(test_sigv4__post_vanilla),
    TEST(test_sigv4__get_vanilla_query_order_key_case),
    TEST(test_sigv4__post_x_www_form_urlencoded),
    TEST(test_sigv4__suite_more_vectors),
    TEST(test_sigv4__canonical_uri_normalisation),
    TEST(test_sigv4__canonical_query_and_headers),
    TEST(test_sigv4__parse_good),
    TEST(test_sigv4__parse_missing_credential),
    TEST(test_sigv4__parse_bad_scope),
    TEST(test_sigv4__parse_unknown_algorithm),
    TEST(test_sigv4__parse_query),
    TEST(test_sigv4__boto3_fixture),
    TEST(test_sigv4__boto3_tampered),
    TEST(test_sigv4__verify_date_checks),
    TEST(test_sigv4__verify_host_must_be_signed),
    TEST(test_sigv4__boto3_presigned),
    TEST(test_sigv4__issue_7_signature_expired),
    TEST(test_sigv4__issue_7_presigned_expired),
    TEST(test_sigv4__issue_7_check_time),
};

CHECK_MAIN(cases, NULL, NULL)
