/* secrets.c: the Secrets Manager operations (AWS JSON 1.1, X-Amz-Target
 * secretsmanager.<Op>): secrets, their values and version stages, deletion and restore,
 * rotation and tags. The JSON front-end has already checked types, lengths and enums
 * against the model; handlers map members to one engine call and render the answer. */
#include "dispatch.h"
#include "generated/secretsmanager_model.h"

#include <openssl/rand.h>
#include <string.h>

#pragma GCC poison xml_begin xml_open xml_close xml_str xml_int xml_bool xml_time xml_finish

#define ACTION(name) static int act_##name(req_ctx *rq, const param *in, res_out *x, rds_error *err)

static str_list strings(req_ctx *rq, const param *in, const char *name)
{
    const param *l = param_get(in, name);
    str_list out = { 0 };
    if (!l || !l->n_items)
        return out;
    out.v = arena_alloc(rq->er.a, l->n_items * sizeof *out.v);
    for (size_t i = 0; i < l->n_items; i++)
        out.v[out.n++] = l->items[i]->text;
    return out;
}

static tag_list tags_of(req_ctx *rq, const param *in)
{
    const param *l = param_get(in, SECRETSMANAGER_M_Tags);
    tag_list t = { 0 };
    if (!l || !l->n_items)
        return t;
    t.v = arena_alloc(rq->er.a, l->n_items * sizeof *t.v);
    for (size_t i = 0; i < l->n_items; i++)
        t.v[t.n++] = (rds_tag){ param_str(l->items[i], SECRETSMANAGER_M_Key),
                                param_str(l->items[i], SECRETSMANAGER_M_Value) };
    return t;
}

static secret_value value_of(const param *in)
{
    secret_value v = { .string = param_str(in, SECRETSMANAGER_M_SecretString) };
    const param *b = param_get(in, SECRETSMANAGER_M_SecretBinary);
    if (b) {
        v.binary = (const unsigned char *)b->text;
        v.binary_n = b->len;
    }
    return v;
}

static secret_put_in put_in(req_ctx *rq, const param *in, const char *id_member)
{
    return (secret_put_in){ .id = param_str(in, id_member),
                            .description = param_str(in, SECRETSMANAGER_M_Description),
                            .kms_key_id = param_str(in, SECRETSMANAGER_M_KmsKeyId),
                            .client_token = param_str(in, SECRETSMANAGER_M_ClientRequestToken),
                            .value = value_of(in),
                            .stages = strings(rq, in, SECRETSMANAGER_M_VersionStages),
                            .tags = tags_of(rq, in) };
}

/* A version's labels (",A,B,") as a list. */
static void render_stages(res_out *x, req_ctx *rq, const char *name, const char *stages)
{
    res_list(x, name);
    const char *p = stages ? stages : "";
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n)
            res_str(x, "member", arena_strndup(rq->er.a, p, n));
        p += n + (comma ? 1 : 0);
    }
    res_close(x);
}

static void render_tags(res_out *x, const rds_tag *t, size_t n)
{
    if (!n)
        return;
    res_list(x, "Tags");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "member");
        res_str(x, "Key", t[i].key);
        res_str(x, "Value", t[i].value ? t[i].value : "");
        res_close(x);
    }
    res_close(x);
}

/* The members DescribeSecret and a ListSecrets entry share. */
static void render_secret(res_out *x, req_ctx *rq, const secret_view *v, bool describe)
{
    const sm_secret *s = v->sec;
    res_str(x, "ARN", s->arn);
    res_str(x, "Name", s->name);
    res_str(x, "Description", s->description);
    res_str(x, "KmsKeyId", s->kms_key_id);
    res_bool(x, "RotationEnabled", s->rotation_enabled);
    if (s->rotation_days) {
        res_struct(x, "RotationRules");
        res_int(x, "AutomaticallyAfterDays", s->rotation_days);
        res_close(x);
    }
    if (s->rotated_at_ms)
        res_time(x, "LastRotatedDate", s->rotated_at_ms);
    res_time(x, "LastChangedDate", s->changed_at_ms);
    if (s->accessed_at_ms)
        res_time(x, "LastAccessedDate", s->accessed_at_ms);
    if (s->deletion_at_ms)
        res_time(x, "DeletedDate", s->deletion_at_ms);
    if (s->rotation_enabled && s->rotation_days)
        res_time(x, "NextRotationDate",
                 (s->rotated_at_ms ? s->rotated_at_ms : s->created_at_ms) + s->rotation_days * 86400000LL);
    render_tags(x, v->tags, v->n_tags);
    res_struct(x, describe ? "VersionIdsToStages" : "SecretVersionsToStages");
    for (size_t i = 0; i < v->n_versions; i++)
        render_stages(x, rq, v->versions[i]->version_id, v->versions[i]->stages);
    res_close(x);
    res_str(x, "OwningService", s->owning_service);
    res_time(x, "CreatedDate", s->created_at_ms);
}

static void render_id(res_out *x, const sm_secret *s)
{
    res_str(x, "ARN", s->arn);
    res_str(x, "Name", s->name);
}

ACTION(CreateSecret)
{
    secret_put_in p = put_in(rq, in, SECRETSMANAGER_M_Name);
    p.stages = (str_list){ 0 };
    sm_secret *s;
    const char *version;
    if (engine_secret_create(&rq->er, &p, &s, &version, err))
        return -1;
    render_id(x, s);
    res_str(x, "VersionId", version);
    return 0;
}

ACTION(PutSecretValue)
{
    secret_put_in p = put_in(rq, in, SECRETSMANAGER_M_SecretId);
    sm_secret *s;
    sm_secret_version *v;
    if (engine_secret_put_value(&rq->er, &p, &s, &v, err))
        return -1;
    render_id(x, s);
    res_str(x, "VersionId", v->version_id);
    render_stages(x, rq, "VersionStages", v->stages);
    return 0;
}

ACTION(UpdateSecret)
{
    secret_put_in p = put_in(rq, in, SECRETSMANAGER_M_SecretId);
    p.stages = (str_list){ 0 };
    sm_secret *s;
    const char *version;
    if (engine_secret_update(&rq->er, &p, &s, &version, err))
        return -1;
    render_id(x, s);
    res_str(x, "VersionId", version);
    return 0;
}

ACTION(DescribeSecret)
{
    secret_view v;
    if (engine_secret_describe(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId), &v, err))
        return -1;
    render_secret(x, rq, &v, true);
    return 0;
}

ACTION(GetSecretValue)
{
    secret_value_view v;
    if (engine_secret_get_value(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId),
                                param_str(in, SECRETSMANAGER_M_VersionId),
                                param_str(in, SECRETSMANAGER_M_VersionStage), &v, err))
        return -1;
    render_id(x, v.sec);
    res_str(x, "VersionId", v.version->version_id);
    if (v.value.binary)
        res_blob(x, "SecretBinary", v.value.binary, v.value.binary_n);
    res_str(x, "SecretString", v.value.string);
    render_stages(x, rq, "VersionStages", v.version->stages);
    res_time(x, "CreatedDate", v.version->created_at_ms);
    return 0;
}

ACTION(ListSecretVersionIds)
{
    secret_view v;
    if (engine_secret_describe(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId), &v, err))
        return -1;
    res_list(x, "Versions");
    for (size_t i = 0; i < v.n_versions; i++) {
        res_struct(x, "member");
        res_str(x, "VersionId", v.versions[i]->version_id);
        render_stages(x, rq, "VersionStages", v.versions[i]->stages);
        res_time(x, "CreatedDate", v.versions[i]->created_at_ms);
        res_close(x);
    }
    res_close(x);
    render_id(x, v.sec);
    return 0;
}

ACTION(ListSecrets)
{
    secret_list_in l = { .next_token = param_str(in, SECRETSMANAGER_M_NextToken) };
    bool b;
    int64_t n;
    if (param_bool(in, SECRETSMANAGER_M_IncludePlannedDeletion, &b))
        l.include_deleted = b;
    if (param_int(in, SECRETSMANAGER_M_MaxResults, &n))
        l.max_results = (int)n;
    const char *order = param_str(in, SECRETSMANAGER_M_SortOrder);
    l.descending = order && strcmp(order, "desc") == 0;
    const param *f = param_get(in, SECRETSMANAGER_M_Filters);
    if (f && f->n_items) {
        l.filter_keys.v = arena_alloc(rq->er.a, f->n_items * sizeof *l.filter_keys.v);
        str_list *vals = arena_alloc(rq->er.a, f->n_items * sizeof *vals);
        for (size_t i = 0; i < f->n_items; i++) {
            const char *key = param_str(f->items[i], SECRETSMANAGER_M_Key);
            str_list vs = strings(rq, f->items[i], SECRETSMANAGER_M_Values);
            if (!key || !vs.n)
                return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                                "Invalid filter: a filter needs a Key and at least one value.");
            l.filter_keys.v[l.filter_keys.n] = key;
            vals[l.filter_keys.n++] = vs;
        }
        l.filter_values = vals;
    }
    secret_view *v;
    size_t count;
    const char *next;
    if (engine_secret_list(&rq->er, &l, &v, &count, &next, err))
        return -1;
    res_list(x, "SecretList");
    for (size_t i = 0; i < count; i++) {
        res_struct(x, "member");
        render_secret(x, rq, &v[i], false);
        res_close(x);
    }
    res_close(x);
    res_str(x, "NextToken", next);
    return 0;
}

ACTION(DeleteSecret)
{
    opt_int window = { 0 };
    opt_bool force = { 0 };
    int64_t n;
    bool b;
    if (param_int(in, SECRETSMANAGER_M_RecoveryWindowInDays, &n))
        window = (opt_int){ true, n };
    if (param_bool(in, SECRETSMANAGER_M_ForceDeleteWithoutRecovery, &b))
        force = (opt_bool){ true, b };
    sm_secret *s;
    if (engine_secret_delete(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId), window, force, &s, err))
        return -1;
    render_id(x, s);
    res_time(x, "DeletionDate", s->deletion_at_ms);
    return 0;
}

ACTION(RestoreSecret)
{
    sm_secret *s;
    if (engine_secret_restore(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId), &s, err))
        return -1;
    render_id(x, s);
    return 0;
}

ACTION(RotateSecret)
{
    secret_rotate_in r = { .id = param_str(in, SECRETSMANAGER_M_SecretId),
                           .client_token = param_str(in, SECRETSMANAGER_M_ClientRequestToken),
                           .lambda_arn = param_str(in, SECRETSMANAGER_M_RotationLambdaARN) };
    const param *rules = param_get(in, SECRETSMANAGER_M_RotationRules);
    int64_t n;
    bool b;
    if (rules && param_int(rules, SECRETSMANAGER_M_AutomaticallyAfterDays, &n))
        r.after_days = (opt_int){ true, n };
    if (param_bool(in, SECRETSMANAGER_M_RotateImmediately, &b))
        r.rotate_now = (opt_bool){ true, b };
    sm_secret *s;
    const char *version;
    if (engine_secret_rotate(&rq->er, &r, &s, &version, err))
        return -1;
    render_id(x, s);
    res_str(x, "VersionId", version);
    return 0;
}

ACTION(TagResource)
{
    tag_list t = tags_of(rq, in);
    (void)x;
    return engine_secret_tags(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId), &t, NULL, err);
}

ACTION(UntagResource)
{
    str_list keys = strings(rq, in, SECRETSMANAGER_M_TagKeys);
    (void)x;
    return engine_secret_tags(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId), NULL, &keys, err);
}

ACTION(UpdateSecretVersionStage)
{
    sm_secret *s;
    if (engine_secret_update_stage(&rq->er, param_str(in, SECRETSMANAGER_M_SecretId),
                                   param_str(in, SECRETSMANAGER_M_VersionStage),
                                   param_str(in, SECRETSMANAGER_M_RemoveFromVersionId),
                                   param_str(in, SECRETSMANAGER_M_MoveToVersionId), &s, err))
        return -1;
    render_id(x, s);
    return 0;
}

/* GetRandomPassword: AWS's defaults: 32 characters from letters, digits and punctuation,
 * with at least one of each included type unless RequireEachIncludedType is false. */
static bool has_one_of(const char *pw, const char *set)
{
    return strpbrk(pw, set) != NULL;
}

ACTION(GetRandomPassword)
{
    static const char lower[] = "abcdefghijklmnopqrstuvwxyz", upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                      digits[] = "0123456789", punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    const char *sets[4] = { lower, upper, digits, punct };
    const char *flags[4] = { SECRETSMANAGER_M_ExcludeLowercase, SECRETSMANAGER_M_ExcludeUppercase,
                             SECRETSMANAGER_M_ExcludeNumbers, SECRETSMANAGER_M_ExcludePunctuation };
    int64_t len = 32;
    bool b, each = true;
    param_int(in, SECRETSMANAGER_M_PasswordLength, &len);
    if (param_bool(in, SECRETSMANAGER_M_RequireEachIncludedType, &b))
        each = b;
    const char *exclude = param_str(in, SECRETSMANAGER_M_ExcludeCharacters);
    char *used[4] = { 0 };
    strbuf pool;
    strbuf_init(&pool);
    for (int i = 0; i < 4; i++) {
        if (param_bool(in, flags[i], &b) && b)
            continue;
        size_t start = pool.len;
        for (const char *p = sets[i]; *p; p++)
            if (!exclude || !strchr(exclude, *p))
                strbuf_append(&pool, p, 1);
        if (pool.len > start)
            used[i] = arena_strndup(rq->er.a, pool.data + start, pool.len - start);
    }
    if (param_bool(in, SECRETSMANAGER_M_IncludeSpace, &b) && b && (!exclude || !strchr(exclude, ' ')))
        strbuf_append(&pool, " ", 1);
    if (!pool.len) {
        strbuf_free(&pool);
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "The password can't be generated: every character type is excluded.");
    }
    char *pw = arena_alloc(rq->er.a, (size_t)len + 1);
    unsigned char *rnd = arena_alloc(rq->er.a, (size_t)len * 2);
    for (int attempt = 0; attempt < 1000; attempt++) {
        RAND_bytes(rnd, (int)len * 2);
        for (int64_t i = 0; i < len; i++)
            pw[i] = pool.data[((rnd[2 * i] << 8) | rnd[2 * i + 1]) % pool.len];
        bool ok = true;
        for (int i = 0; each && i < 4; i++)
            ok = ok && (!used[i] || has_one_of(pw, used[i]));
        if (ok)
            break;
    }
    strbuf_free(&pool);
    res_str(x, "RandomPassword", pw);
    return 0;
}

static const action_def rows[] = {
    { &secretsmanager_api, "CreateSecret", act_CreateSecret, 0 },
    { &secretsmanager_api, "DeleteSecret", act_DeleteSecret, 0 },
    { &secretsmanager_api, "DescribeSecret", act_DescribeSecret, 0 },
    { &secretsmanager_api, "GetRandomPassword", act_GetRandomPassword, 0 },
    { &secretsmanager_api, "GetSecretValue", act_GetSecretValue, 0 },
    { &secretsmanager_api, "ListSecretVersionIds", act_ListSecretVersionIds, 0 },
    { &secretsmanager_api, "ListSecrets", act_ListSecrets, 0 },
    { &secretsmanager_api, "PutSecretValue", act_PutSecretValue, 0 },
    { &secretsmanager_api, "RestoreSecret", act_RestoreSecret, 0 },
    { &secretsmanager_api, "RotateSecret", act_RotateSecret, 0 },
    { &secretsmanager_api, "TagResource", act_TagResource, 0 },
    { &secretsmanager_api, "UntagResource", act_UntagResource, 0 },
    { &secretsmanager_api, "UpdateSecret", act_UpdateSecret, 0 },
    { &secretsmanager_api, "UpdateSecretVersionStage", act_UpdateSecretVersionStage, 0 },
};
DISPATCH_FAMILY(secretsmanager_secrets, rows);
