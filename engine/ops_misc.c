/* ops_misc.c: tags by ARN, DB subnet groups over the built-in default VPC, engine
 * versions from the installed postgres majors, and DescribeEvents. */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tags ---- */

typedef struct arn_parts { const char *type, *name; } arn_parts;

/* Checks that arn names an existing rdslocal resource of the request's region. */
static int resolve_arn(engine_req *r, store *s, const char *arn, arn_parts *out, rds_error *err)
{
    const char *prefix = arena_printf(r->a, "arn:aws:rds:%s:%s:", r->region, r->e->cfg.account_id);
    size_t pl = strlen(prefix);
    const char *colon = strncmp(arn, prefix, pl) == 0 ? strchr(arn + pl, ':') : NULL;
    if (!colon || !colon[1])
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The specified resource name does not match an RDS resource in this region.");
    out->type = arena_strndup(r->a, arn + pl, (size_t)(colon - (arn + pl)));
    out->name = colon + 1;
    if (strcmp(out->type, "db") == 0) {
        db_instance *d;
        if (store_instance_get(s, r->a, r->region, out->name, &d, err))
            return -1;
        if (!d || strcmp(d->status, "deleted") == 0)
            return rds_fail(err, RDS_E_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", out->name);
        return 0;
    }
    if (strcmp(out->type, "subgrp") == 0) {
        if (strcmp(out->name, "default") == 0)
            return 0; /* the built-in group exists in every region (never stored) */
        db_subnet_group *g;
        if (store_subnet_group_get(s, r->a, r->region, out->name, &g, err))
            return -1;
        if (!g)
            return rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", out->name);
        return 0;
    }
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                    "The specified resource name does not match an RDS resource in this region.");
}

int engine_tags_list(engine_req *r, const char *arn, rds_tag **out, size_t *n_out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    arn_parts p;
    if (!s || resolve_arn(r, s, arn, &p, err))
        return -1;
    return store_tags_get(s, r->a, arn, out, n_out, err);
}

int engine_tags_add(engine_req *r, const char *arn, const tag_list *tags, rds_error *err)
{
    store *s = engine__store(r->e, err);
    arn_parts p;
    if (!s || resolve_arn(r, s, arn, &p, err))
        return -1;
    rds_tag *cur;
    size_t n;
    if (store_tags_get(s, r->a, arn, &cur, &n, err))
        return -1;
    const char **keys = arena_alloc(r->a, (tags->n + 1) * sizeof *keys);
    const char **values = arena_alloc(r->a, (tags->n + 1) * sizeof *values);
    for (size_t i = 0; i < tags->n; i++) {
        keys[i] = tags->v[i].key;
        values[i] = tags->v[i].value;
    }
    if (rules_tags(keys, values, tags->n, err))
        return -1;
    /* AWS: 50 user tags per resource, counting those already there (a key given again
     * replaces its value and does not count twice). */
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
    if (store_begin(s, err))
        return -1;
    for (size_t i = 0; i < tags->n; i++)
        if (store_tag_set(s, arn, tags->v[i].key, tags->v[i].value, err)) {
            store_rollback(s);
            return -1;
        }
    return store_commit(s, err);
}

int engine_tags_remove(engine_req *r, const char *arn, const str_list *keys, rds_error *err)
{
    store *s = engine__store(r->e, err);
    arn_parts p;
    if (!s || resolve_arn(r, s, arn, &p, err))
        return -1;
    if (store_begin(s, err))
        return -1;
    for (size_t i = 0; i < keys->n; i++)
        if (store_tag_remove(s, arn, keys->v[i], err)) {
            store_rollback(s);
            return -1;
        }
    return store_commit(s, err);
}

/* ---- subnet groups ---- */

static void fill_group_view(engine_req *r, db_subnet_group *g, subnet_group_view *v)
{
    memset(v, 0, sizeof *v);
    v->g = g;
    v->arn = engine__arn(r->e, r->a, r->region, "subgrp", g->name);
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

int engine_create_subnet_group(engine_req *r, const char *name, const char *description,
                               const str_list *subnet_ids, const tag_list *tags,
                               subnet_group_view *out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s || rules_subnet_group_name(name, err))
        return -1;
    char *joined;
    if (check_subnets(r, subnet_ids, &joined, err))
        return -1;
    const char *lname = rds_lower(arena_strdup(r->a, name));
    db_subnet_group *g = arena_alloc(r->a, sizeof *g);
    char vpc[32];
    default_subnet all[DEFAULT_SUBNET_COUNT];
    model_default_vpc(r->region, vpc, all);
    *g = (db_subnet_group){ .region = r->region, .name = lname, .description = description,
                            .vpc_id = arena_strdup(r->a, vpc), .subnet_ids = joined,
                            .created_at_ms = rds_now_ms() };
    if (store_begin(s, err))
        return -1;
    db_subnet_group *existing;
    if (store_subnet_group_get(s, r->a, r->region, lname, &existing, err))
        goto fail;
    if (existing) {
        rds_fail(err, RDS_E_DB_SUBNET_GROUP_ALREADY_EXISTS, "The DB subnet group '%s' already exists.", lname);
        goto fail;
    }
    if (store_subnet_group_put(s, g, err))
        goto fail;
    const char *arn = engine__arn(r->e, r->a, r->region, "subgrp", lname);
    for (size_t i = 0; i < tags->n; i++)
        if (store_tag_set(s, arn, tags->v[i].key, tags->v[i].value, err))
            goto fail;
    if (store_commit(s, err))
        goto fail;
    fill_group_view(r, g, out);
    return 0;
fail:
    store_rollback(s);
    return -1;
}

int engine_modify_subnet_group(engine_req *r, const char *name, const char *description,
                               const str_list *subnet_ids, subnet_group_view *out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    const char *lname = rds_lower(arena_strdup(r->a, name));
    /* AWS: "You can't modify the default subnet group" (API reference, DBSubnetGroupName:
     * "Must not be default"). AWS's message is not public; worded after RDS's verified answer
     * for the default parameter groups, "Cannot modify a default parameter group."
     * (InvalidParameterValue, ankane/pghero #66). */
    if (strcmp(lname, "default") == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Cannot modify a default DB subnet group.");
    char *joined;
    if (check_subnets(r, subnet_ids, &joined, err))
        return -1;
    if (store_begin(s, err))
        return -1;
    db_subnet_group *g;
    if (store_subnet_group_get(s, r->a, r->region, lname, &g, err))
        goto fail;
    if (!g) {
        rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", lname);
        goto fail;
    }
    if (description)
        g->description = description;
    g->subnet_ids = joined;
    if (store_subnet_group_put(s, g, err) || store_commit(s, err))
        goto fail;
    fill_group_view(r, g, out);
    return 0;
fail:
    store_rollback(s);
    return -1;
}

int engine_delete_subnet_group(engine_req *r, const char *name, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    const char *lname = rds_lower(arena_strdup(r->a, name));
    /* AWS: "You can't delete the default subnet group" (API reference). AWS's message is not
     * public; worded after RDS's verified answer for the default parameter groups,
     * InvalidDBParameterGroupState "Default DBParameterGroup cannot be deleted:
     * default.aurora-mysql5.7" (awsdocs/amazon-rds-user-guide #14), with the code the model
     * lists for DeleteDBSubnetGroup. */
    if (strcmp(lname, "default") == 0)
        return rds_fail(err, RDS_E_INVALID_DB_SUBNET_GROUP_STATE_FAULT,
                        "Default DBSubnetGroup cannot be deleted: %s", lname);
    if (store_begin(s, err))
        return -1;
    db_subnet_group *g;
    const char *user = NULL;
    if (store_subnet_group_get(s, r->a, r->region, lname, &g, err))
        goto fail;
    if (!g) {
        rds_fail(err, RDS_E_DB_SUBNET_GROUP_NOT_FOUND_FAULT, "DBSubnetGroup %s not found.", lname);
        goto fail;
    }
    if (subnet_group_user(r, s, lname, &user, err))
        goto fail;
    /* Real AWS message names one instance using the group (anomalyco/sst #4026, #6592). */
    if (user) {
        rds_fail(err, RDS_E_INVALID_DB_SUBNET_GROUP_STATE_FAULT,
                 "Cannot delete the subnet group '%s' because at least one database instance: %s is still using it.",
                 lname, user);
        goto fail;
    }
    if (store_subnet_group_delete(s, r->region, lname, err) ||
        store_tags_delete_all(s, engine__arn(r->e, r->a, r->region, "subgrp", lname), err) ||
        store_commit(s, err))
        goto fail;
    return 0;
fail:
    store_rollback(s);
    return -1;
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

/* ---- engine versions ---- */

int engine_versions(engine_req *r, const char *engine_name, const char *version, const char *family,
                    bool default_only, engine_version_view **out, size_t *n_out, rds_error *err)
{
    const sv_engine_version *v;
    size_t n = r->e->sv ? sv_engine_versions(r->e->sv, &v) : 0;
    engine_version_view *res = arena_alloc(r->a, (n + 1) * sizeof *res);
    size_t k = 0;
    if (engine_name && strcmp(engine_name, "postgres") != 0) {
        *out = res;
        *n_out = 0;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *fam = arena_printf(r->a, "postgres%s", v[i].major);
        bool is_default = i == n - 1;
        if (version && strcmp(version, v[i].version) != 0 && strcmp(version, v[i].major) != 0)
            continue;
        if (family && strcmp(family, fam) != 0)
            continue;
        res[k++] = (engine_version_view){ .engine = "postgres", .version = arena_strdup(r->a, v[i].version),
                                          .major = arena_strdup(r->a, v[i].major), .family = fam,
                                          .is_default = is_default };
    }
    /* AWS DefaultOnly: "only the default version of the specified engine or the engine and
     * major version combination" -- the default among what the other filters matched, so
     * EngineVersion=15 (or DBParameterGroupFamily=postgres15) gives 15's default even when a
     * newer major is installed. The installed versions are ascending and one per major: the
     * default of a set is its newest. */
    if (default_only && k > 1) {
        res[0] = res[k - 1];
        k = 1;
    }
    (void)err;
    *out = res;
    *n_out = k;
    return 0;
}

/* ---- events ---- */

int engine_describe_events(engine_req *r, const describe_events_in *in, rds_event ***out,
                           size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    if (in->source_type && !rules_source_type_valid(in->source_type))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid source type: %s", in->source_type);
    for (size_t i = 0; i < in->categories.n; i++)
        if (!rules_event_category_valid(in->source_type ? in->source_type : "db-instance", in->categories.v[i]))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid event category: %s", in->categories.v[i]);
    int64_t after = 0;
    if (in->marker) {
        char *end;
        after = strtoll(in->marker, &end, 10);
        if (*end || after < 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid marker: %s", in->marker);
    }
    const char *source_id = in->source_id ? rds_lower(arena_strdup(r->a, in->source_id)) : NULL;
    int limit = in->max_records ? in->max_records : 100;
    rds_event **all = arena_alloc(r->a, ((size_t)limit + 1) * sizeof *all);
    size_t k = 0;
    int64_t last_seq = 0;
    *next_marker = NULL;
    /* Category filtering is done here (one category per event row): fetch in pages until
     * enough match or the window is exhausted. */
    for (;;) {
        rds_event **ev;
        int64_t *seqs;
        size_t n;
        if (store_event_list(s, r->a, r->region, in->source_type, source_id, in->start_ms, in->end_ms,
                             after, 256, &ev, &seqs, &n, err))
            return -1;
        for (size_t i = 0; i < n; i++) {
            after = seqs[i];
            bool match = in->categories.n == 0;
            for (size_t c = 0; c < in->categories.n && !match; c++)
                match = strcmp(in->categories.v[c], ev[i]->category) == 0;
            if (!match)
                continue;
            if (k == (size_t)limit) {
                *next_marker = arena_printf(r->a, "%lld", (long long)last_seq);
                goto done;
            }
            all[k++] = ev[i];
            last_seq = seqs[i];
        }
        if (n < 256)
            break;
    }
done:
    *out = all;
    *n_out = k;
    return 0;
}
