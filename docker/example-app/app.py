"""app.py: the compose recipe's application. It reaches rdslocal by its service name:
creates a DB instance (boto3; the endpoint comes from AWS_ENDPOINT_URL, passed explicitly
because Debian 12's botocore predates that variable), waits until it is available, and
runs a query with psql at the Endpoint rdslocal reports (RDSLOCAL_ENDPOINT_ADDRESS is the
service name, so the address works from this container). Exits 0 on success."""
import os
import subprocess
import sys
import time

import boto3

rds = boto3.client("rds", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                   region_name=os.environ.get("AWS_REGION", "us-east-1"))
ident = os.environ.get("DB_ID", "app-db")
for attempt in range(60):  # rdslocal may still be starting
    try:
        rds.describe_db_instances()
        break
    except Exception:
        time.sleep(1)
rds.create_db_instance(DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.t3.micro",
                       AllocatedStorage=20, MasterUsername="app", MasterUserPassword="S3cret-pass")
rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=ident,
                                             WaiterConfig={"Delay": 1, "MaxAttempts": 120})
ep = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["Endpoint"]
out = subprocess.run(["psql", "-h", ep["Address"], "-p", str(ep["Port"]), "-U", "app", "-d", "postgres",
                      "-Atc", "select 'app reached ' || current_database()"],
                     env=dict(os.environ, PGPASSWORD="S3cret-pass"), capture_output=True, text=True)
print(out.stdout.strip() or out.stderr.strip())
sys.exit(out.returncode)
