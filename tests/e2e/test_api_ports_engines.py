"""End-to-end API tests (API-only mode) of issue #7 items 10 and 14: with --no-engine nothing
listens, so instances take no port from --port-range (the requested Port, else the engine's
default 5432, as on AWS where each instance has its own host); and an engine rdslocal does
not offer is refused with AWS's code and message start, plus the engines it does offer."""
from api_helpers import ApiTestCase, main, raw, xml_field
import rdslocal_testlib as tl


class NoEnginePortsTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = tl.Server(no_engine=True)
        lo = cls.server.ports[0]
        cls.server.ports = (lo, lo + 1)   # --port-range of 2 ports
        cls.server.start()
        cls.rds = cls.server.client()

    def test_more_instances_than_the_port_range_holds(self):
        for i in range(5):
            self.create("p%d" % i)
            self.assertEqual(self.describe("p%d" % i)["Endpoint"]["Port"], 5432)
        ports = [d["Endpoint"]["Port"] for d in self.rds.describe_db_instances()["DBInstances"]]
        self.assertEqual(ports, [5432] * 5)

    def test_requested_port_is_reported_even_twice(self):
        lo, hi = self.server.ports
        self.create("ea", Port=6000)
        self.create("eb", Port=6000)
        self.create("ec", Port=lo)
        self.assertEqual([self.describe(i)["Endpoint"]["Port"] for i in ("ea", "eb", "ec")], [6000, 6000, lo])
        # the rules on the value itself still hold
        self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                         **tl.create_args("ed", Port=80))

    def test_modify_port_allocates_nothing(self):
        self.rds.create_db_instance(**tl.create_args("ma", Port=7000))
        self.rds.create_db_instance(**tl.create_args("mb"))
        self.rds.modify_db_instance(DBInstanceIdentifier="mb", DBPortNumber=7000, ApplyImmediately=True)
        self.assertEqual(self.describe("mb")["Endpoint"]["Port"], 7000)
        self.assertEqual(self.describe("ma")["Endpoint"]["Port"], 7000)
        self.assertError(self.rds.modify_db_instance, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="mb", DBPortNumber=70000)


class EngineNameTest(ApiTestCase):
    def test_unknown_engine_names_the_offered_ones(self):
        for engine in ("mysql", "aurora-postgresql", "oracle-ee"):
            with self.subTest(engine=engine):
                e = self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                                     **tl.create_args("x", Engine=engine))
                msg = e["Error"]["Message"]
                # AWS's text first, so clients that match on it keep working
                self.assertTrue(msg.startswith("Invalid DB engine: %s" % engine), msg)
                self.assertIn("rdslocal offers: postgres", msg)
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])

    def test_query_protocol_error_document(self):
        status, _, body = raw(self.server, params=dict(Action="CreateDBInstance", Version="2014-10-31",
                                                       **tl.create_args("y", Engine="mysql")))
        self.assertEqual(status, 400, body)
        self.assertEqual(xml_field(body, "Code"), "InvalidParameterValue")
        self.assertEqual(xml_field(body, "Message"), "Invalid DB engine: mysql. rdslocal offers: postgres.")


if __name__ == "__main__":
    main()
