"""End-to-end tests of the HTTP front door (issue #7 items 2, 3, 7, 8, 11), API-only mode:
browsers (Origin, CORS preflight, Host / DNS rebinding, admin content type), signature
expiry under verification and the secret never on the command line, the drain on SIGTERM,
thousands of idle connections, methods and content types, and escaped log lines."""
import datetime
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from api_helpers import ApiTestCase, fake_auth, main, raw
import rdslocal_testlib as tl

V = {"Version": "2014-10-31"}
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def xml_code(body):
    root = ET.fromstring(body)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    return root.findtext(ns + "Error/" + ns + "Code"), root.findtext(ns + "Error/" + ns + "Message")


def request(server, method, path, body=None, headers=None):
    """A raw request with exactly these headers (plus Host unless given)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    h = dict(headers or {})
    skip_host = "Host" in h
    c.putrequest(method, path, skip_host=skip_host, skip_accept_encoding=True)
    for k, v in h.items():
        c.putheader(k, v)
    if body is not None:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
    c.close()
    return out


def api_headers(**extra):
    h = {"Content-Type": FORM, "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
         "Authorization": fake_auth()}
    h.update(extra)
    return h


def create_body(ident):
    return urllib.parse.urlencode(dict(tl.create_args(ident), Action="CreateDBInstance", **V)).encode()


class BrowserTest(ApiTestCase):
    """Item 2: web pages cannot drive rdslocal."""
    server_args = ("--allowed-origins", "http://localhost:3000, https://app.example",
                   "--allowed-hosts", "rdslocal.test")

    def test_issue_7_foreign_origin_cannot_reset(self):
        self.create("keep1")
        # A CORS "simple" request: text/plain, no preflight; the page never sees the answer.
        st, h, body = request(self.server, "POST", "/_rdslocal/reset", b"{}",
                              {"Content-Type": "text/plain", "Origin": "http://evil.example"})
        self.assertEqual(st, 403, body)
        self.assertIn("not allowed", json.loads(body)["error"])
        self.assertEqual(self.ids(), ["keep1"])

    def test_issue_7_foreign_origin_cannot_delete(self):
        self.create("keep2")
        body = urllib.parse.urlencode(dict(V, Action="DeleteDBInstance", DBInstanceIdentifier="keep2",
                                           SkipFinalSnapshot="true")).encode()
        st, h, text = request(self.server, "POST", "/", body,
                              api_headers(Origin="http://evil.example"))
        self.assertEqual(st, 403, text)
        self.assertEqual(xml_code(text)[0], "AccessDenied")
        self.assertEqual(h["x-amzn-requestid"], ET.fromstring(text).findtext(
            "{http://rds.amazonaws.com/doc/2014-10-31/}RequestId"))
        self.assertNotIn("access-control-allow-origin", h)
        # "null" (sandboxed frames, file:) is just another origin.
        st, _, _ = request(self.server, "POST", "/", body, api_headers(Origin="null"))
        self.assertEqual(st, 403)
        self.assertEqual(self.ids(), ["keep2"])

    def test_issue_7_admin_post_needs_json(self):
        self.create("keep3")
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            st, _, body = request(self.server, "POST", "/_rdslocal/reset", b"{}", {"Content-Type": ctype})
            self.assertEqual(st, 415, (ctype, body))
        st, _, _ = request(self.server, "POST", "/_rdslocal/reset", b"", {})
        self.assertEqual(st, 415)
        self.assertEqual(self.ids(), ["keep3"])
        st, _, body = request(self.server, "POST", "/_rdslocal/clock", b'{"advance_seconds": 1}',
                              {"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(st, 200, body)
        st, _, body = request(self.server, "GET", "/_rdslocal/health", None, {})
        self.assertEqual(st, 200, body)

    def test_issue_7_dns_rebinding_host(self):
        p = self.server.port
        for host in ("evil.example:%d" % p, "evil.example", "127.0.0.1:%d" % (p + 1), "localhost.evil:%d" % p):
            st, _, body = request(self.server, "GET", "/_rdslocal/health", None, {"Host": host})
            self.assertEqual(st, 403, (host, body))
            st, _, body = request(self.server, "POST", "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                                  api_headers(Host=host))
            self.assertEqual(st, 403, (host, body))
            self.assertEqual(xml_code(body)[0], "AccessDenied")
        for host in ("127.0.0.1:%d" % p, "localhost:%d" % p, "LOCALHOST:%d" % p, "rdslocal.test:%d" % p,
                     "rdslocal.test"):
            st, _, body = request(self.server, "GET", "/_rdslocal/health", None, {"Host": host})
            self.assertEqual(st, 200, (host, body))

    def test_issue_7_allowed_origin_and_preflight(self):
        origin = "http://localhost:3000"
        st, h, body = request(self.server, "OPTIONS", "/", None, {
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-user-agent,"
                                              "x-amz-checksum-crc32,x-evil"})
        self.assertEqual(st, 204, body)
        self.assertEqual(h["access-control-allow-origin"], origin)
        self.assertIn("POST", h["access-control-allow-methods"])
        allow = [x.strip() for x in h["access-control-allow-headers"].split(",")]
        for name in ("authorization", "content-type", "x-amz-date", "x-amz-user-agent", "x-amz-target",
                     "x-amz-checksum-crc32"):
            self.assertIn(name, allow)
        self.assertEqual(len(allow), len(set(allow)))
        self.assertNotIn("x-evil", allow)
        # The real request from that page gets its answer and may read it.
        st, h, body = request(self.server, "POST", "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                              api_headers(Origin=origin))
        self.assertEqual(st, 200, body)
        self.assertEqual(h["access-control-allow-origin"], origin)
        self.assertIn("x-amzn-RequestId", h["access-control-expose-headers"])
        # A trailing slash or case difference in the list does not matter; another port does.
        st, _, _ = request(self.server, "OPTIONS", "/", None, {
            "Origin": "https://APP.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 204)
        st, h, body = request(self.server, "OPTIONS", "/_rdslocal/reset", None, {
            "Origin": "http://localhost:3001", "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 403, body)
        self.assertNotIn("access-control-allow-origin", h)


class VerifySignaturesTest(ApiTestCase):
    """Item 3: under verification, old, future and expired-presigned requests are refused;
    the secret comes from the environment (or a file), never argv."""

    @classmethod
    def setUpClass(cls):
        cls.server = tl.Server(no_engine=True, env={"RDSLOCAL_VERIFY_SIGNATURES": "s3cr3t"}).start()
        cls.rds = cls.server.client()

    def client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("rds", endpoint_url=self.server.endpoint, region_name="us-east-1",
                            aws_access_key_id="AKID", aws_secret_access_key="s3cr3t",
                            config=Config(retries={"max_attempts": 1}))

    def signed(self, when, secret="s3cr3t"):
        body = b"Action=DescribeDBInstances&Version=2014-10-31"
        req = AWSRequest(method="POST", url=self.server.endpoint + "/", data=body,
                         headers={"Content-Type": FORM})
        signer = botocore.auth.SigV4Auth(Credentials("AKID", secret), "rds", "us-east-1")
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when, create=True):
            signer.add_auth(req)
        h = dict(req.headers.items())
        return request(self.server, "POST", "/", body, h)

    def test_issue_7_fresh_signature_accepted(self):
        self.assertEqual(self.client().describe_db_instances()["DBInstances"], [])
        now = datetime.datetime.utcnow()
        st, _, body = self.signed(now - datetime.timedelta(minutes=10))
        self.assertEqual(st, 200, body)

    def test_issue_7_old_and_future_signatures_refused(self):
        st, _, body = self.signed(datetime.datetime(2020, 1, 1, 12, 0, 0))
        self.assertEqual(st, 403, body)
        code, msg = xml_code(body)
        self.assertEqual(code, "SignatureDoesNotMatch")
        self.assertRegex(msg, r"^Signature expired: 20200101T120000Z is now earlier than \d{8}T\d{6}Z "
                              r"\(\d{8}T\d{6}Z - 15 min\.\)$")
        st, _, body = self.signed(datetime.datetime(2099, 1, 1, 12, 0, 0))
        self.assertEqual(st, 403, body)
        code, msg = xml_code(body)
        self.assertEqual(code, "SignatureDoesNotMatch")
        self.assertRegex(msg, r"^Signature not yet current: 20990101T120000Z is still later than "
                              r"\d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$")
        st, _, body = self.signed(datetime.datetime.utcnow() - datetime.timedelta(minutes=20))
        self.assertEqual(st, 403, body)

    def test_issue_7_presigned_url_expires(self):
        c = self.client()
        url = c.generate_presigned_url("describe_db_instances", Params={}, ExpiresIn=1, HttpMethod="GET")
        later = c.generate_presigned_url("describe_db_instances", Params={}, ExpiresIn=600, HttpMethod="GET")
        u = urllib.parse.urlsplit(later)
        st, _, body = request(self.server, "GET", u.path + "?" + u.query, None, {})
        self.assertEqual(st, 200, body)
        time.sleep(2.1)
        u = urllib.parse.urlsplit(url)
        st, _, body = request(self.server, "GET", u.path + "?" + u.query, None, {})
        self.assertEqual(st, 403, body)
        self.assertEqual(xml_code(body), ("AccessDenied", "Request has expired"))

    def test_issue_7_secret_not_on_command_line(self):
        for args in (["--verify-signatures", "s3cr3t"], ["--verify-signatures=s3cr3t"]):
            p = subprocess.run([tl.BIN, "--no-engine", "--listen", "127.0.0.1:%d" % tl.free_port()] + args,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--verify-signatures-file", p.stderr)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("from-a-file\n")
        try:
            s = tl.Server("--verify-signatures-file", f.name, no_engine=True).start()
            try:
                st, _, body = raw(s, params=dict(V, Action="DescribeDBInstances"))
                self.assertEqual(st, 403, body)  # a fake signature is now checked
                self.assertIn("signatures=verified", s.read_log())
            finally:
                s.cleanup()
        finally:
            os.unlink(f.name)


class RequestShapeTest(ApiTestCase):
    """Item 11: methods, content types, log injection; --region."""
    server_args = ("--region", "eu-west-1")

    def test_issue_7_methods(self):
        for m in ("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"):
            st, h, body = request(self.server, m, "/?Action=DescribeDBInstances&Version=2014-10-31", None,
                                  api_headers())
            self.assertEqual(st, 405, (m, body))
            self.assertEqual(h.get("allow"), "GET, POST")
            if m != "HEAD":
                self.assertEqual(xml_code(body)[0], "MethodNotAllowed")
        st, _, body = request(self.server, "GET", "/?Action=DescribeDBInstances&Version=2014-10-31", None,
                              api_headers())
        self.assertEqual(st, 200, body)

    def test_issue_7_content_types(self):
        self.create("ct1")
        body = urllib.parse.urlencode(dict(V, Action="DeleteDBInstance", DBInstanceIdentifier="ct1",
                                           SkipFinalSnapshot="true")).encode()
        for ctype in ("text/plain", "application/json", "multipart/form-data; boundary=x", None):
            h = api_headers()
            if ctype:
                h["Content-Type"] = ctype
            else:
                del h["Content-Type"]
            st, _, text = request(self.server, "POST", "/", body, h)
            self.assertEqual(st, 415, (ctype, text))
            self.assertEqual(xml_code(text)[0], "UnsupportedMediaType")
        self.assertEqual(self.ids(), ["ct1"])
        for ctype in ("application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded;charset=UTF-8"):
            st, _, text = request(self.server, "POST", "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                                  api_headers(**{"Content-Type": ctype}))
            self.assertEqual(st, 200, (ctype, text))
        # JSON protocol (X-Amz-Target): its own content types, JSON errors.
        st, h, text = request(self.server, "POST", "/", b"{}",
                              api_headers(**{"Content-Type": "application/x-amz-json-1.1",
                                             "X-Amz-Target": "TrentService.ListKeys"}))
        self.assertEqual(st, 200, text)
        self.assertEqual(json.loads(text)["Keys"], [])
        st, h, text = request(self.server, "POST", "/", b"{}",
                              api_headers(**{"Content-Type": "application/x-amz-json-1.1",
                                             "X-Amz-Target": "TrentService.CreateGrant"}))
        self.assertEqual(st, 400, text)
        self.assertEqual(json.loads(text)["__type"], "UnknownOperationException")
        # botocore reads the JSON protocol's error code from this header too
        self.assertEqual(h.get("x-amzn-errortype"), "UnknownOperationException")
        st, h, text = request(self.server, "POST", "/", b"{}",
                              api_headers(**{"Content-Type": "text/plain", "X-Amz-Target": "TrentService.ListKeys"}))
        self.assertEqual(st, 415, text)
        self.assertIn("__type", json.loads(text))

    def test_issue_7_log_injection(self):
        evil = "Describe\nINJECTED status=200 \x1b[31m"
        st, _, body = raw(self.server, params=dict(V, Action=evil))
        self.assertEqual(st, 400, body)
        request(self.server, "GET", "/_rdslocal/no%0AFORGED%20status=200", None, {})
        log = self.server.read_log()
        self.assertNotIn("\nINJECTED", log)
        self.assertNotIn("\nFORGED", log)
        self.assertNotIn("\x1b", log)
        self.assertIn("action=Describe\\x0aINJECTED\\x20status=200\\x20\\x1b[31m", log)
        # the path is logged as sent (still percent-encoded, so it cannot break the line)
        self.assertIn("action=/_rdslocal/no%0AFORGED%20status=200 status=404", log)

    def test_issue_7_malformed_http(self):
        """libmicrohttpd answers these itself (its own short HTML page: 0.9.x offers no hook
        for the body); rdslocal survives, and what libmicrohttpd logs is one line of our
        log format per message, escaped."""
        host = b"Host: 127.0.0.1:%d\r\n" % self.server.port
        cases = [
            (b"POST / HTTP/1.1\r\n" + host + b"Content-Length: abc\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            (b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * 200000 + b"\r\n\r\n", 431),
            (b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n" + host + b"\r\n", 414),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        ]
        for data, status in cases:
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            try:
                s.sendall(data)
            except OSError:
                pass
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except OSError:
                pass
            s.close()
            self.assertTrue(out.startswith(b"HTTP/1.1 %d " % status), (status, out[:200]))
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        line = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) \[[a-z]+\] ")
        for l in self.server.read_log().splitlines():
            self.assertRegex(l, line)

    def test_issue_7_region_flag(self):
        # Requests without a credential scope are still refused, as on AWS...
        st, _, body = raw(self.server, params=dict(V, Action="DescribeDBInstances"), auth=False)
        self.assertEqual(st, 403, body)
        self.assertEqual(xml_code(body)[0], "MissingAuthenticationToken")
        # ...and the flag says it does nothing.
        self.assertIn("--region/RDSLOCAL_REGION is ignored", self.server.read_log())


class ConnectionsTest(ApiTestCase):
    """Item 8: thousands of idle connections do not lock other clients out."""

    def test_issue_7_idle_connections_do_not_lock_out(self):
        idle = []
        try:
            for _ in range(3000):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                s.sendall(b"P")  # one byte of a request line, then silence
                idle.append(s)
            t0 = time.time()
            self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
            self.assertLess(time.time() - t0, 5)
        finally:
            for s in idle:
                s.close()

    def test_issue_7_burst_of_requests_all_answered(self):
        n = 1000
        socks = []
        req = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: %s\r\nX-Amz-Date: %s\r\n"
               b"Authorization: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s")
        body = b"Action=DescribeDBInstances&Version=2014-10-31"
        raw_req = req % (self.server.port, FORM.encode(), time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()).encode(),
                         fake_auth().encode(), len(body), body)
        try:
            for _ in range(n):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
                s.sendall(raw_req)
                socks.append(s)
            ok = 0
            for s in socks:
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                ok += data.startswith(b"HTTP/1.1 200")
            self.assertEqual(ok, n)
        finally:
            for s in socks:
                s.close()


class ShutdownTest(ApiTestCase):
    """Item 7: on SIGTERM every create that was committed was answered, and vice versa."""
    server_args = ("--port-range", "30000-34999")  # room for a few thousand instances

    def test_issue_7_sigterm_drains_requests_in_flight(self):
        answered, lost = set(), set()
        lock = threading.Lock()
        stop = threading.Event()

        def client(k):
            i = 0
            conn = None
            while not stop.is_set():
                ident = "t%d-%d" % (k, i)
                i += 1
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                    conn.request("POST", "/", create_body(ident), api_headers())
                    r = conn.getresponse()
                    r.read()
                    if r.status == 200:
                        with lock:
                            answered.add(ident)
                    elif r.status == 503:
                        conn.close()
                        return
                    else:
                        raise AssertionError("status %d" % r.status)
                except (OSError, http.client.HTTPException):
                    with lock:
                        lost.add(ident)  # no answer: must not be committed
                    return

        threads = [threading.Thread(target=client, args=(k,)) for k in range(32)]
        for t in threads:
            t.start()
        tl.wait_for(lambda: len(answered) > 200, 30, what="creates under way")
        self.server.proc.send_signal(signal.SIGTERM)
        rc = self.server.proc.wait(60)
        stop.set()
        for t in threads:
            t.join(30)
        self.server.log.close()
        self.server.proc = None
        self.assertEqual(rc, 0)
        self.server.start()
        committed = set()
        marker = None
        while True:
            kw = {"Marker": marker} if marker else {}
            r = self.rds.describe_db_instances(MaxRecords=100, **kw)
            committed |= {d["DBInstanceIdentifier"] for d in r["DBInstances"]}
            marker = r.get("Marker")
            if not marker:
                break
        self.assertEqual(committed - answered, set(), "committed but never answered")
        self.assertEqual(answered - committed, set(), "answered but not committed")
        self.assertGreater(len(answered), 200)


if __name__ == "__main__":
    main()
