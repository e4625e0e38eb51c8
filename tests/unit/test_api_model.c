/* test_api_model.c: the generated botocore RDS model (server/generated/rds_model.c) and
 * the lookups in server/api_model.c. */
#include "generated/rds_model.h"
#include "check.h"

static const api_shape *member_shape(const api_shape *s, const char *wire)
{
    const api_member *m = api_find_member(s, wire);
    return m ? m->shape : NULL;
}

static bool has_error(const api_operation *op, const char *code)
{
    for (const char *const *e = op->errors; e && *e; e++)
        if (strcmp(*e, code) == 0) return true;
    return false;
}

static bool has_enum(const api_shape *s, const char *v)
{
    for (size_t i = 0; i < s->n_enums; i++)
        if (strcmp(s->enums[i], v) == 0) return true;
    return false;
}

static void test_api_model__service(void)
{
    CHECK_STR(rds_api.name, "rds");
    CHECK_STR(rds_api.api_version, "2014-10-31");
    CHECK_STR(rds_api.xml_namespace, "http://rds.amazonaws.com/doc/2014-10-31/");
    /* the count comes from the installed botocore model (tests/CMakeLists.txt) */
    CHECK_INT(rds_api.n_ops, RDS_EXPECTED_OPS);
}

static void test_api_model__ops_sorted_and_findable(void)
{
    for (size_t i = 0; i < rds_api.n_ops; i++) {
        const api_operation *op = &rds_api.ops[i];
        CHECK(op->name != NULL);
        if (i > 0) CHECK(strcmp(rds_api.ops[i - 1].name, op->name) < 0);
        CHECK(api_find_operation(&rds_api, op->name) == op);
        CHECK(op->input != NULL); /* every RDS operation has an input shape */
        CHECK(op->errors != NULL);
        CHECK((op->output == NULL) == (op->result_wrapper == NULL));
    }
    CHECK(api_find_operation(&rds_api, "NoSuchAction") == NULL);
    CHECK(api_find_operation(&rds_api, "createDBInstance") == NULL);
    CHECK(api_find_operation(&rds_api, "CreateDBInstances") == NULL);
    CHECK(api_find_operation(&rds_api, "") == NULL);
    CHECK(api_find_operation(&rds_api, NULL) == NULL);
    CHECK(api_find_operation(&rds_api, "AddRoleToDBCluster") == &rds_api.ops[0]);
}

static void test_api_model__create_db_instance(void)
{
    const api_operation *op = api_find_operation(&rds_api, "CreateDBInstance");
    CHECK(op != NULL);
    if (!op) return;
    CHECK_STR(op->result_wrapper, "CreateDBInstanceResult");
    CHECK(op->input && op->input->type == AT_STRUCTURE);
    CHECK_STR(op->input->name, "CreateDBInstanceMessage");
    CHECK(has_error(op, "DBInstanceAlreadyExists"));

    const api_member *id = api_find_member(op->input, "DBInstanceIdentifier");
    CHECK(id != NULL);
    if (id) {
        CHECK(id->required);
        CHECK(id->shape->type == AT_STRING);
        CHECK_STR(api_member_wire_name(id), "DBInstanceIdentifier");
    }
    const api_member *az = api_find_member(op->input, "AvailabilityZone");
    CHECK(az && !az->required);

    const api_shape *vpc = member_shape(op->input, "VpcSecurityGroupIds");
    CHECK(vpc && vpc->type == AT_LIST);
    if (vpc) {
        CHECK_STR(vpc->element_name, "VpcSecurityGroupId");
        CHECK(!vpc->flattened);
        CHECK(vpc->element && vpc->element->type == AT_STRING);
    }

    const api_shape *tags = member_shape(op->input, "Tags");
    CHECK(tags && tags->type == AT_LIST);
    if (tags) {
        CHECK_STR(tags->element_name, "Tag");
        const api_shape *tag = tags->element;
        CHECK(tag && tag->type == AT_STRUCTURE);
        if (tag) {
            CHECK(member_shape(tag, "Key") && member_shape(tag, "Key")->type == AT_STRING);
            CHECK(member_shape(tag, "Value") && member_shape(tag, "Value")->type == AT_STRING);
        }
    }

    const api_shape *port = member_shape(op->input, "Port");
    CHECK(port && port->type == AT_INTEGER);
    const api_shape *multi = member_shape(op->input, "MultiAZ");
    CHECK(multi && multi->type == AT_BOOLEAN);
    CHECK(api_find_member(op->input, "NoSuchMember") == NULL);
    CHECK(api_find_member(op->input, "dbinstanceidentifier") == NULL);

    /* Output: CreateDBInstanceResult { DBInstance } */
    CHECK(op->output && op->output->type == AT_STRUCTURE);
    const api_shape *inst = op->output ? member_shape(op->output, "DBInstance") : NULL;
    CHECK(inst && inst->type == AT_STRUCTURE);
    CHECK(inst && member_shape(inst, "InstanceCreateTime") &&
          member_shape(inst, "InstanceCreateTime")->type == AT_TIMESTAMP);
    CHECK(inst && member_shape(inst, "AllocatedStorage") &&
          member_shape(inst, "AllocatedStorage")->type == AT_INTEGER);
}

static void test_api_model__describe_db_instances(void)
{
    const api_operation *op = api_find_operation(&rds_api, "DescribeDBInstances");
    CHECK(op != NULL);
    if (!op) return;
    CHECK_STR(op->result_wrapper, "DescribeDBInstancesResult");
    CHECK(has_error(op, "DBInstanceNotFound"));
    CHECK(!has_error(op, "DBInstanceNotFoundFault")); /* codes, not shape names */

    /* Model quirk: most Describe* take MaxRecords as plain IntegerOptional (the 20..100
     * range is only in the docs); a few newer ones use the ranged MaxRecords shape. */
    const api_shape *mr = member_shape(op->input, "MaxRecords");
    CHECK(mr && mr->type == AT_INTEGER);
    CHECK(mr && !mr->has_min && !mr->has_max);
    const api_operation *px = api_find_operation(&rds_api, "DescribeDBProxies");
    CHECK(px != NULL);
    mr = px ? member_shape(px->input, "MaxRecords") : NULL;
    CHECK(mr && mr->type == AT_INTEGER);
    if (mr) {
        CHECK_STR(mr->name, "MaxRecords");
        CHECK(mr->has_min && mr->min == 20);
        CHECK(mr->has_max && mr->max == 100);
    }
    const api_shape *filters = member_shape(op->input, "Filters");
    CHECK(filters && filters->type == AT_LIST);
    if (filters) {
        CHECK_STR(filters->element_name, "Filter");
        const api_shape *f = filters->element;
        CHECK(f && f->type == AT_STRUCTURE);
        const api_member *name = f ? api_find_member(f, "Name") : NULL;
        CHECK(name && name->required);
        const api_shape *values = f ? member_shape(f, "Values") : NULL;
        CHECK(values && values->type == AT_LIST);
        CHECK_STR(values ? values->element_name : NULL, "Value");
    }
}

static void test_api_model__no_output(void)
{
    const api_operation *op = api_find_operation(&rds_api, "AddTagsToResource");
    CHECK(op != NULL);
    if (!op) return;
    CHECK(op->output == NULL);
    CHECK(op->result_wrapper == NULL);
    const api_member *tags = api_find_member(op->input, "Tags");
    CHECK(tags && tags->required);
}

static void test_api_model__enums_patterns_maps(void)
{
    const api_operation *op = api_find_operation(&rds_api, "StartActivityStream");
    CHECK(op != NULL);
    if (!op) return;
    const api_member *mode = api_find_member(op->input, "Mode");
    CHECK(mode && mode->required);
    const api_shape *s = mode ? mode->shape : NULL;
    CHECK(s && s->type == AT_STRING);
    if (s) {
        CHECK_STR(s->name, "ActivityStreamMode");
        CHECK_INT(s->n_enums, 2);
        CHECK(has_enum(s, "sync"));
        CHECK(has_enum(s, "async"));
        CHECK(!has_enum(s, "SYNC"));
    }

    op = api_find_operation(&rds_api, "CreateBlueGreenDeployment");
    CHECK(op != NULL);
    const api_shape *cls = op ? member_shape(op->input, "TargetDBInstanceClass") : NULL;
    CHECK(cls && cls->type == AT_STRING);
    if (cls) {
        CHECK_STR(cls->pattern, "db\\.[0-9a-z]{2,6}\\.[0-9a-z]{4,9}");
        CHECK(cls->has_min && cls->min == 5);
        CHECK(cls->has_max && cls->max == 20);
    }

    op = api_find_operation(&rds_api, "CreateIntegration");
    CHECK(op != NULL);
    const api_shape *map = op ? member_shape(op->input, "AdditionalEncryptionContext") : NULL;
    CHECK(map && map->type == AT_MAP);
    if (map) {
        CHECK(map->map_key && map->map_key->type == AT_STRING);
        CHECK(map->map_value && map->map_value->type == AT_STRING);
    }
}

static void test_api_model__wire_names(void)
{
    api_shape str = { .name = "S", .type = AT_STRING };
    api_member members[] = {
        { "Plain", NULL, &str, false, NULL },
        { "Renamed", "OnTheWire", &str, true, NULL },
    };
    api_shape st = { .name = "T", .type = AT_STRUCTURE, .members = members, .n_members = 2 };
    CHECK_STR(api_member_wire_name(&members[0]), "Plain");
    CHECK_STR(api_member_wire_name(&members[1]), "OnTheWire");
    CHECK(api_find_member(&st, "Plain") == &members[0]);
    CHECK(api_find_member(&st, "OnTheWire") == &members[1]);
    CHECK(api_find_member(&st, "Renamed") == NULL); /* wire name only */
    CHECK(api_find_member(&str, "Plain") == NULL);  /* not a structure */
    CHECK(api_find_member(NULL, "Plain") == NULL);
    CHECK(api_find_member(&st, NULL) == NULL);
}

/* Walks every shape reachable from every operation and checks the data is consistent. */
#define MAX_SHAPES 4096
static const api_shape *seen_shapes[MAX_SHAPES];
static size_t n_seen;

static void walk(const api_shape *s)
{
    CHECK(s != NULL);
    if (!s) return;
    for (size_t i = 0; i < n_seen; i++)
        if (seen_shapes[i] == s) return;
    CHECK(n_seen < MAX_SHAPES);
    if (n_seen >= MAX_SHAPES) return;
    seen_shapes[n_seen++] = s;
    CHECK(s->name && s->name[0]);
    CHECK((s->n_enums == 0) == (s->enums == NULL));
    if (s->enums) CHECK(s->type == AT_STRING);
    if (s->has_min && s->has_max) CHECK(s->min <= s->max);
    switch (s->type) {
    case AT_STRUCTURE:
        CHECK((s->n_members == 0) == (s->members == NULL));
        for (size_t i = 0; i < s->n_members; i++) {
            const api_member *m = &s->members[i];
            CHECK(m->name && m->name[0]);
            CHECK(api_find_member(s, api_member_wire_name(m)) == m); /* wire names unique */
            walk(m->shape);
        }
        break;
    case AT_LIST:
        CHECK(s->element != NULL);
        CHECK(s->members == NULL && s->map_key == NULL);
        walk(s->element);
        break;
    case AT_MAP:
        CHECK(s->map_key && s->map_value);
        walk(s->map_key);
        walk(s->map_value);
        break;
    default:
        CHECK(s->members == NULL && s->element == NULL && s->map_key == NULL);
        break;
    }
}

static void test_api_model__all_shapes_consistent(void)
{
    n_seen = 0;
    size_t n_errors = 0;
    for (size_t i = 0; i < rds_api.n_ops; i++) {
        const api_operation *op = &rds_api.ops[i];
        walk(op->input);
        if (op->output) walk(op->output);
        for (const char *const *e = op->errors; *e; e++) {
            CHECK((*e)[0] != '\0');
            n_errors++;
        }
    }
    CHECK(n_seen > 500);
    CHECK(n_errors > 500);
}

static const check_case cases[] = {
    TEST(test_api_model__service),
    TEST(test_api_model__ops_sorted_and_findable),
    TEST(test_api_model__create_db_instance),
    TEST(test_api_model__describe_db_instances),
    TEST(test_api_model__no_output),
    TEST(test_api_model__enums_patterns_maps),
    TEST(test_api_model__wire_names),
    TEST(test_api_model__all_shapes_consistent),
};
CHECK_MAIN(cases, NULL, NULL)
