/* kms.h: what the KMS family files (server/kms/<family>.c) share: parameter helpers and
 * the KeyMetadata renderer. Handlers write through res_out (result.h) like the RDS ones;
 * the JSON front-end has already validated types, lengths and enums against the model. */
#ifndef RDSLOCAL_SERVER_KMS_H
#define RDSLOCAL_SERVER_KMS_H

#include "dispatch.h"
#include "generated/kms_model.h"

/* EncryptionContext-style map member as (key, value) pairs in the request arena. */
kms_context kms_act_context(req_ctx *rq, const param *in, const char *name);
/* Tags member (TagKey/TagValue structures). */
tag_list kms_act_tags(req_ctx *rq, const param *in, const char *name);
/* Limit (1..1000, default 100). */
int kms_act_limit(const param *in);
/* KeyMetadata (inside an open structure). */
void kms_render_key(res_out *x, req_ctx *rq, const kms_key_view *v);

#pragma GCC poison xml_begin xml_open xml_close xml_str xml_int xml_bool xml_time xml_finish
#pragma GCC poison xml_abort xml_error_doc

#define ACTION(name) static int act_##name(req_ctx *rq, const param *in, res_out *x, rds_error *err)

#endif
