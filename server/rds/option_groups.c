/* option_groups.c: Create/Delete/DescribeOptionGroups and DescribeOptionGroupOptions.
 * PostgreSQL has no options on RDS: groups (the defaults and the user's) hold none, and no
 * option can be added. */
#include "rds.h"

static void render_group(res_out *x, const option_group_view *v)
{
    res_str(x, "OptionGroupName", v->name);
    res_str(x, "OptionGroupDescription", v->description);
    res_str(x, "EngineName", v->engine);
    res_str(x, "MajorEngineVersion", v->major);
    res_list(x, "Options");
    res_close(x);
    res_bool(x, "AllowsVpcAndNonVpcInstanceMemberships", true);
    res_str(x, "OptionGroupArn", v->arn);
}

ACTION(CreateOptionGroup)
{
    tag_list tags = act_tags(rq, in, RDS_M_Tags);
    option_group_view v;
    if (engine_create_option_group(&rq->er, param_str(in, RDS_M_OptionGroupName), param_str(in, RDS_M_EngineName),
                                   param_str(in, RDS_M_MajorEngineVersion),
                                   param_str(in, RDS_M_OptionGroupDescription), &tags, &v, err))
        return -1;
    res_struct(x, "OptionGroup");
    render_group(x, &v);
    res_close(x);
    return 0;
}

ACTION(DeleteOptionGroup)
{
    return engine_delete_option_group(&rq->er, param_str(in, RDS_M_OptionGroupName), err);
}

ACTION(DescribeOptionGroups)
{
    int max;
    if (act_max_records(in, 100, &max, err))
        return -1;
    option_group_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_option_groups(&rq->er, param_str(in, RDS_M_OptionGroupName), param_str(in, RDS_M_EngineName),
                                      param_str(in, RDS_M_MajorEngineVersion), param_str(in, RDS_M_Marker), max, &v,
                                      &n, &next, err))
        return -1;
    res_list(x, "OptionGroupsList");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "OptionGroup");
        render_group(x, &v[i]);
        res_close(x);
    }
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

ACTION(DescribeOptionGroupOptions)
{
    if (engine_option_group_options(&rq->er, param_str(in, RDS_M_EngineName), param_str(in, RDS_M_MajorEngineVersion),
                                    err))
        return -1;
    res_list(x, "OptionGroupOptions");
    res_close(x);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "CreateOptionGroup", act_CreateOptionGroup, 0 },
    { &rds_api, "DeleteOptionGroup", act_DeleteOptionGroup, 0 },
    { &rds_api, "DescribeOptionGroupOptions", act_DescribeOptionGroupOptions, 0 },
    { &rds_api, "DescribeOptionGroups", act_DescribeOptionGroups, 0 },
};
DISPATCH_FAMILY(rds_option_groups, rows);
