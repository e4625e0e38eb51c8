/* admin_certs.c: GET /_rdslocal/certs/global-bundle.pem, the PEM bundle of every CA
 * rdslocal keeps (the file <state_dir>/certs/global-bundle.pem), so a client can verify
 * instances' certificates (psql sslmode=verify-full sslrootcert=<bundle>) as it would
 * with AWS's global bundle. */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

bool admin_certs_handle(engine *e, const char *method, const char *path, admin_response *out)
{
    if (strncmp(path, "/_rdslocal/certs/", 17) != 0)
        return false;
    const char *msg = NULL;
    int status = 200;
    char *pem = NULL;
    size_t len = 0;
    rds_error err;
    rds_error_clear(&err);
    if (strcmp(path, "/_rdslocal/certs/global-bundle.pem") != 0)
        status = 404, msg = "{\"error\": \"no such certificate file\"}\n";
    else if (strcmp(method, "GET") != 0)
        status = 405, msg = "{\"error\": \"use GET\"}\n";
    else if (engine_ca_bundle(e, &pem, &len, &err))
        status = 500, msg = "{\"error\": \"the CA bundle could not be read\"}\n";
    if (msg) {
        pem = strdup(msg);
        len = strlen(msg);
    }
    out->status = status;
    out->body = pem;
    out->body_len = len;
    if (status == 200)
        out->content_type = "application/x-pem-file";
    return true;
}
