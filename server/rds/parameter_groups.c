/* parameter_groups.c: DB parameter group operations (Create/Copy/Modify/Reset/Delete/
 * Describe DBParameterGroups, DescribeDBParameters, DescribeEngineDefaultParameters) and
 * their renderers. */
#include "rds.h"

#include <string.h>

static void render_group(res_out *x, const param_group_view *v)
{
    res_str(x, "DBParameterGroupName", v->name);
    res_str(x, "DBParameterGroupFamily", v->family);
    res_str(x, "Description", v->description);
    res_str(x, "DBParameterGroupArn", v->arn);
}

static void render_params(res_out *x, const param_view *v, size_t n)
{
    res_list(x, "Parameters");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "Parameter");
        res_str(x, "ParameterName", v[i].name);
        res_str(x, "ParameterValue", v[i].value);
        res_str(x, "Description", v[i].description);
        res_str(x, "Source", v[i].source);
        res_str(x, "ApplyType", v[i].apply_type);
        res_str(x, "DataType", v[i].data_type);
        res_str(x, "AllowedValues", v[i].allowed);
        res_bool(x, "IsModifiable", v[i].modifiable);
        res_str(x, "ApplyMethod", v[i].apply_method);
        res_close(x);
    }
    res_close(x);
}

static param_in_list params_of(req_ctx *rq, const param *in)
{
    param_in_list l = { NULL, 0 };
    const param *p = param_get(in, RDS_M_Parameters);
    if (!p)
        return l;
    l.v = arena_alloc(rq->er.a, (p->n_items + 1) * sizeof *l.v);
    for (size_t i = 0; i < p->n_items; i++)
        l.v[l.n++] = (param_in){ .name = param_str(p->items[i], RDS_M_ParameterName),
                                 .value = param_str(p->items[i], RDS_M_ParameterValue),
                                 .apply_method = param_str(p->items[i], RDS_M_ApplyMethod) };
    return l;
}

ACTION(CreateDBParameterGroup)
{
    tag_list tags = act_tags(rq, in, RDS_M_Tags);
    param_group_view v;
    if (engine_create_param_group(&rq->er, param_str(in, RDS_M_DBParameterGroupName),
                                  param_str(in, RDS_M_DBParameterGroupFamily), param_str(in, RDS_M_Description),
                                  &tags, &v, err))
        return -1;
    res_struct(x, "DBParameterGroup");
    render_group(x, &v);
    res_close(x);
    return 0;
}

ACTION(CopyDBParameterGroup)
{
    tag_list tags = act_tags(rq, in, RDS_M_Tags);
    param_group_view v;
    if (engine_copy_param_group(&rq->er, param_str(in, RDS_M_SourceDBParameterGroupIdentifier),
                                param_str(in, RDS_M_TargetDBParameterGroupIdentifier),
                                param_str(in, RDS_M_TargetDBParameterGroupDescription), &tags, &v, err))
        return -1;
    res_struct(x, "DBParameterGroup");
    render_group(x, &v);
    res_close(x);
    return 0;
}

/* Modify and Reset answer with the group's name (DBParameterGroupNameMessage). */
ACTION(ModifyDBParameterGroup)
{
    param_in_list l = params_of(rq, in);
    const char *name = param_str(in, RDS_M_DBParameterGroupName);
    if (engine_modify_param_group(&rq->er, name, &l, err))
        return -1;
    res_str(x, "DBParameterGroupName", rds_lower(arena_strdup(rq->er.a, name)));
    return 0;
}

ACTION(ResetDBParameterGroup)
{
    param_in_list l = params_of(rq, in);
    opt_bool all = act_opt_bool(in, RDS_M_ResetAllParameters);
    const char *name = param_str(in, RDS_M_DBParameterGroupName);
    if (engine_reset_param_group(&rq->er, name, all.set && all.v, &l, err))
        return -1;
    res_str(x, "DBParameterGroupName", rds_lower(arena_strdup(rq->er.a, name ? name : "")));
    return 0;
}

ACTION(DeleteDBParameterGroup)
{
    return engine_delete_param_group(&rq->er, param_str(in, RDS_M_DBParameterGroupName), err);
}

ACTION(DescribeDBParameterGroups)
{
    int max;
    if (act_max_records(in, 100, &max, err))
        return -1;
    param_group_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_param_groups(&rq->er, param_str(in, RDS_M_DBParameterGroupName), param_str(in, RDS_M_Marker),
                                     max, &v, &n, &next, err))
        return -1;
    res_list(x, "DBParameterGroups");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "DBParameterGroup");
        render_group(x, &v[i]);
        res_close(x);
    }
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

ACTION(DescribeDBParameters)
{
    int max;
    if (act_max_records(in, 100, &max, err))
        return -1;
    param_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_params(&rq->er, param_str(in, RDS_M_DBParameterGroupName), param_str(in, RDS_M_Source),
                               param_str(in, RDS_M_Marker), max, &v, &n, &next, err))
        return -1;
    render_params(x, v, n);
    res_str(x, "Marker", next);
    return 0;
}

ACTION(DescribeEngineDefaultParameters)
{
    int max;
    if (act_max_records(in, 100, &max, err))
        return -1;
    param_view *v;
    size_t n;
    const char *next = NULL;
    const char *family = param_str(in, RDS_M_DBParameterGroupFamily);
    if (engine_default_params(&rq->er, family, param_str(in, RDS_M_Marker), max, &v, &n, &next, err))
        return -1;
    res_struct(x, "EngineDefaults");
    res_str(x, "DBParameterGroupFamily", family);
    res_str(x, "Marker", next);
    render_params(x, v, n);
    res_close(x);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "CopyDBParameterGroup", act_CopyDBParameterGroup, 0 },
    { &rds_api, "CreateDBParameterGroup", act_CreateDBParameterGroup, 0 },
    { &rds_api, "DeleteDBParameterGroup", act_DeleteDBParameterGroup, 0 },
    { &rds_api, "DescribeDBParameterGroups", act_DescribeDBParameterGroups, 0 },
    { &rds_api, "DescribeDBParameters", act_DescribeDBParameters, 0 },
    { &rds_api, "DescribeEngineDefaultParameters", act_DescribeEngineDefaultParameters, 0 },
    { &rds_api, "ModifyDBParameterGroup", act_ModifyDBParameterGroup, 0 },
    { &rds_api, "ResetDBParameterGroup", act_ResetDBParameterGroup, 0 },
};
DISPATCH_FAMILY(rds_parameter_groups, rows);
