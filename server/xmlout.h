/* xmlout.h: AWS Query-protocol XML responses, written by a small streaming writer that
 * escapes every value (xmlout.c). It is the query and ec2 front-ends' encoder behind
 * res_out (result.h). A response is
 *   <ActionResponse xmlns="ns"><ActionResult>...</ActionResult>
 *   <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
 * and an error is <ErrorResponse xmlns="ns"><Error><Type>Sender</Type><Code/><Message/>
 * </Error><RequestId/></ErrorResponse>. One xml_out per request (HTTP thread). */
#ifndef RDSLOCAL_XMLOUT_H
#define RDSLOCAL_XMLOUT_H

#include "rdslocal/base.h"
#include "result.h"

typedef struct xml_out xml_out;

/* Starts <action>Response and, if result_wrapper is not NULL, <result_wrapper>. */
xml_out *xml_begin(const char *action, const char *result_wrapper, const char *ns);
void xml_open(xml_out *x, const char *name);   /* <name> */
void xml_close(xml_out *x);                     /* </name> of the innermost open element */
void xml_str(xml_out *x, const char *name, const char *value);   /* skipped if value is NULL */
void xml_int(xml_out *x, const char *name, int64_t value);
void xml_bool(xml_out *x, const char *name, bool value);
void xml_time(xml_out *x, const char *name, int64_t at_ms);      /* ISO 8601 UTC */
/* Closes everything, adds ResponseMetadata; returns a malloc'd document (caller frees). */
char *xml_finish(xml_out *x, const char *request_id, size_t *len);
void xml_abort(xml_out *x);                     /* discards an unfinished document; NULL ok */
/* EC2's dialect: <ActionResponse xmlns="ns"><requestId>id</requestId>...members...
 * </ActionResponse> (no result wrapper, no ResponseMetadata); xml_finish_plain closes it. */
xml_out *xml_begin_ec2(const char *action, const char *ns, const char *request_id);
char *xml_finish_plain(xml_out *x, size_t *len);
/* EC2's error document: <Response><Errors><Error><Code/><Message/></Error></Errors>
 * <RequestID/></Response> (malloc'd). */
char *xml_ec2_error_doc(const char *code, const char *message, const char *request_id, size_t *len);

/* The res_out encoder writing into an xml_out (st is the xml_out *): structures and
 * lists are elements, timestamps ISO 8601, blobs base64. */
extern const res_encoder xml_res_encoder;
static inline res_out xml_res(xml_out *x)
{
    res_out r = { &xml_res_encoder, x, 0 };
    return r;
}
/* A complete ErrorResponse document (malloc'd). */
char *xml_error_doc(const char *ns, bool sender, const char *code, const char *message,
                    const char *request_id, size_t *len);

#endif
