/* admin.h: rdslocal's own JSON API under /_rdslocal/: health, reset (removes every
 * resource and its processes, for test isolation), and the clock (read; advance). */
#ifndef RDSLOCAL_ADMIN_H
#define RDSLOCAL_ADMIN_H

#include "rdslocal/engine.h"

typedef struct admin_response {
    int status;
    char *body;        /* malloc'd JSON */
    size_t body_len;
    const char *content_type; /* static; NULL: application/json */
} admin_response;

void admin_handle(engine *e, const char *method, const char *path, const char *query,
                  const char *body, size_t body_len, admin_response *out);

/* GET /_rdslocal/certs/global-bundle.pem (admin_certs.c): false if path is not under
 * /_rdslocal/certs/. */
bool admin_certs_handle(engine *e, const char *method, const char *path, admin_response *out);

#endif
