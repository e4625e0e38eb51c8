/* table.c: the action table: every implemented operation and its handler, sorted by
 * name (a unit test checks the order and that each name is a real operation). Operations
 * of the model that are absent here answer InvalidAction ("not implemented"), decided in
 * dispatch.c, and show as such in the README coverage table. */
#include "actions.h"

const action_def dispatch_actions[] = {
    { "AddTagsToResource", act_AddTagsToResource },
    { "CreateDBInstance", act_CreateDBInstance },
    { "CreateDBSubnetGroup", act_CreateDBSubnetGroup },
    { "DeleteDBInstance", act_DeleteDBInstance },
    { "DeleteDBSubnetGroup", act_DeleteDBSubnetGroup },
    { "DescribeDBEngineVersions", act_DescribeDBEngineVersions },
    { "DescribeDBInstances", act_DescribeDBInstances },
    { "DescribeDBSubnetGroups", act_DescribeDBSubnetGroups },
    { "DescribeEventCategories", act_DescribeEventCategories },
    { "DescribeEvents", act_DescribeEvents },
    { "DescribeOrderableDBInstanceOptions", act_DescribeOrderableDBInstanceOptions },
    { "ListTagsForResource", act_ListTagsForResource },
    { "ModifyDBInstance", act_ModifyDBInstance },
    { "ModifyDBSubnetGroup", act_ModifyDBSubnetGroup },
    { "RebootDBInstance", act_RebootDBInstance },
    { "RemoveTagsFromResource", act_RemoveTagsFromResource },
    { "StartDBInstance", act_StartDBInstance },
    { "StopDBInstance", act_StopDBInstance },
};
const size_t dispatch_action_count = sizeof dispatch_actions / sizeof dispatch_actions[0];
