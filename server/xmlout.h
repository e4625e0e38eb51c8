/* xmlout.h: AWS Query-protocol XML responses, written with libxml2's text writer so any
 * value is escaped correctly. A response is
 *   <ActionResponse xmlns="ns"><ActionResult>...</ActionResult>
 *   <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
 * and an error is <ErrorResponse xmlns="ns"><Error><Type>Sender</Type><Code/><Message/>
 * </Error><RequestId/></ErrorResponse>. One xml_out per request (HTTP thread). */
#ifndef RDSLOCAL_XMLOUT_H
#define RDSLOCAL_XMLOUT_H

#include "rdslocal/base.h"

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
/* A complete ErrorResponse document (malloc'd). */
char *xml_error_doc(const char *ns, bool sender, const char *code, const char *message,
                    const char *request_id, size_t *len);

#endif
