/* actions.h: handlers of the implemented RDS operations (one file per resource family),
 * shared parameter helpers and the shape renderers other handlers reuse. */
#ifndef RDSLOCAL_ACTIONS_H
#define RDSLOCAL_ACTIONS_H

#include "dispatch.h"

/* Optional values from params. */
opt_int act_opt_int(const param *in, const char *name);
opt_bool act_opt_bool(const param *in, const char *name);
/* A list of strings member ("VpcSecurityGroupIds") as a str_list in the request arena. */
str_list act_str_list(req_ctx *rq, const param *in, const char *name);
/* Tags member ("Tags": Tag.N.Key/Value). */
tag_list act_tags(req_ctx *rq, const param *in, const char *name);
/* MaxRecords: 20..max (default and maximum: max, 100 for most operations),
 * InvalidParameterValue outside. */
int act_max_records(const param *in, int max, int *out, rds_error *err);
/* Filters.Filter.N.{Name,Values}: calls fn for each; the handler decides which names it knows. */
typedef int act_filter_fn(void *ctx, const char *name, str_list values, rds_error *err);
int act_filters(req_ctx *rq, const param *in, act_filter_fn *fn, void *ctx, rds_error *err);

/* Renderers (inside an open parent element). */
void act_render_instance(xml_out *x, req_ctx *rq, const instance_view *v);
void act_render_subnet_group(xml_out *x, const subnet_group_view *v);
void act_render_subnets(xml_out *x, const default_subnet *subnets, size_t n); /* <Subnets> */
void act_render_tags(xml_out *x, const char *element, const rds_tag *tags, size_t n);

#define ACTION(name) int act_##name(req_ctx *rq, const param *in, xml_out *x, rds_error *err)
ACTION(AddTagsToResource);
ACTION(CreateDBInstance);
ACTION(CreateDBSubnetGroup);
ACTION(DeleteDBInstance);
ACTION(DeleteDBSubnetGroup);
ACTION(DescribeDBEngineVersions);
ACTION(DescribeDBInstances);
ACTION(DescribeDBSubnetGroups);
ACTION(DescribeEventCategories);
ACTION(DescribeEvents);
ACTION(DescribeOrderableDBInstanceOptions);
ACTION(ListTagsForResource);
ACTION(ModifyDBInstance);
ACTION(ModifyDBSubnetGroup);
ACTION(RebootDBInstance);
ACTION(RemoveTagsFromResource);
ACTION(StartDBInstance);
ACTION(StopDBInstance);

#endif
