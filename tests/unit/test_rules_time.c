/* test_rules_time.c: unit tests of engine/rules that involve time: backup and maintenance
 * window parsing, overlap and defaults, the maintenance-window instant, and the instance
 * state rules (stop/start/reboot/modify/delete, the 7-day stop). No I/O, no clock. */
#include "check.h"
#include "rdslocal/rules.h"

#include <stdio.h>
#include <string.h>

static rds_error err;

static void reset(void) { rds_error_clear(&err); }

/* ---- windows ------------------------------------------------------------ */

static void test_rules__backup_window_parse(void)
{
    rules_window w;
    CHECK_INT(rules_parse_backup_window("03:00-03:30", &w, &err), 0);
    CHECK_INT(w.start_min, 180);
    CHECK_INT(w.end_min, 210);
    CHECK(!w.weekly);
    CHECK_INT(rules_parse_backup_window("23:45-00:15", &w, &err), 0); /* wraps midnight */
    CHECK_INT(w.start_min, 23 * 60 + 45);
    CHECK_INT(w.end_min, 15);
    CHECK_INT(rules_parse_backup_window("00:00-23:59", &w, &err), 0);

    CHECK_ERR(rules_parse_backup_window("03:00-03:29", &w, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Backup window must be at least 30 minutes.");
    reset();
    CHECK_ERR(rules_parse_backup_window("23:50-00:10", &w, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE); /* 20 minutes across midnight */
    reset();
    CHECK_ERR(rules_parse_backup_window("03:00-03:00", &w, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    const char *bad[] = { "3:00-3:30", "03:00", "03:00-", "03:00_03:30", "24:00-00:30",
                          "03:60-04:30", "aa:bb-cc:dd", "", "03:00-03:30x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_parse_backup_window(bad[i], &w, &err), &err,
                  RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(err.message, "hh24:mi");
    }
    reset();
    rules_parse_backup_window("24:00-00:30", &w, &err);
    CHECK_STR(err.message, "Invalid backup window time '24:00' specified. Should be specified "
                           "as a time hh24:mi (24H Clock UTC). Example: 03:15");
}

static void test_rules__maintenance_window_parse(void)
{
    rules_window w;
    char buf[32];
    CHECK_INT(rules_parse_maintenance_window("Sun:05:00-Sun:05:30", &w, &err), 0);
    CHECK(w.weekly);
    CHECK_INT(w.start_min, 6 * 1440 + 300);
    rules_format_window(buf, sizeof buf, &w);
    CHECK_STR(buf, "sun:05:00-sun:05:30"); /* stored lower case */
    CHECK_INT(rules_parse_maintenance_window("MON:00:00-mon:00:30", &w, &err), 0);
    CHECK_INT(w.start_min, 0);
    CHECK_INT(rules_parse_maintenance_window("sun:23:45-mon:00:15", &w, &err), 0); /* week end */
    CHECK_INT(w.start_min, 7 * 1440 - 15);
    CHECK_INT(w.end_min, 15);
    rules_format_window(buf, sizeof buf, &w);
    CHECK_STR(buf, "sun:23:45-mon:00:15");
    CHECK_INT(rules_parse_maintenance_window("tue:10:00-wed:09:59", &w, &err), 0); /* 23:59 */

    CHECK_ERR(rules_parse_maintenance_window("sun:05:00-sun:05:29", &w, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Maintenance window must be at least 30 minutes.");
    reset();
    CHECK_ERR(rules_parse_maintenance_window("tue:10:00-wed:10:00", &w, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Maintenance window must be less than 24 hours.");
    reset();
    CHECK_ERR(rules_parse_maintenance_window("sun:05:00", &w, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Invalid maintenance window format: sun:05:00. Should be specified "
                           "as a range ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: "
                           "Sun:23:45-Mon:00:15");
    const char *bad[] = { "xyz:05:00-sun:05:30", "sun:25:00-sun:05:30", "sun-05:00-sun:05:30",
                          "sunday:05:00-05:30", "05:00-05:30", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_parse_maintenance_window(bad[i], &w, &err), &err,
                  RDS_E_INVALID_PARAMETER_VALUE);
    }
}

static void test_rules__windows_overlap(void)
{
    CHECK_INT(rules_check_windows(NULL, NULL, &err), 0);
    CHECK_INT(rules_check_windows("03:00-03:30", NULL, &err), 0);
    CHECK_INT(rules_check_windows(NULL, "sun:05:00-sun:05:30", &err), 0);
    CHECK_INT(rules_check_windows("03:00-03:30", "sun:05:00-sun:05:30", &err), 0);
    CHECK_INT(rules_check_windows("03:00-03:30", "mon:03:30-mon:04:00", &err), 0); /* touching */
    CHECK_ERR(rules_check_windows("03:00-04:00", "wed:03:30-wed:04:30", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "The backup window and maintenance window must not overlap.");
    reset();
    /* daily window across midnight against a weekly one early on some day */
    CHECK_ERR(rules_check_windows("23:30-00:30", "thu:00:00-thu:00:30", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    /* weekly window across the week end against a daily one */
    CHECK_ERR(rules_check_windows("00:00-00:30", "sun:23:45-mon:00:15", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_check_windows("01:00-02:00", "fri:00:00-fri:23:00", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(rules_check_windows("23:00-23:30", "fri:00:00-fri:23:00", &err), 0);
    reset();
    /* a bad window is reported before the overlap */
    CHECK_ERR(rules_check_windows("03:00-03:10", "sun:05:00-sun:05:30", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "at least 30 minutes");
}

static void test_rules__default_windows(void)
{
    const char *regions[] = { "us-east-1", "us-west-2", "eu-central-1", "eu-west-3",
                              "ap-northeast-3", "ap-south-1", "sa-east-1", "nowhere-1", NULL };
    for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
        for (uint32_t seed = 0; seed < 300; seed++) {
            char b[32], m[32], b2[32];
            rules_window bw, mw;
            rules_default_backup_window(b, sizeof b, regions[r], seed);
            rules_default_maintenance_window(m, sizeof m, regions[r], seed);
            rules_default_backup_window(b2, sizeof b2, regions[r], seed);
            CHECK_STR(b, b2); /* deterministic */
            reset();
            CHECK_INT(rules_parse_backup_window(b, &bw, &err), 0);
            CHECK_INT(rules_parse_maintenance_window(m, &mw, &err), 0);
            CHECK_INT(rules_check_windows(b, m, &err), 0);
            CHECK_INT((bw.end_min - bw.start_min + 1440) % 1440, 30);
            CHECK_INT((mw.end_min - mw.start_min + 10080) % 10080, 30);
        }
    }
    /* us-east-1: both blocks are 03:00-11:00 UTC */
    for (uint32_t seed = 0; seed < 200; seed++) {
        char b[32];
        rules_window w;
        rules_default_backup_window(b, sizeof b, "us-east-1", seed);
        rules_parse_backup_window(b, &w, NULL);
        CHECK(w.start_min >= 180 && w.start_min <= 630);
        rules_default_maintenance_window(b, sizeof b, "us-east-1", seed);
        rules_parse_maintenance_window(b, &w, NULL);
        CHECK(w.start_min % 1440 >= 180 && w.start_min % 1440 <= 630);
    }
    /* eu-central-1 backup block 20:00-04:00 wraps midnight */
    for (uint32_t seed = 0; seed < 200; seed++) {
        char b[32];
        rules_window w;
        rules_default_backup_window(b, sizeof b, "eu-central-1", seed);
        rules_parse_backup_window(b, &w, NULL);
        CHECK(w.start_min >= 20 * 60 || w.start_min <= 3 * 60 + 30);
    }
    /* seeds spread over days and times */
    char first[32], other[32];
    int differ = 0;
    rules_default_maintenance_window(first, sizeof first, "us-east-1", 1);
    for (uint32_t seed = 2; seed < 20; seed++) {
        rules_default_maintenance_window(other, sizeof other, "us-east-1", seed);
        differ += strcmp(first, other) != 0;
    }
    CHECK(differ > 10);
    /* NULL region is us-east-1 */
    rules_default_backup_window(first, sizeof first, NULL, 7);
    rules_default_backup_window(other, sizeof other, "us-east-1", 7);
    CHECK_STR(first, other);
}

/* 2024-01-01T00:00:00Z was a Monday. */
#define MON_2024_01_01_MS 1704067200000LL
#define MIN_MS 60000LL
#define DAY_MS (1440 * MIN_MS)
#define WEEK_MS (7 * DAY_MS)

static void test_rules__maintenance_window_time(void)
{
    const char *w = "tue:03:00-tue:03:30";
    int64_t tue0300 = MON_2024_01_01_MS + DAY_MS + 180 * MIN_MS;
    CHECK(!rules_in_maintenance_window(w, tue0300 - 1));
    CHECK(rules_in_maintenance_window(w, tue0300));
    CHECK(rules_in_maintenance_window(w, tue0300 + 30 * MIN_MS - 1));
    CHECK(!rules_in_maintenance_window(w, tue0300 + 30 * MIN_MS));
    CHECK(rules_in_maintenance_window(w, tue0300 + 52 * WEEK_MS + 10 * MIN_MS)); /* a year on */
    CHECK(!rules_in_maintenance_window("bogus", tue0300));

    CHECK_INT(rules_next_maintenance_start_ms(w, tue0300), tue0300); /* >= now */
    CHECK_INT(rules_next_maintenance_start_ms(w, tue0300 - 5 * MIN_MS), tue0300);
    CHECK_INT(rules_next_maintenance_start_ms(w, tue0300 + 1), tue0300 + WEEK_MS);
    CHECK_INT(rules_next_maintenance_start_ms(w, MON_2024_01_01_MS), tue0300);
    CHECK_INT(rules_next_maintenance_start_ms("bogus", tue0300), -1);

    /* across the week end: sun 23:45 to mon 00:15 */
    const char *wrap = "sun:23:45-mon:00:15";
    CHECK(rules_in_maintenance_window(wrap, MON_2024_01_01_MS));           /* mon 00:00 */
    CHECK(rules_in_maintenance_window(wrap, MON_2024_01_01_MS - MIN_MS));  /* sun 23:59 */
    CHECK(!rules_in_maintenance_window(wrap, MON_2024_01_01_MS + 15 * MIN_MS));
    CHECK_INT(rules_next_maintenance_start_ms(wrap, MON_2024_01_01_MS),
              MON_2024_01_01_MS - 15 * MIN_MS + WEEK_MS);
    /* before 1970-01-05 (negative offsets) */
    CHECK(rules_in_maintenance_window("thu:00:00-thu:00:30", 0)); /* 1970-01-01 was a Thursday */
}

/* ---- states ------------------------------------------------------------- */

static void test_rules__state_stop(void)
{
    CHECK_INT(rules_can_stop("db1", "available", false, &err), 0);
    const char *bad[] = { "stopped", "stopping", "creating", "deleting", "rebooting", "modifying",
                          "starting", "failed", "storage-full", "backing-up" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_can_stop("db1", bad[i], false, &err), &err,
                  RDS_E_INVALID_DB_INSTANCE_STATE);
        CHECK_STR(err.message, "Instance db1 is not in available state.");
    }
    reset();
    CHECK_ERR(rules_can_stop("db1", "available", true, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_can_stop("db1", NULL, false, &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
}

static void test_rules__state_start(void)
{
    CHECK_INT(rules_can_start("db1", "stopped", &err), 0);
    CHECK_INT(rules_can_start("db1", "inaccessible-encryption-credentials-recoverable", &err), 0);
    CHECK_INT(rules_can_start("db1", "incompatible-network", &err), 0);
    const char *bad[] = { "available", "stopping", "starting", "creating", "deleting", "failed" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_can_start("db1", bad[i], &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
        CHECK_STR(err.message, "Instance db1 cannot be started as it is not in one of the "
                               "following statuses: 'stopped, inaccessible-encryption-"
                               "credentials-recoverable, incompatible-network (only valid for "
                               "non-SqlServer instances)'.");
    }
}

static void test_rules__state_reboot(void)
{
    CHECK_INT(rules_can_reboot("db1", "available", &err), 0);
    CHECK_INT(rules_can_reboot("db1", "incompatible-parameters", &err), 0);
    const char *bad[] = { "stopped", "stopping", "rebooting", "creating", "deleting", "modifying" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_can_reboot("db1", bad[i], &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
        CHECK_STR(err.message, "Instance db1 is not in available state.");
    }
}

static void test_rules__state_modify(void)
{
    CHECK_INT(rules_can_modify("db1", "available", &err), 0);
    CHECK_INT(rules_can_modify("db1", "storage-full", &err), 0);
    CHECK_INT(rules_can_modify("db1", "backing-up", &err), 0);
    const char *bad[] = { "stopped", "creating", "deleting", "modifying", "rebooting", "failed" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_can_modify("db1", bad[i], &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
        CHECK_STR(err.message, "Instance db1 is not in available state.");
    }
}

static void test_rules__state_delete(void)
{
    const char *ok[] = { "available", "stopped", "failed", "creating", "modifying",
                         "storage-full", "backing-up", "rebooting" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_INT(rules_can_delete("db1", ok[i], &err), 0);
    CHECK_ERR(rules_can_delete("db1", "deleting", &err), &err, RDS_E_INVALID_DB_INSTANCE_STATE);
    CHECK_STR(err.message, "Instance db1 is already being deleted.");
}

static void test_rules__stop_expired(void)
{
    int64_t t0 = MON_2024_01_01_MS;
    CHECK(!rules_stop_expired(t0, t0));
    CHECK(!rules_stop_expired(t0, t0 + 7 * DAY_MS - 1));
    CHECK(rules_stop_expired(t0, t0 + 7 * DAY_MS));
    CHECK(rules_stop_expired(t0, t0 + 30 * DAY_MS));
}

static const check_case cases[] = {
    TEST(test_rules__backup_window_parse),
    TEST(test_rules__maintenance_window_parse),
    TEST(test_rules__windows_overlap),
    TEST(test_rules__default_windows),
    TEST(test_rules__maintenance_window_time),
    TEST(test_rules__state_stop),
    TEST(test_rules__state_start),
    TEST(test_rules__state_reboot),
    TEST(test_rules__state_modify),
    TEST(test_rules__state_delete),
    TEST(test_rules__stop_expired),
};

CHECK_MAIN(cases, reset, NULL)
