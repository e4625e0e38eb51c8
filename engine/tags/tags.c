/* tags.c: ListTagsForResource, AddTagsToResource, RemoveTagsFromResource by ARN. The ARN
 * names its family by its resource type; the registry (core/registry.c) says whether that
 * family exists and how to find the resource, so a new family is taggable by registering.
 * Tag writes run as engine_op steps locked by the ARN. */
#include "engine_internal.h"

#include <string.h>

/* Checks that arn names an existing rdslocal resource of the request's region. */
static int resolve_arn(engine_req *r, store *s, const char *arn, rds_error *err)
{
    const char *prefix = arena_printf(r->a, "arn:aws:rds:%s:%s:", r->region, r->e->cfg.account_id);
    size_t pl = strlen(prefix);
    const char *colon = strncmp(arn, prefix, pl) == 0 ? strchr(arn + pl, ':') : NULL;
    const engine_kind *k = NULL;
    if (colon && colon[1])
        k = engine__kind_by_arn_type(arena_strndup(r->a, arn + pl, (size_t)(colon - (arn + pl))));
    if (!k)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The specified resource name does not match an RDS resource in this region.");
    return k->exists(r, s, colon + 1, err);
}

int engine_tags_list(engine_req *r, const char *arn, rds_tag **out, size_t *n_out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s || resolve_arn(r, s, arn, err))
        return -1;
    return store_tags_get(s, r->a, arn, out, n_out, err);
}

typedef struct tags_ctx {
    const tag_list *tags;
    const str_list *keys;
} tags_ctx;

static int load_resource(engine_op *op, rds_error *err)
{
    return resolve_arn(op->r, op->s, op->name, err);
}

/* rules_tags, then AWS's 50 user tags per resource, counting those already there (a key
 * given again replaces its value and does not count twice). */
static int add_check(engine_op *op, rds_error *err)
{
    tags_ctx *c = op->ctx;
    engine_req *r = op->r;
    const tag_list *tags = c->tags;
    rds_tag *cur;
    size_t n;
    if (store_tags_get(op->s, r->a, op->name, &cur, &n, err))
        return -1;
    const char **keys = arena_alloc(r->a, (tags->n + 1) * sizeof *keys);
    const char **values = arena_alloc(r->a, (tags->n + 1) * sizeof *values);
    for (size_t i = 0; i < tags->n; i++) {
        keys[i] = tags->v[i].key;
        values[i] = tags->v[i].value;
    }
    if (rules_tags(keys, values, tags->n, err))
        return -1;
    size_t total = n;
    for (size_t i = 0; i < tags->n; i++) {
        bool exists = false;
        for (size_t j = 0; j < n && !exists; j++)
            exists = strcmp(cur[j].key, tags->v[i].key) == 0;
        for (size_t j = 0; j < i && !exists; j++)
            exists = strcmp(tags->v[j].key, tags->v[i].key) == 0;
        total += !exists;
    }
    if (total > RULES_MAX_TAGS)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Cannot add more than %d tags to a resource.",
                        RULES_MAX_TAGS);
    return 0;
}

static int add_write(engine_op *op, rds_error *err)
{
    tags_ctx *c = op->ctx;
    for (size_t i = 0; i < c->tags->n; i++)
        if (store_tag_set(op->s, op->name, c->tags->v[i].key, c->tags->v[i].value, err))
            return -1;
    return 0;
}

int engine_tags_add(engine_req *r, const char *arn, const tag_list *tags, rds_error *err)
{
    tags_ctx c = { .tags = tags };
    engine_op op = { .r = r, .kind = "tags", .name = arn, .ctx = &c, .load = load_resource,
                     .check = add_check, .write = add_write };
    return engine__run(&op, err);
}

static int remove_write(engine_op *op, rds_error *err)
{
    tags_ctx *c = op->ctx;
    for (size_t i = 0; i < c->keys->n; i++)
        if (store_tag_remove(op->s, op->name, c->keys->v[i], err))
            return -1;
    return 0;
}

int engine_tags_remove(engine_req *r, const char *arn, const str_list *keys, rds_error *err)
{
    tags_ctx c = { .keys = keys };
    engine_op op = { .r = r, .kind = "tags", .name = arn, .ctx = &c, .load = load_resource,
                     .write = remove_write };
    return engine__run(&op, err);
}
