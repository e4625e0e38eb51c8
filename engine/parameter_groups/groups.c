/* groups.c: the DB parameter group family: its registry row, Create/Copy/Modify/Reset/
 * Delete (engine_op steps, locked by group name), DescribeDBParameterGroups,
 * DescribeDBParameters and DescribeEngineDefaultParameters. Default groups
 * (default.postgres<major>) are made up for every installed major, never stored, and
 * cannot be modified or deleted. A change of a group's values reaches the servers that use
 * it after the change committed (apply.c, params__sync_users).
 *
 * AWS's answers (real responses, quoted in public issues):
 *   modify a default group: InvalidParameterValue "Cannot modify a default parameter group."
 *     (ankane/pghero #66)
 *   delete a default group: InvalidDBParameterGroupState "Default DBParameterGroup cannot be
 *     deleted: default.aurora-mysql5.7" (awsdocs/amazon-rds-user-guide #14)
 *   unknown parameter: InvalidParameterValue "Could not find parameter with name: X"
 *     (hashicorp/terraform-provider-aws #522)
 *   not found: DBParameterGroupNotFound "DBParameterGroup not found: X" (404) */
#include "parameter_groups/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PARAM_GROUP_QUOTA = 50 };

static int not_found(rds_error *err, const char *name)
{
    return rds_fail(err, RDS_E_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s", name);
}

int params__load_group(engine_req *r, store *s, const char *name, db_parameter_group **out, rds_error *err)
{
    const char *family = params__default_family(r, name);
    if (family) {
        db_parameter_group *g = arena_alloc(r->a, sizeof *g);
        *g = (db_parameter_group){ .region = r->region, .name = arena_strdup(r->a, name), .family = family,
                                   .description = arena_printf(r->a, "Default parameter group for %s", family) };
        *out = g;
        return 0;
    }
    if (store_param_group_get(s, r->a, r->region, name, out, err))
        return -1;
    return *out ? 0 : not_found(err, name);
}

static int param_group_exists(engine_req *r, store *s, const char *name, rds_error *err)
{
    db_parameter_group *g;
    return params__load_group(r, s, name, &g, err);
}

const engine_kind engine__kind_param_group = { "pg", NULL, param_group_exists };

static void fill_view(engine_req *r, const db_parameter_group *g, param_group_view *v)
{
    *v = (param_group_view){ .name = g->name, .family = g->family, .description = g->description,
                             .arn = engine__kind_arn(r->e, r->a, &engine__kind_param_group, r->region, g->name) };
}

/* AWS: 1-255 letters, digits, hyphens; first a letter; no two hyphens in a row, none at the end. */
static int check_name(const char *param, const char *name, rds_error *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= 255 && ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[n - 1] != '-' &&
              !strstr(name, "--");
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    }
    if (!ok)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s is not a valid identifier. Identifiers must begin with a letter; "
                        "must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen "
                        "or contain two consecutive hyphens.",
                        param);
    return 0;
}

/* ---- create / copy ---- */

typedef struct pg_ctx {
    const char *family, *description, *source;
    const tag_list *tags;
    const param_in_list *params;
    bool reset;                 /* ResetDBParameterGroup (else Modify) */
    bool reset_all;
    param_group_view *out;
    db_parameter_group *g;
    db_parameter **copied;      /* copy: the source's user parameters */
    size_t n_copied;
    db_parameter *set;          /* modify/reset: the rows to write */
    size_t n_set;
} pg_ctx;

static int create_check_input(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    if (check_name(c->source ? "TargetDBParameterGroupIdentifier" : "DBParameterGroupName", op->name, err))
        return -1;
    if (!c->description || !*c->description)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "The parameter %s must be provided and must not be blank.",
                        c->source ? "TargetDBParameterGroupDescription" : "Description");
    op->name = rds_lower(arena_strdup(op->r->a, op->name));
    if (!c->source && !params__family_major(op->r, c->family))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid DB parameter group family: %s",
                        c->family ? c->family : "");
    return 0;
}

static int create_load(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_parameter_group *existing;
    if (params__default_family(r, op->name))
        existing = (db_parameter_group *)1;
    else if (store_param_group_get(op->s, r->a, r->region, op->name, &existing, err))
        return -1;
    if (existing)
        return rds_fail(err, RDS_E_DB_PARAMETER_GROUP_ALREADY_EXISTS, "Parameter group %s already exists", op->name);
    int64_t n;
    if (store_param_group_count(op->s, r->region, &n, err))
        return -1;
    if (n >= PARAM_GROUP_QUOTA)
        return rds_fail(err, RDS_E_DB_PARAMETER_GROUP_QUOTA_EXCEEDED,
                        "The request cannot be processed because it would exceed the maximum number of DBParameterGroups for this account (%d).",
                        PARAM_GROUP_QUOTA);
    if (c->source) {
        const char *src = rds_lower(arena_strdup(r->a, c->source));
        db_parameter_group *g;
        if (params__load_group(r, op->s, src, &g, err))
            return -1;
        c->family = g->family;
        if (store_param_list(op->s, r->a, r->region, src, &c->copied, &c->n_copied, err))
            return -1;
    }
    return 0;
}

static int create_write(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    engine_req *r = op->r;
    c->g = arena_alloc(r->a, sizeof *c->g);
    *c->g = (db_parameter_group){ .region = r->region, .name = op->name, .family = c->family,
                                  .description = c->description, .created_at_ms = rds_now_ms() };
    if (store_param_group_put(op->s, c->g, err))
        return -1;
    for (size_t i = 0; i < c->n_copied; i++) {
        db_parameter p = *c->copied[i];
        p.group_name = op->name;
        if (store_param_put(op->s, &p, err))
            return -1;
    }
    const char *arn = engine__kind_arn(r->e, r->a, &engine__kind_param_group, r->region, op->name);
    for (size_t i = 0; c->tags && i < c->tags->n; i++)
        if (store_tag_set(op->s, arn, c->tags->v[i].key, c->tags->v[i].value, err))
            return -1;
    return 0;
}

static int view_after(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    (void)err;
    fill_view(op->r, c->g, c->out);
    return 0;
}

int engine_create_param_group(engine_req *r, const char *name, const char *family, const char *description,
                              const tag_list *tags, param_group_view *out, rds_error *err)
{
    pg_ctx c = { .family = family, .description = description, .tags = tags, .out = out };
    engine_op op = { .r = r, .kind = "pg", .name = name, .ctx = &c, .check_input = create_check_input,
                     .load = create_load, .write = create_write, .after = view_after };
    return engine__run(&op, err);
}

int engine_copy_param_group(engine_req *r, const char *source, const char *target, const char *description,
                            const tag_list *tags, param_group_view *out, rds_error *err)
{
    if (!source || !*source)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter SourceDBParameterGroupIdentifier must be provided and must not be blank.");
    /* a source given as an ARN: its last part */
    const char *colon = strrchr(source, ':');
    if (strncmp(source, "arn:", 4) == 0 && colon)
        source = colon + 1;
    pg_ctx c = { .description = description, .tags = tags, .out = out, .source = source };
    engine_op op = { .r = r, .kind = "pg", .name = target, .ctx = &c, .check_input = create_check_input,
                     .load = create_load, .write = create_write, .after = view_after };
    return engine__run(&op, err);
}

/* ---- modify / reset ---- */

static int change_check_input(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    if (!op->name || !*op->name)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBParameterGroupName must be provided and must not be blank.");
    op->name = rds_lower(arena_strdup(op->r->a, op->name));
    if (!c->reset_all && (!c->params || c->params->n == 0))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "You must specify at least one parameter to %s.",
                        c->reset ? "reset" : "modify");
    if (c->params && c->params->n > 20)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "You can modify up to 20 parameters in a single request.");
    if (params__default_family(op->r, op->name))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Cannot modify a default parameter group.");
    return 0;
}

static int change_load(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    return params__load_group(op->r, op->s, op->name, &c->g, err);
}

/* Every parameter named must exist and be modifiable; Modify's values must fit. */
static int change_decide(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    engine_req *r = op->r;
    bool reset = c->reset;
    param_defs defs;
    if (params__defaults(r, op->s, c->g->family, &defs, err))
        return -1;
    size_t n = c->params ? c->params->n : 0;
    c->set = arena_alloc(r->a, (n + 1) * sizeof *c->set);
    for (size_t i = 0; i < n; i++) {
        const param_in *in = &c->params->v[i];
        if (!in->name || !*in->name)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "The parameter ParameterName must be provided and must not be blank.");
        const param_def *p = params__find(&defs, in->name);
        if (!p)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Could not find parameter with name: %s", in->name);
        if (!p->modifiable)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "The parameter %s cannot be modified.", in->name);
        const char *method = in->apply_method;
        if (method && strcmp(method, "immediate") != 0 && strcmp(method, "pending-reboot") != 0)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Invalid apply method %s for parameter %s: use immediate or pending-reboot.", method,
                            in->name);
        if (!reset) {
            if (!in->value)
                return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                                "The parameter ParameterValue must be provided for parameter: %s", in->name);
            if (!method)
                method = strcmp(p->apply_type, "static") == 0 ? "pending-reboot" : "immediate";
            if (strcmp(method, "immediate") == 0 && strcmp(p->apply_type, "static") == 0)
                return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                                "cannot use immediate apply method for static parameter");
            if (params__check_value(p, in->value, err))
                return -1;
        }
        c->set[c->n_set++] = (db_parameter){ .region = r->region, .group_name = op->name, .name = p->name,
                                             .value = in->value, .apply_method = method,
                                             .apply_type = p->apply_type };
    }
    return 0;
}

static int change_write(engine_op *op, rds_error *err)
{
    pg_ctx *c = op->ctx;
    bool reset = c->reset;
    if (c->reset_all)
        return store_param_delete(op->s, op->r->region, op->name, NULL, err);
    for (size_t i = 0; i < c->n_set; i++)
        if (reset ? store_param_delete(op->s, op->r->region, op->name, c->set[i].name, err)
                  : store_param_put(op->s, &c->set[i], err))
            return -1;
    return 0;
}

static int change(engine_req *r, const char *name, bool reset, bool all, const param_in_list *params,
                  rds_error *err)
{
    pg_ctx c = { .reset = reset, .params = params, .reset_all = all };
    engine_op op = { .r = r, .kind = "pg", .name = name, .ctx = &c, .check_input = change_check_input,
                     .load = change_load, .decide = change_decide, .write = change_write };
    if (engine__run(&op, err))
        return -1;
    params__sync_users(r, op.name);
    return 0;
}

int engine_modify_param_group(engine_req *r, const char *name, const param_in_list *params, rds_error *err)
{
    return change(r, name, false, false, params, err);
}

int engine_reset_param_group(engine_req *r, const char *name, bool all, const param_in_list *params,
                             rds_error *err)
{
    return change(r, name, true, all, params, err);
}

/* ---- delete ---- */

static int delete_check_input(engine_op *op, rds_error *err)
{
    op->name = rds_lower(arena_strdup(op->r->a, op->name ? op->name : ""));
    if (params__default_family(op->r, op->name))
        return rds_fail(err, RDS_E_INVALID_DB_PARAMETER_GROUP_STATE, "Default DBParameterGroup cannot be deleted: %s",
                        op->name);
    return 0;
}

static int delete_check(engine_op *op, rds_error *err)
{
    const char *values[1] = { op->name };
    store_filter f = { "parameter_group", values, 1 };
    db_instance **rows;
    size_t n;
    if (store_instance_list(op->s, op->r->a, op->r->region, &f, 1, NULL, 1000, &rows, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i]->status, "deleted") != 0)
            return rds_fail(err, RDS_E_INVALID_DB_PARAMETER_GROUP_STATE,
                            "One or more database instances are still members of this parameter group %s, so the group cannot be deleted",
                            op->name);
    return 0;
}

static int delete_write(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    if (store_param_group_delete(op->s, r->region, op->name, err))
        return -1;
    return engine__forget(r->e, op->s, r->a, &engine__kind_param_group, r->region, op->name, err);
}

int engine_delete_param_group(engine_req *r, const char *name, rds_error *err)
{
    pg_ctx c = { 0 };
    engine_op op = { .r = r, .kind = "pg", .name = name, .ctx = &c, .check_input = delete_check_input,
                     .load = change_load, .check = delete_check, .write = delete_write };
    return engine__run(&op, err);
}

/* ---- describe ---- */

int engine_describe_param_groups(engine_req *r, const char *name, const char *marker, int max_records,
                                 param_group_view **out, size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    *next_marker = NULL;
    if (name) {
        db_parameter_group *g;
        if (params__load_group(r, s, rds_lower(arena_strdup(r->a, name)), &g, err))
            return -1;
        *out = arena_alloc(r->a, sizeof **out);
        fill_view(r, g, *out);
        *n_out = 1;
        return 0;
    }
    /* one list by name: the default groups of the installed majors and the stored ones */
    const sv_engine_version *ver;
    size_t nv = r->e->sv ? sv_engine_versions(r->e->sv, &ver) : 0;
    db_parameter_group **rows;
    size_t n;
    if (store_param_group_list(s, r->a, r->region, NULL, 100000, &rows, &n, err))
        return -1;
    db_parameter_group **all = arena_alloc(r->a, (n + nv + 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        if (params__load_group(r, s, arena_printf(r->a, "default.postgres%s", ver[i].major), &all[k], err) == 0)
            k++;
    for (size_t i = 0; i < n; i++)
        all[k++] = rows[i];
    param_group_view *v = arena_alloc(r->a, (k + 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!marker || strcmp(all[i]->name, marker) > 0)
            fill_view(r, all[i], &v[m++]);
    /* insertion sort by name: a handful of groups */
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1].name, v[j].name) > 0; j--) {
            param_group_view t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    if ((int)m > max_records) {
        m = (size_t)max_records;
        *next_marker = v[m - 1].name;
    }
    *out = v;
    *n_out = m;
    return 0;
}

static void def_view(const param_def *p, param_view *v)
{
    *v = (param_view){ .name = p->name, .value = p->value, .description = p->description, .source = p->source,
                       .apply_type = p->apply_type, .data_type = p->data_type, .allowed = p->allowed,
                       .apply_method = "pending-reboot", .modifiable = p->modifiable };
}

/* A page of v[0..n) after marker (the last name sent). */
static void page(param_view *v, size_t n, const char *marker, int max_records, param_view **out, size_t *n_out,
                 const char **next_marker)
{
    size_t start = 0;
    while (marker && start < n && strcmp(v[start].name, marker) <= 0)
        start++;
    size_t m = n - start;
    *next_marker = NULL;
    if ((int)m > max_records) {
        m = (size_t)max_records;
        *next_marker = v[start + m - 1].name;
    }
    *out = v + start;
    *n_out = m;
}

int engine_describe_params(engine_req *r, const char *group, const char *source, const char *marker,
                           int max_records, param_view **out, size_t *n_out, const char **next_marker,
                           rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    if (source && strcmp(source, "user") != 0 && strcmp(source, "engine-default") != 0 &&
        strcmp(source, "system") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Unrecognized Source: %s", source);
    db_parameter_group *g;
    const char *name = rds_lower(arena_strdup(r->a, group ? group : ""));
    if (params__load_group(r, s, name, &g, err))
        return -1;
    param_defs defs;
    db_parameter **user;
    size_t nu;
    if (params__defaults(r, s, g->family, &defs, err) ||
        store_param_list(s, r->a, r->region, g->name, &user, &nu, err))
        return -1;
    param_view *v = arena_alloc(r->a, (defs.n + 1) * sizeof *v);
    size_t k = 0, u = 0;
    for (size_t i = 0; i < defs.n; i++) {
        param_view pv;
        def_view(&defs.v[i], &pv);
        while (u < nu && strcmp(user[u]->name, defs.v[i].name) < 0)
            u++;
        if (u < nu && strcmp(user[u]->name, defs.v[i].name) == 0) {
            pv.value = user[u]->value;
            pv.source = "user";
            pv.apply_method = user[u]->apply_method;
        }
        if (!source || strcmp(source, pv.source) == 0)
            v[k++] = pv;
    }
    page(v, k, marker, max_records, out, n_out, next_marker);
    return 0;
}

int engine_default_params(engine_req *r, const char *family, const char *marker, int max_records,
                          param_view **out, size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    param_defs defs;
    if (params__defaults(r, s, family, &defs, err))
        return -1;
    param_view *v = arena_alloc(r->a, (defs.n + 1) * sizeof *v);
    for (size_t i = 0; i < defs.n; i++)
        def_view(&defs.v[i], &v[i]);
    page(v, defs.n, marker, max_records, out, n_out, next_marker);
    return 0;
}
