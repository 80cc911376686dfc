"""examples/backing-services for real: nox sessions start PostgreSQL and Redis as local
processes, hand the tests their URLs, give each xdist worker its own database, and
leave nothing running afterwards: after success, a service that never gets ready,
and Ctrl-C.

No container engine runs on the test machines: the services are the `command`
kind, as the example declares them. Leftovers are found by a marker variable put
in nox's environment and by the folders the services ran in (tests/backing_support.py):
any process still holding either afterwards is one the session left behind.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from backing_support import leftovers, service_folders
from support import PROJECT_ROOT, GitRepo, git_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = PROJECT_ROOT / "examples" / "backing-services"
ORDERS = "domain-integration(orders)"


def _postgres_and_redis() -> None:
    found = shutil.which("redis-server") and any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert found or shutil.which("initdb"), (
        "postgres and redis-server are not installed: `apt-get install postgresql "
        "redis-server` (.ci/run does it)"
    )


@dataclass
class Example:
    repo: GitRepo
    orders: subprocess.CompletedProcess[str]  # the first run of domain-integration(orders)
    junit: ET.Element  # its junit report (a later run of the session writes over the file)
    marker: str

    @property
    def root(self) -> Path:
        return self.repo.path


def nox(root: Path, marker: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env=_env(marker),
    )


def _env(marker: str) -> dict[str, str]:
    env = git_env()
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE"):
        env.pop(name, None)
    env["LEFTOVER_MARKER"] = marker
    return env


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    _postgres_and_redis()
    repo = GitRepo(tmp_path_factory.mktemp("backing") / "repo")
    shutil.copytree(
        EXAMPLE, repo.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    repo.git.add("-A")
    repo.commit("the example")
    marker = uuid.uuid4().hex
    orders = nox(repo.path, marker, "-s", ORDERS)
    report = repo.path / "reports" / "junit-domain-integration-orders.xml"
    suite = ET.parse(report).getroot() if report.is_file() else ET.Element("none")  # noqa: S314
    return Example(repo, orders, suite, marker)


def test_postgres_starts_and_the_tests_run_against_it(example: Example) -> None:
    assert example.orders.returncode == 0, example.orders.stdout + example.orders.stderr
    log = example.orders.stderr
    assert re.search(
        r"backing service db: command ready on 127\.0\.0\.1:\d+ in /\S+ after [\d.]+ s", log
    )
    # The orders tests need only the database: redis is not started for them.
    assert "backing service cache" not in log
    cases = list(example.junit.iter("testcase"))
    assert len(cases) == 10
    assert [c for c in cases if c.find("failure") is not None or c.find("error") is not None] == []
    db_log = (example.root / "reports" / "services" / "db.log").read_text(encoding="utf-8")
    assert "database system is ready to accept connections" in db_log


def test_two_workers_get_two_databases(example: Example) -> None:
    """Each worker wrote marks in its own database and found none of them in the other's
    (the test asserts that inside each worker); here: both workers ran it, each on its own."""
    seen: dict[str, set[str]] = {}
    for case in example.junit.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if "database" in props:
            seen.setdefault(str(props["database"]), set()).add(str(props["other_databases"]))
    assert set(seen) == {"shop_gw0", "shop_gw1"}
    # No third database; a test that ran before the other worker made its own saw none
    # (""), and at least one looked into the other worker's database and found no mark.
    assert seen["shop_gw0"] <= {"shop_gw1", ""}
    assert seen["shop_gw1"] <= {"shop_gw0", ""}
    assert "shop_gw1" in seen["shop_gw0"] or "shop_gw0" in seen["shop_gw1"]


def test_nothing_is_left_running_after_a_session(example: Example) -> None:
    assert example.orders.returncode == 0
    folders = service_folders(example.orders.stderr)
    assert len(folders) == 1
    assert leftovers(example.marker, folders) == []


def test_a_session_starts_only_what_its_tests_need(example: Example) -> None:
    ran = nox(example.root, example.marker, "-s", "domain-integration(sessions)")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.search(r"backing service cache: command ready on 127\.0\.0\.1:\d+", ran.stderr)
    assert "backing service db" not in ran.stderr
    assert "2 passed" in ran.stdout
    assert leftovers(example.marker, service_folders(ran.stderr)) == []


@pytest.fixture
def edited_config(example: Example) -> Iterator[Path]:
    """The example's pyproject, restored after the test edits it."""
    path = example.root / "pyproject.toml"
    original = path.read_text(encoding="utf-8")
    yield path
    path.write_text(original, encoding="utf-8")


def test_a_service_that_never_gets_ready_fails_the_session_naming_it(
    example: Example, edited_config: Path
) -> None:
    text = edited_config.read_text(encoding="utf-8")
    # postgres runs, but the check asks a port nothing listens on: never ready.
    text = text.replace('"--port={port}", "--username=postgres"]', '"--port=9", "--username=x"]')
    text = text.replace("timeout-seconds = 30", "timeout-seconds = 3")
    edited_config.write_text(text, encoding="utf-8")
    ran = nox(example.root, example.marker, "-s", ORDERS)
    assert ran.returncode == 1
    assert "backing service 'db' was not ready within 3 s" in ran.stderr
    assert "pg_isready --host=127.0.0.1 --port=9 --username=x" in ran.stderr
    assert "127.0.0.1:9 - no response" in ran.stderr  # the check's last output
    assert "database system is ready to accept connections" in ran.stderr  # the service's
    assert "python -m pytest" not in ran.stderr  # the tests never started
    # Not announced (never ready): its folder is the postgres command line's -D.
    folders = re.findall(r"-D (/\S+)/data", ran.stderr)
    assert folders
    assert leftovers(example.marker, folders) == []


def test_ctrl_c_stops_the_services(example: Example) -> None:
    """SIGINT to nox while the tests run (as a terminal's Ctrl-C does): postgres and every
    process it forked are gone when nox has exited."""
    started = example.root / "reports" / "waiting"
    started.unlink(missing_ok=True)
    waiting = example.root / "tests" / "integration" / "orders" / "test_waiting.py"
    waiting.write_text(
        "import pathlib, time\nimport pytest\n\n\n@pytest.mark.integration\n"
        "def test_waits() -> None:\n"
        f"    pathlib.Path({str(started)!r}).write_text('x')\n"
        "    time.sleep(120)\n",
        encoding="utf-8",
    )
    lines: list[str] = []
    command = [sys.executable, "-m", "nox", "-s", ORDERS, "--", "-k", "test_waits"]
    try:
        with subprocess.Popen(
            command,
            cwd=example.root,
            env=_env(example.marker),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()))
            reader.start()
            for _ in range(1200):  # the test has started: postgres is up, pytest runs
                if started.exists() or process.poll() is not None:
                    break
                time.sleep(0.1)
            assert started.exists(), "".join(lines)
            folders = service_folders("".join(lines))
            running = leftovers(example.marker, folders)
            assert any("postgres" in line for line in running), running
            process.send_signal(signal.SIGINT)
            process.wait(timeout=120)
            reader.join(timeout=60)
    finally:
        waiting.unlink()
    output = "".join(lines)
    assert process.returncode != 0
    assert "interrupted" in output.lower(), output
    assert leftovers(example.marker, folders) == []
