"""End-to-end tests of protocol-level errors (API-only mode): unsupported and unknown
actions, authentication, oversized and malformed requests. Every error is a well-formed
XML ErrorResponse whose RequestId equals the x-amzn-RequestId header, never a 500 or HTML."""
import xml.etree.ElementTree as ET

from api_helpers import ApiTestCase, main, raw, xml_field
import rdslocal_testlib as tl

NS = "{http://rds.amazonaws.com/doc/2014-10-31/}"
V = {"Version": "2014-10-31"}


class ProtocolErrorTest(ApiTestCase):
    def assertXmlError(self, resp, status, code=None):
        st, h, body = resp
        self.assertEqual(st, status, body)
        self.assertTrue(h.get("content-type", "").startswith("text/xml"), h)
        root = ET.fromstring(body)
        self.assertEqual(root.tag.split("}")[-1], "ErrorResponse", body)
        ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        err = root.find(ns + "Error")
        self.assertIsNotNone(err, body)
        got_code = err.findtext(ns + "Code")
        self.assertTrue(got_code, body)
        self.assertIn(err.findtext(ns + "Type"), ("Sender", "Receiver"))
        self.assertIsNotNone(err.findtext(ns + "Message"), body)
        rid = root.findtext(ns + "RequestId")
        self.assertTrue(rid, body)
        self.assertEqual(h.get("x-amzn-requestid"), rid)
        if code:
            self.assertEqual(got_code, code, body)
        return got_code, err.findtext(ns + "Message")

    def test_unsupported_operation_via_boto3(self):
        e = self.assertError(self.rds.create_db_cluster, "InvalidAction", 400,
                             DBClusterIdentifier="c1", Engine="aurora-postgresql")
        self.assertEqual(e["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"],
                         e["ResponseMetadata"]["RequestId"])
        self.assertError(self.rds.create_db_cluster_snapshot, "InvalidAction", 400,
                         DBClusterSnapshotIdentifier="s1", DBClusterIdentifier="x")

    def test_unknown_action_raw(self):
        self.assertXmlError(raw(self.server, params=dict(V, Action="FlyToTheMoon")), 400, "InvalidAction")

    def test_missing_action(self):
        self.assertXmlError(raw(self.server, params=dict(V)), 400, "MissingAction")

    def test_wrong_version(self):
        self.assertXmlError(raw(self.server, params={"Action": "DescribeDBInstances", "Version": "2001-01-01"}),
                            400, "InvalidAction")

    def test_missing_authentication(self):
        self.assertXmlError(raw(self.server, params=dict(V, Action="DescribeDBInstances"), auth=False),
                            403, "MissingAuthenticationToken")

    def test_malformed_authorization(self):
        st, h, body = raw(self.server, params=dict(V, Action="DescribeDBInstances"),
                          headers={"Authorization": "AWS4-HMAC-SHA256 Credential=garbage"})
        self.assertTrue(400 <= st < 500, (st, body))
        self.assertXmlError((st, h, body), st)

    def test_raw_success_and_get(self):
        st, h, body = raw(self.server, params=dict(V, Action="DescribeDBInstances"))
        self.assertEqual(st, 200, body)
        root = ET.fromstring(body)
        self.assertEqual(root.tag, NS + "DescribeDBInstancesResponse")
        self.assertEqual(root.findtext(NS + "ResponseMetadata/" + NS + "RequestId"), h["x-amzn-requestid"])
        st, h, body = raw(self.server, method="GET", query="Action=DescribeDBInstances&Version=2014-10-31")
        self.assertEqual(st, 200, body)

    def test_huge_body(self):
        body = "Action=DescribeDBInstances&Version=2014-10-31&Pad=" + "x" * (2 * 1024 * 1024)
        self.assertXmlError(raw(self.server, body=body), 413)
        # the server still answers
        self.assertEqual(self.ids(), [])

    def test_invalid_utf8(self):
        code, msg = self.assertXmlError(
            raw(self.server, body="Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=%FF%FEx"),
            400)
        self.assertEqual(self.ids(), [])

    def test_bad_percent_escape(self):
        st, h, body = raw(self.server, body="Action=DescribeDBInstances&Version=2014-10-31&Marker=%ZZ")
        self.assertTrue(400 <= st < 500, (st, body))
        self.assertXmlError((st, h, body), st)

    def test_issue_7_nul_is_refused_never_cut(self):
        # "DescribeDBInstances%00Junk" must not run DescribeDBInstances, in a body or a GET
        for st, h, body in (raw(self.server, body="Action=DescribeDBInstances%00Junk&Version=2014-10-31"),
                            raw(self.server, method="GET", query="Action=DescribeDBInstances%00Junk&Version=2014-10-31")):
            self.assertEqual(st, 400, body)
            self.assertEqual(xml_field(body, "Code"), "InvalidParameterValue")
            self.assertNotIn("DBInstances>", body)
        # a tag value "a%00b" is refused, not stored as "a"
        st, h, body = raw(self.server, body="Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=nul1"
                          "&Engine=postgres&DBInstanceClass=db.t3.micro&AllocatedStorage=20&MasterUsername=app"
                          "&MasterUserPassword=S3cret-pass&Tags.Tag.1.Key=k&Tags.Tag.1.Value=a%00b")
        self.assertEqual(st, 400, body)
        self.assertEqual(xml_field(body, "Code"), "InvalidParameterValue")
        self.assertEqual(self.ids(), [])

    def test_bad_typed_values(self):
        code, msg = self.assertXmlError(raw(self.server, params=dict(
            V, **{"Action": "CreateDBInstance", "DBInstanceIdentifier": "x", "Engine": "postgres",
                  "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "twenty",
                  "MasterUsername": "app", "MasterUserPassword": "S3cret-pass"})), 400)
        self.assertIn(code, ("InvalidParameterValue", "MalformedQueryString"))
        self.assertXmlError(raw(self.server, params=dict(V, Action="DescribeDBInstances", MaxRecords="lots")), 400)
        self.assertXmlError(raw(self.server, params=dict(V, Action="DeleteDBInstance", DBInstanceIdentifier="x",
                                                         SkipFinalSnapshot="maybe")), 400)
        self.assertEqual(self.ids(), [])

    def test_every_error_has_matching_request_id(self):
        from botocore.exceptions import ClientError
        calls = [lambda: self.rds.describe_db_instances(DBInstanceIdentifier="ghost"),
                 lambda: self.rds.modify_db_instance(DBInstanceIdentifier="ghost", DeletionProtection=True),
                 lambda: self.rds.describe_db_instances(MaxRecords=5),
                 lambda: self.rds.create_db_instance(**tl.create_args("1bad"))]
        for c in calls:
            with self.assertRaises(ClientError) as cm:
                c()
            md = cm.exception.response["ResponseMetadata"]
            self.assertTrue(md["RequestId"])
            self.assertEqual(md["HTTPHeaders"]["x-amzn-requestid"], md["RequestId"])

    def test_unknown_admin_path_is_not_html(self):
        st, h, body = raw(self.server, method="GET", path="/no/such/path")
        self.assertTrue(400 <= st < 500, (st, body))
        self.assertNotIn("<html", body.lower())


class CachedAnswerTest(ApiTestCase):
    """Repeated reads are served from the response cache (sent without copying): each answer
    must still be the whole document with its own request id, and a write must show."""

    def test_repeated_describe_has_fresh_request_ids_and_sees_writes(self):
        self.create("c1")
        params = {"Action": "DescribeDBInstances", "Version": "2014-10-31"}
        seen = set()
        bodies = []
        for _ in range(3):
            status, headers, body = raw(self.server, params=params)
            self.assertEqual(status, 200)
            rid = headers["x-amzn-requestid"]
            root = ET.fromstring(body)  # well-formed, whole document
            ns = {"r": "http://rds.amazonaws.com/doc/2014-10-31/"}
            self.assertEqual(root.find("r:ResponseMetadata/r:RequestId", ns).text, rid)
            seen.add(rid)
            bodies.append(body.replace(rid, "RID"))
        self.assertEqual(len(seen), 3)
        self.assertEqual(bodies[0], bodies[1])
        self.assertEqual(bodies[1], bodies[2])
        self.create("c2")
        _, _, body = raw(self.server, params=params)
        self.assertEqual(body.count("<DBInstance>"), 2)


if __name__ == "__main__":
    main()
