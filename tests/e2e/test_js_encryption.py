"""The encryption lesson through the AWS SDK for JavaScript v3 (issue 8 part 7): a plain
instance with rows -> CreateDBSnapshot (+ the SDK's waitUntilDBSnapshotAvailable) ->
CopyDBSnapshot with a customer key named by its alias -> RestoreDBInstanceFromDBSnapshot
(+ waitUntilDBInstanceAvailable). The restored instance is encrypted with that key and psql
reads the same rows; the original stays unencrypted; after DisableKey the SDK sees
KMSKeyNotAccessibleFault on a copy and on an encrypted create, and the restored instance
goes to inaccessible-encryption-credentials-recoverable with its server stopped. The SDK clients get the
endpoint from AWS_ENDPOINT_URL (tests/js/encryption_lesson.js); needs tests/js/node_modules
(sh scripts/install-deps.sh --packaging, which the README's test command runs)."""
import json
import os
import shutil
import subprocess

import rdslocal_testlib as tl

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "js")


class JsEncryptionLesson(tl.PgTestCase):
    def setUp(self):
        super().setUp()
        self.node = shutil.which("node")
        if not self.node or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-kms")):
            if os.environ.get("CI") == "true":
                self.fail("node or tests/js/node_modules missing (sh scripts/install-deps.sh --packaging)")
            self.skipTest("node or tests/js/node_modules missing")

    def js(self, env, mode):
        p = subprocess.run([self.node, os.path.join(JS_DIR, "encryption_lesson.js"), "jsplain", "jsenc", mode],
                           env=env, capture_output=True, text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr + self.server.read_log()[-2000:])
        return json.loads(p.stdout)

    def test_lesson_with_the_js_sdk(self):
        d = self.create("jsplain", DBName="appdb")
        self.sql(d, "create table t (n int); insert into t select generate_series(1, 250)", db="appdb")
        env = dict(os.environ, AWS_ENDPOINT_URL=self.server.endpoint, AWS_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
        out = self.js(env, "lesson")

        self.assertTrue(out["snapshot"]["Encrypted"])
        self.assertEqual(out["snapshot"]["KmsKeyId"], out["keyArn"])
        r = out["restored"]
        self.assertEqual((r["DBInstanceStatus"], r["StorageEncrypted"], r["KmsKeyId"]),
                         ("available", True, out["keyArn"]))
        self.assertEqual(self.sql(r, "select count(*), sum(n) from t", db="appdb"), "250|31375")
        self.assertFalse(tl.describe_one(self.rds, "jsplain")["StorageEncrypted"])

        out = self.js(env, "disable")
        self.assertEqual(out["restored"]["DBInstanceStatus"], "inaccessible-encryption-credentials-recoverable")
        ep = r["Endpoint"]
        rc, _, _ = tl.psql(ep["Port"], "app", "S3cret-pass", "select 1", db="appdb", host=ep["Address"])
        self.assertNotEqual(rc, 0, "the server of an instance whose key is disabled still answers")
        self.assertEqual(out["copyWithDisabledKey"], "KMSKeyNotAccessibleFault")
        self.assertEqual(out["createWithDisabledKey"], "KMSKeyNotAccessibleFault")
        # The refusals changed nothing.
        ids = [s["DBSnapshotIdentifier"]
               for s in self.rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]]
        self.assertEqual(sorted(ids), ["jsplain-enc", "jsplain-plain"])
        self.assertEqual(sorted(i["DBInstanceIdentifier"] for i in self.rds.describe_db_instances()["DBInstances"]),
                         ["jsenc", "jsplain"])


if __name__ == "__main__":
    tl.main()
