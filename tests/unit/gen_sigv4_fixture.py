#!/usr/bin/env python3
"""gen_sigv4_fixture.py: prints a request signed by botocore's own SigV4 signer, for the
constants in tests/unit/test_sigv4.c (test_sigv4__boto3_fixture). Reproducible: the signing
time is fixed, and the credentials are rdslocal's usual "test"/"test".

    python3 tests/unit/gen_sigv4_fixture.py
"""
import datetime
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

URL = "http://127.0.0.1:4566/"
BODY = b"Action=DescribeDBInstances&Version=2014-10-31"
FIXED = datetime.datetime(2026, 11, 27, 18, 30, 0)

req = AWSRequest(method="POST", url=URL, data=BODY, headers={
    # What botocore's query serializer sends for RDS.
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
})
signer = botocore.auth.SigV4Auth(Credentials("test", "test"), "rds", "us-east-1")
# botocore reads the clock through botocore.auth.get_current_datetime (older releases: datetime).
with mock.patch.object(botocore.auth, "get_current_datetime", return_value=FIXED, create=True):
    signer.add_auth(req)

print(f"# botocore {botocore.__version__}")
print(f"method: {req.method}")
print(f"url: {req.url}")
print(f"body: {BODY.decode()}")
# No Host header here: botocore signs the host of the URL, and urllib3 sends the same.
print(f"Host: {botocore.auth._host_from_url(req.url)}")
for name, value in req.headers.items():
    print(f"{name}: {value}")

# A presigned GET (query-string authentication), as generate_presigned_url would build it.
URL2 = "http://127.0.0.1:4566/?Action=DescribeDBInstances&Version=2014-10-31"
req2 = AWSRequest(method="GET", url=URL2)
qsigner = botocore.auth.SigV4QueryAuth(Credentials("test", "test"), "rds", "us-east-1", expires=900)
with mock.patch.object(botocore.auth, "get_current_datetime", return_value=FIXED, create=True):
    qsigner.add_auth(req2)
print()
print("presigned:")
print(f"method: {req2.method}")
print(f"url: {req2.url}")
print(f"Host: {botocore.auth._host_from_url(req2.url)}")
for name, value in req2.headers.items():
    print(f"{name}: {value}")
