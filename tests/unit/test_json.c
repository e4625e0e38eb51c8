/* test_json.c: the JSON protocol front-end: request bodies shaped as botocore's
 * JSONSerializer writes them (json.dumps: ", " and ": " separators) decoded against the
 * generated KMS model into the neutral param tree, with AWS's error for each kind of bad
 * input; and the encoder: a result written through res_out and an error document. */
#include "check.h"
#include "generated/kms_model.h"
#include "json.h"
#include "jsonout.h"
#include "proto.h"

static arena *A;

static void setup(void)
{
    A = arena_new();
}

static void cleanup(void)
{
    arena_free(A);
    A = NULL;
}

static int decode(param **p, const char *op, const char *body, rds_error *err)
{
    const api_operation *o = api_find_operation(&kms_api, op);
    CHECK(o != NULL);
    rds_error_clear(err);
    return json_decode(p, A, body, strlen(body), o ? o->input : NULL, err);
}

static void test_json__service_model(void)
{
    CHECK_STR(kms_api.name, "kms");
    CHECK_STR(kms_api.target_prefix, "TrentService");
    CHECK_STR(kms_api.json_version, "1.1");
    CHECK(kms_api.protocol == AP_JSON);
    CHECK(kms_api.xml_namespace == NULL);
    CHECK(api_find_operation(&kms_api, "CreateKey") != NULL);
    CHECK_STR(KMS_M_KeyId, "KeyId"); /* a misspelt KMS_M_ name would not compile */
    CHECK(strlen(KMS_MODEL_BOTOCORE_VERSION) > 0);
}

static void test_json__scalars_lists_and_nested_structures(void)
{
    param *p;
    rds_error err;
    CHECK(decode(&p, "CreateKey",
                 "{\"Description\": \"k\\u00e9y \\\"one\\\"\", \"KeyUsage\": \"ENCRYPT_DECRYPT\", "
                 "\"BypassPolicyLockoutSafetyCheck\": false, \"MultiRegion\": true, "
                 "\"Tags\": [{\"TagKey\": \"env\", \"TagValue\": \"dev\"}, {\"TagKey\": \"t\", \"TagValue\": \"\"}]}",
                 &err) == 0);
    CHECK_STR(param_str(p, KMS_M_Description), "k\xC3\xA9y \"one\"");
    CHECK_STR(param_str(p, KMS_M_KeyUsage), "ENCRYPT_DECRYPT");
    bool b = true;
    CHECK(param_bool(p, KMS_M_BypassPolicyLockoutSafetyCheck, &b) && !b);
    CHECK(param_bool(p, KMS_M_MultiRegion, &b) && b);
    CHECK(param_get(p, KMS_M_Policy) == NULL);
    const param *tags = param_get(p, KMS_M_Tags);
    CHECK(tags && tags->n_items == 2);
    if (tags && tags->n_items == 2) {
        CHECK_STR(param_str(tags->items[0], KMS_M_TagKey), "env");
        CHECK_STR(param_str(tags->items[0], KMS_M_TagValue), "dev");
        CHECK_STR(param_str(tags->items[1], KMS_M_TagValue), "");
    }
}

static void test_json__blobs_maps_numbers(void)
{
    param *p;
    rds_error err;
    CHECK(decode(&p, "Encrypt",
                 "{\"KeyId\": \"alias/app\", \"Plaintext\": \"aGVsbG8Ad29ybGQ=\", "
                 "\"EncryptionContext\": {\"purpose\": \"test\", \"b\": \"2\"}, \"GrantTokens\": [], "
                 "\"UnknownMember\": {\"x\": [1, 2.5e3, null, true]}}",
                 &err) == 0);
    const param *pt = param_get(p, KMS_M_Plaintext);
    CHECK(pt && pt->len == 11 && memcmp(pt->text, "hello\0world", 11) == 0);
    const param *ctx = param_get(p, KMS_M_EncryptionContext);
    CHECK(ctx && ctx->n_items == 2);
    if (ctx && ctx->n_items == 2) {
        CHECK_STR(ctx->map_keys[0]->text, "purpose");
        CHECK_STR(ctx->items[0]->text, "test");
        CHECK_STR(ctx->map_keys[1]->text, "b");
    }
    const param *gt = param_get(p, KMS_M_GrantTokens);
    CHECK(gt && gt->n_items == 0);

    int64_t v = 0;
    CHECK(decode(&p, "GenerateDataKey", "{\"KeyId\": \"k\", \"NumberOfBytes\": 32, \"DryRun\": null}", &err) == 0);
    CHECK(param_int(p, KMS_M_NumberOfBytes, &v) && v == 32);
    CHECK(param_get(p, KMS_M_DryRun) == NULL); /* null is absent */
    CHECK(decode(&p, "ListKeys", "", &err) == 0); /* an empty body is {} */
    CHECK(decode(&p, "ListKeys", " {} ", &err) == 0);
}

/* Lists and maps past the decoder's first allocation (4) keep every item, in order. */
static void test_json__grows_lists_and_maps(void)
{
    char body[1024];
    int n = snprintf(body, sizeof body, "{\"KeyId\": \"k\", \"Plaintext\": \"aGk=\", \"GrantTokens\": [");
    for (int i = 1; i <= 9; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, "%s\"g%d\"", i > 1 ? "," : "", i);
    n += snprintf(body + n, sizeof body - (size_t)n, "], \"EncryptionContext\": {");
    for (int i = 1; i <= 9; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, "%s\"k%d\": \"v%d\"", i > 1 ? "," : "", i, i);
    snprintf(body + n, sizeof body - (size_t)n, "}}");
    param *p;
    rds_error err;
    CHECK(decode(&p, "Encrypt", body, &err) == 0);
    const param *gt = param_get(p, KMS_M_GrantTokens), *ctx = param_get(p, KMS_M_EncryptionContext);
    CHECK(gt && gt->n_items == 9 && ctx && ctx->n_items == 9);
    for (size_t i = 0; gt && ctx && i < 9 && i < gt->n_items && i < ctx->n_items; i++) {
        char g[8], k[8], v[8];
        snprintf(g, sizeof g, "g%zu", i + 1);
        snprintf(k, sizeof k, "k%zu", i + 1);
        snprintf(v, sizeof v, "v%zu", i + 1);
        CHECK_STR(gt->items[i]->text, g);
        CHECK_STR(ctx->map_keys[i]->text, k);
        CHECK_STR(ctx->items[i]->text, v);
    }
}

static void test_json__missing_required_member(void)
{
    param *p;
    rds_error err;
    CHECK_ERR(decode(&p, "Encrypt", "{\"Plaintext\": \"aGk=\"}", &err), &err, RDS_E_JSON_VALIDATION_EXCEPTION);
    CHECK_STR(err.message, "1 validation error detected: Value null at 'keyId' failed to satisfy "
                           "constraint: Member must not be null");
    CHECK_ERR(decode(&p, "CreateKey", "{\"Tags\": [{\"TagKey\": \"a\"}]}", &err), &err,
              RDS_E_JSON_VALIDATION_EXCEPTION);
    CHECK_CONTAINS(err.message, "at 'tags.1.tagValue'");
    CHECK_STR(rds_error_code_str(err.code), "ValidationException");
    CHECK_INT(rds_error_http_status(err.code), 400);
}

static void test_json__constraints(void)
{
    param *p;
    rds_error err;
    CHECK_ERR(decode(&p, "CreateKey", "{\"KeyUsage\": \"NOPE\"}", &err), &err, RDS_E_JSON_VALIDATION_EXCEPTION);
    CHECK_CONTAINS(err.message, "Value 'NOPE' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [");
    CHECK_ERR(decode(&p, "ListKeys", "{\"Limit\": 0}", &err), &err, RDS_E_JSON_VALIDATION_EXCEPTION);
    CHECK_CONTAINS(err.message, "Member must have value greater than or equal to 1");
    CHECK_ERR(decode(&p, "ListKeys", "{\"Limit\": 1001}", &err), &err, RDS_E_JSON_VALIDATION_EXCEPTION);
    CHECK_ERR(decode(&p, "Encrypt", "{\"KeyId\": \"\", \"Plaintext\": \"aGk=\"}", &err), &err,
              RDS_E_JSON_VALIDATION_EXCEPTION);
    CHECK_CONTAINS(err.message, "Member must have length greater than or equal to 1");
    CHECK_ERR(decode(&p, "Encrypt", "{\"KeyId\": \"k\", \"Plaintext\": \"\"}", &err), &err,
              RDS_E_JSON_VALIDATION_EXCEPTION); /* a blob of 0 bytes: below min 1 */
}

static void test_json__wrong_types(void)
{
    param *p;
    rds_error err;
    static const char *const bad[][2] = {
        { "ListKeys", "{\"Limit\": \"10\"}" },          /* string for an integer */
        { "ListKeys", "{\"Limit\": 1.5}" },             /* fraction for an integer */
        { "ListKeys", "{\"Limit\": 99999999999}" },     /* beyond a 32-bit integer */
        { "ListKeys", "{\"Marker\": 5}" },              /* number for a string */
        { "CreateKey", "{\"MultiRegion\": \"true\"}" }, /* string for a boolean */
        { "CreateKey", "{\"Tags\": {}}" },              /* object for a list */
        { "CreateKey", "{\"Tags\": [\"x\"]}" },         /* string for a structure */
        { "Encrypt", "{\"KeyId\": \"k\", \"Plaintext\": \"!!!\"}" }, /* not base64 */
        { "Encrypt", "{\"KeyId\": \"k\", \"Plaintext\": \"aGk=\", \"EncryptionContext\": []}" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = decode(&p, bad[i][0], bad[i][1], &err);
        if (rc != -1 || err.code != RDS_E_JSON_SERIALIZATION_EXCEPTION)
            fprintf(stderr, "input %zu: %s\n", i, bad[i][1]);
        CHECK_ERR(rc, &err, RDS_E_JSON_SERIALIZATION_EXCEPTION);
    }
}

static void test_json__malformed(void)
{
    param *p;
    rds_error err;
    static const char *const bad[] = {
        "{", "}", "[]", "\"x\"", "{\"KeyId\"}", "{\"KeyId\": }", "{\"Limit\": 1,}", "{} {}",
        "{\"Marker\": \"abc}", "{\"Marker\": \"\\q\"}", "{\"Marker\": \"\\ud800\"}", "{\"Limit\": 01}",
        "{\"Marker\": \"a\x01\"}", "{'Marker': 'x'}", "{\"Limit\": -}", "nul",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = decode(&p, "ListKeys", bad[i], &err);
        if (rc != -1 || err.code != RDS_E_JSON_SERIALIZATION_EXCEPTION)
            fprintf(stderr, "input %zu: %s\n", i, bad[i]);
        CHECK_ERR(rc, &err, RDS_E_JSON_SERIALIZATION_EXCEPTION);
    }
    CHECK_STR(rds_error_code_str(RDS_E_JSON_SERIALIZATION_EXCEPTION), "SerializationException");
    /* nesting is bounded */
    char deep[200];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"X\": ");
    while (k < 150)
        deep[k++] = '[';
    deep[k] = '\0';
    CHECK_ERR(decode(&p, "ListKeys", deep, &err), &err, RDS_E_JSON_SERIALIZATION_EXCEPTION);
}

static void test_json__encode_result(void)
{
    json_out *j = json_begin();
    res_out r = json_res(j);
    res_struct(&r, "KeyMetadata");
    res_str(&r, "KeyId", "1234abcd");
    res_time(&r, "CreationDate", 1700000000123LL);
    res_time(&r, "ValidTo", 1700000000000LL);
    res_bool(&r, "Enabled", true);
    res_str(&r, "Description", "a \"quoted\"\nline\x01");
    res_str(&r, "Skipped", NULL);
    res_list(&r, "EncryptionAlgorithms");
    res_str(&r, "member", "SYMMETRIC_DEFAULT");
    res_str(&r, "member", "RSAES_OAEP_SHA_256");
    res_close(&r);
    res_list(&r, "SigningAlgorithms");
    res_close(&r);
    res_int(&r, "PendingDeletionWindowInDays", -7);
    res_double(&r, "Ratio", 0.5);
    res_close(&r);
    res_blob(&r, "CiphertextBlob", "hello\0world", 11);
    size_t len;
    char *doc = json_finish(j, &len);
    CHECK_STR(doc, "{\"KeyMetadata\":{\"KeyId\":\"1234abcd\",\"CreationDate\":1700000000.123,"
                   "\"ValidTo\":1700000000,\"Enabled\":true,"
                   "\"Description\":\"a \\\"quoted\\\"\\nline\\u0001\","
                   "\"EncryptionAlgorithms\":[\"SYMMETRIC_DEFAULT\",\"RSAES_OAEP_SHA_256\"],"
                   "\"SigningAlgorithms\":[],\"PendingDeletionWindowInDays\":-7,\"Ratio\":0.5},"
                   "\"CiphertextBlob\":\"aGVsbG8Ad29ybGQ=\"}");
    CHECK_INT(len, strlen(doc));
    free(doc);

    /* an empty result and a result with an invalid UTF-8 byte */
    j = json_begin();
    doc = json_finish(j, &len);
    CHECK_STR(doc, "{}");
    free(doc);
    j = json_begin();
    r = json_res(j);
    res_str(&r, "S", "a\xFF" "b");
    doc = json_finish(j, &len);
    CHECK_STR(doc, "{\"S\":\"a\xEF\xBF\xBD" "b\"}");
    free(doc);
}

static void test_json__encode_error(void)
{
    size_t len;
    char *doc = json_error_doc("NotFoundException", "Key 'x' does not exist", &len);
    CHECK_STR(doc, "{\"__type\":\"NotFoundException\",\"message\":\"Key 'x' does not exist\"}");
    free(doc);
    const proto_frontend *fe = proto_frontend_for(AP_JSON);
    CHECK(fe != NULL);
    if (!fe)
        return;
    rds_error err;
    rds_fail(&err, RDS_E_KMS_NOT_FOUND_EXCEPTION, "Invalid keyId x");
    doc = fe->error(&kms_api, &err, "rid", &len);
    CHECK_STR(doc, "{\"__type\":\"NotFoundException\",\"message\":\"Invalid keyId x\"}");
    free(doc);
    CHECK_STR(fe->content_type(&kms_api), "application/x-amz-json-1.1");
    /* the shared SigV4 layer's errors, in the JSON services' words */
    CHECK(fe->common_error(RDS_E_SIGNATURE_DOES_NOT_MATCH) == RDS_E_JSON_INVALID_SIGNATURE_EXCEPTION);
    CHECK(fe->common_error(RDS_E_MISSING_AUTHENTICATION_TOKEN) == RDS_E_JSON_MISSING_AUTHENTICATION_TOKEN_EXCEPTION);
    CHECK(fe->common_error(RDS_E_KMS_NOT_FOUND_EXCEPTION) == RDS_E_KMS_NOT_FOUND_EXCEPTION);
    CHECK(proto_frontend_for(AP_QUERY)->common_error(RDS_E_SIGNATURE_DOES_NOT_MATCH) ==
          RDS_E_SIGNATURE_DOES_NOT_MATCH);
    CHECK(proto_frontend_for(AP_QUERY) != NULL);
    CHECK(proto_frontend_for(AP_EC2) != NULL);
    CHECK(proto_frontend_for(AP_RPC_V2_CBOR) == NULL);
}

static void test_json__frontend_round_trip(void)
{
    /* decode -> a handler-like writer -> encode, through the json row only */
    const proto_frontend *fe = proto_frontend_for(AP_JSON);
    const api_operation *op = api_find_operation(&kms_api, "ListKeys");
    CHECK(fe && op);
    if (!fe || !op)
        return;
    static const char body[] = "{\"Limit\": 2}";
    proto_input in = { .f = NULL, .body = body, .body_len = sizeof body - 1 };
    param *p;
    rds_error err;
    rds_error_clear(&err);
    CHECK(fe->decode(&p, A, &in, op->input, &err) == 0);
    int64_t limit = 0;
    CHECK(param_int(p, KMS_M_Limit, &limit) && limit == 2);
    res_out r = fe->begin(&kms_api, op, "rid");
    res_list(&r, "Keys");
    for (int64_t i = 0; i < limit; i++) {
        res_struct(&r, "member");
        res_str(&r, "KeyId", i ? "k2" : "k1");
        res_close(&r);
    }
    res_close(&r);
    res_bool(&r, "Truncated", false);
    size_t len;
    char *doc = fe->finish(&r, "rid", &len);
    CHECK_STR(doc, "{\"Keys\":[{\"KeyId\":\"k1\"},{\"KeyId\":\"k2\"}],\"Truncated\":false}");
    free(doc);
}

static const check_case cases[] = {
    TEST(test_json__service_model),
    TEST(test_json__scalars_lists_and_nested_structures),
    TEST(test_json__blobs_maps_numbers),
    TEST(test_json__grows_lists_and_maps),
    TEST(test_json__missing_required_member),
    TEST(test_json__constraints),
    TEST(test_json__wrong_types),
    TEST(test_json__malformed),
    TEST(test_json__encode_result),
    TEST(test_json__encode_error),
    TEST(test_json__frontend_round_trip),
};
CHECK_MAIN(cases, setup, cleanup)
