/* proto.h: protocol front-ends. Each wire protocol (botocore metadata.protocol) is one
 * row: how a request's parameters are decoded into the neutral param tree (validated
 * against the input shape), how the handler's neutral result (res_out) is encoded, and
 * how an error is written. The dispatcher picks the row from the routed service's
 * protocol; handlers never know which row served them.
 *   query        form body -> query_decode; XML via xmlout (RDS, SNS, STS)
 *   ec2          EC2's query dialect: query_decode_ec2 (queryName / capitalised
 *                locationName, lists always Name.N); XML without result wrapper, with
 *                requestId first; errors as <Response><Errors><Error>
 *   json         JSON body -> json_decode; JSON via jsonout; errors {"__type","message"}
 *                with the x-amzn-ErrorType header (KMS, Secrets Manager)
 *   rpc-v2-cbor  no row yet: proto_frontend_for() returns NULL and the router answers
 *                as AWS does for an operation it does not know
 * Read-only data; any thread. */
#ifndef RDSLOCAL_PROTO_H
#define RDSLOCAL_PROTO_H

#include "api_model.h"
#include "query.h"
#include "result.h"

/* What a decoder may read: the parsed form (query, ec2) and the raw body (json). */
typedef struct proto_input {
    const form *f;
    const char *body;
    size_t body_len;
} proto_input;

typedef struct proto_frontend {
    api_protocol protocol;
    const char *name;          /* "query", "ec2", "json" */
    /* Builds the param tree of shape (NULL: no input) in the request arena. */
    int (*decode)(param **out, arena *a, const proto_input *in, const api_shape *shape, rds_error *err);
    /* Starts op's result; the returned writer goes to the handler. */
    res_out (*begin)(const api_service *svc, const api_operation *op, const char *request_id);
    /* Ends the result: a malloc'd body (caller frees). */
    char *(*finish)(res_out *r, const char *request_id, size_t *len);
    void (*abort)(res_out *r);  /* discards an unfinished result */
    /* The protocol's error document for err (malloc'd), and its content type. */
    char *(*error)(const api_service *svc, const rds_error *err, const char *request_id, size_t *len);
    const char *(*content_type)(const api_service *svc);
    /* The protocol's own code for one of the common errors the shared layers raise in
     * query-protocol terms (SigV4: SignatureDoesNotMatch is the JSON services'
     * InvalidSignatureException); other codes unchanged. */
    rds_errcode (*common_error)(rds_errcode code);
} proto_frontend;

/* The front-end of protocol p, or NULL if rdslocal has none (rest-json, rest-xml,
 * rpc-v2-cbor). */
const proto_frontend *proto_frontend_for(api_protocol p);

#endif
