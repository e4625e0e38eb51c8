/* subnet_groups.c: DB subnet group operations and the DBSubnetGroup / Subnets renderers
 * other families reuse (an instance's DBSubnetGroup). */
#include "rds.h"

#include <string.h>

void act_render_subnets(res_out *x, const default_subnet *subnets, size_t n)
{
    res_list(x, "Subnets");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "Subnet");
        res_str(x, "SubnetIdentifier", subnets[i].id);
        res_struct(x, "SubnetAvailabilityZone");
        res_str(x, "Name", subnets[i].az);
        res_close(x);
        res_struct(x, "SubnetOutpost");
        res_close(x);
        res_str(x, "SubnetStatus", "Active");
        res_close(x);
    }
    res_close(x);
}

void act_render_subnet_group(res_out *x, const subnet_group_view *v)
{
    res_str(x, "DBSubnetGroupName", v->g->name);
    res_str(x, "DBSubnetGroupDescription", v->g->description);
    res_str(x, "VpcId", v->g->vpc_id);
    res_str(x, "SubnetGroupStatus", "Complete");
    act_render_subnets(x, v->subnets, v->n_subnets);
    res_str(x, "DBSubnetGroupArn", v->arn);
    res_list(x, "SupportedNetworkTypes");
    res_str(x, "member", "IPV4");
    res_close(x);
}

ACTION(CreateDBSubnetGroup)
{
    str_list subnets = act_str_list(rq, in, RDS_M_SubnetIds);
    tag_list tags = act_tags(rq, in, RDS_M_Tags);
    subnet_group_view v;
    if (engine_create_subnet_group(&rq->er, param_str(in, RDS_M_DBSubnetGroupName),
                                   param_str(in, RDS_M_DBSubnetGroupDescription), &subnets, &tags, &v, err))
        return -1;
    res_struct(x, "DBSubnetGroup");
    act_render_subnet_group(x, &v);
    res_close(x);
    return 0;
}

ACTION(ModifyDBSubnetGroup)
{
    str_list subnets = act_str_list(rq, in, RDS_M_SubnetIds);
    subnet_group_view v;
    if (engine_modify_subnet_group(&rq->er, param_str(in, RDS_M_DBSubnetGroupName),
                                   param_str(in, RDS_M_DBSubnetGroupDescription), &subnets, &v, err))
        return -1;
    res_struct(x, "DBSubnetGroup");
    act_render_subnet_group(x, &v);
    res_close(x);
    return 0;
}

ACTION(DeleteDBSubnetGroup)
{
    return engine_delete_subnet_group(&rq->er, param_str(in, RDS_M_DBSubnetGroupName), err);
}

ACTION(DescribeDBSubnetGroups)
{
    int max;
    if (act_max_records(in, 100, &max, err))
        return -1;
    subnet_group_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_subnet_groups(&rq->er, param_str(in, RDS_M_DBSubnetGroupName),
                                      param_str(in, RDS_M_Marker), max, &v, &n, &next, err))
        return -1;
    res_list(x, "DBSubnetGroups");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "DBSubnetGroup");
        act_render_subnet_group(x, &v[i]);
        res_close(x);
    }
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "CreateDBSubnetGroup", act_CreateDBSubnetGroup, 0 },
    { &rds_api, "DeleteDBSubnetGroup", act_DeleteDBSubnetGroup, 0 },
    { &rds_api, "DescribeDBSubnetGroups", act_DescribeDBSubnetGroups, AF_CACHEABLE },
    { &rds_api, "ModifyDBSubnetGroup", act_ModifyDBSubnetGroup, 0 },
};
DISPATCH_FAMILY(rds_subnet_groups, rows);
