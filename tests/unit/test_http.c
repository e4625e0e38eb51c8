/* test_http.c: the pure rules of the HTTP front door (server/http_rules.c): log escaping,
 * the Host (DNS rebinding) and Origin (CORS) rules, media types, preflight headers. Issue #7 items 2 and 11. */
#include "http.h"

#include "check.h"

#include <stdlib.h>
#include <unistd.h>

static void test_http__issue_7_log_escape(void)
{
    char buf[64];
    http_log_escape(buf, sizeof buf, "DescribeDBInstances");
    CHECK_STR(buf, "DescribeDBInstances");
    http_log_escape(buf, sizeof buf, "A\nB status=200\r\x1b\"\\\x7f\xc3\xa9");
    CHECK_STR(buf, "A\\x0aB\\x20status=200\\x0d\\x1b\\x22\\x5c\\x7f\\xc3\\xa9");
    http_log_escape(buf, sizeof buf, NULL);
    CHECK_STR(buf, "-");
    http_log_escape(buf, sizeof buf, "");
    CHECK_STR(buf, "");
    char small[12];
    http_log_escape(small, sizeof small, "abcdefghijklmnop");
    CHECK_STR(small, "abcdefgh...");
    http_log_escape(small, sizeof small, "\n\n\n\n\n");
    CHECK_STR(small, "\\x0a\\x0a..."); /* an escape is never cut in half */
}

static void test_http__issue_7_host_allowed(void)
{
    CHECK(http_host_allowed(NULL, "127.0.0.1", 4566, NULL));
    CHECK(http_host_allowed("127.0.0.1:4566", "127.0.0.1", 4566, NULL));
    CHECK(http_host_allowed("localhost:4566", "127.0.0.1", 4566, NULL));
    CHECK(http_host_allowed("LocalHost:4566", "127.0.0.1", 4566, ""));
    CHECK(http_host_allowed("[::1]:4566", "127.0.0.1", 4566, NULL));
    CHECK(http_host_allowed("10.0.0.5:4566", "10.0.0.5", 4566, NULL));
    CHECK(!http_host_allowed("localhost:4567", "127.0.0.1", 4566, NULL));
    CHECK(!http_host_allowed("localhost", "127.0.0.1", 4566, NULL)); /* port 80 implied */
    CHECK(http_host_allowed("localhost", "127.0.0.1", 80, NULL));
    CHECK(!http_host_allowed("evil.example:4566", "127.0.0.1", 4566, NULL));
    CHECK(!http_host_allowed("localhost.evil.example:4566", "127.0.0.1", 4566, NULL));
    CHECK(!http_host_allowed("localhost:4566x", "127.0.0.1", 4566, NULL));
    CHECK(!http_host_allowed("localhost:", "127.0.0.1", 4566, NULL));
    /* Configured names. */
    CHECK(http_host_allowed("rdslocal:4566", "0.0.0.0", 4566, "db.test, rdslocal"));
    CHECK(http_host_allowed("rdslocal", "0.0.0.0", 4566, "db.test, rdslocal"));
    CHECK(!http_host_allowed("rdslocal:9999", "0.0.0.0", 4566, "db.test, rdslocal"));
    CHECK(http_host_allowed("proxy:8080", "0.0.0.0", 4566, "proxy:8080"));
    CHECK(!http_host_allowed("proxy:8081", "0.0.0.0", 4566, "proxy:8080"));
    CHECK(http_host_allowed("anything:1", "0.0.0.0", 4566, "*"));
}

static void test_http__issue_7_origin_allowed(void)
{
    CHECK(!http_origin_allowed("http://evil.example", NULL));
    CHECK(!http_origin_allowed("http://evil.example", ""));
    CHECK(!http_origin_allowed("null", "http://localhost:3000"));
    CHECK(http_origin_allowed("http://localhost:3000", "http://localhost:3000"));
    CHECK(http_origin_allowed("http://LOCALHOST:3000", " https://a.example/ , http://localhost:3000/"));
    CHECK(http_origin_allowed("https://a.example", " https://a.example/ , http://localhost:3000/"));
    CHECK(!http_origin_allowed("http://localhost:3001", "http://localhost:3000"));
    CHECK(!http_origin_allowed("http://localhost:300", "http://localhost:3000"));
    CHECK(http_origin_allowed("http://any.example", "*"));
    CHECK(!http_origin_allowed(NULL, "*"));
}

static void test_http__issue_7_media_type(void)
{
    const char *form = "application/x-www-form-urlencoded";
    CHECK(http_media_type_is("application/x-www-form-urlencoded", form));
    CHECK(http_media_type_is("application/x-www-form-urlencoded; charset=utf-8", form));
    CHECK(http_media_type_is("Application/X-WWW-Form-Urlencoded;charset=UTF-8", form));
    CHECK(http_media_type_is(" application/x-www-form-urlencoded ", form));
    CHECK(!http_media_type_is("application/x-www-form-urlencodedX", form));
    CHECK(!http_media_type_is("text/plain", form));
    CHECK(!http_media_type_is(NULL, form));
    CHECK(http_media_type_is("application/json", "application/json"));
    CHECK(!http_media_type_is("application/jsonp", "application/json"));
}

/* engine/base/log.c: whatever a message holds, the logger writes one line. */
static void test_http__issue_7_preflight_allow_headers(void)
{
    static const char sdk[] = "authorization, content-type, x-amz-date, x-amz-target, x-amz-content-sha256, "
                              "x-amz-security-token, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request";
    strbuf b;
    strbuf_init(&b);
    http_preflight_allow_headers(&b, NULL);
    CHECK_STR(b.data, sdk);
    /* a new SDK header is echoed; SDK headers are not repeated; anything else is left out */
    strbuf_reset(&b);
    http_preflight_allow_headers(&b, " X-Amz-Date ,x-amz-new-thing, cookie, x-amz-bad!name,amz-sdk-retry");
    char want[512];
    snprintf(want, sizeof want, "%s, x-amz-new-thing, amz-sdk-retry", sdk);
    CHECK_STR(b.data, want);
    strbuf_free(&b);
}

static void test_http__issue_7_log_line_is_one_line(void)
{
    char path[] = "/tmp/rdslocal-test-log-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_write(LOG_INFO, "api", "action=%s status=%d", "Describe\nFAKE INFO [api] x\r\x1b[2J", 400);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[512] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    char *nl = strchr(buf, '\n');
    CHECK(nl && nl[1] == '\0');
    CHECK_CONTAINS(buf, " INFO [api] action=Describe\\x0aFAKE INFO [api] x\\x0d\\x1b[2J status=400\n");
}

static const check_case cases[] = {
    TEST(test_http__issue_7_log_line_is_one_line),
    TEST(test_http__issue_7_log_escape),
    TEST(test_http__issue_7_host_allowed),
    TEST(test_http__issue_7_origin_allowed),
    TEST(test_http__issue_7_media_type),
    TEST(test_http__issue_7_preflight_allow_headers),
};

CHECK_MAIN(cases, NULL, NULL)
