/* kms_ops.c: the KMS operations of the façade (engine.h, "KMS"): keys, their states,
 * aliases, cryptographic operations, tags, policy and rotation. Mutations run as engine
 * ops under one lock per region ("kms"/"keys"); every check happens inside the write
 * step's transaction, so a refused request changes nothing. Key state changes that make a
 * key unusable reach its instances after the commit (instances/encryption.c). */
#include "kms/kms_internal.h"

#include <string.h>

static int run_locked(engine_req *r, void *ctx, engine_op_step *write, engine_op_step *check_input,
                      rds_error *err)
{
    engine_op op = { .r = r, .kind = "kms", .name = "keys", .ctx = ctx, .check_input = check_input,
                     .write = write };
    return engine__run(&op, err);
}

static void fill_view(engine_req *r, kms_key *k, kms_key_view *out)
{
    if (out)
        *out = (kms_key_view){ k, kms__key_arn(r->e, r->a, k->region, k->key_id) };
}

static int validation(rds_error *err, const char *value, const char *member, const char *constraint)
{
    return rds_fail(err, RDS_E_JSON_VALIDATION_EXCEPTION,
                    "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value,
                    member, constraint);
}

/* ---- CreateKey ---- */

typedef struct create_ctx {
    const kms_create_key_in *in;
    kms_key_view *out;
} create_ctx;

/* Only symmetric encryption keys are offered: a spec AWS has but rdslocal does not is
 * UnsupportedOperationException (the operation exists, not for this kind of key). Values
 * outside the model's enums and lengths never get here: the JSON front-end refuses them
 * with ValidationException against the model itself (server/json.c). */
static int create_check_input(engine_op *op, rds_error *err)
{
    const kms_create_key_in *in = ((create_ctx *)op->ctx)->in;
    if (in->key_spec && strcmp(in->key_spec, "SYMMETRIC_DEFAULT") != 0)
        return rds_fail(err, RDS_E_KMS_UNSUPPORTED_OPERATION_EXCEPTION,
                        "KeySpec %s is not supported: rdslocal offers SYMMETRIC_DEFAULT keys only", in->key_spec);
    if (in->key_usage && strcmp(in->key_usage, "ENCRYPT_DECRYPT") != 0)
        return rds_fail(err, RDS_E_JSON_VALIDATION_EXCEPTION,
                        "KeyUsage %s is not compatible with KeySpec SYMMETRIC_DEFAULT", in->key_usage);
    if (in->origin && strcmp(in->origin, "AWS_KMS") != 0)
        return rds_fail(err, RDS_E_KMS_UNSUPPORTED_OPERATION_EXCEPTION,
                        "Origin %s is not supported: rdslocal offers AWS_KMS keys only", in->origin);
    if (in->multi_region.set && in->multi_region.v)
        return rds_fail(err, RDS_E_KMS_UNSUPPORTED_OPERATION_EXCEPTION,
                        "Multi-Region keys are not supported by rdslocal");
    return 0;
}

static int create_write(engine_op *op, rds_error *err)
{
    create_ctx *c = op->ctx;
    engine_req *r = op->r;
    kms_key *k;
    if (kms__new_key(r, c->in->description, "CUSTOMER", c->in->policy, &k, err) || store_kms_key_put(op->s, k, err))
        return -1;
    const char *arn = kms__key_arn(r->e, r->a, r->region, k->key_id);
    for (size_t i = 0; i < c->in->tags.n; i++)
        if (store_tag_set(op->s, arn, c->in->tags.v[i].key, c->in->tags.v[i].value, err))
            return -1;
    fill_view(r, k, c->out);
    return 0;
}

int engine_kms_create_key(engine_req *r, const kms_create_key_in *in, kms_key_view *out, rds_error *err)
{
    create_ctx c = { in, out };
    return run_locked(r, &c, create_write, create_check_input, err);
}

/* ---- reads ---- */

/* A page read as limit + 1 rows: cut to limit; true if there was more (the marker is then
 * the last row kept). */
static bool trim_page(size_t *n, int limit)
{
    if (*n <= (size_t)limit)
        return false;
    *n = (size_t)limit;
    return true;
}

int engine_kms_describe_key(engine_req *r, const char *key_ref, kms_key_view *out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    kms_key *k;
    if (!s || kms__resolve(r, s, key_ref, KMS_REF_MANAGED, &k, err))
        return -1;
    fill_view(r, k, out);
    return 0;
}

int engine_kms_get_key(engine_req *r, const char *key_ref, kms_key_view *out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    kms_key *k;
    if (!s || kms__resolve(r, s, key_ref, KMS_REF_KEY, &k, err))
        return -1;
    fill_view(r, k, out);
    return 0;
}

int engine_kms_list_keys(engine_req *r, const char *marker, int limit, kms_key_view **out, size_t *n_out,
                         const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    kms_key **rows;
    size_t n;
    if (store_kms_key_list(s, r->a, r->region, marker, limit + 1, &rows, &n, err))
        return -1;
    *next_marker = trim_page(&n, limit) ? rows[limit - 1]->key_id : NULL;
    *out = arena_alloc(r->a, (n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        fill_view(r, rows[i], &(*out)[i]);
    *n_out = n;
    return 0;
}

/* ---- key state ---- */

typedef struct state_ctx {
    const char *ref;
    kms_state_change what;
    opt_int days;
    kms_key_view *out;
    kms_key *k;
} state_ctx;

static int state_check_input(engine_op *op, rds_error *err)
{
    state_ctx *c = op->ctx;
    if (c->what == KMS_SCHEDULE_DELETION && c->days.set && (c->days.v < 7 || c->days.v > 30)) {
        char v[RDS_INT_TEXT_MAX];
        return validation(err, rds_format_int(v, c->days.v), "pendingWindowInDays",
                          c->days.v < 7 ? "Member must have value greater than or equal to 7"
                                        : "Member must have value less than or equal to 30");
    }
    return 0;
}

static int state_write(engine_op *op, rds_error *err)
{
    state_ctx *c = op->ctx;
    engine_req *r = op->r;
    kms_key *k;
    if (kms__resolve(r, op->s, c->ref, KMS_REF_KEY, &k, err))
        return -1;
    static const char *const action[] = { [KMS_ENABLE] = "EnableKey", [KMS_DISABLE] = "DisableKey",
                                          [KMS_SCHEDULE_DELETION] = "ScheduleKeyDeletion",
                                          [KMS_CANCEL_DELETION] = "CancelKeyDeletion" };
    if (strcmp(k->key_manager, "AWS") == 0)
        return kms__managed_refusal(r->e, r->a, k, action[c->what], err);
    const char *arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    bool pending = strcmp(k->key_state, "PendingDeletion") == 0;
    switch (c->what) {
    case KMS_ENABLE:
    case KMS_DISABLE:
    case KMS_SCHEDULE_DELETION:
        if (pending)
            return rds_fail(err, RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION, "%s is pending deletion.", arn);
        if (c->what == KMS_SCHEDULE_DELETION) {
            int64_t days = c->days.set ? c->days.v : 30;
            k->key_state = "PendingDeletion";
            k->pending_days = days;
            k->deletion_at_ms = rds_now_ms() + days * 86400 * 1000;
        } else {
            k->key_state = c->what == KMS_ENABLE ? "Enabled" : "Disabled";
        }
        break;
    case KMS_CANCEL_DELETION:
        if (!pending)
            return rds_fail(err, RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION, "%s is not pending deletion.", arn);
        /* as AWS: a key whose deletion is cancelled comes back Disabled */
        k->key_state = "Disabled";
        k->pending_days = 0;
        k->deletion_at_ms = 0;
        break;
    }
    c->k = k;
    fill_view(r, k, c->out);
    return store_kms_key_put(op->s, k, err);
}

int engine_kms_set_state(engine_req *r, const char *key_ref, kms_state_change what, opt_int pending_days,
                         kms_key_view *out, rds_error *err)
{
    state_ctx c = { key_ref, what, pending_days, out, NULL };
    if (run_locked(r, &c, state_write, state_check_input, err))
        return -1;
    if (what == KMS_DISABLE || what == KMS_SCHEDULE_DELETION)
        engine__instances_key_unusable(r, kms__key_arn(r->e, r->a, c.k->region, c.k->key_id));
    return 0;
}

/* ---- aliases ---- */

typedef struct alias_ctx {
    const char *alias, *target;
    int mode;               /* 0 create, 1 update, 2 delete */
} alias_ctx;

static int alias_check_input(engine_op *op, rds_error *err)
{
    alias_ctx *c = op->ctx;
    const char *a = c->alias;
    /* length 1..256: the JSON front-end checks the model's bounds */
    if (strncmp(a, "alias/", 6) != 0 || !a[6])
        return rds_fail(err, RDS_E_KMS_INVALID_ALIAS_NAME_EXCEPTION, "Alias must start with the prefix \"alias/\".");
    for (const char *p = a + 6; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-'))
            return validation(err, a, "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
    if (strncmp(a, "alias/aws/", 10) == 0)
        return rds_fail(err, RDS_E_KMS_INVALID_ALIAS_NAME_EXCEPTION,
                        "Alias names that begin with \"alias/aws/\" are reserved for AWS managed keys.");
    return 0;
}

static int alias_write(engine_op *op, rds_error *err)
{
    alias_ctx *c = op->ctx;
    engine_req *r = op->r;
    kms_alias *al;
    if (store_kms_alias_get(op->s, r->a, r->region, c->alias, &al, err))
        return -1;
    const char *alias_arn = kms__alias_arn(r->e, r->a, r->region, c->alias);
    if (c->mode == 0 && al)
        return rds_fail(err, RDS_E_KMS_ALREADY_EXISTS_EXCEPTION, "An alias with the name %s already exists",
                        alias_arn);
    if (c->mode != 0 && !al)
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Alias '%s' is not found.", alias_arn);
    if (c->mode == 2)
        return store_kms_alias_delete(op->s, r->region, c->alias, err);
    /* the target is a key (id or ARN), never another alias */
    if (strncmp(c->target, "alias/", 6) == 0 || strstr(c->target, ":alias/"))
        return validation(err, c->target, "targetKeyId", "Member must be a key id or key ARN");
    kms_key *k;
    if (kms__resolve(r, op->s, c->target, KMS_REF_KEY, &k, err))
        return -1;
    if (strcmp(k->key_state, "PendingDeletion") == 0)
        return rds_fail(err, RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION, "%s is pending deletion.",
                        kms__key_arn(r->e, r->a, k->region, k->key_id));
    int64_t now = rds_now_ms();
    kms_alias next = { .region = r->region, .name = c->alias, .key_id = k->key_id,
                       .created_at_ms = al ? al->created_at_ms : now, .updated_at_ms = now };
    return store_kms_alias_put(op->s, &next, err);
}

int engine_kms_create_alias(engine_req *r, const char *alias, const char *target_ref, rds_error *err)
{
    alias_ctx c = { alias, target_ref, 0 };
    return run_locked(r, &c, alias_write, alias_check_input, err);
}

int engine_kms_update_alias(engine_req *r, const char *alias, const char *target_ref, rds_error *err)
{
    alias_ctx c = { alias, target_ref, 1 };
    return run_locked(r, &c, alias_write, alias_check_input, err);
}

int engine_kms_delete_alias(engine_req *r, const char *alias, rds_error *err)
{
    alias_ctx c = { alias, NULL, 2 };
    return run_locked(r, &c, alias_write, alias_check_input, err);
}

int engine_kms_list_aliases(engine_req *r, const char *key_ref, const char *marker, int limit,
                            kms_alias_view **out, size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    const char *key_id = NULL;
    if (key_ref) {
        kms_key *k;
        if (kms__resolve(r, s, key_ref, KMS_REF_KEY, &k, err))
            return -1;
        key_id = k->key_id;
    }
    kms_alias **rows;
    size_t n;
    if (store_kms_alias_list(s, r->a, r->region, key_id, marker, limit + 1, &rows, &n, err))
        return -1;
    *next_marker = trim_page(&n, limit) ? rows[limit - 1]->name : NULL;
    *out = arena_alloc(r->a, (n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = (kms_alias_view){ rows[i], kms__alias_arn(r->e, r->a, r->region, rows[i]->name) };
    *n_out = n;
    return 0;
}
