// sdk_env.js: the AWS SDK for JavaScript v3 reaches rdslocal through the environment alone
// (AWS_ENDPOINT_URL, AWS_REGION and the credentials that `rdslocal --print-env` exports):
// the client below is built with no options. Creates the instance named by argv[2] with
// the master user/password argv[3]/argv[4], then prints its Describe as JSON on stdout.
// Run by tests/e2e/test_print_env.py.
"use strict";
const { RDSClient, CreateDBInstanceCommand, DescribeDBInstancesCommand } = require("@aws-sdk/client-rds");

async function main() {
  const [ident, user, password] = process.argv.slice(2);
  const rds = new RDSClient({}); // no endpoint, region or credentials in code
  await rds.send(new CreateDBInstanceCommand({
    DBInstanceIdentifier: ident, Engine: "postgres", DBInstanceClass: "db.t3.micro",
    AllocatedStorage: 20, MasterUsername: user, MasterUserPassword: password,
  }));
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ident }));
  process.stdout.write(JSON.stringify(out.DBInstances[0]) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(1);
});
