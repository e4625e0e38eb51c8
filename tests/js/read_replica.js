// read_replica.js: a cross-region read replica through the AWS SDK for JavaScript v3, as
// the SDK sends it: the client of the TARGET region (argv[4]) gets the source as an ARN
// (argv[3]) and SourceRegion, which the SDK's RDS middleware turns into a PreSignedUrl.
// Creates replica argv[2], waits with waitUntilDBInstanceAvailable, prints its Describe as
// JSON. Endpoint and credentials from the environment (AWS_ENDPOINT_URL, ...). Run by
// tests/e2e/test_read_replicas.py.
"use strict";
const { RDSClient, CreateDBInstanceReadReplicaCommand, DescribeDBInstancesCommand,
        waitUntilDBInstanceAvailable } = require("@aws-sdk/client-rds");

async function main() {
  const [ident, sourceArn, region] = process.argv.slice(2);
  const sourceRegion = sourceArn.split(":")[3];
  const rds = new RDSClient({ region });
  await rds.send(new CreateDBInstanceReadReplicaCommand({
    DBInstanceIdentifier: ident, SourceDBInstanceIdentifier: sourceArn, SourceRegion: sourceRegion,
  }));
  await waitUntilDBInstanceAvailable({ client: rds, maxWaitTime: 60, minDelay: 1 }, { DBInstanceIdentifier: ident });
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ident }));
  process.stdout.write(JSON.stringify(out.DBInstances[0]) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(1);
});
