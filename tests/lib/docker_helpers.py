"""docker_helpers: a Docker engine for the packaging tests (issue 11).

There is no init system on these machines: when no engine answers, the test starts
Debian's dockerd itself (root only) and stops it at the end (ctest gives these tests one
RESOURCE_LOCK, so no two share an engine they started). The base image comes from
scripts/build-base-image.sh (debootstrap + docker import, cached by tag). Without docker a
test's Docker cases are skipped and it exits 77 (ctest's SKIP_RETURN_CODE) - except under
CI=true, where a missing engine is a failure. Only containers and images named with this process's id are
created; remove() removes them.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = 77
IN_CI = os.environ.get("CI") == "true"
BASE_TAG = os.environ.get("RDSLOCAL_BASE_IMAGE", "rdslocal-base:bookworm")
# Debian's client matches Debian's engine; another docker on PATH may be newer than it.
# RDSLOCAL_DOCKER names another client ("" = none, to try the skip path).
DOCKER = os.environ.get("RDSLOCAL_DOCKER",
                        "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker") or "")


SKIPPED = []


def skip_or_fail(reason):
    """No Docker here: the cases that need it are skipped (main() then exits 77), except
    under CI=true, where they fail."""
    if IN_CI:
        raise AssertionError("%s (CI=true: packaging tests must run)" % reason)
    SKIPPED.append(reason)
    raise unittest.SkipTest(reason)


def main():
    """unittest main with the closing 'N passed, N failed' line; exit 77 (ctest's SKIP) when
    nothing failed but the Docker cases were skipped for want of an engine."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    # A class or module skipped in its setUp counts as one skip but no run test.
    skipped_run = len([c for c, _ in r.skipped if isinstance(c, unittest.TestCase)])
    print("%d passed, %d failed" % (max(0, r.testsRun - failed - skipped_run), failed))
    if failed:
        sys.exit(1)
    if SKIPPED:
        print("SKIP: %s" % SKIPPED[0])
        sys.exit(SKIP)
    sys.exit(0)


def docker(*args, check=True, timeout=600, capture=True, input=None):
    p = subprocess.run([DOCKER] + list(args), capture_output=capture, text=True, timeout=timeout,
                       input=input)
    if check and p.returncode != 0:
        raise AssertionError("docker %s failed (%d): %s" % (" ".join(args[:3]), p.returncode,
                                                           (p.stderr or "")[-3000:]))
    return p


def engine_answers():
    try:
        return docker("info", check=False, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Engine:
    """A running Docker engine: the one already there, or a dockerd started here."""

    def __init__(self):
        self.proc = None
        self.log = None

    def start(self):
        if not DOCKER:
            skip_or_fail("no docker client (apt-get install docker.io)")
        if engine_answers():
            return self
        dockerd = shutil.which("dockerd")
        if not dockerd or os.geteuid() != 0:
            skip_or_fail("no Docker engine running and none to start (needs root and dockerd)")
        self.log = tempfile.NamedTemporaryFile(prefix="rdslocal-dockerd-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([dockerd], stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.time() + 60
        while not engine_answers():
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                with open(self.log.name, errors="replace") as f:
                    tail = f.read()[-2000:]
                skip_or_fail("dockerd did not start:\n" + tail)
            time.sleep(0.5)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self.log:
            self.log.close()
            os.unlink(self.log.name)
            self.log = None


def base_image():
    """The local bookworm base image's tag (built once, then reused by tag)."""
    if docker("image", "inspect", BASE_TAG, check=False).returncode == 0:
        return BASE_TAG
    if not shutil.which("debootstrap"):
        skip_or_fail("no base image %s and no debootstrap to build it" % BASE_TAG)
    env = dict(os.environ, DOCKER=DOCKER)
    p = subprocess.run(["nice", "sh", os.path.join(ROOT, "scripts", "build-base-image.sh"), BASE_TAG],
                       capture_output=True, text=True, env=env, timeout=900)
    if p.returncode != 0:
        raise AssertionError("build-base-image.sh failed: %s" % p.stderr[-3000:])
    return BASE_TAG


def build_image(tag, dockerfile, context, base, timeout=1500):
    """docker build (niced); returns seconds taken."""
    t0 = time.time()
    p = subprocess.run(["nice", DOCKER, "build", "-q", "--force-rm", "-f", dockerfile, "--build-arg", "BASE_IMAGE=" + base,
                        "-t", tag, context], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("docker build failed: %s%s" % (p.stdout[-2000:], p.stderr[-4000:]))
    return time.time() - t0


def health_status(name):
    p = docker("inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", name, check=False)
    return p.stdout.strip()


def wait_healthy(name, timeout=120):
    """Waits for Docker's own HEALTHCHECK verdict; returns seconds waited."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        s = health_status(name)
        if s == "healthy":
            return time.time() - t0
        if docker("inspect", "-f", "{{.State.Running}}", name, check=False).stdout.strip() == "false":
            raise AssertionError("container %s exited; logs:\n%s" % (name, logs(name)))
        time.sleep(0.2)
    raise AssertionError("container %s not healthy after %ds (%s); logs:\n%s" % (name, timeout, s, logs(name)))


def http_ok(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def logs(name):
    p = docker("logs", "--tail", "80", name, check=False)
    return (p.stdout or "") + (p.stderr or "")


def container_pids(name):
    """Host pids of the container's processes (docker top), [] if it is not running."""
    p = docker("top", name, "-eo", "pid,comm", check=False)
    if p.returncode != 0:
        return []
    return [line.split(None, 1) for line in p.stdout.splitlines()[1:] if line.strip()]


def remove(*names, images=()):
    for n in names:
        docker("rm", "-f", "-v", n, check=False)
    for i in images:
        docker("rmi", "-f", i, check=False)
