/* test_api_model_def.c: the model .def files against the botocore model (server's
 * generated api_model): every wire name a .def row gives is a member of the AWS shape it
 * feeds (DBInstance, PendingModifiedValues, DBSubnetGroup, Event), so a typo in a .def
 * row cannot reach a renderer driven by it. Dotted names (Endpoint.Port) name a member of
 * a nested shape and are checked one level down. */
#include "api_model.h"
#include "generated/rds_model.h"
#include "rdslocal/model.h"
#include "check.h"

/* The structure shape of element `member` (a list: its element) of shape s. */
static const api_shape *member_shape(const api_shape *s, const char *member)
{
    const api_member *m = s ? api_find_member(s, member) : NULL;
    if (!m)
        return NULL;
    return m->shape->type == AT_LIST ? m->shape->element : m->shape;
}

static const api_shape *output_member(const char *op, const char *member)
{
    const api_operation *o = api_find_operation(&rds_api, op);
    return o ? member_shape(o->output, member) : NULL;
}

/* wire "" = no member; "A.B" = member B of A's shape. */
static void check_wire(const api_shape *s, const char *wire)
{
    if (!wire[0])
        return;
    const char *dot = strchr(wire, '.');
    if (dot) {
        char head[64];
        snprintf(head, sizeof head, "%.*s", (int)(dot - wire), wire);
        const api_shape *inner = member_shape(s, head);
        if (!inner || !api_find_member(inner, dot + 1))
            fprintf(stderr, "%s: no member \"%s\"\n", s->name, wire);
        CHECK(inner && api_find_member(inner, dot + 1));
        return;
    }
    if (!api_find_member(s, wire))
        fprintf(stderr, "%s: no member \"%s\"\n", s->name, wire);
    CHECK(api_find_member(s, wire) != NULL);
}

static void test_api_model_def__db_instance(void)
{
    const api_shape *inst = output_member("DescribeDBInstances", "DBInstances");
    CHECK(inst != NULL);
    if (!inst)
        return;
    for (size_t i = 0; i < db_instance_field_count; i++)
        check_wire(inst, db_instance_fields[i].wire);
    const api_shape *pmv = member_shape(inst, "PendingModifiedValues");
    CHECK(pmv != NULL);
    for (size_t i = 0; pmv && i < DBI_P__COUNT; i++)
        check_wire(pmv, db_instance_pending[i].wire);
}

static void test_api_model_def__subnet_group_and_event(void)
{
    const api_shape *g = output_member("DescribeDBSubnetGroups", "DBSubnetGroups");
    const api_shape *ev = output_member("DescribeEvents", "Events");
    CHECK(g != NULL && ev != NULL);
    for (size_t i = 0; g && i < db_subnet_group_field_count; i++)
        check_wire(g, db_subnet_group_fields[i].wire);
    for (size_t i = 0; ev && i < rds_event_field_count; i++)
        check_wire(ev, rds_event_fields[i].wire);
}

/* automated backups (autobackup) */
static void test_api_model_def__automated_backup(void)
{
    const api_shape *b = output_member("DescribeDBInstanceAutomatedBackups", "DBInstanceAutomatedBackups");
    CHECK(b != NULL);
    for (size_t i = 0; b && i < db_automated_backup_field_count; i++)
        check_wire(b, db_automated_backup_fields[i].wire);
}

static const check_case cases[] = {
    TEST(test_api_model_def__db_instance),
    TEST(test_api_model_def__subnet_group_and_event),
    TEST(test_api_model_def__automated_backup),
};
CHECK_MAIN(cases, NULL, NULL)
