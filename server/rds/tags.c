/* tags.c: the tag operations (AddTagsToResource, RemoveTagsFromResource,
 * ListTagsForResource) on any taggable RDS resource ARN. */
#include "rds.h"

#include <string.h>

ACTION(ListTagsForResource)
{
    if (param_get(in, RDS_M_Filters))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Filters are not supported for this operation.");
    rds_tag *tags;
    size_t n;
    if (engine_tags_list(&rq->er, param_str(in, RDS_M_ResourceName), &tags, &n, err))
        return -1;
    act_render_tags(x, "TagList", tags, n);
    return 0;
}

ACTION(AddTagsToResource)
{
    tag_list t = act_tags(rq, in, RDS_M_Tags);
    return engine_tags_add(&rq->er, param_str(in, RDS_M_ResourceName), &t, err);
}

ACTION(RemoveTagsFromResource)
{
    str_list keys = act_str_list(rq, in, RDS_M_TagKeys);
    return engine_tags_remove(&rq->er, param_str(in, RDS_M_ResourceName), &keys, err);
}

static const action_def rows[] = {
    { &rds_api, "AddTagsToResource", act_AddTagsToResource, 0 },
    { &rds_api, "ListTagsForResource", act_ListTagsForResource, AF_CACHEABLE },
    { &rds_api, "RemoveTagsFromResource", act_RemoveTagsFromResource, 0 },
};
DISPATCH_FAMILY(rds_tags, rows);
