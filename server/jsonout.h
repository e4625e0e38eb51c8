/* jsonout.h: JSON-protocol (awsJson1_0 / awsJson1_1) responses: the json front-end's
 * encoder behind res_out. A result is one object whose members are the output shape's
 * members; structures are objects, lists arrays, timestamps epoch seconds (a number,
 * with milliseconds as a fraction), blobs base64 strings, as botocore's JSON parser
 * expects. Strings are escaped per RFC 8259; invalid UTF-8 becomes U+FFFD. One json_out
 * per request (HTTP thread). */
#ifndef RDSLOCAL_JSONOUT_H
#define RDSLOCAL_JSONOUT_H

#include "rdslocal/base.h"
#include "result.h"

typedef struct json_out json_out;

/* Starts the result object "{". */
json_out *json_begin(void);
/* Closes what is open and the result object; returns the malloc'd document (caller frees). */
char *json_finish(json_out *j, size_t *len);
void json_abort(json_out *j); /* discards an unfinished document; NULL ok */

extern const res_encoder json_res_encoder; /* st is the json_out * */
static inline res_out json_res(json_out *j)
{
    res_out r = { &json_res_encoder, j, 0 };
    return r;
}

/* A JSON-protocol error body {"__type":"Code","message":"..."} (malloc'd; caller frees). */
char *json_error_doc(const char *code, const char *message, size_t *len);

#endif
