/* log.c: one-line, level-checked logging to stderr: UTC time, level, subsystem, message.
 * Any thread may log; each line is written with a single write(2) so lines don't interleave.
 * Control characters in a message are written as \xNN: a log line is always one line. */
#include "rdslocal/base.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

log_level log_min_level = LOG_INFO;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void log_write(log_level lvl, const char *subsys, const char *fmt, ...)
{
    char msg[2048], line[2200];
    char ts[40];
    rds_time_iso8601(ts, sizeof ts, rds_real_now_ms());
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    int n = snprintf(line, sizeof line, "%s %s [%s] ", ts, level_names[lvl], subsys);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    /* One event, one line: a control character that reached the message (from any value
     * a client chose) is written as \xNN, so it can neither end the line nor drive a
     * terminal. */
    static const char hex[] = "0123456789abcdef";
    size_t k = (size_t)n;
    for (const unsigned char *p = (const unsigned char *)msg; *p && k + 5 < sizeof line; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            line[k++] = '\\';
            line[k++] = 'x';
            line[k++] = hex[*p >> 4];
            line[k++] = hex[*p & 15];
        } else {
            line[k++] = (char)*p;
        }
    }
    line[k++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, k);
    (void)w;
}
