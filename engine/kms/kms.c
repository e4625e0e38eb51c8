/* kms.c: KMS keys as the rest of the engine sees them: ARNs, resolution of a KeyId (key
 * id, key ARN, alias name, alias ARN), the AWS managed key alias/aws/rds (created on first
 * use), the API other families use (engine_internal.h, "KMS used by other families") and
 * the deletion of keys whose waiting period has ended (engine_tick). */
#include "kms/kms_internal.h"

#include <openssl/rand.h>
#include <string.h>

const char *kms__key_arn(engine *e, arena *a, const char *region, const char *key_id)
{
    return arena_printf(a, "arn:aws:kms:%s:%s:key/%s", region, e->cfg.account_id, key_id);
}

const char *kms__alias_arn(engine *e, arena *a, const char *region, const char *alias)
{
    return arena_printf(a, "arn:aws:kms:%s:%s:%s", region, e->cfg.account_id, alias);
}

static bool is_uuid(const char *s)
{
    if (strlen(s) != KMS_KEY_ID_LEN)
        return false;
    for (int i = 0; i < KMS_KEY_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* AWS's default key policy: the account's root may do anything with the key. */
const char *kms__default_policy(engine *e, arena *a)
{
    return arena_printf(a,
                        "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
                        "  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
                        "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
                        "      \"AWS\" : \"arn:aws:iam::%s:root\"\n    },\n"
                        "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}",
                        e->cfg.account_id);
}

int kms__new_key(engine_req *r, const char *description, const char *manager, const char *policy,
                 kms_key **out, rds_error *err)
{
    kms_key *k = arena_alloc(r->a, sizeof *k);
    char id[37];
    rds_uuid(id);
    unsigned char mat[KMS_KEY_BYTES];
    const char *hex;
    if (kms__new_material(r->e, r->a, mat, &hex, err))
        return -1;
    *k = (kms_key){ .region = r->region, .key_id = rds_lower(arena_strdup(r->a, id)),
                    .description = description ? description : "", .key_state = "Enabled",
                    .key_manager = manager, .key_spec = "SYMMETRIC_DEFAULT", .key_usage = "ENCRYPT_DECRYPT",
                    .origin = "AWS_KMS", .created_at_ms = rds_now_ms(), .rotation_days = 365,
                    .policy = policy ? policy : kms__default_policy(r->e, r->a), .material = hex };
    *out = k;
    return 0;
}

static const char MANAGED_ALIAS[] = "alias/aws/rds";
/* secrets: Secrets Manager's AWS managed key, created on first use as aws/rds is. */
static const char SECRETS_ALIAS[] = "alias/aws/secretsmanager";

static const char *managed_description(const char *alias)
{
    return strcmp(alias, SECRETS_ALIAS) == 0
               ? "Default key that protects my Secrets Manager data when no other key is defined"
               : "Default key that protects my RDS database volumes when no other key is defined";
}

/* Creates an AWS managed alias (aws/rds, aws/secretsmanager) and its key. Caller is
 * inside a transaction. */
static int create_managed(engine_req *r, store *s, const char *alias, kms_key **out, rds_error *err)
{
    if (kms__new_key(r, managed_description(alias), "AWS", NULL, out, err) || store_kms_key_put(s, *out, err))
        return -1;
    int64_t now = rds_now_ms();
    kms_alias al = { .region = r->region, .name = alias, .key_id = (*out)->key_id,
                     .created_at_ms = now, .updated_at_ms = now };
    return store_kms_alias_put(s, &al, err);
}

/* The managed key `alias` of r's region, created when missing (in the caller's transaction
 * if one is open, else in one of its own). */
static int managed_key_of(engine_req *r, store *s, const char *alias, kms_key **out, rds_error *err)
{
    bool own_tx = !store_in_tx(s);
    if (own_tx && store_begin(s, err))
        return -1;
    kms_alias *al;
    int rc = store_kms_alias_get(s, r->a, r->region, alias, &al, err);
    if (rc == 0 && al)
        rc = store_kms_key_get(s, r->a, r->region, al->key_id, out, err);
    if (rc == 0 && (!al || !*out))
        rc = create_managed(r, s, alias, out, err);
    if (own_tx) {
        if (rc == 0)
            rc = store_commit(s, err);
        else
            store_rollback(s);
    }
    return rc;
}

static int managed_key(engine_req *r, store *s, kms_key **out, rds_error *err)
{
    return managed_key_of(r, s, MANAGED_ALIAS, out, err);
}

int kms__resolve(engine_req *r, store *s, const char *ref, kms_ref_mode mode, kms_key **out, rds_error *err)
{
    bool create_managed_key = mode == KMS_REF_MANAGED;
    *out = NULL;
    const char *arn_prefix = arena_printf(r->a, "arn:aws:kms:%s:%s:", r->region, r->e->cfg.account_id);
    const char *alias = NULL, *id = NULL;
    if (strncmp(ref, "alias/", 6) == 0)
        alias = ref;
    else if (strncmp(ref, arn_prefix, strlen(arn_prefix)) == 0 && strncmp(ref + strlen(arn_prefix), "alias/", 6) == 0)
        alias = ref + strlen(arn_prefix);
    else if (strncmp(ref, arn_prefix, strlen(arn_prefix)) == 0 && strncmp(ref + strlen(arn_prefix), "key/", 4) == 0)
        id = ref + strlen(arn_prefix) + 4;
    else if (strncmp(ref, "arn:", 4) == 0)
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Invalid arn %s", ref);
    else
        id = ref;
    if (alias && mode == KMS_REF_KEY) /* this operation takes a key id or key ARN only */
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Invalid keyId %s", ref);
    if (alias) {
        kms_alias *al;
        if (store_kms_alias_get(s, r->a, r->region, alias, &al, err))
            return -1;
        if (!al && create_managed_key && (strcmp(alias, MANAGED_ALIAS) == 0 || strcmp(alias, SECRETS_ALIAS) == 0))
            return managed_key_of(r, s, alias, out, err);
        if (!al)
            return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Alias '%s' is not found.",
                            kms__alias_arn(r->e, r->a, r->region, alias));
        id = al->key_id;
    }
    if (!is_uuid(id))
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Invalid keyId %s", ref);
    if (store_kms_key_get(s, r->a, r->region, id, out, err))
        return -1;
    if (!*out)
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Key '%s' does not exist",
                        kms__key_arn(r->e, r->a, r->region, id));
    return 0;
}

int kms__check_usable(engine *e, arena *a, const kms_key *k, rds_error *err)
{
    const char *arn = kms__key_arn(e, a, k->region, k->key_id);
    if (strcmp(k->key_state, "Disabled") == 0)
        return rds_fail(err, RDS_E_KMS_DISABLED_EXCEPTION, "%s is disabled.", arn);
    if (strcmp(k->key_state, "PendingDeletion") == 0)
        return rds_fail(err, RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION, "%s is pending deletion.", arn);
    if (strcmp(k->key_state, "Enabled") != 0)
        return rds_fail(err, RDS_E_KMS_KMS_INVALID_STATE_EXCEPTION, "%s is %s.", arn, k->key_state);
    return 0;
}

int kms__managed_refusal(engine *e, arena *a, const kms_key *k, const char *action, rds_error *err)
{
    return rds_fail(err, RDS_E_JSON_ACCESS_DENIED_EXCEPTION,
                    "User: arn:aws:iam::%s:root is not authorized to perform: kms:%s on resource: %s because no "
                    "resource-based policy allows the kms:%s action",
                    e->cfg.account_id, action, kms__key_arn(e, a, k->region, k->key_id), action);
}

/* ---- used by other families ---- */

/* RDS's answer for a key it cannot use; the KMS reason goes to the detail (log). */
static int not_accessible(rds_error *err, const char *ref)
{
    char why[sizeof err->message];
    snprintf(why, sizeof why, "%s", err->message);
    rds_fail(err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT,
             "The specified KMS key [%s] does not exist, is not enabled or you do not have permissions to "
             "access it.",
             ref);
    return rds_detail(err, "%s", why);
}

int engine__kms_usable_key(engine_req *r, store *s, const char *ref, const char **key_arn, rds_error *err)
{
    kms_key *k;
    if (!ref || !*ref) {
        if (managed_key(r, s, &k, err))
            return -1;
    } else if (kms__resolve(r, s, ref, KMS_REF_MANAGED, &k, err) || kms__check_usable(r->e, r->a, k, err)) {
        return err->code == RDS_E_INTERNAL_FAILURE ? -1 : not_accessible(err, ref);
    }
    *key_arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    return 0;
}

/* The key an ARN names (any region); NULL if none or not a key ARN. */
static int key_by_arn(store *s, arena *a, const char *key_arn, kms_key **out, rds_error *err)
{
    *out = NULL;
    const char *slash = key_arn ? strstr(key_arn, ":key/") : NULL;
    const char *colon = slash && strncmp(key_arn, "arn:aws:kms:", 12) == 0 ? strchr(key_arn + 12, ':') : NULL;
    if (!colon || colon > slash)
        return 0;
    const char *region = arena_strndup(a, key_arn + 12, (size_t)(colon - (key_arn + 12)));
    return store_kms_key_get(s, a, region, slash + 5, out, err);
}

int engine__kms_key_state(engine *e, store *s, arena *a, const char *key_arn, const char **state, rds_error *err)
{
    kms_key *k;
    if (key_by_arn(s, a, key_arn, &k, err))
        return -1;
    *state = k ? k->key_state : NULL;
    return 0;
}

int engine__kms_arn_usable(engine *e, store *s, arena *a, const char *key_arn, rds_error *err)
{
    const char *state;
    if (engine__kms_key_state(e, s, a, key_arn, &state, err))
        return -1;
    if (state && strcmp(state, "Enabled") == 0)
        return 0;
    rds_fail(err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT, "key %s is %s", key_arn, state ? state : "gone");
    return not_accessible(err, key_arn);
}

bool engine__kms_is_aws_managed(engine *e, store *s, arena *a, const char *key_arn)
{
    rds_error err;
    rds_error_clear(&err);
    kms_key *k;
    return key_by_arn(s, a, key_arn, &k, &err) == 0 && k && strcmp(k->key_manager, "AWS") == 0;
}

int engine__kms_new_data_key(engine *e, store *s, arena *a, const char *key_arn, unsigned char plain32[32],
                             unsigned char **blob, size_t *blob_n, rds_error *err)
{
    kms_key *k;
    if (key_by_arn(s, a, key_arn, &k, err))
        return -1;
    if (!k)
        rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Key '%s' does not exist", key_arn);
    if (!k || kms__check_usable(e, a, k, err))
        return not_accessible(err, key_arn);
    if (RAND_bytes(plain32, 32) != 1) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
        return rds_detail(err, "RAND_bytes failed");
    }
    return kms__seal(e, a, k, NULL, plain32, 32, blob, blob_n, err);
}

int engine__kms_open_data_key(engine *e, store *s, arena *a, const unsigned char *blob, size_t blob_n,
                              unsigned char plain32[32], const char **key_arn, rds_error *err)
{
    char id[KMS_KEY_ID_LEN + 1];
    kms_key *k = NULL;
    if (!kms__blob_key_id(blob, blob_n, id)) {
        rds_fail(err, RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION, "the wrapped data key is damaged");
        return not_accessible(err, "(unreadable key id)");
    }
    if (store_kms_key_by_id(s, a, id, &k, err))
        return -1;
    const char *arn = k ? kms__key_arn(e, a, k->region, k->key_id) : id;
    if (!k)
        rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Key '%s' does not exist", id);
    if (!k || kms__check_usable(e, a, k, err))
        return not_accessible(err, arn);
    unsigned char *plain;
    size_t n;
    if (kms__open(e, a, k, NULL, blob, blob_n, &plain, &n) || n != 32) {
        rds_fail(err, RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION, "the wrapped data key failed authentication");
        return not_accessible(err, arn);
    }
    memcpy(plain32, plain, 32);
    if (key_arn)
        *key_arn = arn;
    return 0;
}

/* Once per engine open: a key disabled (or scheduled for deletion) whose instances were not
 * all made inaccessible -- rdslocal was killed between the key's commit and the instances'
 * -- is applied to them now, before anything else uses them. */
static void reconcile_instances(engine *e, store *s, arena *a)
{
    if (__atomic_exchange_n(&e->kms_reconciled, true, __ATOMIC_SEQ_CST))
        return;
    rds_error err;
    rds_error_clear(&err);
    kms_key **keys;
    size_t n;
    if (store_kms_key_unusable(s, a, &keys, &n, &err))
        return;
    for (size_t i = 0; i < n; i++) {
        engine_req r = { .e = e, .a = a, .region = keys[i]->region, .valid_until_ms = INT64_MAX };
        engine__instances_key_unusable(&r, kms__key_arn(e, a, keys[i]->region, keys[i]->key_id));
    }
}

void engine__kms_tick(engine *e, store *s, arena *a)
{
    reconcile_instances(e, s, a);
    rds_error err;
    rds_error_clear(&err);
    kms_key **due;
    size_t n;
    if (store_kms_key_due(s, a, rds_now_ms(), &due, &n, &err) || n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_t *mu = engine__resource_lock(e, due[i]->region, "kms", "keys");
        engine__lock(mu);
        if (store_begin(s, &err) == 0) {
            kms_key *k;
            /* re-read under the lock: CancelKeyDeletion may have come first */
            if (store_kms_key_get(s, a, due[i]->region, due[i]->key_id, &k, &err) == 0 && k &&
                strcmp(k->key_state, "PendingDeletion") == 0 && k->deletion_at_ms <= rds_now_ms() &&
                store_kms_key_delete(s, k->region, k->key_id, &err) == 0 &&
                store_tags_delete_all(s, kms__key_arn(e, a, k->region, k->key_id), &err) == 0)
                store_commit(s, &err);
            else
                store_rollback(s);
        }
        engine__unlock(mu);
        rds_error_clear(&err);
    }
}

/* ---- secrets: sealing Secrets Manager values ---- */

int engine__kms_seal(engine_req *r, store *s, const char *ref, const unsigned char *plain, size_t n,
                     unsigned char **blob, size_t *blob_n, const char **key_arn, rds_error *err)
{
    kms_key *k;
    if ((!ref || !*ref) ? managed_key_of(r, s, SECRETS_ALIAS, &k, err)
                        : kms__resolve(r, s, ref, KMS_REF_MANAGED, &k, err))
        return -1;
    if (kms__check_usable(r->e, r->a, k, err) || kms__seal(r->e, r->a, k, NULL, plain, n, blob, blob_n, err))
        return -1;
    *key_arn = kms__key_arn(r->e, r->a, k->region, k->key_id);
    return 0;
}

int engine__kms_unseal(engine_req *r, store *s, const unsigned char *blob, size_t blob_n, unsigned char **plain,
                       size_t *plain_n, rds_error *err)
{
    char id[KMS_KEY_ID_LEN + 1];
    kms_key *k = NULL;
    if (!kms__blob_key_id(blob, blob_n, id))
        return rds_fail(err, RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION, "%s", "");
    if (store_kms_key_by_id(s, r->a, id, &k, err))
        return -1;
    if (!k)
        return rds_fail(err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Key '%s' does not exist", id);
    if (kms__check_usable(r->e, r->a, k, err))
        return -1;
    if (kms__open(r->e, r->a, k, NULL, blob, blob_n, plain, plain_n))
        return rds_fail(err, RDS_E_KMS_INVALID_CIPHERTEXT_EXCEPTION, "%s", "");
    return 0;
}
