/* option_groups.c: option groups for postgres. RDS offers no options for PostgreSQL: the
 * default groups (default:postgres-<major>, one per installed major) are made up here as
 * the default parameter groups are; CreateOptionGroup / DeleteOptionGroup keep user groups
 * (always empty) that instances of the same engine and major may use;
 * DescribeOptionGroupOptions lists nothing. */
#include "parameter_groups/params.h"

#include <string.h>

enum { OPTION_GROUP_QUOTA = 20 };

static bool engine_ok(const char *name)
{
    return !name || strcmp(name, "postgres") == 0;
}

static int not_found(rds_error *err, const char *name)
{
    return rds_fail(err, RDS_E_OPTION_GROUP_NOT_FOUND_FAULT, "Specified OptionGroupName: %s not found.", name);
}

static void fill(engine_req *r, const option_group *g, option_group_view *v)
{
    *v = (option_group_view){ .name = g->name, .engine = g->engine, .major = g->major,
                              .description = g->description,
                              .arn = engine__arn(r->e, r->a, r->region, "og", g->name) };
}

/* The default group of an installed major named name, made up; NULL if it is none. */
static option_group *default_group(engine_req *r, const char *name)
{
    if (!name || strncmp(name, "default:postgres-", 17) != 0 ||
        !params__family_major(r, arena_printf(r->a, "postgres%s", name + 17)))
        return NULL;
    option_group *g = arena_alloc(r->a, sizeof *g);
    *g = (option_group){ .region = r->region, .name = arena_strdup(r->a, name), .engine = "postgres",
                         .major = arena_strdup(r->a, name + 17),
                         .description = arena_printf(r->a, "Default option group for postgres %s", name + 17) };
    return g;
}

static int load(engine_req *r, store *s, const char *name, option_group **out, rds_error *err)
{
    if ((*out = default_group(r, name)) != NULL)
        return 0;
    if (store_option_group_get(s, r->a, r->region, name, out, err))
        return -1;
    return *out ? 0 : not_found(err, name);
}

static int option_group_exists(engine_req *r, store *s, const char *name, rds_error *err)
{
    option_group *g;
    return load(r, s, name, &g, err);
}

const engine_kind engine__kind_option_group = { "og", NULL, option_group_exists };

int engine__options_check_group(engine_req *r, store *s, const char *want, const char *major, const char **name,
                                rds_error *err)
{
    if (!want) {
        *name = arena_printf(r->a, "default:postgres-%s", major);
        return 0;
    }
    option_group *g;
    if (load(r, s, rds_lower(arena_strdup(r->a, want)), &g, err))
        return -1;
    if (strcmp(g->major, major) != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "The option group %s is for postgres %s and cannot be used with postgres %s.", g->name,
                        g->major, major);
    *name = g->name;
    return 0;
}

int engine_describe_option_groups(engine_req *r, const char *name, const char *engine_name, const char *major,
                                  const char *marker, int max_records, option_group_view **out, size_t *n_out,
                                  const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    *next_marker = NULL;
    if (name) {
        option_group *g;
        if (load(r, s, rds_lower(arena_strdup(r->a, name)), &g, err))
            return -1;
        *out = arena_alloc(r->a, sizeof **out);
        *n_out = 0;
        if (engine_ok(engine_name) && (!major || strcmp(major, g->major) == 0))
            fill(r, g, &(*out)[(*n_out)++]);
        return 0;
    }
    const sv_engine_version *v;
    size_t nv = r->e->sv ? sv_engine_versions(r->e->sv, &v) : 0;
    option_group **rows;
    size_t n;
    if (store_option_group_list(s, r->a, r->region, NULL, 100000, &rows, &n, err))
        return -1;
    option_group **all = arena_alloc(r->a, (n + nv + 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        all[k++] = default_group(r, arena_printf(r->a, "default:postgres-%s", v[i].major));
    for (size_t i = 0; i < n; i++)
        all[k++] = rows[i];
    option_group_view *res = arena_alloc(r->a, (k + 1) * sizeof *res);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (all[i] && engine_ok(engine_name) && (!major || strcmp(major, all[i]->major) == 0) &&
            (!marker || strcmp(all[i]->name, marker) > 0))
            fill(r, all[i], &res[m++]);
    for (size_t i = 1; i < m; i++) /* insertion sort by name: a handful of groups */
        for (size_t j = i; j > 0 && strcmp(res[j - 1].name, res[j].name) > 0; j--) {
            option_group_view t = res[j];
            res[j] = res[j - 1];
            res[j - 1] = t;
        }
    if ((int)m > max_records) {
        m = (size_t)max_records;
        *next_marker = res[m - 1].name;
    }
    *out = res;
    *n_out = m;
    return 0;
}

int engine_option_group_options(engine_req *r, const char *engine_name, const char *major, rds_error *err)
{
    if (!engine_name || !*engine_name)
        return rds_fail(err, RDS_E_MISSING_PARAMETER, "The request must contain the parameter EngineName");
    if (!engine_ok(engine_name))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid DB engine: %s", engine_name);
    (void)r;
    (void)major;
    return 0;
}

/* ---- create / delete ---- */

typedef struct og_ctx {
    const char *engine_name, *major, *description;
    const tag_list *tags;
    option_group_view *out;
    option_group *g;
} og_ctx;

static int create_check_input(engine_op *op, rds_error *err)
{
    og_ctx *c = op->ctx;
    const char *name = op->name ? op->name : "";
    size_t n = strlen(name);
    bool ok = n >= 1 && n <= 255 && ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[n - 1] != '-' &&
              !strstr(name, "--");
    for (size_t i = 0; ok && i < n; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
             (name[i] >= '0' && name[i] <= '9') || name[i] == '-';
    if (!ok)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter OptionGroupName is not a valid identifier. Identifiers must begin with a "
                        "letter; must contain only ASCII letters, digits, and hyphens; and must not end with a "
                        "hyphen or contain two consecutive hyphens.");
    if (!c->engine_name || strcmp(c->engine_name, "postgres") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid DB engine: %s",
                        c->engine_name ? c->engine_name : "");
    if (!c->major || !params__family_major(op->r, arena_printf(op->r->a, "postgres%s", c->major)))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid MajorEngineVersion: %s for engine postgres",
                        c->major ? c->major : "");
    if (!c->description || !*c->description)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter OptionGroupDescription must be provided and must not be blank.");
    op->name = rds_lower(arena_strdup(op->r->a, name));
    return 0;
}

static int create_load(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    option_group *g;
    if (store_option_group_get(op->s, r->a, r->region, op->name, &g, err))
        return -1;
    if (g)
        return rds_fail(err, RDS_E_OPTION_GROUP_ALREADY_EXISTS_FAULT, "Option group %s already exists.", op->name);
    option_group **rows;
    size_t n;
    if (store_option_group_list(op->s, r->a, r->region, NULL, OPTION_GROUP_QUOTA + 1, &rows, &n, err))
        return -1;
    if (n >= OPTION_GROUP_QUOTA)
        return rds_fail(err, RDS_E_OPTION_GROUP_QUOTA_EXCEEDED_FAULT,
                        "Cannot create more than %d option groups", OPTION_GROUP_QUOTA);
    return 0;
}

static int create_write(engine_op *op, rds_error *err)
{
    og_ctx *c = op->ctx;
    engine_req *r = op->r;
    c->g = arena_alloc(r->a, sizeof *c->g);
    *c->g = (option_group){ .region = r->region, .name = op->name, .engine = "postgres", .major = c->major,
                            .description = c->description, .created_at_ms = rds_now_ms() };
    if (store_option_group_put(op->s, c->g, err))
        return -1;
    const char *arn = engine__kind_arn(r->e, r->a, &engine__kind_option_group, r->region, op->name);
    for (size_t i = 0; c->tags && i < c->tags->n; i++)
        if (store_tag_set(op->s, arn, c->tags->v[i].key, c->tags->v[i].value, err))
            return -1;
    return 0;
}

static int create_after(engine_op *op, rds_error *err)
{
    og_ctx *c = op->ctx;
    (void)err;
    fill(op->r, c->g, c->out);
    return 0;
}

int engine_create_option_group(engine_req *r, const char *name, const char *engine_name, const char *major,
                               const char *description, const tag_list *tags, option_group_view *out,
                               rds_error *err)
{
    og_ctx c = { .engine_name = engine_name, .major = major, .description = description, .tags = tags, .out = out };
    engine_op op = { .r = r, .kind = "og", .name = name, .ctx = &c, .check_input = create_check_input,
                     .load = create_load, .write = create_write, .after = create_after };
    return engine__run(&op, err);
}

static int delete_check_input(engine_op *op, rds_error *err)
{
    op->name = rds_lower(arena_strdup(op->r->a, op->name ? op->name : ""));
    if (default_group(op->r, op->name))
        return rds_fail(err, RDS_E_INVALID_OPTION_GROUP_STATE_FAULT, "Default option group %s cannot be deleted",
                        op->name);
    return 0;
}

static int delete_check(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    option_group *g;
    if (load(r, op->s, op->name, &g, err))
        return -1;
    const char *values[1] = { op->name };
    store_filter f = { "option_group", values, 1 };
    db_instance **rows;
    size_t n;
    if (store_instance_list(op->s, r->a, r->region, &f, 1, NULL, 1000, &rows, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i]->status, "deleted") != 0)
            return rds_fail(err, RDS_E_INVALID_OPTION_GROUP_STATE_FAULT,
                            "The option group '%s' cannot be deleted because it is in use.", op->name);
    return 0;
}

static int delete_write(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    if (store_option_group_delete(op->s, r->region, op->name, err))
        return -1;
    return engine__forget(r->e, op->s, r->a, &engine__kind_option_group, r->region, op->name, err);
}

int engine_delete_option_group(engine_req *r, const char *name, rds_error *err)
{
    og_ctx c = { 0 };
    engine_op op = { .r = r, .kind = "og", .name = name, .ctx = &c, .check_input = delete_check_input,
                     .check = delete_check, .write = delete_write };
    return engine__run(&op, err);
}
