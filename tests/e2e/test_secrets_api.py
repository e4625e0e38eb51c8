"""End-to-end Secrets Manager tests (API-only mode): boto3's secretsmanager client and the
AWS CLI (`aws secretsmanager ...`) against the real binary on the RDS port: every served
operation and its errors (code, HTTP status, message), version ids and staging labels,
values sealed under KMS (aws/secretsmanager by default, KmsKeyId honoured, a disabled key
refuses reads), ListSecrets filters and pagination, deletion with a recovery window ended
by rdslocal's clock, and secrets that survive a restart (SIGTERM and kill -9)."""
import base64
import json
import os
import sqlite3

from api_helpers import ApiTestCase, main

ACCOUNT = "000000000000"
ARN_RE = r"^arn:aws:secretsmanager:us-east-1:%s:secret:%s-[A-Za-z0-9]{6}$"


class SecretsApiTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sm = cls.server.client("secretsmanager")
        cls.kms = cls.server.client("kms")

    def stages(self, name):
        return self.sm.describe_secret(SecretId=name)["VersionIdsToStages"]

    def test_create_get_describe(self):
        r = self.sm.create_secret(Name="app/db", Description="db creds", SecretString='{"u":"a"}',
                                  Tags=[{"Key": "team", "Value": "db"}])
        self.assertRegex(r["ARN"], ARN_RE % (ACCOUNT, "app/db"))
        self.assertEqual(r["Name"], "app/db")
        v = self.sm.get_secret_value(SecretId="app/db")
        self.assertEqual(v["SecretString"], '{"u":"a"}')
        self.assertEqual(v["VersionId"], r["VersionId"])
        self.assertEqual(v["VersionStages"], ["AWSCURRENT"])
        self.assertEqual(v["ARN"], r["ARN"])
        d = self.sm.describe_secret(SecretId=r["ARN"])
        self.assertEqual(d["Description"], "db creds")
        self.assertEqual(d["Tags"], [{"Key": "team", "Value": "db"}])
        self.assertEqual(d["VersionIdsToStages"], {r["VersionId"]: ["AWSCURRENT"]})
        self.assertNotIn("KmsKeyId", d)  # the default key is not shown
        self.assertNotIn("OwningService", d)
        self.assertFalse(d["RotationEnabled"])
        self.assertIn("LastAccessedDate", d)
        # partial ARN (without the random suffix) names it too
        partial = r["ARN"][:-7]
        self.assertEqual(self.sm.get_secret_value(SecretId=partial)["Name"], "app/db")
        # the default key is aws/secretsmanager, created on first use
        aliases = [a["AliasName"] for a in self.kms.list_aliases()["Aliases"]]
        self.assertIn("alias/aws/secretsmanager", aliases)

    def test_values_are_stored_encrypted(self):
        self.sm.create_secret(Name="plain-check", SecretString="needle-in-the-store-123")
        db = os.path.join(self.server.state_dir, "rdslocal.db")
        found = False
        con = sqlite3.connect(db)
        try:
            for (blob,) in con.execute("select blob from secret_version"):
                found = True
                self.assertNotIn(b"needle-in-the-store".hex(), blob)
        finally:
            con.close()
        self.assertTrue(found)

    def test_binary_and_no_value(self):
        r = self.sm.create_secret(Name="bin", SecretBinary=b"\x00\x01binary")
        v = self.sm.get_secret_value(SecretId="bin")
        self.assertEqual(v["SecretBinary"], b"\x00\x01binary")
        self.assertNotIn("SecretString", v)
        r = self.sm.create_secret(Name="empty")
        self.assertNotIn("VersionId", r)
        self.assertError(self.sm.get_secret_value, "ResourceNotFoundException",
                         message="Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
                         SecretId="empty")
        self.assertError(self.sm.create_secret, "InvalidParameterException",
                         message="You can't specify both a binary secret value and a string secret value in the "
                                 "same secret.",
                         Name="both", SecretString="a", SecretBinary=b"b")

    def test_create_errors(self):
        self.sm.create_secret(Name="dup", SecretString="a")
        self.assertError(self.sm.create_secret, "ResourceExistsException",
                         message="The operation failed because the secret dup already exists.",
                         Name="dup", SecretString="b")
        self.sm.delete_secret(SecretId="dup")
        self.assertError(self.sm.create_secret, "InvalidRequestException",
                         message="You can't create this secret because a secret with this name is already "
                                 "scheduled for deletion.",
                         Name="dup", SecretString="b")
        self.assertError(self.sm.get_secret_value, "ResourceNotFoundException",
                         message="Secrets Manager can't find the specified secret.", SecretId="nope")
        self.assertError(self.sm.describe_secret, "ResourceNotFoundException", SecretId="nope")
        # a name longer than the model allows is the JSON protocol's validation error
        self.assertError(self.sm.create_secret, "ValidationException", Name="n" * 600, SecretString="x")

    def test_versions_and_stages(self):
        v1 = self.sm.create_secret(Name="s", SecretString="one")["VersionId"]
        p = self.sm.put_secret_value(SecretId="s", SecretString="two")
        v2 = p["VersionId"]
        self.assertEqual(p["VersionStages"], ["AWSCURRENT"])
        self.assertEqual(self.stages("s"), {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]})
        v3 = self.sm.put_secret_value(SecretId="s", SecretString="three")["VersionId"]
        # the oldest lost its last label and is gone
        self.assertEqual(self.stages("s"), {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]})
        self.assertEqual(self.sm.get_secret_value(SecretId="s", VersionStage="AWSPREVIOUS")["SecretString"], "two")
        self.assertEqual(self.sm.get_secret_value(SecretId="s", VersionId=v2)["SecretString"], "two")
        self.assertError(self.sm.get_secret_value, "ResourceNotFoundException", SecretId="s", VersionId=v1)
        # AWSPENDING: a staged version that is not yet current
        pend = self.sm.put_secret_value(SecretId="s", SecretString="four", VersionStages=["AWSPENDING"])
        self.assertEqual(pend["VersionStages"], ["AWSPENDING"])
        self.assertEqual(self.sm.get_secret_value(SecretId="s")["SecretString"], "three")
        self.assertEqual(self.sm.get_secret_value(SecretId="s", VersionStage="AWSPENDING")["SecretString"], "four")
        # move AWSCURRENT to the pending version: it needs RemoveFromVersionId
        e = self.assertError(self.sm.update_secret_version_stage, "InvalidParameterException",
                             SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId=pend["VersionId"])
        self.assertIn(v3, e["Error"]["Message"])
        self.sm.update_secret_version_stage(SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId=pend["VersionId"],
                                            RemoveFromVersionId=v3)
        self.sm.update_secret_version_stage(SecretId="s", VersionStage="AWSPENDING",
                                            RemoveFromVersionId=pend["VersionId"])
        self.assertEqual(self.stages("s"), {v3: ["AWSPREVIOUS"], pend["VersionId"]: ["AWSCURRENT"]})
        self.assertEqual(self.sm.get_secret_value(SecretId="s")["SecretString"], "four")
        ids = [v["VersionId"] for v in self.sm.list_secret_version_ids(SecretId="s")["Versions"]]
        self.assertEqual(sorted(ids), sorted([v3, pend["VersionId"]]))

    def test_client_request_token_is_idempotent(self):
        tok = "11111111-2222-3333-4444-555555555555"
        self.sm.create_secret(Name="t", SecretString="a")
        a = self.sm.put_secret_value(SecretId="t", SecretString="b", ClientRequestToken=tok)
        self.assertEqual(a["VersionId"], tok)
        b = self.sm.put_secret_value(SecretId="t", SecretString="b", ClientRequestToken=tok)
        self.assertEqual(b["VersionId"], tok)
        self.assertEqual(len(self.stages("t")), 2)
        self.assertError(self.sm.put_secret_value, "ResourceExistsException",
                         message="You can't modify an existing version, you can only create a new version.",
                         SecretId="t", SecretString="c", ClientRequestToken=tok)
        # a retried CreateSecret (same token, same value) gets the same answer; another value does not
        tok2 = "22222222-2222-3333-4444-555555555555"
        first = self.sm.create_secret(Name="t2", SecretString="x", ClientRequestToken=tok2)
        again = self.sm.create_secret(Name="t2", SecretString="x", ClientRequestToken=tok2)
        self.assertEqual((again["ARN"], again["VersionId"]), (first["ARN"], tok2))
        self.assertError(self.sm.create_secret, "ResourceExistsException", Name="t2", SecretString="y",
                         ClientRequestToken=tok2)

    def test_update_secret(self):
        self.sm.create_secret(Name="u", SecretString="a")
        r = self.sm.update_secret(SecretId="u", Description="new")
        self.assertNotIn("VersionId", r)
        self.assertEqual(self.sm.describe_secret(SecretId="u")["Description"], "new")
        r = self.sm.update_secret(SecretId="u", SecretString="b")
        self.assertEqual(self.sm.get_secret_value(SecretId="u")["VersionId"], r["VersionId"])
        self.assertError(self.sm.put_secret_value, "InvalidRequestException", SecretId="u")

    def test_kms_key_honoured_and_disabled_key_refuses_reads(self):
        k = self.kms.create_key()["KeyMetadata"]
        self.sm.create_secret(Name="k", SecretString="sealed", KmsKeyId=k["Arn"])
        self.assertEqual(self.sm.describe_secret(SecretId="k")["KmsKeyId"], k["Arn"])
        self.kms.disable_key(KeyId=k["KeyId"])
        self.assertError(self.sm.get_secret_value, "DecryptionFailure", SecretId="k")
        self.assertError(self.sm.put_secret_value, "EncryptionFailure", SecretId="k", SecretString="x")
        self.kms.enable_key(KeyId=k["KeyId"])
        self.assertEqual(self.sm.get_secret_value(SecretId="k")["SecretString"], "sealed")
        self.assertError(self.sm.create_secret, "EncryptionFailure", contains="does not exist", Name="k2",
                         SecretString="x", KmsKeyId="11111111-2222-3333-4444-555555555555")
        self.assertError(self.sm.describe_secret, "ResourceNotFoundException", SecretId="k2")

    def test_list_filters_and_pagination(self):
        for i in range(5):
            self.sm.create_secret(Name="app/s%d" % i, SecretString="v", Description="d%d" % i,
                                  Tags=[{"Key": "env", "Value": "prod" if i % 2 else "dev"}])
        self.sm.create_secret(Name="other", SecretString="v")
        names = [s["Name"] for s in self.sm.list_secrets()["SecretList"]]
        self.assertEqual(names, ["app/s0", "app/s1", "app/s2", "app/s3", "app/s4", "other"])
        page = self.sm.list_secrets(MaxResults=2)
        got = [s["Name"] for s in page["SecretList"]]
        while "NextToken" in page:
            page = self.sm.list_secrets(MaxResults=2, NextToken=page["NextToken"])
            got += [s["Name"] for s in page["SecretList"]]
        self.assertEqual(got, names)
        f = lambda *flt: [s["Name"] for s in self.sm.list_secrets(Filters=list(flt))["SecretList"]]
        self.assertEqual(f({"Key": "name", "Values": ["app/"]}), names[:5])
        self.assertEqual(f({"Key": "tag-value", "Values": ["prod"]}), ["app/s1", "app/s3"])
        self.assertEqual(f({"Key": "name", "Values": ["!app/"]}), ["other"])
        self.assertEqual(f({"Key": "description", "Values": ["d4"]}), ["app/s4"])
        self.assertEqual(f({"Key": "tag-key", "Values": ["env"]}, {"Key": "tag-value", "Values": ["dev"]}),
                         ["app/s0", "app/s2", "app/s4"])
        self.assertEqual([s["Name"] for s in self.sm.list_secrets(SortOrder="desc")["SecretList"]][0], "other")
        entry = self.sm.list_secrets(Filters=[{"Key": "name", "Values": ["other"]}])["SecretList"][0]
        self.assertIn("SecretVersionsToStages", entry)
        self.assertError(self.sm.list_secrets, "InvalidNextTokenException", NextToken="garbage")
        self.assertError(self.sm.list_secrets, "ValidationException", Filters=[{"Key": "colour", "Values": ["x"]}])

    def test_delete_restore_and_clock(self):
        self.sm.create_secret(Name="d", SecretString="v")
        self.assertError(self.sm.delete_secret, "InvalidParameterException",
                         message="You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
                         SecretId="d", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
        self.assertError(self.sm.delete_secret, "InvalidParameterException",
                         message="The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
                         SecretId="d", RecoveryWindowInDays=6)
        r = self.sm.delete_secret(SecretId="d", RecoveryWindowInDays=7)
        created = self.sm.describe_secret(SecretId="d")["CreatedDate"]
        self.assertAlmostEqual((r["DeletionDate"] - created).total_seconds(), 7 * 86400, delta=60)
        self.assertError(self.sm.get_secret_value, "InvalidRequestException",
                         message="You can't perform this operation on the secret because it was marked for deletion.",
                         SecretId="d")
        self.assertEqual(self.sm.list_secrets()["SecretList"], [])
        self.assertEqual(len(self.sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]), 1)
        self.sm.restore_secret(SecretId="d")
        self.assertEqual(self.sm.get_secret_value(SecretId="d")["SecretString"], "v")
        self.sm.delete_secret(SecretId="d")  # default window: 30 days
        self.advance(29 * 86400)
        self.assertEqual(len(self.sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]), 1)
        self.advance(2 * 86400)
        self.assertError(self.sm.describe_secret, "ResourceNotFoundException", SecretId="d")
        self.sm.create_secret(Name="d", SecretString="again")  # the name is free again
        self.sm.delete_secret(SecretId="d", ForceDeleteWithoutRecovery=True)
        self.assertError(self.sm.describe_secret, "ResourceNotFoundException", SecretId="d")

    def test_rotate_without_lambda(self):
        self.sm.create_secret(Name="r", SecretString="v")
        self.assertError(self.sm.rotate_secret, "InvalidRequestException",
                         message="You tried to enable rotation on a secret that doesn't already have a Lambda "
                                 "function ARN configured and you didn't include such an ARN as a parameter in this "
                                 "call.",
                         SecretId="r")
        self.assertError(self.sm.rotate_secret, "AccessDeniedException", SecretId="r",
                         RotationLambdaARN="arn:aws:lambda:us-east-1:%s:function:rot" % ACCOUNT)
        self.assertFalse(self.sm.describe_secret(SecretId="r")["RotationEnabled"])

    def test_tags(self):
        self.sm.create_secret(Name="tg", SecretString="v")
        self.sm.tag_resource(SecretId="tg", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        self.sm.untag_resource(SecretId="tg", TagKeys=["a"])
        self.assertEqual(self.sm.describe_secret(SecretId="tg")["Tags"], [{"Key": "b", "Value": "2"}])
        self.assertError(self.sm.tag_resource, "ResourceNotFoundException", SecretId="none",
                         Tags=[{"Key": "a", "Value": "1"}])

    def test_random_password(self):
        pw = self.sm.get_random_password()["RandomPassword"]
        self.assertEqual(len(pw), 32)
        pw = self.sm.get_random_password(PasswordLength=20, ExcludePunctuation=True, ExcludeCharacters="abc")
        pw = pw["RandomPassword"]
        self.assertEqual(len(pw), 20)
        self.assertTrue(pw.isalnum())
        self.assertFalse(set(pw) & set("abc"))

    def test_aws_cli(self):
        _, out, _ = self.server.cli("secretsmanager", "create-secret", "--name", "cli/s",
                                    "--secret-string", json.dumps({"k": "v"}))
        self.assertRegex(out["ARN"], ARN_RE % (ACCOUNT, "cli/s"))
        _, got, _ = self.server.cli("secretsmanager", "get-secret-value", "--secret-id", "cli/s")
        self.assertEqual(json.loads(got["SecretString"]), {"k": "v"})
        self.server.cli("secretsmanager", "put-secret-value", "--secret-id", "cli/s", "--secret-string", "v2")
        _, lst, _ = self.server.cli("secretsmanager", "list-secrets")
        self.assertEqual([s["Name"] for s in lst["SecretList"]], ["cli/s"])
        rc, _, err = self.server.cli("secretsmanager", "describe-secret", "--secret-id", "nope", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", err)
        _, dl, _ = self.server.cli("secretsmanager", "delete-secret", "--secret-id", "cli/s",
                                   "--force-delete-without-recovery")
        self.assertEqual(dl["Name"], "cli/s")

    def test_regions_are_separate(self):
        self.sm.create_secret(Name="where", SecretString="east")
        west = self.server.client("secretsmanager", region="eu-west-1")
        self.assertError(west.get_secret_value, "ResourceNotFoundException", SecretId="where")
        self.assertRegex(west.create_secret(Name="where", SecretString="west")["ARN"],
                         r"^arn:aws:secretsmanager:eu-west-1:")


class SecretsRestartTest(ApiTestCase):
    """Secrets, their versions and scheduled deletions survive a restart, clean or not."""

    def test_restart(self):
        sm = self.server.client("secretsmanager")
        sm.create_secret(Name="keep", SecretString="one")
        sm.put_secret_value(SecretId="keep", SecretString="two")
        sm.create_secret(Name="going", SecretString="x")
        sm.delete_secret(SecretId="going")
        for stop in (self.server.stop, self.server.kill9):
            stop()
            self.server.start()
            sm = self.server.client("secretsmanager")
            self.assertEqual(sm.get_secret_value(SecretId="keep")["SecretString"], "two")
            self.assertEqual(sm.get_secret_value(SecretId="keep", VersionStage="AWSPREVIOUS")["SecretString"], "one")
            self.assertIn("DeletedDate", sm.describe_secret(SecretId="going"))


if __name__ == "__main__":
    main()
