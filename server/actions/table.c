/* table.c: the action table: every implemented operation and its handler, sorted by
 * name (a unit test checks the order and that each name is a real operation). Operations
 * marked AF_CACHEABLE are served from the response cache while nothing changed. Operations
 * of the model that are absent here answer InvalidAction ("not implemented"), decided in
 * dispatch.c, and show as such in the README coverage table. */
#include "actions.h"

const action_def dispatch_actions[] = {
    { "AddTagsToResource", act_AddTagsToResource, 0 },
    { "CreateDBInstance", act_CreateDBInstance, 0 },
    { "CreateDBSubnetGroup", act_CreateDBSubnetGroup, 0 },
    { "DeleteDBInstance", act_DeleteDBInstance, 0 },
    { "DeleteDBSubnetGroup", act_DeleteDBSubnetGroup, 0 },
    { "DescribeDBEngineVersions", act_DescribeDBEngineVersions, AF_CACHEABLE },
    { "DescribeDBInstances", act_DescribeDBInstances, AF_CACHEABLE },
    { "DescribeDBSubnetGroups", act_DescribeDBSubnetGroups, AF_CACHEABLE },
    { "DescribeEventCategories", act_DescribeEventCategories, AF_CACHEABLE },
    { "DescribeEvents", act_DescribeEvents, 0 },
    { "DescribeOrderableDBInstanceOptions", act_DescribeOrderableDBInstanceOptions, AF_CACHEABLE },
    { "ListTagsForResource", act_ListTagsForResource, AF_CACHEABLE },
    { "ModifyDBInstance", act_ModifyDBInstance, 0 },
    { "ModifyDBSubnetGroup", act_ModifyDBSubnetGroup, 0 },
    { "RebootDBInstance", act_RebootDBInstance, 0 },
    { "RemoveTagsFromResource", act_RemoveTagsFromResource, 0 },
    { "StartDBInstance", act_StartDBInstance, 0 },
    { "StopDBInstance", act_StopDBInstance, 0 },
};
const size_t dispatch_action_count = sizeof dispatch_actions / sizeof dispatch_actions[0];
