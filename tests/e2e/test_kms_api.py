"""End-to-end KMS API tests (API-only mode): boto3's kms client and the AWS CLI against the
real binary: every served operation, KMS's errors (code, HTTP status, x-amzn-ErrorType),
key references (id, ARN, alias, alias ARN), per-region keys, blobs that name their key,
encryption context, ScheduleKeyDeletion ended by rdslocal's clock, and keys that survive a
restart (SIGTERM and kill -9)."""
import base64
import datetime
import json
import os
import tempfile

from botocore.exceptions import ClientError

from api_helpers import ApiTestCase, main
import rdslocal_testlib as tl

ACCOUNT = "000000000000"


class KmsApiTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kms = cls.server.client("kms")

    def key(self, **kw):
        return self.kms.create_key(**kw)["KeyMetadata"]

    def test_create_describe_list(self):
        m = self.key(Description="app key", Tags=[{"TagKey": "team", "TagValue": "db"}])
        self.assertRegex(m["KeyId"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertEqual(m["Arn"], "arn:aws:kms:us-east-1:%s:key/%s" % (ACCOUNT, m["KeyId"]))
        self.assertEqual(m["AWSAccountId"], ACCOUNT)
        self.assertEqual(m["KeyState"], "Enabled")
        self.assertTrue(m["Enabled"])
        self.assertEqual(m["KeySpec"], "SYMMETRIC_DEFAULT")
        self.assertEqual(m["KeyUsage"], "ENCRYPT_DECRYPT")
        self.assertEqual(m["KeyManager"], "CUSTOMER")
        self.assertEqual(m["Origin"], "AWS_KMS")
        self.assertEqual(m["EncryptionAlgorithms"], ["SYMMETRIC_DEFAULT"])
        self.assertIsInstance(m["CreationDate"], datetime.datetime)
        d = self.kms.describe_key(KeyId=m["Arn"])["KeyMetadata"]
        self.assertEqual(d["Description"], "app key")
        keys = self.kms.list_keys()["Keys"]
        self.assertEqual(keys, [{"KeyId": m["KeyId"], "KeyArn": m["Arn"]}])
        self.assertEqual(self.kms.list_resource_tags(KeyId=m["KeyId"])["Tags"],
                         [{"TagKey": "team", "TagValue": "db"}])
        # keys are per region
        self.assertEqual(self.server.client("kms", region="eu-west-1").list_keys()["Keys"], [])
        self.assertError(self.server.client("kms", region="eu-west-1").describe_key, "NotFoundException",
                         KeyId=m["KeyId"])

    def test_list_keys_pagination(self):
        ids = sorted(self.key()["KeyId"] for _ in range(5))
        page = self.kms.list_keys(Limit=2)
        self.assertTrue(page["Truncated"])
        got = [k["KeyId"] for k in page["Keys"]]
        while page.get("Truncated"):
            page = self.kms.list_keys(Limit=2, Marker=page["NextMarker"])
            got += [k["KeyId"] for k in page["Keys"]]
        self.assertEqual(got, ids)

    def test_other_key_specs_refused(self):
        self.assertError(self.kms.create_key, "UnsupportedOperationException", KeySpec="RSA_2048")
        # a spec the model has (newer than the RSA/ECC ones) is the same refusal, never a
        # validation error; a value outside the model is ValidationException
        self.assertError(self.kms.create_key, "UnsupportedOperationException", KeySpec="ML_DSA_44")
        self.assertError(self.kms.create_key, "ValidationException", KeySpec="AES")
        self.assertError(self.kms.create_key, "ValidationException", KeyUsage="SIGN_VERIFY")
        self.assertError(self.kms.create_key, "ValidationException", Description="d" * 8193)
        self.assertEqual(self.kms.list_keys()["Keys"], [])

    def test_not_found_errors(self):
        missing = "11111111-2222-3333-4444-555555555555"
        e = self.assertError(self.kms.describe_key, "NotFoundException", KeyId=missing)
        self.assertEqual(e["Error"]["Message"],
                         "Key 'arn:aws:kms:us-east-1:%s:key/%s' does not exist" % (ACCOUNT, missing))
        self.assertEqual(e["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"], "NotFoundException")
        e = self.assertError(self.kms.describe_key, "NotFoundException", KeyId="alias/none")
        self.assertEqual(e["Error"]["Message"],
                         "Alias 'arn:aws:kms:us-east-1:%s:alias/none' is not found." % ACCOUNT)
        self.assertError(self.kms.describe_key, "NotFoundException", KeyId="junk")
        self.assertError(self.kms.encrypt, "NotFoundException", KeyId=missing, Plaintext=b"x")

    def test_aliases(self):
        a, b = self.key(), self.key()
        self.kms.create_alias(AliasName="alias/app", TargetKeyId=a["KeyId"])
        self.kms.create_alias(AliasName="alias/other", TargetKeyId=b["Arn"])
        for ref in (a["KeyId"], a["Arn"], "alias/app", "arn:aws:kms:us-east-1:%s:alias/app" % ACCOUNT):
            self.assertEqual(self.kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"], a["KeyId"])
        aliases = self.kms.list_aliases()["Aliases"]
        self.assertEqual([x["AliasName"] for x in aliases], ["alias/app", "alias/other"])
        first = self.kms.list_aliases(Limit=1)
        self.assertTrue(first["Truncated"])
        self.assertEqual([x["AliasName"] for x in first["Aliases"]], ["alias/app"])
        rest = self.kms.list_aliases(Limit=1, Marker=first["NextMarker"])
        self.assertEqual([x["AliasName"] for x in rest["Aliases"]], ["alias/other"])
        self.assertFalse(rest["Truncated"])
        self.assertNotIn("NextMarker", rest)
        self.assertEqual(aliases[0]["AliasArn"], "arn:aws:kms:us-east-1:%s:alias/app" % ACCOUNT)
        self.assertEqual(aliases[0]["TargetKeyId"], a["KeyId"])
        self.assertEqual([x["AliasName"] for x in self.kms.list_aliases(KeyId=b["KeyId"])["Aliases"]],
                         ["alias/other"])
        self.assertError(self.kms.create_alias, "AlreadyExistsException", AliasName="alias/app",
                         TargetKeyId=b["KeyId"])
        self.assertError(self.kms.create_alias, "InvalidAliasNameException", AliasName="alias/aws/mine",
                         TargetKeyId=b["KeyId"])
        self.assertError(self.kms.create_alias, "ValidationException", AliasName="alias/" + "n" * 251,
                         TargetKeyId=b["KeyId"])
        # the operations that manage a key take its id or ARN, not an alias
        for fn in (self.kms.disable_key, self.kms.get_key_rotation_status, self.kms.list_resource_tags):
            self.assertError(fn, "NotFoundException", KeyId="alias/app")
        self.assertEqual(self.kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyState"], "Enabled")
        # an alias targets a key (id or ARN), never another alias
        self.assertError(self.kms.update_alias, "ValidationException", AliasName="alias/app",
                         TargetKeyId="alias/other")
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 60})
        self.kms.update_alias(AliasName="alias/app", TargetKeyId=b["KeyId"])
        self.assertEqual(self.kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"], b["KeyId"])
        # UpdateAlias moves LastUpdatedDate, never CreationDate
        moved = self.kms.list_aliases()["Aliases"][0]
        self.assertEqual(moved["CreationDate"], aliases[0]["CreationDate"])
        self.assertGreaterEqual((moved["LastUpdatedDate"] - aliases[0]["LastUpdatedDate"]).total_seconds(), 59)
        self.kms.delete_alias(AliasName="alias/app")
        self.assertError(self.kms.describe_key, "NotFoundException", KeyId="alias/app")
        self.assertError(self.kms.delete_alias, "NotFoundException", AliasName="alias/app")
        self.assertError(self.kms.update_alias, "NotFoundException", AliasName="alias/app",
                         TargetKeyId=b["KeyId"])

    def test_managed_key_on_first_use(self):
        self.assertEqual(self.kms.list_aliases()["Aliases"], [])
        m = self.kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]
        self.assertEqual(m["KeyManager"], "AWS")
        self.assertEqual(m["Description"],
                         "Default key that protects my RDS database volumes when no other key is defined")
        self.assertEqual(self.kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["KeyId"], m["KeyId"])
        self.assertEqual([a["AliasName"] for a in self.kms.list_aliases()["Aliases"]], ["alias/aws/rds"])
        # AWS managed keys are AWS's to manage
        e = self.assertError(self.kms.disable_key, "AccessDeniedException", KeyId=m["KeyId"])
        self.assertIn("not authorized to perform: kms:DisableKey", e["Error"]["Message"])
        self.assertError(self.kms.schedule_key_deletion, "AccessDeniedException", KeyId=m["Arn"])
        self.assertEqual(self.kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"]["KeyState"], "Enabled")
        # AWS rotates its managed keys every year: their rotation status is always true
        r = self.kms.get_key_rotation_status(KeyId=m["KeyId"])
        self.assertTrue(r["KeyRotationEnabled"])
        self.assertEqual(r["RotationPeriodInDays"], 365)
        self.assertError(self.kms.disable_key_rotation, "AccessDeniedException", KeyId=m["KeyId"])

    def test_encrypt_decrypt_reencrypt(self):
        a, b = self.key(), self.key()
        self.kms.create_alias(AliasName="alias/a", TargetKeyId=a["KeyId"])
        ctx = {"purpose": "test", "user": "me"}
        enc = self.kms.encrypt(KeyId="alias/a", Plaintext=b"secret\x00bytes", EncryptionContext=ctx)
        self.assertEqual(enc["KeyId"], a["Arn"])
        self.assertEqual(enc["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        blob = enc["CiphertextBlob"]
        dec = self.kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)  # no KeyId needed
        self.assertEqual(dec["Plaintext"], b"secret\x00bytes")
        self.assertEqual(dec["KeyId"], a["Arn"])
        self.assertError(self.kms.decrypt, "InvalidCiphertextException", CiphertextBlob=blob)
        self.assertError(self.kms.decrypt, "InvalidCiphertextException", CiphertextBlob=blob,
                         EncryptionContext={"purpose": "other", "user": "me"})
        self.assertError(self.kms.decrypt, "IncorrectKeyException", CiphertextBlob=blob, EncryptionContext=ctx,
                         KeyId=b["KeyId"])
        tampered = bytearray(blob)
        tampered[-3] ^= 1
        self.assertError(self.kms.decrypt, "InvalidCiphertextException", CiphertextBlob=bytes(tampered),
                         EncryptionContext=ctx)
        self.assertError(self.kms.decrypt, "InvalidCiphertextException", CiphertextBlob=b"not a blob at all" * 4)
        re = self.kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=ctx, DestinationKeyId=b["Arn"])
        self.assertEqual(re["SourceKeyId"], a["Arn"])
        self.assertEqual(re["KeyId"], b["Arn"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"], b"secret\x00bytes")
        self.assertError(self.kms.encrypt, "ValidationException", KeyId=a["KeyId"], Plaintext=b"x" * 4097)
        # a symmetric key knows one algorithm; an asymmetric one is the wrong key usage
        self.assertError(self.kms.encrypt, "InvalidKeyUsageException", KeyId=a["KeyId"], Plaintext=b"p",
                         EncryptionAlgorithm="RSAES_OAEP_SHA_256")
        self.assertError(self.kms.decrypt, "InvalidKeyUsageException", CiphertextBlob=blob, EncryptionContext=ctx,
                         EncryptionAlgorithm="RSAES_OAEP_SHA_1")
        self.assertError(self.kms.re_encrypt, "InvalidKeyUsageException", CiphertextBlob=blob,
                         SourceEncryptionContext=ctx, DestinationKeyId=b["Arn"],
                         DestinationEncryptionAlgorithm="SM2PKE")

    def test_generate_data_key(self):
        a = self.key()
        g = self.kms.generate_data_key(KeyId=a["KeyId"], KeySpec="AES_256")
        self.assertEqual(len(g["Plaintext"]), 32)
        self.assertEqual(self.kms.decrypt(CiphertextBlob=g["CiphertextBlob"])["Plaintext"], g["Plaintext"])
        self.assertEqual(len(self.kms.generate_data_key(KeyId=a["KeyId"], KeySpec="AES_128")["Plaintext"]), 16)
        self.assertEqual(len(self.kms.generate_data_key(KeyId=a["KeyId"], NumberOfBytes=7)["Plaintext"]), 7)
        w = self.kms.generate_data_key_without_plaintext(KeyId=a["Arn"], KeySpec="AES_256",
                                                         EncryptionContext={"k": "v"})
        self.assertNotIn("Plaintext", w)
        self.assertEqual(len(self.kms.decrypt(CiphertextBlob=w["CiphertextBlob"],
                                              EncryptionContext={"k": "v"})["Plaintext"]), 32)
        self.assertError(self.kms.generate_data_key, "ValidationException", KeyId=a["KeyId"])
        self.assertError(self.kms.generate_data_key, "ValidationException", KeyId=a["KeyId"], KeySpec="AES_256",
                         NumberOfBytes=32)

    def test_disable_enable(self):
        a = self.key()
        blob = self.kms.encrypt(KeyId=a["KeyId"], Plaintext=b"p")["CiphertextBlob"]
        self.kms.disable_key(KeyId=a["KeyId"])
        d = self.kms.describe_key(KeyId=a["KeyId"])["KeyMetadata"]
        self.assertEqual((d["KeyState"], d["Enabled"]), ("Disabled", False))
        e = self.assertError(self.kms.encrypt, "DisabledException", KeyId=a["KeyId"], Plaintext=b"p")
        self.assertEqual(e["Error"]["Message"], "%s is disabled." % a["Arn"])
        self.assertError(self.kms.decrypt, "DisabledException", CiphertextBlob=blob)
        self.assertError(self.kms.generate_data_key, "DisabledException", KeyId=a["KeyId"], KeySpec="AES_256")
        self.kms.enable_key(KeyId=a["KeyId"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"p")

    def test_schedule_and_cancel_deletion(self):
        a = self.key()
        self.assertError(self.kms.schedule_key_deletion, "ValidationException", KeyId=a["KeyId"],
                         PendingWindowInDays=6)
        self.assertError(self.kms.schedule_key_deletion, "ValidationException", KeyId=a["KeyId"],
                         PendingWindowInDays=31)
        r = self.kms.schedule_key_deletion(KeyId=a["KeyId"])
        self.assertEqual(r["KeyId"], a["Arn"])
        self.assertEqual(r["KeyState"], "PendingDeletion")
        self.assertEqual(r["PendingWindowInDays"], 30)
        d = self.kms.describe_key(KeyId=a["KeyId"])["KeyMetadata"]
        self.assertEqual(d["KeyState"], "PendingDeletion")
        self.assertEqual(d["DeletionDate"], r["DeletionDate"])
        delta = r["DeletionDate"] - d["CreationDate"]
        self.assertTrue(29.9 < delta.total_seconds() / 86400 < 30.1, delta)
        e = self.assertError(self.kms.encrypt, "KMSInvalidStateException", KeyId=a["KeyId"], Plaintext=b"p")
        self.assertEqual(e["Error"]["Message"], "%s is pending deletion." % a["Arn"])
        self.assertError(self.kms.enable_key, "KMSInvalidStateException", KeyId=a["KeyId"])
        self.assertError(self.kms.disable_key, "KMSInvalidStateException", KeyId=a["KeyId"])
        self.assertError(self.kms.schedule_key_deletion, "KMSInvalidStateException", KeyId=a["KeyId"])
        self.assertError(self.kms.tag_resource, "KMSInvalidStateException", KeyId=a["KeyId"],
                         Tags=[{"TagKey": "a", "TagValue": "b"}])
        self.assertEqual(self.kms.cancel_key_deletion(KeyId=a["KeyId"])["KeyId"], a["Arn"])
        self.assertEqual(self.kms.describe_key(KeyId=a["KeyId"])["KeyMetadata"]["KeyState"], "Disabled")
        self.assertError(self.kms.cancel_key_deletion, "KMSInvalidStateException", KeyId=a["KeyId"])

    def test_deletion_when_the_period_ends(self):
        a, b = self.key(), self.key()
        self.kms.create_alias(AliasName="alias/gone", TargetKeyId=a["KeyId"])
        self.kms.schedule_key_deletion(KeyId=a["KeyId"], PendingWindowInDays=7)
        self.advance(6 * 86400)
        self.assertEqual(self.kms.describe_key(KeyId=a["KeyId"])["KeyMetadata"]["KeyState"], "PendingDeletion")
        self.advance(86400 + 60)
        self.assertError(self.kms.describe_key, "NotFoundException", KeyId=a["KeyId"])
        self.assertEqual([k["KeyId"] for k in self.kms.list_keys()["Keys"]], [b["KeyId"]])
        self.assertEqual(self.kms.list_aliases()["Aliases"], [])

    def test_tags_policy_rotation(self):
        a = self.key()
        self.kms.tag_resource(KeyId=a["Arn"], Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
        self.kms.untag_resource(KeyId=a["KeyId"], TagKeys=["a"])
        self.assertEqual(self.kms.list_resource_tags(KeyId=a["KeyId"])["Tags"], [{"TagKey": "b", "TagValue": "2"}])
        pol = json.loads(self.kms.get_key_policy(KeyId=a["KeyId"], PolicyName="default")["Policy"])
        self.assertEqual(pol["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::%s:root" % ACCOUNT)
        self.assertEqual(pol["Statement"][0]["Action"], "kms:*")
        doc = json.dumps({"Version": "2012-10-17", "Statement": []})
        self.kms.put_key_policy(KeyId=a["KeyId"], PolicyName="default", Policy=doc)
        self.assertEqual(self.kms.get_key_policy(KeyId=a["KeyId"])["Policy"], doc)
        self.assertFalse(self.kms.get_key_rotation_status(KeyId=a["KeyId"])["KeyRotationEnabled"])
        self.kms.enable_key_rotation(KeyId=a["KeyId"])
        r = self.kms.get_key_rotation_status(KeyId=a["KeyId"])
        self.assertTrue(r["KeyRotationEnabled"])
        self.assertEqual(r["RotationPeriodInDays"], 365)
        self.kms.enable_key_rotation(KeyId=a["KeyId"], RotationPeriodInDays=180)
        self.assertEqual(self.kms.get_key_rotation_status(KeyId=a["KeyId"])["RotationPeriodInDays"], 180)
        self.assertError(self.kms.enable_key_rotation, "ValidationException", KeyId=a["KeyId"],
                         RotationPeriodInDays=2561)
        self.assertEqual(self.kms.get_key_rotation_status(KeyId=a["KeyId"])["RotationPeriodInDays"], 180)
        self.kms.disable_key_rotation(KeyId=a["KeyId"])
        self.assertFalse(self.kms.get_key_rotation_status(KeyId=a["KeyId"])["KeyRotationEnabled"])
        self.kms.disable_key(KeyId=a["KeyId"])
        self.assertError(self.kms.enable_key_rotation, "DisabledException", KeyId=a["KeyId"])

    def test_aws_cli_round_trip(self):
        _, out, _ = self.server.cli("kms", "create-key", "--description", "cli key")
        key_id = out["KeyMetadata"]["KeyId"]
        with tempfile.TemporaryDirectory() as d:
            plain = os.path.join(d, "plain.txt")
            with open(plain, "wb") as f:
                f.write(b"hello from the cli")
            _, enc, _ = self.server.cli("kms", "encrypt", "--key-id", key_id, "--plaintext", "fileb://" + plain)
            blob = os.path.join(d, "blob.bin")
            with open(blob, "wb") as f:
                f.write(base64.b64decode(enc["CiphertextBlob"]))
            _, dec, _ = self.server.cli("kms", "decrypt", "--ciphertext-blob", "fileb://" + blob)
        self.assertEqual(base64.b64decode(dec["Plaintext"]), b"hello from the cli")
        self.assertEqual(dec["KeyId"], out["KeyMetadata"]["Arn"])


class KmsRestartTest(ApiTestCase):
    """Keys, aliases and old blobs survive a restart of rdslocal, clean or not."""

    def test_blobs_open_after_restarts(self):
        kms = self.server.client("kms")
        k = kms.create_key()["KeyMetadata"]
        kms.create_alias(AliasName="alias/keep", TargetKeyId=k["KeyId"])
        blob = kms.encrypt(KeyId="alias/keep", Plaintext=b"durable")["CiphertextBlob"]
        master = os.path.join(self.server.state_dir, "kms", "master.key")
        self.assertEqual(os.stat(master).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(master)).st_mode & 0o777, 0o700)
        for stop in (self.server.stop, self.server.kill9):
            stop()
            self.server.start()
            kms = self.server.client("kms")
            self.assertEqual(kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"durable")
            self.assertEqual(kms.describe_key(KeyId="alias/keep")["KeyMetadata"]["KeyId"], k["KeyId"])


if __name__ == "__main__":
    main()
