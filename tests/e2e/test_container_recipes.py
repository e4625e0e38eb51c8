"""The CI recipes (issue 11, part 3) that cannot run here as hosted CI: docker/ci/github-actions.yml,
docker/ci/gitlab-ci.yml, and docker/compose.yaml's wiring (the compose file itself runs in
test_container.py). Each is parsed and checked against what the image is (docker/Dockerfile:
listen port, instance port range, health check path, volume; the image name carries the
project's version), their shell steps are run for real (AWS CLI, psql) against a local
rdslocal with real PostgreSQL, and the README must include each file as it is.
Needs no Docker.
"""
import os
import re
import subprocess
import unittest

import rdslocal_testlib as t

try:
    import yaml  # PyYAML: the AWS CLI v1 the tests use depends on it
except ImportError:  # pragma: no cover
    yaml = None

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKER = os.path.join(ROOT, "docker")


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def image_facts():
    """What docker/Dockerfile says about the runtime image."""
    text = read("docker", "Dockerfile")
    env = dict(re.findall(r"(RDSLOCAL_[A-Z_]+)=(\S+)", text.split("\nENV ", 1)[1].split("\nUSER", 1)[0]))
    health = re.search(r"^HEALTHCHECK .*?CMD (.*?)$", text, re.M | re.S).group(1)
    return {
        "listen_port": env["RDSLOCAL_LISTEN"].rsplit(":", 1)[1],
        "range": env["RDSLOCAL_PORT_RANGE"],
        "endpoint_address": env["RDSLOCAL_ENDPOINT_ADDRESS"],
        "health": health,
        "volume": re.search(r"^VOLUME (\S+)", text, re.M).group(1),
        "expose": re.search(r"^EXPOSE (.*)$", text, re.M).group(1).split(),
        "version": re.search(r"project\(rdslocal VERSION (\S+)", read("CMakeLists.txt")).group(1),
    }


@unittest.skipIf(yaml is None, "PyYAML missing")
class Recipes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.img = image_facts()
        cls.image = "rdslocal/rdslocal:" + cls.img["version"]
        cls.gh = yaml.safe_load(read("docker", "ci", "github-actions.yml"))
        cls.gl = yaml.safe_load(read("docker", "ci", "gitlab-ci.yml"))
        cls.compose = yaml.safe_load(read("docker", "compose.yaml"))

    def test_dockerfile_facts(self):
        self.assertIn("/_rdslocal/health", self.img["health"])
        self.assertIn("${RDSLOCAL_LISTEN##*:}", self.img["health"])
        self.assertEqual(self.img["volume"], "/var/lib/rdslocal")
        self.assertEqual(sorted(self.img["expose"]), sorted([self.img["listen_port"], self.img["range"]]))

    def test_github_actions_service(self):
        svc = self.gh["jobs"]["test"]["services"]["rdslocal"]
        self.assertEqual(svc["image"], self.image)
        port, rng = self.img["listen_port"], self.img["range"]
        self.assertEqual(sorted(svc["ports"]), sorted(["%s:%s" % (port, port), "%s:%s" % (rng, rng)]))
        # The runner waits on the image's own HEALTHCHECK: nothing may turn it off or replace it.
        opts = svc.get("options", "")
        self.assertNotIn("--no-healthcheck", opts)
        if "--health-cmd" in opts:
            self.assertIn("/_rdslocal/health", opts)
        env = self.gh["jobs"]["test"]["env"]
        self.assertEqual(env["AWS_ENDPOINT_URL"], "http://localhost:%s" % port)
        # The job runs on the runner: the image's default Endpoint.Address is right there.
        self.assertEqual(self.img["endpoint_address"], "localhost")

    def test_gitlab_service(self):
        job = self.gl["test"]
        svc = job["services"][0]
        self.assertEqual(svc["name"], self.image)
        self.assertEqual(svc["variables"]["RDSLOCAL_ENDPOINT_ADDRESS"], svc["alias"])
        self.assertEqual(svc["variables"]["HEALTHCHECK_TCP_PORT"], self.img["listen_port"])
        self.assertEqual(job["variables"]["AWS_ENDPOINT_URL"],
                         "http://%s:%s" % (svc["alias"], self.img["listen_port"]))

    def test_compose_wiring(self):
        rd = self.compose["services"]["rdslocal"]
        app = self.compose["services"]["app"]
        self.assertEqual(rd["image"], "${RDSLOCAL_IMAGE:-%s}" % self.image)
        self.assertEqual(rd["build"]["dockerfile"], "docker/Dockerfile")
        self.assertEqual(rd["environment"]["RDSLOCAL_ENDPOINT_ADDRESS"], "rdslocal")
        rng = rd["environment"]["RDSLOCAL_PORT_RANGE"]
        self.assertEqual(rng, "${RDSLOCAL_PORTS:-%s}" % self.img["range"])
        self.assertIn("127.0.0.1:%s:%s" % (rng, rng), rd["ports"])
        self.assertIn("127.0.0.1:${RDSLOCAL_API_PORT:-%s}:%s" % ((self.img["listen_port"],) * 2), rd["ports"])
        self.assertEqual([v.split(":", 1)[1] for v in rd["volumes"]], [self.img["volume"]])
        self.assertEqual(app["depends_on"]["rdslocal"]["condition"], "service_healthy")
        self.assertEqual(app["environment"]["AWS_ENDPOINT_URL"], "http://rdslocal:%s" % self.img["listen_port"])

    def test_readme_includes_each_recipe_as_is(self):
        readme = read("README.md")
        for rel in ("docker/compose.yaml", "docker/ci/github-actions.yml", "docker/ci/gitlab-ci.yml",
                    "tests/js/testcontainers_rds.js"):
            body = read(*rel.split("/"))
            if rel.endswith(".js"):  # the README shows the recipe's core, from the require lines
                body = body[body.index("const { GenericContainer"):body.index("  } finally {")]
            self.assertTrue(body.strip() in readme, "README lacks %s as it is" % rel)


@unittest.skipIf(yaml is None, "PyYAML missing")
class RecipeStepsRunForReal(unittest.TestCase):
    """The jobs' shell steps, run with the real AWS CLI and psql against a local rdslocal."""

    @classmethod
    def setUpClass(cls):
        cls.server = t.Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.server.admin("POST", "/_rdslocal/reset")

    def run_steps(self, script, env):
        env = dict({k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **env)
        env["AWS_ENDPOINT_URL"] = self.server.endpoint
        env["AWS_PAGER"] = ""
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                           env=env, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def test_github_steps(self):
        job = yaml.safe_load(read("docker", "ci", "github-actions.yml"))["jobs"]["test"]
        script = "\n".join(s["run"] for s in job["steps"] if "run" in s)
        out = self.run_steps(script, {k: str(v) for k, v in job["env"].items()})
        self.assertIn("(1 row)", out)

    def test_gitlab_script(self):
        job = yaml.safe_load(read("docker", "ci", "gitlab-ci.yml"))["test"]
        out = self.run_steps("\n".join(job["script"]), {k: str(v) for k, v in job["variables"].items()})
        self.assertIn("(1 row)", out)


if __name__ == "__main__":
    t.main()
