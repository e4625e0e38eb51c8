/* error.c: rds_error helpers and the code table built from errors.def. */
#include "rdslocal/base.h"

#include <stdio.h>
#include <string.h>

static const struct { const char *code; int status; rds_fault fault; } err_table[] = {
    [RDS_OK] = { "OK", 200, SENDER },
#define RDS_ERR(id, code, status, fault) [RDS_E_##id] = { code, status, fault },
#include "rdslocal/errors.def"
#undef RDS_ERR
};

int rds_fail(rds_error *err, rds_errcode code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

int rds_detail(rds_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
    return -1;
}

void rds_error_clear(rds_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const char *rds_error_code_str(rds_errcode code)
{
    return (code >= 0 && code < RDS_E__COUNT) ? err_table[code].code : "InternalFailure";
}

int rds_error_http_status(rds_errcode code)
{
    return (code >= 0 && code < RDS_E__COUNT) ? err_table[code].status : 500;
}

bool rds_error_is_sender(rds_errcode code)
{
    return (code >= 0 && code < RDS_E__COUNT) ? err_table[code].fault == SENDER : false;
}
