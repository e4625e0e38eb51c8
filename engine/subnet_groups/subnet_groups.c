/* subnet_groups.c: the DB subnet group family over the built-in default VPC: its
 * registry row, Create/Modify/Delete (engine_op steps, locked by group name) and
 * Describe. The built-in "default" group exists in every region and is never stored. */
#include "engine_internal.h"

#include <string.h>

static int not_found(rds_error *err, const char *name)
{
    return rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", name);
}

static int subnet_group_exists(engine_req *r, store *s, const char *name, rds_error *err)
{
    if (strcmp(name, "default") == 0)
        return 0; /* the built-in group exists in every region (never stored) */
    db_subnet_group *g;
    if (store_subnet_group_get(s, r->a, r->region, name, &g, err))
        return -1;
    return g ? 0 : not_found(err, name);
}

const engine_kind engine__kind_subnet_group = { "subgrp", NULL, subnet_group_exists };

static void fill_group_view(engine_req *r, db_subnet_group *g, subnet_group_view *v)
{
    memset(v, 0, sizeof *v);
    v->g = g;
    v->arn = engine__kind_arn(r->e, r->a, &engine__kind_subnet_group, r->region, g->name);
    char vpc[32];
    default_subnet all[DEFAULT_SUBNET_COUNT];
    model_default_vpc(r->region, vpc, all);
    for (int i = 0; i < DEFAULT_SUBNET_COUNT; i++)
        if (g->subnet_ids && strstr(g->subnet_ids, all[i].id))
            v->subnets[v->n_subnets++] = all[i];
}

/* The built-in "default" group: every subnet of the default VPC. */
static db_subnet_group *default_group(engine_req *r)
{
    db_subnet_group *g = arena_alloc(r->a, sizeof *g);
    char vpc[32];
    default_subnet all[DEFAULT_SUBNET_COUNT];
    model_default_vpc(r->region, vpc, all);
    g->region = r->region;
    g->name = "default";
    g->description = "default";
    g->vpc_id = arena_strdup(r->a, vpc);
    g->subnet_ids = arena_printf(r->a, "%s,%s,%s", all[0].id, all[1].id, all[2].id);
    return g;
}

/* Checks subnet ids against the default VPC; AWS needs subnets in at least two AZs.
 * AWS answers (real responses):
 *   no ids:        InvalidSubnet "Subnet IDs are required."
 *                  (terraform-aws-modules/terraform-aws-rds #326, #327; terraform-aws-rds-aurora #260)
 *   unknown id(s): InvalidParameterValue "Some input subnets in :[subnet-a, subnet-b] are invalid."
 *                  (brianz/serverless-design-patterns #16, aws-samples/aws-cdk-examples #824,
 *                  wallix/awless #175). The bracket holds the request's ids ("some input subnets
 *                  in [...]"), all of them, in request order.
 *   one AZ:        DBSubnetGroupDoesNotCoverEnoughAZs "The DB subnet group doesn't meet
 *                  Availability Zone (AZ) coverage requirement. Current AZ coverage: us-east-2a.
 *                  Add subnets to cover at least 2 AZs." (terraform-aws-vpc #821,
 *                  aws-cloudformation-resource-providers-rds #189) */
static int check_subnets(engine_req *r, const str_list *ids, char **joined, rds_error *err)
{
    char vpc[32];
    default_subnet all[DEFAULT_SUBNET_COUNT];
    model_default_vpc(r->region, vpc, all);
    if (ids->n == 0)
        return rds_fail(err, RDS_E_INVALID_SUBNET, "Subnet IDs are required.");
    bool az_used[DEFAULT_SUBNET_COUNT] = { false };
    bool all_known = true;
    strbuf b;
    strbuf_init(&b);
    for (size_t i = 0; i < ids->n; i++) {
        int k = -1;
        for (int j = 0; j < DEFAULT_SUBNET_COUNT; j++)
            if (strcmp(ids->v[i], all[j].id) == 0)
                k = j;
        if (k < 0)
            all_known = false;
        else
            az_used[k] = true;
        strbuf_puts(&b, i ? ", " : "");
        strbuf_puts(&b, ids->v[i]);
    }
    if (!all_known) {
        rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Some input subnets in :[%s] are invalid.", b.data);
        strbuf_free(&b);
        return -1;
    }
    strbuf_free(&b);
    int azs = 0, covered = -1;
    for (int j = 0; j < DEFAULT_SUBNET_COUNT; j++)
        if (az_used[j]) {
            azs++;
            covered = j;
        }
    if (azs < 2)
        return rds_fail(err, RDS_E_DB_SUBNET_GROUP_DOES_NOT_COVER_ENOUGH_A_ZS,
                        "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
                        "Current AZ coverage: %s. Add subnets to cover at least 2 AZs.",
                        all[covered].az);
    /* stored without duplicates, in default-VPC order */
    strbuf_init(&b);
    for (int j = 0; j < DEFAULT_SUBNET_COUNT; j++)
        if (az_used[j]) {
            strbuf_puts(&b, b.len ? "," : "");
            strbuf_puts(&b, all[j].id);
        }
    *joined = arena_strdup(r->a, b.data);
    strbuf_free(&b);
    return 0;
}

/* The id of an instance (not yet gone) of the region whose DBSubnetGroupName is name, in *id;
 * NULL if none. */
static int subnet_group_user(engine_req *r, store *s, const char *name, const char **id, rds_error *err)
{
    const char *values[1] = { name };
    store_filter f = { "subnet_group", values, 1 };
    const char *after = NULL;
    *id = NULL;
    for (;;) {
        db_instance **rows;
        size_t n;
        if (store_instance_list(s, r->a, r->region, &f, 1, after, 64, &rows, &n, err))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i]->status, "deleted") != 0) {
                *id = rows[i]->id;
                return 0;
            }
        if (n < 64)
            return 0;
        after = rows[n - 1]->id;
    }
}

typedef struct sg_ctx {
    const char *description;
    const str_list *subnet_ids;
    const tag_list *tags;
    subnet_group_view *out;
    char *joined;           /* the checked subnet ids, as stored */
    db_subnet_group *g;
} sg_ctx;

static int create_check_input(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    if (rules_subnet_group_name(op->name, err) || check_subnets(op->r, c->subnet_ids, &c->joined, err))
        return -1;
    op->name = rds_lower(arena_strdup(op->r->a, op->name));
    return 0;
}

static int create_load(engine_op *op, rds_error *err)
{
    db_subnet_group *existing;
    if (store_subnet_group_get(op->s, op->r->a, op->r->region, op->name, &existing, err))
        return -1;
    if (existing)
        return rds_fail(err, RDS_E_DB_SUBNET_GROUP_ALREADY_EXISTS, "The DB subnet group '%s' already exists.",
                        op->name);
    return 0;
}

static int create_decide(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    engine_req *r = op->r;
    char vpc[32];
    default_subnet all[DEFAULT_SUBNET_COUNT];
    model_default_vpc(r->region, vpc, all);
    c->g = arena_alloc(r->a, sizeof *c->g);
    *c->g = (db_subnet_group){ .region = r->region, .name = op->name, .description = c->description,
                               .vpc_id = arena_strdup(r->a, vpc), .subnet_ids = c->joined,
                               .created_at_ms = rds_now_ms() };
    (void)err;
    return 0;
}

static int create_write(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (store_subnet_group_put(op->s, c->g, err))
        return -1;
    const char *arn = engine__kind_arn(r->e, r->a, &engine__kind_subnet_group, r->region, op->name);
    for (size_t i = 0; i < c->tags->n; i++)
        if (store_tag_set(op->s, arn, c->tags->v[i].key, c->tags->v[i].value, err))
            return -1;
    return 0;
}

static int view_after(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    (void)err;
    fill_group_view(op->r, c->g, c->out);
    return 0;
}

int engine_create_subnet_group(engine_req *r, const char *name, const char *description,
                               const str_list *subnet_ids, const tag_list *tags,
                               subnet_group_view *out, rds_error *err)
{
    sg_ctx c = { .description = description, .subnet_ids = subnet_ids, .tags = tags, .out = out };
    engine_op op = { .r = r, .kind = "subgrp", .name = name, .ctx = &c,
                     .check_input = create_check_input, .load = create_load, .decide = create_decide,
                     .write = create_write, .after = view_after };
    return engine__run(&op, err);
}

static int modify_check_input(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    op->name = rds_lower(arena_strdup(op->r->a, op->name));
    /* AWS: "You can't modify the default subnet group" (API reference, DBSubnetGroupName:
     * "Must not be default"). AWS's message is not public; worded after RDS's verified answer
     * for the default parameter groups, "Cannot modify a default parameter group."
     * (InvalidParameterValue, ankane/pghero #66). */
    if (strcmp(op->name, "default") == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Cannot modify a default DB subnet group.");
    return check_subnets(op->r, c->subnet_ids, &c->joined, err);
}

static int load_group(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    if (store_subnet_group_get(op->s, op->r->a, op->r->region, op->name, &c->g, err))
        return -1;
    return c->g ? 0 : not_found(err, op->name);
}

static int modify_decide(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    if (c->description)
        c->g->description = c->description;
    c->g->subnet_ids = c->joined;
    (void)err;
    return 0;
}

static int put_group(engine_op *op, rds_error *err)
{
    sg_ctx *c = op->ctx;
    return store_subnet_group_put(op->s, c->g, err);
}

int engine_modify_subnet_group(engine_req *r, const char *name, const char *description,
                               const str_list *subnet_ids, subnet_group_view *out, rds_error *err)
{
    sg_ctx c = { .description = description, .subnet_ids = subnet_ids, .out = out };
    engine_op op = { .r = r, .kind = "subgrp", .name = name, .ctx = &c,
                     .check_input = modify_check_input, .load = load_group, .decide = modify_decide,
                     .write = put_group, .after = view_after };
    return engine__run(&op, err);
}

static int delete_check_input(engine_op *op, rds_error *err)
{
    op->name = rds_lower(arena_strdup(op->r->a, op->name));
    /* AWS: "You can't delete the default subnet group" (API reference). AWS's message is not
     * public; worded after RDS's verified answer for the default parameter groups,
     * InvalidDBParameterGroupState "Default DBParameterGroup cannot be deleted:
     * default.aurora-mysql5.7" (awsdocs/amazon-rds-user-guide #14), with the code the model
     * lists for DeleteDBSubnetGroup. */
    if (strcmp(op->name, "default") == 0)
        return rds_fail(err, RDS_E_INVALID_DB_SUBNET_GROUP_STATE_FAULT,
                        "Default DBSubnetGroup cannot be deleted: %s", op->name);
    return 0;
}

static int delete_check(engine_op *op, rds_error *err)
{
    const char *user = NULL;
    if (subnet_group_user(op->r, op->s, op->name, &user, err))
        return -1;
    /* Real AWS message names one instance using the group (anomalyco/sst #4026, #6592). */
    if (user)
        return rds_fail(err, RDS_E_INVALID_DB_SUBNET_GROUP_STATE_FAULT,
                        "Cannot delete the subnet group '%s' because at least one database instance: %s is still using it.",
                        op->name, user);
    return 0;
}

static int delete_write(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    if (store_subnet_group_delete(op->s, r->region, op->name, err))
        return -1;
    return engine__forget(r->e, op->s, r->a, &engine__kind_subnet_group, r->region, op->name, err);
}

int engine_delete_subnet_group(engine_req *r, const char *name, rds_error *err)
{
    sg_ctx c = { 0 };
    engine_op op = { .r = r, .kind = "subgrp", .name = name, .ctx = &c,
                     .check_input = delete_check_input, .load = load_group, .check = delete_check,
                     .write = delete_write };
    return engine__run(&op, err);
}

int engine_describe_subnet_groups(engine_req *r, const char *name, const char *marker, int max_records,
                                  subnet_group_view **out, size_t *n_out, const char **next_marker,
                                  rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    *next_marker = NULL;
    if (name) {
        const char *lname = rds_lower(arena_strdup(r->a, name));
        db_subnet_group *g;
        if (strcmp(lname, "default") == 0) {
            g = default_group(r);
        } else {
            if (store_subnet_group_get(s, r->a, r->region, lname, &g, err))
                return -1;
            if (!g)
                return rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", lname);
        }
        *out = arena_alloc(r->a, sizeof **out);
        fill_group_view(r, g, *out);
        *n_out = 1;
        return 0;
    }
    /* "default" sorts first among names (letters, digits, ...) only by accident; list it
     * first explicitly, then the stored groups by name. The marker is the last name sent. */
    db_subnet_group **rows;
    size_t n;
    bool with_default = !marker;
    int want = max_records - (with_default ? 1 : 0);
    if (store_subnet_group_list(s, r->a, r->region, marker, want + 1, &rows, &n, err))
        return -1;
    size_t total = n + (with_default ? 1 : 0);
    subnet_group_view *v = arena_alloc(r->a, (total + 1) * sizeof *v);
    size_t k = 0;
    if (with_default)
        fill_group_view(r, default_group(r), &v[k++]);
    for (size_t i = 0; i < n && (int)i < want; i++)
        fill_group_view(r, rows[i], &v[k++]);
    if ((int)n > want)
        *next_marker = rows[want - 1]->name;
    *out = v;
    *n_out = k;
    return 0;
}
