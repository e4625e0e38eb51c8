/* log.c: one-line, level-checked logging to stderr: UTC time, level, subsystem, message.
 * Any thread may log; each line is written with a single write(2) so lines don't interleave. */
#include "rdslocal/base.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

log_level log_min_level = LOG_INFO;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void log_write(log_level lvl, const char *subsys, const char *fmt, ...)
{
    char line[2048];
    char ts[40];
    rds_time_iso8601(ts, sizeof ts, rds_real_now_ms());
    int n = snprintf(line, sizeof line, "%s %s [%s] ", ts, level_names[lvl], subsys);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
