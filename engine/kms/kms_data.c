/* kms_data.c: KMS's cryptographic operations (Encrypt, Decrypt, GenerateDataKey) and the
 * key attributes that are stored but not enforced: tags, key policy, rotation. */
#include "kms/kms_internal.h"

#include <openssl/rand.h>
#include <string.h>

static int usable_key(engine_req *r, store *s, const char *ref, kms_key **k, rds_error *err)
{
    return kms__resolve(r, s, ref, KMS_REF_MANAGED, k, err) || kms__check_usable(r->e, r->a, *k, err) ? -1 : 0;
}

int engine_kms_encrypt(engine_req *r, const char *key_ref, const unsigned char *plain, size_t n,
                       const kms_context *ctx, unsigned char **blob, size_t *blob_n, const char **key_arn,
                       rds_error *err)
{
    store *s = engine__store(r->e, err);
    kms_key *k;
    if (!s || usable_key(r, s, key_ref, &k, err) || kms__seal(r->e, r->a, k, ctx, plain, n, blob, blob_n, err))
        return -1;
    *key_arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    return 0;
}

int engine_kms_decrypt(engine_req *r, const char *key_ref, const unsigned char *blob, size_t blob_n,
                       const kms_context *ctx, unsigned char **plain, size_t *plain_n, const char **key_arn,
                       rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    char id[KMS_KEY_ID_LEN + 1];
    /* KMS says nothing about why a ciphertext does not open: the message is empty */
    if (!kms__blob_key_id(blob, blob_n, id))
        return rds_fail(err, RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION, "%s", "");
    kms_key *k;
    if (usable_key(r, s, id, &k, err))
        return -1;
    if (key_ref) {
        kms_key *named;
        if (kms__resolve(r, s, key_ref, KMS_REF_ALIAS, &named, err))
            return -1;
        if (strcmp(named->key_id, k->key_id) != 0)
            return rds_fail(err, RDS_E_KMS_INCORRECT_KEY_EXCEPTION,
                            "The key ID in the request does not identify a CMK that can perform this operation.");
    }
    if (kms__open(r->e, r->a, k, ctx, blob, blob_n, plain, plain_n))
        return rds_fail(err, RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION, "%s", "");
    *key_arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    return 0;
}

int engine_kms_reencrypt(engine_req *r, const char *source_ref, const unsigned char *blob, size_t blob_n,
                         const kms_context *source_ctx, const char *dest_ref, const kms_context *dest_ctx,
                         unsigned char **out, size_t *out_n, const char **source_arn, const char **dest_arn,
                         rds_error *err)
{
    unsigned char *plain;
    size_t n;
    return engine_kms_decrypt(r, source_ref, blob, blob_n, source_ctx, &plain, &n, source_arn, err) ||
                   engine_kms_encrypt(r, dest_ref, plain, n, dest_ctx, out, out_n, dest_arn, err)
               ? -1
               : 0;
}

int engine_kms_generate_data_key(engine_req *r, const char *key_ref, size_t n_bytes, const kms_context *ctx,
                                 unsigned char **plain, unsigned char **blob, size_t *blob_n,
                                 const char **key_arn, rds_error *err)
{
    store *s = engine__store(r->e, err);
    kms_key *k;
    if (!s || usable_key(r, s, key_ref, &k, err))
        return -1;
    unsigned char *bytes = arena_alloc(r->a, n_bytes ? n_bytes : 1);
    if (RAND_bytes(bytes, (int)n_bytes) != 1) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
        return rds_detail(err, "RAND_bytes failed");
    }
    if (kms__seal(r->e, r->a, k, ctx, bytes, n_bytes, blob, blob_n, err))
        return -1;
    if (plain)
        *plain = bytes;
    *key_arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    return 0;
}

/* ---- tags, policy, rotation ---- */

typedef struct attr_ctx {
    const char *ref;
    const tag_list *tags;
    const str_list *keys;
    const char *policy;
    int rotation;           /* -1 unchanged, 0 off, 1 on */
    opt_int period;
} attr_ctx;

static int attr_write(engine_op *op, rds_error *err)
{
    attr_ctx *c = op->ctx;
    engine_req *r = op->r;
    kms_key *k;
    if (kms__resolve(r, op->s, c->ref, KMS_REF_KEY, &k, err))
        return -1;
    const char *arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    if (strcmp(k->key_manager, "AWS") == 0)
        return kms__managed_refusal(r->e, r->a, k,
                                    c->tags       ? "TagResource"
                                    : c->keys     ? "UntagResource"
                                    : c->policy   ? "PutKeyPolicy"
                                    : c->rotation ? "EnableKeyRotation"
                                                  : "DisableKeyRotation",
                                    err);
    if (strcmp(k->key_state, "PendingDeletion") == 0)
        return rds_fail(err, RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION, "%s is pending deletion.", arn);
    if (c->rotation >= 0 && strcmp(k->key_state, "Disabled") == 0)
        return rds_fail(err, RDS_E_KMS_DISABLED_EXCEPTION, "%s is disabled.", arn);
    for (size_t i = 0; c->tags && i < c->tags->n; i++)
        if (store_tag_set(op->s, arn, c->tags->v[i].key, c->tags->v[i].value, err))
            return -1;
    for (size_t i = 0; c->keys && i < c->keys->n; i++)
        if (store_tag_remove(op->s, arn, c->keys->v[i], err))
            return -1;
    if (c->policy || c->rotation >= 0) {
        if (c->policy)
            k->policy = c->policy;
        if (c->rotation >= 0)
            k->rotation_enabled = c->rotation == 1;
        if (c->rotation == 1)
            k->rotation_days = c->period.set ? c->period.v : 365;
        return store_kms_key_put(op->s, k, err);
    }
    return 0;
}

static int attr_run(engine_req *r, attr_ctx *c, rds_error *err)
{
    engine_op op = { .r = r, .kind = "kms", .name = "keys", .ctx = c, .write = attr_write };
    return engine__run(&op, err);
}

int engine_kms_tags_list(engine_req *r, const char *key_ref, rds_tag **out, size_t *n_out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    kms_key *k;
    if (!s || kms__resolve(r, s, key_ref, KMS_REF_KEY, &k, err))
        return -1;
    return store_tags_get(s, r->a, kms__key_arn(r->e, r->a, k->region, k->key_id), out, n_out, err);
}

int engine_kms_tags_add(engine_req *r, const char *key_ref, const tag_list *tags, rds_error *err)
{
    attr_ctx c = { .ref = key_ref, .tags = tags, .rotation = -1 };
    return attr_run(r, &c, err);
}

int engine_kms_tags_remove(engine_req *r, const char *key_ref, const str_list *keys, rds_error *err)
{
    attr_ctx c = { .ref = key_ref, .keys = keys, .rotation = -1 };
    return attr_run(r, &c, err);
}

int engine_kms_put_policy(engine_req *r, const char *key_ref, const char *policy, rds_error *err)
{
    attr_ctx c = { .ref = key_ref, .policy = policy, .rotation = -1 };
    return attr_run(r, &c, err);
}

int engine_kms_set_rotation(engine_req *r, const char *key_ref, bool enabled, opt_int period_days, rds_error *err)
{
    /* 90..2560 days: the JSON front-end checks the model's range */
    attr_ctx c = { .ref = key_ref, .rotation = enabled ? 1 : 0, .period = period_days };
    return attr_run(r, &c, err);
}
