// testcontainers_rds.js: the Testcontainers for Node recipe (README, "Packaging / CI
// recipes"), run by tests/e2e/test_container.py: start the rdslocal image with a wait
// strategy on its health URL, create a DB instance through the AWS SDK for JavaScript v3
// at the mapped API port, and query it with psql through its port (published 1:1, as
// Endpoint.Port must be the port clients use). argv: image, instance port range "LO-HI".
// Prints one JSON line: the instance's endpoint and the query's answer.
"use strict";
const { execFileSync } = require("node:child_process");
const { GenericContainer, Wait } = require("testcontainers");
const { RDSClient, CreateDBInstanceCommand, DescribeDBInstancesCommand, waitUntilDBInstanceAvailable } =
  require("@aws-sdk/client-rds");

async function main() {
  const [image, range] = process.argv.slice(2);
  const [lo, hi] = range.split("-").map(Number);
  const instancePorts = [];
  for (let p = lo; p <= hi; p++) instancePorts.push({ container: p, host: p });

  const container = await new GenericContainer(image)
    .withEnvironment({ RDSLOCAL_PORT_RANGE: range })
    .withExposedPorts(4566, ...instancePorts)
    .withWaitStrategy(Wait.forHttp("/_rdslocal/health", 4566).forStatusCode(200))
    .start();
  try {
    const rds = new RDSClient({
      endpoint: `http://${container.getHost()}:${container.getMappedPort(4566)}`,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: "tc-db", Engine: "postgres", DBInstanceClass: "db.t3.micro",
      AllocatedStorage: 20, MasterUsername: "app", MasterUserPassword: "S3cret-pass",
    }));
    await waitUntilDBInstanceAvailable({ client: rds, maxWaitTime: 120, minDelay: 1 }, { DBInstanceIdentifier: "tc-db" });
    const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "tc-db" }))).DBInstances[0];
    const answer = execFileSync("psql", ["-h", db.Endpoint.Address, "-p", String(db.Endpoint.Port), "-U", "app",
      "-d", "postgres", "-Atc", "select 'tc ' || current_user"], { env: { ...process.env, PGPASSWORD: "S3cret-pass" } })
      .toString().trim();
    process.stdout.write(JSON.stringify({ endpoint: db.Endpoint, answer }) + "\n");
  } finally {
    await container.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(1);
});
