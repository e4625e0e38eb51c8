/* test_admin_faults.c: the fault-injection admin requests (server/admin_faults_req.c):
 * the strict JSON reader and the two request shapes, each refusal with the reason a
 * client sees. No engine, no sockets. */
#include "admin_faults_req.h"
#include "check.h"

static char msg[256];

static int parse(const char *body, bool experiment, admin_fault_req *r)
{
    return admin_fault_req_parse(body, strlen(body), experiment, r, msg, sizeof msg);
}

/* body must be refused with a message containing want. */
static void refused(const char *body, bool experiment, const char *want)
{
    admin_fault_req r;
    CHECK_INT(parse(body, experiment, &r), -1);
    CHECK_CONTAINS(msg, want);
    CHECK(r.strings == NULL);
}

static void test_admin_faults__single_fault(void)
{
    admin_fault_req r;
    CHECK_INT(parse("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"region\": \"eu-west-1\", "
                    "\"duration_ms\": 5000}", false, &r), 0);
    CHECK_INT(r.n, 1);
    CHECK(r.steps[0].kind == ENGINE_FAULT_HANG);
    CHECK_STR(r.steps[0].instance_id, "db1");
    CHECK_STR(r.steps[0].region, "eu-west-1");
    CHECK_INT(r.steps[0].duration_ms, 5000);
    CHECK_INT(r.steps[0].offset_ms, 0);
    admin_fault_req_free(&r);

    /* seconds, fractions, escapes, no region, whitespace */
    CHECK_INT(parse(" {\n\"DBInstanceIdentifier\":\"d\\u0062\\\"x\",\"kind\":\"storage-full\",\"duration_seconds\":1.5}\n",
                    false, &r), 0);
    CHECK(r.steps[0].kind == ENGINE_FAULT_STORAGE_FULL);
    CHECK_STR(r.steps[0].instance_id, "db\"x");
    CHECK(r.steps[0].region == NULL);
    CHECK_INT(r.steps[0].duration_ms, 1500);
    admin_fault_req_free(&r);

    /* no duration: -1, the kind's default (kills take none) */
    CHECK_INT(parse("{\"kind\": \"kill-primary\", \"DBInstanceIdentifier\": \"db1\", \"region\": null}", false, &r), 0);
    CHECK(r.steps[0].kind == ENGINE_FAULT_KILL_PRIMARY);
    CHECK_INT(r.steps[0].duration_ms, -1);
    admin_fault_req_free(&r);
}

static void test_admin_faults__every_kind_name(void)
{
    const char *names[] = { "kill-primary", "kill-standby", "hang", "storage-full", "cut-standby" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        engine_fault_kind k;
        CHECK(engine_fault_kind_parse(names[i], &k));
        CHECK_STR(engine_fault_kind_name(k), names[i]);
    }
    engine_fault_kind k;
    CHECK(!engine_fault_kind_parse("Hang", &k));
    CHECK(!engine_fault_kind_parse("", &k));
    CHECK(engine_fault_kind_name(ENGINE_FAULT__COUNT) == NULL);
}

static void test_admin_faults__bad_json(void)
{
    refused("", false, "needs a JSON body");
    refused("{", false, "bad JSON");
    refused("{\"kind\": \"hang\",}", false, "bad JSON: expected a member name");
    refused("{\"kind\" \"hang\"}", false, "expected ':'");
    refused("{\"kind\": \"hang\"} x", false, "trailing characters");
    refused("{\"kind\": \"ha\nng\"}", false, "control character");
    refused("{\"kind\": \"\\q\"}", false, "bad escape");
    refused("{\"kind\": \"\\u00e9\"}", false, "only ASCII");
    refused("{\"duration_ms\": 1e999}", false, "bad number");
    refused("{\"duration_ms\": tru}", false, "unexpected character");
    refused("[1, 2]", false, "must be a JSON object, not an array");
    refused("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", false, "nested too deeply");
}

static void test_admin_faults__bad_members(void)
{
    refused("{\"DBInstanceIdentifier\": \"db1\"}", false, "kind is required");
    refused("{\"kind\": \"reboot\", \"DBInstanceIdentifier\": \"db1\"}", false, "unknown fault kind \"reboot\"");
    refused("{\"kind\": 3, \"DBInstanceIdentifier\": \"db1\"}", false, "kind must be a string, not a number");
    refused("{\"kind\": \"hang\"}", false, "DBInstanceIdentifier is required");
    refused("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"\"}", false, "DBInstanceIdentifier is required");
    refused("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"duration\": 5}", false,
            "unknown member \"duration\"");
    refused("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"duration_ms\": \"5\"}", false,
            "duration_ms must be a number, not a string");
    refused("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"duration_ms\": -1}", false,
            "duration_ms must be a number from 0 up");
    refused("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"duration_ms\": 1, \"duration_seconds\": 1}",
            false, "not both");
    /* offsets belong to experiment steps only */
    refused("{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"offset_ms\": 1}", false,
            "offsets belong to experiments");
}

static void test_admin_faults__experiment(void)
{
    admin_fault_req r;
    CHECK_INT(parse("{\"faults\": [{\"kind\": \"kill-primary\", \"DBInstanceIdentifier\": \"db1\", \"offset_ms\": 2000},"
                    " {\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"offset_seconds\": 4, "
                    "\"duration_seconds\": 5}]}", true, &r), 0);
    CHECK_INT(r.n, 2);
    CHECK(r.steps[0].kind == ENGINE_FAULT_KILL_PRIMARY);
    CHECK_INT(r.steps[0].offset_ms, 2000);
    CHECK_INT(r.steps[0].duration_ms, -1);
    CHECK(r.steps[1].kind == ENGINE_FAULT_HANG);
    CHECK_INT(r.steps[1].offset_ms, 4000);
    CHECK_INT(r.steps[1].duration_ms, 5000);
    CHECK_STR(r.steps[1].instance_id, "db1");
    admin_fault_req_free(&r);

    refused("{}", true, "faults is required");
    refused("{\"faults\": {}}", true, "faults is required");
    refused("{\"faults\": []}", true, "faults is empty");
    refused("{\"steps\": []}", true, "unknown member \"steps\"");
    refused("{\"faults\": [{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\"}, 7]}", true,
            "a fault must be a JSON object, not a number (faults[1])");
    refused("{\"faults\": [{\"kind\": \"nap\", \"DBInstanceIdentifier\": \"db1\"}]}", true,
            "unknown fault kind \"nap\": use one of");
    refused("{\"faults\": [{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"db1\", \"offset_ms\": -5}]}", true,
            "offset_ms must be a number from 0 up (faults[0])");

    /* at most ENGINE_EXPERIMENT_MAX_STEPS steps */
    char big[8192] = "{\"faults\": [";
    for (int i = 0; i <= ENGINE_EXPERIMENT_MAX_STEPS; i++)
        strcat(big, i ? ", {\"kind\": \"hang\", \"DBInstanceIdentifier\": \"d\"}"
                      : "{\"kind\": \"hang\", \"DBInstanceIdentifier\": \"d\"}");
    strcat(big, "]}");
    refused(big, true, "at most 32 faults");
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        TEST(test_admin_faults__single_fault),
        TEST(test_admin_faults__every_kind_name),
        TEST(test_admin_faults__bad_json),
        TEST(test_admin_faults__bad_members),
        TEST(test_admin_faults__experiment),
    };
    return check_main(argc, argv, cases, sizeof cases / sizeof cases[0], NULL, NULL);
}
