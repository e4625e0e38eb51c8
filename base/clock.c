/* clock.c: rdslocal's clock (real time + forward-only offset), ISO 8601 formatting and
 * parsing, and random ids. The offset is process-wide; the engine persists it in the store
 * and restores it at start-up, so the clock never goes back across a restart. */
#include "rdslocal/base.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t clock_offset_ms;

int64_t rds_real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rds_now_ms(void)
{
    return rds_real_now_ms() + atomic_load(&clock_offset_ms);
}

int64_t rds_clock_offset_ms(void)
{
    return atomic_load(&clock_offset_ms);
}

int rds_clock_set_offset_ms(int64_t offset_ms)
{
    int64_t cur = atomic_load(&clock_offset_ms);
    while (offset_ms >= cur) {
        if (atomic_compare_exchange_weak(&clock_offset_ms, &cur, offset_ms))
            return 0;
    }
    return -1;
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm), the inverse of
 * rds_days_from_civil below. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Formats by hand: it runs for every timestamp of every rendered instance. */
void rds_time_iso8601(char *buf, size_t n, int64_t at_ms)
{
    if (at_ms < 0 || at_ms > (int64_t)253402300799999 || n < 25) {
        snprintf(buf, n, "1970-01-01T00:00:00.000Z");
        return;
    }
    int64_t secs = at_ms / 1000, days = secs / 86400, rem = secs % 86400;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    unsigned ms = (unsigned)(at_ms % 1000);
    char *p = buf;
    p = two(p, (unsigned)(y / 100));
    p = two(p, (unsigned)(y % 100));
    *p++ = '-';
    p = two(p, mo);
    *p++ = '-';
    p = two(p, d);
    *p++ = 'T';
    p = two(p, (unsigned)(rem / 3600));
    *p++ = ':';
    p = two(p, (unsigned)(rem / 60 % 60));
    *p++ = ':';
    p = two(p, (unsigned)(rem % 60));
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    p = two(p, ms % 100);
    *p++ = 'Z';
    *p = '\0';
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant's algorithm. */
int64_t rds_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

int rds_time_parse(const char *s, int64_t *out_ms)
{
    if (!s || !*s)
        return -1;
    const char *p = s;
    /* Epoch seconds (the AWS CLI may send them), possibly with a fraction. */
    bool all_num = true;
    for (const char *q = s; *q; q++)
        if (!isdigit((unsigned char)*q) && *q != '.')
            all_num = false;
    if (all_num) {
        char *end;
        double v = strtod(s, &end);
        /* Up to 9999-12-31T23:59:59Z: beyond it the cast to int64_t would be undefined. */
        if (*end || !(v >= 0 && v <= 253402300799.0))
            return -1;
        *out_ms = (int64_t)(v * 1000.0);
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se))
                return -1;
        }
        if (*p == '.') {
            p++;
            int scale = 100;
            if (!isdigit((unsigned char)*p))
                return -1;
            while (isdigit((unsigned char)*p)) {
                ms += (*p - '0') * scale;
                scale /= 10;
                p++;
            }
        }
    }
    int64_t off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (*p && digits(&p, 2, &om))
            return -1;
        off_min = sign * (oh * 60 + om);
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t days = rds_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out_ms = ((days * 86400 + h * 3600 + mi * 60 + se) - off_min * 60) * 1000 + ms;
    return 0;
}

void rds_random_upper(char *buf, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char rnd[128];
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < sizeof rnd ? n - done : sizeof rnd;
        if (RAND_bytes(rnd, (int)chunk) != 1)
            abort();
        for (size_t i = 0; i < chunk; i++)
            buf[done + i] = alphabet[rnd[i] % 36];
        done += chunk;
    }
    buf[n] = '\0';
}

void rds_uuid(char buf[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        abort();
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

char *rds_lower(char *s)
{
    for (char *p = s; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

const char *rds_format_int(char buf[RDS_INT_TEXT_MAX], int64_t v)
{
    char *p = buf + RDS_INT_TEXT_MAX;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *--p = '\0';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}
