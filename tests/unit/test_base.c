/* test_base.c: the clock's formatting and parsing (every timestamp rdslocal sends goes
 * through rds_time_iso8601) and the arena/strbuf helpers. */
#include "check.h"
#include "rdslocal/base.h"

static void test_base__iso8601_known_instants(void)
{
    char b[40];
    rds_time_iso8601(b, sizeof b, 0);
    CHECK_STR(b, "1970-01-01T00:00:00.000Z");
    rds_time_iso8601(b, sizeof b, 951782400000LL); /* leap day of a century leap year */
    CHECK_STR(b, "2000-02-29T00:00:00.000Z");
    rds_time_iso8601(b, sizeof b, 1796500067447LL);
    CHECK_STR(b, "2026-12-05T19:47:47.447Z");
    rds_time_iso8601(b, sizeof b, 253402300799999LL);
    CHECK_STR(b, "9999-12-31T23:59:59.999Z");
}

static void test_base__parse_round_trips(void)
{
    static const int64_t instants[] = { 0, 86399999, 951782400000LL, 1796500067447LL, 4102444800000LL };
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
        char b[40];
        int64_t back = -1;
        rds_time_iso8601(b, sizeof b, instants[i]);
        CHECK(rds_time_parse(b, &back) == 0);
        CHECK_INT(back, instants[i]);
    }
    int64_t v;
    CHECK(rds_time_parse("2026-11-27T18:30:00+01:00", &v) == 0);
    CHECK_INT(v, 1795800600000LL);
    CHECK(rds_time_parse("1796500067", &v) == 0); /* epoch seconds, as the CLI may send */
    CHECK_INT(v, 1796500067000LL);
    CHECK(rds_time_parse("99999999999999999999", &v) == -1); /* found by fuzzing */
    CHECK(rds_time_parse("2026-13-01", &v) == -1);
    CHECK(rds_time_parse("", &v) == -1);
}

static void test_base__arena_and_strbuf(void)
{
    arena *a = arena_new();
    char *s = arena_printf(a, "%s-%d", "db", 42);
    CHECK_STR(s, "db-42");
    char *big = arena_alloc(a, 100000); /* larger than a block */
    CHECK(big != NULL && big[99999] == 0);
    arena_free(a);
    strbuf b;
    strbuf_init(&b);
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&b, "%d,", i % 10);
    CHECK_INT(b.len, 2000);
    CHECK(b.data[b.len] == '\0');
    strbuf_free(&b);
}

static const check_case cases[] = {
    TEST(test_base__iso8601_known_instants),
    TEST(test_base__parse_round_trips),
    TEST(test_base__arena_and_strbuf),
};
CHECK_MAIN(cases, NULL, NULL)
