/* admin_faults.h: the fault-injection admin routes under /_rdslocal/faults and
 * /_rdslocal/experiments (see admin_faults.c). HTTP worker or I/O threads. */
#ifndef RDSLOCAL_ADMIN_FAULTS_H
#define RDSLOCAL_ADMIN_FAULTS_H

#include "admin.h"

/* Serves the request if path is one of the fault routes (true), else returns false and
 * leaves out alone. */
bool admin_faults_handle(engine *e, const char *method, const char *path, const char *query, const char *body,
                         size_t body_len, admin_response *out);

#endif
