/* keys.c: KMS key operations: CreateKey, DescribeKey, ListKeys, the key state operations
 * (Enable/Disable/ScheduleKeyDeletion/CancelKeyDeletion), tags, key policy and rotation,
 * and the helpers the KMS family files share (kms.h). */
#include "kms/kms.h"

#include <string.h>

kms_context kms_act_context(req_ctx *rq, const param *in, const char *name)
{
    const param *m = param_get(in, name);
    kms_context c = { 0 };
    if (!m || !m->n_items)
        return c;
    c.v = arena_alloc(rq->er.a, m->n_items * sizeof *c.v);
    for (size_t i = 0; i < m->n_items; i++)
        c.v[c.n++] = (rds_tag){ m->map_keys[i]->text, m->items[i]->text };
    return c;
}

tag_list kms_act_tags(req_ctx *rq, const param *in, const char *name)
{
    const param *l = param_get(in, name);
    tag_list t = { 0 };
    if (!l || !l->n_items)
        return t;
    t.v = arena_alloc(rq->er.a, l->n_items * sizeof *t.v);
    for (size_t i = 0; i < l->n_items; i++)
        t.v[t.n++] = (rds_tag){ param_str(l->items[i], KMS_M_TagKey), param_str(l->items[i], KMS_M_TagValue) };
    return t;
}

int kms_act_limit(const param *in)
{
    int64_t v;
    return param_int(in, KMS_M_Limit, &v) ? (int)v : 100;
}

void kms_render_key(res_out *x, req_ctx *rq, const kms_key_view *v)
{
    const kms_key *k = v->k;
    const engine_config *cfg = engine_get_config(rq->er.e);
    res_str(x, "AWSAccountId", cfg->account_id);
    res_str(x, "KeyId", k->key_id);
    res_str(x, "Arn", v->arn);
    res_time(x, "CreationDate", k->created_at_ms);
    res_bool(x, "Enabled", strcmp(k->key_state, "Enabled") == 0);
    res_str(x, "Description", k->description);
    res_str(x, "KeyUsage", k->key_usage);
    res_str(x, "KeyState", k->key_state);
    if (k->deletion_at_ms)
        res_time(x, "DeletionDate", k->deletion_at_ms);
    res_str(x, "Origin", k->origin);
    res_str(x, "KeyManager", k->key_manager);
    res_str(x, "CustomerMasterKeySpec", k->key_spec);
    res_str(x, "KeySpec", k->key_spec);
    res_list(x, "EncryptionAlgorithms");
    res_str(x, "member", "SYMMETRIC_DEFAULT");
    res_close(x);
    res_bool(x, "MultiRegion", k->multi_region);
}

static int key_metadata(res_out *x, req_ctx *rq, const kms_key_view *v)
{
    res_struct(x, "KeyMetadata");
    kms_render_key(x, rq, v);
    res_close(x);
    return 0;
}

ACTION(CreateKey)
{
    bool b;
    kms_create_key_in c = { .description = param_str(in, KMS_M_Description),
                            .key_spec = param_str(in, KMS_M_KeySpec),
                            .key_usage = param_str(in, KMS_M_KeyUsage),
                            .origin = param_str(in, KMS_M_Origin),
                            .policy = param_str(in, KMS_M_Policy),
                            .tags = kms_act_tags(rq, in, KMS_M_Tags) };
    if (!c.key_spec)
        c.key_spec = param_str(in, KMS_M_CustomerMasterKeySpec); /* the deprecated spelling */
    if (param_bool(in, KMS_M_MultiRegion, &b))
        c.multi_region = (opt_bool){ true, b };
    kms_key_view v;
    return engine_kms_create_key(&rq->er, &c, &v, err) ? -1 : key_metadata(x, rq, &v);
}

ACTION(DescribeKey)
{
    kms_key_view v;
    return engine_kms_describe_key(&rq->er, param_str(in, KMS_M_KeyId), &v, err) ? -1 : key_metadata(x, rq, &v);
}

ACTION(ListKeys)
{
    kms_key_view *v;
    size_t n;
    const char *next;
    if (engine_kms_list_keys(&rq->er, param_str(in, KMS_M_Marker), kms_act_limit(in), &v, &n, &next, err))
        return -1;
    res_list(x, "Keys");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "member");
        res_str(x, "KeyId", v[i].k->key_id);
        res_str(x, "KeyArn", v[i].arn);
        res_close(x);
    }
    res_close(x);
    res_str(x, "NextMarker", next);
    res_bool(x, "Truncated", next != NULL);
    return 0;
}

static int set_state(req_ctx *rq, const param *in, kms_state_change what, kms_key_view *v, rds_error *err)
{
    opt_int days = { 0 };
    int64_t d;
    if (param_int(in, KMS_M_PendingWindowInDays, &d))
        days = (opt_int){ true, d };
    return engine_kms_set_state(&rq->er, param_str(in, KMS_M_KeyId), what, days, v, err);
}

ACTION(EnableKey)
{
    kms_key_view v;
    (void)x;
    return set_state(rq, in, KMS_ENABLE, &v, err);
}

ACTION(DisableKey)
{
    kms_key_view v;
    (void)x;
    return set_state(rq, in, KMS_DISABLE, &v, err);
}

ACTION(ScheduleKeyDeletion)
{
    kms_key_view v;
    if (set_state(rq, in, KMS_SCHEDULE_DELETION, &v, err))
        return -1;
    res_str(x, "KeyId", v.arn);
    res_time(x, "DeletionDate", v.k->deletion_at_ms);
    res_str(x, "KeyState", v.k->key_state);
    res_int(x, "PendingWindowInDays", v.k->pending_days);
    return 0;
}

ACTION(CancelKeyDeletion)
{
    kms_key_view v;
    if (set_state(rq, in, KMS_CANCEL_DELETION, &v, err))
        return -1;
    res_str(x, "KeyId", v.arn);
    return 0;
}

ACTION(TagResource)
{
    tag_list t = kms_act_tags(rq, in, KMS_M_Tags);
    (void)x;
    return engine_kms_tags_add(&rq->er, param_str(in, KMS_M_KeyId), &t, err);
}

ACTION(UntagResource)
{
    const param *l = param_get(in, KMS_M_TagKeys);
    str_list keys = { 0 };
    if (l && l->n_items) {
        keys.v = arena_alloc(rq->er.a, l->n_items * sizeof *keys.v);
        for (size_t i = 0; i < l->n_items; i++)
            keys.v[keys.n++] = l->items[i]->text;
    }
    (void)x;
    return engine_kms_tags_remove(&rq->er, param_str(in, KMS_M_KeyId), &keys, err);
}

ACTION(ListResourceTags)
{
    rds_tag *t;
    size_t n;
    if (engine_kms_tags_list(&rq->er, param_str(in, KMS_M_KeyId), &t, &n, err))
        return -1;
    res_list(x, "Tags");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "member");
        res_str(x, "TagKey", t[i].key);
        res_str(x, "TagValue", t[i].value ? t[i].value : "");
        res_close(x);
    }
    res_close(x);
    res_bool(x, "Truncated", false);
    return 0;
}

/* Keys have one policy, named "default". */
static int check_policy_name(const param *in, rds_error *err)
{
    const char *name = param_str(in, KMS_M_PolicyName);
    if (name && strcmp(name, "default") != 0)
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "No such policy exists");
    return 0;
}

ACTION(GetKeyPolicy)
{
    kms_key_view v;
    if (check_policy_name(in, err) || engine_kms_get_key(&rq->er, param_str(in, KMS_M_KeyId), &v, err))
        return -1;
    res_str(x, "Policy", v.k->policy);
    res_str(x, "PolicyName", "default");
    return 0;
}

ACTION(PutKeyPolicy)
{
    (void)x;
    if (check_policy_name(in, err))
        return -1;
    return engine_kms_put_policy(&rq->er, param_str(in, KMS_M_KeyId), param_str(in, KMS_M_Policy), err);
}

static int rotation(req_ctx *rq, const param *in, bool on, rds_error *err)
{
    opt_int period = { 0 };
    int64_t d;
    if (param_int(in, KMS_M_RotationPeriodInDays, &d))
        period = (opt_int){ true, d };
    return engine_kms_set_rotation(&rq->er, param_str(in, KMS_M_KeyId), on, period, err);
}

ACTION(EnableKeyRotation)
{
    (void)x;
    return rotation(rq, in, true, err);
}

ACTION(DisableKeyRotation)
{
    (void)x;
    return rotation(rq, in, false, err);
}

ACTION(GetKeyRotationStatus)
{
    kms_key_view v;
    if (engine_kms_get_key(&rq->er, param_str(in, KMS_M_KeyId), &v, err))
        return -1;
    /* AWS rotates its managed keys every year, always: their status is always true */
    bool on = v.k->rotation_enabled || strcmp(v.k->key_manager, "AWS") == 0;
    res_bool(x, "KeyRotationEnabled", on);
    res_str(x, "KeyId", v.arn);
    if (on)
        res_int(x, "RotationPeriodInDays", v.k->rotation_days);
    return 0;
}

static const action_def rows[] = {
    { &kms_api, "CancelKeyDeletion", act_CancelKeyDeletion, 0 },
    { &kms_api, "CreateKey", act_CreateKey, 0 },
    { &kms_api, "DescribeKey", act_DescribeKey, 0 },
    { &kms_api, "DisableKey", act_DisableKey, 0 },
    { &kms_api, "DisableKeyRotation", act_DisableKeyRotation, 0 },
    { &kms_api, "EnableKey", act_EnableKey, 0 },
    { &kms_api, "EnableKeyRotation", act_EnableKeyRotation, 0 },
    { &kms_api, "GetKeyPolicy", act_GetKeyPolicy, 0 },
    { &kms_api, "GetKeyRotationStatus", act_GetKeyRotationStatus, 0 },
    { &kms_api, "ListKeys", act_ListKeys, AF_CACHEABLE },
    { &kms_api, "ListResourceTags", act_ListResourceTags, AF_CACHEABLE },
    { &kms_api, "PutKeyPolicy", act_PutKeyPolicy, 0 },
    { &kms_api, "ScheduleKeyDeletion", act_ScheduleKeyDeletion, 0 },
    { &kms_api, "TagResource", act_TagResource, 0 },
    { &kms_api, "UntagResource", act_UntagResource, 0 },
};
DISPATCH_FAMILY(kms_keys, rows);
