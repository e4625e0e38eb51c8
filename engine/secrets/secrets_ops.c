/* secrets_ops.c: the Secrets Manager operations (engine.h "secrets"). Mutations run
 * through engine__run under the region's secrets lock; every refusal comes before the
 * write step, so a refused request changes nothing. */
#include "secrets/secrets_internal.h"

#include <stdlib.h>
#include <string.h>

enum { DAY_MS = 86400 * 1000, DEFAULT_WINDOW_DAYS = 30 };

typedef struct sec_ctx {
    const secret_put_in *in;
    const char *id;
    sm_secret *sec;
    sm_secret_version *version;
    opt_int window;
    opt_bool force;
    const tag_list *add;
    const str_list *remove;
} sec_ctx;

static int run(engine_req *r, sec_ctx *c, engine_op_step *check_input, engine_op_step *write, rds_error *err)
{
    engine_op op = { .r = r, .kind = "secret", .name = SECRETS_LOCK, .ctx = c, .check_input = check_input,
                     .write = write };
    return engine__run(&op, err);
}

static int check_value(const secret_value *v, rds_error *err)
{
    if (v->string && v->binary)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "You can't specify both a binary secret value and a string secret value in the same secret.");
    return 0;
}

static bool has_value(const secret_value *v)
{
    return v->string || v->binary;
}

/* ---- CreateSecret ---- */

static int create_check(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    return check_value(&c->in->value, err);
}

static int create_write(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    engine_req *r = op->r;
    const secret_put_in *in = c->in;
    sm_secret *old;
    if (store_secret_find(op->s, r->a, r->region, in->id, &old, err))
        return -1;
    if (old && old->deletion_at_ms)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "You can't create this secret because a secret with this name is already scheduled for "
                        "deletion.");
    /* a retry of the same request (SDKs fill ClientRequestToken): the same answer */
    if (old && !old->deletion_at_ms && in->client_token && has_value(&in->value) &&
        secrets__is_retry(r, op->s, old, in->client_token, &in->value, &c->version)) {
        c->sec = old;
        return 0;
    }
    if (old)
        return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_EXISTS_EXCEPTION,
                        "The operation failed because the secret %s already exists.", in->id);
    sm_secret *sec = c->sec = secrets__new(r, in->id);
    sec->description = in->description;
    sec->kms_key_id = in->kms_key_id && *in->kms_key_id ? in->kms_key_id : NULL;
    if (has_value(&in->value)) {
        if (secrets__add_version(r, op->s, sec, in->client_token, &in->value, NULL, &c->version, err))
            return -1;
    } else {
        /* no value yet: the key must still be one Secrets Manager can use */
        unsigned char *blob;
        size_t n;
        const char *key_arn;
        if (engine__kms_seal(r, op->s, sec->kms_key_id, (const unsigned char *)"", 0, &blob, &n, &key_arn, err))
            return secrets__seal_failure(err);
        sec->key_arn = key_arn;
        if (store_secret_put(op->s, sec, err))
            return -1;
    }
    for (size_t i = 0; i < in->tags.n; i++)
        if (store_tag_set(op->s, sec->arn, in->tags.v[i].key, in->tags.v[i].value ? in->tags.v[i].value : "", err))
            return -1;
    return 0;
}

int engine_secret_create(engine_req *r, const secret_put_in *in, sm_secret **out, const char **version_id,
                         rds_error *err)
{
    sec_ctx c = { .in = in };
    if (run(r, &c, create_check, create_write, err))
        return -1;
    *out = c.sec;
    *version_id = c.version ? c.version->version_id : NULL;
    return 0;
}

/* ---- PutSecretValue, UpdateSecret ---- */

static int put_check(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    if (check_value(&c->in->value, err))
        return -1;
    if (!has_value(&c->in->value))
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "You must provide either SecretString or SecretBinary.");
    return 0;
}

static int put_write(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (secrets__find_live(r, op->s, c->in->id, &c->sec, err) || secrets__refuse_owned(c->sec, err))
        return -1;
    return secrets__add_version(r, op->s, c->sec, c->in->client_token, &c->in->value, &c->in->stages, &c->version,
                                err);
}

int engine_secret_put_value(engine_req *r, const secret_put_in *in, sm_secret **out, sm_secret_version **version,
                            rds_error *err)
{
    sec_ctx c = { .in = in };
    if (run(r, &c, put_check, put_write, err))
        return -1;
    *out = c.sec;
    *version = c.version;
    return 0;
}

static int update_write(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    engine_req *r = op->r;
    const secret_put_in *in = c->in;
    sm_secret *sec;
    if (secrets__find_live(r, op->s, in->id, &sec, err) || secrets__refuse_owned(sec, err))
        return -1;
    c->sec = sec;
    if (in->description)
        sec->description = in->description;
    bool rekey = in->kms_key_id != NULL;
    if (rekey)
        sec->kms_key_id = *in->kms_key_id ? in->kms_key_id : NULL;
    if (has_value(&in->value))
        return secrets__add_version(r, op->s, sec, in->client_token, &in->value, NULL, &c->version, err);
    if (rekey) {
        /* a new key without a new value: AWS uses it from the next version on; the key
         * must be usable now */
        unsigned char *blob;
        size_t n;
        const char *key_arn;
        if (engine__kms_seal(r, op->s, sec->kms_key_id, (const unsigned char *)"", 0, &blob, &n, &key_arn, err))
            return secrets__seal_failure(err);
    }
    sec->changed_at_ms = rds_now_ms();
    return store_secret_put(op->s, sec, err);
}

int engine_secret_update(engine_req *r, const secret_put_in *in, sm_secret **out, const char **version_id,
                         rds_error *err)
{
    sec_ctx c = { .in = in };
    if (run(r, &c, create_check, update_write, err))
        return -1;
    *out = c.sec;
    *version_id = c.version ? c.version->version_id : NULL;
    return 0;
}

/* ---- reads ---- */

static int view_of(engine_req *r, store *s, sm_secret *sec, secret_view *out, rds_error *err)
{
    *out = (secret_view){ .sec = sec };
    return store_secret_versions(s, r->a, sec->arn, &out->versions, &out->n_versions, err) ||
                   store_tags_get(s, r->a, sec->arn, &out->tags, &out->n_tags, err)
               ? -1
               : 0;
}

int engine_secret_describe(engine_req *r, const char *id, secret_view *out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    sm_secret *sec;
    return !s || secrets__find(r, s, id, &sec, err) || view_of(r, s, sec, out, err) ? -1 : 0;
}

int engine_secret_get_value(engine_req *r, const char *id, const char *version_id, const char *stage,
                            secret_value_view *out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    sm_secret *sec;
    sm_secret_version **vs;
    size_t n;
    if (!s || secrets__find_live(r, s, id, &sec, err) || store_secret_versions(s, r->a, sec->arn, &vs, &n, err))
        return -1;
    if (!version_id && !stage)
        stage = SECRETS_CURRENT;
    sm_secret_version *v = NULL;
    for (size_t i = 0; i < n && !v; i++)
        if ((!version_id || strcmp(vs[i]->version_id, version_id) == 0) && (!stage || secrets__has_stage(vs[i], stage)))
            v = vs[i];
    if (!v && version_id && stage)
        return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION,
                        "Secrets Manager can't find the specified secret value for VersionId: %s and staging label: %s",
                        version_id, stage);
    if (!v && version_id)
        return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION,
                        "Secrets Manager can't find the specified secret value for VersionId: %s", version_id);
    if (!v)
        return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION,
                        "Secrets Manager can't find the specified secret value for staging label: %s", stage);
    *out = (secret_value_view){ .sec = sec, .version = v };
    if (secrets__open(r, s, v, &out->value, err))
        return -1;
    /* LastAccessedDate: AWS keeps the day only */
    int64_t day = rds_now_ms() / DAY_MS * DAY_MS;
    if (sec->accessed_at_ms != day) {
        sec->accessed_at_ms = day;
        rds_error e2;
        rds_error_clear(&e2);
        store_secret_touch(s, sec->arn, day, &e2);
    }
    return 0;
}

/* Filters: prefix match of each value ("!" negates) against the key's field(s). */
static bool prefix_of(const char *v, const char *field)
{
    return field && strncmp(field, v, strlen(v)) == 0;
}

static bool filter_matches(const secret_view *w, const char *key, const char *value)
{
    bool neg = value[0] == '!';
    const char *v = neg ? value + 1 : value;
    const sm_secret *sec = w->sec;
    bool hit = false;
    bool all = strcmp(key, "all") == 0;
    if (all || strcmp(key, "name") == 0)
        hit |= prefix_of(v, sec->name);
    if (all || strcmp(key, "description") == 0)
        hit |= prefix_of(v, sec->description);
    if (all || strcmp(key, "owning-service") == 0)
        hit |= prefix_of(v, sec->owning_service);
    for (size_t i = 0; i < w->n_tags; i++) {
        if (all || strcmp(key, "tag-key") == 0)
            hit |= prefix_of(v, w->tags[i].key);
        if (all || strcmp(key, "tag-value") == 0)
            hit |= prefix_of(v, w->tags[i].value);
    }
    return neg ? !hit : hit;
}

static bool view_matches(const secret_list_in *in, const secret_view *w)
{
    for (size_t f = 0; f < in->filter_keys.n; f++) {
        const str_list *vals = &in->filter_values[f];
        bool any = false;
        for (size_t j = 0; j < vals->n && !any; j++)
            any = filter_matches(w, in->filter_keys.v[f], vals->v[j]);
        if (!any)
            return false;
    }
    return true;
}

int engine_secret_list(engine_req *r, const secret_list_in *in, secret_view **out, size_t *n_out,
                       const char **next_token, rds_error *err)
{
    store *s = engine__store(r->e, err);
    sm_secret **all;
    size_t n;
    if (!s || store_secret_list(s, r->a, r->region, NULL, 1 << 30, in->include_deleted, &all, &n, err))
        return -1;
    /* the token is the index of the next match, in the order asked for */
    long start = 0;
    if (in->next_token) {
        char *end;
        start = strtol(in->next_token, &end, 10);
        if (*end || start < 0)
            return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_NEXT_TOKEN_EXCEPTION,
                            "The NextToken value is invalid.");
    }
    int limit = in->max_results > 0 ? in->max_results : 100;
    secret_view *v = arena_alloc(r->a, (n ? n : 1) * sizeof *v);
    size_t k = 0, matched = 0;
    *next_token = NULL;
    for (size_t i = 0; i < n; i++) {
        sm_secret *sec = all[in->descending ? n - 1 - i : i];
        secret_view w;
        if (view_of(r, s, sec, &w, err))
            return -1;
        if (!view_matches(in, &w))
            continue;
        if ((long)matched++ < start)
            continue;
        if ((int)k == limit) {
            *next_token = arena_printf(r->a, "%ld", start + limit);
            break;
        }
        v[k++] = w;
    }
    *out = v;
    *n_out = k;
    return 0;
}

/* ---- DeleteSecret, RestoreSecret ---- */

static int delete_check(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    bool force = c->force.set && c->force.v;
    if (force && c->window.set)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    if (c->window.set && (c->window.v < 7 || c->window.v > 30))
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
    return 0;
}

static int delete_write(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (secrets__find(r, op->s, c->id, &c->sec, err) || secrets__refuse_owned(c->sec, err))
        return -1;
    sm_secret *sec = c->sec;
    if (c->force.set && c->force.v) {
        if (!sec->deletion_at_ms)
            sec->deletion_at_ms = rds_now_ms();
        return store_secret_delete(op->s, sec, err) || store_tags_delete_all(op->s, sec->arn, err) ? -1 : 0;
    }
    if (sec->deletion_at_ms)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_REQUEST_EXCEPTION,
                        "You can't perform this operation on the secret because it was already scheduled for "
                        "deletion.");
    sec->deletion_at_ms = rds_now_ms() + (c->window.set ? c->window.v : DEFAULT_WINDOW_DAYS) * (int64_t)DAY_MS;
    return store_secret_put(op->s, sec, err);
}

int engine_secret_delete(engine_req *r, const char *id, opt_int window_days, opt_bool force, sm_secret **out,
                         rds_error *err)
{
    sec_ctx c = { .id = id, .window = window_days, .force = force };
    if (run(r, &c, delete_check, delete_write, err))
        return -1;
    *out = c.sec;
    return 0;
}

static int restore_write(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    if (secrets__find(op->r, op->s, c->id, &c->sec, err))
        return -1;
    if (!c->sec->deletion_at_ms)
        return 0;
    c->sec->deletion_at_ms = 0;
    return store_secret_put(op->s, c->sec, err);
}

int engine_secret_restore(engine_req *r, const char *id, sm_secret **out, rds_error *err)
{
    sec_ctx c = { .id = id };
    if (run(r, &c, NULL, restore_write, err))
        return -1;
    *out = c.sec;
    return 0;
}

/* ---- tags ---- */

static int tags_write(engine_op *op, rds_error *err)
{
    sec_ctx *c = op->ctx;
    if (secrets__find_live(op->r, op->s, c->id, &c->sec, err))
        return -1;
    for (size_t i = 0; c->add && i < c->add->n; i++)
        if (store_tag_set(op->s, c->sec->arn, c->add->v[i].key, c->add->v[i].value ? c->add->v[i].value : "", err))
            return -1;
    for (size_t i = 0; c->remove && i < c->remove->n; i++)
        if (store_tag_remove(op->s, c->sec->arn, c->remove->v[i], err))
            return -1;
    return 0;
}

int engine_secret_tags(engine_req *r, const char *id, const tag_list *add, const str_list *remove, rds_error *err)
{
    sec_ctx c = { .id = id, .add = add, .remove = remove };
    return run(r, &c, NULL, tags_write, err);
}
