/* rules_windows.c: PreferredBackupWindow and PreferredMaintenanceWindow: parsing, the
 * 30-minute and overlap rules, the defaults RDS assigns per region, and "is now inside the
 * maintenance window" arithmetic. Pure functions (time is an argument); any thread.
 *
 * Facts: formats and the 30-minute/overlap constraints from the CreateDBInstance API
 * reference; the per-region 8-hour blocks from the RDS user guide (backup: "Backup window";
 * maintenance: "Amazon RDS maintenance window"); the blocks differ between the two tables.
 *
 * Message sources:
 *   "The backup window and maintenance window must not overlap."   real AWS (terraform
 *       output in cloud-platform-environments #5243; terraform-provider-aws #49828); moto.
 *   "Backup window must be at least 30 minutes."   reported by a preflight rule set as the
 *       live DocDB/Neptune text (same control plane) and by floci as the live RDS text.
 *   "Maintenance window must be at least 30 minutes." / "... less than 24 hours."  floci
 *       (stated as live-account wording) and moto (moto says "The maintenance window must be
 *       at least 30 minutes."); not independently confirmed.
 *   "Invalid maintenance window format: X. Should be specified as a range
 *       ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15"   moto.
 *   "Invalid backup/maintenance window time 'X' specified. Should be specified as a time
 *       hh24:mi / ddd:hh24:mi (24H Clock UTC). Example: 03:15 / Mon:00:15"   floci (stated as
 *       live-account wording).
 *   The backup "format" message is AWS-styled after moto's maintenance one. */
#include "rdslocal/rules.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MIN_PER_DAY 1440
#define MIN_PER_WEEK (7 * MIN_PER_DAY)
#define WINDOW_MIN_MINUTES 30
#define DEFAULT_WINDOW_MINUTES 30
#define MS_PER_MIN 60000LL
#define MS_PER_WEEK (MIN_PER_WEEK * MS_PER_MIN)
/* 1970-01-05T00:00:00Z, the first Monday of the Unix epoch. */
#define EPOCH_MONDAY_MS (4LL * MIN_PER_DAY * MS_PER_MIN)

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int mod(int a, int m) { int r = a % m; return r < 0 ? r + m : r; }
static int64_t mod64(int64_t a, int64_t m) { int64_t r = a % m; return r < 0 ? r + m : r; }

/* "hh:mi" exactly (two digits each, 00-23, 00-59) at p[0..4]; minutes of the day or -1. */
static int parse_hhmi(const char *p)
{
    for (int i = 0; i < 5; i++) {
        if (i == 2 ? p[i] != ':' : (p[i] < '0' || p[i] > '9'))
            return -1;
    }
    int h = (p[0] - '0') * 10 + (p[1] - '0');
    int m = (p[3] - '0') * 10 + (p[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}

/* "ddd:hh:mi" at p[0..8]; minutes from Monday 00:00 or -1. */
static int parse_dddhhmi(const char *p)
{
    int day = -1;
    for (int d = 0; d < 7; d++)
        if (strncasecmp(p, day_names[d], 3) == 0)
            day = d;
    if (day < 0 || p[3] != ':')
        return -1;
    int t = parse_hhmi(p + 4);
    return t < 0 ? -1 : day * MIN_PER_DAY + t;
}

static int window_len(const rules_window *w)
{
    return mod(w->end_min - w->start_min, w->weekly ? MIN_PER_WEEK : MIN_PER_DAY);
}

int rules_parse_backup_window(const char *s, rules_window *out, rds_error *err)
{
    if (!s || strlen(s) != 11 || s[5] != '-')
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid backup window format: %s. Should be specified as a range "
                        "hh24:mi-hh24:mi (24H Clock UTC). Example: 03:15-08:15", s ? s : "");
    char part[6];
    for (int i = 0; i < 2; i++) {
        memcpy(part, s + i * 6, 5);
        part[5] = '\0';
        if (parse_hhmi(part) < 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Invalid backup window time '%s' specified. Should be specified as "
                            "a time hh24:mi (24H Clock UTC). Example: 03:15", part);
    }
    rules_window w = { parse_hhmi(s), parse_hhmi(s + 6), false };
    if (window_len(&w) < WINDOW_MIN_MINUTES)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Backup window must be at least %d minutes.", WINDOW_MIN_MINUTES);
    if (out)
        *out = w;
    return 0;
}

int rules_parse_maintenance_window(const char *s, rules_window *out, rds_error *err)
{
    if (!s || strlen(s) != 19 || s[9] != '-')
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid maintenance window format: %s. Should be specified as a range "
                        "ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: Sun:23:45-Mon:00:15",
                        s ? s : "");
    char part[10];
    for (int i = 0; i < 2; i++) {
        memcpy(part, s + i * 10, 9);
        part[9] = '\0';
        if (parse_dddhhmi(part) < 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Invalid maintenance window time '%s' specified. Should be "
                            "specified as a time ddd:hh24:mi (24H Clock UTC). Example: "
                            "Mon:00:15", part);
    }
    rules_window w = { parse_dddhhmi(s), parse_dddhhmi(s + 10), true };
    int len = window_len(&w);
    if (len < WINDOW_MIN_MINUTES)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Maintenance window must be at least %d minutes.", WINDOW_MIN_MINUTES);
    if (len >= MIN_PER_DAY)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Maintenance window must be less than 24 hours.");
    if (out)
        *out = w;
    return 0;
}

void rules_format_window(char *buf, size_t n, const rules_window *w)
{
    if (!buf || n == 0)
        return;
    if (!w) {
        buf[0] = '\0';
        return;
    }
    if (w->weekly) {
        int s = mod(w->start_min, MIN_PER_WEEK), e = mod(w->end_min, MIN_PER_WEEK);
        snprintf(buf, n, "%s:%02d:%02d-%s:%02d:%02d", day_names[s / MIN_PER_DAY],
                 s % MIN_PER_DAY / 60, s % 60, day_names[e / MIN_PER_DAY],
                 e % MIN_PER_DAY / 60, e % 60);
    } else {
        int s = mod(w->start_min, MIN_PER_DAY), e = mod(w->end_min, MIN_PER_DAY);
        snprintf(buf, n, "%02d:%02d-%02d:%02d", s / 60, s % 60, e / 60, e % 60);
    }
}

/* Two arcs on the 24-hour clock, [a, a+la) and [b, b+lb), both shorter than a day. A daily
 * window meets a weekly one of under 24 hours exactly when their times of day meet. */
static bool arcs_overlap(int a, int la, int b, int lb)
{
    return mod(b - a, MIN_PER_DAY) < la || mod(a - b, MIN_PER_DAY) < lb;
}

static bool windows_overlap(const rules_window *backup, const rules_window *maint)
{
    return arcs_overlap(backup->start_min, window_len(backup),
                        mod(maint->start_min, MIN_PER_DAY), window_len(maint));
}

int rules_check_windows(const char *backup, const char *maintenance, rds_error *err)
{
    /* zeroed: the compiler cannot see that b and m are only read when parsed */
    rules_window b = { 0 }, m = { 0 };
    if (backup && rules_parse_backup_window(backup, &b, err) < 0)
        return -1;
    if (maintenance && rules_parse_maintenance_window(maintenance, &m, err) < 0)
        return -1;
    if (backup && maintenance && windows_overlap(&b, &m))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The backup window and maintenance window must not overlap.");
    return 0;
}

/* ---- defaults ------------------------------------------------------------ */

/* Per-region 8-hour blocks (UTC, minutes of the day, end may wrap midnight), from the RDS user
 * guide tables for default backup windows and default maintenance windows. */
typedef struct region_blocks {
    const char *region;
    int backup_start, backup_end;
    int maint_start, maint_end;
} region_blocks;

#define HM(h, m) ((h) * 60 + (m))
static const region_blocks regions[] = {
    { "us-east-1", HM(3, 0), HM(11, 0), HM(3, 0), HM(11, 0) },
    { "us-east-2", HM(3, 0), HM(11, 0), HM(3, 0), HM(11, 0) },
    { "us-west-1", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
    { "us-west-2", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
    { "af-south-1", HM(3, 0), HM(11, 0), HM(3, 0), HM(11, 0) },
    { "ap-east-1", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
    { "ap-east-2", HM(9, 0), HM(17, 0), HM(9, 0), HM(17, 0) },
    { "ap-south-2", HM(6, 30), HM(14, 30), HM(6, 30), HM(14, 30) },
    { "ap-southeast-3", HM(8, 0), HM(16, 0), HM(8, 0), HM(16, 0) },
    { "ap-southeast-5", HM(9, 0), HM(17, 0), HM(9, 0), HM(17, 0) },
    { "ap-southeast-4", HM(11, 0), HM(19, 0), HM(11, 0), HM(19, 0) },
    { "ap-south-1", HM(16, 30), HM(0, 30), HM(6, 0), HM(14, 0) },
    { "ap-southeast-6", HM(13, 0), HM(21, 0), HM(13, 0), HM(21, 0) },
    { "ap-northeast-3", HM(0, 0), HM(8, 0), HM(22, 0), HM(23, 59) },
    { "ap-northeast-2", HM(13, 0), HM(21, 0), HM(13, 0), HM(21, 0) },
    { "ap-southeast-1", HM(14, 0), HM(22, 0), HM(14, 0), HM(22, 0) },
    { "ap-southeast-2", HM(12, 0), HM(20, 0), HM(12, 0), HM(20, 0) },
    { "ap-southeast-7", HM(8, 0), HM(16, 0), HM(8, 0), HM(16, 0) },
    { "ap-northeast-1", HM(13, 0), HM(21, 0), HM(13, 0), HM(21, 0) },
    { "ca-central-1", HM(3, 0), HM(11, 0), HM(3, 0), HM(11, 0) },
    { "ca-west-1", HM(18, 0), HM(2, 0), HM(18, 0), HM(2, 0) },
    { "cn-north-1", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
    { "cn-northwest-1", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
    { "eu-central-1", HM(20, 0), HM(4, 0), HM(21, 0), HM(5, 0) },
    { "eu-west-1", HM(22, 0), HM(6, 0), HM(22, 0), HM(6, 0) },
    { "eu-west-2", HM(22, 0), HM(6, 0), HM(22, 0), HM(6, 0) },
    { "eu-south-1", HM(2, 0), HM(10, 0), HM(2, 0), HM(10, 0) },
    { "eu-west-3", HM(7, 29), HM(14, 29), HM(23, 59), HM(7, 29) },
    { "eu-south-2", HM(2, 0), HM(10, 0), HM(2, 0), HM(10, 0) },
    { "eu-north-1", HM(23, 0), HM(7, 0), HM(23, 0), HM(7, 0) },
    { "eu-central-2", HM(2, 0), HM(10, 0), HM(2, 0), HM(10, 0) },
    { "il-central-1", HM(3, 0), HM(11, 0), HM(3, 0), HM(11, 0) },
    { "mx-central-1", HM(19, 0), HM(3, 0), HM(19, 0), HM(3, 0) },
    { "me-south-1", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
    { "me-central-1", HM(5, 0), HM(13, 0), HM(5, 0), HM(13, 0) },
    { "sa-east-1", HM(23, 0), HM(7, 0), HM(0, 0), HM(8, 0) },
    { "us-gov-east-1", HM(17, 0), HM(1, 0), HM(17, 0), HM(1, 0) },
    { "us-gov-west-1", HM(6, 0), HM(14, 0), HM(6, 0), HM(14, 0) },
};

static const region_blocks *find_region(const char *region)
{
    if (region)
        for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
            if (strcmp(region, regions[i].region) == 0)
                return &regions[i];
    return &regions[0]; /* us-east-1 */
}

/* splitmix32-style finaliser: spreads consecutive seeds. */
static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* The pair of defaults for (region, seed): backup start (minute of day), maintenance day and
 * start (minute of day). Both 30 minutes long, inside their blocks, not overlapping. */
static void default_pair(const char *region, uint32_t seed, int *b_start, int *m_day,
                         int *m_start)
{
    const region_blocks *r = find_region(region);
    uint32_t h1 = mix(seed), h2 = mix(h1 ^ 0x9e3779b9U), h3 = mix(h2 ^ 0x85ebca6bU);
    int b_len = mod(r->backup_end - r->backup_start, MIN_PER_DAY);
    int m_len = mod(r->maint_end - r->maint_start, MIN_PER_DAY);
    int b_slots = b_len - DEFAULT_WINDOW_MINUTES + 1;
    int m_slots = m_len - DEFAULT_WINDOW_MINUTES + 1;
    *b_start = mod(r->backup_start + (int)(h1 % (uint32_t)b_slots), MIN_PER_DAY);
    *m_day = (int)(h2 % 7);
    int first = (int)(h3 % (uint32_t)m_slots);
    for (int k = 0; k < m_slots; k++) {
        int start = mod(r->maint_start + (first + k) % m_slots, MIN_PER_DAY);
        if (!arcs_overlap(*b_start, DEFAULT_WINDOW_MINUTES, start, DEFAULT_WINDOW_MINUTES)) {
            *m_start = start;
            return;
        }
    }
    /* Not reachable with the published blocks (each has room for two windows); keep the
     * pair valid anyway by placing maintenance right after the backup window. */
    *m_start = mod(*b_start + DEFAULT_WINDOW_MINUTES, MIN_PER_DAY);
}

void rules_default_backup_window(char *buf, size_t n, const char *region, uint32_t seed)
{
    int b, d, m;
    default_pair(region, seed, &b, &d, &m);
    rules_window w = { b, mod(b + DEFAULT_WINDOW_MINUTES, MIN_PER_DAY), false };
    rules_format_window(buf, n, &w);
}

void rules_default_maintenance_window(char *buf, size_t n, const char *region, uint32_t seed)
{
    int b, d, m;
    default_pair(region, seed, &b, &d, &m);
    int start = d * MIN_PER_DAY + m;
    rules_window w = { start, mod(start + DEFAULT_WINDOW_MINUTES, MIN_PER_WEEK), true };
    rules_format_window(buf, n, &w);
}

/* ---- time arithmetic ----------------------------------------------------- */

bool rules_in_maintenance_window(const char *window, int64_t now_ms)
{
    rules_window w;
    if (rules_parse_maintenance_window(window, &w, NULL) < 0)
        return false;
    int64_t pos = mod64(now_ms - EPOCH_MONDAY_MS, MS_PER_WEEK);
    int64_t from_start = mod64(pos - w.start_min * MS_PER_MIN, MS_PER_WEEK);
    return from_start < window_len(&w) * MS_PER_MIN;
}

int64_t rules_next_maintenance_start_ms(const char *window, int64_t now_ms)
{
    rules_window w;
    if (rules_parse_maintenance_window(window, &w, NULL) < 0)
        return -1;
    int64_t pos = mod64(now_ms - EPOCH_MONDAY_MS, MS_PER_WEEK);
    return now_ms + mod64(w.start_min * MS_PER_MIN - pos, MS_PER_WEEK);
}
