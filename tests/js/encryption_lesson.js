// encryption_lesson.js: the encryption-at-rest lesson driven by the AWS SDK for JavaScript
// v3 (clients configured from the environment: AWS_ENDPOINT_URL, AWS_REGION, credentials).
// The instance named by argv[2] already exists (unencrypted, with rows). This script makes
// a customer key with an alias, snapshots the instance, copies the snapshot encrypted with
// the alias, and restores it as argv[3] (mode "lesson"). Mode "disable" then disables the
// key and takes two wrong turns: copying with the disabled key and creating an encrypted
// instance with it (both must fail with KMSKeyNotAccessibleFault). Each mode prints one
// JSON object on stdout; run by tests/e2e/test_js_encryption.py, which checks them and
// reads the restored rows with psql in between.
"use strict";
const {
  RDSClient, CreateDBSnapshotCommand, CopyDBSnapshotCommand, DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand, DescribeDBInstancesCommand, CreateDBInstanceCommand,
  waitUntilDBSnapshotAvailable, waitUntilDBInstanceAvailable,
} = require("@aws-sdk/client-rds");
const {
  KMSClient, CreateKeyCommand, CreateAliasCommand, DescribeKeyCommand, DisableKeyCommand,
} = require("@aws-sdk/client-kms");

const waitCfg = (client) => ({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 });

async function errorName(promise) {
  try {
    await promise;
    return "no error";
  } catch (e) {
    return e.name;
  }
}

async function main() {
  const [source, target, mode] = process.argv.slice(2);
  const rds = new RDSClient({});
  const kms = new KMSClient({});
  if (mode === "disable")
    return disable(rds, kms, source, target);

  const key = (await kms.send(new CreateKeyCommand({ Description: "js lesson key" }))).KeyMetadata;
  await kms.send(new CreateAliasCommand({ AliasName: "alias/js-lesson", TargetKeyId: key.KeyId }));

  await rds.send(new CreateDBSnapshotCommand({
    DBInstanceIdentifier: source, DBSnapshotIdentifier: `${source}-plain`,
  }));
  await waitUntilDBSnapshotAvailable(waitCfg(rds), { DBSnapshotIdentifier: `${source}-plain` });
  await rds.send(new CopyDBSnapshotCommand({
    SourceDBSnapshotIdentifier: `${source}-plain`, TargetDBSnapshotIdentifier: `${source}-enc`,
    KmsKeyId: "alias/js-lesson",
  }));
  await waitUntilDBSnapshotAvailable(waitCfg(rds), { DBSnapshotIdentifier: `${source}-enc` });
  const snap = (await rds.send(new DescribeDBSnapshotsCommand({
    DBSnapshotIdentifier: `${source}-enc`,
  }))).DBSnapshots[0];

  await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({
    DBInstanceIdentifier: target, DBSnapshotIdentifier: `${source}-enc`,
  }));
  await waitUntilDBInstanceAvailable(waitCfg(rds), { DBInstanceIdentifier: target });
  const restored = (await rds.send(new DescribeDBInstancesCommand({
    DBInstanceIdentifier: target,
  }))).DBInstances[0];

  process.stdout.write(JSON.stringify({ keyArn: key.Arn, snapshot: snap, restored }) + "\n");
}

async function disable(rds, kms, source, target) {
  // DisableKey takes a key id or ARN, not an alias (as KMS documents): DescribeKey finds it.
  const key = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/js-lesson" }))).KeyMetadata;
  await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
  const copyWithDisabledKey = await errorName(rds.send(new CopyDBSnapshotCommand({
    SourceDBSnapshotIdentifier: `${source}-plain`, TargetDBSnapshotIdentifier: `${source}-enc2`,
    KmsKeyId: "alias/js-lesson",
  })));
  const createWithDisabledKey = await errorName(rds.send(new CreateDBInstanceCommand({
    DBInstanceIdentifier: `${target}-2`, Engine: "postgres", DBInstanceClass: "db.t3.micro",
    AllocatedStorage: 20, MasterUsername: "app", MasterUserPassword: "S3cret-pass",
    StorageEncrypted: true, KmsKeyId: "alias/js-lesson",
  })));

  const restored = (await rds.send(new DescribeDBInstancesCommand({
    DBInstanceIdentifier: target,
  }))).DBInstances[0];
  process.stdout.write(JSON.stringify({ copyWithDisabledKey, createWithDisabledKey, restored }) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(1);
});
