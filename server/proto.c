/* proto.c: the protocol front-end rows (see proto.h), gluing the decoders (query.c,
 * json.c) to the encoders (xmlout.c, jsonout.c). */
#include "proto.h"

#include "json.h"
#include "jsonout.h"
#include "xmlout.h"

#include <assert.h>

/* ---- query (and ec2) ---- */

static int query_fe_decode(param **out, arena *a, const proto_input *in, const api_shape *shape,
                           rds_error *err)
{
    assert(in->f);
    return query_decode(out, a, in->f, shape, err);
}

static res_out query_fe_begin(const api_service *svc, const api_operation *op, const char *request_id)
{
    (void)request_id; /* the query protocol sends it at the end, in ResponseMetadata */
    return xml_res(xml_begin(op->name, op->result_wrapper, svc->xml_namespace));
}

static char *query_fe_finish(res_out *r, const char *request_id, size_t *len)
{
    assert(r->enc == &xml_res_encoder);
    return xml_finish(r->st, request_id, len);
}

static void query_fe_abort(res_out *r)
{
    xml_abort(r->st);
}

static char *query_fe_error(const api_service *svc, const rds_error *err, const char *request_id,
                            size_t *len)
{
    return xml_error_doc(svc->xml_namespace, rds_error_is_sender(err->code),
                         rds_error_code_str(err->code), err->message, request_id, len);
}

static const char *query_fe_content_type(const api_service *svc)
{
    (void)svc;
    return "text/xml";
}

static rds_errcode same_code(rds_errcode code)
{
    return code;
}

/* ---- ec2 ---- */

static int ec2_fe_decode(param **out, arena *a, const proto_input *in, const api_shape *shape,
                         rds_error *err)
{
    assert(in->f);
    return query_decode_ec2(out, a, in->f, shape, err);
}

static res_out ec2_fe_begin(const api_service *svc, const api_operation *op, const char *request_id)
{
    return xml_res(xml_begin_ec2(op->name, svc->xml_namespace, request_id));
}

static char *ec2_fe_finish(res_out *r, const char *request_id, size_t *len)
{
    (void)request_id; /* already written by ec2_fe_begin */
    assert(r->enc == &xml_res_encoder);
    return xml_finish_plain(r->st, len);
}

static char *ec2_fe_error(const api_service *svc, const rds_error *err, const char *request_id,
                          size_t *len)
{
    (void)svc;
    return xml_ec2_error_doc(rds_error_code_str(err->code), err->message, request_id, len);
}

/* ---- json ---- */

/* AWS "Common Errors" as JSON-protocol services name them. */
static rds_errcode json_common_error(rds_errcode code)
{
    switch (code) {
    case RDS_E_MISSING_AUTHENTICATION_TOKEN: return RDS_E_JSON_MISSING_AUTHENTICATION_TOKEN_EXCEPTION;
    case RDS_E_SIGNATURE_DOES_NOT_MATCH: return RDS_E_JSON_INVALID_SIGNATURE_EXCEPTION;
    case RDS_E_INCOMPLETE_SIGNATURE: return RDS_E_JSON_INCOMPLETE_SIGNATURE_EXCEPTION;
    case RDS_E_INVALID_CLIENT_TOKEN_ID: return RDS_E_JSON_UNRECOGNIZED_CLIENT_EXCEPTION;
    case RDS_E_UNRECOGNIZED_CLIENT_EXCEPTION: return RDS_E_JSON_UNRECOGNIZED_CLIENT_EXCEPTION;
    case RDS_E_ACCESS_DENIED: return RDS_E_JSON_ACCESS_DENIED_EXCEPTION;
    case RDS_E_THROTTLING: return RDS_E_JSON_THROTTLING_EXCEPTION;
    case RDS_E_INTERNAL_FAILURE: return RDS_E_JSON_INTERNAL_FAILURE;
    default: return code;
    }
}

static int json_fe_decode(param **out, arena *a, const proto_input *in, const api_shape *shape,
                          rds_error *err)
{
    return json_decode(out, a, in->body, in->body_len, shape, err);
}

static res_out json_fe_begin(const api_service *svc, const api_operation *op, const char *request_id)
{
    (void)request_id;
    (void)svc;
    (void)op;
    return json_res(json_begin());
}

static char *json_fe_finish(res_out *r, const char *request_id, size_t *len)
{
    (void)request_id; /* JSON services send the request id only as x-amzn-RequestId */
    assert(r->enc == &json_res_encoder);
    return json_finish(r->st, len);
}

static void json_fe_abort(res_out *r)
{
    json_abort(r->st);
}

static char *json_fe_error(const api_service *svc, const rds_error *err, const char *request_id,
                           size_t *len)
{
    (void)svc;
    (void)request_id;
    return json_error_doc(rds_error_code_str(err->code), err->message, len);
}

static const char *json_fe_content_type(const api_service *svc)
{
    return svc && svc->json_version && svc->json_version[0] == '1' && svc->json_version[2] == '0'
               ? "application/x-amz-json-1.0"
               : "application/x-amz-json-1.1";
}

static const proto_frontend frontends[] = {
    { AP_QUERY, "query", query_fe_decode, query_fe_begin, query_fe_finish, query_fe_abort,
      query_fe_error, query_fe_content_type, same_code },
    /* EC2's dialect differs from query in wire names and document shapes only: the
     * differences live here, never in handlers. No EC2 model is generated yet. */
    { AP_EC2, "ec2", ec2_fe_decode, ec2_fe_begin, ec2_fe_finish, query_fe_abort,
      ec2_fe_error, query_fe_content_type, same_code },
    { AP_JSON, "json", json_fe_decode, json_fe_begin, json_fe_finish, json_fe_abort,
      json_fe_error, json_fe_content_type, json_common_error },
};

const proto_frontend *proto_frontend_for(api_protocol p)
{
    for (size_t i = 0; i < sizeof frontends / sizeof frontends[0]; i++)
        if (frontends[i].protocol == p)
            return &frontends[i];
    return NULL;
}
