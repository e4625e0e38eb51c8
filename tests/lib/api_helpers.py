"""api_helpers: small helpers for the API end-to-end tests (tests/e2e/test_api_*.py).

- ApiTestCase: one rdslocal per class (setUpClass), POST /_rdslocal/reset in setUp,
  assertError() checking code, HTTP status and (optionally) message of a botocore error.
- raw(): a raw HTTP request with a fake but well-formed SigV4 Authorization header
  (rdslocal parses the credential scope for region and service; signatures are not verified).
"""
import re
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from botocore.exceptions import ClientError

import rdslocal_testlib as tl


def fake_auth(region="us-east-1", service="rds"):
    date = time.strftime("%Y%m%d", time.gmtime())
    return ("AWS4-HMAC-SHA256 Credential=test/%s/%s/%s/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=%s" % (date, region, service, "0" * 64))


def raw(server, body=None, params=None, auth=True, region="us-east-1", method="POST",
        path="/", headers=None, query=None):
    """Sends a raw request; returns (status, headers dict (lower-case keys), body text)."""
    if params is not None:
        body = urllib.parse.urlencode(params).encode()
    if isinstance(body, str):
        body = body.encode()
    h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
         "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}
    if auth:
        h["Authorization"] = fake_auth(region)
    h.update(headers or {})
    url = server.endpoint + path + ("?" + query if query else "")
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode("utf-8", "replace")


def xml_field(text, tag):
    m = re.search(r"<%s>(.*?)</%s>" % (tag, tag), text, re.S)
    return m.group(1) if m else None


class ApiTestCase(unittest.TestCase):
    """One server per class; subclasses set server_args / no_engine."""
    server_args = ()
    no_engine = True
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = tl.Server(*cls.server_args, no_engine=cls.no_engine).start()
        cls.rds = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.cleanup()

    def setUp(self):
        self.assertServerAlive()
        self.server.admin("POST", "/_rdslocal/reset")

    def tearDown(self):
        self.assertServerAlive()

    def assertServerAlive(self):
        p = self.server.proc
        if p is not None and p.poll() is not None:
            self.fail("rdslocal exited with %s; log tail:\n%s" % (p.returncode, self.server.read_log()[-3000:]))

    # ---- helpers ----
    def assertError(self, fn, code, status=400, message=None, contains=None, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], code, e["Error"])
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], status, e["Error"])
        if message is not None:
            self.assertEqual(e["Error"]["Message"], message)
        if contains is not None:
            self.assertIn(contains, e["Error"]["Message"])
        return e

    def create(self, ident, **kw):
        return self.rds.create_db_instance(**tl.create_args(ident, **kw))["DBInstance"]

    def describe(self, ident):
        return self.rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]

    def ids(self, **kw):
        return [d["DBInstanceIdentifier"] for d in self.rds.describe_db_instances(**kw)["DBInstances"]]

    def advance(self, seconds):
        return self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": seconds})


def main():
    tl.main()
