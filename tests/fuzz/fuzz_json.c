/* fuzz_json.c: libFuzzer target for the JSON protocol front-end. Byte 0 picks an operation
 * of the KMS model, the rest is the request body: json_decode against the operation's
 * input shape; on success every decoded value is written back through the JSON encoder
 * (res_out), and the document must parse again (json_decode with no shape checks syntax
 * only); on failure the error must be one of the JSON protocol's and its error document
 * must parse too. Built by tests/fuzz/CMakeLists.txt (RDSLOCAL_FUZZ=ON) and, without
 * libFuzzer, by tests/CMakeLists.txt to replay tests/fuzz/corpus/json. */
#include "generated/kms_model.h"
#include "json.h"
#include "jsonout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_parse(const char *doc, size_t len, const char *what)
{
    arena *a = arena_new();
    param *p;
    rds_error err;
    rds_error_clear(&err);
    if (strlen(doc) != len || json_decode(&p, a, doc, len, NULL, &err) != 0) {
        fprintf(stderr, "%s: not well-formed JSON (%s):\n%s\n", what, err.message, doc);
        abort();
    }
    arena_free(a);
}

static void render(res_out *r, const param *p, int depth)
{
    if (!p || depth > 64)
        return;
    const api_shape *s = p->shape;
    switch (s->type) {
    case AT_STRUCTURE:
    case AT_MAP:
        res_struct(r, "S");
        for (size_t i = 0; i < p->n_items; i++) {
            if (p->map_keys && p->map_keys[i])
                res_str(r, "K", p->map_keys[i]->text);
            render(r, p->items[i], depth + 1);
        }
        res_close(r);
        break;
    case AT_LIST:
        res_list(r, "L");
        for (size_t i = 0; i < p->n_items; i++)
            render(r, p->items[i], depth + 1);
        res_close(r);
        break;
    case AT_BLOB:
        res_blob(r, "B", p->text, p->len);
        break;
    case AT_BOOLEAN:
        res_bool(r, "T", p->b);
        break;
    case AT_INTEGER:
    case AT_LONG:
        res_int(r, "I", p->i);
        break;
    case AT_DOUBLE:
        res_double(r, "D", p->d);
        break;
    case AT_TIMESTAMP:
        res_time(r, "M", p->i);
        break;
    default:
        res_str(r, "V", p->text);
        break;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const api_operation *op = &kms_api.ops[data[0] % kms_api.n_ops];
    arena *a = arena_new();
    param *p = NULL;
    rds_error err;
    rds_error_clear(&err);
    size_t len;
    char *doc;
    if (json_decode(&p, a, (const char *)data + 1, size - 1, op->input, &err) == 0) {
        if (!p)
            abort();
        json_out *j = json_begin();
        res_out r = json_res(j);
        res_list(&r, "Root");
        render(&r, p, 0);
        res_close(&r);
        doc = json_finish(j, &len);
    } else {
        if (err.code != RDS_E_JSON_SERIALIZATION_EXCEPTION && err.code != RDS_E_JSON_VALIDATION_EXCEPTION)
            abort(); /* failed without a JSON-protocol error */
        doc = json_error_doc(rds_error_code_str(err.code), err.message, &len);
    }
    must_parse(doc, len, op->name);
    free(doc);
    arena_free(a);
    return 0;
}
