/* test_xmlout.c: the Query-protocol XML writer (server/xmlout.c). Every document is
 * parsed back with libxml2 (xmlReadMemory): output must be well-formed whatever the
 * values contain, and must have the AWS response / ErrorResponse shape. */
#include "xmlout.h"
#include "check.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

static const char NS[] = "http://rds.amazonaws.com/doc/2014-10-31/";

/* Parses doc; NULL (and a failed check) if it is not well-formed. */
static xmlDocPtr parse(const char *doc, size_t len)
{
    CHECK(doc != NULL);
    if (!doc)
        return NULL;
    CHECK_INT(strlen(doc), len);
    xmlDocPtr d = xmlReadMemory(doc, (int)len, "response.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d)
        fprintf(stderr, "not well-formed XML:\n%s\n", doc);
    CHECK(d != NULL);
    return d;
}

/* The first element child of n named name (NULL if none). */
static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static int n_element_children(xmlNodePtr n)
{
    int k = 0;
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        k += c->type == XML_ELEMENT_NODE;
    return k;
}

/* Text of n (static buffer, "" if none); NULL if n is NULL. */
static const char *text(xmlNodePtr n)
{
    static char buf[4096];
    if (!n)
        return NULL;
    xmlChar *t = xmlNodeGetContent(n);
    snprintf(buf, sizeof buf, "%s", t ? (const char *)t : "");
    xmlFree(t);
    return buf;
}

static const char *ns_of(xmlNodePtr n)
{
    return n && n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

static void test_xmlout__result_shape(void)
{
    xml_out *x = xml_begin("DescribeDBInstances", "DescribeDBInstancesResult", NS);
    xml_open(x, "DBInstances");
    xml_open(x, "DBInstance");
    xml_str(x, "DBInstanceIdentifier", "db1");
    xml_int(x, "AllocatedStorage", 20);
    xml_int(x, "Big", INT64_MAX);
    xml_int(x, "Neg", -5);
    xml_bool(x, "MultiAZ", true);
    xml_bool(x, "StorageEncrypted", false);
    xml_time(x, "InstanceCreateTime", 1795804200123LL);
    xml_str(x, "Absent", NULL);
    xml_close(x);
    xml_close(x);
    xml_str(x, "Marker", "m1");
    size_t len = 0;
    char *doc = xml_finish(x, "11111111-2222-4333-8444-555555555555", &len);
    xmlDocPtr d = parse(doc, len);
    if (d) {
        xmlNodePtr root = xmlDocGetRootElement(d);
        CHECK_STR((const char *)root->name, "DescribeDBInstancesResponse");
        CHECK_STR(ns_of(root), NS);
        CHECK_INT(n_element_children(root), 2);
        xmlNodePtr res = child(root, "DescribeDBInstancesResult");
        CHECK(res != NULL);
        CHECK(root->children && root->children == res); /* the result comes first */
        CHECK_STR(text(child(res, "Marker")), "m1");
        xmlNodePtr inst = child(child(res, "DBInstances"), "DBInstance");
        CHECK_STR(text(child(inst, "DBInstanceIdentifier")), "db1");
        CHECK_STR(text(child(inst, "AllocatedStorage")), "20");
        CHECK_STR(text(child(inst, "Big")), "9223372036854775807");
        CHECK_STR(text(child(inst, "Neg")), "-5");
        CHECK_STR(text(child(inst, "MultiAZ")), "true");
        CHECK_STR(text(child(inst, "StorageEncrypted")), "false");
        CHECK_STR(text(child(inst, "InstanceCreateTime")), "2026-11-27T18:30:00.123Z");
        CHECK(child(inst, "Absent") == NULL);
        xmlNodePtr md = child(root, "ResponseMetadata");
        CHECK(md != NULL);
        CHECK_INT(n_element_children(md), 1);
        CHECK_STR(text(child(md, "RequestId")), "11111111-2222-4333-8444-555555555555");
        xmlFreeDoc(d);
    }
    free(doc);
}

static void test_xmlout__no_result_wrapper(void)
{
    /* operations without output (DeleteDBSubnetGroup) answer only ResponseMetadata */
    xml_out *x = xml_begin("DeleteDBSubnetGroup", NULL, NS);
    size_t len = 0;
    char *doc = xml_finish(x, "rid", &len);
    xmlDocPtr d = parse(doc, len);
    if (d) {
        xmlNodePtr root = xmlDocGetRootElement(d);
        CHECK_STR((const char *)root->name, "DeleteDBSubnetGroupResponse");
        CHECK_INT(n_element_children(root), 1);
        CHECK_STR(text(child(child(root, "ResponseMetadata"), "RequestId")), "rid");
        xmlFreeDoc(d);
    }
    free(doc);
}

/* Writes value in a result and an error document and returns what the parser reads back
 * (NULL if either document is not well-formed). */
static char *round_trip(const char *value)
{
    static char back[4096];
    char *ret = back;
    xml_out *x = xml_begin("ListTagsForResource", "ListTagsForResourceResult", NS);
    xml_str(x, "Value", value);
    size_t len = 0;
    char *doc = xml_finish(x, "rid", &len);
    xmlDocPtr d = parse(doc, len);
    if (d) {
        xmlNodePtr v = child(child(xmlDocGetRootElement(d), "ListTagsForResourceResult"), "Value");
        CHECK(v != NULL);
        snprintf(back, sizeof back, "%s", v ? text(v) : "");
        xmlFreeDoc(d);
    } else {
        ret = NULL;
    }
    free(doc);

    doc = xml_error_doc(NS, true, "InvalidParameterValue", value, "rid", &len);
    d = parse(doc, len);
    if (d) {
        xmlNodePtr m = child(child(xmlDocGetRootElement(d), "Error"), "Message");
        CHECK(m != NULL);
        if (ret && m)
            CHECK_STR(text(m), back);
        xmlFreeDoc(d);
    } else {
        ret = NULL;
    }
    free(doc);
    return ret;
}

static void test_xmlout__escapes_markup(void)
{
    const char *v = "<a href=\"x\">&amp; 'q' & ]]> </a>";
    CHECK_STR(round_trip(v), v);
    CHECK_STR(round_trip(""), "");
    CHECK_STR(round_trip("&#65; &lt; %41"), "&#65; &lt; %41"); /* no double decoding */
    CHECK_STR(round_trip("tab\tnl\ncr"), "tab\tnl\ncr");
}

static void test_xmlout__unicode(void)
{
    const char *v = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87";
    CHECK_STR(round_trip(v), v);
}

/* XML 1.0 forbids U+0000..U+001F except tab, LF, CR, and a literal or a character
 * reference (&#1;) makes the document not well-formed. Such values reach the writer
 * (a %01 in a parameter is valid UTF-8 and comes back in error messages), so the output
 * must still parse. What the value becomes is the writer's choice. */
static void test_xmlout__control_chars_stay_well_formed(void)
{
    static const char *const vals[] = { "a\x01z", "\x1f", "x\x08y\x0b\x0c", "bell\x07" };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char *back = round_trip(vals[i]);
        CHECK(back != NULL);
    }
}

/* Invalid UTF-8 can reach an error message through headers that are echoed back
 * (IncompleteSignature quotes the Authorization header). */
static void test_xmlout__invalid_utf8_stays_well_formed(void)
{
    static const char *const vals[] = { "x\xff", "\xc3", "a\xed\xa0\x80z", "\x80\x80" };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char *back = round_trip(vals[i]);
        CHECK(back != NULL);
    }
}

static void test_xmlout__error_shape(void)
{
    size_t len = 0;
    char *doc = xml_error_doc(NS, true, "DBInstanceNotFound", "DBInstance db1 not found.", "rid-1", &len);
    xmlDocPtr d = parse(doc, len);
    if (d) {
        xmlNodePtr root = xmlDocGetRootElement(d);
        CHECK_STR((const char *)root->name, "ErrorResponse");
        CHECK_STR(ns_of(root), NS);
        CHECK_INT(n_element_children(root), 2);
        xmlNodePtr e = child(root, "Error");
        CHECK(e != NULL && root->children == e);
        CHECK_INT(n_element_children(e), 3);
        CHECK_STR(text(child(e, "Type")), "Sender");
        CHECK_STR(text(child(e, "Code")), "DBInstanceNotFound");
        CHECK_STR(text(child(e, "Message")), "DBInstance db1 not found.");
        CHECK_STR(text(child(root, "RequestId")), "rid-1");
        CHECK(child(root, "ResponseMetadata") == NULL);
        xmlFreeDoc(d);
    }
    free(doc);

    doc = xml_error_doc(NS, false, "InternalFailure", "boom", "rid-2", &len);
    d = parse(doc, len);
    if (d) {
        xmlNodePtr e = child(xmlDocGetRootElement(d), "Error");
        CHECK_STR(text(child(e, "Type")), "Receiver");
        CHECK_STR(text(child(e, "Code")), "InternalFailure");
        xmlFreeDoc(d);
    }
    free(doc);
}

static void test_xmlout__abort(void)
{
    xml_abort(NULL);
    xml_out *x = xml_begin("CreateDBInstance", "CreateDBInstanceResult", NS);
    xml_open(x, "DBInstance");
    xml_str(x, "DBInstanceIdentifier", "db1");
    xml_abort(x); /* unfinished: freed without output (valgrind checks the leak) */
}

static void test_xmlout__many_documents(void)
{
    /* one writer per request; nothing is shared between documents */
    for (int i = 0; i < 200; i++) {
        xml_out *x = xml_begin("DescribeEvents", "DescribeEventsResult", NS);
        xml_open(x, "Events");
        for (int k = 0; k < 20; k++) {
            xml_open(x, "Event");
            xml_int(x, "N", k);
            xml_close(x);
        }
        xml_close(x);
        size_t len;
        char *doc = xml_finish(x, "rid", &len);
        if (i % 50 == 0) {
            xmlDocPtr d = parse(doc, len);
            xmlFreeDoc(d);
        }
        free(doc);
    }
}

static void suite_cleanup(void)
{
    xmlCleanupParser();
}

/* The neutral writer through the XML encoder writes exactly what the xml_* calls write
 * (the golden fixtures depend on it), plus doubles as AWS renders them and base64 blobs. */
static void test_xmlout__res_out_encoder(void)
{
    xml_out *a = xml_begin("DescribeX", "DescribeXResult", NS);
    xml_open(a, "Items");
    xml_open(a, "Item");
    xml_str(a, "Name", "a<b");
    xml_int(a, "Port", -5432);
    xml_bool(a, "MultiAZ", true);
    xml_time(a, "Created", 1700000000123LL);
    xml_close(a);
    xml_close(a);
    xml_str(a, "Marker", "m");
    size_t alen;
    char *want = xml_finish(a, "rid", &alen);

    xml_out *b = xml_begin("DescribeX", "DescribeXResult", NS);
    res_out r = xml_res(b);
    res_list(&r, "Items");
    res_struct(&r, "Item");
    res_str(&r, "Name", "a<b");
    res_str(&r, "Skipped", NULL);
    res_int(&r, "Port", -5432);
    res_bool(&r, "MultiAZ", true);
    res_time(&r, "Created", 1700000000123LL);
    res_close(&r);
    res_close(&r);
    res_str(&r, "Marker", "m");
    CHECK_INT(r.depth, 0);
    size_t blen;
    char *got = xml_finish(b, "rid", &blen);
    CHECK_STR(got, want);
    CHECK_INT(blen, alen);
    free(want);
    free(got);

    b = xml_begin("X", NULL, NS);
    r = xml_res(b);
    res_double(&r, "A", 50);
    res_double(&r, "B", 0.25);
    res_double(&r, "C", 0);
    res_blob(&r, "D", "hi\0", 3);
    res_blob(&r, "E", "", 0);
    got = xml_finish(b, "rid", &blen);
    CHECK_CONTAINS(got, "<A>50.0</A><B>0.25</B><C>0.0</C><D>aGkA</D><E></E>");
    free(got);
}

/* EC2's dialect: requestId first, no result wrapper, no ResponseMetadata; its own error
 * document. */
static void test_xmlout__ec2_documents(void)
{
    xml_out *x = xml_begin_ec2("DescribeVpcs", "http://ec2.amazonaws.com/doc/2016-11-15/", "rid-1");
    res_out r = xml_res(x);
    res_list(&r, "vpcSet");
    res_struct(&r, "item");
    res_str(&r, "vpcId", "vpc-1");
    res_close(&r);
    res_close(&r);
    size_t len;
    char *doc = xml_finish_plain(x, &len);
    CHECK_STR(doc, "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                   "<requestId>rid-1</requestId><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet>"
                   "</DescribeVpcsResponse>");
    xmlFreeDoc(parse(doc, len));
    free(doc);
    doc = xml_ec2_error_doc("InvalidVpcID.NotFound", "The vpc ID 'vpc-x' does not exist", "rid-2", &len);
    CHECK_STR(doc, "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>"
                   "<Message>The vpc ID 'vpc-x' does not exist</Message></Error></Errors>"
                   "<RequestID>rid-2</RequestID></Response>");
    xmlFreeDoc(parse(doc, len));
    free(doc);
}

static const check_case cases[] = {
    TEST(test_xmlout__result_shape),
    TEST(test_xmlout__no_result_wrapper),
    TEST(test_xmlout__escapes_markup),
    TEST(test_xmlout__unicode),
    TEST(test_xmlout__control_chars_stay_well_formed),
    TEST(test_xmlout__invalid_utf8_stays_well_formed),
    TEST(test_xmlout__error_shape),
    TEST(test_xmlout__abort),
    TEST(test_xmlout__many_documents),
    TEST(test_xmlout__res_out_encoder),
    TEST(test_xmlout__ec2_documents),
};
CHECK_MAIN(cases, NULL, suite_cleanup)
