/* option_groups.c: option groups for postgres. RDS offers no options for PostgreSQL, so
 * only the default groups exist (default:postgres-<major>, one per installed major), made
 * up here as the default parameter groups are; DescribeOptionGroupOptions lists nothing. */
#include "parameter_groups/params.h"

#include <string.h>

static bool engine_ok(const char *name)
{
    return !name || strcmp(name, "postgres") == 0;
}

int engine_describe_option_groups(engine_req *r, const char *name, const char *engine_name, const char *major,
                                  const char *marker, int max_records, option_group_view **out, size_t *n_out,
                                  const char **next_marker, rds_error *err)
{
    const sv_engine_version *v;
    size_t n = r->e->sv ? sv_engine_versions(r->e->sv, &v) : 0;
    option_group_view *res = arena_alloc(r->a, (n + 1) * sizeof *res);
    size_t k = 0;
    *next_marker = NULL;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        const char *og = arena_printf(r->a, "default:postgres-%s", v[i].major);
        if (name && strcmp(name, og) != 0)
            continue;
        found = true;
        if (!engine_ok(engine_name) || (major && strcmp(major, v[i].major) != 0))
            continue;
        if (marker && strcmp(og, marker) <= 0)
            continue;
        if ((int)k == max_records) {
            *next_marker = res[k - 1].name;
            break;
        }
        res[k++] = (option_group_view){ .name = og, .engine = "postgres", .major = v[i].major,
                                        .description = arena_printf(r->a, "Default option group for postgres %s",
                                                                    v[i].major),
                                        .arn = engine__arn(r->e, r->a, r->region, "og", og) };
    }
    if (name && !found)
        return rds_fail(err, RDS_E_OPTION_GROUP_NOT_FOUND_FAULT, "Specified OptionGroupName: %s not found.", name);
    *out = res;
    *n_out = k;
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
