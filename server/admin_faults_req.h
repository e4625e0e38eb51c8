/* admin_faults_req.h: parsing and validation of the fault-injection admin requests
 * (admin_faults.c serves them). A small strict JSON reader (objects, arrays, strings with
 * escapes, numbers, true/false/null; depth and size limited) and the two request shapes:
 *
 *   POST /_rdslocal/faults       {"kind": "hang", "DBInstanceIdentifier": "db1",
 *                                 "region": "us-east-1", "duration_ms": 5000}
 *   POST /_rdslocal/experiments  {"faults": [{"kind": "kill-primary", "DBInstanceIdentifier":
 *                                 "db1", "offset_ms": 2000}, ...]}
 *
 * duration_seconds / offset_seconds may replace the _ms forms (fractions allowed). Unknown
 * members are refused (a misspelt "duration" must not silently become the default), as are
 * wrong types and negative numbers. Pure functions; any thread. */
#ifndef RDSLOCAL_ADMIN_FAULTS_REQ_H
#define RDSLOCAL_ADMIN_FAULTS_REQ_H

#include "rdslocal/engine.h"

typedef struct admin_fault_req {
    engine_fault_in steps[ENGINE_EXPERIMENT_MAX_STEPS];
    size_t n;                 /* 1 for a single fault */
    char *strings;            /* the strings steps[] point into (malloc'd) */
} admin_fault_req;

/* Parses a single fault (experiment false) or an experiment's list into *out. 0 on success;
 * -1 with a client-facing reason in msg (always filled). On success free with
 * admin_fault_req_free. */
int admin_fault_req_parse(const char *body, size_t len, bool experiment, admin_fault_req *out, char *msg,
                          size_t msg_n);
void admin_fault_req_free(admin_fault_req *r);

#endif
