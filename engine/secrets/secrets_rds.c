/* secrets_rds.c: the secrets RDS keeps managed master passwords in (rds!db-<uuid>, owned
 * by "rds", JSON {"username","password"}), and RotateSecret, which for such a secret
 * rotates its instance's password through ModifyDBInstance (RotateMasterUserPassword) so
 * the server and the secret change together. Other secrets need a rotation Lambda, which
 * rdslocal cannot run. */
#include "secrets/secrets_internal.h"

#include <openssl/rand.h>
#include <string.h>

/* AWS: RDS-managed secrets rotate every 7 days unless told otherwise. */
enum { RDS_ROTATION_DAYS = 7, RDS_DELETE_WINDOW_DAYS = 7, PASSWORD_LEN = 28 };

#define TAG_INSTANCE "aws:rds:primaryDBInstanceArn"
#define TAG_OWNER "aws:secretsmanager:owningService"

const char *engine__secret_new_password(arena *a)
{
    /* letters, digits and punctuation RDS accepts (no / @ " or space) */
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!#$%^&*";
    unsigned char rnd[PASSWORD_LEN];
    char *p = arena_alloc(a, PASSWORD_LEN + 1);
    RAND_bytes(rnd, sizeof rnd);
    for (int i = 0; i < PASSWORD_LEN; i++)
        p[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
    return p;
}

static secret_value credentials(arena *a, const char *username, const char *password)
{
    return (secret_value){ .string = arena_printf(a, "{\"username\":\"%s\",\"password\":\"%s\"}", username, password) };
}

int engine__secret_rds_create(engine_req *r, store *s, const char *instance_arn, const char *username,
                              const char *password, const char *kms_ref, const char **secret_arn,
                              const char **key_arn, rds_error *err)
{
    char uuid[37];
    rds_uuid(uuid);
    sm_secret *sec = secrets__new(r, arena_printf(r->a, "rds!db-%s", uuid));
    sec->description = arena_printf(r->a, "Secret associated with primary RDS DB instance: %s", instance_arn);
    sec->kms_key_id = kms_ref && *kms_ref ? kms_ref : NULL;
    sec->owning_service = "rds";
    sec->rotation_enabled = true;
    sec->rotation_days = RDS_ROTATION_DAYS;
    secret_value v = credentials(r->a, username, password);
    sm_secret_version *ver;
    if (secrets__add_version(r, s, sec, NULL, &v, NULL, &ver, err)) {
        /* RDS's words for a key it cannot use */
        if (err->code != RDS_E_INTERNAL_FAILURE) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            rds_fail(err, RDS_E_KMS_KEY_NOT_ACCESSIBLE_FAULT,
                     "The specified KMS key [%s] does not exist, is not enabled or you do not have permissions to "
                     "access it.",
                     kms_ref ? kms_ref : "alias/aws/secretsmanager");
            rds_detail(err, "%s", why);
        }
        return -1;
    }
    if (store_tag_set(s, sec->arn, TAG_INSTANCE, instance_arn, err) || store_tag_set(s, sec->arn, TAG_OWNER, "rds", err))
        return -1;
    *secret_arn = sec->arn;
    *key_arn = sec->key_arn;
    return 0;
}

static int find_by_arn(engine_req *r, store *s, const char *secret_arn, sm_secret **out, rds_error *err)
{
    if (secrets__find(r, s, secret_arn, out, err)) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
        return rds_detail(err, "the instance's secret %s is gone", secret_arn);
    }
    return 0;
}

/* The version of sec labelled AWSPENDING, or NULL. */
static sm_secret_version *pending_of(engine_req *r, store *s, const sm_secret *sec, rds_error *err)
{
    sm_secret_version **vs;
    size_t n;
    if (store_secret_versions(s, r->a, sec->arn, &vs, &n, err))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (secrets__has_stage(vs[i], SECRETS_PENDING))
            return vs[i];
    return NULL;
}

int engine__secret_rds_stage(engine_req *r, store *s, const char *secret_arn, const char *username,
                             const char *password, rds_error *err)
{
    sm_secret *sec;
    sm_secret_version *ver;
    str_list pending = { (const char *[]){ SECRETS_PENDING }, 1 };
    secret_value v = credentials(r->a, username, password);
    return find_by_arn(r, s, secret_arn, &sec, err) || secrets__add_version(r, s, sec, NULL, &v, &pending, &ver, err)
               ? -1
               : 0;
}

int engine__secret_rds_unstage(engine_req *r, store *s, const char *secret_arn, rds_error *err)
{
    rds_error_clear(err);
    sm_secret *sec;
    if (find_by_arn(r, s, secret_arn, &sec, err))
        return -1;
    sm_secret_version *v = pending_of(r, s, sec, err);
    if (!v)
        return err->code != RDS_OK ? -1 : 0;
    if (strcmp(v->stages, "," SECRETS_PENDING ",") == 0)
        return store_secret_version_delete(s, v->secret_arn, v->version_id, err);
    char *at = strstr(v->stages, "," SECRETS_PENDING ",");
    v->stages = arena_printf(r->a, "%.*s%s", (int)(at - v->stages), v->stages, at + strlen(SECRETS_PENDING) + 1);
    return store_secret_version_put(s, v, err);
}

const char *engine__secret_rds_pending(engine_req *r, store *s, const char *secret_arn, rds_error *err)
{
    sm_secret *sec;
    secret_value val;
    if (find_by_arn(r, s, secret_arn, &sec, err))
        return NULL;
    sm_secret_version *v = pending_of(r, s, sec, err);
    if (!v || secrets__open(r, s, v, &val, err) || !val.string)
        return NULL;
    /* our own JSON: {"username":"...","password":"..."}; generated passwords hold no quote */
    const char *p = strstr(val.string, "\"password\":\"");
    const char *end = p ? strchr(p + 12, '"') : NULL;
    return end ? arena_strndup(r->a, p + 12, (size_t)(end - (p + 12))) : NULL;
}

int engine__secret_rds_rotate(engine_req *r, store *s, const char *secret_arn, const char *username,
                              const char *password, rds_error *err)
{
    rds_error_clear(err);
    sm_secret *sec;
    sm_secret_version *ver;
    if (find_by_arn(r, s, secret_arn, &sec, err))
        return -1;
    secret_value v = credentials(r->a, username, password);
    /* the version staged before the server changed (AWSPENDING) becomes current */
    sm_secret_version *staged = pending_of(r, s, sec, err);
    secret_value old;
    if (staged && secrets__open(r, s, staged, &old, err) == 0 && old.string && strcmp(old.string, v.string) == 0) {
        if (secrets__promote(r, s, sec, staged, err))
            return -1;
        ver = staged;
    } else if (err->code != RDS_OK) {
        return -1;
    } else if (secrets__add_version(r, s, sec, NULL, &v, NULL, &ver, err)) {
        return -1;
    }
    sec->rotated_at_ms = rds_now_ms();
    return store_secret_put(s, sec, err);
}

int engine__secret_rds_drop(engine_req *r, store *s, const char *secret_arn, bool force, rds_error *err)
{
    sm_secret *sec;
    if (secrets__find(r, s, secret_arn, &sec, err))
        return err->code == RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION ? (rds_error_clear(err), 0) : -1;
    if (force)
        return store_secret_delete(s, sec, err) || store_tags_delete_all(s, sec->arn, err) ? -1 : 0;
    if (!sec->deletion_at_ms)
        sec->deletion_at_ms = rds_now_ms() + (int64_t)RDS_DELETE_WINDOW_DAYS * 86400 * 1000;
    return store_secret_put(s, sec, err);
}

/* ---- RotateSecret ---- */

typedef struct rotate_ctx {
    const secret_rotate_in *in;
    sm_secret *sec;
} rotate_ctx;

static int rotate_write(engine_op *op, rds_error *err)
{
    rotate_ctx *c = op->ctx;
    const secret_rotate_in *in = c->in;
    if (secrets__find_live(op->r, op->s, in->id, &c->sec, err))
        return -1;
    sm_secret *sec = c->sec;
    bool owned = sec->owning_service && strcmp(sec->owning_service, "rds") == 0;
    if (!owned && !in->lambda_arn)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN "
                        "configured and you didn't include such an ARN as a parameter in this call.");
    if (!owned)
        return rds_fail(err, RDS_E_JSON_ACCESS_DENIED_EXCEPTION,
                        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
                        "grants access to the principal secretsmanager.amazonaws.com.");
    if (in->lambda_arn)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "The secret is managed by %s, which rotates it: do not pass RotationLambdaARN.",
                        sec->owning_service);
    if (in->after_days.set && (in->after_days.v < 1 || in->after_days.v > 1000))
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "RotationRules.AutomaticallyAfterDays must be between 1 and 1000.");
    sec->rotation_enabled = true;
    if (in->after_days.set)
        sec->rotation_days = in->after_days.v;
    return store_secret_put(op->s, sec, err);
}

/* The instance an RDS secret belongs to, by identifier (found by the secret's ARN, so a
 * renamed instance is still found). */
static const char *instance_of(engine_req *r, const sm_secret *sec, rds_error *err)
{
    store *s = engine__store(r->e, err);
    db_instance *d;
    if (!s || store_instance_by_master_secret(s, r->a, sec->arn, &d, err))
        return NULL;
    return d && strcmp(d->region, r->region) == 0 ? d->id : NULL;
}

int engine__secret_rds_rotate_now(engine_req *r, const sm_secret *sec, rds_error *err)
{
    const char *id = instance_of(r, sec, err);
    if (!id)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "The DB instance that owns this secret no longer exists.");
    modify_instance_in m = { .id = id, .rotate_master_password = { true, true }, .apply_immediately = { true, true } };
    instance_view v;
    if (engine_modify_instance(r, &m, &v, err)) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION, "RDS could not rotate the secret: %s",
                        why);
    }
    return 0;
}

int engine_secret_rotate(engine_req *r, const secret_rotate_in *in, sm_secret **out, const char **version_id,
                         rds_error *err)
{
    rotate_ctx c = { .in = in };
    engine_op op = { .r = r, .kind = "secret", .name = SECRETS_LOCK, .ctx = &c, .write = rotate_write };
    if (engine__run(&op, err))
        return -1;
    *out = c.sec;
    *version_id = NULL;
    if (in->rotate_now.set && !in->rotate_now.v)
        return 0;
    /* RDS rotates: the instance's lock, not the secrets' (never hold two) */
    if (engine__secret_rds_rotate_now(r, c.sec, err))
        return -1;
    secret_value_view cur;
    if (engine_secret_get_value(r, c.sec->arn, NULL, SECRETS_CURRENT, &cur, err))
        return -1;
    *out = cur.sec;
    *version_id = cur.version->version_id;
    return 0;
}
