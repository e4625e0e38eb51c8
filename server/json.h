/* json.h: the JSON protocol's request decoder (awsJson1_0 / awsJson1_1, as botocore's
 * JSONSerializer sends it): the body is one JSON object whose members are the input
 * shape's members; structures are objects, lists arrays, maps objects, blobs base64
 * strings, timestamps epoch seconds (numbers), booleans true/false. The decoder walks the
 * input shape while it parses, so it builds the same neutral param tree as the query
 * decoder (query.h) and validates it the same way: types, required members, enums,
 * lengths and ranges. Unknown members are skipped; null means absent.
 * Errors, as AWS's JSON services answer them:
 *   malformed JSON, or a value of the wrong JSON type -> JSON_SERIALIZATION_EXCEPTION;
 *   a model constraint (required, enum, length, range) -> JSON_VALIDATION_EXCEPTION with
 *   "1 validation error detected: Value ... at 'member' failed to satisfy constraint: ...".
 * Everything lives in the request arena. HTTP threads. */
#ifndef RDSLOCAL_JSON_H
#define RDSLOCAL_JSON_H

#include "query.h"

/* Decodes body[0..len) against shape (an empty body counts as {}). *out is never NULL on
 * success. shape NULL: the operation takes no input; any well-formed object is accepted. */
int json_decode(param **out, arena *a, const char *body, size_t len, const api_shape *shape,
                rds_error *err);

#endif
