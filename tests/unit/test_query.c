/* test_query.c: the AWS Query input decoder (server/query.c): form parsing (percent
 * escapes, '+', bad escapes, UTF-8, duplicates, empty input) and the shape-driven
 * parameter decoder, run against the real generated botocore model (rds_api). */
#include "query.h"
#include "generated/rds_model.h"
#include "check.h"

static arena *A;

static void setup(void) { A = arena_new(); }
static void cleanup(void) { arena_free(A); A = NULL; }

/* Parses s (strlen) and fails the case if it does not parse. */
static form parse_ok(const char *s)
{
    form f = { NULL, 0 };
    rds_error err;
    rds_error_clear(&err);
    int rc = query_form_parse(&f, A, s, strlen(s), &err);
    if (rc != 0)
        fprintf(stderr, "parse of \"%s\" failed: %s %s\n", s, rds_error_code_str(err.code), err.message);
    CHECK(rc == 0);
    return f;
}

static const api_shape *input_of(const char *op)
{
    const api_operation *o = api_find_operation(&rds_api, op);
    CHECK(o != NULL);
    return o ? o->input : NULL;
}

/* Decodes body against op's input; *rc and *err for the caller. */
static param *decode(const char *op, const char *body, int *rc, rds_error *err)
{
    form f = parse_ok(body);
    param *p = NULL;
    rds_error_clear(err);
    *rc = query_decode(&p, A, &f, input_of(op), err);
    return p;
}

static param *decode_ok(const char *op, const char *body)
{
    int rc;
    rds_error err;
    param *p = decode(op, body, &rc, &err);
    if (rc != 0)
        fprintf(stderr, "decode %s failed: %s %s\n", op, rds_error_code_str(err.code), err.message);
    CHECK(rc == 0);
    CHECK(p != NULL);
    return p;
}

static const char CREATE_MIN[] =
    "DBInstanceIdentifier=db1&DBInstanceClass=db.t3.micro&Engine=postgres";

/* ---- form parsing ---- */

static void test_query__form_basic(void)
{
    form f = parse_ok("Action=DescribeDBInstances&Version=2014-10-31&b=x%20y&c=p+q&d=%2B");
    CHECK_INT(f.n, 5);
    CHECK_STR(query_form_get(&f, "Action"), "DescribeDBInstances");
    CHECK_STR(query_form_get(&f, "Version"), "2014-10-31");
    CHECK_STR(query_form_get(&f, "b"), "x y");
    CHECK_STR(query_form_get(&f, "c"), "p q");
    CHECK_STR(query_form_get(&f, "d"), "+");   /* an escaped '+' stays a plus */
    CHECK_STR(query_form_get(&f, "missing"), NULL);
    for (size_t i = 1; i < f.n; i++)
        CHECK(strcmp(f.pairs[i - 1].key, f.pairs[i].key) < 0);
}

static void test_query__form_escapes_in_keys_and_case(void)
{
    form f = parse_ok("Tags.Tag.1%2EKey=k&%41ction=x&v=%c3%a9%C3%A9&w=%7e~");
    CHECK_STR(query_form_get(&f, "Tags.Tag.1.Key"), "k");
    CHECK_STR(query_form_get(&f, "Action"), "x");
    CHECK_STR(query_form_get(&f, "v"), "\xc3\xa9\xc3\xa9");
    CHECK_STR(query_form_get(&f, "w"), "~~");
}

static void test_query__form_empty_and_degenerate(void)
{
    form f = parse_ok("");
    CHECK_INT(f.n, 0);
    CHECK_STR(query_form_get(&f, "Action"), NULL);
    f = parse_ok("&&&");
    CHECK_INT(f.n, 0);
    f = parse_ok("a&b=&=c&&d==e");
    CHECK_STR(query_form_get(&f, "a"), "");   /* no '=': empty value */
    CHECK_STR(query_form_get(&f, "b"), "");
    CHECK_STR(query_form_get(&f, ""), "c");
    CHECK_STR(query_form_get(&f, "d"), "=e"); /* only the first '=' splits */
    /* parsing uses the length, not the NUL: a trailing part beyond len is ignored */
    form g = { NULL, 0 };
    rds_error err;
    CHECK(query_form_parse(&g, A, "a=1&b=2", 3, &err) == 0);
    CHECK_INT(g.n, 1);
    CHECK_STR(query_form_get(&g, "a"), "1");
    CHECK_STR(query_form_get(&g, "b"), NULL);
}

/* Each body of bad[] is refused by query_form_parse with code. */
static void check_form_refused(const char *const *bad, size_t n, rds_errcode code)
{
    for (size_t i = 0; i < n; i++) {
        form f;
        rds_error err;
        rds_error_clear(&err);
        int rc = query_form_parse(&f, A, bad[i], strlen(bad[i]), &err);
        CHECK_ERR(rc, &err, code);
        if (rc == 0)
            fprintf(stderr, "accepted: %s\n", bad[i]);
    }
}

static void test_query__form_bad_escapes(void)
{
    static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "%=1",
                                       "%x1=1", "a=1&b=%", "a=%%41", "a=x%2" };
    check_form_refused(bad, sizeof bad / sizeof bad[0], RDS_E_MALFORMED_QUERY_STRING);
    /* a valid escape right at the end of the body */
    form f = parse_ok("a=%41");
    CHECK_STR(query_form_get(&f, "a"), "A");
}

static void test_query__form_invalid_utf8(void)
{
    static const char *const bad[] = {
        "a=%FF",                /* never valid */
        "a=%C3",                /* truncated 2-byte */
        "a=%E2%82",             /* truncated 3-byte */
        "a=%C0%AF",             /* overlong '/' */
        "a=%E0%80%AF",          /* overlong, 3 bytes */
        "a=%ED%A0%80",          /* UTF-16 surrogate */
        "a=%F4%90%80%80",       /* beyond U+10FFFF */
        "a=%80",                /* lone continuation byte */
        "%FF=1",                /* in a key */
        "a=\xff",               /* raw, not escaped */
    };
    check_form_refused(bad, sizeof bad / sizeof bad[0], RDS_E_INVALID_PARAMETER_VALUE);
    form f = parse_ok("a=%F0%9F%98%80&b=%E2%82%AC&c=%F4%8F%BF%BF");
    CHECK_STR(query_form_get(&f, "a"), "\xf0\x9f\x98\x80");
    CHECK_STR(query_form_get(&f, "b"), "\xe2\x82\xac");
    CHECK_STR(query_form_get(&f, "c"), "\xf4\x8f\xbf\xbf");
}

static void test_query__form_nul_is_refused_issue_7(void)
{
    /* issue 7: a NUL (escaped or raw) would cut the value as a C string; refused, never cut */
    static const char body_raw[] = "a=x\0y";
    static const char *const bad[] = { "a=x%00y", "b%00c=1", "Action=DescribeDBInstances%00Junk", "a=%00" };
    check_form_refused(bad, sizeof bad / sizeof bad[0], RDS_E_INVALID_PARAMETER_VALUE);
    form f;
    rds_error err;
    rds_error_clear(&err);
    CHECK_ERR(query_form_parse(&f, A, body_raw, sizeof body_raw - 1, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

/* query.h: "Duplicate keys: the first wins". Many distinct keys around the duplicates
 * make an unstable sort reorder equal keys if it is going to. */
static void test_query__form_duplicates_first_wins(void)
{
    form f = parse_ok("a=1&a=2");
    CHECK_INT(f.n, 1);
    CHECK_STR(query_form_get(&f, "a"), "1");

    strbuf b;
    strbuf_init(&b);
    for (int round = 0; round < 5; round++)
        for (int k = 0; k < 40; k++)
            strbuf_printf(&b, "%sk%02d=v%d", b.len ? "&" : "", (k * 7 + round) % 40, round);
    f = parse_ok(b.data);
    CHECK_INT(f.n, 40);
    /* round 0 wrote every key first, with value v0 */
    int wrong = 0;
    for (size_t i = 0; i < f.n; i++)
        wrong += strcmp(f.pairs[i].value, "v0") != 0;
    CHECK_INT(wrong, 0);
    strbuf_free(&b);
}

/* ---- shape-driven decoding ---- */

static void test_query__decode_create_minimal(void)
{
    param *p = decode_ok("CreateDBInstance", CREATE_MIN);
    CHECK_STR(param_str(p, "DBInstanceIdentifier"), "db1");
    CHECK_STR(param_str(p, "DBInstanceClass"), "db.t3.micro");
    CHECK_STR(param_str(p, "Engine"), "postgres");
    CHECK_STR(param_str(p, "DBName"), NULL);
    CHECK(param_get(p, "Tags") == NULL);
#ifdef NDEBUG /* with asserts, a name that is not a member is a programming error */
    CHECK(param_get(p, "NoSuchMember") == NULL);
#endif
    int64_t v = 42;
    CHECK(!param_int(p, "AllocatedStorage", &v));
    CHECK_INT(v, 42);
    bool b = true;
    CHECK(!param_bool(p, "MultiAZ", &b));
    /* accessors tolerate NULL */
    CHECK(param_get(NULL, "x") == NULL);
    CHECK_STR(param_str(NULL, "x"), NULL);
}

static void test_query__decode_create_scalars(void)
{
    char body[512];
    snprintf(body, sizeof body,
             "%s&AllocatedStorage=20&MultiAZ=true&PubliclyAccessible=FALSE&Port=5433"
             "&DatabaseInsightsMode=advanced&DBName=app&Action=CreateDBInstance&Unknown.X=1",
             CREATE_MIN);
    param *p = decode_ok("CreateDBInstance", body);
    int64_t v = 0;
    CHECK(param_int(p, "AllocatedStorage", &v));
    CHECK_INT(v, 20);
    CHECK(param_int(p, "Port", &v));
    CHECK_INT(v, 5433);
    bool b = false;
    CHECK(param_bool(p, "MultiAZ", &b));
    CHECK(b);
    CHECK(param_bool(p, "PubliclyAccessible", &b));
    CHECK(!b);
    CHECK_STR(param_str(p, "DatabaseInsightsMode"), "advanced");
    CHECK_STR(param_str(p, "DBName"), "app");
    CHECK_STR(param_str(p, "AllocatedStorage"), "20"); /* raw text kept */
}

static void test_query__decode_tags(void)
{
    char body[512];
    snprintf(body, sizeof body,
             "%s&Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev&Tags.Tag.2.Key=team"
             "&Tags.Tag.2.Value=&Tags.Tag.3.Key=solo",
             CREATE_MIN);
    param *p = decode_ok("CreateDBInstance", body);
    const param *t = param_get(p, "Tags");
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_INT(t->n_items, 3);
    if (t->n_items != 3)
        return;
    CHECK_STR(param_str(t->items[0], "Key"), "env");
    CHECK_STR(param_str(t->items[0], "Value"), "dev");
    CHECK_STR(param_str(t->items[1], "Key"), "team");
    CHECK_STR(param_str(t->items[1], "Value"), "");
    CHECK_STR(param_str(t->items[2], "Key"), "solo");
    CHECK_STR(param_str(t->items[2], "Value"), NULL);
}

static void test_query__decode_vpc_security_group_ids(void)
{
    char body[512];
    snprintf(body, sizeof body,
             "%s&VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1&VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2",
             CREATE_MIN);
    param *p = decode_ok("CreateDBInstance", body);
    const param *l = param_get(p, "VpcSecurityGroupIds");
    CHECK(l != NULL);
    if (!l)
        return;
    CHECK_INT(l->n_items, 2);
    if (l->n_items == 2) {
        CHECK_STR(l->items[0]->text, "sg-1");
        CHECK_STR(l->items[1]->text, "sg-2");
    }
    /* the generic ".member.N" spelling is not this list's wire form */
    snprintf(body, sizeof body, "%s&VpcSecurityGroupIds.member.1=sg-1", CREATE_MIN);
    p = decode_ok("CreateDBInstance", body);
    l = param_get(p, "VpcSecurityGroupIds");
    CHECK(l != NULL && l->n_items == 0);
}

static void test_query__decode_empty_list(void)
{
    /* botocore sends an empty list as the bare name with an empty value */
    char body[256];
    snprintf(body, sizeof body, "%s&VpcSecurityGroupIds=", CREATE_MIN);
    param *p = decode_ok("CreateDBInstance", body);
    const param *l = param_get(p, "VpcSecurityGroupIds");
    CHECK(l != NULL);
    if (l)
        CHECK_INT(l->n_items, 0);
}

static void test_query__decode_filters(void)
{
    param *p = decode_ok("DescribeDBInstances",
                         "Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres"
                         "&Filters.Filter.1.Values.Value.2=mysql"
                         "&Filters.Filter.2.Name=db-instance-id&Filters.Filter.2.Values.Value.1=db1"
                         "&MaxRecords=20&Marker=abc");
    const param *fl = param_get(p, "Filters");
    CHECK(fl != NULL);
    if (!fl)
        return;
    CHECK_INT(fl->n_items, 2);
    if (fl->n_items != 2)
        return;
    CHECK_STR(param_str(fl->items[0], "Name"), "engine");
    const param *v = param_get(fl->items[0], "Values");
    CHECK(v && v->n_items == 2);
    if (v && v->n_items == 2) {
        CHECK_STR(v->items[0]->text, "postgres");
        CHECK_STR(v->items[1]->text, "mysql");
    }
    CHECK_STR(param_str(fl->items[1], "Name"), "db-instance-id");
    v = param_get(fl->items[1], "Values");
    CHECK(v && v->n_items == 1);
    int64_t mr = 0;
    CHECK(param_int(p, "MaxRecords", &mr));
    CHECK_INT(mr, 20);
    CHECK_STR(param_str(p, "Marker"), "abc");
}

static void test_query__decode_filter_missing_values(void)
{
    /* Filter.Name and Filter.Values are both required in the model */
    int rc;
    rds_error err;
    decode("DescribeDBInstances", "Filters.Filter.1.Name=engine", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_MISSING_PARAMETER);
    CHECK_STR(err.message, "The request must contain the parameter Values");
    decode("DescribeDBInstances", "Filters.Filter.1.Values.Value.1=x", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_MISSING_PARAMETER);
    CHECK_STR(err.message, "The request must contain the parameter Name");
}

static void test_query__decode_missing_required(void)
{
    int rc;
    rds_error err;
    decode("CreateDBInstance", "", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_MISSING_PARAMETER);
    CHECK_STR(err.message, "The request must contain the parameter DBInstanceIdentifier");
    decode("CreateDBInstance", "DBInstanceIdentifier=db1&Engine=postgres", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_MISSING_PARAMETER);
    CHECK_STR(err.message, "The request must contain the parameter DBInstanceClass");
    decode("CreateDBInstance", "DBInstanceIdentifier=db1&DBInstanceClass=db.t3.micro", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_MISSING_PARAMETER);
    CHECK_STR(err.message, "The request must contain the parameter Engine");
    /* an empty value counts as present (the handler or rules decide) */
    decode("CreateDBInstance", "DBInstanceIdentifier=&DBInstanceClass=&Engine=", &rc, &err);
    CHECK_INT(rc, 0);
    /* DescribeDBInstances has no required members */
    param *p = decode_ok("DescribeDBInstances", "");
    CHECK(p != NULL && p->n_items == 4);
}

static void test_query__decode_bad_integer(void)
{
    /* not checked here: " 20" (from "+20" on the wire) is accepted as 20 by strtoll's
     * whitespace skipping; see the report of this suite */
    static const char *const bad[] = { "abc", "20x", "", "1.5", "0x14", "2147483648",
                                       "-2147483649", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "%s&AllocatedStorage=%s", CREATE_MIN, bad[i]);
        int rc;
        rds_error err;
        decode("CreateDBInstance", body, &rc, &err);
        CHECK_ERR(rc, &err, RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(err.message, "AllocatedStorage");
    }
    int rc;
    rds_error err;
    char body[256];
    snprintf(body, sizeof body, "%s&AllocatedStorage=abc", CREATE_MIN);
    decode("CreateDBInstance", body, &rc, &err);
    CHECK_STR(err.message, "Invalid value 'abc' for parameter AllocatedStorage.");
    /* the int32 limits themselves are fine */
    snprintf(body, sizeof body, "%s&AllocatedStorage=2147483647&Port=-2147483648", CREATE_MIN);
    param *p = decode_ok("CreateDBInstance", body);
    int64_t v;
    CHECK(param_int(p, "AllocatedStorage", &v) && v == 2147483647);
    CHECK(param_int(p, "Port", &v) && v == -2147483648LL);
}

static void test_query__decode_bad_boolean(void)
{
    static const char *const bad[] = { "yes", "1", "0", "", "truee", "t" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "%s&MultiAZ=%s", CREATE_MIN, bad[i]);
        int rc;
        rds_error err;
        decode("CreateDBInstance", body, &rc, &err);
        CHECK_ERR(rc, &err, RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(err.message, "MultiAZ");
    }
}

static void test_query__decode_enum(void)
{
    char body[256];
    snprintf(body, sizeof body, "%s&DatabaseInsightsMode=turbo", CREATE_MIN);
    int rc;
    rds_error err;
    decode("CreateDBInstance", body, &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Invalid value 'turbo' for parameter DatabaseInsightsMode.");
    /* DescribeEvents SourceType enum */
    param *p = decode_ok("DescribeEvents", "SourceType=db-instance");
    CHECK_STR(param_str(p, "SourceType"), "db-instance");
    decode("DescribeEvents", "SourceType=DB-INSTANCE", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_INVALID_PARAMETER_VALUE);
}

static void test_query__decode_timestamp(void)
{
    param *p = decode_ok("DescribeEvents", "StartTime=2026-11-27T18:30:00Z&EndTime=1700000000");
    const param *s = param_get(p, "StartTime");
    CHECK(s != NULL);
    if (s)
        CHECK_INT(s->i, 1795804200000LL);
    const param *e = param_get(p, "EndTime");
    CHECK(e != NULL);
    if (e)
        CHECK_INT(e->i, 1700000000000LL);
    int rc;
    rds_error err;
    decode("DescribeEvents", "StartTime=yesterday", &rc, &err);
    CHECK_ERR(rc, &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "StartTime");
}

static void test_query__decode_list_gap_stops(void)
{
    char body[256];
    snprintf(body, sizeof body, "%s&Tags.Tag.1.Key=a&Tags.Tag.3.Key=c", CREATE_MIN);
    param *p = decode_ok("CreateDBInstance", body);
    const param *t = param_get(p, "Tags");
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->n_items, 1);
        if (t->n_items)
            CHECK_STR(param_str(t->items[0], "Key"), "a");
    }
    /* index 0 is not an element (lists count from 1) */
    snprintf(body, sizeof body, "%s&Tags.Tag.0.Key=z", CREATE_MIN);
    p = decode_ok("CreateDBInstance", body);
    t = param_get(p, "Tags");
    CHECK(t && t->n_items == 0);
}

static void test_query__decode_huge_indexes(void)
{
    static const char *const keys[] = {
        "Tags.Tag.99999999.Key=x",
        "Tags.Tag.18446744073709551617.Key=x",
        "Tags.Tag.-1.Key=x",
        "Tags.Tag.1e9.Key=x",
        "VpcSecurityGroupIds.VpcSecurityGroupId.4294967296=sg-1",
        "Tags.Tag.1.Key.Extra.Deep.Deeper=x",
    };
    /* a hang shows as the ctest timeout: speed is bench/'s business, not an assertion */
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "%s&%s", CREATE_MIN, keys[i]);
        int rc;
        rds_error err;
        param *p = decode("CreateDBInstance", body, &rc, &err);
        CHECK_INT(rc, 0);
        (void)p;
    }
    param *p = decode_ok("DescribeDBInstances", "Filters.Filter.99999999.Name=x"
                                                "&Filters.Filter.1.Values.Value.99999999=y"
                                                "&Filters.Filter.1.Name=engine");
    const param *fl = param_get(p, "Filters");
    CHECK(fl && fl->n_items == 1);
    if (fl && fl->n_items == 1) {
        const param *v = param_get(fl->items[0], "Values");
        CHECK(v && v->n_items == 0);
    }
}

static void test_query__decode_long_list_bounded(void)
{
    /* 1500 tags: the decoder keeps a prefix of them (at most its list cap), in order */
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, CREATE_MIN);
    for (int i = 1; i <= 1500; i++)
        strbuf_printf(&b, "&Tags.Tag.%d.Key=k%d&Tags.Tag.%d.Value=v%d", i, i, i, i);
    param *p = decode_ok("CreateDBInstance", b.data);
    const param *t = param_get(p, "Tags");
    CHECK(t != NULL);
    if (t) {
        CHECK(t->n_items >= 50 && t->n_items <= 1500);
        CHECK_STR(param_str(t->items[t->n_items - 1], "Key"),
                  arena_printf(A, "k%zu", t->n_items));
    }
    strbuf_free(&b);
}

static void test_query__decode_map(void)
{
    /* CreateIntegration.AdditionalEncryptionContext is the model's one input map */
    param *p = decode_ok("CreateIntegration",
                         "SourceArn=arn:aws:rds:us-east-1:000000000000:cluster:c1"
                         "&TargetArn=arn:aws:redshift:us-east-1:000000000000:namespace:n1&IntegrationName=i1"
                         "&AdditionalEncryptionContext.entry.1.key=k1"
                         "&AdditionalEncryptionContext.entry.1.value=v1"
                         "&AdditionalEncryptionContext.entry.2.key=k2");
    const param *m = param_get(p, "AdditionalEncryptionContext");
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_INT(m->n_items, 2);
    if (m->n_items == 2) {
        CHECK_STR(m->map_keys[0]->text, "k1");
        CHECK_STR(m->items[0]->text, "v1");
        CHECK_STR(m->map_keys[1]->text, "k2");
        CHECK(m->items[1] == NULL);
    }
}

/* Lists and maps past the decoder's first allocation (4) keep every item, in order. */
static void test_query__decode_grows_lists_and_maps(void)
{
    char body[2048];
    int n = snprintf(body, sizeof body, "%s", CREATE_MIN);
    for (int i = 1; i <= 9; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, "&Tags.Tag.%d.Key=k%d&Tags.Tag.%d.Value=v%d", i, i, i, i);
    param *p = decode_ok("CreateDBInstance", body);
    const param *t = param_get(p, "Tags");
    CHECK(t && t->n_items == 9);
    for (size_t i = 0; t && i < t->n_items && i < 9; i++) {
        char k[8], v[8];
        snprintf(k, sizeof k, "k%zu", i + 1);
        snprintf(v, sizeof v, "v%zu", i + 1);
        CHECK_STR(param_str(t->items[i], "Key"), k);
        CHECK_STR(param_str(t->items[i], "Value"), v);
    }
    n = snprintf(body, sizeof body, "SourceArn=arn:aws:rds:us-east-1:000000000000:cluster:c1"
                 "&TargetArn=arn:aws:redshift:us-east-1:000000000000:namespace:n1&IntegrationName=i1");
    for (int i = 1; i <= 9; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, "&AdditionalEncryptionContext.entry.%d.key=k%d"
                      "&AdditionalEncryptionContext.entry.%d.value=v%d", i, i, i, i);
    p = decode_ok("CreateIntegration", body);
    const param *m = param_get(p, "AdditionalEncryptionContext");
    CHECK(m && m->n_items == 9);
    for (size_t i = 0; m && i < m->n_items && i < 9; i++) {
        char k[8], v[8];
        snprintf(k, sizeof k, "k%zu", i + 1);
        snprintf(v, sizeof v, "v%zu", i + 1);
        CHECK_STR(m->map_keys[i]->text, k);
        CHECK_STR(m->items[i]->text, v);
    }
}

static void test_query__decode_every_operation_empty(void)
{
    /* every input shape of the model decodes an empty form without crashing; the result
     * is either a structure or MissingParameter */
    form f = parse_ok("");
    size_t missing = 0;
    for (size_t i = 0; i < rds_api.n_ops; i++) {
        param *p = NULL;
        rds_error err;
        rds_error_clear(&err);
        int rc = query_decode(&p, A, &f, rds_api.ops[i].input, &err);
        if (rc == 0)
            CHECK(p != NULL);
        else {
            CHECK_INT(err.code, RDS_E_MISSING_PARAMETER);
            CHECK_CONTAINS(err.message, "The request must contain the parameter ");
            missing++;
        }
    }
    CHECK(missing > 50);
}

/* EC2's dialect (botocore EC2Serializer) on a hand-made shape shaped like EC2's
 * DescribeInstances: queryName wins, else the capitalised locationName, else the member
 * name; lists are flattened (Name.N) whatever their element name. The tree is the same as
 * the query decoder's, looked up by member name. */
static void test_query__decode_ec2_dialect(void)
{
    static const api_shape str = { .name = "String", .type = AT_STRING };
    static const api_shape num = { .name = "Integer", .type = AT_INTEGER };
    static const api_shape ids = { .name = "InstanceIdStringList", .type = AT_LIST, .element = &str,
                                   .element_name = "InstanceId" };
    static const api_member filter_members[] = {
        { "Name", NULL, &str, false, NULL },
        { "Values", NULL, &ids, false, "Value" },
    };
    static const api_shape filter = { .name = "Filter", .type = AT_STRUCTURE, .members = filter_members,
                                      .n_members = 2 };
    static const api_shape filters = { .name = "FilterList", .type = AT_LIST, .element = &filter,
                                       .element_name = "Filter" };
    static const api_member members[] = {
        { "InstanceIds", "InstanceId", &ids, false, NULL },
        { "Filters", "Filter", &filters, false, NULL },
        { "DryRun", "dryRun", &str, false, NULL },
        { "MaxResults", "maxResults", &num, true, NULL },
    };
    static const api_shape in = { .name = "DescribeInstancesRequest", .type = AT_STRUCTURE,
                                  .members = members, .n_members = 4 };
    form f = parse_ok("Action=DescribeInstances&InstanceId.1=i-1&InstanceId.2=i-2&MaxResults=5"
                      "&Filter.1.Name=tag:env&Filter.1.Value.1=dev&Filter.1.Value.2=prod&DryRun=false");
    param *p = NULL;
    rds_error err;
    rds_error_clear(&err);
    CHECK(query_decode_ec2(&p, A, &f, &in, &err) == 0);
    const param *l = param_get(p, "InstanceIds");
    CHECK(l && l->n_items == 2);
    if (l && l->n_items == 2)
        CHECK_STR(l->items[1]->text, "i-2");
    int64_t v = 0;
    CHECK(param_int(p, "MaxResults", &v) && v == 5);
    CHECK_STR(param_str(p, "DryRun"), "false");
    const param *fl = param_get(p, "Filters");
    CHECK(fl && fl->n_items == 1);
    if (fl && fl->n_items == 1) {
        CHECK_STR(param_str(fl->items[0], "Name"), "tag:env");
        const param *vals = param_get(fl->items[0], "Values");
        CHECK(vals && vals->n_items == 2);
    }
    /* the query protocol's names are not EC2's */
    f = parse_ok("Action=DescribeInstances&InstanceId.member.1=i-1&maxResults=5");
    CHECK_ERR(query_decode_ec2(&p, A, &f, &in, &err), &err, RDS_E_MISSING_PARAMETER);
    CHECK_STR(err.message, "The request must contain the parameter MaxResults");
}

static const check_case cases[] = {
    TEST(test_query__decode_ec2_dialect),
    TEST(test_query__form_basic),
    TEST(test_query__form_escapes_in_keys_and_case),
    TEST(test_query__form_empty_and_degenerate),
    TEST(test_query__form_bad_escapes),
    TEST(test_query__form_invalid_utf8),
    TEST(test_query__form_nul_is_refused_issue_7),
    TEST(test_query__form_duplicates_first_wins),
    TEST(test_query__decode_create_minimal),
    TEST(test_query__decode_create_scalars),
    TEST(test_query__decode_tags),
    TEST(test_query__decode_vpc_security_group_ids),
    TEST(test_query__decode_empty_list),
    TEST(test_query__decode_filters),
    TEST(test_query__decode_filter_missing_values),
    TEST(test_query__decode_missing_required),
    TEST(test_query__decode_bad_integer),
    TEST(test_query__decode_bad_boolean),
    TEST(test_query__decode_enum),
    TEST(test_query__decode_timestamp),
    TEST(test_query__decode_list_gap_stops),
    TEST(test_query__decode_huge_indexes),
    TEST(test_query__decode_long_list_bounded),
    TEST(test_query__decode_map),
    TEST(test_query__decode_grows_lists_and_maps),
    TEST(test_query__decode_every_operation_empty),
};
CHECK_MAIN(cases, setup, cleanup)
