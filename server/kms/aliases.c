/* aliases.c: KMS alias operations: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. */
#include "kms/kms.h"

ACTION(CreateAlias)
{
    (void)x;
    return engine_kms_create_alias(&rq->er, param_str(in, KMS_M_AliasName), param_str(in, KMS_M_TargetKeyId), err);
}

ACTION(UpdateAlias)
{
    (void)x;
    return engine_kms_update_alias(&rq->er, param_str(in, KMS_M_AliasName), param_str(in, KMS_M_TargetKeyId), err);
}

ACTION(DeleteAlias)
{
    (void)x;
    return engine_kms_delete_alias(&rq->er, param_str(in, KMS_M_AliasName), err);
}

ACTION(ListAliases)
{
    kms_alias_view *v;
    size_t n;
    const char *next;
    if (engine_kms_list_aliases(&rq->er, param_str(in, KMS_M_KeyId), param_str(in, KMS_M_Marker), kms_act_limit(in),
                                &v, &n, &next, err))
        return -1;
    res_list(x, "Aliases");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "member");
        res_str(x, "AliasName", v[i].al->name);
        res_str(x, "AliasArn", v[i].arn);
        res_str(x, "TargetKeyId", v[i].al->key_id);
        res_time(x, "CreationDate", v[i].al->created_at_ms);
        res_time(x, "LastUpdatedDate", v[i].al->updated_at_ms);
        res_close(x);
    }
    res_close(x);
    res_str(x, "NextMarker", next);
    res_bool(x, "Truncated", next != NULL);
    return 0;
}

static const action_def rows[] = {
    { &kms_api, "CreateAlias", act_CreateAlias, 0 },
    { &kms_api, "DeleteAlias", act_DeleteAlias, 0 },
    { &kms_api, "ListAliases", act_ListAliases, 0 },
    { &kms_api, "UpdateAlias", act_UpdateAlias, 0 },
};
DISPATCH_FAMILY(kms_aliases, rows);
