/* secrets_stages.c: UpdateSecretVersionStage: staging labels move between versions (a
 * label is on one version at most; the version losing AWSCURRENT gets AWSPREVIOUS, as
 * PutSecretValue does). */
#include "secrets/secrets_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct stage_ctx {
    const char *id, *stage, *remove_from, *move_to;
    sm_secret *sec;
} stage_ctx;

static sm_secret_version *version_by_id(sm_secret_version **vs, size_t n, const char *id)
{
    for (size_t i = 0; id && i < n; i++)
        if (strcmp(vs[i]->version_id, id) == 0)
            return vs[i];
    return NULL;
}

static int stage_write(engine_op *op, rds_error *err)
{
    stage_ctx *c = op->ctx;
    engine_req *r = op->r;
    sm_secret_version **vs;
    size_t n;
    if (secrets__find_live(r, op->s, c->id, &c->sec, err) || secrets__refuse_owned(c->sec, err) ||
        store_secret_versions(op->s, r->a, c->sec->arn, &vs, &n, err))
        return -1;
    sm_secret_version *from = version_by_id(vs, n, c->remove_from), *to = version_by_id(vs, n, c->move_to);
    if ((c->remove_from && !from) || (c->move_to && !to))
        return rds_fail(err, RDS_E_SECRETSMANAGER_RESOURCE_NOT_FOUND_EXCEPTION,
                        "Secrets Manager can't find the specified secret version: %s",
                        c->remove_from && !from ? c->remove_from : c->move_to);
    sm_secret_version *holder = NULL;
    for (size_t i = 0; i < n && !holder; i++)
        if (secrets__has_stage(vs[i], c->stage))
            holder = vs[i];
    if (from && from != holder)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "The staging label %s is not attached to version %s, so you can't remove it from that version.",
                        c->stage, c->remove_from);
    if (holder && to && holder != to && !from)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to "
                        "version %s, so you must explicitly reference that version in RemoveFromVersionId.",
                        c->stage, holder->version_id);
    if (from == to)
        return 0;
    bool current = strcmp(c->stage, SECRETS_CURRENT) == 0;
    if (current && !to)
        return rds_fail(err, RDS_E_SECRETSMANAGER_INVALID_PARAMETER_EXCEPTION,
                        "You can't remove the staging label AWSCURRENT without moving it to another version.");
    char needle[300];
    snprintf(needle, sizeof needle, ",%s,", c->stage);
    for (size_t i = 0; i < n; i++) {
        sm_secret_version *v = vs[i];
        const char *was = v->stages;
        if (v == from) {
            const char *at = strstr(v->stages, needle);
            v->stages = arena_printf(r->a, "%.*s%s", (int)(at - v->stages), v->stages, at + strlen(needle) - 1);
            if (current) /* the version losing AWSCURRENT gets AWSPREVIOUS, as AWS does */
                v->stages = arena_printf(r->a, "%s%s,", v->stages, SECRETS_PREVIOUS);
        } else if (current && secrets__has_stage(v, SECRETS_PREVIOUS)) {
            const char *at = strstr(v->stages, "," SECRETS_PREVIOUS ",");
            v->stages = arena_printf(r->a, "%.*s%s", (int)(at - v->stages), v->stages,
                                     at + strlen("," SECRETS_PREVIOUS ",") - 1);
        }
        if (v == to) {
            if (current && secrets__has_stage(v, SECRETS_PREVIOUS)) {
                const char *at = strstr(v->stages, "," SECRETS_PREVIOUS ",");
                v->stages = arena_printf(r->a, "%.*s%s", (int)(at - v->stages), v->stages,
                                         at + strlen("," SECRETS_PREVIOUS ",") - 1);
            }
            v->stages = arena_printf(r->a, "%s%s,", v->stages, c->stage);
        }
        if (strcmp(v->stages, ",") == 0) { /* no label left: the version goes, as in PutSecretValue */
            if (store_secret_version_delete(op->s, v->secret_arn, v->version_id, err))
                return -1;
        } else if (strcmp(was, v->stages) != 0 && store_secret_version_put(op->s, v, err)) {
            return -1;
        }
    }
    c->sec->changed_at_ms = rds_now_ms();
    return store_secret_put(op->s, c->sec, err);
}

int engine_secret_update_stage(engine_req *r, const char *id, const char *stage, const char *remove_from,
                               const char *move_to, sm_secret **out, rds_error *err)
{
    stage_ctx c = { .id = id, .stage = stage, .remove_from = remove_from, .move_to = move_to };
    engine_op op = { .r = r, .kind = "secret", .name = SECRETS_LOCK, .ctx = &c, .write = stage_write };
    if (engine__run(&op, err))
        return -1;
    *out = c.sec;
    return 0;
}
