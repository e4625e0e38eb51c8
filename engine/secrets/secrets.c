/* secrets.c: Secrets Manager secrets as the rest of engine/secrets sees them: SecretId
 * resolution, ARNs, versions and their staging labels, sealing values under KMS (values
 * are stored only as KMS ciphertext, hex in the version row), and the deletion of secrets
 * whose recovery window has ended (engine_tick). */
#include "secrets/secrets_internal.h"

#include <openssl/rand.h>
#include <string.h>

int secrets__find(engine_req *r, store *s, const char *id, sm_secret **out, rds_error *err)
{
    *out = NULL;
    const char *key = id ? id : "";
    if (store_secret_find(s, r->a, r->region, key, out, err))
        return -1;
    /* a partial ARN: arn:aws:secretsmanager:<region>:<acct>:secret:<name> */
    const char *prefix = arena_printf(r->a, "arn:aws:secretsmanager:%s:%s:secret:", r->region, r->e->cfg.account_id);
    if (!*out && strncmp(key, prefix, strlen(prefix)) == 0 &&
        store_secret_find(s, r->a, r->region, key + strlen(prefix), out, err))
        return -1;
    if (!*out)
        return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION,
                        "Secrets Manager can't find the specified secret.");
    return 0;
}

int secrets__find_live(engine_req *r, store *s, const char *id, sm_secret **out, rds_error *err)
{
    if (secrets__find(r, s, id, out, err))
        return -1;
    if ((*out)->deletion_at_ms)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "You can't perform this operation on the secret because it was marked for deletion.");
    return 0;
}

int secrets__refuse_owned(const sm_secret *sec, rds_error *err)
{
    if (sec->owning_service && *sec->owning_service)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "You can't modify secret %s because it is managed by %s. Use %s to update it.", sec->name,
                        sec->owning_service, sec->owning_service);
    return 0;
}

/* AWS's suffix: a hyphen and 6 random letters and digits. */
sm_secret *secrets__new(engine_req *r, const char *name)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char rnd[6];
    char suffix[7];
    RAND_bytes(rnd, sizeof rnd);
    for (int i = 0; i < 6; i++)
        suffix[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
    suffix[6] = 0;
    sm_secret *sec = arena_alloc(r->a, sizeof *sec);
    int64_t now = rds_now_ms();
    *sec = (sm_secret){ .region = r->region, .name = arena_strdup(r->a, name),
                     .arn = arena_printf(r->a, "arn:aws:secretsmanager:%s:%s:secret:%s-%s", r->region,
                                         r->e->cfg.account_id, name, suffix),
                     .created_at_ms = now, .changed_at_ms = now };
    return sec;
}

bool secrets__has_stage(const sm_secret_version *v, const char *stage)
{
    char needle[300];
    snprintf(needle, sizeof needle, ",%s,", stage);
    return v->stages && strstr(v->stages, needle) != NULL;
}

/* v->stages without `stage`. */
static const char *without_stage(arena *a, const char *stages, const char *stage)
{
    char needle[300];
    snprintf(needle, sizeof needle, ",%s,", stage);
    const char *at = strstr(stages, needle);
    if (!at)
        return stages;
    return arena_printf(a, "%.*s%s", (int)(at - stages), stages, at + strlen(needle) - 1);
}

static const char *hex_of(arena *a, const unsigned char *b, size_t n)
{
    char *h = arena_alloc(a, 2 * n + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(h + 2 * i, 3, "%02x", b[i]);
    return h;
}

static unsigned char *bytes_of_hex(arena *a, const char *h, size_t *n)
{
    size_t len = strlen(h) / 2;
    unsigned char *b = arena_alloc(a, len ? len : 1);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        b[i] = (unsigned char)v;
    }
    *n = len;
    return b;
}

/* Secrets Manager passes KMS's reason on (reports of real answers: "Secrets Manager can't
 * encrypt the secret value: Key '...' does not exist"). */
int secrets__seal_failure(rds_error *err)
{
    if (err->code == RDS_E_INTERNAL_FAILURE)
        return -1;
    char why[sizeof err->message];
    snprintf(why, sizeof why, "%s", err->message);
    return rds_fail(err, RDS_E_SECRETSMANAGER_ENCRYPTION_FAILURE, "Secrets Manager can't encrypt the secret value: %s",
                    why);
}

static int seal(engine_req *r, store *s, sm_secret *sec, const secret_value *value, const char **hex, rds_error *err)
{
    unsigned char *blob;
    size_t blob_n;
    const char *key_arn;
    const unsigned char *plain = value->string ? (const unsigned char *)value->string : value->binary;
    size_t n = value->string ? strlen(value->string) : value->binary_n;
    if (engine__kms_seal(r, s, sec->kms_key_id, plain, n, &blob, &blob_n, &key_arn, err))
        return secrets__seal_failure(err);
    sec->key_arn = key_arn;
    *hex = hex_of(r->a, blob, blob_n);
    return 0;
}

int secrets__open(engine_req *r, store *s, const sm_secret_version *v, secret_value *out, rds_error *err)
{
    size_t n, plain_n;
    unsigned char *blob = bytes_of_hex(r->a, v->blob, &n), *plain;
    if (engine__kms_unseal(r, s, blob, n, &plain, &plain_n, err)) {
        if (err->code == RDS_E_INTERNAL_FAILURE)
            return -1;
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        rds_fail(err, RDS_E_SECRETSMANAGER_DECRYPTION_FAILURE,
                 "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
        return rds_detail(err, "%s", why);
    }
    *out = (secret_value){ 0 };
    if (v->binary) {
        out->binary = plain;
        out->binary_n = plain_n;
    } else {
        char *str = arena_alloc(r->a, plain_n + 1);
        memcpy(str, plain, plain_n);
        out->string = str;
    }
    return 0;
}

static bool same_value(engine_req *r, store *s, const sm_secret_version *v, const secret_value *value)
{
    rds_error e2;
    rds_error_clear(&e2);
    secret_value old;
    if (secrets__open(r, s, v, &old, &e2))
        return false;
    if (value->string)
        return old.string && strcmp(old.string, value->string) == 0;
    return old.binary && old.binary_n == value->binary_n && memcmp(old.binary, value->binary, old.binary_n) == 0;
}

bool secrets__is_retry(engine_req *r, store *s, const sm_secret *sec, const char *token, const secret_value *value,
                       sm_secret_version **out)
{
    rds_error err;
    rds_error_clear(&err);
    sm_secret_version **vs;
    size_t n;
    if (store_secret_versions(s, r->a, sec->arn, &vs, &n, &err))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(vs[i]->version_id, token) == 0 && same_value(r, s, vs[i], value)) {
            *out = vs[i];
            return true;
        }
    return false;
}

int secrets__add_version(engine_req *r, store *s, sm_secret *sec, const char *client_token, const secret_value *value,
                         const str_list *stages, sm_secret_version **out, rds_error *err)
{
    sm_secret_version **vs;
    size_t n;
    if (store_secret_versions(s, r->a, sec->arn, &vs, &n, err))
        return -1;
    for (size_t i = 0; client_token && i < n; i++) {
        if (strcmp(vs[i]->version_id, client_token) != 0)
            continue;
        if (!same_value(r, s, vs[i], value))
            return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_EXISTS_EXCEPTION,
                            "You can't modify an existing version, you can only create a new version.");
        *out = vs[i];
        return 0;
    }
    str_list current = { (const char *[]){ SECRETS_CURRENT }, 1 };
    if (!stages || !stages->n)
        stages = &current;
    sm_secret_version *v = arena_alloc(r->a, sizeof *v);
    char uuid[37];
    rds_uuid(uuid);
    strbuf labels;
    strbuf_init(&labels);
    strbuf_puts(&labels, ",");
    bool becomes_current = false;
    for (size_t i = 0; i < stages->n; i++) {
        strbuf_printf(&labels, "%s,", stages->v[i]);
        becomes_current |= strcmp(stages->v[i], SECRETS_CURRENT) == 0;
    }
    *v = (sm_secret_version){ .region = sec->region, .secret_arn = sec->arn,
                           .version_id = client_token ? client_token : arena_strdup(r->a, uuid),
                           .stages = arena_strdup(r->a, labels.data), .binary = value->binary != NULL,
                           .created_at_ms = rds_now_ms() };
    strbuf_free(&labels);
    if (seal(r, s, sec, value, &v->blob, err))
        return -1;
    for (size_t i = 0; i < n; i++) {
        sm_secret_version *o = vs[i];
        const char *was = o->stages;
        bool was_current = secrets__has_stage(o, SECRETS_CURRENT);
        for (size_t j = 0; j < stages->n; j++)
            o->stages = without_stage(r->a, o->stages, stages->v[j]);
        if (becomes_current) {
            o->stages = without_stage(r->a, o->stages, SECRETS_PREVIOUS);
            if (was_current)
                o->stages = arena_printf(r->a, "%s%s,", o->stages, SECRETS_PREVIOUS);
        }
        if (strcmp(o->stages, ",") == 0 || !*o->stages) {
            if (store_secret_version_delete(s, o->secret_arn, o->version_id, err))
                return -1;
        } else if (strcmp(was, o->stages) != 0 && store_secret_version_put(s, o, err)) {
            return -1;
        }
    }
    sec->changed_at_ms = v->created_at_ms;
    if (store_secret_version_put(s, v, err) || store_secret_put(s, sec, err))
        return -1;
    *out = v;
    return 0;
}

int secrets__promote(engine_req *r, store *s, sm_secret *sec, sm_secret_version *target, rds_error *err)
{
    sm_secret_version **vs;
    size_t n;
    if (store_secret_versions(s, r->a, sec->arn, &vs, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++) {
        sm_secret_version *v = vs[i];
        const char *was = v->stages;
        if (strcmp(v->version_id, target->version_id) == 0) {
            v->stages = without_stage(r->a, without_stage(r->a, v->stages, SECRETS_PENDING), SECRETS_PREVIOUS);
            if (!secrets__has_stage(v, SECRETS_CURRENT))
                v->stages = arena_printf(r->a, "%s%s,", v->stages, SECRETS_CURRENT);
        } else if (secrets__has_stage(v, SECRETS_CURRENT)) {
            v->stages = arena_printf(r->a, "%s%s,", without_stage(r->a, v->stages, SECRETS_CURRENT), SECRETS_PREVIOUS);
        } else {
            v->stages = without_stage(r->a, v->stages, SECRETS_PREVIOUS);
        }
        if (strcmp(v->stages, ",") == 0) {
            if (store_secret_version_delete(s, v->secret_arn, v->version_id, err))
                return -1;
        } else if (strcmp(was, v->stages) != 0 && store_secret_version_put(s, v, err)) {
            return -1;
        }
    }
    sec->changed_at_ms = rds_now_ms();
    return store_secret_put(s, sec, err);
}

/* ---- scheduled deletion (engine_tick) ---- */

/* AWS rotates an RDS-managed secret on its schedule (7 days unless RotateSecret set
 * another): by rdslocal's clock, through the instance, so the server changes too. A
 * rotation that fails (the instance is stopped) is tried again at the next tick. */
static void rotate_due(engine *e, store *s, arena *a)
{
    rds_error err;
    rds_error_clear(&err);
    sm_secret **due;
    size_t n;
    if (store_secret_rotation_due(s, a, rds_now_ms(), &due, &n, &err))
        return;
    for (size_t i = 0; i < n; i++) {
        engine_req r = { .e = e, .a = a, .region = due[i]->region, .valid_until_ms = INT64_MAX };
        if (engine__secret_rds_rotate_now(&r, due[i], &err))
            log_at(LOG_DEBUG, "secrets", "scheduled rotation of %s: %s", due[i]->name, err.message);
        rds_error_clear(&err);
    }
}

/* A rotation staged (AWSPENDING) whose operation did not commit -- rdslocal stopped between
 * the server's change and the secret's -- is finished: the server gets the staged password
 * (again) and the version becomes current. A rotation still running holds the instance's
 * lock; once it commits nothing is staged any more, and this does nothing. */
static void finish_staged(engine *e, store *s, arena *a)
{
    rds_error err;
    rds_error_clear(&err);
    sm_secret **staged;
    size_t n;
    if (store_secret_rds_pending(s, a, &staged, &n, &err))
        return;
    for (size_t i = 0; i < n; i++) {
        db_instance *d;
        if (store_instance_by_master_secret(s, a, staged[i]->arn, &d, &err) == 0 && d) {
            engine_req r = { .e = e, .a = a, .region = d->region, .valid_until_ms = INT64_MAX };
            if (engine__mmp_finish_pending(&r, d->id, &err))
                log_at(LOG_WARN, "secrets", "staged rotation of %s: %s", staged[i]->name, err.message);
        }
        rds_error_clear(&err);
    }
}

void engine__secrets_tick(engine *e, store *s, arena *a)
{
    rds_error err;
    rds_error_clear(&err);
    sm_secret **due;
    size_t n;
    finish_staged(e, s, a);
    rotate_due(e, s, a);
    if (store_secret_due(s, a, rds_now_ms(), &due, &n, &err) || n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_t *mu = engine__resource_lock(e, due[i]->region, "secret", SECRETS_LOCK);
        engine__lock(mu);
        if (store_begin(s, &err) == 0) {
            sm_secret *sec;
            /* re-read under the lock: RestoreSecret may have come first */
            if (store_secret_find(s, a, due[i]->region, due[i]->name, &sec, &err) == 0 && sec &&
                sec->deletion_at_ms && sec->deletion_at_ms <= rds_now_ms() &&
                store_secret_delete(s, sec, &err) == 0 && store_tags_delete_all(s, sec->arn, &err) == 0)
                store_commit(s, &err);
            else
                store_rollback(s);
        }
        engine__unlock(mu);
        rds_error_clear(&err);
    }
}
